"""SPEC §4.3: suppression is monotonic; only a later re-consent lifts it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ledger.state import EventFacts, _by_rule, lift_must_follow, state_of_key, states

pytestmark = pytest.mark.unit


def ev(action: str, day: int, scope: str = "marketing", channel: str = "phone") -> EventFacts:
    return EventFacts("k", "a@example.com", "a@example.com", channel, scope, action, datetime(2026, 10, day, tzinfo=UTC))


@pytest.mark.parametrize(
    ("events", "scope"),
    [
        ([ev("suppress", 1)], "marketing"),
        ([ev("suppress", 1), ev("suppress", 2, "all", "cancellation")], "all"),
        ([ev("suppress", 1), ev("lift", 2)], None),  # re-consent after the opt-out lifts it
        ([ev("lift", 2), ev("suppress", 1)], None),  # an old opt-out arriving late does not undo it
        ([ev("suppress", 1), ev("lift", 2), ev("suppress", 3)], "marketing"),  # asked again
        ([ev("suppress", 2), ev("lift", 2)], "marketing"),  # a tie stays suppressed
        ([ev("suppress", 1), ev("suppress", 3, "all"), ev("lift", 2)], "all"),  # not later than every one
        ([ev("lift", 1)], None),
    ],
)
def test_state(events: list[EventFacts], scope: str | None) -> None:
    state = state_of_key(events)
    assert (state.scope if state else None) == scope


def test_channels_and_times_of_the_live_suppressions() -> None:
    state = state_of_key(
        [ev("suppress", 1, channel="phone"), ev("lift", 2), ev("suppress", 3, channel="postal_mail"), ev("suppress", 4, channel="phone")]
    )
    assert state is not None
    assert state.channels == "phone,postal_mail"
    assert state.first_requested_at.day == 3
    assert state.last_requested_at.day == 4


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def timed(action: str, when: str) -> EventFacts:
    return EventFacts("k", "a@example.com", "a@example.com", "postal_mail", "marketing", action, at(when))


@pytest.mark.parametrize(
    ("events", "suppressed"),
    [
        # A letter dated 9 October (read as midnight) and an opt-in at 15:17 that day: which came
        # first is unknown, so the opt-out stands.
        ([timed("suppress", "2026-10-09T00:00:00+00:00"), timed("lift", "2026-10-09T15:17:00+00:00")], True),
        ([timed("suppress", "2026-10-09T00:00:00+00:00"), timed("lift", "2026-10-09T23:59:59.999999+00:00")], True),
        ([timed("suppress", "2026-10-09T00:00:00+00:00"), timed("lift", "2026-10-10T00:00:00+00:00")], False),
        # A time of day is taken at its word.
        ([timed("suppress", "2026-10-09T09:00:00+00:00"), timed("lift", "2026-10-09T15:17:00+00:00")], False),
        ([timed("suppress", "2026-10-09T00:00:01+00:00"), timed("lift", "2026-10-09T15:17:00+00:00")], False),
        # Midnight in another zone is a time of day in UTC.
        ([timed("suppress", "2026-10-09T00:00:00-04:00"), timed("lift", "2026-10-09T15:17:00+00:00")], False),
    ],
)
def test_a_date_only_opt_out_lasts_to_the_end_of_its_day_for_re_consent(events: list[EventFacts], suppressed: bool) -> None:
    assert (state_of_key(events) is not None) == suppressed


def test_the_spelling_shown_does_not_depend_on_load_order() -> None:
    def spelled(address: str, hour: int) -> EventFacts:
        return EventFacts("k", "ab@example.com", address, "phone", "marketing", "suppress", datetime(2026, 10, 9, hour, tzinfo=UTC))

    events = [spelled("A.B@example.com", 9), spelled("ab+news@example.com", 11), spelled("AB@example.com", 11)]
    shown = {state.address for state in (state_of_key(events), state_of_key(events[::-1]), state_of_key(events[1:] + events[:1]))
             if state is not None}
    assert shown == {"AB@example.com"}  # the newest request; of two at 11:00, the smaller spelling


@pytest.mark.parametrize(
    ("requested", "must_follow"),
    [
        ("2026-10-09T00:00:00+00:00", "2026-10-09T23:59:59.999999+00:00"),
        ("2026-10-09T02:00:00+02:00", "2026-10-09T23:59:59.999999+00:00"),  # midnight UTC written in another zone
        ("2026-10-09T00:00:00.000001+00:00", "2026-10-09T00:00:00.000001+00:00"),
        ("2026-10-09T00:00:00-04:00", "2026-10-09T04:00:00+00:00"),
        ("2026-12-31T00:00:00+00:00", "2026-12-31T23:59:59.999999+00:00"),
    ],
    ids=["midnight", "midnight-utc-elsewhere", "one-microsecond-past", "local-midnight", "year-end"],
)
def test_lift_must_follow(requested: str, must_follow: str) -> None:
    assert lift_must_follow(at(requested)) == at(must_follow)
    assert lift_must_follow(at(requested)).utcoffset() is not None


def test_states_per_key() -> None:
    events = [
        EventFacts("k1", "a@example.com", "a@example.com", "phone", "marketing", "suppress", datetime(2026, 10, 1, 9, tzinfo=UTC)),
        EventFacts("k2", "b@example.com", "b@example.com", "web_form", "all", "suppress", datetime(2026, 10, 1, 9, tzinfo=UTC)),
        EventFacts("k1", None, None, "web_form", "marketing", "lift", datetime(2026, 10, 2, 9, tzinfo=UTC)),
    ]
    result = states(events)
    assert set(result) == {"k1", "k2"}
    assert result["k1"] is None
    k2 = result["k2"]
    assert k2 is not None
    assert (k2.key_hash, k2.scope, k2.channels, k2.address) == ("k2", "all", "web_form", "b@example.com")
    assert states([]) == {}


def test_an_erased_key_stays_suppressed_without_its_clear_text() -> None:
    state = state_of_key([EventFacts("k", None, None, "phone", "marketing", "suppress", datetime(2026, 10, 1, 9, tzinfo=UTC))])
    assert state is not None
    assert (state.key_hash, state.match_key, state.address, state.scope) == ("k", None, None, "marketing")


@settings(max_examples=300, deadline=None)
@given(
    match_key=st.one_of(st.none(), st.text(max_size=20)), address=st.one_of(st.none(), st.text(max_size=20)),
    channel=st.sampled_from(["phone", "import", "esp_events"]), scope=st.sampled_from(["marketing", "all", "other"]),
    at=st.datetimes(timezones=st.just(UTC)),
)
def test_one_suppressing_event_takes_the_short_path_to_the_same_state(
    match_key: str | None, address: str | None, channel: str, scope: str, at: datetime,
) -> None:
    e = EventFacts("k", match_key, address, channel, scope, "suppress", at)
    assert state_of_key([e]) == _by_rule([e])


facts = st.builds(
    EventFacts,
    st.sampled_from(["k1", "k2", "k3", "k4"]), st.one_of(st.none(), st.sampled_from(["a@x.example", "b@x.example"])),
    st.sampled_from(["a@x.example", "A@x.example", None]), st.sampled_from(["phone", "postal_mail"]),
    st.sampled_from(["marketing", "all"]), st.sampled_from(["suppress", "lift"]),
    st.datetimes(min_value=datetime(2026, 10, 1), max_value=datetime(2026, 10, 4), timezones=st.just(UTC)),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(facts, max_size=12))
def test_states_equals_the_rule_applied_to_each_key_in_first_seen_order(events: list[EventFacts]) -> None:
    by_key: dict[str, list[EventFacts]] = {}
    for e in events:
        by_key.setdefault(e.key_hash, []).append(e)
    result = states(events)
    assert list(result) == list(by_key)  # the order keys are written to the list in
    assert result == {k: state_of_key(v) for k, v in by_key.items()}
