"""The review queue (SPEC §7): what the pipeline could not decide, for an operator.

Accepting an item appends opt-out events to the chain for the addresses the operator names,
tied to the record under review (so history shows the original message or row as the
source) with the operator's note as evidence, then publishes. Dismissing records why. Either
way the item keeps who resolved it, when and how; nothing is deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pipeline.core.addresses import Address, InvalidAddress, parse
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.records import Scope
from pipeline.ledger.events import EventDraft, append_events
from pipeline.ledger.publish import ListVersion, publish
from pipeline.store.db import write_tx
from pipeline.store.schema import ingested_files, intake_records, review_queue

OPEN = "open"
STATUSES = ("open", "accepted", "dismissed")
SYSTEM = "system:accounts-snapshot"  # who resolves items the accounts snapshot settles
# Items that wait for an account: their reasons, and each channel's scope once it is known
# (phone takes its scope from the call's disposition, SPEC §2.3).
HELD_REASONS = {"unknown_account", "unresolved", "shared_phone"}
HELD_SCOPES = {"phone": Scope.MARKETING, "postal_mail": Scope.MARKETING, "preference_center": Scope.MARKETING, "cancellation": Scope.ALL}
PHONE_SCOPES = {"OPT_OUT": Scope.MARKETING, "CANCEL_ACCOUNT": Scope.ALL}


@dataclass(frozen=True)
class ReviewItem:
    id: int
    status: str
    reason: str
    details: str
    created_at: datetime
    channel: str
    source_ref: str
    requested_at: datetime
    record_id: int
    record_outcome: str
    file: str | None
    locator: str
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    raw: Any = None


def _query() -> sa.Select[Any]:
    q, r, f = review_queue.c, intake_records.c, ingested_files.c
    return sa.select(
        q.id,
        q.status,
        q.reason,
        q.details,
        q.created_at,
        r.channel,
        r.source_ref,
        r.requested_at,
        r.id.label("record_id"),
        r.outcome,
        f.path,
        r.locator,
        q.resolution,
        q.resolved_by,
        q.resolved_at,
        r.raw,
    ).select_from(review_queue.join(intake_records, q.record_id == r.id).outerjoin(ingested_files, r.file_id == f.id))


def _item(row: sa.Row[Any], with_raw: bool) -> ReviewItem:
    return ReviewItem(
        row.id,
        row.status,
        row.reason,
        row.details,
        row.created_at,
        row.channel,
        row.source_ref,
        row.requested_at,
        row.record_id,
        row.outcome,
        row.path,
        row.locator,
        row.resolution,
        row.resolved_by,
        row.resolved_at,
        row.raw if with_raw else None,
    )


def list_items(conn: sa.Connection, status: str | None = OPEN) -> list[ReviewItem]:
    query = _query().order_by(review_queue.c.id)
    if status:
        if status not in STATUSES:
            raise OptoutError(f"status must be one of {', '.join(STATUSES)}, not {status!r}", field="status")
        query = query.where(review_queue.c.status == status)
    return [_item(row, False) for row in conn.execute(query)]


def get_item(conn: sa.Connection, item_id: int) -> ReviewItem:
    row = conn.execute(_query().where(review_queue.c.id == item_id)).first()
    if row is None:
        raise NotFoundError(f"no review item {item_id}")
    return _item(row, True)


def _open_item(conn: sa.Connection, item_id: int) -> ReviewItem:
    item = get_item(conn, item_id)
    if item.status != OPEN:
        raise OptoutError(f"review item {item_id} is already {item.status} ({item.resolved_by}, {item.resolved_at}): {item.resolution}")
    return item


def _note(note: str) -> str:
    if len(note.strip()) < 5:
        raise OptoutError("note must say why (what the operator saw and decided)", field="note")
    return note.strip()


def accept(
    engine: sa.Engine, settings: Settings, clock: Clock, item_id: int, addresses: list[str], note: str, who: str, scope: str | None = None
) -> ListVersion | None:
    """Opt the named addresses out for the record under review, with the note as evidence."""
    note = _note(note)
    if not addresses:
        raise OptoutError("addresses must name at least one address to opt out", field="addresses")
    parsed = []
    for text in addresses:
        try:
            parsed.append(parse(text))
        except InvalidAddress as exc:
            raise OptoutError(f"not a valid address: {text!r} ({exc.reason})") from None
    now = clock.now()
    with write_tx(engine) as conn:
        item = _open_item(conn, item_id)
        chosen = Scope(scope) if scope else (Scope.ALL if item.channel == "cancellation" else Scope.MARKETING)
        _opt_out(conn, settings, item, parsed, chosen, note, who, now, run_id=None)
    return publish(engine, clock)


def _opt_out(
    conn: sa.Connection, settings: Settings, item: ReviewItem, addresses: list[Address], scope: Scope, note: str, who: str,
    now: datetime, run_id: int | None,
) -> None:
    """Accept an open item: one `suppress` event per distinct key, tied to the record under
    review at the record's own time, with the note as evidence; then close the item."""
    evidence = f"review item {item.id} accepted by {who}: {note}"
    drafts = [
        EventDraft(item.record_id, item.channel, a.normalized, a.key, str(scope), "suppress", item.requested_at, evidence)
        for a in {a.key: a for a in addresses}.values()
    ]
    append_events(conn, drafts, hash_key=settings.hash_key, recorded_at=now, run_id=run_id)
    _close(conn, item.id, "accepted", f"{note} [opted out ({scope}): {', '.join(d.address for d in drafts)}]", who, now)


