"""Adopting a past suppression list (`optout import`): the bulk writing half. One ingested file
(the stored copy and its SHA-256), one intake record and one chained event per address, written
with executemany in chunks and the chain hashes computed in one tight loop; then a list version.
Reading the file is the caller's part (`pipeline.audit.adopt`): this layer does not read files."""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.ledger.chain import row_hash
from pipeline.ledger.events import chain_head, insert_rows, next_record_id
from pipeline.ledger.publish import ListVersion, publish
from pipeline.store.db import write_tx
from pipeline.store.schema import ingested_files, intake_records, optout_events

CHANNEL = "import"
CHUNK = 20_000


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
    """Write the file, its records and events in one transaction, then publish."""
    now = clock.now()
    secret = settings.hash_key.encode("utf-8")
    with write_tx(engine) as conn:
        known = conn.execute(sa.select(ingested_files.c.id).where(
            ingested_files.c.channel == CHANNEL, ingested_files.c.sha256 == sha256)).first()
        if known is not None:
            return ImportResult(int(known.id), 0, True, None)
        file_id = int(conn.execute(ingested_files.insert().values(
            run_id=None, channel=CHANNEL, path=str(stored), folder_date=now.date(), sha256=sha256, size=size,
            records=len(adopted) + rejected + duplicate, accepted=len(adopted), ignored=0, rejected=rejected,
            needs_review=0, duplicate=duplicate, quarantine_error=None, ingested_at=now,
        )).inserted_primary_key[0])  # type: ignore[index]
        record_id = next_record_id(conn)
        last_id, prev = chain_head(conn)
        for start in range(0, len(adopted), CHUNK):
            records: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            for a in adopted[start : start + CHUNK]:
                details = f"imported from {label} line {a.line}, source {source}"
                records.append({
                    "id": record_id, "channel": CHANNEL, "source_ref": f"import:{sha256}:{a.line}", "file_id": file_id,
                    "locator": f"line {a.line}", "requested_at": a.requested_at, "recorded_at": now,
                    "outcome": "accepted", "reason": "optout", "details": details, "raw": None,
                })
                last_id += 1
                row = {
                    "id": last_id, "record_id": record_id, "channel": CHANNEL, "address": a.address, "match_key": a.key,
                    "address_hash": hmac.digest(secret, a.address.encode("utf-8"), hashlib.sha256).hex(),
                    "key_hash": hmac.digest(secret, a.key.encode("utf-8"), hashlib.sha256).hex(),
                    "scope": "marketing", "action": "suppress", "requested_at": a.requested_at, "recorded_at": now,
                    "run_id": None, "evidence": details,
                    "evidence_hash": hmac.digest(secret, details.encode("utf-8"), hashlib.sha256).hex(),
                }
                row["prev_hash"] = prev
                row["row_hash"] = prev = row_hash(prev, row)
                events.append(row)
                record_id += 1
            insert_rows(conn, intake_records, records)
            insert_rows(conn, optout_events, events)
    return ImportResult(file_id, len(adopted), False, publish(engine, clock))
