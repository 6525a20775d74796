"""Deadline arithmetic against hand-computed cases (US federal holidays from `holidays`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.audit.deadlines import (
    BUSINESS_DAYS_10,
    HOURS_48,
    ONE_MONTH,
    add_business_days,
    add_one_month,
    due_times,
    is_business_day,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Friday before Columbus Day (Mon 12 Oct 2026): 13,14,15,16 | 19..23 | 26 -> Monday 26 Oct.
        (date(2026, 10, 9), 10, date(2026, 10, 26)),
        (date(2026, 10, 9), 1, date(2026, 10, 13)),  # Monday 12 is the holiday
        (date(2026, 10, 10), 10, date(2026, 10, 26)),  # a Saturday request counts from the same Tuesday
        (date(2026, 10, 5), 10, date(2026, 10, 20)),  # 6..9 | 13..16 | 19,20 (12 Oct skipped)
        (date(2026, 7, 2), 10, date(2026, 7, 17)),  # Fri 3 Jul 2026 is Independence Day observed
        (date(2026, 11, 25), 10, date(2026, 12, 10)),  # Thanksgiving Thu 26 Nov
        (date(2026, 12, 21), 10, date(2027, 1, 6)),  # Christmas Fri 25 Dec and New Year Fri 1 Jan 2027
        (date(2026, 3, 2), 10, date(2026, 3, 16)),  # no holiday: two plain weeks
    ],
)
def test_add_business_days(start, n, expected):
    assert add_business_days(start, n) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 12), False),  # Columbus Day
        (date(2026, 10, 13), True),
        (date(2026, 10, 10), False),  # Saturday
        (date(2026, 7, 3), False),  # observed holiday
        (date(2026, 12, 24), True),  # not a federal holiday
    ],
)
def test_is_business_day(day, expected):
    assert is_business_day(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 9), date(2026, 11, 9)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 30), date(2028, 2, 29)),  # leap year
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 3, 31), date(2026, 4, 30)),
    ],
)
def test_add_one_month(day, expected):
    assert add_one_month(day) == expected


def test_due_times_of_a_friday_request_before_columbus_day():
    due = due_times(datetime(2026, 10, 9, 16, 30, tzinfo=UTC))
    assert due[HOURS_48] == datetime(2026, 10, 11, 16, 30, tzinfo=UTC)
    assert due[BUSINESS_DAYS_10] == datetime(2026, 10, 26, 23, 59, 59, 999999, tzinfo=UTC)
    assert due[ONE_MONTH] == datetime(2026, 11, 9, 23, 59, 59, 999999, tzinfo=UTC)
