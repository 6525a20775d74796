"""What auditors ask of the store: an address's story, events over a period, as-of answers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from pipeline.core.addresses import InvalidAddress, parse
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.publish import ListVersion, event_facts, latest_version, version_by_number
from pipeline.ledger.state import SuppressionState, state_of_key
from pipeline.store.schema import ingested_files, intake_records, list_versions, optout_events, suppressions


@dataclass
class EventView:
    event_id: int
    channel: str
    source_ref: str | None
    address: str | None
    match_key: str | None
    scope: str
    action: str
    requested_at: str
    recorded_at: str
    effective_version: int | None
    effective_at: str | None
    evidence_file: str | None
    evidence_locator: str | None
    evidence: str | None  # free-text evidence of manual entries; None once erased
    outcome_reason: str | None


def _event_query() -> sa.Select[Any]:
    e, r, f = optout_events.c, intake_records.c, ingested_files.c
    first_version = (
        sa.select(sa.func.min(list_versions.c.version))
        .where(list_versions.c.last_event_id >= e.id)
        .scalar_subquery()
    )
    return (
        sa.select(
            e.id, e.channel, r.source_ref, e.address, e.match_key, e.scope, e.action, e.requested_at,
            e.recorded_at, first_version.label("effective_version"), f.path, r.locator, e.evidence, r.reason,
        )
        .select_from(optout_events.outerjoin(intake_records, e.record_id == r.id).outerjoin(ingested_files, r.file_id == f.id))
        .order_by(e.id)
    )


def _views(conn: sa.Connection, query: sa.Select[Any]) -> list[EventView]:
    published = dict(conn.execute(sa.select(list_versions.c.version, list_versions.c.published_at)).all())
    views = []
    for row in conn.execute(query):
        effective = published.get(row.effective_version)
        views.append(EventView(
            row.id, row.channel, row.source_ref, row.address, row.match_key, row.scope, row.action,
            row.requested_at.isoformat(), row.recorded_at.isoformat(), row.effective_version,
            effective.isoformat() if effective else None, row.path, row.locator, row.evidence, row.reason,
        ))
    return views


@dataclass
class LookupAnswer:
    address: str
    match_key: str
    suppressed: bool
    scope: str | None
    since: str | None
    list_version: int | None
    as_of: str | None
    events: list[EventView]
    # With an as-of time: the events the store recorded after it. They are shown (the whole
    # story), but the list in force at that time could not hold them, so the status ignores them.
    after_as_of: list[int] = field(default_factory=list)

    def is_after_as_of(self, event: EventView) -> bool:
        return event.event_id in self.after_as_of

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.as_of is not None:
            for view in d["events"]:
                view["after_as_of"] = view["event_id"] in self.after_as_of
        return d


def key_of(address: str) -> str:
    try:
        return parse(address).key
    except InvalidAddress as exc:
        raise OptoutError(f"not a valid address: {address!r} ({exc.reason})") from None


def version_at(conn: sa.Connection, at: datetime) -> ListVersion | None:
    row = conn.execute(
        sa.select(list_versions.c.version).where(list_versions.c.published_at <= at).order_by(list_versions.c.version.desc()).limit(1)
    ).first()
    return None if row is None else version_by_number(conn, int(row.version))


def lookup(conn: sa.Connection, hash_key: str, address: str, *, as_of: datetime | None = None, version: int | None = None) -> LookupAnswer:
    """Is the address suppressed now (or in a version, or at a time), and its whole history."""
    key = key_of(address)
    key_hash = keyed_hash(hash_key, key)
    if version is not None:
        target = version_by_number(conn, version)
        if target is None:
            raise NotFoundError(f"there is no list version {version}")
    elif as_of is not None:
        target = version_at(conn, as_of)
    else:
        target = latest_version(conn)
    state: SuppressionState | None = None
    since = None
    if target is not None:
        state = state_of_key(event_facts(conn, [key_hash], up_to_event=target.last_event_id))
        if state is not None and version is None and as_of is None:
            since_row = conn.execute(sa.select(suppressions.c.effective_at).where(suppressions.c.key_hash == key_hash)).first()
            since = since_row.effective_at.isoformat() if since_row else None
    events = _views(conn, _event_query().where(optout_events.c.key_hash == key_hash))
    later = [] if as_of is None else [ev.event_id for ev in events if datetime.fromisoformat(ev.recorded_at) > as_of]
    return LookupAnswer(
        address, key, state is not None, state.scope if state else None, since,
        target.version if target else None, as_of.isoformat() if as_of else None, events, later,
    )


def history(conn: sa.Connection, *, start: date | None = None, end: date | None = None, channel: str | None = None) -> list[EventView]:
    """Every event requested in [start, end] (whole days, UTC), optionally of one channel."""
    if start and end and start > end:
        raise OptoutError(f"the period runs backwards: it starts on {start}, after its end on {end}")
    query = _event_query()
    e = optout_events.c
    if start:
        query = query.where(e.requested_at >= datetime.combine(start, time(0), tzinfo=UTC))
    if end and end < date.max:  # the last day there is has no next day to stop before
        query = query.where(e.requested_at < datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC))
    if channel:
        query = query.where(e.channel == channel)
    return _views(conn, query)
