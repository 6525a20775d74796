"""unsubscribe_link: requests to the unsubscribe endpoint, one JSON object a line (SPEC §2.1).

Only a POST is an opt-out: RFC 8058 one-click or the confirmation page's button. A GET is a
page view, because mail scanners and link previews fetch every link in a message.

Each line is one record whatever it holds: it is parsed with `pipeline.core.safejson` (limits on
size, depth and number length, no NaN), a line over the size limit is never held whole in
memory, and a line that is not a JSON object is that line's `rejected` record."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pipeline.channels.base import MAX_EVIDENCE_TEXT, Draft, content_ref, guarded, requests_for
from pipeline.core import safejson
from pipeline.core.addresses import try_parse
from pipeline.core.errors import QuarantineError
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.records import IntakeRecord, Scope
from pipeline.intake.timestamps import request_time
from pipeline.intake.tokens import BadToken, verify

NAME = "unsubscribe_link"
REQUIRED = ("event_id", "occurred_at", "token", "method")
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


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    try:
        with path.open("rb") as fh:
            lines = [line for line in file_lines(fh) if line.cut or line.data.strip()]
    except OSError as exc:
        raise QuarantineError(f"{path}: cannot read: {exc.strerror}") from None
    if lines and not any(line.data.lstrip().startswith(b"{") for line in lines):
        # Not one line even looks like a JSON object: the wrong file in the wrong folder, not a few torn lines.
        if any(b"\x00" in line.data for line in lines):
            raise QuarantineError(f"{path}: binary data (NUL bytes), not a JSON Lines file")
        raise QuarantineError(f"{path}: not JSON Lines (no line is a JSON object)")
    for line in lines:
        yield guarded_line(line, ctx)


def guarded_line(line: Line, ctx: ChannelContext) -> IntakeRecord:
    return guarded(NAME, ctx.arrival, f"line {line.number}", lambda: line_evidence(line), lambda: line_record(line, ctx))


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


def line_record(line: Line, ctx: ChannelContext) -> IntakeRecord:
    locator = f"line {line.number}"
    if line.cut:
        return _unparseable(line, ctx, f"a line of {line.size:,} bytes (limit {MAX_LINE:,})")
    try:
        raw: Any = safejson.loads(line.data.decode("utf-8", errors="replace"))
    except safejson.UnsafeJSON as exc:
        return _unparseable(line, ctx, str(exc))
    if not isinstance(raw, dict):
        return _unparseable(line, ctx, f"not a JSON object (a JSON {_json_kind(raw)})")
    return request_record(raw, locator, ctx)


def _unparseable(line: Line, ctx: ChannelContext, why: str) -> IntakeRecord:
    evidence = line_evidence(line)
    return Draft(NAME, content_ref(evidence), ctx.arrival, evidence, f"line {line.number}").reject("unparseable", why)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value), type(value).__name__)


def request_record(raw: dict[str, Any], locator: str, ctx: ChannelContext) -> IntakeRecord:
    """The record of one request, a JSON object."""
    draft = _draft(raw, locator, ctx)
    missing = [f for f in REQUIRED if not str(raw.get(f) or "").strip()]
    if missing:
        return draft.reject("missing_field", f"missing {', '.join(missing)}")
    method = str(raw["method"]).strip().upper()
    if method != "POST":
        return draft.ignore("page_view", f"{method[:40]} is a page view (link scanners fetch links), not an opt-out")
    try:
        claims = verify(ctx.settings.token_keys, str(raw["token"]))
    except BadToken as exc:
        return draft.reject("bad_token", f"token does not verify: {exc}")
    address = try_parse(claims.address)
    if address is None:
        return draft.reject("invalid_address", f"token names an invalid address {claims.address!r}")
    how = "one-click (RFC 8058)" if raw.get("one_click") is True else "confirmation page"
    campaign = f", campaign {claims.campaign}" if claims.campaign else ""
    return draft.accept(requests_for([address], Scope.MARKETING), "optout", f"POST {how}, key {claims.kid}{campaign}")


def _draft(raw: dict[str, Any], locator: str, ctx: ChannelContext) -> Draft:
    evidence = dict(raw)
    ref = str(raw.get("event_id") or "").strip() or content_ref(raw)
    at, note = request_time(str(raw.get("occurred_at") or ""), ctx.arrival)
    if note:
        evidence["_requested_at_note"] = note
    return Draft(NAME, ref, at, evidence, locator)


CHANNEL = Channel(NAME, ("*.jsonl",), read, "requests to the unsubscribe endpoint")
