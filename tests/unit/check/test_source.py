"""What a recipient file is, before the check reads a row (pipeline/check/source.py): delimiter,
address column, bare CRs, paths; and the Arrow reader never handed Python memory."""
from __future__ import annotations

import gzip
import io
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.check import csvstream
from pipeline.check import source as check_input
from pipeline.check.io import address_column
from pipeline.check.source import check_paths, fix_bare_returns, sniff_delimiter, write_plain_copy
from pipeline.core.errors import OptoutError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("sample", "delimiter"), [
    ("email,name\na@b.c,A\n", ","),
    ("Email Address;First Name\na@b.c;Doe, A\n", ";"),
    ("id\temail\tnote\n1\ta@b.c\tx, y; z\n", "\t"),
    ("id|E-mail\n1|a@b.c\n", "|"),
    ("email\na@b.c\n", ","),
    ('"Name, full";email\n"Doe, A";a@b.c\n', ";"),
    ("a,b;c\n1,2;3\n4,5;6\n", ","),  # both split the header in two: the tie goes to the comma
    ("a;b;c,d\n1;2;3,4\n", ";"),
])
def test_sniff_delimiter(sample: str, delimiter: str) -> None:
    assert sniff_delimiter(sample) == delimiter


@pytest.mark.parametrize(("header", "column", "found"), [
    (["id", "Email Address", "name"], None, 1),
    (["First Name", "Email"], None, 1),
    (["E-mail"], None, 0),
    (["EMAIL_ADDRESS", "x"], None, 0),
    (["x", " Recipient "], None, 1),
    (["x", "E-Mail-Address"], None, 1),
    (["\ufeffemail"], None, 0),
    (["name", "Contact"], "contact", 1),
    (["name", "Work E-mail"], "work_email", 1),
])
def test_address_column(header: list[str], column: str | None, found: int) -> None:
    assert address_column(header, column, Path("in.csv")) == found


@pytest.mark.parametrize(("header", "column", "problem"), [
    (["Email", "Email Address"], None, "could each be"),
    (["email", "email"], None, "could each be"),
    (["name", "phone"], None, "no address column"),
    (["bob@example.com"], None, "needs a header row"),
    (["email"], "contact", "no column named"),
])
def test_address_column_refused(header: list[str], column: str | None, problem: str) -> None:
    with pytest.raises(OptoutError, match=problem):
        address_column(header, column, Path("in.csv"))


@pytest.mark.parametrize(("data", "fixed", "count"), [
    (b"a\rb\r", b"a\nb\n", 2),  # a last CR ends the file (or is followed by a held-back CR)
    (b"a\r\nb\n", b"a\r\nb\n", 0),
    (b'"x\ry"\rz', b'"x\ry"\nz', 1),
    (b"a\r\rb", b"a\n\nb", 2),
])
def test_fix_bare_returns(data: bytes, fixed: bytes, count: int) -> None:
    assert fix_bare_returns(data, 0)[:2] == (fixed, count)


@given(st.lists(st.sampled_from([b"a", b",", b'"', b"\r", b"\n", b"\r\n"]), max_size=60).map(b"".join),
       st.integers(1, 7))
def test_plain_copy_is_the_same_whatever_the_chunks(data: bytes, chunk: int) -> None:
    """A copy made in small chunks equals the copy made at once (CRs at chunk ends held back)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, copy = Path(tmp) / "in.csv", Path(tmp) / "copy.csv"
        src.write_bytes(data)
        saved = check_input.COPY_CHUNK
        try:
            check_input.COPY_CHUNK = chunk
            count = write_plain_copy(src, copy)
        finally:
            check_input.COPY_CHUNK = saved
        whole, changed, _ = fix_bare_returns(data, 0)
        assert (copy.read_bytes(), count) == (whole, changed)


def test_gzip_copy_and_damaged_gzip(tmp_path: Path) -> None:
    src = tmp_path / "in.csv.gz"
    src.write_bytes(gzip.compress(b"email\rbob@example.com\r"))
    assert write_plain_copy(src, tmp_path / "copy.csv") == 2
    assert (tmp_path / "copy.csv").read_bytes() == b"email\nbob@example.com\n"
    src.write_bytes(gzip.compress(b"email\n" * 50000)[:200])
    with pytest.raises(OptoutError, match="damaged gzip"):
        write_plain_copy(src, tmp_path / "copy.csv")


def test_paths_that_would_overwrite_the_input(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("email\n", encoding="utf-8")
    (tmp_path / "hard.csv").hardlink_to(src)
    for output, removed in [(src, None), (tmp_path / "hard.csv", None), (tmp_path / "o.csv", tmp_path / "sub" / ".." / "in.csv"),
                            (tmp_path / "o.csv", tmp_path / "o.csv"), (tmp_path / "none" / "o.csv", None), (tmp_path, None)]:
        with pytest.raises(OptoutError):
            check_paths(src, output, removed)
    check_paths(src, tmp_path / "o.csv", tmp_path / "r.csv")


def test_arrow_never_reads_python_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow's CSV reader frees its input on an I/O thread; Python memory freed there after the
    interpreter began to exit aborted the process (exit 134). It gets Arrow-owned copies, and
    the header is read without it."""
    data = b'a,"b@example.com"\nc,d\n'
    seen = []
    real = csvstream.pacsv.read_csv

    def spy(source: pa.NativeFile, **kwargs: object) -> pa.Table:
        buffer = source.read_buffer()
        seen.append(buffer.address)
        return real(pa.BufferReader(buffer), **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(csvstream.pacsv, "read_csv", spy)
    assert csvstream.parse_cells(data, 2, 1, 2).to_pylist() == ["b@example.com", "d"]
    assert seen and seen[0] != np.frombuffer(data, dtype=np.uint8).ctypes.data
    monkeypatch.setattr(csvstream.pacsv, "read_csv", lambda *a, **k: pytest.fail("the header needs no Arrow reader"))
    assert csvstream.read_header(io.BytesIO(b'\r\n"e,mail";x\r\nrow\r\n'), False, ";")[1] == ["e,mail", "x"]


def test_binary_samples_are_refused() -> None:
    for head in (b"PK\x03\x04rest", b"a\x00b", bytes(range(1, 9)) * 10, b"email\n\x81\x8d\x8f"):
        with pytest.raises(OptoutError):
            check_input.refuse_binary(Path("x.csv"), head)
    check_input.refuse_binary(Path("x.csv"), "email\nzoë@example.com\n".encode())
