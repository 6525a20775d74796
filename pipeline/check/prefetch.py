"""The newest list snapshot read by a forked child while a big check starts up (SQLite stores).

Before a big check can judge a row it has imported Arrow and numpy and read the list's snapshot
(about a hundred megabytes for two million entries) out of the store and checked its signature;
in one process these come one after the other, on one core. `optout check` of a file too big
for the small-file path therefore forks a child as it starts: the child opens the store itself,
reads the newest version's snapshot (and the whole snapshot a delta applies over), computes the
snapshot's signature and leaves the bytes in an anonymous memory file, while the parent goes on
with its imports. The parent takes the bytes when it reaches the list, only for the version it
judged fresh in its own read transaction (a publish in between makes them unused), and checks
them as it checks a snapshot read by itself (`pipeline.check.snapshots.problem_of`) except that
the signature it compares is the one the child computed over the same bytes.

Anything that goes wrong in the child (no such store, a locked or damaged one, no snapshot yet,
no `fork` or `memfd_create` on the platform) only means the parent reads the list itself, as
without the child; the child is always reaped, also when the check stops early.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import mmap
import os
import signal
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.bulk import can_fork

__all__ = ["Fetched", "Prefetch", "prefetch"]

QUERY_VERSION = "SELECT max(version) FROM list_versions"
QUERY_ROW = "SELECT rowid, length(body), mac, base FROM list_snapshots WHERE version = ?"
CHUNK = 1 << 20  # bytes of a body read, copied and signed at a time


@dataclass(frozen=True)
class Fetched:
    """A stored snapshot's row as the child read it: body (in the shared memory file), stored
    signature, base version, and the signature the child computed over the body."""

    body: memoryview
    mac: str
    base: int | None
    computed_mac: str


class Prefetch:
    """A running child (`prefetch`); `rows(version)` waits for it and gives what it read."""

    def __init__(self, pid: int, reader: int, memory: int) -> None:
        self.pid, self.reader, self.memory = pid, reader, memory
        self.done = False

    def rows(self, version: int) -> dict[int, Fetched]:
        """The snapshot rows of `version` (and of its base) by version, if the child read that
        version; else nothing. Waits for the child; asked a second time, gives nothing."""
        if self.done:
            return {}
        try:
            report = self._report()
            if report is None or report.get("version") != version:
                return {}
            total = sum(part["length"] for part in report["parts"])
            if not total or os.fstat(self.memory).st_size != total:  # a mapping past its end would fault
                return {}
            shared = memoryview(mmap.mmap(self.memory, total, prot=mmap.PROT_READ))
            return {part["version"]: Fetched(shared[part["offset"] : part["offset"] + part["length"]], part["mac"],
                                             part["base"], part["computed_mac"]) for part in report["parts"]}
        finally:
            self.close()

    def _report(self) -> dict[str, Any] | None:
        """What the child wrote to the pipe once it is done (None if it failed)."""
        chunks = []
        while chunk := os.read(self.reader, 1 << 16):
            chunks.append(chunk)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped elsewhere: its report may be whole, or not
            return None
        finally:
            self.pid = 0
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            report = json.loads(b"".join(chunks))
        except ValueError:
            return None
        return report if isinstance(report, dict) else None

    def close(self) -> None:
        """Stop the child if it still runs, reap it, release the pipe and the memory file (a
        mapping made by `rows` stays valid)."""
        if self.done:
            return
        self.done = True
        if self.pid:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
        os.close(self.reader)
        os.close(self.memory)


def worth_it(input_path: Path, database_url: str, in_database: bool) -> str | None:
    """The SQLite store's path when a check of `input_path` will load the list (a Parquet file,
    or one too big for the small-file path, not checked in the database), else None."""
    from pipeline.check.small import SMALL_BYTES  # here, not at import: only when asked
    from pipeline.check.sniff import PARQUET_SUFFIXES  # here, not at import: only when asked
    from pipeline.store.db import parse_url  # here, not at import: SQLAlchemy, loaded by then

    url = parse_url(database_url)
    if in_database or not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    try:
        big = input_path.stat().st_size > SMALL_BYTES or input_path.suffix.lower() in PARQUET_SUFFIXES
    except OSError:
        return None
    return url.database if big else None


@contextlib.contextmanager
def prefetch(database: str | None, hash_key: str) -> Iterator[Prefetch | None]:
    """A child reading the newest snapshot of the SQLite store at path `database` (None, or a
    process where forking is unsafe: no child, and None)."""
    started = _fork() if database and _can_fork() else None
    if database is None or started is None:
        yield None
        return
    pid, reader, writer, memory = started
    if pid == 0:  # the child: never returns, never runs the parent's clean-ups
        code = 1
        try:
            os.close(reader)
            report = _read_newest(Path(database), hash_key, memory)
            with os.fdopen(writer, "wb") as out:
                out.write(json.dumps(report).encode("utf-8"))
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    child = Prefetch(pid, reader, memory)
    try:
        yield child
    finally:
        child.close()


def _fork() -> tuple[int, int, int, int] | None:
    """(pid, pipe's read end, write end, memory file), forked; None, with nothing left open, where
    the system refuses one of them (no memory files in a sandbox, too many processes or files)."""
    opened: list[int] = []
    try:
        opened.append(os.memfd_create("optout-list-snapshot", os.MFD_CLOEXEC))
        opened.extend(os.pipe())
        pid = os.fork()
    except OSError:
        for fd in opened:
            os.close(fd)
        return None
    memory, reader, writer = opened
    return pid, reader, writer, memory


def _can_fork() -> bool:
    """Where workers may fork (`pipeline.core.bulk.can_fork`: one thread, not daemonic), and the
    platform has anonymous memory files."""
    return hasattr(os, "memfd_create") and can_fork()


def _read_newest(path: Path, hash_key: str, memory: int) -> dict[str, Any]:
    """In the child: the newest version's snapshot row (and its base's) into `memory`, each body
    read a chunk at a time straight from the store's pages (SQLite's incremental blob reads),
    copied into the memory file and signed as it passes."""
    db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=5, isolation_level=None)
    try:
        db.execute("BEGIN")  # one snapshot of the store for the version and its rows
        version = db.execute(QUERY_VERSION).fetchone()[0]
        parts: list[dict[str, Any]] = []
        wanted, offset = version, 0
        while wanted is not None and len(parts) < 2:
            row = db.execute(QUERY_ROW, (wanted,)).fetchone()
            if row is None:
                break
            rowid, length, mac, base = row
            signature = hmac.new(hash_key.encode("utf-8"), digestmod=hashlib.sha256)
            with db.blobopen("list_snapshots", "body", rowid, readonly=True) as blob:
                done = 0
                while done < length:
                    chunk = blob.read(CHUNK)
                    if not chunk:
                        raise OSError("the snapshot body ended early")
                    _write_all(memory, chunk, offset + done)
                    signature.update(chunk)
                    done += len(chunk)
            parts.append({"version": wanted, "offset": offset, "length": length, "mac": mac, "base": base,
                          "computed_mac": signature.hexdigest()})
            offset += length
            wanted = base
        return {"version": version, "parts": parts}
    finally:
        db.close()


def _write_all(fd: int, data: bytes, at: int) -> None:
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], at + done)
