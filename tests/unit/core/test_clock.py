"""The clock runs, demos and tests can fix, and `as_utc`: any stored or given time in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pipeline.core.clock import FixedClock, SystemClock, as_utc

pytestmark = pytest.mark.unit

AT = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
NOON = datetime(2026, 10, 9, 12, 0, tzinfo=UTC)
PLUS_2 = timezone(timedelta(hours=2))
MINUS_5 = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (timedelta(0), [AT, AT, AT]),
        (timedelta(seconds=1), [AT, AT + timedelta(seconds=1), AT + timedelta(seconds=2)]),
        (timedelta(days=-1), [AT, AT - timedelta(days=1), AT - timedelta(days=2)]),
    ],
    ids=["fixed", "advancing", "backwards"],
)
def test_fixed_clock(step: timedelta, expected: list[datetime]) -> None:
    clock = FixedClock(AT, step)
    assert [clock.now() for _ in expected] == expected
    assert clock.at == expected[-1] + step


def test_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime(2026, 10, 9, 12, 0), NOON),  # naive (SQLite): UTC wall time
        (NOON, NOON),
        (datetime(2026, 10, 9, 14, 0, tzinfo=PLUS_2), NOON),
        (datetime(2026, 10, 9, 14, 0, tzinfo=ZoneInfo("Europe/Berlin")), NOON),  # summer time
        (datetime(2026, 10, 9, 7, 0, tzinfo=MINUS_5), NOON),
        ("2026-10-09 12:00:00", NOON),  # SQLite's text
        ("2026-10-09T12:00:00", NOON),
        ("2026-10-09 12:00:00.000250", NOON.replace(microsecond=250)),
        ("2026-10-09T14:00:00+02:00", NOON),
        ("2026-10-09T12:00:00Z", NOON),
        ("2026-10-09T12:00:00+00:00", NOON),
        ("2026-10-09", datetime(2026, 10, 9, tzinfo=UTC)),
        (datetime(1, 1, 1), datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_as_utc(raw: datetime | str, expected: datetime) -> None:
    at = as_utc(raw)
    assert at == expected
    assert at.tzinfo is UTC and at.utcoffset() == timedelta(0)
    assert (at.year, at.month, at.day, at.hour, at.microsecond) == (
        expected.year, expected.month, expected.day, expected.hour, expected.microsecond
    )


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", ValueError),
        ("yesterday", ValueError),
        ("2026-13-09 12:00:00", ValueError),
        ("9" * 100_000, ValueError),
        ("2026-10-09 12:00:00\ud800", ValueError),
        (datetime(9999, 12, 31, 23, 0, tzinfo=MINUS_5), OverflowError),  # past year 9999 in UTC
    ],
)
def test_as_utc_refuses_what_is_not_a_stored_timestamp(raw: datetime | str, error: type[Exception]) -> None:
    with pytest.raises(error):
        as_utc(raw)