def resolve_from_snapshot(engine: sa.Engine, settings: Settings, clock: Clock, accounts: AccountIndex, run_id: int | None) -> list[int]:
    """Accept every open item that waits for an account the snapshot now knows, exactly as the
    record would have been accepted had the account been known when it was read: the account's
    contacts, the record's scope and own time. Resolved by SYSTEM with a note naming the
    snapshot; returns the items' ids. Events are tied to the run; the run publishes them."""
    if not accounts.snapshot:
        return []
    resolved = []
    with write_tx(engine) as conn:
        now = clock.now()
        for item in _held_for_accounts(conn):
            found = _snapshot_resolution(item, accounts)
            if found is None:
                continue
            account_id, scope = found
            note = f"account {account_id} is in the accounts snapshot {accounts.snapshot}"
            _opt_out(conn, settings, item, accounts.contacts_of(account_id), scope, note, SYSTEM, now, run_id)
            resolved.append(item.id)
    return resolved


def _held_for_accounts(conn: sa.Connection) -> list[ReviewItem]:
    q, r = review_queue.c, intake_records.c
    query = _query().where(q.status == OPEN, q.reason.in_(sorted(HELD_REASONS)), r.channel.in_(sorted(HELD_SCOPES)))
    return [_item(row, True) for row in conn.execute(query.order_by(q.id))]


def _snapshot_resolution(item: ReviewItem, accounts: AccountIndex) -> tuple[str, Scope] | None:
    """The account a held record names, now in the snapshot with a contact, and the scope the
    record's channel gives it; None when it still cannot be resolved."""
    if not isinstance(item.raw, dict):
        return None  # erased evidence, or not a row
    fields = {str(k).strip().lower(): str(v).strip() for k, v in item.raw.items() if isinstance(v, str)}
    account_id = fields.get("account_id", "")
    if not account_id or not accounts.contacts_of(account_id):
        return None
    if item.channel == "phone":
        scope = PHONE_SCOPES.get(fields.get("disposition", "").upper())
        return None if scope is None else (account_id, scope)
    if item.channel == "cancellation" and "ticket_id" not in fields:
        return None  # a message to cancel@, not a ticket
    return account_id, HELD_SCOPES[item.channel]


def dismiss(engine: sa.Engine, clock: Clock, item_id: int, note: str, who: str) -> None:
    note = _note(note)
    with write_tx(engine) as conn:
        _open_item(conn, item_id)
        _close(conn, item_id, "dismissed", note, who, clock.now())


def _close(conn: sa.Connection, item_id: int, status: str, resolution: str, who: str, now: datetime) -> None:
    done = conn.execute(
        review_queue.update()
        .where(review_queue.c.id == item_id, review_queue.c.status == OPEN)
        .values(status=status, resolution=resolution, resolved_by=who, resolved_at=now)
    )
    if done.rowcount != 1:
        raise OptoutError(f"review item {item_id} was resolved by someone else meanwhile")
