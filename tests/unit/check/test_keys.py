"""The fast match keys equal the reference keys (SPEC §4.2) for every row, invalid rows included."""
from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.check import inert
from pipeline.check.inert import composition_seconds, computed_inert_ranges, inert_characters, inert_ranges
from pipeline.check.keys import match_keys, match_keys_with_stats
from pipeline.core.addresses import InvalidAddress, reference_match_key

pytestmark = pytest.mark.unit


def reference_key(cell: str | None) -> str | None:
    """The SPEC §4.2 key by email_validator alone (no shortcut), None when invalid."""
    if cell is None:
        return None
    try:
        return reference_match_key(cell)
    except InvalidAddress:
        return None


def reference(cells: list[str | None]) -> list[str | None]:
    return [reference_key(cell) for cell in cells]


def assert_same(cells: list[str | None]) -> None:
    fast = match_keys(pa.array(cells, pa.string())).to_pylist()
    diffs = [(c, r, f) for c, r, f in zip(cells, reference(cells), fast, strict=True) if r != f]
    assert not diffs, diffs[:10]


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("John.Doe@Gmail.com", "johndoe@gmail.com"),
        ("j.o.h.n+news@googlemail.com", "john@gmail.com"),
        ("+tag@example.com", "+tag@example.com"),
        ("a+b+c@Example.COM", "a@example.com"),
        ("  Bob <Bob.Smith@Example.org>  ", "bob.smith@example.org"),
        ("x@localhost", None),
        ("x@example.test", None),
        ("no-at-sign", None),
        ("", None),
        (None, None),
        ("a..b@example.com", None),
        ("user@xn--mnchen-3ya.de", "user@xn--mnchen-3ya.de"),
        ("müller@münchen.de", "müller@xn--mnchen-3ya.de"),
    ],
)
def test_known_keys(cell: str | None, key: str | None) -> None:
    assert match_keys(pa.array([cell], pa.string())).to_pylist() == [key]
    assert reference([cell]) == [key]


def test_most_plain_rows_take_the_fast_path() -> None:
    _, stats = match_keys_with_stats(["a@b.com", "Ann <x.y@gmail.com>", "zoë@ëxample.nl", "junk"])
    assert (stats.fast, stats.international, stats.reference, stats.invalid) == (2, 1, 0, 1)


def test_internationalised_rows_skip_the_validator_unless_unproven() -> None:
    cells = ["müller@münchen.de", "用户@例子.广告", "ßtraße@x.de", "\"zoë\"@x.de", "Zoë <zoë@x.de>", "a@b@c.de"]
    _, stats = match_keys_with_stats(cells)
    assert (stats.international, stats.reference) == (2, 4)
    _, before = match_keys_with_stats(cells, international=False)
    assert (before.international, before.reference) == (0, 6)


def test_inert_characters_leave_casefold_and_nfc_to_arrow() -> None:
    chars = inert_characters()
    assert {"ü", "é", "用", "Ж", "ä"} <= chars
    assert not {"ß", "ς", "İ", "ﬁ", "\u0301", "\u1161", "\u200d", "\uff20"} & chars
    for c in chars:
        assert unicodedata.category(c)[0] in "LN" and unicodedata.is_normalized("NFC", "a" + c + "e")


def test_the_inert_table_is_the_computation_under_the_installed_versions() -> None:
    """The table a check uses instead of computing the inert characters (pipeline.check.inert)
    was computed under these versions and equals the computation; after an upgrade of Python or
    pyarrow, `python -m pipeline.check.inert` rewrites it."""
    assert (inert.UNIDATA_VERSION, inert.PYARROW_VERSION) == (unicodedata.unidata_version, pa.__version__), \
        "run python -m pipeline.check.inert"
    assert inert_ranges() is inert.RANGES
    assert inert.RANGES == computed_inert_ranges()
    assert {chr(cp) for low, high in inert.RANGES for cp in range(low, high + 1)} == inert_characters()


