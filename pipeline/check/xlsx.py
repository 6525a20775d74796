"""Excel `.xlsx` recipient lists: the first visible worksheet written out as a plain CSV copy,
which the CSV path then checks like any other file (`pipeline.check.source.open_source`).

What the copy holds, cell by cell (every cell becomes text, as Excel's own "CSV UTF-8" export
shows it, except dates):

- text as it is; numbers without float noise (`12`, not `12.0`; `0.1`, not `0.1000000000000000055`);
  `TRUE`/`FALSE` for booleans; dates and times in ISO 8601 (`2026-10-11`, or
  `2026-10-11T09:30:00` when there is a time of day); durations as `H:MM:SS`; error values
  (`#N/A`) as their text;
- a formula: the value Excel computed and saved with it, never the formula's text (so
  `=HYPERLINK("mailto:ann@example.com","ann@example.com")` is `ann@example.com`); a formula saved
  by a program that does not calculate has no value and is an empty cell;
- merged cells: the value in the top-left cell only, the others empty (as Excel's CSV export);
- rows with no value in any cell are left out (a sheet "used" down to row 1,048,576 costs a
  scan, not a million blank recipients); the first row with a value is the header.

Refused, with a one-line message naming the file (exit 2): a ZIP that is not a workbook, a
workbook with no worksheet or an empty first worksheet, an encrypted (password-protected)
workbook, an old binary `.xls`, a damaged archive, and a workbook whose parts would unpack to
more than `MAX_UNPACKED` bytes (or its shared strings to more than `MAX_SHARED_STRINGS`) — a
ZIP bomb is refused before anything is unpacked."""
from __future__ import annotations

import csv
import math
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pipeline.core.errors import OptoutError

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # the compound-file container of .xls and of encrypted .xlsx
MAX_UNPACKED = 2 << 30  # 2 GiB of XML: about 10 million recipient rows of a few columns
MAX_SHARED_STRINGS = 512 << 20  # openpyxl holds every shared string in memory
MAX_RATIO = 200  # compressed XML of a real sheet shrinks 5-20 times; a bomb thousands of times
RATIO_FLOOR = 16 << 20  # parts smaller than this are never judged by their ratio

__all__ = ["MAX_UNPACKED", "cell_text", "csv_copy", "head_rows", "is_spreadsheet", "numbered_rows", "sheet_rows",
           "write_csv_copy"]


def is_spreadsheet(head: bytes) -> bool:
    """Whether the first bytes of a file are a ZIP (an .xlsx) or a compound file (.xls, encrypted .xlsx)."""
    return head.startswith(ZIP_MAGIC) or head.startswith(OLE2_MAGIC)


@contextmanager
def csv_copy(path: Path, copy: Path) -> Iterator[Path]:
    """`path`'s first visible worksheet as a CSV at `copy`, removed afterwards."""
    try:
        write_csv_copy(path, copy)
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def write_csv_copy(path: Path, copy: Path) -> int:
    """Write the first visible worksheet of the workbook at `path` to `copy` as UTF-8 CSV
    (comma, LF); return how many rows (the header included) it wrote."""
    written = 0
    with copy.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for cells in sheet_rows(path):
            writer.writerow(cells)
            written += 1
    if written == 0:
        raise OptoutError(f"{path} (sheet {_title(path)!r}): the worksheet is empty, no header row")
    return written


def head_rows(path: Path, limit: int) -> list[list[str]]:
    """The first `limit` rows with a value (the header first) of the first visible worksheet."""
    rows: list[list[str]] = []
    for cells in sheet_rows(path):
        rows.append(cells)
        if len(rows) >= limit:
            break
    if not rows:
        raise OptoutError(f"{path} (sheet {_title(path)!r}): the worksheet is empty, no header row")
    return rows


def sheet_rows(path: Path) -> Iterator[list[str]]:
    """Every row with a value of the first visible worksheet, as text; the sheet's own size
    claims are ignored (often wrong); a row's empty cells at its end are dropped."""
    for _number, cells in numbered_rows(path):
        yield cells


