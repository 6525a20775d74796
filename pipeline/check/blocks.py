"""Judging a recipient CSV block by block, on every core: what each row gets and the bytes to write.

A block (`pipeline.check.csvstream`) is keyed (`pipeline.check.keys`) and matched against the loaded
list; the kept rows come back byte for byte, the removed ones (neutralised against spreadsheet
formulas) with `REMOVED_COLUMNS`: why, by which entry, which key, scope and first request.
Each block also sends back the sorted distinct hashes of its keys, so the parent can count the
recipients listed more than once across the whole file (`DistinctKeys`).

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
import re
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.check.csvstream import Block, flat_bytes, kept_bytes, prepare, row_texts
from pipeline.check.keyindex import hash64
from pipeline.check.keys import invalid_reason, match_keys
from pipeline.check.loaded_list import Entry, EntryByRow, MatchList, RowEntries
from pipeline.check.rowtext import FORMULA, REMOVED_COLUMNS, csv_line, neutralised_row
from pipeline.core.bulk import can_fork
from pipeline.intake.records import Scope

__all__ = ["REMOVED_COLUMNS", "BlockJob", "DistinctKeys", "Judged", "Verdict", "csv_line", "judge", "neutralised_rows"]



@dataclass
class Verdict:
    """What a block's rows get: kept or not, and for removed rows the reason and entry; each
    row's address cell, match key (null: invalid) and the key's 64-bit hash."""

    keep: np.ndarray
    invalid: np.ndarray
    entries: EntryByRow
    cells: pa.Array
    keys: pa.Array
    hashes: np.ndarray

    def key_hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """The valid keys' hashes grouped by their top byte (a radix pass, not a sort) and how
        many fall in each of the 256 groups: what `DistinctKeys` counts repeats from."""
        valid = self.hashes[~self.invalid]
        top = (valid >> np.uint64(56)).astype(np.uint8)
        return valid[np.argsort(top, kind="stable")], np.bincount(top, minlength=DistinctKeys.PARTS)


def judge(cells: pa.Array, lst: MatchList) -> Verdict:
    """Key a column of addresses and match it against the list."""
    keys = match_keys(cells)
    invalid = keys.is_null().to_numpy(zero_copy_only=False)
    hashes = hash64(keys)
    suppressed, entries = lst.lookup_many(keys, hashes)
    return Verdict(~invalid & ~suppressed, invalid, entries, cells, keys, hashes)


class DistinctKeys:
    """How many valid recipients repeat a match key seen before in the file, from each block's
    key hashes grouped by top byte (8 bytes per recipient). Counted at the end, one group at a
    time across all blocks, sorted on threads (numpy releases the GIL); two different keys
    share a 64-bit hash about once in 10^12 checks of ten million rows, which would count one
    repeat too many."""

    PARTS = 256

    def __init__(self) -> None:
        self.blocks: list[tuple[np.ndarray, np.ndarray]] = []
        self.valid = 0

    def add(self, hashes: np.ndarray, counts: np.ndarray) -> None:
        if len(hashes):
            self.blocks.append((hashes, np.concatenate(([0], np.cumsum(counts)))))
        self.valid += len(hashes)

    def duplicates(self) -> int:
        if not self.blocks:
            return 0

        def distinct(part: int) -> int:
            values = np.concatenate([h[cuts[part] : cuts[part + 1]] for h, cuts in self.blocks])
            values.sort()
            return int(len(values) and 1 + np.count_nonzero(values[1:] != values[:-1]))

        with ThreadPoolExecutor(default_workers()) as pool:
            return self.valid - sum(pool.map(distinct, range(self.PARTS)))


@dataclass
class Judged:
    """A judged block, ready to write: kept bytes (or where a worker process left them: an output
    slot), removed bytes and counts."""

    kept_bytes: bytes | memoryview
    removed_bytes: bytes
    rows: int
    kept: int
    invalid: int
    key_hashes: np.ndarray  # the block's valid keys' hashes, grouped by top byte
    key_groups: np.ndarray  # how many in each group
    slot: int = -1
    kept_length: int = 0


@dataclass(frozen=True)
class BlockJob:
    """Everything a worker needs besides a block's place in the file."""

    path: str
    ncols: int
    col: int
    cp1252: bool
    lst: MatchList
    with_removed: bool
    delimiter: str = ","

    def judge(self, data: bytes) -> Judged:
        block = prepare(data, self.ncols, self.col, self.cp1252, self.delimiter)
        verdict = judge(block.cells, self.lst)
        removed = removed_bytes(block, verdict, self.delimiter) if self.with_removed else b""
        return Judged(kept_bytes(block, verdict.keep), removed, len(block.starts), int(verdict.keep.sum()),
                      int(verdict.invalid.sum()), *verdict.key_hashes())


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


def removed_bytes(block: Block, verdict: Verdict, delimiter: str = ",") -> bytes:
    """The removed rows, each as it was (cells a spreadsheet would evaluate neutralised) plus
    `REMOVED_COLUMNS`, built without a Python loop over rows (a list can remove a million of
    them): Arrow joins row texts and fields."""
    rows = np.flatnonzero(~verdict.keep)
    if not len(rows):
        return b""
    texts = neutralised_rows(row_texts(block, rows).cast(pa.string()), delimiter)
    line = pc.binary_join_element_wise(texts, *removed_fields(verdict, rows, delimiter), delimiter)
    return flat_bytes(pc.binary_join_element_wise(line, "\n", "").cast(pa.binary())).tobytes()


