"""Suppression state from events (SPEC §4.3): monotonic, lifted only by a later re-consent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from pipeline.core.clock import as_utc
from pipeline.intake.records import Action, Scope


class EventFacts(NamedTuple):
    """What the state rule needs to know of one event (a tuple: a publish makes millions)."""

    key_hash: str
    match_key: str | None
    address: str | None
    channel: str
    scope: str
    action: str
    requested_at: datetime


class SuppressionState(NamedTuple):
    key_hash: str
    match_key: str | None
    address: str | None
    scope: str
    first_requested_at: datetime
    last_requested_at: datetime
    channels: str


def lift_must_follow(requested_at: datetime) -> datetime:
    """The moment a re-consent must come after to lift an opt-out requested at `requested_at`.

    Exactly midnight UTC is how a date without a time reads (a letter dated 9 October): the
    opt-out may have been written at any time that day, so only a re-consent after the end of
    that day is provably later (SPEC §4.3; over-suppression is the safe side, SPEC §4.2). A real
    opt-out at midnight to the microsecond is treated the same way."""
    at = as_utc(requested_at)
    if (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0):
        return at + timedelta(days=1) - timedelta(microseconds=1)
    return at


def state_of_key(events: Iterable[EventFacts]) -> SuppressionState | None:
    """The state of one match key given all its events, or None when it is not suppressed.

    A lift counts only when it is later than every suppressing event (a date-only opt-out lasts
    to the end of its day, `lift_must_follow`); a tie stays suppressed. Once lifted, the
    suppressions before the lift no longer count (the person asked again).
    """
    events = list(events)
    if len(events) == 1 and events[0].action == Action.SUPPRESS:
        return _single(events[0])  # most keys of a night or an import: one request, no lift
    return _by_rule(events)


def _by_rule(events: list[EventFacts]) -> SuppressionState | None:
    lifts = [e.requested_at for e in events if e.action == Action.LIFT]
    last_lift = max(lifts) if lifts else None
    live = [
        e for e in events
        if e.action == Action.SUPPRESS and (last_lift is None or lift_must_follow(e.requested_at) >= last_lift)
    ]
    if not live:
        return None
    latest = max(live, key=lambda e: e.requested_at)
    scope = Scope.ALL if any(e.scope == Scope.ALL for e in live) else Scope.MARKETING
    # The spelling shown is that of the newest live request (ties: the smallest spelling), so it
    # does not depend on the order in which channels loaded their files on a given night.
    with_clear = sorted((e for e in live if e.match_key is not None), key=lambda e: (-e.requested_at.timestamp(), e.address or ""))
    return SuppressionState(
        key_hash=latest.key_hash,
        match_key=with_clear[0].match_key if with_clear else None,
        address=with_clear[0].address if with_clear else None,
        scope=str(scope),
        first_requested_at=min(e.requested_at for e in live),
        last_requested_at=latest.requested_at,
        channels=",".join(sorted({e.channel for e in live})),
    )


def _single(e: EventFacts) -> SuppressionState:
    """`state_of_key` of one suppressing event, without the general rule's sorting and sets."""
    clear = e.match_key is not None
    # Positional, and the scope's text taken from a constant: a first night makes 100,000 of these.
    return SuppressionState(
        e.key_hash, e.match_key if clear else None, e.address if clear else None,
        _ALL if e.scope == _ALL else _MARKETING, e.requested_at, e.requested_at, e.channel,
    )


_ALL, _MARKETING = str(Scope.ALL), str(Scope.MARKETING)


def states(events: Iterable[EventFacts]) -> dict[str, SuppressionState | None]:
    """State per key_hash for every key the events touch, keys in the order they first appear.

    Most keys of a night have one event: those skip the list a key with several is given."""
    first: dict[str, EventFacts] = {}
    several: dict[str, list[EventFacts]] = {}
    for e in events:
        key = e.key_hash
        if key not in first:
            first[key] = e
        elif key in several:
            several[key].append(e)
        else:
            several[key] = [first[key], e]
    suppress = Action.SUPPRESS
    return {
        key: _by_rule(several[key]) if key in several else _single(e) if e.action == suppress else _by_rule([e])
        for key, e in first.items()
    }
