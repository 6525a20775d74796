"""The clock, behind a small interface so runs, demos and tests can fix the time, and the one
normalisation of a stored or given time to UTC (`as_utc`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that returns a set time (advancing by `step` on each call, if given)."""

    at: datetime
    step: timedelta = timedelta(0)

    def now(self) -> datetime:
        current = self.at
        self.at = self.at + self.step
        return current


@lru_cache(maxsize=4096)
def as_utc(raw: datetime | str) -> datetime:
    """A time in UTC: a stored timestamp as read raw from SQLite (text or naive, UTC) or PostgreSQL
    (aware, any session offset), or an aware time in any offset."""
    value = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