def neutralised_rows(texts: pa.Array, delimiter: str) -> pa.Array:
    """Row texts whose cells a spreadsheet would evaluate (starting `=` `+` `-` `@` tab CR) get
    those cells a leading `'`, as `optout export` writes them; the few rows that may hold one
    (found by one regex over the column) are parsed and re-written by the `csv` module."""
    risky = pc.fill_null(pc.match_substring_regex(texts, rf'(?:^|{re.escape(delimiter)})"?{FORMULA}'), False)
    if not pc.any(risky).as_py():
        return texts
    fixed = [neutralised_row(text, delimiter) for text in pc.filter(texts, risky).to_pylist()]
    return pc.replace_with_mask(texts, risky, pa.array(fixed, pa.string()))


def csv_fields(values: pa.Array, delimiter: str) -> pa.Array:
    """Strings as CSV fields: neutralised against formulas, quoted when they hold the
    delimiter, a quote or a line end (nulls: empty)."""
    values = pc.fill_null(values.cast(pa.string()), "")
    formula = pc.match_substring_regex(values, f"^{FORMULA}")
    if pc.any(formula).as_py():
        values = pc.if_else(formula, pc.binary_join_element_wise("'", values, ""), values)
    special = pc.match_substring_regex(values, f'[{re.escape(delimiter)}"\r\n]')
    if pc.any(special).as_py():
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
        values = pc.if_else(special, quoted, values)
    return values


def iso_times(micros: np.ndarray) -> pa.Array:
    """ISO 8601 UTC (as `datetime.isoformat`) of microseconds since the epoch; -1: null.
    Arrow's cast to text (a tenth of the cost of `strftime`), `T` put in, `.000000` cut."""
    known = micros >= 0
    stamps = pa.array(np.where(known, micros, 0).astype(np.int64)).cast(pa.timestamp("us"))
    text = pc.utf8_replace_slice(pc.cast(stamps, pa.string()), 10, 11, "T")
    text = pc.binary_join_element_wise(pc.replace_substring_regex(text, r"\.000000$", ""), "+00:00", "")
    return pc.if_else(pa.array(known), text, pa.nulls(len(micros), pa.string()))


def removed_fields(verdict: Verdict, rows: np.ndarray, delimiter: str) -> list[pa.Array]:
    """The `REMOVED_COLUMNS` of the given removed rows, one array per column."""
    invalid = verdict.invalid[rows]
    entries = verdict.entries
    reason = pa.array(np.where(invalid, "invalid_address", "suppressed"), pa.string())
    keys = verdict.keys.take(pa.array(rows))
    detail = pa.nulls(len(rows), pa.string())
    if invalid.any():
        bad = pc.filter(verdict.cells.take(pa.array(rows)), pa.array(invalid)).to_pylist()
        detail = pc.replace_with_mask(detail, pa.array(invalid), pa.array([invalid_reason(c) for c in bad], pa.string()))
    if isinstance(entries, RowEntries) and not entries.extra:  # the common case: codes, no erased hits
        codes = np.where(invalid, -1, entries.codes[rows])
        used, index = np.unique(codes, return_inverse=True)
        take = pa.array(index.ravel())
        fields = [(None, None) if c < 0 else _entry_fields(entries.distinct[c]) for c in used.tolist()]
        channel = pa.array([f[0] for f in fields], pa.string()).take(take)
        since = pa.array([f[1] for f in fields], pa.string()).take(take)
        scope = pa.array(np.where(entries.every[rows], str(Scope.ALL), str(Scope.MARKETING)), pa.string())
        scope = pc.if_else(pa.array(invalid), pa.nulls(len(rows), pa.string()), scope)
        first = iso_times(np.where(invalid, -1, entries.requested[rows]))
    else:
        found = [None if bad else entries[r] for r, bad in zip(rows.tolist(), invalid.tolist(), strict=True)]
        channel = pa.array([e.channels if e else None for e in found], pa.string())
        since = pa.array([e.since.isoformat() if e else None for e in found], pa.string())
        scope = pa.array([e.scope if e else None for e in found], pa.string())
        first = pa.array([e.first_requested.isoformat() if e and e.first_requested else None for e in found], pa.string())
    # reason, since, scope and first request are safe by construction (fixed words, ISO times
    # that start with a digit and hold no delimiter): only the others need quoting or neutralising.
    return [reason, csv_fields(channel, delimiter), pc.fill_null(since, ""), csv_fields(keys, delimiter),
            pc.fill_null(scope, ""), pc.fill_null(first, ""), csv_fields(detail, delimiter)]


@lru_cache(maxsize=65536)
def _entry_fields(entry: Entry) -> tuple[str, str]:
    """(channels, since) of an entry as text (a list has few distinct entries; blocks repeat them)."""
    return entry.channels, entry.since.isoformat()
