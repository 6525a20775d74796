"""What a recipient file is, from its first bytes, in plain Python (no numpy, no Arrow): the
checks on INPUT's and OUT's paths, the refusal of what is not text, and the sniffed delimiter.
`pipeline.check.source` builds on these for the big path; the small-file path
(`pipeline.check.small`) asks the same questions of the same bytes, so both answer alike."""
from __future__ import annotations

import codecs
import csv
import io
import os
from pathlib import Path

from pipeline.core.errors import OptoutError

SAMPLE = 1 << 16
PARQUET_SUFFIXES = (".parquet", ".pq")  # a file named so is read as Parquet
DELIMITERS = (",", ";", "\t", "|")
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF8_BOM = codecs.BOM_UTF8
CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (symlinks, `..`, hard links); a missing path is itself only."""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_paths(input_path: Path, output: Path, removed: Path | None) -> None:
    """Refuse outputs that would overwrite INPUT or each other, or land in no folder."""
    if not input_path.is_file():
        raise OptoutError(f"{input_path}: no such file")
    named = [("output", "the output file", output)]
    if removed is not None:
        named.append(("removed", "the removed-rows file", removed))
    for field, what, path in named:
        if same_file(path, input_path):
            raise OptoutError(f"{what} {path} is the input file {input_path}: choose another output file", field=field)
        if not path.parent.is_dir():
            raise OptoutError(f"{what} {path}: folder {path.parent} does not exist", field=field)
        if path.is_dir():
            raise OptoutError(f"{what} {path} is a folder: name a file", field=field)
    if removed is not None and same_file(removed, output):
        raise OptoutError(f"the removed-rows file {removed} is the output file: choose two different files", field="removed")
    receipt = Path(str(output) + ".receipt.json")
    if same_file(receipt, input_path):
        raise OptoutError(f"the output file {output}: its receipt {receipt} would overwrite the input file", field="output")


def read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(SAMPLE)
    except OSError as exc:
        raise OptoutError(f"{path}: cannot read ({exc.strerror})") from None


def refuse_binary(path: Path, head: bytes, what: str = "") -> None:
    """Refuse a sample that is not text: NUL bytes, many control bytes, or neither UTF-8 nor Windows-1252."""
    inside = f" ({what})" if what else ""
    if head.startswith(ZIP_MAGIC):
        raise OptoutError(f"{path}{inside}: a ZIP archive (an Excel .xlsx workbook?), not a CSV: save the sheet as CSV (UTF-8)")
    if b"\x00" in head:
        hint = "; UTF-16 without a byte-order mark? save it as UTF-8 CSV" if head[1::2].count(0) > len(head) // 4 else ""
        raise OptoutError(f"{path}{inside}: binary file (NUL bytes), not a CSV{hint}")
    controls = len(head) - len(head.translate(None, CONTROL))
    if controls > max(2, len(head) // 100):
        raise OptoutError(f"{path}{inside}: binary file ({controls} control bytes in the first {len(head)}), not a CSV")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        try:
            head.decode("cp1252")
        except UnicodeDecodeError:
            raise OptoutError(f"{path}{inside}: neither UTF-8 nor Windows-1252 text, not a CSV") from None


def _header_line(text: str) -> tuple[str, list[str]]:
    """The first non-empty line of the sample and the lines after it (quote-aware, by `csv`)."""
    lines = io.StringIO(text, newline="").read().splitlines()
    lines = [line for line in lines if line.strip()]
    return (lines[0], lines[1:50]) if lines else ("", [])


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV sample: the candidate that splits the header and most of the rows
    after it into the same number of fields (ties: the one splitting the header most, then
    `,` `;` tab `|`). One column (no candidate in the header): comma."""
    header, rest = _header_line(text)
    best, best_score = ",", (0, 0, 0)
    for rank, delimiter in enumerate(DELIMITERS):
        fields = next(csv.reader([header], delimiter=delimiter), [])
        if len(fields) < 2:
            continue
        same = sum(1 for row in csv.reader(rest, delimiter=delimiter) if len(row) == len(fields))
        score = (same, len(fields), -rank)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def decode_sample(head: bytes) -> str:
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return head.decode("cp1252", errors="replace")
