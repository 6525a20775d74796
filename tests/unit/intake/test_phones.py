"""SPEC §2.3: caller numbers to E.164 with the `phonenumbers` package."""

from __future__ import annotations

import csv
import json

import pytest

from pipeline.intake.phones import to_e164

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("(212) 555-0101", "US", "+12125550101"),
        ("212.555.0101", "US", "+12125550101"),
        ("1-212-555-0101", "US", "+12125550101"),
        ("+1 212 555 0101", "GB", "+12125550101"),
        ("212-555-0101 ext 12", "US", "+12125550101"),
        ("tel:+1-212-555-0101;ext=5", "US", "+12125550101"),
        ("011 61 2 3456 7890", "US", "+61234567890"),
        ("Phone: +7 (800) 555-35-35.", "US", "+78005553535"),
        ("٠٢٠ ٧٩٤٦ ٠٩٥٨", "GB", "+442079460958"),
        ("", "US", None),
        ("unknown", "US", None),
        ("12", "US", None),
    ],
)
def test_to_e164(text: str, region: str, e164: str | None) -> None:
    assert to_e164(text, region) == e164


# Where libphonenumber's generated formats and the Python package's metadata disagree
# (Benin's 2024 renumbering; non-geographic "001" numbers have no national form; short
# numbers written internationally). Each was checked by hand against `phonenumbers`.
KNOWN_DIFFERENCES = {
    "+22985751234",
    "+22981123456",
    "+870301234567",
    "+883510012345",
    "+979123456789",
    "+3114020",
    "+4219090123",
    "+50480021234567",
    "+841992000",
    "+8616812345",
    "+904441444",
    "+97716600101234",
}


@pytest.mark.corpora
def test_libphonenumber_examples(corpora) -> None:  # type: ignore[no-untyped-def]
    """Every example number (SOURCE: phone/libphonenumber/SOURCE.txt, Apache-2.0) written in its
    national and international forms reads back to its E.164 form."""
    path = corpora / "phone" / "libphonenumber" / "example_numbers_by_region.csv"
    rows = [r for r in csv.DictReader(path.open(encoding="utf-8")) if r["derived_national_format"]]
    assert len(rows) > 1000
    wrong = []
    for r in rows:
        if r["e164"] in KNOWN_DIFFERENCES:
            continue
        if to_e164(r["derived_national_format"], r["region"]) != r["e164"]:
            wrong.append((r["region"], r["derived_national_format"], r["e164"]))
        if to_e164(r["derived_international_format"], "US") != r["e164"]:
            wrong.append((r["region"], r["derived_international_format"], r["e164"]))
    assert wrong == []


@pytest.mark.corpora
def test_libphonenumber_js_messy_inputs(corpora) -> None:  # type: ignore[no-untyped-def]
    """Messy inputs (SOURCE: phone/libphonenumber-js/SOURCE.txt, MIT): every number that library
    reads as valid, we read to the same E.164, except an extension written as letters. We accept
    merely *possible* numbers too (a call log's number only ever matches an account's phone)."""
    cases = json.loads((corpora / "phone" / "libphonenumber-js" / "extracted_parse_cases.json").read_text(encoding="utf-8"))
    checked = 0
    for c in cases:
        got = to_e164(c["input"], c["default_country"] or "ZZ")  # nothing crashes
        if c["expected_e164"] and c["input"] != "2134567890 ext. abc":
            assert got == c["expected_e164"], c
            checked += 1
    assert checked >= 30
