"""Recipient CSV files in blocks of whole rows, for the check at scale.

A block keeps the raw bytes of its rows, so the rows that may be sent are written back byte for
byte (every column, its quoting and its row order, exactly as the marketer's tool wrote them);
only the address column is parsed (by Arrow). Row boundaries are newlines outside quotes (the
count of `"` before a newline is even, which RFC 4180 doubling keeps true). A file Arrow and this
splitter do not agree on (ragged rows, a stray quote) raises `IrregularCsv`, and the caller
falls back to the row-by-row reader; a bare CR line end raises `BareReturns`, and the caller
reads the file again through a copy with LF (`pipeline.check.source`). The delimiter is the one
`pipeline.check.source` sniffed.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

BLOCK_SIZE = 1 << 23  # 8 MiB of CSV text per block: about 140,000 rows (16 MiB left two workers unevenly loaded)
BOM = b"\xef\xbb\xbf"
MAX_CARRY = 8  # blocks of text without a row end before the file counts as irregular


class IrregularCsv(Exception):
    """The file is CSV the fast reader does not handle; use the row-by-row reader."""


class BareReturns(IrregularCsv):
    """A row ends in a bare CR (outside quotes): read the file again through a copy with LF."""


class BadText(Exception):
    """The file holds what no CSV holds (a NUL byte): refuse it."""


class NotUtf8(Exception):
    """The file is not UTF-8 (read it again as Windows-1252)."""


@dataclass
class Block:
    data: bytes
    starts: np.ndarray  # first byte of each non-empty row
    ends: np.ndarray  # one past its last byte, line terminator excluded
    stops: np.ndarray  # one past its line terminator
    cells: pa.Array  # the address column, one string per row


def quote_parity(buf: np.ndarray, start: int = 0) -> np.ndarray:
    """For each byte, whether it is inside quotes (an odd count of `"` up to it, plus `start`)."""
    return (np.cumsum(buf == 34) + start) % 2 == 1


def bare_returns(data: bytes, inside_at_start: int = 0) -> np.ndarray:
    """Positions of CRs outside quotes not followed by LF (a CR as the last byte is not counted):
    line ends to Arrow and the `csv` module, not to the splitter."""
    buf = np.frombuffer(data, dtype=np.uint8)
    returns = np.flatnonzero(buf[:-1] == 13)
    if not len(returns):
        return returns
    returns = returns[buf[returns + 1] != 10]
    if (inside_at_start or b'"' in data) and len(returns):
        returns = returns[~quote_parity(buf, inside_at_start)[returns]]
    return returns


def _row_ends(buf: np.ndarray, quoted: bool) -> np.ndarray:
    newlines = np.flatnonzero(buf == 10)
    if quoted:
        quotes = np.flatnonzero(buf == 34)
        newlines = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    return newlines


def split_rows(data: bytes, final: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Row (starts, ends, stops) of the complete rows in `data` and how many bytes they use."""
    buf = np.frombuffer(data, dtype=np.uint8)
    quoted = b'"' in data
    if b"\r" in data and not quoted and b"\r\n" not in data:
        raise BareReturns("bare CR line ends")
    newlines = _row_ends(buf, quoted)
    used = int(newlines[-1]) + 1 if len(newlines) else 0
    stops = newlines + 1
    if final and used < len(data):
        stops = np.append(stops, len(data))
        used = len(data)
    starts = np.concatenate(([0], stops[:-1])).astype(np.int64)
    ends = stops.copy()
    has_lf = ends > starts
    has_lf[has_lf] = buf[ends[has_lf] - 1] == 10
    ends[has_lf] -= 1
    has_cr = ends > starts
    has_cr[has_cr] = buf[ends[has_cr] - 1] == 13
    ends[has_cr] -= 1
    keep = ends > starts  # Arrow, pandas and csv readers skip empty lines
    return starts[keep], ends[keep], stops[keep], used


