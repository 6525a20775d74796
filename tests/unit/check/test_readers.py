"""Which reader a recipient file gets (pipeline/check/run.py `reader_for`, `filter_file`): Parquet
by its name, CSV in blocks whatever its encoding, compression or line ends, and the row-by-row
reader only for CSV the block reader does not handle; every reader gives the same answers."""
from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.check.blockreader import BLOCKS
from pipeline.check.loaded_list import Entry
from pipeline.check.parquet import PARQUET
from pipeline.check.run import filter_file, reader_for
from pipeline.core.errors import OptoutError

pytestmark = pytest.mark.unit

SINCE = datetime(2026, 10, 1, tzinfo=UTC)
CSV = "id,email\n1,ann@example.com\n2,bob@example.com\n3,not an address\n"


class FakeList:
    """A list that suppresses the given match keys."""

    def __init__(self, *keys: str) -> None:
        self.keys = set(keys)

    def lookup(self, key: str) -> Entry | None:
        return Entry("email", SINCE) if key in self.keys else None

    def lookup_many(self, keys: pa.Array, hashes: np.ndarray | None = None) -> tuple[np.ndarray, dict[int, Entry]]:
        mask = np.array([k in self.keys for k in keys.to_pylist()], dtype=bool)
        return mask, {int(i): Entry("email", SINCE) for i in np.flatnonzero(mask)}


@pytest.mark.parametrize(("name", "reader"), [
    ("in.parquet", PARQUET), ("IN.PQ", PARQUET), ("in.Parquet", PARQUET),
    ("in.csv", BLOCKS), ("in.csv.gz", BLOCKS), ("in.txt", BLOCKS), ("in", BLOCKS), ("parquet.csv", BLOCKS),
])
def test_reader_for_a_name(name: str, reader: object) -> None:
    assert reader_for(Path(name)) is reader


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"))


@pytest.mark.parametrize(("content", "reader"), [
    (CSV.encode("utf-8"), "csv-blocks"),
    (CSV.replace("\n", "\r\n").encode("utf-8"), "csv-blocks"),
    (CSV.replace("\n", "\r").encode("utf-8"), "csv-blocks"),  # bare CRs: through a copy with LF
    (("\ufeff" + CSV).encode("utf-8"), "csv-blocks"),
    (CSV.replace("1,ann", "1 Zoë,ann").encode("cp1252"), "csv-blocks"),
    (CSV.encode("utf-16"), "csv-blocks"),
    (gzipped(CSV), "csv-blocks"),
    (CSV.replace(",", ";").encode("utf-8"), "csv-blocks"),
    (CSV.replace("2,bob@example.com", "2,bob@example.com,extra").encode("utf-8"), "csv-rows"),  # ragged
])
def test_csv_goes_to_the_block_reader_unless_irregular(tmp_path: Path, content: bytes, reader: str) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    tally = filter_file(src, tmp_path / "out.csv", tmp_path / "rem.csv", None, FakeList("ann@example.com"))
    assert tally.reader == reader
    assert (tally.rows_in, tally.kept, tally.suppressed, tally.invalid) == (3, 1, 1, 1)


