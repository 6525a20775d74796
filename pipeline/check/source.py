"""What a recipient file is, found before the fast check reads a row (SPEC §7 `check`).

The block reader (`pipeline.check.csvstream`) is fast because it assumes little: UTF-8 or
Windows-1252 text whose rows end in LF or CRLF. Everything else a marketer's tool exports is
recognised here, from the first 64 KiB, and either turned into that shape or refused:

- the paths: OUT (and the removed-rows file) must not be INPUT or each other (also through a symlink or
  another spelling of the same path), and OUT's folder must exist;
- empty and binary files (NUL or many control bytes, neither UTF-8 nor Windows-1252) are refused;
- an Excel `.xlsx` workbook (a ZIP, found by its magic bytes) is read through a CSV copy of its
  first visible worksheet (`pipeline.check.xlsx`); an old `.xls` or an encrypted workbook is refused;
- `.csv.gz` (any gzip, found by its magic bytes) and UTF-16 (found by its byte-order mark) are
  read through a plain UTF-8 copy beside OUT, removed after the check;
- rows ended by a bare CR (old Mac and Excel exports) get LF in that copy (a CR inside a quoted
  value is data and stays);
- the delimiter (`,` `;` tab `|`) is sniffed from the header and the rows after it.

A refusal is an `OptoutError` naming the file and the problem (exit 2): never a traceback,
never a check that silently reads the wrong rows.
"""
from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipeline.check import xlsx
from pipeline.check.csvstream import bare_returns
from pipeline.check.sniff import (
    DELIMITERS,
    GZIP_MAGIC,
    SAMPLE,
    UTF8_BOM,
    UTF16_BOMS,
    ZIP_MAGIC,
    check_paths,
    decode_sample,
    read_head,
    refuse_binary,
    same_file,
    sniff_delimiter,
)
from pipeline.core.errors import OptoutError

__all__ = ["DELIMITERS", "SAMPLE", "ZIP_MAGIC", "Source", "check_paths", "open_source", "refuse_binary",
           "same_file", "sniff_delimiter", "write_plain_copy"]

COPY_CHUNK = 1 << 22
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class Source:
    """The file the check reads (INPUT itself, or a plain UTF-8 copy of it) and how."""

    path: Path
    delimiter: str
    copied: str = ""  # why `path` is a copy ("gzip", "UTF-16", "bare CR line ends"), "" when it is INPUT

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES[self.delimiter]


def _gzip_head(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(SAMPLE)
    except (OSError, EOFError, zlib.error) as exc:
        raise OptoutError(f"{path}: not a readable gzip file ({exc or 'truncated'})") from None


@contextmanager
def open_source(input_path: Path, output: Path) -> Iterator[Source]:
    """INPUT as the block reader can take it: itself, or a plain UTF-8 LF copy beside OUT
    (removed when the check ends)."""
    head = read_head(input_path)
    if not head:
        raise OptoutError(f"{input_path}: empty file (0 bytes), no header row")
    if xlsx.is_spreadsheet(head):  # an Excel workbook: its first visible sheet, as a CSV copy
        with xlsx.csv_copy(input_path, output.with_name(f".{output.name}.input.partial")) as copy:
            yield Source(copy, ",", "Excel workbook")
        return
    copied = ""
    if head.startswith(GZIP_MAGIC):
        copied, head = "gzip", _gzip_head(input_path)
        if not head:
            raise OptoutError(f"{input_path} (gzip): empty content, no header row")
    if head.startswith(UTF16_BOMS):
        copied = f"{copied}, UTF-16" if copied else "UTF-16"
        head = _utf16_head(input_path, head, copied)
    refuse_binary(input_path, head, copied)
    sample_body = head[len(UTF8_BOM):] if head.startswith(UTF8_BOM) else head
    if len(bare_returns(sample_body)):
        copied = f"{copied}, bare CR line ends" if copied else "bare CR line ends"
    delimiter = sniff_delimiter(decode_sample(head))
    if not copied:
        yield Source(input_path, delimiter)
        return
    copy = output.with_name(f".{output.name}.input.partial")
    try:
        write_plain_copy(input_path, copy)
        yield Source(copy, delimiter, copied)
    finally:
        copy.unlink(missing_ok=True)


def _utf16_head(path: Path, head: bytes, what: str) -> bytes:
    try:
        text = codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise OptoutError(f"{path} ({what}): not readable as UTF-16 ({exc.reason})") from None
    return text.encode("utf-8")


def _raw_stream(path: Path) -> BinaryIO:
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _decoded(path: Path, fh: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes; UTF-16 (by its BOM) decoded to UTF-8."""
    first = fh.read(COPY_CHUNK)
    decoder = codecs.getincrementaldecoder("utf-16")() if first.startswith(UTF16_BOMS) else None
    chunk = first
    while chunk:
        if decoder is None:
            yield chunk
        else:
            try:
                yield decoder.decode(chunk).encode("utf-8")
            except UnicodeDecodeError as exc:
                raise OptoutError(f"{path}: not readable as UTF-16 ({exc.reason})") from None
        chunk = fh.read(COPY_CHUNK)
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise OptoutError(f"{path}: UTF-16 text cut in the middle of a character ({exc.reason})") from None


def write_plain_copy(path: Path, copy: Path) -> int:
    """Copy INPUT to `copy` decompressed, as UTF-8, with every bare CR outside quotes made LF;
    return how many CRs were changed. A damaged gzip is bad input (exit 2)."""
    changed, inside, held = 0, 0, b""
    try:
        with _raw_stream(path) as src, copy.open("wb") as out:
            for chunk in _decoded(path, src):
                data = held + chunk
                held = data[-1:] if data.endswith(b"\r") else b""  # is it followed by LF? the next chunk says
                data = data[: len(data) - len(held)]
                fixed, n, inside = fix_bare_returns(data, inside)
                changed += n
                out.write(fixed)
            out.write(held if inside else b"\n" * len(held))  # a last CR: a line end, unless quoted
            changed += len(held) if not inside else 0
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise OptoutError(f"{path}: damaged gzip file ({exc or 'truncated'}): nothing checked") from None
    except OSError as exc:
        raise OptoutError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return changed


def fix_bare_returns(data: bytes, inside: int) -> tuple[bytes, int, int]:
    """`data` with bare CRs outside quotes made LF, how many, and the quote state after it.

    A CR ending `data` counts as bare: the copy holds a chunk's last CR back until it sees the
    next byte, so a CR still last here is followed by another CR (or ends the file)."""
    returns = bare_returns(data + b"\r", inside)
    after = (inside + data.count(b'"')) % 2
    if not len(returns):
        return data, 0, after
    buf = bytearray(data)
    view = np.frombuffer(buf, dtype=np.uint8)
    view[returns] = 10
    return bytes(buf), len(returns), after
