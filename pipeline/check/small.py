"""The small-file check: a CSV of at most `SMALL_BYTES` (256 KiB) checked in plain Python, with neither
numpy nor Arrow imported and the list asked about its few keys (`pipeline.check.listed`)
instead of loaded, writing exactly the bytes the block reader writes for the same file.

It takes only the files whose every byte it can answer for as the block reader does: UTF-8
text (no gzip, workbook, UTF-16, control bytes or bare CR: those are read through a copy or
refused there), a header on one line, and rows whose fields are all either plain (no quote)
or quoted whole (`"..."` with `""` for a quote) on one line, each row with as many fields as
the header. For those, the block reader keeps the raw bytes of each run of kept rows, cuts the
address cell where this module does and keys it by the reference (which its vectorised keys are
tested equal to), so both write the same OUT and removed rows. Any other file — and any file
the check would refuse — is handed to the block reader (`read_small` returns None), which then
gives its usual answer or message. tests/integration/test_check_small.py holds both equal."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.check.io import Tally, address_column, file_identity
from pipeline.check.listed import Entry
from pipeline.check.rowkeys import invalid_reason, reference_key
from pipeline.check.rowtext import REMOVED_COLUMNS, neutralised_row, risky_row
from pipeline.check.sniff import (
    CONTROL,
    GZIP_MAGIC,
    PARQUET_SUFFIXES,
    SAMPLE,
    UTF16_BOMS,
    ZIP_MAGIC,
    decode_sample,
    sniff_delimiter,
)
from pipeline.core.errors import OptoutError
from pipeline.core.formulas import neutralise

# 256 KiB, about 6,000 recipients: checked here in about 0.2 s above start-up (some 30 µs a row,
# more for internationalised addresses), where the big path's imports alone cost about 0.45 s and
# its list snapshot more (0.3 s for 2,000,000 entries). Within one block of the block reader.
SMALL_BYTES = 1 << 18
BOM = b"\xef\xbb\xbf"
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


@dataclass(frozen=True)
class Row:
    """A recipient row: its bytes (`start`..`end`, line end excluded; `stop` past the line end),
    its address cell and the cell's match key (None: invalid)."""

    start: int
    end: int
    stop: int
    cell: str
    key: str | None


@dataclass(frozen=True)
class SmallFile:
    """A small CSV read whole: the header as written (BOM dropped) and its line end, the
    delimiter, the rows, and where the block reader's last block starts (the row after the last
    line end, if any)."""

    data: bytes
    header: bytes
    eol: bytes
    delimiter: str
    rows: list[Row]
    last_block: int

    def keys(self) -> set[str]:
        return {row.key for row in self.rows if row.key is not None}


def read_small(path: Path, column: str | None) -> SmallFile | None:
    """INPUT read and keyed here, or None when the block reader must read it (too large, not
    plain UTF-8 CSV of the shape above, or a file the check refuses)."""
    if path.suffix.lower() in PARQUET_SUFFIXES:  # the name decides the reader: Parquet's, on the big path
        return None
    try:
        with path.open("rb") as fh:
            before = file_identity(fh)
            if before[1] > SMALL_BYTES:
                return None
            data = fh.read(SMALL_BYTES + 1)
            if file_identity(fh) != before or len(data) != before[1]:
                return None
    except OSError:
        return None
    return parse_small(data, column, path)


def parse_small(data: bytes, column: str | None, shown: Path) -> SmallFile | None:
    """`data` as the block reader would see it, or None where it would not read it so plainly."""
    if not _plain_text(data):
        return None
    delimiter = sniff_delimiter(decode_sample(data[:SAMPLE]))
    found = _header(data)
    if found is None:
        return None
    header, eol, at = found
    try:
        names = next(csv.reader(io.StringIO(header.decode("utf-8"), newline=""), delimiter=delimiter), [])
        col = address_column(names, column, shown)
    except (csv.Error, OptoutError):
        return None
    rows: list[Row] = []
    while at < len(data):
        newline = data.find(b"\n", at)
        stop = len(data) if newline < 0 else newline + 1
        end = stop if newline < 0 else newline
        if end > at and data[end - 1] == 13:
            end -= 1
        if end > at:  # an empty line is no recipient
            fields = split_fields(data[at:end].decode("utf-8"), delimiter)
            if fields is None or len(fields) != len(names):
                return None
            rows.append(Row(at, end, stop, fields[col], reference_key(fields[col])))
        at = stop
    if not rows:
        return None
    return SmallFile(data, header, eol, delimiter, rows, data.rfind(b"\n") + 1)


