"""The serve logs as closed segments: a segment closes after its lines, its seconds, at the
day's end and on shutdown; while open it has a name no run reads; a stopped server's open
segments are closed by the next one, and nothing closed is ever overwritten."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.core.clock import FixedClock
from pipeline.http.segments import GRACE, SegmentLog, close_segment
from pipeline.intake.landing import in_flight

pytestmark = pytest.mark.unit
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def log(tmp_path: Path, clock: FixedClock, seconds: float = 60, lines: int = 3) -> SegmentLog:
    return SegmentLog(tmp_path, clock, max_seconds=seconds, max_lines=lines)


def closed(tmp_path: Path) -> list[Path]:
    return sorted(p for p in tmp_path.glob("*/*/*") if not in_flight(p.name))


def open_files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in tmp_path.glob("*/*/.*") if p.name.endswith(".part"))


def lines_of(paths: list[Path]) -> list[bytes]:
    return [line for p in paths for line in p.read_bytes().splitlines()]


def test_a_segment_closes_after_its_lines_and_open_ones_are_not_readable(tmp_path: Path) -> None:
    segments = log(tmp_path, FixedClock(AT))
    for n in range(7):
        segments.append("unsubscribe_link", "clicks", f"line {n}\n".encode())
    done, pending = closed(tmp_path), open_files(tmp_path)
    assert [len(p.read_bytes().splitlines()) for p in done] == [3, 3] and len(pending) == 1
    assert all(in_flight(p.name) for p in pending)  # no run reads it
    assert lines_of(done) + lines_of(pending) == [f"line {n}".encode() for n in range(7)]
    assert done[0].name.startswith(f"clicks-{socket.gethostname()}-{os.getpid()}-20261202T090000Z-")
    assert segments.close_all() == [pending[0].with_name(pending[0].name[1:-5])]
    assert open_files(tmp_path) == [] and len(lines_of(closed(tmp_path))) == 7


def test_a_segment_closes_after_its_seconds(tmp_path: Path) -> None:
    clock = FixedClock(AT)
    segments = log(tmp_path, clock, seconds=5, lines=1000)
    segments.append("esp_events", "sendgrid", b"[]\n")
    clock.at = AT + timedelta(seconds=4)
    assert segments.close_expired() == [] and len(open_files(tmp_path)) == 1
    clock.at = AT + timedelta(seconds=5)
    (path,) = segments.close_expired()
    assert path.name.startswith("sendgrid-") and path.parent.name == "2026-12-02" and open_files(tmp_path) == []


def test_the_day_changes_the_segment(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 12, 2, 23, 59, 59, tzinfo=UTC))
    segments = log(tmp_path, clock, lines=1000)
    segments.append("unsubscribe_link", "clicks", b"late\n")
    clock.at = datetime(2026, 12, 3, 0, 0, 1, tzinfo=UTC)
    segments.append("unsubscribe_link", "clicks", b"early\n")
    assert [(p.parent.name, p.read_bytes()) for p in closed(tmp_path)] == [("2026-12-02", b"late\n")]
    assert [p.parent.name for p in open_files(tmp_path)] == ["2026-12-03"]


def test_each_prefix_has_its_own_segment(tmp_path: Path) -> None:
    segments = log(tmp_path, FixedClock(AT), lines=2)
    for provider in ("sendgrid", "mailgun", "sendgrid"):
        segments.append("esp_events", provider, provider.encode() + b"\n")
    (done,) = closed(tmp_path)
    assert done.name.startswith("sendgrid-") and done.read_bytes() == b"sendgrid\nsendgrid\n"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def leave_open(tmp_path: Path, host: str, pid: int, opened: datetime, body: bytes = b"x\n") -> Path:
    folder = tmp_path / "unsubscribe_link" / opened.date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".clicks-{host}-{pid}-{opened.strftime('%Y%m%dT%H%M%SZ')}-000001.jsonl.part"
    path.write_bytes(body)
    return path


def test_recovery_closes_what_a_stopped_server_left(tmp_path: Path) -> None:
    host, now = socket.gethostname(), AT
    dead = leave_open(tmp_path, host, dead_pid(), now - timedelta(seconds=1))
    reused = leave_open(tmp_path, host, os.getpid(), now - timedelta(seconds=2))  # a container restarted as the same pid
    other_old = leave_open(tmp_path, "web-2", 4242, now - timedelta(seconds=60) - GRACE - timedelta(seconds=1))
    other_live = leave_open(tmp_path, "web-3", 4243, now - timedelta(seconds=30))  # another host may still write it
    live_here = leave_open(tmp_path, host, os.getppid(), now - timedelta(seconds=30))  # a live process of this host
    stranger = tmp_path / "unsubscribe_link" / now.date().isoformat() / ".notes.jsonl.part"
    stranger.write_bytes(b"?")
    recovered = log(tmp_path, FixedClock(now)).recover()
    assert sorted(p.name for p in recovered) == sorted(p.name[1:-5] for p in (dead, reused, other_old))
    assert all(p.read_bytes() == b"x\n" for p in recovered)
    assert other_live.exists() and live_here.exists() and stranger.exists()


def test_a_segment_closed_under_the_writer_is_not_written_again(tmp_path: Path) -> None:
    segments = log(tmp_path, FixedClock(AT), lines=1000)
    first = segments.append("unsubscribe_link", "clicks", b"one\n")
    taken = close_segment(first)  # another server's recovery closed it
    segments.append("unsubscribe_link", "clicks", b"two\n")
    segments.close_all()
    assert taken.read_bytes() == b"one\n"
    assert sorted(lines_of(closed(tmp_path))) == [b"one", b"two"]


def test_closing_never_overwrites(tmp_path: Path) -> None:
    inflight = leave_open(tmp_path, "h", 1, AT, b"new\n")
    existing = inflight.with_name(inflight.name[1:-5])
    existing.write_bytes(b"old\n")
    moved = close_segment(inflight)
    assert moved != existing and existing.read_bytes() == b"old\n" and moved.read_bytes() == b"new\n"
    assert not in_flight(moved.name) and moved.name.endswith(".jsonl")


@pytest.mark.parametrize(("seconds", "lines"), [(0, 1), (-1, 1), (1, 0)])
def test_a_segment_needs_a_positive_size(tmp_path: Path, seconds: float, lines: int) -> None:
    with pytest.raises(ValueError):
        log(tmp_path, FixedClock(AT), seconds=seconds, lines=lines)
