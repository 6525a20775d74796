"""The row-by-row check for CSV the block reader does not handle (ragged rows, an unbalanced
quote): the `csv` module reads and re-writes each row; the answers are the same, only slower."""
from __future__ import annotations

import csv
from collections.abc import Iterator

from pipeline.check.blocks import REMOVED_COLUMNS, csv_line
from pipeline.check.io import Tally, address_column, open_text
from pipeline.check.keys import invalid_reason
from pipeline.check.loaded_list import Entry, MatchList
from pipeline.check.reader import Job
from pipeline.check.receipts import file_sha256
from pipeline.check.rowtext import allow_long_fields
from pipeline.core.addresses import try_parse
from pipeline.core.errors import OptoutError
from pipeline.core.formulas import neutralise


def classify(rows: Iterator[list[str]], col: int, lst: MatchList) -> Iterator[tuple[list[str], str | None, Entry | None, str]]:
    """Each row with None (keep), 'invalid_address' or 'suppressed', the matching entry and the key."""
    for row in rows:
        parsed = try_parse(row[col] if col < len(row) else "")
        if parsed is None:
            yield row, "invalid_address", None, ""
            continue
        entry = lst.lookup(parsed.key)
        yield row, ("suppressed" if entry else None), entry, parsed.key


def removed_fields(row: list[str], col: int, reason: str, entry: Entry | None, key: str) -> list[str]:
    """`REMOVED_COLUMNS` of one removed row (as the block reader writes them)."""
    if entry is None:
        cell = row[col] if col < len(row) else None
        return [reason, "", "", "", "", "", invalid_reason(cell)]
    first = entry.first_requested.isoformat() if entry.first_requested else ""
    return [reason, entry.channels, entry.since.isoformat(), key, entry.scope, first, ""]


class RowReader:
    """The row-by-row reader for CSV the block reader does not handle (ragged rows, stray
    quotes), in UTF-8 or else Windows-1252 (whichever the whole file is)."""

    name = "csv-rows"

    def read(self, job: Job) -> Tally:
        shown, delimiter, lst, removed = job.shown, job.delimiter, job.lst, job.removed
        tally = Tally(reader=self.name)
        seen: set[str] = set()
        allow_long_fields()
        with open_text(job.path) as src, job.output.open("w", encoding="utf-8", newline="") as out:
            # strict: a quote never closed is an error, not a value swallowing every row after it
            reader = csv.reader(src, delimiter=delimiter, strict=True)
            try:
                header = next(reader)
                while not header:  # blank lines before the header
                    header = next(reader)
            except StopIteration:
                raise OptoutError(f"{shown}: empty file, no header row") from None
            except csv.Error as exc:
                raise OptoutError(f"{shown}: line {reader.line_num}: {_explained(exc)}") from None
            col = address_column(header, job.column, shown)
            out.write(csv_line(header, delimiter) + "\n")
            rem = removed.open("w", encoding="utf-8", newline="") if removed else None
            if rem:
                rem.write(csv_line([*(neutralise(c) for c in header), *REMOVED_COLUMNS], delimiter) + "\n")
            try:
                for row, reason, entry, key in classify(reader, col, lst):
                    if not row:
                        continue  # an empty line is not a recipient (as in the block reader)
                    tally.rows_in += 1
                    if key:
                        tally.duplicates += key in seen
                        seen.add(key)
                    if reason is None:
                        tally.kept += 1
                        out.write(csv_line(row, delimiter) + "\n")
                        continue
                    if reason == "suppressed":
                        tally.suppressed += 1
                    else:
                        tally.invalid += 1
                    if rem:
                        fields = [neutralise(c) for c in (*row, *removed_fields(row, col, reason, entry, key))]
                        rem.write(csv_line(fields, delimiter) + "\n")
            except csv.Error as exc:
                raise OptoutError(f"{shown}: line {reader.line_num}: {_explained(exc)}") from None
            finally:
                if rem:
                    rem.close()
        tally.input_sha256 = file_sha256(job.path)
        tally.output_sha256 = file_sha256(job.output)
        return tally


ROWS = RowReader()


def _explained(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted value is never closed (an unbalanced quote runs to the end of the file)"
    return f"{text} (malformed CSV quoting)"
