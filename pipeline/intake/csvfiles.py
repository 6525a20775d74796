"""Reading the CSV exports channels receive: any column order, UTF-8 (BOM or not) or
Windows-1252 (line by line, so a file that mixes them keeps both readable), extra columns kept
as evidence. A file that cannot be read as a whole raises QuarantineError naming the file and
the problem; a readable row is never dropped, whatever one of its cells holds."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import QuarantineError

# Cells are bounded below (MAX_CELL), not by the csv module, whose limit fails the whole file.
csv.field_size_limit(1 << 30)
BOM = b"\xef\xbb\xbf"
MAX_CELL = 64 * 1024  # characters of one cell kept; a longer cell is cut, and the row says so
_LINE_END = re.compile(rb"[\r\n]")
BINARY_NUL_SHARE = 0.01  # a file with NUL in its header, or NUL as over 1% of it (3 or more), is binary


@dataclass(frozen=True)
class CsvRow:
    line: int  # line number of the row's first line in the file (header is line 1)
    values: dict[str, str]  # lower-cased header -> text ("" when the row was short)
    raw: dict[str, str]  # as read, with the original header names: the evidence


def looks_binary(data: bytes) -> bool:
    """A NUL in the header line, or NUL bytes throughout: not a text export at all. A stray
    NUL in one row is not that: the row is read and its NUL never reaches the store."""
    if b"\x00" not in data:
        return False
    end = _LINE_END.search(data)  # lines end in LF, CRLF or CR alone
    header = data[: end.start()] if end else data
    nuls = data.count(b"\x00")
    return b"\x00" in header or nuls > max(2, len(data) * BINARY_NUL_SHARE)


def decode(data: bytes, path: Path) -> str:
    """Text of a CSV export: UTF-8 with or without BOM; a line that is not UTF-8 is read as
    Windows-1252 (spreadsheet exports, and files put together from both)."""
    if looks_binary(data):
        hint = ": UTF-16 text, export it as UTF-8" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ""
        raise QuarantineError(f"{path}: binary data (NUL bytes), not a CSV text file{hint}")
    data = data.removeprefix(BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(_decode_line(line) for line in data.splitlines(keepends=True))


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        # The five bytes Windows-1252 leaves undefined become U+FFFD; the rest of the row stays.
        return line.decode("cp1252", errors="replace")


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[CsvRow]:
    """Rows of the CSV at `path`, checking the header carries every `required` column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuarantineError(f"{path}: cannot read: {exc.strerror}") from None
    text = decode(data, path)
    if not text.strip():
        raise QuarantineError(f"{path}: empty file, no header row")
    # A last line that only the parser can tell apart: when it comes back inside a field, a
    # quote opened and never closed swallowed the rest of the file (truncated), which the
    # lenient reader would otherwise return as one huge field.
    end = f"\x1eend-of-file-{uuid.uuid4().hex}"
    ending = "" if text.endswith(("\n", "\r")) else "\n"
    reader = csv.reader(io.StringIO(text + ending + end, newline=""))
    first_row = next(reader)
    if any(end in cell for cell in first_row):
        raise QuarantineError(f"{path}: line 1: unbalanced quote in the header")
    header_raw = [_header_name(h, i) for i, h in enumerate(first_row)]
    header = [h.strip().lower() for h in header_raw]
    _check_header(path, header_raw, header, required)
    last = reader.line_num
    try:
        for row in reader:
            first, last = last + 1, reader.line_num
            if row == [end]:
                return
            if any(end in cell for cell in row):
                raise QuarantineError(f"{path}: line {first}: unbalanced quote (file truncated?)")
            if not "".join(row).strip():  # every cell blank (one join, not a strip a cell)
                continue
            yield _row(first, header_raw, header, row)
    except csv.Error as exc:
        raise QuarantineError(f"{path}: line {reader.line_num}: {exc}") from None


def _header_name(name: str, index: int) -> str:
    """A header cell as evidence key; an unnamed column gets its position, so two unnamed
    columns do not overwrite each other."""
    return name[:MAX_CELL] if name.strip() else f"_column_{index + 1}"


def _check_header(path: Path, header_raw: list[str], header: list[str], required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        hint = ""
        joined = ",".join(header_raw)
        for delim in (";", "\t", "|"):
            if delim in joined:
                hint = f"; the header looks {delim!r}-separated, expected ','"
                break
        raise QuarantineError(f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header_raw)[:200]}){hint}")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise QuarantineError(f"{path}: column(s) named twice: {', '.join(dupes)[:200]}")


def _row(line: int, header_raw: list[str], header: list[str], row: list[str]) -> CsvRow:
    if len(row) == len(header) and max(map(len, row)) <= MAX_CELL:  # the common row, as the loop below makes it
        return CsvRow(line=line, values=dict(zip(header, map(str.strip, row), strict=True)),
                      raw=dict(zip(header_raw, row, strict=True)))
    values: dict[str, str] = {}
    raw: dict[str, str] = {}
    cut: list[str] = []
    for i, name in enumerate(header):
        cell = row[i] if i < len(row) else ""
        if len(cell) > MAX_CELL:
            cut.append(f"{header_raw[i]} ({len(cell):,} characters)")
            cell = cell[:MAX_CELL]
        values[name] = cell.strip()
        raw[header_raw[i]] = cell
    if len(row) > len(header):
        extra = "\x1f".join(row[len(header) :])
        if len(extra) > MAX_CELL:
            cut.append(f"_extra_cells ({len(extra):,} characters)")
            extra = extra[:MAX_CELL]
        raw["_extra_cells"] = extra
    if cut:
        raw["_truncated"] = f"cut to their first {MAX_CELL:,} characters: {', '.join(cut)}"
    return CsvRow(line=line, values=values, raw=raw)
