"""Finding and removing one person's address in free text and JSON evidence (erasure).

Erasure is for a person, so every spelling whose match key (SPEC §4.2, `pipeline.core.addresses`)
equals the erased key is theirs: another case, a `+tag`, gmail dots, googlemail. On top of the
literal spellings the store knew and any e-mail-like token with that key, the address is found
through the encodings stored evidence uses:

- quoted-printable (`=40`, `=2E`, soft line breaks `=\\r\\n` / `=\\n` anywhere in the address),
  percent-encoding (`%40`) and HTML character references (`&#64;`, `&#x40;`, `&commat;`): the
  text is searched in decoded form and the matching stretch of the original replaced;
- base64 bodies (consecutive base64 lines, split anywhere): decoded, redacted, re-encoded with
  the same line length and line ending, so the rest of the body (another person's message)
  stays readable;
- RFC 2047 encoded-words in headers (`=?utf-8?B?…?=`, `=?utf-8?Q?…?=`, runs of them split
  mid-address): decoded, redacted, re-encoded as one encoded-word;
- base64 or base64url segments on one line (an unsubscribe token's payload): replaced whole.

Decoded payloads are searched again for every encoding (to `MAX_DEPTH` levels). A decoded
payload that is not text (a binary attachment) gets a same-length mask, so offsets inside it
keep."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.audit.escapes import (
    ENCODED_RUN,
    ENCODED_WORD,
    ESCAPE,
    canonical_base64,
    chunk_text,
    codec_name,
    decode_word,
    decoded_chunks,
    q_encode,
    to_source,
)
from pipeline.core.addresses import DOMAIN_ALIASES, try_parse

ERASED = "[erased]"
MASK = "#"
MAX_DEPTH = 3
# The characters of an e-mail-like token (not white space nor `<>"'(),;:[]\`), and how far it
# reaches on each side of its `@`.
_TOKEN_REACH = 256
_TOKEN_CHAR = r"[^\s<>\"'(),;:\[\]\\]"
_RUN = re.compile(rf"{_TOKEN_CHAR}{{0,{_TOKEN_REACH}}}")
_B64URL = re.compile(r"[A-Za-z0-9_\-]{16,}={0,2}")
_B64STD = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_B64_LINE = re.compile(r"[A-Za-z0-9+/]+={0,2}[ \t]*")
# Suffixes of file names that may follow an address in a path (a file named after its sender).
FILE_SUFFIXES = frozenset(
    "csv tsv txt eml mbox msg jsonl json htm html xml xls xlsx parquet pq pdf gz zip bz2 xz tmp part bak".split()
)
_SUFFIX = "|".join(sorted(FILE_SUFFIXES))
# Where a URL parameter or path ends and an address may begin, inside one e-mail-like token.
_URL_SEPARATOR = re.compile(r"[=/?&#@]")


@dataclass
class Redactor:
    """One person to erase: their match key, and the literal spellings the store held for it
    (found even where they do not parse, a quoted local part)."""

    key: str  # the person's match key (SPEC §4.2)
    spellings: Iterable[str] = ()
    _literal: re.Pattern[str] | None = field(init=False, default=None)
    _key_domains: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        domain = self.key.rpartition("@")[2]
        self._key_domains = frozenset({domain} | {a for a, target in DOMAIN_ALIASES.items() if target == domain})
        terms = {s.strip() for s in self.spellings if s and s.strip()}
        if terms:
            alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
            # Not part of a longer address: `xerin@example.com` or `erin@example.com.au` is someone else.
            self._literal = re.compile(
                rf"(?<![\w.%+\-])(?:{alternatives})(?![\w\-]|\.(?!(?:{_SUFFIX})\b)\w)", re.IGNORECASE
            )

    def hits(self, text: str | None) -> bool:
        return bool(text) and self.redact(text) != text  # type: ignore[arg-type]

    def redact(self, text: str | None) -> str | None:
        """The text with every spelling of the address replaced by `[erased]`."""
        if not text:
            return text
        return self._redact(text, 0, masked=False)

    def hits_json(self, value: Any) -> bool:
        return self.redact_json(value) != value

    def redact_json(self, value: Any) -> Any:
        """A JSON value with every string (keys too) redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_json(v) for k, v in value.items()}
        return value

    def _redact(self, text: str, depth: int, *, masked: bool) -> str:
        """Every pass, in the order that lets an outer encoding be undone before the inner one
        is searched; `masked` (a binary payload) replaces with `#` of the same length."""
        covered: set[str] = set()  # lines of base64 bodies already decoded whole
        if depth < MAX_DEPTH:
            text = self._redact_base64_blocks(text, depth, covered)
            text = ENCODED_RUN.sub(lambda m: self._redact_encoded_words(m.group(0), depth), text)
        text = self._redact_view(text, masked=masked)
        if depth < MAX_DEPTH:
            text = self._redact_segments(text, depth, covered, masked=masked)
        return text

    def _redact_segments(self, text: str, depth: int, covered: set[str], *, masked: bool) -> str:
        """Base64(url) segments on one line, except on the lines of a body decoded whole (a
        line of it decodes to part of what the body decoded to: nothing new to find)."""

        def one(line: str) -> str:
            for segment in (_B64URL, _B64STD):
                line = segment.sub(lambda m: self._segment(m.group(0), depth, masked=masked), line)
            return line

        if not covered:
            return one(text)
        return "".join(
            line if line.rstrip("\r\n").rstrip(" \t") in covered else one(line)
            for line in text.splitlines(keepends=True)
        )

    # -- plain and escaped text -------------------------------------------------------------

    def _redact_view(self, text: str, *, masked: bool) -> str:
        """Search the text with quoted-printable, percent and HTML escapes decoded; replace the
        original stretch behind each match (soft line breaks inside it go with it)."""
        chunks = decoded_chunks(text) if ESCAPE.search(text) else None
        decoded = text if chunks is None else "".join(chunk_text(text, c) for c in chunks)
        spans = self._find(decoded)
        if not spans:
            return text
        if chunks is not None:
            spans = _merge([to_source(chunks, s, e) for s, e in spans])
        out, pos = [], 0
        for start, end in spans:
            out.append(text[pos:start])
            out.append(MASK * (end - start) if masked else ERASED)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _find(self, text: str) -> list[tuple[int, int]]:
        """Spans of the person's address in plain text."""
        if "@" not in text:
            return []
        spans = [m.span() for m in self._literal.finditer(text)] if self._literal else []
        for start, end in _emailish_tokens(text):
            spans.extend((start + s, start + e) for s, e in self._person_spans(text[start:end]))
        return _merge(spans)

    def _person_spans(self, token: str) -> list[tuple[int, int]]:
        """Where in an e-mail-like token addresses with the person's key sit: around each `@`,
        the local part from the token's start, the previous `@` or a URL separator
        (`?e=erin@…`), the domain up to a URL's query or path after it."""
        spans = []
        for at in (m.start() for m in re.finditer("@", token)):
            begin = token.rfind("@", 0, at) + 1
            local, domain = token[begin:at], token[at + 1 :]
            cut = _URL_SEPARATOR.search(domain)
            domain = (domain[: cut.start()] if cut else domain).split("@", 1)[0].rstrip(".!?")
            found = self._person_at(local, _domains(domain))
            if found is not None:
                spans.append((begin + found[0], at + 1 + found[1]))
        return spans

    def _person_at(self, local: str, domains: list[str]) -> tuple[int, int] | None:
        starts = [0] + [m.end() for m in _URL_SEPARATOR.finditer(local)]
        for domain in domains:
            if domain.isascii() and domain.lower() not in self._key_domains:
                continue  # an ASCII domain only ever maps to itself, lower-cased (or an alias)
            for start in starts:
                found = try_parse(f"{local[start:]}@{domain}")
                if found is not None and found.key == self.key:
                    return start, len(domain)
        return None

    # -- base64 -------------------------------------------------------------------------------

    def _redact_base64_blocks(self, text: str, depth: int, covered: set[str]) -> str:
        """Every run of base64 lines (a MIME body) decoded, redacted and re-encoded; the lines
        of the bodies that decoded are added to `covered`."""
        if "\n" not in text:
            return text
        lines = text.splitlines(keepends=True)
        out: list[str] = []
        i = 0
        while i < len(lines):
            j = i
            while j < len(lines) and _B64_LINE.fullmatch(lines[j].rstrip("\r\n")):
                j += 1
            if j == i:
                out.append(lines[i])
                i += 1
                continue
            out.append(self._redact_base64_block(lines[i:j], depth, covered))
            i = j
        return "".join(out)

    def _redact_base64_block(self, lines: list[str], depth: int, covered: set[str]) -> str:
        """A run of base64 lines; a line or two of plain text at either end (a word on a line
        of its own next to a body) is left out when the whole run does not decode."""
        for head in range(min(3, len(lines))):
            for tail in range(min(3, len(lines) - head)):
                body = lines[head : len(lines) - tail]
                data = canonical_base64(body)
                if data is not None:
                    encoded = self._reencode(body, data, depth)
                    covered.update(line.rstrip("\r\n").rstrip(" \t") for line in encoded.splitlines())
                    return "".join(lines[:head]) + encoded + "".join(lines[len(lines) - tail :])
        return "".join(lines)

    def _reencode(self, lines: list[str], data: bytes, depth: int) -> str:
        """Decoded lines redacted and encoded again in the same line length and line ending."""
        redacted = self._redact_bytes(data, depth + 1)
        if redacted is None:
            return "".join(lines)
        width = len(lines[0].rstrip("\r\n").rstrip(" \t"))
        eol = lines[0][len(lines[0].rstrip("\r\n")) :] or "\n"
        encoded = base64.b64encode(redacted).decode("ascii")
        wrapped = [encoded[k : k + width] for k in range(0, len(encoded), width)] or [""]
        last_eol = lines[-1][len(lines[-1].rstrip("\r\n")) :]
        return eol.join(wrapped) + last_eol

    def _redact_bytes(self, data: bytes, depth: int) -> bytes | None:
        """Decoded bytes redacted (text as text, binary with a same-length mask), or None when
        they do not name the person."""
        binary = b"\x00" in data
        try:
            text, codec = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, codec = data.decode("latin-1"), "latin-1"
        redacted = self._redact(text, depth, masked=binary)
        if redacted == text:
            return None
        return redacted.encode(codec)

    def _segment(self, segment: str, depth: int, *, masked: bool) -> str:
        """A base64(url) segment (a token payload) that decodes to text naming the person
        is replaced whole."""
        padded = segment.rstrip("=")
        padded += "=" * (-len(padded) % 4)
        try:
            if "-" in segment or "_" in segment:
                data = base64.urlsafe_b64decode(padded)
            else:
                data = base64.b64decode(padded, validate=True)
            decoded = data.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return segment
        if self._redact(decoded, depth + 1, masked=False) == decoded:
            return segment
        return MASK * len(segment) if masked else ERASED

    # -- RFC 2047 -------------------------------------------------------------------------------

    def _redact_encoded_words(self, run: str, depth: int) -> str:
        """A run of encoded-words (whitespace between them means nothing) decoded as one text;
        when it names the person, one encoded-word of the redacted text replaces the run."""
        words = list(ENCODED_WORD.finditer(run))
        charsets = {w.group(1).lower() for w in words}
        decoded = "".join(decode_word(w.group(1), w.group(2), w.group(3)) for w in words)
        redacted = self._redact(decoded, depth + 1, masked=False)
        if redacted == decoded:
            return run
        charset = words[0].group(1) if len(charsets) == 1 else "utf-8"
        try:
            data = redacted.encode(codec_name(charset))
        except UnicodeEncodeError:
            charset, data = "utf-8", redacted.encode("utf-8")
        if words[0].group(2) in "Bb":
            return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="
        return f"=?{charset}?Q?{q_encode(data)}?="


def _emailish_tokens(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the e-mail-like tokens: around each `@`, the characters an address or a URL
    may hold, up to `_TOKEN_REACH` on each side (so a long text with few `@` costs linear time)."""
    at, end = text.find("@"), -1
    while at != -1:
        if at >= end:
            before = text[max(0, at - _TOKEN_REACH) : at][::-1]  # read backwards from the `@`
            left = at - _RUN.match(before).end()  # type: ignore[union-attr]
            right = _RUN.match(text, at + 1).end()  # type: ignore[union-attr]
            if left < at < right - 1:
                yield left, right
                end = right
        at = text.find("@", at + 1)


def _domains(domain: str) -> list[str]:
    """The domain, and without file name suffixes after it (`…@gmail.com.csv` is a file named
    after the address; `…@example.com.au` stays another address)."""
    found = [domain]
    while found[-1].count(".") > 1 and found[-1].rsplit(".", 1)[1].lower() in FILE_SUFFIXES:
        found.append(found[-1].rsplit(".", 1)[0])
    return found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


