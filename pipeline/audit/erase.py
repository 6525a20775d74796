"""GDPR erasure (SPEC §7 `erase`): the address and the person's raw evidence leave every
table and the database file, while the suppression stays as a keyed hash, so the person is
never mailed again and `optout verify` still passes (docs/audit.md explains the design).

The event chain hashes only keyed hashes of the address, match key and evidence, so clearing
their clear text breaks no link. The erasure itself is a suppress event on channel `erasure`
whose clear fields are cleared with the rest: the suppression holds even after a lift.
The files on disk (landing zone, output folder, send-check files) are rewritten or listed
with what to do by `pipeline.audit.erase_files`; `dry_run` does it all and rolls it back."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.audit.erase_files import (
    LANDING,
    OUTPUT,
    SEND_CHECK,
    FileChange,
    apply_plan,
    ingested_paths,
    plan_files,
    recorded_send_files,
)
from pipeline.audit.export import export_hash, export_key_id
from pipeline.audit.redaction import Redactor
from pipeline.core.addresses import Address, InvalidAddress, parse
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.intake.records import Action, Scope
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.events import EventDraft, append_events
from pipeline.ledger.publish import publish_in
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import intake_records, list_snapshots, metadata, optout_events, suppressions

ERASURE_CHANNEL = "erasure"
# Columns that are only hashes, numbers or codes, never free text: not scanned.
SKIP_COLUMNS = {
    "key_hash",
    "address_hash",
    "evidence_hash",
    "prev_hash",
    "row_hash",
    "digest",
    "list_digest",
    "sha256",
    "input_sha256",
    "output_sha256",
    "export_hash",
    "export_key_id",
}


@dataclass
class ErasureResult:
    key_hash: str
    events_cleared: int
    list_version: int | None
    redacted: dict[str, int] = field(default_factory=dict)  # rows changed, by table
    files: list[FileChange] = field(default_factory=list)
    reclaimed: bool = False
    vacuum: str = ""
    dry_run: bool = False

    @property
    def rewritten(self) -> list[FileChange]:
        return [f for f in self.files if f.action == "rewrite"]

    @property
    def manual(self) -> list[FileChange]:
        """Files that still hold the address: each with what to do."""
        return [f for f in self.files if f.action == "manual"]

    @property
    def complete(self) -> bool:
        """Nothing the command knows of still holds the address."""
        return self.reclaimed and not self.manual

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = {
            "rewritten": [f.as_dict() for f in self.rewritten],
            "manual": [f.as_dict() for f in self.manual],
        }
        data["complete"] = self.complete
        return data


class _RolledBack(Exception):
    """Ends a dry run's transaction: everything it did is undone."""


@contextmanager
def _transaction(engine: sa.Engine, dry_run: bool) -> Iterator[sa.Connection]:
    """The erasure's write transaction; in a dry run the same work, rolled back."""
    try:
        with write_tx(engine) as conn:
            yield conn
            if dry_run:
                raise _RolledBack
    except _RolledBack:
        pass


def erase(
    engine: sa.Engine, settings: Settings, clock: Clock, address: str, ref: str, *, dry_run: bool = False
) -> ErasureResult:
    """Erase one person's address (every address sharing its match key) from the store in
    one transaction and from the files on disk, then reclaim the freed pages so the bytes
    leave the database files. A dry run does the same work and undoes it: it reports what
    erasure would touch and changes nothing."""
    person = _address(address)
    if not ref.strip():
        raise OptoutError("ref must name the erasure request (ticket, letter)", field="ref")
    key_hash = keyed_hash(settings.hash_key, person.key)
    with read_tx(engine) as conn:
        spellings = _known_addresses(conn, key_hash)
        protected = recorded_send_files(conn)
        ingested = ingested_paths(conn)
    redactor = Redactor(person.key, spellings | {address.strip(), person.normalized, person.key})
    if redactor.hits(ref):
        raise OptoutError("ref must not contain the address being erased", field="ref")
    plan = plan_files(
        redactor,
        [(LANDING, settings.landing), (OUTPUT, settings.output)],
        [(LANDING, p) for p in ingested] + [(SEND_CHECK, p) for p in sorted(protected)],
        protected,
        database_files(engine),
        stage=not dry_run,
    )
    try:
        with _transaction(engine, dry_run) as conn:
            result = _erase_rows(conn, settings, clock, person, key_hash, redactor, ref)
            result.files = apply_plan(conn, plan)
    finally:
        plan.discard()
    result.dry_run = dry_run
    if dry_run:
        result.vacuum = "dry run: nothing changed"
    else:
        result.reclaimed, result.vacuum = reclaim_space(engine)
    return result


