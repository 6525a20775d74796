"""The event chain's hashes: keyed hashes of addresses, each row's hash over its fields and
its predecessor's, and the digest of a list version."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ledger.chain import CHAINED_FIELDS, GENESIS, keyed_hash, list_digest, row_hash

pytestmark = pytest.mark.unit

AT = datetime(2026, 10, 9, 8, 30, tzinfo=UTC)


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "record_id": 7,
        "channel": "web_form",
        "address_hash": "a" * 64,
        "key_hash": "b" * 64,
        "scope": "marketing",
        "action": "suppress",
        "requested_at": AT,
        "recorded_at": AT + timedelta(hours=1),
        "run_id": 3,
        "evidence_hash": "c" * 64,
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("secret", "value", "expected"),
    [
        ("k", "a@example.com", hmac.new(b"k", b"a@example.com", hashlib.sha256).hexdigest()),
        ("", "", hmac.new(b"", b"", hashlib.sha256).hexdigest()),
        ("clé", "zoë@example.com", hmac.new("clé".encode(), "zoë@example.com".encode(), hashlib.sha256).hexdigest()),
    ],
    ids=["ascii", "empty", "utf8"],
)
def test_keyed_hash_is_hmac_sha256(secret: str, value: str, expected: str) -> None:
    assert keyed_hash(secret, value) == expected
    assert len(keyed_hash(secret, value)) == 64


@pytest.mark.parametrize(
    ("a", "b"),
    [(("k1", "a@example.com"), ("k2", "a@example.com")), (("k", "a@example.com"), ("k", "b@example.com"))],
    ids=["other-key", "other-value"],
)
def test_keyed_hash_depends_on_key_and_value(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert keyed_hash(*a) != keyed_hash(*b)


def test_row_hash_of_a_known_row() -> None:
    # Pinned: a change to the canonical form would break every stored chain.
    body = (
        '["' + GENESIS + '", 1, 7, "web_form", "' + "a" * 64 + '", "' + "b" * 64 + '", "marketing", "suppress", '
        '"2026-10-09T08:30:00.000000+00:00", "2026-10-09T09:30:00.000000+00:00", 3, "' + "c" * 64 + '"]'
    )
    assert row_hash(GENESIS, row()) == hashlib.sha256(body.encode()).hexdigest()


CHANGES = {
    "id": 2,
    "record_id": 8,
    "channel": "phone",
    "address_hash": "d" * 64,
    "key_hash": "e" * 64,
    "scope": "all",
    "action": "lift",
    "requested_at": AT + timedelta(microseconds=1),
    "recorded_at": AT,
    "run_id": None,
    "evidence_hash": None,
}


def test_every_chained_field_has_a_change() -> None:
    assert set(CHANGES) == set(CHAINED_FIELDS)


@pytest.mark.parametrize(("name", "value"), list(CHANGES.items()), ids=list(CHANGES))
def test_editing_any_field_changes_the_hash(name: str, value: Any) -> None:
    assert row_hash(GENESIS, row(**{name: value})) != row_hash(GENESIS, row())


def test_the_previous_hash_is_covered() -> None:
    assert row_hash("1" * 64, row()) != row_hash(GENESIS, row())


@pytest.mark.parametrize(
    "extra",
    [{"address": "a@example.com"}, {"match_key": "a@example.com"}, {"evidence": "letter"}, {"row_hash": "x"}],
    ids=["address", "match_key", "evidence", "row_hash"],
)
def test_fields_outside_the_chain_do_not_change_the_hash(extra: dict[str, str]) -> None:
    # Erasing the clear text (GDPR) must leave every link intact.
    assert row_hash(GENESIS, {**row(), **extra}) == row_hash(GENESIS, row())


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (row(run_id=None), row(run_id=0), False),  # None is null, not 0
        (row(run_id=None), row(run_id="None"), False),
        (row(id=1), row(id="1"), False),  # types count
        (row(requested_at=AT), row(requested_at=datetime(2026, 10, 9, 8, 30, tzinfo=UTC)), True),
        (row(requested_at=AT), row(requested_at=AT + timedelta(microseconds=1)), False),
        # the same moment read back in another offset (a PostgreSQL session not in UTC) is the same row
        (row(requested_at=AT), row(requested_at=AT.astimezone(timezone(timedelta(hours=2)))), True),
        (row(channel="zoë"), row(channel="zo\u00eb"), True),
        (row(channel="zoë"), row(channel="zoe\u0308"), False),  # no Unicode normalisation
    ],
    ids=["none-vs-zero", "none-vs-text", "int-vs-text", "equal-datetimes", "one-microsecond", "other-offset", "same-text", "nfd-differs"],
)
def test_canonical_forms(a: dict[str, Any], b: dict[str, Any], same: bool) -> None:
    assert (row_hash(GENESIS, a) == row_hash(GENESIS, b)) is same


def test_a_missing_field_is_an_error() -> None:
    broken = row()
    del broken["scope"]
    with pytest.raises(KeyError):
        row_hash(GENESIS, broken)


def _digest(lines: str) -> str:
    return hashlib.sha256(lines.encode()).hexdigest()


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], hashlib.sha256(b"").hexdigest()),
        ([("k1", "marketing")], _digest("k1\tmarketing\n")),
        ([("k2", "all"), ("k1", "marketing")], _digest("k1\tmarketing\nk2\tall\n")),
        ([("k1", "marketing"), ("k2", "all")], _digest("k1\tmarketing\nk2\tall\n")),
        ([("k1", "marketing"), ("k1", "all")], _digest("k1\tall\nk1\tmarketing\n")),
    ],
    ids=["empty", "one", "unsorted", "sorted", "same-key-two-scopes"],
)
def test_list_digest(entries: list[tuple[str, str]], expected: str) -> None:
    assert list_digest(entries) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([("k1", "marketing")], [("k1", "all")]),
        ([("k1", "marketing")], [("k1", "marketing"), ("k1", "marketing")]),
        ([("k1", "marketing")], []),
    ],
    ids=["scope", "duplicate-entry", "empty"],
)
def test_list_digest_tells_lists_apart(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> None:
    assert list_digest(a) != list_digest(b)


def reference_row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The chain's definition, spelled with the JSON encoder: what every stored row_hash was made by."""
    def canonical(value: Any) -> Any:
        if isinstance(value, datetime):
            return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat(timespec="microseconds")
        return value

    body = json.dumps([prev_hash, *[canonical(row[f]) for f in CHAINED_FIELDS]], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127)),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones(), st.just(UTC), st.just(timezone(timedelta(hours=-3))))),
)


@settings(max_examples=400, deadline=None)
@given(prev=st.one_of(st.just(GENESIS), st.text()), values=st.lists(_values, min_size=len(CHAINED_FIELDS), max_size=len(CHAINED_FIELDS)))
def test_row_hash_equals_the_json_definition(prev: str, values: list[Any]) -> None:
    row = dict(zip(CHAINED_FIELDS, values, strict=True))
    assert row_hash(prev, row) == reference_row_hash(prev, row)


@pytest.mark.parametrize("text", ['a"b', "a\\b", "tab\there", "line\nend", "zoë", "\x7f", "\u2028", "é" * 3, ""])
def test_row_hash_of_texts_the_encoder_escapes(text: str) -> None:
    row = dict(zip(CHAINED_FIELDS, [text] * len(CHAINED_FIELDS), strict=True))
    assert row_hash(text, row) == reference_row_hash(text, row)


@settings(max_examples=200, deadline=None)
@given(secret=st.text(max_size=40), value=st.text(max_size=200))
def test_the_importers_prepared_hmac_is_keyed_hash(secret: str, value: str) -> None:
    from pipeline.ledger.chain import keyed_hasher

    assert keyed_hasher(secret)(value) == keyed_hash(secret, value)