def test_the_unicode_bounds_the_internationalised_path_relies_on() -> None:
    assert max(cp for cp in range(0x110000) if chr(cp).isspace()) <= 0x3000  # all stripped characters
    canonical = [d.split() for d in map(unicodedata.decomposition, map(chr, range(0x110000))) if d and d[0] != "<"]
    assert {int(parts[1], 16) for parts in canonical if len(parts) == 2} == composition_seconds()
    assert not [parts for parts in canonical if parts[0] == "0040"]  # "@" composes with nothing after it


ATOMS = ["a", "B", "john", "Doe", "x1", "_", "-", "o'neil", "+", "tag", "ü", "é", "用户", "!", "~", "\"q\"", " "]
DOMAINS = ["gmail.com", "GoogleMail.com", "Gmail.Com", "example.com", "b.co", "xn--mnchen-3ya.de", "münchen.de",
           "a-b.org", "a--b.org", "localhost", "x.local", "x.test", "ex.invalid", "例子.广告", "x", "-a.com", "a-.com",
           "1.2.3.4", "[1.2.3.4]", "x.c0m", "a.b.c.d.e.f.com", "ex_ample.com", "EXAMPLE.COM."]
DRESS = ["{}", " {} ", "\t{}\n", "<{}>", "Name <{}>", "\"Doe, J\" <{}>", "mailto:{}", "<mailto:{}>", "{}>", "<{}",
         "\u00a0{}", "{}\u200b", "Zoë <{}>", "a <b> <{}>", "{} <x@y.com>"]


def adversarial(rng: random.Random) -> str:
    local = rng.choice(["", "."]) + ".".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 3)))
    local += rng.choice(["", "", "+x", "+", ".", "..y"])
    address = f"{local}{rng.choice(['@', '@', '@', '@@', ''])}{rng.choice(DOMAINS)}"
    if rng.random() < 0.1:
        address = "a" * rng.randint(40, 70) + address
    return rng.choice(DRESS).format(address)


def test_generated_adversarial_corpus() -> None:
    rng = random.Random(42)
    assert_same([adversarial(rng) for _ in range(20_000)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("aB.+@-_ <>\"\t!xü.comgil")), max_size=40), max_size=50))
def test_hypothesis_text(cells: list[str]) -> None:
    assert_same(cells)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.emails().map(lambda e: e.upper() if len(e) % 3 == 0 else e), max_size=50))
def test_hypothesis_emails(cells: list[str]) -> None:
    assert_same(cells)


SPECIAL_AND_OTHERS = ["a@b.localhost", "it@corp.local", "x@y.test", "Zoë@exämple.com", "x@y.com", "Name <n@x.org>",
                      "\"q\"@x.com", "nope", ""]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(SPECIAL_AND_OTHERS)), max_size=30), st.integers(0, 3))
def test_null_cells_beside_every_path(cells: list[str | None], offset: int) -> None:
    """Null cells (a Parquet column) beside special-use, internationalised, reference and fast
    cells, also in an array that starts at an offset: each null has no key, the rest the reference's."""
    padded = pa.array(["pad@x.com"] * offset + cells, pa.string()).slice(offset)
    assert match_keys(padded).to_pylist() == reference(cells)


