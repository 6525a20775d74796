"""The CSV block reader: the file cut into blocks of whole rows (`pipeline.check.csvstream`),
judged on every core (`pipeline.check.blocks`) and written in order, the kept rows byte for byte.

A file of up to two blocks is judged here, in this process: forking workers would cost more than
it saves. The input must not change while it is checked: its size and change time are compared
before and after (workers read it again by offset). A file this reader does not handle raises a
`pipeline.check.csvstream` signal (`NotUtf8`, `BareReturns`, `IrregularCsv`, `BadText`) for
`pipeline.check.run` to choose what reads it next."""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from operator import attrgetter
from typing import BinaryIO

import pyarrow as pa

from pipeline.check.blocks import REMOVED_COLUMNS, BlockJob, DistinctKeys, Judged, block_pool, default_workers, neutralised_rows
from pipeline.check.csvstream import BLOCK_SIZE, chunks, read_header, views
from pipeline.check.io import HashingReader, HashingWriter, Tally, address_column, file_identity
from pipeline.check.reader import Job
from pipeline.core.errors import OptoutError


class BlockReader:
    name = "csv-blocks"

    def read(self, job: Job) -> Tally:
        shown = job.shown
        workers = job.workers or default_workers()
        block_size = job.block_size or BLOCK_SIZE
        src = HashingReader(job.path)
        before = file_identity(src.fh)
        out = HashingWriter(job.output)
        rem = job.removed.open("wb") if job.removed else None
        tally = Tally(reader=self.name)
        distinct = DistinctKeys()
        try:
            header, names, eol = read_header(src, job.cp1252, job.delimiter)  # type: ignore[arg-type]
            if not names:
                raise OptoutError(f"{shown}: empty file, no header row")
            col = address_column(names, job.column, shown)
            out.write(header + eol)
            if rem:
                rem.write(removed_header(header, job.delimiter) + b"\n")
            block_job = BlockJob(str(job.path), len(names), col, job.cp1252, job.lst, rem is not None, job.delimiter)
            offset = src.fh.tell()
            if before[1] - offset <= 2 * block_size:
                for data in chunks(src, block_size):  # type: ignore[arg-type]
                    _emit(block_job.judge(data), out, rem, tally, distinct)
            else:
                with block_pool(block_job, workers, block_size) as pool:
                    # Worker processes read their blocks themselves: the parent's reads can reuse one buffer.
                    blocks = views(src, block_size) if pool.slots is not None else chunks(src, block_size)  # type: ignore[arg-type]
                    pending: deque[Future[Judged]] = deque()
                    for block in blocks:
                        pending.append(pool.submit(offset, block))
                        offset += len(block)
                        while len(pending) > pool.in_flight:
                            _emit(pending.popleft().result(), out, rem, tally, distinct, pool.kept)
                    while pending:
                        _emit(pending.popleft().result(), out, rem, tally, distinct, pool.kept)
            if file_identity(src.fh) != before:
                raise OptoutError(f"{shown}: the file changed while it was being checked; check it again once it is complete")
        finally:
            src.close()
            tally.output_sha256 = out.close()
            if rem:
                rem.close()
        tally.input_sha256 = src.sha.hexdigest()
        tally.duplicates = distinct.duplicates()
        return tally


BLOCKS = BlockReader()


def removed_header(header: bytes, delimiter: str) -> bytes:
    """The removed rows' header: INPUT's header (cells neutralised) and `REMOVED_COLUMNS`."""
    named = neutralised_rows(pa.array([header.decode("utf-8")], pa.string()), delimiter)[0].as_py()
    return delimiter.join([named, *REMOVED_COLUMNS]).encode("utf-8")


def _emit(judged: Judged, out: HashingWriter, rem: BinaryIO | None, tally: Tally, distinct: DistinctKeys,
          kept: Callable[[Judged], bytes | memoryview] = attrgetter("kept_bytes")) -> None:
    distinct.add(judged.key_hashes, judged.key_groups)
    tally.rows_in += judged.rows
    tally.kept += judged.kept
    tally.invalid += judged.invalid
    tally.suppressed += judged.rows - judged.kept - judged.invalid
    out.write(kept(judged))
    if rem:
        rem.write(judged.removed_bytes)