def parse_cells(data: bytes, ncols: int, col: int, rows: int, delimiter: str = ",") -> pa.Array:
    """The address column of `rows` complete CSV rows, parsed by Arrow.

    Arrow drops a byte order mark at the start of what it reads; here that is the first row of a
    block, whose first cell keeps it for every other reader (the file's own mark went with the
    header). So the block is read behind an empty line, which Arrow skips as every empty line."""
    names = [f"c{i}" for i in range(ncols)]
    if data.startswith(BOM):
        data = b"\n" + data
    try:
        table = pacsv.read_csv(
            pa.BufferReader(arrow_owned(data)),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=len(data) + 1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[col]], column_types={names[col]: pa.string()},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        if len(bare_returns(data)):  # a bare CR cut a row in two for Arrow
            raise BareReturns(f"bare CR line ends ({str(exc).splitlines()[0]})") from None
        raise IrregularCsv(str(exc).splitlines()[0]) from None
    if table.num_rows != rows:
        if len(bare_returns(data)):
            raise BareReturns(f"{table.num_rows} parsed rows for {rows} lines: bare CR line ends")
        raise IrregularCsv(f"{table.num_rows} parsed rows for {rows} lines")
    column = table.column(0)
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def arrow_owned(data: bytes) -> pa.Buffer:
    """`data` copied into memory Arrow owns, for Arrow's CSV reader.

    The reader reads its input on a background thread of Arrow's I/O pool, which may drop the
    last reference to it after `read_csv` returned. Were the input Python memory (a `bytes`),
    that thread would need the GIL to free it; if the interpreter is exiting by then, Python
    ends the thread inside Arrow's C++ frames and the process aborts ("terminate called without
    an active exception", exit 134). A copy costs a few milliseconds per 8 MiB block."""
    buffer = pa.allocate_buffer(len(data))
    np.frombuffer(buffer, dtype=np.uint8)[:] = np.frombuffer(data, dtype=np.uint8)
    return buffer


def _check_utf8(data: bytes, cp1252: bool) -> bytes:
    """UTF-8 text as is (checked by Arrow, without the GIL), or Windows-1252 transcoded."""
    if cp1252:
        try:
            return data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise IrregularCsv(f"neither UTF-8 nor Windows-1252 ({exc.reason})") from None
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32).tobytes())
    try:
        pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.string())
    except pa.ArrowInvalid:
        raise NotUtf8() from None
    return data


