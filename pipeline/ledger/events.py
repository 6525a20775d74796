"""Appending opt-out events to the chained, append-only `optout_events` table."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from pipeline.ledger.chain import GENESIS, keyed_hash, row_hash
from pipeline.store.schema import intake_records, optout_events


@dataclass(frozen=True)
class EventDraft:
    record_id: int | None
    channel: str
    address: str
    match_key: str
    scope: str
    action: str
    requested_at: datetime
    evidence: str = ""


def next_id(conn: sa.Connection, table: sa.Table) -> int:
    """The next id of a table whose ids the writer assigns (inside a write transaction)."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()) + 1


def chain_head(conn: sa.Connection) -> tuple[int, str]:
    row = conn.execute(
        sa.select(optout_events.c.id, optout_events.c.row_hash).order_by(optout_events.c.id.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row.id), str(row.row_hash))


def append_events(
    conn: sa.Connection,
    drafts: Iterable[EventDraft],
    *,
    hash_key: str,
    recorded_at: datetime,
    run_id: int | None,
) -> int:
    """Append events in order, each chained to the one before. Returns how many were added.
    Must run inside `write_tx`, which serialises writers."""
    last_id, prev = chain_head(conn)
    rows = []
    for d in drafts:
        last_id += 1
        row = {
            "id": last_id,
            "record_id": d.record_id,
            "channel": d.channel,
            "address": d.address,
            "match_key": d.match_key,
            "address_hash": keyed_hash(hash_key, d.address),
            "key_hash": keyed_hash(hash_key, d.match_key),
            "scope": d.scope,
            "action": d.action,
            "requested_at": d.requested_at,
            "recorded_at": recorded_at,
            "run_id": run_id,
            "evidence": d.evidence,
            "evidence_hash": keyed_hash(hash_key, d.evidence),
        }
        row["prev_hash"] = prev
        row["row_hash"] = prev = row_hash(prev, row)
        rows.append(row)
    if rows:
        conn.execute(optout_events.insert(), rows)
    return len(rows)


def next_record_id(conn: sa.Connection) -> int:
    return next_id(conn, intake_records)
