"""The summed list digest: its definition spelled out with hashlib, independence of order, and
an update by what changed equal to the sum of the whole new list."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.errors import OptoutError
from pipeline.ledger import digests

KEYS = st.text("0123456789abcdef", min_size=64, max_size=64)
SCOPES = st.sampled_from(["marketing", "all"])
LISTS = st.dictionaries(KEYS, SCOPES, max_size=30)


def reference(entries: dict[str, str]) -> str:
    """Scheme 2 as docs/audit.md defines it, without the module's helpers."""
    total = 0
    for key_hash, scope in entries.items():
        total += int.from_bytes(hashlib.shake_256(f"{key_hash}\t{scope}".encode()).digest(512), "little")
    body = (total % 2**4096).to_bytes(512, "little")
    return hashlib.sha256(b"optout list digest 2\n" + body).hexdigest()


@given(LISTS)
def test_the_summed_digest_is_its_definition(entries: dict[str, str]) -> None:
    assert digests.digest(list(entries.items()), digests.SUMMED) == reference(entries)


@given(LISTS, st.randoms())
def test_order_does_not_matter(entries: dict[str, str], rng) -> None:
    items = list(entries.items())
    shuffled = items[:]
    rng.shuffle(shuffled)
    assert digests.digest(items, digests.SUMMED) == digests.digest(shuffled, digests.SUMMED)


@given(LISTS, LISTS)
def test_an_update_by_the_change_is_the_sum_of_the_new_list(before: dict[str, str], after: dict[str, str]) -> None:
    gone = [(k, s) for k, s in before.items() if after.get(k) != s]
    came = [(k, s) for k, s in after.items() if before.get(k) != s]
    left, put = digests.changes(before, {**dict.fromkeys(before), **after})  # a lifted key: None
    assert (set(left), set(put)) == (set(gone), set(came))
    total = digests.updated(digests.sum_of(before.items()), gone, came)
    assert total == digests.sum_of(after.items())
    assert digests.from_bytes(digests.as_bytes(total)) == total
    assert digests.digest_of_sum(total) == reference(after)


@pytest.mark.parametrize(("a", "b"), [
    ([("k1", "marketing")], [("k1", "all")]),
    ([("k1", "marketing")], [("k1", "marketing"), ("k1", "marketing")]),
    ([("k1", "marketing")], []),
], ids=["scope", "duplicate-entry", "empty"])
def test_the_summed_digest_tells_lists_apart(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> None:
    assert digests.digest(a, digests.SUMMED) != digests.digest(b, digests.SUMMED)


def test_the_two_schemes_differ_and_an_unknown_one_is_refused() -> None:
    entries = [("a" * 64, "marketing")]
    assert digests.digest(entries, digests.SORTED) != digests.digest(entries, digests.SUMMED)
    assert digests.digest([], digests.SUMMED) == hashlib.sha256(b"optout list digest 2\n" + bytes(512)).hexdigest()
    with pytest.raises(OptoutError, match="unknown list digest scheme 3"):
        digests.digest(entries, 3)
