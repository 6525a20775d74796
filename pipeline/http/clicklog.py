"""The unsubscribe endpoint's landing log: each request appended as one JSON line to today's
`<landing>/unsubscribe_link/<YYYY-MM-DD>/` file (SPEC §2.1 format), flushed and fsynced
before the answer goes out, so an acknowledged click survives a crash and the nightly run
ingests it."""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.clock import Clock

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


class ClickLog:
    """Appends requests durably; one file a day per host and process, so writers never share
    a file and a day's file is complete once the day is over."""

    def __init__(self, landing: Path, clock: Clock) -> None:
        self.landing = landing
        self.clock = clock
        self.lock = threading.Lock()
        self.name = f"clicks-{socket.gethostname()}-{os.getpid()}.jsonl"

    def path_for(self, day: str) -> Path:
        return self.landing / CHANNEL / day / self.name

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
        with self.lock:
            append_durably(self.path_for(now.date().isoformat()), line)
        return request


def append_durably(path: Path, line: bytes) -> None:
    """One write of a whole line with O_APPEND, then fsync (and the folder's, for a new file)."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
