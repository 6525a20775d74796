"""Appending opt-out events to the chained, append-only `optout_events` table."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa

from pipeline.ledger.chain import GENESIS, keyed_hasher, row_hash
from pipeline.ledger.state import EventFacts
from pipeline.store.schema import UTCDateTime, intake_records, optout_events


class EventDraft(NamedTuple):
    """An event to append, before the chain gives it an id and hashes (a tuple: a night makes
    100,000 of these)."""

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
    facts: list[EventFacts] | None = None,
) -> int:
    """Append events in order, each chained to the one before. Returns how many were added;
    `facts`, when given, is extended with each event's facts (what publishing folds in).
    Must run inside `write_tx`, which serialises writers."""
    last_id, prev = chain_head(conn)
    rows = []
    keyed = keyed_hasher(hash_key)
    evidence_hashes: dict[str, str] = {}  # a file's records repeat one evidence text: ""
    for d in drafts:
        last_id += 1
        evidence_hash = evidence_hashes.get(d.evidence)
        if evidence_hash is None:
            evidence_hash = evidence_hashes[d.evidence] = keyed(d.evidence)
        key_hash = keyed(d.match_key)
        row = {
            "id": last_id,
            "record_id": d.record_id,
            "channel": d.channel,
            "address": d.address,
            "match_key": d.match_key,
            # Most addresses are written as their key: one hash serves both.
            "address_hash": key_hash if d.address == d.match_key else keyed(d.address),
            "key_hash": key_hash,
            "scope": d.scope,
            "action": d.action,
            "requested_at": d.requested_at,
            "recorded_at": recorded_at,
            "run_id": run_id,
            "evidence": d.evidence,
            "evidence_hash": evidence_hash,
        }
        row["prev_hash"] = prev
        row["row_hash"] = prev = row_hash(prev, row)
        rows.append(row)
        if facts is not None:
            facts.append(EventFacts(key_hash, d.match_key, d.address, d.channel, d.scope, d.action, d.requested_at))
    insert_rows(conn, optout_events, rows)
    return len(rows)


@dataclass
class Appended:
    """The facts of the events some transactions appended, in chain order, and the id of the
    first: what a publish after them folds in without reading them back (`publish_in`), as
    long as no other writer appended between them (`contiguous`)."""

    first_id: int | None = None
    facts: list[EventFacts] = field(default_factory=list)
    contiguous: bool = True

    def extend(self, first_id: int, facts: list[EventFacts]) -> None:
        """Events from `first_id` on, just committed."""
        if not facts:
            return
        if self.first_id is None:
            self.first_id = first_id
        elif self.first_id + len(self.facts) != first_id:
            self.contiguous = False
        self.facts.extend(facts)


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows of one table with the same keys, as `conn.execute(table.insert(), rows)`
    stores them, without SQLAlchemy's per-row parameter processing.

    The statement is compiled once; each value goes through its column type's own bind
    processor for the dialect (UTC conversion and SQLite's datetime text, JSON serialisation),
    so what is stored is the same; then one DB-API `executemany` sends the rows.
    """
    if rows:
        conn.exec_driver_sql(*bulk_insert(conn.dialect, table, rows))


def bulk_insert(dialect: sa.Dialect, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> tuple[str, list[Any]]:
    """`insert_rows`' statement and driver parameters, made without the connection: a bulk
    writer can prepare the next batch in another process while the database stores this one
    (`pipeline.core.bulk.ahead`)."""
    keys = list(rows[0])
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    processors = {key: _processor(table.c[key], dialect) for key in keys}
    order = list(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    converted: list[Any] = []
    if order is not None:
        # Values picked in statement order by one C call per row; only the few columns with a
        # processor (times, JSON) are touched again.
        pick = itemgetter(*order) if len(order) > 1 else (lambda row: (row[order[0]],))
        steps = [(i, process) for i, key in enumerate(order) if (process := processors[key]) is not None]
        if not steps:
            converted = [pick(row) for row in rows]
        else:
            for row in rows:
                values = list(pick(row))
                for i, process in steps:
                    values[i] = process(values[i])
                converted.append(tuple(values))
    else:
        for row in rows:
            converted.append({key: row[key] if process is None else process(row[key]) for key, process in processors.items()})
    return compiled.string, converted


def _processor(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor for the dialect. A timestamp's is remembered per value:
    a batch repeats the same few (the run's time, the file's day), and equal instants store
    the same UTC value. Any column's stored form of NULL is worked out once (JSON's is the text
    `null`)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    null = process(None)
    if isinstance(column.type, sa.JSON) and dialect.name == "sqlite" and dialect._json_serializer is None:  # type: ignore[attr-defined]
        # SQLite's JSON is `json.dumps(value)` as text: a dict (the evidence of every record)
        # goes through one C encoder made once; anything else through SQLAlchemy.
        dumps = dict_dumps()
        return lambda value: dumps(value) if type(value) is dict else null if value is None else process(value)
    if not isinstance(column.type, UTCDateTime):
        return lambda value: null if value is None else process(value)
    seen: dict[datetime, Any] = {}

    def remembered(value: datetime | None) -> Any:
        if value is None:
            return null
        if value not in seen:
            seen[value] = process(value)
        return seen[value]

    return remembered


def dict_dumps() -> Callable[[dict[str, Any]], str]:
    """`json.dumps` with its default settings, the C encoder it makes on every call made once
    (half the time of a small dict); tests/integration/test_insert_rows.py holds the two equal."""
    if c_make_encoder is None:
        return json.dumps
    markers: dict[int, Any] = {}
    encode = c_make_encoder(markers, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ",
                            False, False, True)

    def dumps(value: dict[str, Any]) -> str:
        try:
            return "".join(encode(value, 0))
        finally:
            markers.clear()  # empty after a value that encodes; cleared after one that raises

    return dumps


def next_record_id(conn: sa.Connection) -> int:
    return next_id(conn, intake_records)
