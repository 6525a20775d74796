"""The check for Parquet lists: Parquet in, Parquet out, every column kept, batch by batch."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.check.blocks import REMOVED_COLUMNS, DistinctKeys, Verdict, judge
from pipeline.check.keys import invalid_reason
from pipeline.check.loaded_list import SuppressedSet
from pipeline.check.receipts import file_sha256
from pipeline.check.run import Tally, address_column
from pipeline.core.errors import OptoutError


def filter_parquet(input_path: Path, output: Path, removed: Path | None, column: str | None, lst: SuppressedSet) -> Tally:
    """Parquet in, Parquet out: batches keep every column; removed rows get reason/channel/since."""
    try:
        source = pq.ParquetFile(input_path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise OptoutError(f"{input_path}: not a readable Parquet file ({exc})") from None
    schema = source.schema_arrow
    col = address_column(schema.names, column, input_path)
    rem_schema = schema
    for name in REMOVED_COLUMNS:
        rem_schema = rem_schema.append(pa.field(name, pa.string()))
    tally = Tally()
    distinct = DistinctKeys()
    rem_writer: Any = pq.ParquetWriter(removed, rem_schema) if removed else _Null()
    with pq.ParquetWriter(output, schema) as out, rem_writer as rem:
        for batch in source.iter_batches(batch_size=1 << 19):
            cells = pc.cast(batch.column(col), pa.string())
            verdict = judge(cells, lst)
            _tally(tally, verdict)
            distinct.add(*verdict.key_hashes())
            out.write_batch(batch.filter(pa.array(verdict.keep)))
            if removed:
                rem.write_batch(_removed_batch(batch, verdict, rem_schema))
    tally.input_sha256 = file_sha256(input_path)
    tally.output_sha256 = file_sha256(output)
    tally.duplicates = distinct.duplicates()
    return tally


class _Null:
    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *args: object) -> None:
        return None


def _tally(tally: Tally, verdict: Verdict) -> None:
    kept, invalid = int(verdict.keep.sum()), int(verdict.invalid.sum())
    tally.rows_in += len(verdict.keep)
    tally.kept += kept
    tally.invalid += invalid
    tally.suppressed += len(verdict.keep) - kept - invalid


def _removed_batch(batch: pa.RecordBatch, verdict: Verdict, schema: pa.Schema) -> pa.RecordBatch:
    rows = np.flatnonzero(~verdict.keep)
    fields: list[list[str | None]] = [[] for _ in REMOVED_COLUMNS]
    keys = verdict.keys.take(pa.array(rows)).to_pylist()
    cells = verdict.cells.take(pa.array(rows)).to_pylist()
    for row, key, cell in zip(rows.tolist(), keys, cells, strict=True):
        entry = None if verdict.invalid[row] else verdict.entries[row]
        if entry is None:
            values: list[str | None] = ["invalid_address", None, None, None, None, None, invalid_reason(cell)]
        else:
            first = entry.first_requested.isoformat() if entry.first_requested else None
            values = ["suppressed", entry.channels, entry.since.isoformat(), key, entry.scope, first, None]
        for column, value in zip(fields, values, strict=True):
            column.append(value)
    taken = batch.take(pa.array(rows))
    return pa.RecordBatch.from_arrays([*taken.columns, *(pa.array(f, pa.string()) for f in fields)], schema=schema)
