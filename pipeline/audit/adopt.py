"""`optout import FILE --source TEXT`: a past suppression list becomes evidence-bearing opt-outs.

Reads the layouts `check` reads (CSV of any dialect, .csv.gz, UTF-16, Excel, Parquet) through the
check's own source handling and address-column detection, stores the file itself under
`<landing>/imports/<sha256><suffix>` as evidence, and hands the valid addresses to the ledger's
bulk writer (`pipeline.ledger.imports`). Invalid rows are counted with the line they start on;
a row whose request time cannot be read, or lies before 1990 or after the import, falls back to
the file's import time and is reported. Refused (exit 2, one line naming the file and line):
text that is not UTF-8 (a guessed Windows-1252 would suppress a wrong spelling of an address),
and a quote never closed or text after a closing quote (read leniently, it would swallow or
change the rows after it)."""
from __future__ import annotations

import csv
import hashlib
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.check import xlsx
from pipeline.check.io import address_column
from pipeline.check.source import open_source
from pipeline.core.addresses import InvalidAddress, parse_uncached
from pipeline.core.bulk import collector_paused
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.intake.timestamps import EARLIEST, parse_time
from pipeline.ledger.imports import Adopted, ImportResult, already_imported, write_import

PARQUET_MAGIC = b"PAR1"
NL = b"\n"
UNDECODED = re.compile("[\udc80-\udcff]")  # bytes of a binary Parquet cell that were not UTF-8
SHOWN = 20  # problems listed one by one; the rest are counted


@dataclass
class ImportReport:
    path: Path
    stored: Path | None = None
    sha256: str = ""
    rows: int = 0
    imported: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    bad_dates: list[tuple[int, str]] = field(default_factory=list)
    already: bool = False
    version: int | None = None

    def lines(self) -> list[str]:
        if self.already:
            return [f"{self.path}: already imported (SHA-256 {self.sha256}); nothing to do"]
        out = [f"{self.path}: {self.rows} rows, {self.imported} opt-outs imported, {len(self.invalid)} invalid, "
               f"{len(self.duplicates)} duplicates, {len(self.bad_dates)} unreadable dates (import time used)",
               f"  evidence stored as {self.stored} (SHA-256 {self.sha256})"]
        out += [f"  line {n}: invalid address ({why})" for n, why in self.invalid[:SHOWN]]
        out += [f"  line {n}: unreadable request time {text!r}; the import time is used" for n, text in self.bad_dates[:SHOWN]]
        if self.duplicates:
            out.append("  duplicate addresses on lines " + ", ".join(map(str, self.duplicates[:SHOWN]))
                       + (" …" if len(self.duplicates) > SHOWN else ""))
        for what, items in (("invalid", self.invalid), ("unreadable dates", self.bad_dates)):
            if len(items) > SHOWN:
                out.append(f"  … and {len(items) - SHOWN} more {what}")
        if self.version is not None:
            out.append(f"  list version {self.version} published")
        return out


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _rows(path: Path, scratch: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells)]) of the file; line numbers as a spreadsheet or editor shows them."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head[:4] == PARQUET_MAGIC:
        import pyarrow.parquet as pq  # here, not at import: Parquet input is rare and pyarrow.parquet costs 0.1 s

        try:
            table = pq.read_table(path)
        except Exception as exc:  # a hostile file's parser failure is "unreadable", not a traceback
            raise OptoutError(f"{path}: not a readable Parquet file ({exc})") from None
        header = list(table.column_names)
        columns = [[_parquet_text(v) for v in table.column(c).to_pylist()] for c in header]
        return header, [(i + 2, [col[i] for col in columns]) for i in range(table.num_rows)]
    if xlsx.is_spreadsheet(head):  # rows by the sheet's own numbers: its blank rows are not in a CSV copy
        rows = [(n, cells) for n, cells in xlsx.numbered_rows(path) if any(c.strip() for c in cells)]  # blank, as in a CSV
        if not rows:
            raise OptoutError(f"{path}: the worksheet is empty, no header row")
        return rows[0][1], rows[1:]
    limit = csv.field_size_limit(sys.maxsize)  # a huge cell is an invalid row, not a refused file
    with open_source(path, scratch) as src:
        try:
            with src.path.open(encoding="utf-8-sig", newline="") as fh:
                return _csv_rows(path, csv.reader(fh, delimiter=src.delimiter, strict=True))
        except UnicodeDecodeError:
            line, why = _first_bad_utf8(src.path)
            raise OptoutError(f"{path} line {line}: not UTF-8 text ({why}): save it as CSV UTF-8") from None
        finally:
            csv.field_size_limit(limit)  # the limit is the process's: other readers keep theirs


