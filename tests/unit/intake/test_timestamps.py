"""Request times as exports write them, read to aware UTC (or the arrival time, with a note)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pipeline.intake import timestamps
from pipeline.intake.timestamps import EARLIEST, arrival_time, parse_time, plausible, request_time

pytestmark = pytest.mark.unit
NOON = datetime(2026, 10, 9, 12, 0, tzinfo=UTC)
PLUS_2 = timezone(timedelta(hours=2))
MINUS_5 = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("text", "naive_tz", "expected"),
    [
        ("2026-10-09T12:00:00Z", "UTC", NOON),
        ("2026-10-09T12:00:00z", "UTC", NOON),
        ("2026-10-09T14:00:00+02:00", "America/New_York", NOON),  # an offset beats the naive zone
        ("2026-10-09 14:00", "Europe/Berlin", NOON),
        ("2026-10-09 08:00:00", "America/New_York", NOON),
        ("2026/10/09 12:00:00", "UTC", NOON),
        ("2026/10/09 12:00", "UTC", NOON),
        ("10/09/2026 12:00:00", "UTC", NOON),  # month first
        ("10/09/2026 12:00 PM", "UTC", NOON),
        ("10/09/2026 12:00:00 PM", "UTC", NOON),
        ("10/09/2026", "UTC", datetime(2026, 10, 9, tzinfo=UTC)),
        ("09.10.2026 12:00", "UTC", NOON),  # day first
        ("09.10.2026", "UTC", datetime(2026, 10, 9, tzinfo=UTC)),
        ("1791547200", "America/New_York", NOON),  # unix seconds are UTC
        ("1791547200000", "UTC", NOON),  # milliseconds
        ("  2026-10-09 12:00:00\r\n", "UTC", NOON),  # CRLF export
        ("\t2026-10-09 12:00:00 ", "UTC", NOON),
        ("2026-10-09T12:00:00" + " " * 10_000, "UTC", NOON),  # padding is not part of the text
        ("20261009T120000Z", "UTC", NOON),  # ISO 8601 basic form
        ("2026-10-09T12:00:00.000+00:00", "UTC", NOON),
        ("2026-10-09t12:00:00", "UTC", NOON),
    ],
)
def test_parse_time_reads(text: str, naive_tz: str, expected: datetime) -> None:
    at = parse_time(text, naive_tz)
    assert at == expected and at is not None and at.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        None, "", "   ", "\r\n", "tomorrow", "12:00", "179154720", "17915472000", "2026-10-09 25:00",
        "13/13/2026", "9999-12-31T23:00-05:00", "0001-01-01T00:00+01:00", "2026-10-09\x0012:00",
        "\ufeff2026-10-09 12:00", "1" * 100_000, "2026-10-09 12:00 " + "x" * 10_000, "\ud800",
        "2026-10-09 12:00:00\x00", "2026-10-09x12:00", "1" * 30, "202610091200000000000", "2026-10-09T12:00:00." + "0" * 100,
    ],
)
def test_parse_time_gives_none_for_what_it_cannot_read_with_certainty(text: str | None) -> None:
    assert parse_time(text) is None


def test_arrival_time_is_the_start_of_the_folder_day_in_utc() -> None:
    assert arrival_time(date(2026, 10, 9)) == datetime(2026, 10, 9, tzinfo=UTC)


ARRIVAL = datetime(2026, 10, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "ok"),
    [
        (None, False),
        (EARLIEST, True),
        (EARLIEST - timedelta(microseconds=1), False),
        (ARRIVAL, True),
        (ARRIVAL + timedelta(days=2), True),
        (ARRIVAL + timedelta(days=2, microseconds=1), False),
    ],
)
def test_plausible(at: datetime | None, ok: bool) -> None:
    assert plausible(at, ARRIVAL) is ok


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("2026-10-08 12:00", datetime(2026, 10, 8, 12, tzinfo=UTC), ""),
        (None, ARRIVAL, "request time missing; the file's arrival time is used"),
        ("  ", ARRIVAL, "request time missing; the file's arrival time is used"),
        ("1989-12-31", ARRIVAL, "request time unreadable or absurd ('1989-12-31'); the file's arrival time is used"),
        ("2026-10-12", ARRIVAL, "request time unreadable or absurd ('2026-10-12'); the file's arrival time is used"),
        ("soon", ARRIVAL, "request time unreadable or absurd ('soon'); the file's arrival time is used"),
    ],
)
def test_request_time(text: str | None, expected: datetime, note: str) -> None:
    assert request_time(text, ARRIVAL) == (expected, note)


def test_request_time_note_cuts_a_huge_field() -> None:
    at, note = request_time("x" * 100_000, ARRIVAL)
    assert at == ARRIVAL
    assert note == f"request time unreadable or absurd ({'x' * 80 + '…'!r}); the file's arrival time is used"


def test_request_time_reads_naive_times_in_the_channel_zone() -> None:
    at, note = request_time("2026-10-08 08:00", ARRIVAL, "America/New_York")
    assert (at, note) == (datetime(2026, 10, 8, 12, tzinfo=UTC), "")


def test_a_time_text_is_read_once_per_zone_and_long_texts_are_not_kept() -> None:
    timestamps._parsed.cache_clear()
    local = parse_time("2026-10-10 10:00", "America/New_York")
    assert parse_time("2026-10-10 10:00", "UTC") != local  # the zone is part of what is remembered
    assert parse_time("2026-10-10 10:00", "America/New_York") == local == datetime(2026, 10, 10, 14, tzinfo=UTC)
    assert timestamps._parsed.cache_info()[:2] == (1, 2)  # hits, misses
    padded = " " * 200 + "2026-10-10"
    assert parse_time(padded) == datetime(2026, 10, 10, tzinfo=UTC) and timestamps._parsed.cache_info().currsize == 2
