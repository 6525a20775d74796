"""Reading the CSV exports channels receive: any column order, UTF-8 (BOM or not) or
Windows-1252, extra columns kept as evidence. A file that cannot be read as a whole raises
QuarantineError naming the problem; a readable row is never dropped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import QuarantineError

csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class CsvRow:
    line: int  # line number of the row's first line in the file (header is line 1)
    values: dict[str, str]  # lower-cased header -> text ("" when the row was short)
    raw: dict[str, str]  # as read, with the original header names: the evidence


def decode(data: bytes, path: Path) -> str:
    """Text of a CSV export: UTF-8 with or without BOM, else Windows-1252."""
    if b"\x00" in data:
        raise QuarantineError(f"{path}: binary data (NUL bytes), not a CSV text file")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise QuarantineError(f"{path}: text is neither UTF-8 nor Windows-1252 (byte {exc.start})") from None


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[CsvRow]:
    """Rows of the CSV at `path`, checking the header carries every `required` column."""
    text = decode(path.read_bytes(), path)
    if not text.strip():
        raise QuarantineError(f"{path}: empty file, no header row")
    if text.count('"') % 2:
        # The lenient reader would swallow the rest of the file into one field.
        line = text[: text.rindex('"')].count("\n") + 1
        raise QuarantineError(f"{path}: line {line}: unbalanced quote (file truncated?)")
    reader = csv.reader(io.StringIO(text, newline=""))
    header_raw = next(reader)
    header = [h.strip().lower() for h in header_raw]
    _check_header(path, header_raw, header, required)
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            yield _row(reader.line_num, header_raw, header, row)
    except csv.Error as exc:
        raise QuarantineError(f"{path}: line {reader.line_num}: {exc}") from None


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
        raise QuarantineError(f"{path}: column(s) named twice: {', '.join(dupes)}")


def _row(line: int, header_raw: list[str], header: list[str], row: list[str]) -> CsvRow:
    values: dict[str, str] = {}
    raw: dict[str, str] = {}
    for i, name in enumerate(header):
        cell = row[i] if i < len(row) else ""
        values[name] = cell.strip()
        raw[header_raw[i]] = cell
    if len(row) > len(header):
        raw["_extra_cells"] = "\x1f".join(row[len(header) :])
    return CsvRow(line=line, values=values, raw=raw)
