"""What every channel module shares (its face, `Channel`, is intake's: `pipeline.intake.channel`):
the draft that turns one input row into an `IntakeRecord` with an outcome, and the guard
every reader passes each unit (row, line, message) through, so that nothing one unit holds
can fail its file (SPEC §3)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.core.addresses import Address, try_parse
from pipeline.intake.channel import ChannelContext, one_line
from pipeline.intake.csvfiles import CsvRow, read_rows
from pipeline.intake.records import Action, IntakeRecord, OptoutRequest, Outcome, Scope, bounded
from pipeline.intake.timestamps import request_time


def requests_for(addresses: Iterable[Address], scope: Scope, action: Action = Action.SUPPRESS) -> tuple[OptoutRequest, ...]:
    """One request per distinct match key, in first-seen order."""
    seen: dict[str, OptoutRequest] = {}
    for a in addresses:
        seen.setdefault(a.key, OptoutRequest(a.normalized, a.key, scope, action))
    return tuple(seen.values())


def content_ref(raw: dict[str, Any]) -> str:
    """A source_ref for a record that has no id of its own: a hash of its content."""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class Resolution:
    """The addresses a record reaches through its typed address and its account."""

    addresses: list[Address] = field(default_factory=list)
    typed: Address | None = None
    invalid_typed: str = ""
    unknown_account: str = ""
    notes: list[str] = field(default_factory=list)


def resolve(ctx: ChannelContext, email: str, account_id: str) -> Resolution:
    """The typed address if valid, plus every contact of the account (SPEC §2.3, §2.6)."""
    res = Resolution()
    if email:
        res.typed = try_parse(email)
        if res.typed is None:
            res.invalid_typed = email
            res.notes.append(f"typed address {email!r} is invalid")
        else:
            res.addresses.append(res.typed)
    if account_id:
        if ctx.accounts.known(account_id):
            contacts = ctx.accounts.contacts_of(account_id)
            res.addresses.extend(contacts)
            if not contacts:
                res.notes.append(f"account {account_id} has no valid contact address")
        else:
            res.unknown_account = account_id
            res.notes.append(f"account {account_id} is not in the accounts snapshot")
    return res


@dataclass
class Draft:
    """A record being decided: its id, time, evidence and place; one method sets the outcome."""

    channel: str
    source_ref: str
    requested_at: datetime
    raw: dict[str, Any]
    locator: str

    def _make(
        self, outcome: Outcome, reason: str, details: str, requests: tuple[OptoutRequest, ...] = (), review: str = ""
    ) -> IntakeRecord:
        return IntakeRecord(
            channel=self.channel,
            source_ref=self.source_ref,
            requested_at=self.requested_at,
            outcome=outcome,
            reason=reason,
            raw=self.raw,
            locator=self.locator,
            requests=requests,
            details=details,
            review=review,
        )

    def accept(self, requests: tuple[OptoutRequest, ...], reason: str, details: str = "", review: str = "") -> IntakeRecord:
        """Accepted; `review` (a needs_review reason) also puts it in the review queue."""
        return self._make(Outcome.ACCEPTED, reason, details, requests, review)

    def ignore(self, reason: str, details: str = "") -> IntakeRecord:
        return self._make(Outcome.IGNORED, reason, details)

    def reject(self, reason: str, details: str = "") -> IntakeRecord:
        return self._make(Outcome.REJECTED, reason, details)

    def review(self, reason: str, details: str = "") -> IntakeRecord:
        return self._make(Outcome.NEEDS_REVIEW, reason, details)


def draft_from_row(ctx: ChannelContext, channel: str, row: CsvRow, id_field: str, time_field: str, naive_tz: str = "UTC") -> Draft:
    """A draft for a CSV row: its id column (or a content hash) and its time column."""
    raw: dict[str, Any] = dict(row.raw)
    ref = row.values.get(id_field, "") or content_ref(raw)
    at, note = request_time(row.values.get(time_field), ctx.arrival, naive_tz)
    if note:
        raw["_requested_at_note"] = note
    return Draft(channel, ref, at, raw, f"line {row.line}")


def joined(notes: list[str]) -> str:
    return "; ".join(notes)


MAX_EVIDENCE_TEXT = 4000  # characters of each text an unreadable record keeps as evidence


def kept_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """The evidence of a record that could not be read, each text cut to a bounded prefix."""
    kept: dict[str, Any] = {}
    for key, value in evidence.items():
        text = value if isinstance(value, str) else repr(value)
        kept[str(key)[:200]] = bounded(text, MAX_EVIDENCE_TEXT)
    return kept


def unreadable(channel: str, arrival: datetime, locator: str, evidence: dict[str, Any], exc: Exception) -> IntakeRecord:
    """The record of a unit its reader failed on: rejected, `unreadable_record`, with the
    error in one line and the unit kept as evidence (its content hash is its source_ref)."""
    kept = kept_evidence(evidence)
    kept["_error"] = one_line(exc)
    draft = Draft(channel, content_ref(kept), arrival, kept, locator)
    return draft.reject("unreadable_record", f"the record could not be read: {one_line(exc)}")


def guarded(
    channel: str,
    arrival: datetime,
    locator: str,
    evidence: Callable[[], dict[str, Any]],
    build: Callable[[], IntakeRecord],
) -> IntakeRecord:
    """`build()`, the unit's record; whatever it raises (short of running out of memory)
    makes the unit one rejected record instead of failing its file and channel."""
    try:
        return build()
    except MemoryError:
        raise
    except Exception as exc:
        try:
            return unreadable(channel, arrival, locator, evidence(), exc)
        except MemoryError:
            raise
        except Exception as again:  # the evidence itself cannot be listed: keep its error
            return unreadable(channel, arrival, locator, {"locator": locator, "evidence_error": one_line(again)}, exc)


RowDecision = Callable[[CsvRow, ChannelContext], IntakeRecord]


def csv_records(channel: str, path: Path, ctx: ChannelContext, columns: tuple[str, ...], decide: RowDecision) -> Iterator[IntakeRecord]:
    """One record per row of a CSV export, each decided under `guarded`."""
    for row in read_rows(path, columns):
        yield row_record(channel, ctx, row, decide)


def row_record(channel: str, ctx: ChannelContext, row: CsvRow, decide: RowDecision) -> IntakeRecord:
    return guarded(channel, ctx.arrival, f"line {row.line}", lambda: row.raw, lambda: decide(row, ctx))
