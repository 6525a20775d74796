"""Reading the timestamps exports write: ISO 8601, spreadsheet forms, naive local times."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_TEXT = 64  # longer text is no time an export writes
# What is handed to `fromisoformat`, which alone would also read any character as the date-time
# separator, ignore a trailing NUL, and take a 30-digit id for 1111-11-11T11:11:11.111111.
_ISO = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}(?:[Tt ][0-9:.,+-]+)?")


def parse_time(text: str | None, naive_tz: str = "UTC") -> datetime | None:
    """Parse `text` to an aware UTC datetime; a naive time is local time in `naive_tz`.

    Returns None when the text is empty or not a time we can read with certainty.
    """
    if text is None:
        return None
    s = str(text)
    return _parsed(s, naive_tz) if len(s) <= MAX_REMEMBERED else _parsed_uncached(s, naive_tz)


def _parsed_uncached(text: str, naive_tz: str) -> datetime | None:
    s = text.strip()
    if not s:
        return None
    parsed = _parse(s)
    if parsed is None:
        return None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(naive_tz))
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. 9999-12-31T23:00-05:00 lies past year 9999 in UTC
        return None


# An export repeats its times (a letter's date, a call's minute): each text is read once. A
# datetime cannot be changed by whoever is handed it; only short texts are kept as keys.
_parsed = lru_cache(maxsize=4096)(_parsed_uncached)
MAX_REMEMBERED = 128


def _parse(s: str) -> datetime | None:
    if len(s) > MAX_TEXT:
        return None
    iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
    if _ISO.fullmatch(iso):
        try:
            return datetime.fromisoformat(iso)
        except ValueError:
            pass
    if s.isdigit() and len(s) in (10, 13):  # unix seconds or milliseconds
        seconds = int(s) / (1000 if len(s) == 13 else 1)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    for fmt in _FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


def arrival_time(folder_date: date) -> datetime:
    """When a file is taken to have arrived: the start of its landing folder's day (UTC).

    Used for records whose own time is missing or absurd; the earliest bound keeps the
    deadline clocks conservative.
    """
    return datetime.combine(folder_date, time(0, 0), tzinfo=UTC)


def plausible(at: datetime | None, arrival: datetime) -> bool:
    """A request time is absurd before 1990 or more than a day after its file arrived."""
    return at is not None and EARLIEST <= at <= arrival + timedelta(days=2)


def request_time(text: str | None, arrival: datetime, naive_tz: str = "UTC") -> tuple[datetime, str]:
    """The record's requested_at, and a note when the arrival time had to stand in for it."""
    at = parse_time(text, naive_tz)
    if plausible(at, arrival):
        assert at is not None
        return at, ""
    shown = text if text is None or len(text) <= 80 else text[:80] + "…"
    note = "missing" if not (text or "").strip() else f"unreadable or absurd ({shown!r})"
    return arrival, f"request time {note}; the file's arrival time is used"