def test_parquet_goes_to_the_parquet_reader(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "email": ["ann@example.com", "bob@example.com", "x"]}), src)
    tally = filter_file(src, tmp_path / "out.parquet", None, None, FakeList("ann@example.com"))
    assert tally.reader == "parquet" and (tally.kept, tally.suppressed, tally.invalid) == (1, 1, 1)


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("in.parquet", CSV.encode("utf-8"), "not a readable Parquet file"),  # a CSV named .parquet
    ("in.csv", b"id,email\n", "no recipient rows"),
    ("in.csv", b"id,email\n1,a\x00b@example.com\n", "NUL"),
])
def test_what_no_reader_takes_is_refused(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    src = tmp_path / name
    src.write_bytes(content)
    with pytest.raises(OptoutError, match=problem):
        filter_file(src, tmp_path / f"out.{name}", None, None, FakeList())


BINARY_LAYOUTS = {
    "binary": lambda a: a, "large_binary": lambda a: a.cast(pa.large_binary()),
    "binary_view": lambda a: a.cast(pa.binary_view()), "dictionary": lambda a: a.dictionary_encode(),
}


@pytest.mark.parametrize("layout", BINARY_LAYOUTS)
def test_a_binary_address_column_is_read_as_utf8_text(tmp_path: Path, layout: str) -> None:
    src = tmp_path / "in.parquet"
    cells = BINARY_LAYOUTS[layout](pa.array([b"ann@example.com", b"\xffbad@example.com", b"bob@example.com", None],
                                            pa.binary()))
    pq.write_table(pa.table({"id": [1, 2, 3, 4], "email": cells}), src)
    assert pq.read_schema(src).field("email").type == cells.type  # the layout survives the file
    tally = filter_file(src, tmp_path / "out.parquet", tmp_path / "rem.parquet", None, FakeList("ann@example.com"))
    assert (tally.rows_in, tally.kept, tally.suppressed, tally.invalid) == (4, 1, 1, 2)
    kept = pq.read_table(tmp_path / "out.parquet")
    assert kept.schema == pq.read_schema(src) and kept.column("email").to_pylist() == [b"bob@example.com"]
    assert kept.column("email").type == cells.type
    removed = pq.read_table(tmp_path / "rem.parquet").to_pylist()
    assert [(r["id"], r["reason"]) for r in removed] == [(1, "suppressed"), (2, "invalid_address"),
                                                                (4, "invalid_address")]


def test_an_address_column_with_no_text_form_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"email": pa.array([["ann@example.com"]], pa.list_(pa.string()))}), src)
    with pytest.raises(OptoutError, match=r"column 'email' is of type list<element: string>, which holds no addresses"):
        filter_file(src, tmp_path / "out.parquet", None, None, FakeList())


def test_view_columns_are_kept_in_their_own_type(tmp_path: Path) -> None:
    """Arrow cannot take rows of a string or binary view column: the reader filters them as their
    plain type and writes them back as they were."""
    src = tmp_path / "in.parquet"
    table = pa.table({"email": pa.array(["ann@example.com", "bob@example.com"]).cast(pa.string_view()),
                      "note": pa.array([b"x", None]).cast(pa.binary_view()),
                      "tags": pa.array([["a"], None], pa.list_(pa.string_view())),
                      "who": pa.array([{"n": "A"}, {"n": None}], pa.struct([("n", pa.string_view())])),
                      "map": pa.array([[("k", "v")], []], pa.map_(pa.string(), pa.string_view())),
                      "pair": pa.array([[b"a", b"b"], None], pa.list_(pa.binary_view(), 2))})
    pq.write_table(table, src)
    tally = filter_file(src, tmp_path / "out.parquet", tmp_path / "rem.parquet", None, FakeList("ann@example.com"))
    assert (tally.rows_in, tally.kept, tally.suppressed) == (2, 1, 1)
    kept, removed = pq.read_table(tmp_path / "out.parquet"), pq.read_table(tmp_path / "rem.parquet")
    assert kept.schema == table.schema
    assert kept.to_pylist() == [{"email": "bob@example.com", "note": None, "tags": None, "who": {"n": None}, "map": [],
                                 "pair": None}]
    assert removed.schema.field("note").type == pa.binary_view() and removed.column("email").to_pylist() == ["ann@example.com"]


def test_columns_arrow_cannot_copy_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.check import parquet  # here, not at import: the reader whose copy is made to fail

    def cannot(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
        raise pa.ArrowNotImplementedError("Function 'array_take' has no kernel matching input types (x, int32)\nmore")

    monkeypatch.setattr(parquet, "_as", cannot)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"email": ["ann@example.com"]}), src)
    with pytest.raises(OptoutError, match=r"in.parquet: its columns cannot be copied row by row \(Function 'array_take' .*\)$"):
        filter_file(src, tmp_path / "out.parquet", None, None, FakeList())