def _erase_rows(
    conn: sa.Connection,
    settings: Settings,
    clock: Clock,
    person: Address,
    key_hash: str,
    redactor: Redactor,
    ref: str,
) -> ErasureResult:
    """Inside the write transaction: the erasure event, the cleared events and records, the
    recomputed suppression, and every other table scanned."""
    now = clock.now()
    draft = EventDraft(
        None,
        ERASURE_CHANNEL,
        person.normalized,
        person.key,
        str(Scope.MARKETING),
        str(Action.SUPPRESS),
        now,
        f"GDPR erasure, request {ref}",
    )
    append_events(conn, [draft], hash_key=settings.hash_key, recorded_at=now, run_id=None)
    result = ErasureResult(key_hash, _clear_events(conn, key_hash, redactor), None)
    result.redacted["optout_events"] = result.events_cleared
    result.redacted["intake_records"] = _redact_records(conn, redactor, key_hash, ref, now, settings.hash_key)
    version = publish_in(conn, clock)
    result.list_version = version.version if version else None
    result.redacted["suppressions"] = conn.execute(
        suppressions.update()
        .where(suppressions.c.key_hash == key_hash)
        .values(
            match_key=None,
            address=None,
            export_hash=export_hash(settings.export_key, person.key),
            export_key_id=export_key_id(settings.export_key),
        )
    ).rowcount
    # Snapshots hold every clear match key of their version: drop them all (the next check
    # builds the new version's from `suppressions`, where the key is now erased).
    result.redacted["list_snapshots"] = conn.execute(list_snapshots.delete()).rowcount
    for table in metadata.sorted_tables:
        if table.name not in ("optout_events", "intake_records", "list_snapshots", "suppressions"):
            result.redacted[table.name] = _redact_table(conn, table, redactor)
    return result