def _plain_text(data: bytes) -> bool:
    """UTF-8 text with no control byte but tab, LF and CR, every CR ending a line (CRLF)."""
    if not data or data.startswith((GZIP_MAGIC, ZIP_MAGIC, *UTF16_BOMS)):
        return False
    if len(data.translate(None, CONTROL + b"\x0c")) != len(data) or data.count(b"\r") != data.count(b"\r\n"):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _header(data: bytes) -> tuple[bytes, bytes, int] | None:
    """The header row (BOM and line end dropped), its line end and where the rows start, found
    line by line as the block reader finds it (blank lines before it skipped); None for a header
    that is missing or runs past a line end inside quotes."""
    at, head = 0, b""
    while True:
        newline = data.find(b"\n", at)
        line = data[at:] if newline < 0 else data[at : newline + 1]
        at += len(line)
        head += line
        if head.startswith(BOM):
            head = head[len(BOM):]
        if line and not head.strip(b"\r\n"):
            head = b""
            continue
        break
    if head.count(b'"') % 2:
        return None
    eol = b"\r\n" if head.endswith(b"\r\n") else b"\n"
    head = head.rstrip(b"\r\n")
    return (head, eol, at) if head else None


def split_fields(text: str, delimiter: str) -> list[str] | None:
    """The fields of one row when each is plain (no quote) or quoted whole, else None."""
    fields: list[str] = []
    at = 0
    while True:
        if text.startswith('"', at):
            quoted = _QUOTED.match(text, at)
            if quoted is None:
                return None
            fields.append(quoted.group(1).replace('""', '"'))
            at = quoted.end()
        else:
            cut = text.find(delimiter, at)
            cut = len(text) if cut < 0 else cut
            if '"' in text[at:cut]:
                return None
            fields.append(text[at:cut])
            at = cut
        if at == len(text):
            return fields
        if text[at] != delimiter:
            return None
        at += 1


def write_small(small: SmallFile, listed: Mapping[str, Entry], output: Path, removed: Path | None) -> Tally:
    """OUT (and the removed rows) of `small` against the entries of its listed keys, as the
    block reader writes them: each run of kept rows copied whole, a run not carried over the
    block reader's last block, the file's last row given a line end."""
    data, delimiter = small.data, small.delimiter
    tally = Tally(reader="csv-small", input_sha256=hashlib.sha256(data).hexdigest())
    out = [small.header, small.eol]
    lines = [_removed_line(small.header.decode("utf-8"), list(REMOVED_COLUMNS), delimiter)]
    seen: set[str] = set()
    run: list[int] = []  # [start, stop] of the current run of kept rows
    for row in small.rows:
        if run and row.start >= small.last_block and run[1] <= small.last_block:
            out.append(data[run[0] : run[1]])
            run = []
        tally.rows_in += 1
        entry = listed.get(row.key) if row.key is not None else None
        if row.key is not None:
            tally.duplicates += row.key in seen
            seen.add(row.key)
        if row.key is not None and entry is None:
            tally.kept += 1
            run = [run[0] if run else row.start, row.stop]
            continue
        if run:
            out.append(data[run[0] : run[1]])
            run = []
        tally.invalid += row.key is None
        tally.suppressed += entry is not None
        if removed is not None:
            lines.append(_removed_line(data[row.start : row.end].decode("utf-8"), removed_fields(row, entry, delimiter), delimiter))
    if run:
        out.append(data[run[0] : run[1]])
    kept = b"".join(out)
    if tally.kept and not kept.endswith(b"\n"):  # the file's last row had no line end
        kept += b"\n"
    output.write_bytes(kept)
    tally.output_sha256 = hashlib.sha256(kept).hexdigest()
    if removed is not None:
        removed.write_bytes("".join(lines).encode("utf-8"))
    return tally


def removed_fields(row: Row, entry: Entry | None, delimiter: str) -> list[str]:
    """`REMOVED_COLUMNS` of a removed row: why, the entry's channels and since, the key, scope
    and first request (suppressed) or email_validator's reason (invalid); quoted and neutralised
    where the text could need it."""
    if entry is None:
        return ["invalid_address", "", "", "", "", "", csv_field(invalid_reason(row.cell), delimiter)]
    first = entry.first_requested.isoformat() if entry.first_requested else ""
    return ["suppressed", csv_field(entry.channels, delimiter), entry.since.isoformat(),
            csv_field(row.key or "", delimiter), entry.scope, first, ""]


def csv_field(value: str, delimiter: str) -> str:
    """A value as one CSV field: neutralised against formulas, quoted when it holds the delimiter,
    a quote or a line end (`pipeline.check.blocks.csv_fields`, one value)."""
    value = neutralise(value)
    if any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _removed_line(text: str, fields: list[str], delimiter: str) -> str:
    text = neutralised_row(text, delimiter) if risky_row(text, delimiter) else text
    return delimiter.join([text, *fields]) + "\n"
