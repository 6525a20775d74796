"""The intake record every channel yields: what it stores (clean text, bounded fields, long ids
as hashes), the outcome/reason pairings it enforces, and the reconciliation counts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.intake.records import (
    MAX_DETAILS,
    MAX_LOCATOR,
    MAX_REF,
    REASONS,
    Action,
    IntakeRecord,
    OptoutRequest,
    Outcome,
    Reconciliation,
    Scope,
    bounded,
    storable,
    storable_ref,
    storable_text,
)

pytestmark = pytest.mark.unit

AT = datetime(2026, 10, 9, tzinfo=UTC)
REQUEST = OptoutRequest("a@example.com", "a@example.com", Scope.MARKETING)


def record(outcome: Outcome = Outcome.ACCEPTED, reason: str = "optout", **kw: Any) -> IntakeRecord:
    kw.setdefault("requests", (REQUEST,) if outcome is Outcome.ACCEPTED else ())
    fields: dict[str, Any] = {"channel": "web_form", "source_ref": "r1", "raw": {"email": "a@example.com"}, "locator": "line 2"}
    fields.update(kw)
    return IntakeRecord(requested_at=AT, outcome=outcome, reason=reason, **fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\x00b", "a\ufffdb"),
        ("\x00\x00", "\ufffd\ufffd"),
        ("zoë\x00", "zoë\ufffd"),
        ("x\ud800y", "x\ufffdy"),
        ("\udfff", "\ufffd"),
        ("bad\udcff name", "bad\ufffd name"),  # an undecodable file name byte (surrogateescape)
        ("😀 emoji", "😀 emoji"),  # a real astral character is kept
        ("", ""),
    ],
    ids=["ascii", "nul", "two-nuls", "nul-non-ascii", "high-surrogate", "low-surrogate", "surrogateescape", "astral", "empty"],
)
def test_storable_text(text: str, expected: str) -> None:
    assert storable_text(text) == expected
    assert storable_text(expected) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": "b", "n": 1, "none": None}, {"a": "b", "n": 1, "none": None}),
        ({"k\x00": ["v\ud800", ("t\x00",)]}, {"k\ufffd": ["v\ufffd", ("t\ufffd",)]}),
        ([1, "x\x00"], [1, "x\ufffd"]),
        ({1: "\x00"}, {1: "\ufffd"}),
    ],
    ids=["clean", "nested-keys-lists-tuples", "list", "non-string-key"],
)
def test_storable(value: Any, expected: Any) -> None:
    assert storable(value) == expected
    assert type(storable(value)) is type(expected)


def test_a_clean_value_is_returned_as_it_is() -> None:
    value = {"a": ["b"]}
    assert storable(value) is value


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abc", 3, "abc"),
        ("abcd", 3, "abc… [4 characters]"),
        ("x" * 12345, 2, "xx… [12,345 characters]"),
        ("", 0, ""),
    ],
    ids=["at-limit", "one-over", "thousands-separator", "empty"],
)
def test_bounded(text: str, limit: int, expected: str) -> None:
    assert bounded(text, limit) == expected


def _ref_hash(ref: str) -> str:
    return "sha256:" + hashlib.sha256(ref.encode()).hexdigest()[:32]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("msg-1", "msg-1"),
        ("x" * MAX_REF, "x" * MAX_REF),
        ("x" * (MAX_REF + 1), _ref_hash("x" * (MAX_REF + 1))),
        ("é" * (MAX_REF + 1), _ref_hash("é" * (MAX_REF + 1))),
        ("a\x00" + "x" * MAX_REF, _ref_hash("a\ufffd" + "x" * MAX_REF)),  # cleaned, then hashed
    ],
    ids=["short", "at-limit", "one-over", "non-ascii-over", "nul-over"],
)
def test_long_ids_are_stored_as_their_hash(ref: str, expected: str) -> None:
    assert storable_ref(ref) == expected
    assert record(source_ref=ref).source_ref == expected


def test_construction_makes_every_field_storable() -> None:
    r = record(source_ref="r\x00", locator="line\x00" + "9" * 500, details="why\ud800" + "." * 5000, raw={"e\x00": "v\x00"})
    assert r.source_ref == "r\ufffd"
    assert r.locator == ("line\ufffd" + "9" * 500)[:MAX_LOCATOR]
    assert r.details == bounded("why\ufffd" + "." * 5000, MAX_DETAILS)
    assert r.details.endswith("… [5,004 characters]")
    assert r.raw == {"e\ufffd": "v\ufffd"}
    assert r.requests == (REQUEST,)
    assert r.review == ""


PAIRS = [(outcome, reason) for outcome, reasons in REASONS.items() for reason in sorted(reasons)]


@pytest.mark.parametrize(("outcome", "reason"), PAIRS, ids=[f"{o}-{r}" for o, r in PAIRS])
def test_every_reason_of_its_outcome_is_accepted(outcome: Outcome, reason: str) -> None:
    r = record(outcome, reason)
    assert (r.outcome, r.reason) == (outcome, reason)


WRONG = [
    (outcome, reason) for outcome in Outcome for other, reasons in REASONS.items() if other is not outcome
    for reason in sorted(reasons) if reason not in REASONS[outcome]
]


@pytest.mark.parametrize(("outcome", "reason"), WRONG, ids=[f"{o}-{r}" for o, r in WRONG])
def test_a_reason_of_another_outcome_is_refused(outcome: Outcome, reason: str) -> None:
    with pytest.raises(ValueError, match=f"reason '{reason}' is not a {outcome} reason"):
        record(outcome, reason)


def test_the_reason_sets_do_not_overlap_and_cover_every_outcome() -> None:
    assert set(REASONS) == set(Outcome)
    every = [reason for reasons in REASONS.values() for reason in reasons]
    assert len(every) == len(set(every))


@pytest.mark.parametrize(
    ("outcome", "reason", "kw", "message"),
    [
        (Outcome.ACCEPTED, "optout", {"requests": ()}, "an accepted record needs at least one opt-out request"),
        (Outcome.IGNORED, "not_optout", {"requests": (REQUEST,)}, "a ignored record carries no requests"),
        (Outcome.REJECTED, "invalid_address", {"requests": (REQUEST,)}, "a rejected record carries no requests"),
        (Outcome.NEEDS_REVIEW, "unclear", {"requests": (REQUEST,)}, "a needs_review record carries no requests"),
        (Outcome.ACCEPTED, "optout", {"review": "optout"}, "review reason 'optout' is not a needs_review reason"),
        (Outcome.ACCEPTED, "optout", {"review": "bogus"}, "review reason 'bogus' is not a needs_review reason"),
        (Outcome.ACCEPTED, "nonsense", {}, "reason 'nonsense' is not a accepted reason"),
    ],
    ids=["accepted-without-request", "ignored-with-request", "rejected-with-request", "review-with-request",
         "review-reason-of-accepted", "unknown-review-reason", "unknown-reason"],
)
def test_refused_records(outcome: Outcome, reason: str, kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        record(outcome, reason, **kw)
    assert str(raised.value) == message


def test_an_accepted_record_may_ask_for_review() -> None:
    assert record(review="sender_not_on_account").review == "sender_not_on_account"


def test_an_opt_out_request_suppresses_by_default() -> None:
    assert REQUEST.action is Action.SUPPRESS


def test_reconciliation_counts_outcomes_and_reasons() -> None:
    rec = Reconciliation()
    rec.count(Outcome.ACCEPTED, "optout")
    rec.count(Outcome.ACCEPTED, "optout")
    rec.count("duplicate")
    rec.count(Outcome.REJECTED, "invalid_address")
    rec.count(Outcome.NEEDS_REVIEW, "")
    assert rec.as_dict() == {"read": 5, "accepted": 2, "ignored": 0, "rejected": 1, "needs_review": 1, "duplicate": 1}
    assert rec.reasons == {"accepted:optout": 2, "rejected:invalid_address": 1}
    assert rec.balanced


def test_reconciliation_adds_up() -> None:
    a, b = Reconciliation(), Reconciliation()
    a.count(Outcome.IGNORED, "bounce")
    b.count(Outcome.IGNORED, "bounce")
    b.count(Outcome.ACCEPTED, "complaint")
    a.add(b)
    assert a.as_dict() == {"read": 3, "accepted": 1, "ignored": 2, "rejected": 0, "needs_review": 0, "duplicate": 0}
    assert a.reasons == {"ignored:bounce": 2, "accepted:complaint": 1}
    assert b.as_dict()["read"] == 2  # the other is left as it was


@pytest.mark.parametrize(
    ("counts", "balanced"),
    [({}, True), ({"read": 1}, False), ({"read": 2, "accepted": 1, "duplicate": 1}, True), ({"ignored": 1}, False)],
    ids=["empty", "read-unaccounted", "accounted", "outcome-unread"],
)
def test_balanced(counts: dict[str, int], balanced: bool) -> None:
    assert Reconciliation(**counts).balanced is balanced


def test_an_unknown_outcome_is_an_error() -> None:
    with pytest.raises(AttributeError):
        Reconciliation().count("lost")


def _reference_storable(value: Any) -> Any:
    """Every string made storable one by one: what `storable` must return."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {_reference_storable(k): _reference_storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reference_storable(v) for v in value]
    return value


_TEXT = st.text(alphabet=st.sampled_from(["a", "é", "\x00", "\ud800", "\udc00", "\U0001f600", " "]), max_size=6)
_JSON = st.recursive(
    st.none() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(_JSON)
def test_storable_equals_making_each_string_storable(value: Any) -> None:
    """Dicts of text are checked as one joined string; that finds what the strings one by one
    would (a lone high surrogate beside a low one included)."""
    assert storable(value) == _reference_storable(value)