@pytest.mark.corpora
def test_every_corpus_address(corpora: Path) -> None:
    cells: list[str | None] = []
    for line in (corpora / "addresses" / "ALL_ADDRESS_CASES.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        case = json.loads(line)
        cells += [case.get("address"), case.get("address_as_in_source")]
    for path in sorted((corpora / "addresses").rglob("*")):
        if path.suffix in (".txt", ".csv", ".json") and path.name not in ("SOURCE.txt", "LICENSE"):
            cells += path.read_text(encoding="utf-8", errors="replace").splitlines()
    # Arrow strings are UTF-8: lone surrogates (a few JSON cases) become U+FFFD on both sides.
    cells = [c if c is None else c.encode("utf-8", "replace").decode("utf-8") for c in cells]
    assert len(cells) > 2000
    assert_same(cells)


# Internationalised addresses: local parts and domains from many scripts and the characters that
# trip validators (bidi, ZWJ, combining marks, full-width signs, Punycode, special case-folds).
UNICODE_LOCAL = ["müller", "MÜLLER", "josé", "JOSÉ", "用户", "δοκιμή", "ΣΊΣΥΦΟΣ", "ς", "straße", "STRASSE",
                 "İstanbul", "ıi", "ǅemal", "ﬁle", "ｆｕｌｌ", "كتاب", "שלום", "a\u200db", "a\u200cb", "e\u0301",
                 "\u0301e", "é", "한국", "\u1100\u1161", "😀", "a😀b", "x\u00adx", "Ⅻ", "①", "٣", "ǆ", "ẞ", "K",
                 "Å", "µ", "ﬀ", "ŉ", "ǰ", "ΐ", "Ꭰ", "ꭰ", "ſ", "a.b", "a+b", "info", "INFO", "ａ", "x\u3000y"]
IDN_DOMAINS = ["münchen.de", "MÜNCHEN.DE", "xn--mnchen-3ya.de", "XN--MNCHEN-3YA.DE", "例子.广告", "例子。广告",
               "例子．广告", "bücher.de", "straße.de", "faß.de", "ëxample.nl", "παράδειγμα.δοκιμή", "пример.рф",
               "مثال.إختبار", "שלום.ישראל", "a\u200db.com", "a\u200cb.com", "xn--a.com", "xn--ls8h.la", "😀.com",
               "e\u0301.com", "\u0301e.com", "ｅｘａｍｐｌｅ.com", "ex\u00adample.com", "İ.com", "googlemail.com",
               "gmail.com", "GMAIL.COM", "x.ǅ", "x.\u0661", "a-.de", "ab--c.de", "x.onion", "例子.test", "ü" * 64 + ".de",
               "a" * 250 + ".de", "ü.ü", "ü", "x..de", ".x.de", "x.de.", "[1.2.3.4]", "x.de\u00a0", "x.de\x85"]
AT_SIGNS = ["@", "@", "@", "＠", "﹫", "@@"]


def international(rng: random.Random) -> str:
    """An address with a Unicode local part or an IDN domain (or both), sometimes dressed up."""
    local = ".".join(rng.choice(UNICODE_LOCAL + ATOMS) for _ in range(rng.randint(1, 3)))
    local += rng.choice(["", "", "+tag", "+ü", ".", ""])
    if rng.random() < 0.05:
        local = "ü" * rng.randint(20, 130) + local
    cell = f"{local}{rng.choice(AT_SIGNS)}{rng.choice(IDN_DOMAINS + DOMAINS[:6])}"
    return rng.choice(DRESS).format(cell)


def test_generated_international_corpus() -> None:
    rng = random.Random(7)
    assert_same([international(rng) for _ in range(20_000)])


def test_committed_international_corpus() -> None:
    lines = (Path(__file__).parent / "idn_addresses.txt").read_text(encoding="utf-8").splitlines()
    cells = [line for line in lines if not line.startswith("# ")]
    assert len(cells) > 100
    assert_same(cells)
    _, stats = match_keys_with_stats(cells)
    assert stats.international > len(cells) // 3  # the corpus exercises the path, not only the fallback


UNICODE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
MIXED = st.lists(st.sampled_from([*"aZ.+-_üÜßẞςΣİı用户é\u0301\u200d\u05d0\u0627😀ＡK", "xn--", "."]), min_size=1,
                 max_size=10).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(UNICODE_TEXT, MIXED, st.sampled_from(UNICODE_LOCAL)),
                          st.sampled_from(AT_SIGNS),
                          st.one_of(st.sampled_from(IDN_DOMAINS), st.builds("{}.{}".format, MIXED, MIXED),
                                    st.builds("{}.de".format, UNICODE_TEXT))).map("".join), max_size=40))
def test_hypothesis_international(cells: list[str]) -> None:
    assert_same(cells)
