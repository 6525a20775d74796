"""From a message in a mail file to a channel `Draft`: its source_ref (Message-ID, or a hash
of the raw message), its requested_at (Date, or the file's arrival when missing or absurd),
and the evidence kept with the record (SPEC §2.2, §3)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from pipeline.channels.base import MAX_EVIDENCE_TEXT, Draft, guarded, requests_for
from pipeline.channels.mail.classify import Verdict, classify
from pipeline.channels.mail.headers import header, senders
from pipeline.channels.mail.reader import RawMessage, read_messages
from pipeline.core.addresses import Address, try_parse
from pipeline.core.clock import as_utc
from pipeline.intake.channel import ChannelContext
from pipeline.intake.records import IntakeRecord, Scope
from pipeline.intake.timestamps import plausible

EVIDENCE_HEADERS = ("From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID", "Auto-Submitted", "Content-Type")
MAX_KEPT_MESSAGE = 1 << 20  # the full message is kept as evidence up to 1 MiB; above, its hash and place
MAX_REF = 500
_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,}\s+(\d{3,})\b")  # "01 Jan 0001": day, month, year


def message_time(raw: RawMessage, arrival: datetime) -> tuple[datetime, str]:
    """The Date header in UTC, or the file's arrival with a note when it is missing, cannot
    be read, or lies out of range (before 1990, after the arrival, past year 9999 in UTC)."""
    text = header(raw.message, "Date") if raw.message is not None else ""
    at = date_header_time(text)
    if at is not None and plausible(at, arrival):
        return at, ""
    why = "missing" if not text.strip() else f"unreadable or absurd ({text.strip()[:80]!r})"
    return arrival, f"Date {why}; the file's arrival time is used"


def date_header_time(text: str) -> datetime | None:
    """A Date header's time in UTC; None when it cannot be read or overflows."""
    if not text.strip():
        return None
    year = _YEAR.search(text)
    if year and len(year.group(1)) >= 4 and int(year.group(1)) < 1000:
        return None  # the parser reads year 0001 as 2001 (RFC 5322's two-digit years)
    try:
        return as_utc(parsedate_to_datetime(text))  # "-0000" (zone unknown) reads naive: UTC
    except (TypeError, ValueError, IndexError, OverflowError):  # 31 Dec 9999 23:00 -0500 is past 9999 in UTC
        return None


def evidence(raw: RawMessage, path: Path) -> dict[str, Any]:
    digest = hashlib.sha256(raw.data).hexdigest()
    kept: dict[str, Any] = {"file": path.name, "locator": raw.locator, "sha256": digest, "size": len(raw.data)}
    if raw.message is not None:
        try:
            values = {h: header(raw.message, h)[:2000] for h in EVIDENCE_HEADERS}
            kept["headers"] = {h: v for h, v in values.items() if v}
            kept["senders"] = senders(raw.message)
        except Exception as exc:  # headers too broken to list: the classifier will say so
            kept["header_error"] = f"{type(exc).__name__}: {exc}"
    if raw.error:
        kept["error"] = raw.error
    if len(raw.data) <= MAX_KEPT_MESSAGE:
        try:
            kept["message"] = raw.data.decode("utf-8")
        except UnicodeDecodeError:
            # Latin-1 maps every byte to one character: lossless (encode("latin-1") gives the
            # bytes back) and, unlike base64, leaves addresses visible to erasure's redactor.
            kept["message_latin1"] = raw.data.decode("latin-1")
    else:
        kept["message_omitted"] = "larger than 1 MiB: re-read it from the landing file at the locator"
    return kept


def message_draft(raw: RawMessage, path: Path, ctx: ChannelContext, channel: str) -> Draft:
    msg_id = header(raw.message, "Message-ID").strip() if raw.message is not None else ""
    ref = msg_id[:MAX_REF] if msg_id else "sha256:" + hashlib.sha256(raw.data).hexdigest()[:32]
    at, note = message_time(raw, ctx.arrival)
    kept = evidence(raw, path)
    if note:
        kept["_requested_at_note"] = note
    return Draft(channel, ref, at, kept, raw.locator)


def valid(addresses: tuple[str, ...]) -> tuple[list[Address], list[str]]:
    """The valid addresses (normalised, in order) and the texts that are not addresses."""
    good, bad = [], []
    for text in addresses:
        parsed = try_parse(text)
        if parsed is None:
            bad.append(text)
        else:
            good.append(parsed)
    return good, bad


MessageDecision = Callable[[Draft, Verdict], IntakeRecord]


def mail_records(path: Path, ctx: ChannelContext, channel: str, decide: MessageDecision) -> Iterator[IntakeRecord]:
    """One record per message of a mail file, each read, classified and decided under
    `guarded`: a message that cannot be read or classified is rejected, `unparseable`, and
    anything else it breaks makes it `unreadable_record`; it never stops the rest of the file."""
    for raw in read_messages(path):
        yield message_record(raw, path, ctx, channel, decide)


def message_record(raw: RawMessage, path: Path, ctx: ChannelContext, channel: str, decide: MessageDecision) -> IntakeRecord:
    return guarded(
        channel, ctx.arrival, raw.locator,
        lambda: fallback_evidence(raw, path),
        lambda: decide(*classified_message(raw, path, ctx, channel)),
    )


def classified_message(raw: RawMessage, path: Path, ctx: ChannelContext, channel: str) -> tuple[Draft, Verdict]:
    """A message's draft with its verdict; `unparseable` when it cannot be parsed or classified."""
    draft = message_draft(raw, path, ctx, channel)
    if raw.message is None:
        return draft, Verdict("unparseable", raw.error)
    try:
        verdict = classify(raw.message, ctx.settings.unsubscribe_mailboxes)
    except Exception as exc:  # one broken message is one rejected record (SPEC §3)
        verdict = Verdict("unparseable", f"cannot classify: {type(exc).__name__}: {exc}")
    if verdict.text:
        draft.raw["own_text"] = verdict.text
    return draft, verdict


def fallback_evidence(raw: RawMessage, path: Path) -> dict[str, Any]:
    """What an unreadable message keeps: where it is, its hash, and the start of its bytes."""
    return {
        "file": path.name,
        "locator": raw.locator,
        "sha256": hashlib.sha256(raw.data).hexdigest(),
        "size": str(len(raw.data)),
        "message_latin1": raw.data[:MAX_EVIDENCE_TEXT].decode("latin-1"),
    }

def common_outcome(draft: Draft, verdict: Verdict) -> IntakeRecord | None:
    """The outcomes both mail channels share; None for a message from a person."""
    if verdict.kind == "unparseable":
        return draft.reject("unparseable", verdict.details)
    if verdict.kind == "bounce":
        return draft.ignore("bounce", verdict.details)
    if verdict.kind in ("auto_reply", "bulk_mail"):
        return draft.ignore(verdict.kind, verdict.details)
    if verdict.kind == "complaint_unclear":
        return draft.review("unclear", verdict.details)
    return None


def accept_addresses(draft: Draft, verdict: Verdict, reason: str, scope: Scope) -> IntakeRecord:
    """Accept the message's valid addresses for `scope`; a complaint naming none goes to review."""
    good, bad = valid(verdict.addresses)
    note = f"; not addresses: {', '.join(repr(b) for b in bad)}" if bad else ""
    if good:
        return draft.accept(requests_for(good, scope), reason, verdict.details + note)
    if reason == "complaint":
        return draft.review("unclear", verdict.details + "; the complaining recipient is not a valid address" + note)
    return draft.reject("invalid_address", verdict.details + "; no valid sender address" + note)
