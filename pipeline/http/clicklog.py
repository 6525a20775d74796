"""The unsubscribe endpoint's landing log: each request whose token verifies appended as one
JSON line to today's `<landing>/unsubscribe_link/<YYYY-MM-DD>/` segment (SPEC §2.1 format),
fsynced before the answer goes out, so an acknowledged click survives a crash and the next run
ingests it once the segment closes (`pipeline.http.segments`).

Requests whose token does not verify are only counted, per day and method, in
`_rejected-<host>-<pid>.json` beside the log (replaced atomically, fsynced; a name starting
with `_` is never ingested), so junk traffic costs a few bytes, not a line each."""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.core import safejson
from pipeline.core.clock import Clock
from pipeline.core.durable import replace_durably
from pipeline.http.segments import SegmentLog

CHANNEL = "unsubscribe_link"
MAX_FIELD = 4096  # a token or user agent longer than this is cut: it cannot verify anyway


@dataclass(frozen=True)
class UnsubscribeRequest:
    event_id: str
    occurred_at: str
    token: str
    method: str
    one_click: bool
    ip: str
    user_agent: str


class _LandingLog:
    """What the click log and the webhook log share: the segments lines go to, and the counter
    of refused requests beside them in the channel's day folder."""

    channel: str

    def __init__(self, landing: Path, clock: Clock, segments: SegmentLog) -> None:
        self.landing = landing
        self.clock = clock
        self.segments = segments
        self.lock = threading.Lock()
        self.rejected = RejectedCounts(landing / self.channel, clock, self.lock)


class ClickLog(_LandingLog):
    """Appends requests durably to segments named `clicks-<host>-<pid>-…`, so writers never
    share a file and a closed segment is complete."""

    channel = CHANNEL

    def record(self, token: str, method: str, one_click: bool, ip: str, user_agent: str) -> UnsubscribeRequest:
        now = self.clock.now()
        request = UnsubscribeRequest(
            event_id=str(uuid.uuid4()),
            occurred_at=now.isoformat().replace("+00:00", "Z"),
            token=token[:MAX_FIELD],
            method=method,
            one_click=one_click,
            ip=ip,
            user_agent=user_agent[:MAX_FIELD],
        )
        line = (json.dumps(asdict(request), ensure_ascii=False) + "\n").encode("utf-8")
        self.segments.append(CHANNEL, "clicks", line)
        return request

    def rejected_path_for(self, day: str) -> Path:
        return self.rejected.path_for(day)

    def count_rejected(self, method: str) -> int:
        """Count one request whose token does not verify; the day's total so far."""
        return self.rejected.count(method)


class RejectedCounts:
    """Refused requests counted per day and key (method, provider) in
    `<folder>/<day>/_rejected-<host>-<pid>.json`, replaced whole and fsynced on each count."""

    def __init__(self, folder: Path, clock: Clock, lock: threading.Lock) -> None:
        self.folder, self.clock, self.lock = folder, clock, lock
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.name = f"_rejected-{self.host}-{self.pid}.json"
        self.days: dict[str, Counter[str]] = {}

    def path_for(self, day: str) -> Path:
        return self.folder / day / self.name

    def count(self, key: str) -> int:
        """Count one refused request under `key`; the day's total so far."""
        now = self.clock.now()
        day = now.date().isoformat()
        path = self.path_for(day)
        with self.lock:
            if day not in self.days:
                # A new day (or a restart that reuses the pid, as in a container): go on from
                # what the file says.
                self.days = {day: read_counts(path)}
            counts = self.days[day]
            counts[key] += 1
            state = {"day": day, "host": self.host, "pid": self.pid, "rejected": dict(sorted(counts.items())),
                     "updated_at": now.isoformat().replace("+00:00", "Z")}
            replace_durably(path, (json.dumps(state) + "\n").encode("utf-8"))
            return sum(counts.values())


def read_counts(path: Path) -> Counter[str]:
    """The per-method counts of a rejected-requests file; empty when absent or unreadable
    (a torn file cannot happen: it is only ever replaced whole)."""
    try:
        state = safejson.loads(path.read_bytes(), safejson.Limits(max_bytes=4096, max_depth=3))
    except (OSError, safejson.UnsafeJSON):
        return Counter()
    counts = state.get("rejected") if isinstance(state, dict) else None
    if not isinstance(counts, dict):
        return Counter()
    return Counter({str(k): v for k, v in counts.items() if type(v) is int and v >= 0})


ESP_CHANNEL = "esp_events"


class HookLog(_LandingLog):
    """The webhook receivers' landing log: each verified body appended as one line to today's
    `<landing>/esp_events/<YYYY-MM-DD>/` segment `<provider>-<host>-<pid>-…`, fsynced before the
    200; refused requests only counted, per provider, in `_rejected-<host>-<pid>.json` beside it."""

    channel = ESP_CHANNEL

    def append(self, provider: str, body: bytes) -> Path:
        """Append one body (already a single line: no CR or LF in it) and its newline."""
        if b"\n" in body or b"\r" in body:
            raise ValueError("a landed body is one line")
        return self.segments.append(ESP_CHANNEL, provider, body + b"\n")

    def count_rejected(self, provider: str) -> int:
        return self.rejected.count(provider)
