"""The check for Parquet lists: Parquet in, Parquet out, every column kept, batch by batch."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.check.blocks import REMOVED_COLUMNS, DistinctKeys, Verdict, judge
from pipeline.check.io import Tally, address_column
from pipeline.check.keys import invalid_reason
from pipeline.check.reader import Job
from pipeline.check.receipts import file_sha256
from pipeline.core.errors import OptoutError


class ParquetReader:
    """Parquet in, Parquet out: batches keep every column; removed rows get `REMOVED_COLUMNS`."""

    name = "parquet"

    def read(self, job: Job) -> Tally:
        try:
            source = pq.ParquetFile(job.path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise OptoutError(f"{job.shown}: not a readable Parquet file ({exc})") from None
        schema = source.schema_arrow
        col = address_column(schema.names, job.column, job.shown)
        rem_schema = schema
        for name in REMOVED_COLUMNS:
            rem_schema = rem_schema.append(pa.field(name, pa.string()))
        tally = Tally(reader=self.name)
        distinct = DistinctKeys()
        rem_writer: Any = pq.ParquetWriter(job.removed, rem_schema) if job.removed else _Null()
        plain, rem_plain = without_views(schema), without_views(rem_schema) or rem_schema
        with pq.ParquetWriter(job.output, schema) as out, rem_writer as rem:
            for batch in source.iter_batches(batch_size=1 << 19):
                try:
                    if plain is not None:  # Arrow cannot yet take rows of a view column: filtered as its plain type
                        batch = batch.cast(plain)
                    cells = address_texts(batch.column(col), schema.field(col), job.shown)
                    verdict = judge(cells, job.lst)
                    kept = _as(batch.filter(pa.array(verdict.keep)), schema)
                    removed = _as(_removed_batch(batch, verdict, rem_plain), rem_schema) \
                        if job.removed else None
                except pa.ArrowNotImplementedError as exc:
                    raise OptoutError(f"{job.shown}: its columns cannot be copied row by row ({str(exc).splitlines()[0]})") from None
                _tally(tally, verdict)
                distinct.add(*verdict.key_hashes())
                out.write_batch(kept)
                if removed is not None:
                    rem.write_batch(removed)
        tally.input_sha256 = file_sha256(job.path)
        tally.output_sha256 = file_sha256(job.output)
        tally.duplicates = distinct.duplicates()
        return tally


PARQUET = ParquetReader()

_PLAIN = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}


def without_views(schema: pa.Schema) -> pa.Schema | None:
    """`schema` with string and binary views as their plain types, whose rows Arrow can take, also
    inside dictionaries, lists, structs and maps; None when it has none."""
    def plain(kind: pa.DataType) -> pa.DataType:  # also inside lists, structs and maps
        if pa.types.is_dictionary(kind):
            return pa.dictionary(kind.index_type, plain(kind.value_type), kind.ordered)
        if pa.types.is_list(kind):
            return pa.list_(kind.value_field.with_type(plain(kind.value_type)))
        if pa.types.is_large_list(kind):
            return pa.large_list(kind.value_field.with_type(plain(kind.value_type)))
        if pa.types.is_fixed_size_list(kind):
            return pa.list_(kind.value_field.with_type(plain(kind.value_type)), kind.list_size)
        if pa.types.is_map(kind):
            return pa.map_(kind.key_field.with_type(plain(kind.key_type)), kind.item_field.with_type(plain(kind.item_type)),
                           kind.keys_sorted)
        if pa.types.is_struct(kind):
            return pa.struct([field.with_type(plain(field.type)) for field in kind])
        return _PLAIN.get(kind, kind)

    fields = [field.with_type(plain(field.type)) for field in schema]
    changed = pa.schema(fields, metadata=schema.metadata)
    return None if changed.equals(schema) else changed


def _as(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A batch in the file's own column types (a view column back from its plain type)."""
    return batch if batch.schema.equals(schema) else batch.cast(schema)


def address_texts(cells: pa.Array, field: pa.Field, shown: object) -> pa.Array:
    """The address column as text. A binary column (any layout, or dictionary-encoded) holds UTF-8
    text as a CSV would; a cell whose bytes are not UTF-8 becomes a null (an invalid row, kept like any other). A column of a type
    with no text form (a list, a struct) is refused, naming it."""
    try:
        return pc.cast(cells, pa.string())
    except pa.ArrowInvalid:
        if not _binary(field.type):
            raise
    except pa.ArrowNotImplementedError:
        raise OptoutError(f"{shown}: column {field.name!r} is of type {field.type}, which holds no addresses") from None
    return pa.array([_utf8_or_none(v) for v in cells.to_pylist()], pa.string())


def _binary(kind: pa.DataType) -> bool:
    """A type whose values are bytes: any binary layout, or a dictionary of them."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind)
                or pa.types.is_binary_view(kind))


def _utf8_or_none(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


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
