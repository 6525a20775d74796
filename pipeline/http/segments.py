"""The logs `optout serve` writes (clicks, webhook bodies) as closed segments: each line is
appended and fsynced to an in-flight file before the request is answered, and the file is renamed
to its final name when it closes: after `segment_seconds`, after `segment_lines` lines, when the
day changes, and when the server stops. A run reads only closed segments (an in-flight name
starts with `.` and ends with `.part`, which the landing zone never reads), and a closed segment
is never written again, so a run never sees half a segment and never reads one twice.

In flight: `<landing>/<channel>/<day>/.<prefix>-<host>-<pid>-<opened>-<n>.jsonl.part`;
closed: the same name without the leading `.` and the `.part`.

A server killed before closing leaves its in-flight segments behind, every line in them
fsynced. The next server started on the landing zone closes them (`recover`): those of its own
host whose process is gone (or has its own pid, as after a container restart), and those of any
host opened longer ago than a segment may stay open plus a grace period. Nothing acknowledged is
lost; at worst it is read one interval late."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.core.clock import Clock
from pipeline.core.durable import append_durably, fsync_folder

log = logging.getLogger("optout.segments")
SUFFIX = ".jsonl"
INFLIGHT = ".part"
STAMP = "%Y%m%dT%H%M%SZ"
GRACE = timedelta(minutes=2)  # beyond segment_seconds, before another host's open segment counts as orphaned


@dataclass
class _Segment:
    inflight: Path
    final: Path
    opened: datetime
    lines: int = 0


class SegmentLog:
    """Durable appends into per-(channel, day, prefix) segments of this host and process."""

    def __init__(self, landing: Path, clock: Clock, *, max_seconds: float, max_lines: int) -> None:
        if max_seconds <= 0 or max_lines < 1:
            raise ValueError("a segment needs a positive duration and at least one line")
        self.landing, self.clock = landing, clock
        self.max_age, self.max_lines = timedelta(seconds=max_seconds), max_lines
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.lock = threading.Lock()
        self.open: dict[tuple[str, str], _Segment] = {}  # (channel, prefix) → the open segment
        self.serial = 0
        self.closes = 0  # segments this log has closed (a reader of it asks for a run when it grows)

    def append(self, channel: str, prefix: str, line: bytes) -> Path:
        """Append one whole line (fsynced on return); the in-flight path it went to, or the
        closed one when this line filled the segment."""
        now = self.clock.now()
        day = now.date().isoformat()
        with self.lock:
            segment = self.open.get((channel, prefix))
            if segment is not None and (segment.inflight.parent.name != day or not segment.inflight.exists()):
                # A new day, or the file was closed under us by another server's recovery.
                self._close(channel, prefix)
                segment = None
            if segment is None:
                segment = self._start(channel, prefix, day, now)
            append_durably(segment.inflight, line)
            segment.lines += 1
            if segment.lines >= self.max_lines:
                return self._close(channel, prefix) or segment.inflight
            return segment.inflight

    def close_expired(self) -> list[Path]:
        """Close every segment open for `segment_seconds` or more (the server calls this every second)."""
        now = self.clock.now()
        with self.lock:
            due = [key for key, s in self.open.items() if now - s.opened >= self.max_age]
            return [p for key in due if (p := self._close(*key)) is not None]

    def close_all(self) -> list[Path]:
        """Close every open segment (on shutdown)."""
        with self.lock:
            return [p for key in list(self.open) if (p := self._close(*key)) is not None]

    def _start(self, channel: str, prefix: str, day: str, now: datetime) -> _Segment:
        self.serial += 1
        final = self.landing / channel / day / f"{prefix}-{self.host}-{self.pid}-{now.strftime(STAMP)}-{self.serial:06d}{SUFFIX}"
        segment = _Segment(final.with_name(f".{final.name}{INFLIGHT}"), final, now)
        self.open[(channel, prefix)] = segment
        return segment

    def _close(self, channel: str, prefix: str) -> Path | None:
        segment = self.open.pop((channel, prefix))
        if not segment.inflight.exists():
            return None
        closed = close_segment(segment.inflight)
        self.closes += 1
        return closed

    def recover(self) -> list[Path]:
        """Close the in-flight segments a stopped server left in this landing zone (see above)."""
        closed = []
        cutoff = self.clock.now() - self.max_age - GRACE
        for path in sorted(self.landing.glob(f"*/*/.*{SUFFIX}{INFLIGHT}")):
            owner = _owner(path)
            if owner is None:
                continue
            host, pid, opened = owner
            mine = host == self.host and (pid == self.pid or not _alive(pid))
            if mine or opened < cutoff:
                closed.append(close_segment(path))
                self.closes += 1
                log.warning("closed %s, left open by a server that stopped (%s, pid %s)", closed[-1], host, pid)
        return closed


def close_segment(inflight: Path) -> Path:
    """Rename an in-flight segment to its closed name (never over an existing file), durably."""
    final = inflight.with_name(inflight.name[1 : -len(INFLIGHT)])
    n = 1
    while final.exists():  # cannot happen by naming; never overwrite a closed segment anyway
        final = final.with_name(f"{final.name[: -len(SUFFIX)]}.{n}{SUFFIX}")
        n += 1
    os.replace(inflight, final)
    fsync_folder(final.parent)
    return final


def _owner(inflight: Path) -> tuple[str, int, datetime] | None:
    """(host, pid, opened) from an in-flight segment's name; None for any other hidden file."""
    stem = inflight.name[1 : -len(SUFFIX + INFLIGHT)]
    parts = stem.rsplit("-", 3)
    if len(parts) != 4 or "-" not in parts[0]:
        return None
    head, pid, stamp, _serial = parts
    try:
        return head.split("-", 1)[1], int(pid), datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
