"""Opt-outs and lifts entered by hand (`optout add`, `optout lift`): each is an intake record
with its evidence, an event in the chain, and a new list version at once."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from pipeline.core.addresses import InvalidAddress, parse
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.intake.records import Action, IntakeRecord, OptoutRequest, Outcome, Scope
from pipeline.ledger.ingest import store_records
from pipeline.ledger.publish import ListVersion, publish
from pipeline.store.db import write_tx
from pipeline.store.schema import intake_records

MANUAL_CHANNELS = ("postal_mail", "manual")


def _address(text: str) -> OptoutRequest:
    try:
        a = parse(text)
    except InvalidAddress as exc:
        raise OptoutError(f"not a valid address: {text!r} ({exc.reason})") from None
    return OptoutRequest(a.normalized, a.key, Scope.MARKETING)


def add(
    engine: sa.Engine,
    settings: Settings,
    clock: Clock,
    address: str,
    channel: str,
    ref: str,
    requested_at: datetime | None = None,
    who: str = "",
) -> ListVersion | None:
    """Record an opt-out entered by an operator and publish it."""
    if channel not in MANUAL_CHANNELS:
        raise OptoutError(f"channel must be one of {', '.join(MANUAL_CHANNELS)}, not {channel!r}", field="channel")
    if not ref.strip():
        raise OptoutError("ref must name the request (letter id, ticket, call)", field="ref")
    request = _address(address)
    now = clock.now()
    record = IntakeRecord(
        channel,
        ref,
        requested_at or now,
        Outcome.ACCEPTED,
        "optout",
        {"entered_via": "optout add", "address": address, "ref": ref, "by": who},
        "optout add",
        (request,),
        f"entered by hand (ref {ref})",
    )
    _store(engine, settings, record, now)
    return publish(engine, clock)


def lift(engine: sa.Engine, settings: Settings, clock: Clock, address: str, evidence: str, who: str = "") -> ListVersion | None:
    """An operator's lift with evidence of re-consent (SPEC §4.3): an event, never a deletion."""
    if len(evidence.strip()) < 5:
        raise OptoutError("evidence must say what proves the re-consent", field="evidence")
    request = _address(address)
    now = clock.now()
    lift_request = OptoutRequest(request.address, request.key, Scope.MARKETING, Action.LIFT)
    record = IntakeRecord(
        "manual",
        f"lift:{uuid.uuid4()}",
        now,
        Outcome.ACCEPTED,
        "reconsent",
        {"entered_via": "optout lift", "address": address, "evidence": evidence, "by": who},
        "optout lift",
        (lift_request,),
        f"lift: {evidence}",
    )
    _store(engine, settings, record, now)
    return publish(engine, clock)


def _store(engine: sa.Engine, settings: Settings, record: IntakeRecord, now: datetime) -> None:
    with write_tx(engine) as conn:
        exists = conn.execute(
            sa.select(intake_records.c.id).where(
                intake_records.c.channel == record.channel, intake_records.c.source_ref == record.source_ref
            )
        ).first()
        if exists:
            raise OptoutError(f"{record.channel} request {record.source_ref!r} is already recorded (record {exists.id})")
        store_records(conn, settings, [record], None, None, now)
