"""Reading a night's files on every core. Reading (parsing, classifying, resolving) is pure and
takes most of a run; writing stays in the calling process, one file per transaction in the
usual order, so the store ends exactly as a sequential run would leave it."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from pipeline.accounts import AccountIndex
from pipeline.channels import channel as get_channel
from pipeline.channels.base import Channel, ChannelContext
from pipeline.config import Settings
from pipeline.ingest import read_file
from pipeline.landing import LandedFile
from pipeline.records import IntakeRecord

Read = tuple[list[IntakeRecord], str | None]
_worker: tuple[Settings, AccountIndex] | None = None


def _init(settings: Settings, accounts: AccountIndex) -> None:
    global _worker
    _worker = (settings, accounts)


def _read(name: str, landed: LandedFile) -> Read:
    assert _worker is not None
    settings, accounts = _worker
    return read_file(get_channel(name), landed, ChannelContext(settings, accounts, landed))


def worker_count(settings: Settings) -> int:
    return settings.workers if settings.workers > 0 else (os.cpu_count() or 1)


class FileReaders:
    """Reads submitted files in worker processes (forked, so the accounts index is shared, not
    copied); `read` hands back a file's result, or reads it here if it was not submitted."""

    def __init__(self, settings: Settings, accounts: AccountIndex, workers: int) -> None:
        self.settings, self.accounts = settings, accounts
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(settings, accounts))
        self.futures: dict[tuple[str, str], Future[Read]] = {}

    def submit(self, files: list[LandedFile]) -> None:
        if self.pool is None:
            return
        for landed in sorted(files, key=lambda f: -f.size):  # big files first: better balance
            self.futures[(landed.channel, landed.sha256)] = self.pool.submit(_read, landed.channel, landed)

    def read(self, ch: Channel, landed: LandedFile) -> Read:
        future = self.futures.pop((ch.name, landed.sha256), None)
        if future is None:
            return read_file(ch, landed, ChannelContext(self.settings, self.accounts, landed))
        return future.result()

    def __enter__(self) -> FileReaders:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
