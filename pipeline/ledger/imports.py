"""Adopting a past suppression list (`optout import`): the bulk writing half. One ingested file
(the stored copy and its SHA-256), one intake record and one chained event per address, written
with executemany in chunks and the chain hashes computed in one tight loop; and the list version,
all in one transaction.
Reading the file is the caller's part (`pipeline.audit.adopt`): this layer does not read files."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.core.bulk import ahead, collector_paused
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.intake.records import Action, Scope
from pipeline.ledger.chain import keyed_hasher, row_hash
from pipeline.ledger.events import bulk_insert, chain_head, next_record_id
from pipeline.ledger.publish import ListVersion, publish_in
from pipeline.ledger.state import EventFacts
from pipeline.store.db import bulk_cache, write_tx
from pipeline.store.schema import ingested_files, intake_records, optout_events

CHANNEL = "import"
CHUNK = 20_000
SCOPE, ACTION = str(Scope.MARKETING), str(Action.SUPPRESS)  # plain text: hashed and stored a million times


@dataclass(frozen=True)
class Adopted:
    """One valid address of the file: its line, normalised form, match key and request time."""

    line: int
    address: str
    key: str
    requested_at: datetime


@dataclass(frozen=True)
class ImportResult:
    file_id: int
    events: int
    already: bool
    version: ListVersion | None


def already_imported(engine: sa.Engine, sha256: str) -> int | None:
    """The ingested_files id of an earlier import of the same content, if any."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(ingested_files.c.id).where(
            ingested_files.c.channel == CHANNEL, ingested_files.c.sha256 == sha256)).first()
    return None if row is None else int(row.id)


def write_import(
    engine: sa.Engine, settings: Settings, clock: Clock, *, stored: Path, sha256: str, size: int, source: str,
    label: str, adopted: Sequence[Adopted], rejected: int, duplicate: int,
) -> ImportResult:
    """Write the file, its records and events and publish their list version, in one transaction:
    a reader sees the list before the import or after it, never a half-imported file."""
    now = clock.now()
    secret = settings.hash_key
    with write_tx(engine) as conn, bulk_cache(conn), collector_paused():
        known = conn.execute(sa.select(ingested_files.c.id).where(
            ingested_files.c.channel == CHANNEL, ingested_files.c.sha256 == sha256)).first()
        if known is not None:
            return ImportResult(int(known.id), 0, True, None)
        file_id = int(conn.execute(ingested_files.insert().values(
            run_id=None, channel=CHANNEL, path=str(stored), folder_date=now.date(), sha256=sha256, size=size,
            records=len(adopted) + rejected + duplicate, accepted=len(adopted), ignored=0, rejected=rejected,
            needs_review=0, duplicate=duplicate, quarantine_error=None, ingested_at=now,
        )).inserted_primary_key[0])  # type: ignore[index]
        batches = _batches(conn.dialect, secret, adopted, file_id=file_id, sha256=sha256, label=label, source=source,
                           now=now, record_id=next_record_id(conn), head=chain_head(conn))
        facts: list[EventFacts] = []
        with ahead(batches) as produced:
            for statements, batch_facts in produced:
                for prepared in statements:
                    _run(conn, prepared)
                facts.extend(batch_facts)
        version = publish_in(conn, clock, new_facts=facts)
    return ImportResult(file_id, len(adopted), False, version)


def _run(conn: sa.Connection, prepared: tuple[Any, Any]) -> None:
    conn.exec_driver_sql(*prepared)


def _batches(
    dialect: sa.Dialect, secret: str, adopted: Sequence[Adopted], *, file_id: int, sha256: str, label: str,
    source: str, now: datetime, record_id: int, head: tuple[int, str],
) -> Iterator[tuple[list[tuple[Any, Any]], list[EventFacts]]]:
    """The insert statements of each chunk of records and chained events, with the events' facts."""
    last_id, prev = head
    keyed = keyed_hasher(secret)
    for start in range(0, len(adopted), CHUNK):
        records: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        facts: list[EventFacts] = []
        for a in adopted[start : start + CHUNK]:
            details = f"imported from {label} line {a.line}, source {source}"
            records.append({
                "id": record_id, "channel": CHANNEL, "source_ref": f"import:{sha256}:{a.line}", "file_id": file_id,
                "locator": f"line {a.line}", "requested_at": a.requested_at, "recorded_at": now,
                "outcome": "accepted", "reason": "optout", "details": details, "raw": None,
            })
            last_id += 1
            address_hash = keyed(a.address)
            key_hash = address_hash if a.key == a.address else keyed(a.key)
            row = {
                "id": last_id, "record_id": record_id, "channel": CHANNEL, "address": a.address, "match_key": a.key,
                "address_hash": address_hash, "key_hash": key_hash, "scope": SCOPE, "action": ACTION,
                "requested_at": a.requested_at, "recorded_at": now, "run_id": None, "evidence": details,
                "evidence_hash": keyed(details),
            }
            row["prev_hash"] = prev
            row["row_hash"] = prev = row_hash(prev, row)
            events.append(row)
            facts.append(EventFacts(key_hash, a.key, a.address, CHANNEL, SCOPE, ACTION, a.requested_at))
            record_id += 1
        yield [bulk_insert(dialect, intake_records, records), bulk_insert(dialect, optout_events, events)], facts
