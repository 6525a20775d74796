"""The encodings stored evidence hides an address in, as redaction sees through them: escapes
(quoted-printable, percent-encoding, HTML references, `\\u` escapes) read as a decoded view that
maps back to the original text, RFC 2047 encoded-words, and base64 blocks that are exactly
canonical (so re-encoding them keeps every other byte)."""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
from bisect import bisect_right
from dataclasses import dataclass

_MIN_BLOCK = 16
ESCAPE = re.compile(
    r"=\r?\n"  # quoted-printable soft line break
    r"|(?:=[0-9A-Fa-f]{2})+"  # quoted-printable octets
    r"|(?:%[0-9A-Fa-f]{2})+"  # percent-encoded octets
    r"|&#[0-9]{1,7};?|&#[xX][0-9A-Fa-f]{1,6};?|&[A-Za-z][A-Za-z0-9]{1,31};"  # HTML references
    r"|\\u[0-9A-Fa-f]{4}"  # JSON and JavaScript escapes (`\u0040`)
)
_WORD = r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?="
ENCODED_WORD = re.compile(_WORD)
ENCODED_RUN = re.compile(rf"{_WORD}(?:[ \t]*(?:\r?\n[ \t]+)?{_WORD})*")
_Q_SAFE = re.compile(rb"[A-Za-z0-9!*+\-/]")



@dataclass(frozen=True)
class Chunk:
    """A stretch of the decoded view and the stretch of the original text it came from."""

    start: int  # in the decoded view
    length: int  # in the decoded view (0 for a soft line break)
    src_start: int
    src_end: int
    literal: bool


def canonical_base64(lines: list[str]) -> bytes | None:
    """The bytes of base64 lines that decode and encode back to exactly themselves, else None."""
    payload = "".join(line.rstrip("\r\n").rstrip(" \t") for line in lines)
    if len(payload) < _MIN_BLOCK or len(payload) % 4:
        return None
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data).decode("ascii") == payload else None


def decoded_chunks(text: str) -> list[Chunk]:
    chunks, pos, start = [], 0, 0
    for m in ESCAPE.finditer(text):
        if m.start() > pos:
            chunks.append(Chunk(start, m.start() - pos, pos, m.start(), True))
            start += m.start() - pos
        length = len(unescape(m.group(0)))
        chunks.append(Chunk(start, length, m.start(), m.end(), False))
        start += length
        pos = m.end()
    if pos < len(text):
        chunks.append(Chunk(start, len(text) - pos, pos, len(text), True))
    return chunks


def chunk_text(text: str, chunk: Chunk) -> str:
    piece = text[chunk.src_start : chunk.src_end]
    return piece if chunk.literal else unescape(piece)


def to_source(chunks: list[Chunk], start: int, end: int) -> tuple[int, int]:
    """The stretch of the original text behind decoded [start, end)."""
    visible = [c for c in chunks if c.length]
    starts = [c.start for c in visible]
    first = visible[bisect_right(starts, start) - 1]
    last = visible[bisect_right(starts, end - 1) - 1]
    src_start = first.src_start + (start - first.start) if first.literal else first.src_start
    src_end = last.src_start + (end - last.start) if last.literal else last.src_end
    return src_start, src_end


def unescape(token: str) -> str:
    if token.startswith("=") and token[1:2] in ("\r", "\n"):
        return ""
    if token.startswith("\\u"):
        return chr(int(token[2:], 16))
    if token[0] in "=%":
        data = bytes.fromhex(token.replace(token[0], ""))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return html.unescape(token)


def codec_name(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "latin-1"


def decode_word(charset: str, encoding: str, payload: str) -> str:
    try:
        if encoding in "Bb":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = re.sub(
                rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), payload.replace("_", " ").encode()
            )
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return ""
    try:
        return data.decode(codec_name(charset))
    except UnicodeDecodeError:
        return data.decode("latin-1")


def q_encode(data: bytes) -> str:
    return "".join(
        "_" if byte == 0x20 else chr(byte) if _Q_SAFE.fullmatch(bytes([byte])) else f"={byte:02X}"
        for byte in data
    )
