"""Judging a recipient CSV block by block, on every core: what each row gets and the bytes to write.

A block (`pipeline.csvstream`) is keyed (`pipeline.fastkeys`) and matched against the loaded
list; the kept rows come back byte for byte, the removed ones with `,reason,channel,since`.

Blocks are judged in worker processes forked once the list is loaded, so every worker shares
the list's memory pages instead of copying them. A worker reads its block from the file by
offset (the parent reads the file once, to cut it into blocks of whole rows and hash it), and
only the judged bytes come back through a pipe. Where a process cannot fork (no `fork` on the
platform, or the check itself runs in a daemonic process), worker threads do the same work;
Arrow and numpy release the GIL for much of it, not all.
"""
from __future__ import annotations

import mmap
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.csvstream import Block, flat_bytes, kept_bytes, prepare, row_texts
from pipeline.fastkeys import match_keys
from pipeline.suppressed import Entry, RowEntries, SuppressedSet

INVALID_FIELDS = b",invalid_address,,\n"


class EntryByRow(Protocol):
    """The entry that removed a row (a dict, or `RowEntries`)."""

    def __getitem__(self, row: int) -> Entry: ...


@dataclass
class Verdict:
    """What a block's rows get: kept or not, and for removed rows the reason and entry."""

    keep: np.ndarray
    invalid: np.ndarray
    entries: EntryByRow


def judge(cells: pa.Array, lst: SuppressedSet) -> Verdict:
    """Key a column of addresses and match it against the list."""
    keys = match_keys(cells)
    invalid = keys.is_null().to_numpy(zero_copy_only=False)
    suppressed, entries = lst.lookup_many(keys)
    return Verdict(~invalid & ~suppressed, invalid, entries)


@dataclass
class Judged:
    """A judged block, ready to write: kept bytes (or where a worker process left them: an output
    slot), removed bytes and counts."""

    kept_bytes: bytes | memoryview
    removed_bytes: bytes
    rows: int
    kept: int
    invalid: int
    slot: int = -1
    kept_length: int = 0


@dataclass(frozen=True)
class BlockJob:
    """Everything a worker needs besides a block's place in the file."""

    path: str
    ncols: int
    col: int
    cp1252: bool
    lst: SuppressedSet
    with_removed: bool

    def judge(self, data: bytes) -> Judged:
        block = prepare(data, self.ncols, self.col, self.cp1252)
        verdict = judge(block.cells, self.lst)
        removed = removed_bytes(block, verdict) if self.with_removed else b""
        return Judged(kept_bytes(block, verdict.keep), removed, len(block.starts), int(verdict.keep.sum()),
                      int(verdict.invalid.sum()))


class Slots:
    """Output slots in memory shared with the worker processes (an anonymous shared mapping made
    before they fork): a worker leaves a block's kept bytes in the slot it was given and the
    parent writes them from there, so the bulk of the output never goes through a pipe."""

    def __init__(self, count: int, size: int) -> None:
        self.count, self.size = count, size
        self.memory = mmap.mmap(-1, count * size)

    def put(self, judged: Judged, slot: int) -> Judged:
        n = len(judged.kept_bytes)
        if n > self.size:  # a block longer than a slot (rare): its bytes go back through the pipe
            judged.kept_bytes = bytes(judged.kept_bytes)
            return judged
        at = slot * self.size
        self.memory[at : at + n] = judged.kept_bytes
        judged.kept_bytes, judged.slot, judged.kept_length = b"", slot, n
        return judged

    def view(self, judged: Judged) -> bytes | memoryview:
        if judged.slot < 0:
            return judged.kept_bytes
        at = judged.slot * self.size
        return memoryview(self.memory)[at : at + judged.kept_length]


_job: BlockJob | None = None  # a worker process's job and slots, inherited from the parent by fork
_slots: Slots | None = None
_fd: int | None = None


def _start_worker(job: BlockJob, slots: Slots) -> None:
    global _job, _slots, _fd
    _job, _slots, _fd = job, slots, os.open(job.path, os.O_RDONLY)


def _judge_at(offset: int, length: int, slot: int) -> Judged:
    assert _job is not None and _slots is not None and _fd is not None
    data = os.pread(_fd, length, offset)
    if len(data) != length:
        raise OSError(f"{_job.path}: the file shrank during the check")
    return _slots.put(_job.judge(data), slot)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


class BlockPool:
    """`submit(offset, data)` judges the block `data`, found at `offset` of the file, on a worker;
    `kept(judged)` is its kept bytes. At most `in_flight` blocks may be submitted and not yet
    written: a block's output slot is reused by the block `in_flight + 1` places later."""

    def __init__(self, job: BlockJob, workers: int, block_size: int) -> None:
        self.in_flight = 2 * workers
        self.blocks = 0
        self.slots: Slots | None = None
        self.executor: Executor
        if can_fork():
            # A block is its share of the file plus the rest of the row the share cut: a quarter more
            # covers rows up to 4 MiB at the default block size; a longer block goes back inline.
            self.slots = Slots(self.in_flight + 1, block_size + block_size // 4)
            context = multiprocessing.get_context("fork")
            self.executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(job, self.slots))
        else:
            self.executor = ThreadPoolExecutor(workers)
        self.job = job

    def submit(self, offset: int, data: bytes | memoryview) -> Future[Judged]:
        """Worker processes get only the place of `data` in the file; threads get `data` (bytes)."""
        self.blocks += 1
        if self.slots is None:
            return self.executor.submit(self.job.judge, bytes(data))
        return self.executor.submit(_judge_at, offset, len(data), self.blocks % self.slots.count)

    def kept(self, judged: Judged) -> bytes | memoryview:
        return judged.kept_bytes if self.slots is None else self.slots.view(judged)


@contextmanager
def block_pool(job: BlockJob, workers: int, block_size: int) -> Iterator[BlockPool]:
    pool = BlockPool(job, workers, block_size)
    try:
        yield pool
    except BaseException:
        pool.executor.shutdown(wait=True, cancel_futures=True)  # blocks not yet started are dropped
        raise
    pool.executor.shutdown(wait=True)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def removed_bytes(block: Block, verdict: Verdict) -> bytes:
    """The removed rows, each as it was plus `,reason,channel,since`, built without a Python loop
    over rows (a list can remove a million of them): Arrow joins row texts and suffixes."""
    rows = np.flatnonzero(~verdict.keep)
    if not len(rows):
        return b""
    return flat_bytes(pc.binary_join_element_wise(row_texts(block, rows), _suffixes(verdict, rows), b"")).tobytes()


def _suffixes(verdict: Verdict, rows: np.ndarray) -> pa.Array:
    entries = verdict.entries
    invalid = verdict.invalid[rows]
    if isinstance(entries, RowEntries) and not entries.extra:  # the common case: codes, no erased hits
        used, index = np.unique(np.where(invalid, -1, entries.codes[rows]), return_inverse=True)
        table = [INVALID_FIELDS if c < 0 else _suppressed_fields(entries.distinct[c]) for c in used.tolist()]
        return pa.array(table, pa.binary()).take(pa.array(index.ravel()))
    return pa.array(
        [INVALID_FIELDS if bad else _suppressed_fields(entries[r]) for r, bad in zip(rows.tolist(), invalid.tolist(), strict=True)],
        pa.binary(),
    )


@lru_cache(maxsize=65536)
def _suppressed_fields(entry: Entry) -> bytes:
    """`,suppressed,channel,since` for one entry (a list has few distinct ones)."""
    channels = f'"{entry.channels}"' if "," in entry.channels else entry.channels
    return f",suppressed,{channels},{entry.since.isoformat()}\n".encode()