def _parquet_text(value: Any) -> str:
    """A Parquet cell as text: a binary column's bytes are UTF-8 text (as a CSV's would be), and
    bytes that are not keep their undecodable bytes as lone surrogates, so that row is invalid."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def _csv_rows(path: Path, reader: Any) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Rows by the line they start on, blank lines before the header skipped; strict, so a quote
    never closed is an error naming its line, not a cell swallowing every row after it."""
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = cells
            else:
                body.append((line, cells))
    except csv.Error as exc:
        text = str(exc)
        why = "a quoted value is never closed" if "unexpected end of data" in text else f"malformed quoting: {text}"
        raise OptoutError(f"{path} line {start}: not readable as CSV ({why})") from None
    if header is None:
        raise OptoutError(f"{path}: no header row")
    return header, body


def _first_bad_utf8(path: Path) -> tuple[int, str]:
    """The line of the first bytes that are not UTF-8 in `path`, and what is wrong with them."""
    lines, pending = 1, b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            data = pending + chunk
            try:
                data.decode("utf-8")
                good, pending = len(data), b""
            except UnicodeDecodeError as exc:
                if not (chunk and exc.reason == "unexpected end of data"):  # not a character cut by the chunk's end
                    return lines + data.count(NL, 0, exc.start), exc.reason
                good, pending = exc.start, data[exc.start:]
            lines += data.count(NL, 0, good)
            if not chunk:
                return lines, "undecodable bytes"


@collector_paused()  # a million rows, cells and addresses: no cycles among them to collect
def adopt_file(
    engine: sa.Engine, settings: Settings, clock: Clock, path: Path, source: str,
    column: str | None = None, requested_at_column: str | None = None,
) -> ImportReport:
    """Import `path` as opt-outs from `source`; a second import of the same content is a no-op."""
    if not source.strip():
        raise OptoutError("source must say where the list comes from (e.g. 'Mailchimp export 2024')", field="source")
    if path.is_dir():
        raise OptoutError(f"{path}: a folder, not a file: name the list itself")
    if not path.is_file():
        raise OptoutError(f"{path}: no such file")
    report = ImportReport(path)
    report.sha256, size = file_sha256(path)
    if already_imported(engine, report.sha256) is not None:
        report.already = True
        return report
    store_dir = settings.landing / "imports"
    store_dir.mkdir(parents=True, exist_ok=True)
    header, body = _rows(path, store_dir / f".{report.sha256}.scratch")
    col = address_column(header, column, path)
    when_col = address_column(header, requested_at_column, path) if requested_at_column else None
    now = clock.now()
    seen: set[str] = set()
    adopted: list[Adopted] = []
    for line, cells in body:
        report.rows += 1
        text = cells[col] if col < len(cells) else ""
        try:
            a = parse_uncached(text)  # a list's addresses are all different: a cache would only churn
        except InvalidAddress as exc:
            report.invalid.append((line, "not UTF-8 text" if UNDECODED.search(text) else exc.reason))
            continue
        if a.key in seen:
            report.duplicates.append(line)
            continue
        seen.add(a.key)
        at = now
        if when_col is not None:
            raw = cells[when_col] if when_col < len(cells) else ""
            parsed = parse_time(raw)
            if parsed is None or not EARLIEST <= parsed <= now:  # none before 1990, none after its import
                report.bad_dates.append((line, raw[:80]))
            else:
                at = parsed
        adopted.append(Adopted(line, a.normalized, a.key, at))
    report.stored = store_dir / f"{report.sha256}{''.join(path.suffixes[-2:])[:20]}"
    if not report.stored.exists():
        partial = report.stored.with_name(report.stored.name + ".partial")
        shutil.copyfile(path, partial)
        partial.replace(report.stored)
    result: ImportResult = write_import(
        engine, settings, clock, stored=report.stored, sha256=report.sha256, size=size, source=source,
        label=path.name, adopted=adopted, rejected=len(report.invalid), duplicate=len(report.duplicates),
    )
    report.already = result.already
    report.imported = result.events
    report.version = result.version.version if result.version else None
    return report


__all__ = ["adopt_file", "ImportReport"]
