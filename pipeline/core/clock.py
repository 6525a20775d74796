"""The clock, behind a small interface so runs, demos and tests can fix the time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