def numbered_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """`sheet_rows` with each row's number as the sheet shows it (1 for its first row), for a
    message naming the row: blank rows are left out of the CSV copy, so its line numbers are not
    the sheet's."""
    _refuse_compound_file(path)
    _refuse_bomb(path)
    import openpyxl  # here, not at import: openpyxl takes 0.1 s to import and only a workbook needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # any failure of the parser on a hostile file is "unreadable", not a traceback
        raise OptoutError(f"{path}: not a readable Excel workbook ({_reason(exc)})") from None
    try:
        sheet = _first_visible(path, book)
        sheet.reset_dimensions()
        number = 0
        try:
            for row in sheet.iter_rows(values_only=True):
                number += 1  # the sheet's row number: gaps come as empty rows
                cells = [cell_text(v) for v in row]
                while cells and cells[-1] == "":
                    cells.pop()
                if cells:
                    yield number, cells
        except Exception as exc:  # as above, for a sheet's rows
            raise OptoutError(f"{path} (sheet {sheet.title!r}), row {number + 1}: cannot be read ({_reason(exc)})") from None
    finally:
        book.close()


def _title(path: Path) -> str:
    """The name of the sheet read (for messages about it)."""
    import openpyxl  # here, not at import: openpyxl takes 0.1 s to import and only a workbook needs it

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return str(_first_visible(path, book).title)
    finally:
        book.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _refuse_compound_file(path: Path) -> None:
    """An encrypted .xlsx and an old .xls share one container; its directory names tell them apart."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if not head.startswith(OLE2_MAGIC):
        return
    if "EncryptedPackage".encode("utf-16-le") in head or "EncryptionInfo".encode("utf-16-le") in head:
        raise OptoutError(
            f"{path}: a password-protected (encrypted) Excel workbook: remove the password in Excel "
            "(File > Info > Protect Workbook > Encrypt with Password, empty) and save it again, or save the sheet as CSV"
        )
    raise OptoutError(f"{path}: an Excel 97-2003 workbook (.xls, the old binary format), which is not read: "
                      "save it as Excel Workbook (.xlsx) or CSV UTF-8")


def _refuse_bomb(path: Path) -> None:
    """Refuse, from the archive's directory alone, a workbook that would unpack too large."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise OptoutError(f"{path}: a damaged ZIP archive, not a readable Excel workbook ({_reason(exc)})") from None
    names = {p.filename for p in parts}
    if "xl/workbook.bin" in names:
        raise OptoutError(f"{path}: an Excel binary workbook (.xlsb), which is not read: save it as Excel Workbook (.xlsx) or CSV UTF-8")
    if "content.xml" in names and "mimetype" in names:
        raise OptoutError(f"{path}: an OpenDocument spreadsheet (.ods), which is not read: save it as Excel Workbook (.xlsx) or CSV UTF-8")
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        raise OptoutError(f"{path}: a ZIP archive but not an Excel workbook (no xl/workbook.xml): "
                          "save the sheet as Excel Workbook (.xlsx) or CSV UTF-8")
    total = sum(p.file_size for p in parts)
    if total > MAX_UNPACKED:
        raise OptoutError(f"{path}: the workbook would unpack to {total:,} bytes, more than the {MAX_UNPACKED:,} "
                          "the check reads: split it, or save the sheet as CSV")
    for part in parts:
        if part.filename.endswith("sharedStrings.xml") and part.file_size > MAX_SHARED_STRINGS:
            raise OptoutError(f"{path}: its shared strings would unpack to {part.file_size:,} bytes, more than the "
                              f"{MAX_SHARED_STRINGS:,} the check reads: save the sheet as CSV")
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise OptoutError(f"{path}: part {part.filename} would unpack {part.file_size // max(part.compress_size, 1):,} "
                              "times its size (a ZIP bomb?): refused")


def _first_visible(path: Path, book: Any) -> Any:
    sheets = [ws for ws in book.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if not book.worksheets:
        raise OptoutError(f"{path}: the workbook has no worksheet (only charts?): nothing to check")
    if not sheets:
        raise OptoutError(f"{path}: every worksheet of the workbook is hidden: unhide the one to check")
    return sheets[0]


def cell_text(value: object) -> str:
    """A cell's value as the CSV copy holds it (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        hours, rest = divmod(round(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value)


def _number(value: float) -> str:
    """The shortest text that reads back as the same float; whole numbers without `.0`."""
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)