def read_header(fh: BinaryIO, cp1252: bool, delimiter: str = ",") -> tuple[bytes, list[str], bytes]:
    """The raw header row (no terminator), its column names and its line terminator.

    Blank lines before it are skipped (they are not a header). A header holding a CR outside
    quotes is a file with bare-CR line ends (`BareReturns`): it must not swallow the rows."""
    head = b""
    while True:
        chunk = fh.readline()
        head += chunk
        if head.startswith(BOM):
            head = head[len(BOM):]
        if chunk and not head.strip(b"\r\n"):
            head = b""  # a blank line before the header
            continue
        if not chunk or head.count(b'"') % 2 == 0:
            break
    head = _check_utf8(head, cp1252)
    terminator = b"\r\n" if head.endswith(b"\r\n") else b"\n"
    head = head.rstrip(b"\r\n")
    if len(bare_returns(head + b"\n")):
        raise BareReturns("bare CR in the header row")
    if b"\x00" in head:
        raise BadText("NUL byte in the header row")
    if not head:
        return head, [], terminator
    try:
        names = next(csv.reader(io.StringIO(head.decode("utf-8"), newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise IrregularCsv(f"header row: {exc}") from None
    return head, names, terminator


def _cut(data: bytearray, size: int, final: bool) -> int:
    """How many leading bytes of `data[:size]` are whole rows: up to the last newline outside quotes."""
    if final:
        return size
    end = data.rfind(b"\n", 0, size)
    if data.find(b'"', 0, end) < 0:
        return end + 1
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end)
    return end + 1


def views(fh: BinaryIO, block_size: int = BLOCK_SIZE) -> Iterator[memoryview]:
    """Raw text of whole rows after the header, about `block_size` bytes at a time, read into one
    reused buffer: each view is valid only until the next one is asked for (copy it to keep it)."""
    buf = bytearray(2 * block_size)
    carry = 0  # an unfinished row, moved to the front of the buffer
    while True:
        if len(buf) < carry + block_size:
            buf.extend(bytes(carry + block_size - len(buf)))
        with memoryview(buf) as room:
            n = fh.readinto(room[carry : carry + block_size])  # type: ignore[attr-defined]
        size, final = carry + n, n == 0
        if not size:
            return
        used = _cut(buf, size, final)
        if used:
            with memoryview(buf) as whole, whole[:used] as rows:
                yield rows
        carry = size - used
        if carry > MAX_CARRY * block_size:  # an unbalanced quote: no row ends in sight
            raise IrregularCsv("no end of row outside quotes within the last blocks (an unbalanced quote?)")
        buf[:carry] = buf[used:size]
        if final:
            return


def chunks(fh: BinaryIO, block_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Raw text of whole rows after the header, about `block_size` bytes at a time."""
    for view in views(fh, block_size):
        yield view.tobytes()


def prepare(data: bytes, ncols: int, col: int, cp1252: bool, delimiter: str = ",") -> Block:
    """A block of whole rows: validated (or transcoded) to UTF-8, split, address column parsed."""
    if b"\x00" in data:
        raise BadText("NUL byte in a row")
    data = _check_utf8(data, cp1252)
    if b'"' in data and data.count(b'"') % 2:  # blocks are cut outside quotes: only the last can be odd
        raise IrregularCsv("a quote is never closed (or a stray quote inside a value)")
    starts, ends, stops, _ = split_rows(data, True)
    if not len(starts):
        return Block(data, starts, ends, stops, pa.array([], pa.string()))
    cells = plain_cells(data, starts, ends, ncols, col, delimiter)
    if cells is None:
        cells = parse_cells(data, ncols, col, len(starts), delimiter)
    return Block(data, starts, ends, stops, cells)


def plain_cells(data: bytes, starts: np.ndarray, ends: np.ndarray, ncols: int, col: int,
                delimiter: str = ",") -> pa.Array | None:
    """The address column of a block with no quotes and no stray CR, cut at its delimiters
    (numpy), or None when the block is not that plain (Arrow's parser then reads it).

    Without quotes a field is the text between two delimiters, exactly as Arrow reads it; every
    row must hold exactly `ncols - 1` of them (a ragged row goes to Arrow, which rejects it). A CR
    that does not end a line would be a line end to Arrow and the `csv` module, so it sends the
    block to Arrow too. Delimiters are ASCII, so the cut cells stay valid UTF-8."""
    if b'"' in data:
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    returns = np.flatnonzero(buf == 13)
    if len(returns) and (returns[-1] + 1 >= len(buf) or not (buf[returns + 1] == 10).all()):
        return None
    commas = np.flatnonzero(buf == ord(delimiter))
    k = ncols - 1
    if len(commas) != len(starts) * k:
        return None
    if k:
        grid = commas.reshape(-1, k)  # the commas of row i, if each row holds exactly k of them
        if not ((grid[:, 0] >= starts).all() and (grid[:, -1] < ends).all()):
            return None
        first = starts if col == 0 else grid[:, col - 1] + 1
        last = grid[:, col] if col < k else ends
    else:
        first, last = starts, ends
    return _spans(data, first, last).cast(pa.string())


def kept_bytes(block: Block, keep: np.ndarray) -> memoryview:
    """The bytes of the kept rows, terminators kept, in order: each run of consecutive kept rows
    is copied whole (with any blank lines inside it), by Arrow, without a Python loop over runs."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], keep.astype(np.int8), [0]))))
    if not len(edges):
        return memoryview(b"")
    first, last = edges[0::2], edges[1::2] - 1
    stops = block.stops[last]
    kept = flat_bytes(_spans(block.data, block.starts[first], stops))
    if block.data[int(stops[-1]) - 1 : int(stops[-1])] != b"\n":  # the file's last row had no line end
        return memoryview(kept.tobytes() + b"\n")
    return kept


def row_texts(block: Block, rows: np.ndarray) -> pa.Array:
    """The bytes of the given rows (terminators excluded) as a binary array."""
    return _spans(block.data, block.starts[rows], block.ends[rows])


def _spans(data: bytes, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """`data[starts[i]:ends[i]]` for every i, as a binary array, without a loop: the data with
    interleaved span/gap offsets, every other element taken."""
    bounds = np.empty(2 * len(starts), dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = ends
    offsets = pa.py_buffer(np.append(bounds, bounds[-1] if len(bounds) else 0).astype(np.int32).tobytes())
    spans = pa.Array.from_buffers(pa.binary(), 2 * len(starts), [None, offsets, pa.py_buffer(data)])
    return spans.take(pa.array(np.arange(0, 2 * len(starts), 2)))


def flat_bytes(values: pa.Array) -> memoryview:
    """The values of a binary array one after the other, as one buffer (no copy)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    return memoryview(values.buffers()[2])[offsets[0] : offsets[-1]]


def open_binary(path: Path) -> BinaryIO:
    return path.open("rb", buffering=0)
