"""unsubscribe_link: requests to the unsubscribe endpoint, one JSON object a line (SPEC §2.1).

Only a POST is an opt-out: RFC 8058 one-click or the confirmation page's button. A GET is a
page view, because mail scanners and link previews fetch every link in a message.

Each line is one record whatever it holds: it is parsed with `pipeline.core.safejson` (limits on
size, depth and number length, no NaN), a line over the size limit is never held whole in
memory, and a line that is not a JSON object is that line's `rejected` record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.channels.base import Draft, content_ref, guarded, requests_for
from pipeline.channels.jsonlines import MAX_LINE, Line, file_lines, line_evidence
from pipeline.core import safejson
from pipeline.core.addresses import try_parse
from pipeline.core.errors import QuarantineError
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.records import IntakeRecord, Scope
from pipeline.intake.timestamps import request_time
from pipeline.intake.tokens import BadToken, verify

NAME = "unsubscribe_link"
REQUIRED = ("event_id", "occurred_at", "token", "method")


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
