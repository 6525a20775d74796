"""esp_events: the webhook bodies e-mail service providers post, landed as files (docs/esp.md).

A file is `<provider>-<anything>.json` (one body) or `.jsonl` (one body a line), `<provider>`
one of sendgrid, ses, mailgun, postmark, mailchimp; `<provider>-adopted-<stamp>.jsonl` holds
suppressions adopted from the provider's own list (`optout reconcile --adopt`).

Each event is one record: a SendGrid array's element, an SNS message, a webhook body. Every
body and every event passes through `guarded`, so one broken body, line or event is its own
`rejected` record and never costs the others."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.channels.base import MAX_EVIDENCE_TEXT, Draft, content_ref, guarded, requests_for
from pipeline.channels.esp import events as esp
from pipeline.channels.jsonlines import Line, file_lines, line_evidence
from pipeline.core import safejson
from pipeline.core.addresses import try_parse
from pipeline.core.config import ESP_PROVIDERS
from pipeline.core.errors import QuarantineError
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.records import IntakeRecord, Scope
from pipeline.intake.timestamps import request_time

NAME = "esp_events"
MAX_FILE = 64 << 20  # bytes of a `.json` body (a SendGrid batch of thousands of events)
FILE_LIMITS = safejson.Limits(max_bytes=MAX_FILE)
ADOPTED = "optout_adopted"


def provider_of(path: Path) -> str:
    """The provider a file's name starts with; QuarantineError for any other name."""
    prefix = path.name.split("-", 1)[0].lower()
    if "-" not in path.name or prefix not in ESP_PROVIDERS:
        raise QuarantineError(f"{path}: the name must start with a provider and '-' ({', '.join(ESP_PROVIDERS)})")
    return prefix


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    provider = provider_of(path)
    adopted = path.name.lower().startswith(f"{provider}-adopted-")
    if path.suffix.lower() == ".json" and not adopted:
        yield from _json_file(path, provider, ctx)
        return
    try:
        with path.open("rb") as fh:
            lines = [line for line in file_lines(fh) if line.cut or line.data.strip()]
    except OSError as exc:
        raise QuarantineError(f"{path}: cannot read: {exc.strerror}") from None
    if lines and all(b"\x00" in line.data for line in lines):
        raise QuarantineError(f"{path}: binary data (NUL bytes), not JSON Lines")
    for line in lines:
        yield from _line_records(line, provider, adopted, ctx)


def _json_file(path: Path, provider: str, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError as exc:
        raise QuarantineError(f"{path}: cannot read: {exc.strerror}") from None
    line = Line(1, data[: MAX_EVIDENCE_TEXT * 4], size, hashlib.sha256(data).hexdigest()) if size > MAX_FILE else Line(1, data, size)
    if not data.strip():
        return
    if line.cut:
        yield _unparseable(line, ctx, f"a body of {size:,} bytes (limit {MAX_FILE:,})", "body")
        return
    yield from _body_records(line, provider, ctx, FILE_LIMITS, "body")


def _line_records(line: Line, provider: str, adopted: bool, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    if line.cut:
        yield _unparseable(line, ctx, f"a line of {line.size:,} bytes (limit {safejson.MAX_BYTES:,})", f"line {line.number}")
    elif adopted:
        yield guarded(NAME, ctx.arrival, f"line {line.number}", lambda: line_evidence(line), lambda: _adopted(line, provider, ctx))
    else:
        yield from _body_records(line, provider, ctx, safejson.DEFAULT, f"line {line.number}")


def _body_records(line: Line, provider: str, ctx: ChannelContext, limits: safejson.Limits, where: str) -> Iterator[IntakeRecord]:
    try:
        body: Any = safejson.loads(line.data.decode("utf-8", errors="replace"), limits)
    except safejson.UnsafeJSON as exc:
        yield _unparseable(line, ctx, str(exc), where)
        return
    except Exception as exc:  # the safety net: never one body's error for the whole file
        failure = exc
        yield guarded(NAME, ctx.arrival, where, lambda: line_evidence(line), lambda: _raise(failure))
        return
    for n, event in enumerate(esp.events(provider, body), 1):
        locator = f"{where} event {n}" if isinstance(body, list) else where
        yield _guarded_event(provider, event, locator, ctx)


def _guarded_event(provider: str, event: Any, locator: str, ctx: ChannelContext) -> IntakeRecord:
    return guarded(NAME, ctx.arrival, locator, lambda: _evidence(event), lambda: _event_record(provider, event, locator, ctx))


def _raise(exc: Exception) -> IntakeRecord:
    raise exc


def _evidence(event: Any) -> dict[str, Any]:
    return event if isinstance(event, dict) else {"event": repr(event)}


def _event_record(provider: str, event: Any, locator: str, ctx: ChannelContext) -> IntakeRecord:
    def draft_for(ref: str, at_text: Any) -> Draft:
        evidence: dict[str, Any] = {"provider": provider, "event": event}
        at, note = request_time(at_text if isinstance(at_text, str) else None, ctx.arrival)
        if note:
            evidence["_requested_at_note"] = note
        return Draft(NAME, ref, at, evidence, locator)

    return esp.decide(provider, event, draft_for)


def _adopted(line: Line, provider: str, ctx: ChannelContext) -> IntakeRecord:
    """A suppression adopted from the provider's own list: accepted, scope marketing."""
    where = f"line {line.number}"
    try:
        raw: Any = safejson.loads(line.data.decode("utf-8", errors="replace"))
    except safejson.UnsafeJSON as exc:
        return _unparseable(line, ctx, str(exc), where)
    item = raw.get(ADOPTED) if isinstance(raw, dict) else None
    if not isinstance(item, dict):
        return _unparseable(line, ctx, f"not an {{{ADOPTED!r}: {{...}}}} object", where)
    sha, number = esp.text(item.get("source_sha256"), 128), esp.text(item.get("line"), 20)
    ref = f"adopted:{provider}:{sha}:{number}" if sha and number else content_ref(raw)
    created = item.get("created")
    at, note = request_time(created if isinstance(created, str) else None, ctx.arrival)
    evidence = dict(raw)
    if note and created is not None:
        evidence["_requested_at_note"] = note
    draft = Draft(NAME, ref, at, evidence, where)
    missing = [f for f in ("address", "source_sha256", "line") if not esp.text(item.get(f))]
    if missing:
        return draft.reject("missing_field", f"adopted suppression without {', '.join(missing)}")
    address = try_parse(esp.text(item.get("address")))
    if address is None:
        return draft.reject("invalid_address", f"adopted suppression names an invalid address {esp.text(item.get('address'), 200)!r}")
    reason = esp.text(item.get("reason"), 200)
    return draft.accept(
        requests_for([address], Scope.MARKETING), "optout", f"adopted from {provider}'s suppression list ({reason or 'no reason given'})"
    )


def _unparseable(line: Line, ctx: ChannelContext, why: str, where: str) -> IntakeRecord:
    evidence = line_evidence(line)
    return Draft(NAME, content_ref(evidence), ctx.arrival, evidence, where).reject("unparseable", why)


CHANNEL = Channel(NAME, ("*.json", "*.jsonl"), read, "webhook bodies of e-mail service providers")
