"""The fast match keys equal the reference keys (SPEC §4.2) for every row, invalid rows included."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert (stats.fast, stats.reference, stats.invalid) == (2, 1, 1)


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
