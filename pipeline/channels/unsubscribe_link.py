"""unsubscribe_link: requests to the unsubscribe endpoint, one JSON object a line (SPEC §2.1).

Only a POST is an opt-out: RFC 8058 one-click or the confirmation page's button. A GET is a
page view, because mail scanners and link previews fetch every link in a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.addresses import try_parse
from pipeline.channels.base import Channel, ChannelContext, Draft, content_ref, requests_for
from pipeline.errors import QuarantineError
from pipeline.records import IntakeRecord, Scope
from pipeline.timestamps import request_time
from pipeline.tokens import BadToken, verify

NAME = "unsubscribe_link"
REQUIRED = ("event_id", "occurred_at", "token", "method")


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuarantineError(f"{path}: cannot read: {exc.strerror}") from None
    if b"\x00" in data:
        raise QuarantineError(f"{path}: binary data (NUL bytes), not a JSON Lines file")
    lines = [(n, line) for n, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1) if line.strip()]
    records = [request_record(line, f"line {n}", ctx) for n, line in lines]
    if records and all(r.reason == "unparseable" for r in records):
        # Not one JSON object: the wrong file in the wrong folder, not a few torn lines.
        raise QuarantineError(f"{path}: not JSON Lines (no line is a JSON object)")
    yield from records


def request_record(line: str, locator: str, ctx: ChannelContext) -> IntakeRecord:
    try:
        raw: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raw = None
        error = f"not JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(raw, dict):
        evidence = {"line": line[:4000]}
        draft = Draft(NAME, content_ref(evidence), ctx.arrival, evidence, locator)
        return draft.reject("unparseable", error if raw is None else "not a JSON object")
    draft = _draft(raw, locator, ctx)
    missing = [f for f in REQUIRED if not str(raw.get(f) or "").strip()]
    if missing:
        return draft.reject("missing_field", f"missing {', '.join(missing)}")
    method = str(raw["method"]).strip().upper()
    if method != "POST":
        return draft.ignore("page_view", f"{method} is a page view (link scanners fetch links), not an opt-out")
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
