"""What text a file holds, for erasure to search it (`erase_files`): the file itself as text with
the codec that gives back its exact bytes, or, for compressed and binary files, the texts inside
(gzip, zip members and their names, Parquet values and column names) read but never rewritten."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

MAX_DECOMPRESSED = 1 << 30  # bytes read out of one compressed file to search it


def unpacked(data: bytes) -> tuple[list[str], str]:
    """The texts inside a compressed file (or the raw bytes as Latin-1), and its kind."""
    if data[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            inner = fh.read(MAX_DECOMPRESSED)
        return [(as_text(inner) or (inner.decode("latin-1"), ""))[0]], "gzip"
    if data[:4] == b"PK\x03\x04":
        texts = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    inner = member.read(MAX_DECOMPRESSED)
                texts.append((as_text(inner) or (inner.decode("latin-1"), ""))[0])
                texts.append(info.filename)
        return texts, "zip"
    if data[:4] == b"PAR1":
        return parquet_texts(data), "Parquet"
    return [data.decode("latin-1")], "binary"


def parquet_texts(data: bytes) -> list[str]:
    """Every value and column name of a Parquet file as text (its pages are compressed, so
    the raw bytes would hide the address)."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"not a readable Parquet file: {exc}") from None
    texts = list(table.column_names)
    for column in table.columns:
        texts.append("\n".join(str(v) for v in column.to_pylist() if v is not None))
    return texts


def as_text(data: bytes) -> tuple[str, str] | None:
    """The file as text and the codec that gives back its exact bytes, or None for binary or
    compressed content. UTF-8 first; any other 8-bit text (Windows-1252, Latin-1) reads as
    Latin-1, which round-trips every byte and keeps ASCII addresses searchable."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return decoded(data, "utf-16-le")
    if data.startswith(codecs.BOM_UTF16_BE):
        return decoded(data, "utf-16-be")
    if b"\x00" in data or data[:2] == b"\x1f\x8b" or data[:4] in (b"PK\x03\x04", b"PAR1"):
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def decoded(data: bytes, codec: str) -> tuple[str, str] | None:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    return (text, codec) if text.encode(codec) == data else None
