"""The legal clocks an opt-out runs against (SPEC §7 `report`), as pure functions of the
request time. Day-based deadlines count whole UTC calendar days: the request's own day is day
0 and the deadline is the end of the last allowed day (docs/audit.md gives worked examples)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from pipeline.core.clock import as_utc

HOURS_48 = "48h"
BUSINESS_DAYS_10 = "10_business_days"
ONE_MONTH = "1_month"


@dataclass(frozen=True)
class Deadline:
    name: str
    label: str
    rule: str


DEADLINES = (
    Deadline(HOURS_48, "48 hours", "Gmail and Yahoo bulk-sender rules: honour unsubscribes within 2 days"),
    Deadline(
        BUSINESS_DAYS_10,
        "10 business days",
        "CAN-SPAM (16 CFR 316.4), CASL s.11(3): US federal holidays excluded",
    ),
    Deadline(ONE_MONTH, "one month", "GDPR Art. 12(3) and 21(3): same day next month, or its last day"),
)


@lru_cache(maxsize=1)
def us_federal_holidays() -> holidays.HolidayBase:
    """US federal holidays (observed days included) from the maintained `holidays` package."""
    return holidays.country_holidays("US")


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in us_federal_holidays()


def add_business_days(day: date, n: int) -> date:
    """The n-th business day after `day` (which itself never counts, business day or not)."""
    current, counted = day, 0
    while counted < n:
        current += timedelta(days=1)
        if is_business_day(current):
            counted += 1
    return current


def add_one_month(day: date) -> date:
    """The same day of the next month, or that month's last day when it has no such day."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_day(day: date) -> datetime:
    """The last instant of a UTC day: a deadline day is met by anything published on it."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def due_times(requested_at: datetime) -> dict[str, datetime]:
    """When each clock runs out for a request made at `requested_at`."""
    day = as_utc(requested_at).date()
    return {
        HOURS_48: requested_at + timedelta(hours=48),
        BUSINESS_DAYS_10: end_of_day(add_business_days(day, 10)),
        ONE_MONTH: end_of_day(add_one_month(day)),
    }
