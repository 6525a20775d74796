"""Publishing a list version (SPEC §4.3, §5): fold new events into `suppressions` and add a
`list_versions` row, all in one transaction, so a reader sees the old list or the new one."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from pipeline.core.bulk import full_collections_paused
from pipeline.core.clock import Clock
from pipeline.ledger import digests
from pipeline.ledger.events import Appended, insert_rows
from pipeline.ledger.state import EventFacts, SuppressionState, states
from pipeline.store.db import bulk_cache, write_tx
from pipeline.store.schema import list_versions, optout_events, suppressions


@dataclass(frozen=True)
class ListVersion:
    version: int
    published_at: datetime
    entries: int
    added: int
    lifted: int
    digest: str
    last_event_id: int
    run_id: int | None = None
    digest_scheme: int = digests.SORTED
    digest_sum: bytes | None = None  # scheme 2: the sum the digest is the hash of


def latest_version(conn: sa.Connection) -> ListVersion | None:
    row = conn.execute(sa.select(list_versions).order_by(list_versions.c.version.desc()).limit(1)).first()
    return None if row is None else _version(row)


def version_by_number(conn: sa.Connection, version: int) -> ListVersion | None:
    row = conn.execute(sa.select(list_versions).where(list_versions.c.version == version)).first()
    return None if row is None else _version(row)


def _version(row: sa.Row) -> ListVersion:
    m = row._mapping
    stored_sum = m["digest_sum"]
    return ListVersion(
        m["version"], m["published_at"], m["entries"], m["added"], m["lifted"], m["digest"], m["last_event_id"], m["run_id"],
        m["digest_scheme"], None if stored_sum is None else bytes(stored_sum),
    )


SCAN_SHARE = 4  # keys touching at least a quarter of the events: one pass over all of them beats IN lists
SCAN_MIN_KEYS = 10_000  # below this, the IN lists are cheap whatever the share


def _many(conn: sa.Connection, keys: list[str]) -> bool:
    """Whether `keys` are so many, next to the events there are, that one scan is cheaper than
    looking them up 500 at a time (an import of a million addresses, a first night)."""
    events = conn.execute(sa.select(sa.func.coalesce(sa.func.max(optout_events.c.id), 0))).scalar_one()
    return len(keys) > SCAN_MIN_KEYS and len(keys) * SCAN_SHARE >= events


def event_facts(conn: sa.Connection, key_hashes: list[str], up_to_event: int | None = None) -> list[EventFacts]:
    """Every event of the given keys (optionally only those up to an event id), in chain order."""
    e = optout_events.c
    columns = (e.key_hash, e.match_key, e.address, e.channel, e.scope, e.action, e.requested_at)
    if _many(conn, key_hashes):
        wanted = set(key_hashes)
        query = sa.select(*columns)
        if up_to_event is not None:
            query = query.where(e.id <= up_to_event)
        return [EventFacts._make(row) for row in conn.execute(query.order_by(e.id)).all() if row[0] in wanted]
    facts: list[EventFacts] = []
    for i in range(0, len(key_hashes), 500):
        query = sa.select(*columns).where(e.key_hash.in_(key_hashes[i : i + 500]))
        if up_to_event is not None:
            query = query.where(e.id <= up_to_event)
        facts.extend(EventFacts._make(row) for row in conn.execute(query.order_by(e.id)).all())
    return facts


def publish(
    engine: sa.Engine, clock: Clock, run_id: int | None = None, appended: Appended | None = None,
) -> ListVersion | None:
    """Publish a new version when events arrived since the last one; else return the last.
    `appended`: the facts of events a run stored, folded in unread when they are exactly the
    events since the last version (`publish_in`)."""
    with write_tx(engine) as conn, bulk_cache(conn), full_collections_paused():
        if appended is None or not appended.contiguous or appended.first_id is None:
            return publish_in(conn, clock, run_id)
        return publish_in(conn, clock, run_id, new_facts=appended.facts, new_from=appended.first_id)


def publish_in(
    conn: sa.Connection, clock: Clock, run_id: int | None = None, *, new_facts: Sequence[EventFacts] | None = None,
    new_from: int | None = None,
) -> ListVersion | None:
    """`publish` inside a write transaction the caller holds (erasure publishes with its edits;
    an import with the events it has just written). `new_facts`, when given, are the facts of
    every event after the last version, in chain order: they are not read back, only counted,
    and when `new_from` is given the first must have that id (a mismatch reads them from the
    table as usual)."""
    last = latest_version(conn)
    since = last.last_event_id if last else 0
    head = conn.execute(sa.select(sa.func.coalesce(sa.func.max(optout_events.c.id), 0))).scalar_one()
    if head == since:
        return last
    if new_facts is not None and len(new_facts) == head - since and new_from in (None, since + 1):
        touched = sorted({f.key_hash for f in new_facts})
        earlier = event_facts(conn, touched, up_to_event=since) if since else []
        facts = [*earlier, *new_facts]
    else:
        touched = sorted(
            r[0] for r in conn.execute(sa.select(optout_events.c.key_hash).where(optout_events.c.id > since).distinct())
        )
        facts = event_facts(conn, touched)
    version = (last.version if last else 0) + 1
    now = clock.now()
    change = _apply(conn, states(facts), version, now)
    if last is not None and last.digest_scheme == digests.SUMMED and last.digest_sum is not None:
        total = digests.updated(digests.from_bytes(last.digest_sum), change.gone, change.came)
        count = last.entries + change.added - change.lifted
    elif last is None:  # nothing was listed before the first version
        total, count = digests.sum_of(change.came), change.added - change.lifted
    else:  # the first version after scheme 1: the sum of the whole list, once
        entries = [(r.key_hash, r.scope) for r in conn.execute(sa.select(suppressions.c.key_hash, suppressions.c.scope))]
        total, count = digests.sum_of(entries), len(entries)
    published = ListVersion(
        version, now, count, change.added, change.lifted, digests.digest_of_sum(total), int(head), run_id,
        digests.SUMMED, digests.as_bytes(total),
    )
    conn.execute(list_versions.insert().values(**published.__dict__))
    return published


@dataclass
class Change:
    """What one publish did to the list: counts, and the (key hash, scope) entries that left or
    changed from (`gone`) and that came or changed to (`came`), for the running digest."""

    added: int
    lifted: int
    gone: list[tuple[str, str]]
    came: list[tuple[str, str]]


def _apply(conn: sa.Connection, new: dict[str, SuppressionState | None], version: int, now: datetime) -> Change:
    """Write the new state of the touched keys in three batched statements."""
    s = suppressions.c
    keys = list(new)
    if _many(conn, keys):
        wanted = set(keys)
        current = {k: scope for k, scope in conn.execute(sa.select(s.key_hash, s.scope)) if k in wanted}
    else:
        current = {}
        for i in range(0, len(keys), 500):
            query = sa.select(s.key_hash, s.scope).where(s.key_hash.in_(keys[i : i + 500]))
            current.update((k, scope) for k, scope in conn.execute(query))
    lifted = [{"k": k} for k, state in new.items() if state is None and k in current]
    gone, came = digests.changes(current, {k: None if state is None else state.scope for k, state in new.items()})
    updates, inserts = [], []
    for key_hash, state in new.items():
        if state is None:
            continue
        values = {
            "match_key": state.match_key,
            "address": state.address,
            "scope": state.scope,
            "first_requested_at": state.first_requested_at,
            "last_requested_at": state.last_requested_at,
            "channels": state.channels,
        }
        if key_hash in current:
            updates.append({"k": key_hash, **values})
        else:
            inserts.append({"key_hash": key_hash, "effective_at": now, "list_version": version, **values})
    if lifted:
        conn.execute(suppressions.delete().where(s.key_hash == sa.bindparam("k")), lifted)
    if updates:
        columns = ("match_key", "address", "scope", "first_requested_at", "last_requested_at", "channels")
        stmt = suppressions.update().where(s.key_hash == sa.bindparam("k")).values({c: sa.bindparam(c) for c in columns})
        conn.execute(stmt, updates)
    if inserts:
        insert_rows(conn, suppressions, inserts)
    return Change(len(inserts), len(lifted), gone, came)