def database_files(engine: sa.Engine) -> set[Path]:
    """The SQLite store's own files (never searched as files: VACUUM cleans them)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return set()
    base = os.path.abspath(engine.url.database)
    return {Path(base + suffix) for suffix in ("", "-wal", "-shm", "-journal")}


def _address(text: str) -> Address:
    try:
        return parse(text)
    except InvalidAddress as exc:
        raise OptoutError(f"not a valid address: {text!r} ({exc.reason})") from None


def _known_addresses(conn: sa.Connection, key_hash: str) -> set[str]:
    """Every clear address and match key the events hold for this key (its spellings)."""
    e = optout_events.c
    rows = conn.execute(sa.select(e.address, e.match_key).where(e.key_hash == key_hash))
    return {v for row in rows for v in row if v}


def _clear_events(conn: sa.Connection, key_hash: str, redactor: Redactor) -> int:
    """Clear address, match key and evidence of the person's events (erasure events keep their
    evidence: it names only the request), and the evidence of any other event that names them;
    the keyed hashes stay, so the chain still verifies."""
    e = optout_events.c
    result = conn.execute(
        optout_events.update()
        .where(e.key_hash == key_hash, sa.or_(e.address.is_not(None), e.match_key.is_not(None)))
        .values(address=None, match_key=None)
    )
    conn.execute(
        optout_events.update()
        .where(e.key_hash == key_hash, e.channel != ERASURE_CHANNEL, e.evidence.is_not(None))
        .values(evidence=None)
    )
    naming = [
        row.id
        for row in conn.execute(sa.select(e.id, e.evidence).where(e.evidence.is_not(None), e.evidence != ""))
        if redactor.hits(row.evidence)
    ]
    if naming:
        conn.execute(optout_events.update().where(e.id.in_(naming)).values(evidence=None))
    return int(result.rowcount) + len(naming)


def _redact_records(
    conn: sa.Connection, redactor: Redactor, key_hash: str, ref: str, now: datetime, hash_key: str
) -> int:
    """Intake records: the person's own records lose their raw evidence entirely; shared records
    (events for other people too) and records that only mention the address are redacted in place.
    Returns how many records changed."""
    e, r = optout_events.c, intake_records.c
    owners: dict[int, set[str]] = {}
    for rec_id, kh in conn.execute(sa.select(e.record_id, e.key_hash).where(e.record_id.is_not(None))):
        owners.setdefault(rec_id, set()).add(kh)
    changed = 0
    stub = {"erased": True, "erasure_ref": ref, "erased_at": now.isoformat()}
    for row in _rows(conn, intake_records):
        keys = owners.get(row.id, set())
        own = key_hash in keys and keys == {key_hash}
        mentions = any(redactor.hits(t) for t in (row.source_ref, row.details, row.locator)) or redactor.hits_json(row.raw)
        if not own and not (key_hash in keys or mentions):
            continue
        values: dict[str, Any] = {}
        for column in ("details", "locator"):
            if redactor.hits(getattr(row, column)):
                values[column] = redactor.redact(getattr(row, column))
        if own or (not keys and mentions):
            if not _is_stub(row.raw):
                values["raw"] = stub
        elif redactor.hits_json(row.raw):
            values["raw"] = redactor.redact_json(row.raw)
        if redactor.hits(row.source_ref):
            values["source_ref"] = "erased:" + keyed_hash(hash_key, row.source_ref)[:32]
        if values:  # an erasure run again changes (and counts) only what is left
            conn.execute(intake_records.update().where(r.id == row.id).values(**values))
            changed += 1
    return changed


def _is_stub(raw: Any) -> bool:
    """Raw evidence an earlier erasure already replaced."""
    return isinstance(raw, dict) and raw.get("erased") is True and set(raw) == {"erased", "erasure_ref", "erased_at"}


def _rows(conn: sa.Connection, table: sa.Table, batch: int = 1000) -> Any:
    """Every row of a table with a one-column primary key, in key order, a batch at a time."""
    (pk,) = table.primary_key.columns
    last = None
    while True:
        query = sa.select(table).order_by(pk).limit(batch)
        if last is not None:
            query = query.where(pk > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        yield from rows
        last = getattr(rows[-1], pk.name)


def _redact_table(conn: sa.Connection, table: sa.Table, redactor: Redactor) -> int:
    """Redact the address wherever it appears in a table's text and JSON columns; identity
    columns (address, match_key) are set to NULL instead. Returns how many rows changed."""
    (pk,) = table.primary_key.columns
    columns = [
        c
        for c in table.columns
        if c.name not in SKIP_COLUMNS and isinstance(c.type, (sa.String, sa.Text, sa.JSON))
    ]
    changed = 0
    for row in _rows(conn, table):
        values: dict[str, Any] = {}
        for c in columns:
            value = getattr(row, c.name)
            if isinstance(c.type, sa.JSON):
                if redactor.hits_json(value):
                    values[c.name] = redactor.redact_json(value)
            elif isinstance(value, str) and redactor.hits(value):
                values[c.name] = None if c.name in ("address", "match_key") else redactor.redact(value)
        if values:
            conn.execute(table.update().where(pk == getattr(row, pk.name)).values(**values))
            changed += 1
    return changed


PG_TABLES = (
    "optout_events",
    "intake_records",
    "suppressions",
    "list_snapshots",
    "review_queue",
    "send_checks",
    "ingested_files",
    "pipeline_runs",
)


def reclaim_space(engine: sa.Engine) -> tuple[bool, str]:
    """Make freed pages leave the files: SQLite VACUUM (and truncate the WAL); PostgreSQL
    VACUUM FULL of the tables that held the address (WAL and backups age out by retention).
    A failure (another process holds the store) is reported, not raised: the erasure itself is
    committed, and running `optout erase` again when the store is idle finishes the job."""
    try:
        if engine.dialect.name == "sqlite":
            return _vacuum_sqlite(engine)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for name in PG_TABLES:
                    conn.exec_driver_sql(f"VACUUM (FULL, ANALYZE) {name}")
            return True, "postgresql VACUUM FULL of " + ", ".join(PG_TABLES)
    except (sa.exc.DBAPIError, sqlite3.Error) as exc:
        return False, f"could not reclaim space ({exc}); freed pages may still hold the address"
    return False, f"no space reclaim for {engine.dialect.name}: run the database's own compaction"


def _vacuum_sqlite(engine: sa.Engine) -> tuple[bool, str]:
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert dbapi is not None
        dbapi.execute("VACUUM")
        busy = dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        raw.close()
    if busy:
        return False, "sqlite VACUUM done, but a reader kept the WAL from being truncated"
    return True, "sqlite VACUUM; WAL checkpointed and truncated"
