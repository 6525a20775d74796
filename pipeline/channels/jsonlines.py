"""Lines of a JSON Lines file read with bounded memory, shared by the channels that read them
(`unsubscribe_link`, `esp_events`): a line over the limit keeps only its start and its hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from pipeline.channels.base import MAX_EVIDENCE_TEXT
from pipeline.core import safejson

BOM = b"\xef\xbb\xbf"
MAX_LINE = safejson.MAX_BYTES  # bytes of one line; a longer line is rejected, its start kept
_BLOCK = 1 << 20
_LINE_END = re.compile(rb"\r\n|\r|\n")  # JSON escapes CR and LF inside strings: any of them ends a line


@dataclass(frozen=True)
class Line:
    """One line of the file: its bytes (only their start when it is over the limit: `cut`),
    and its full size (with the full line's hash when it was cut)."""

    number: int
    data: bytes
    size: int
    sha256: str = ""

    @property
    def cut(self) -> bool:
        return self.size > len(self.data)


def file_lines(fh: IO[bytes], limit: int = MAX_LINE) -> Iterator[Line]:
    """The lines of a file, ended by LF, CRLF or CR, a leading BOM dropped. A line longer
    than `limit` bytes keeps only its start (and the hash of all of it), so one huge line
    costs neither memory nor time."""
    number, kept, size, digest = 1, bytearray(), 0, None
    after_cr = False
    for block in _blocks(fh):
        pos = 1 if after_cr and block.startswith(b"\n") else 0  # the LF of a CRLF split between blocks
        while True:
            match = _LINE_END.search(block, pos)
            piece = block[pos : match.start() if match else len(block)]
            if digest is None and len(kept) + len(piece) > limit:
                digest = hashlib.sha256(kept)
            if digest is not None:
                digest.update(piece)
            if len(kept) <= limit:
                kept += piece[: limit + 1 - len(kept)]
            size += len(piece)
            if match is None:
                after_cr = pos == len(block) and block.endswith(b"\r")  # a CR, maybe of a CRLF, ended the block
                break
            yield _line(number, kept, size, digest)
            number, kept, size, digest = number + 1, bytearray(), 0, None
            pos = match.end()
    if size:
        yield _line(number, kept, size, digest)


def _line(number: int, kept: bytearray, size: int, digest: Any) -> Line:
    """A line; one that was cut keeps only what its evidence shows (UTF-8: up to 4 bytes a character)."""
    if digest is None:
        return Line(number, bytes(kept), size)
    return Line(number, bytes(kept[: MAX_EVIDENCE_TEXT * 4]), size, digest.hexdigest())


def _blocks(fh: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes in blocks, without a leading UTF-8 BOM."""
    head = fh.read(len(BOM))
    if head and head != BOM:
        yield head
    yield from iter(lambda: fh.read(_BLOCK), b"")


def line_evidence(line: Line) -> dict[str, Any]:
    """A line kept as evidence when it is not a JSON object: a bounded prefix, and for a cut
    line its size and hash, so two long lines that start alike stay two records."""
    evidence: dict[str, Any] = {"line": line.data[: MAX_EVIDENCE_TEXT * 4].decode("utf-8", errors="replace")[:MAX_EVIDENCE_TEXT]}
    if line.cut or len(line.data) > MAX_EVIDENCE_TEXT:
        evidence["line_bytes"] = line.size
        evidence["line_sha256"] = line.sha256 or hashlib.sha256(line.data).hexdigest()
    return evidence
