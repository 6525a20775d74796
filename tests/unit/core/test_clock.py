"""The clock runs, demos and tests can fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.core.clock import FixedClock, SystemClock

pytestmark = pytest.mark.unit

AT = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)


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
