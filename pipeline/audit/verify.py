"""`optout verify`: recompute the event chain, replay every list version's digest from the
events, compare the current list with them, and name the first broken row. The nightly run
ends with `verify_store` (SPEC §6, issue 6)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from pipeline.check import snapshots
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.ledger import digests
from pipeline.ledger.chain import GENESIS, keyed_hash, row_hash
from pipeline.ledger.publish import latest_version, version_by_number
from pipeline.ledger.state import EventFacts, state_of_key, states
from pipeline.store.db import read_tx
from pipeline.store.schema import list_snapshots, list_versions, optout_events, suppressions


class VerificationError(OptoutError):
    """The store failed verification (exit 1, like `optout verify`)."""

    exit_code = 1


@dataclass
class Verification:
    events: int = 0
    versions: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(conn: sa.Connection, hash_key: str) -> Verification:
    result = Verification()
    facts = _verify_chain(conn, hash_key, result)
    _verify_versions(conn, result)
    _verify_digests(conn, facts, result)
    _verify_state(conn, facts, result)
    _verify_snapshots(conn, hash_key, result)
    return result


def verify_store(engine: sa.Engine, settings: Settings) -> Verification:
    """Verify the store in one snapshot; the nightly run's last step raises on a break."""
    with read_tx(engine) as conn:
        result = verify(conn, settings.hash_key)
    if not result.ok:
        first, count = result.problems[0], len(result.problems)
        raise VerificationError(f"store verification failed: {first} ({count} problem(s))")
    return result


def _verify_chain(conn: sa.Connection, hash_key: str, result: Verification) -> list[tuple[int, EventFacts]]:
    prev, expected_id = GENESIS, 1
    facts = []
    for row in conn.execute(sa.select(optout_events).order_by(optout_events.c.id)):
        m = row._mapping
        result.events += 1
        where = f"optout_events id {m['id']}"
        if m["id"] != expected_id:
            result.problems.append(f"{where}: expected id {expected_id} (a row is missing)")
        if m["prev_hash"] != prev:
            result.problems.append(f"{where}: prev_hash does not match the row before")
        if row_hash(m["prev_hash"], dict(m)) != m["row_hash"]:
            result.problems.append(f"{where}: row_hash does not match its fields (row edited)")
        if m["address"] is not None and keyed_hash(hash_key, m["address"]) != m["address_hash"]:
            result.problems.append(f"{where}: address does not match address_hash (address edited)")
        if m["match_key"] is not None and keyed_hash(hash_key, m["match_key"]) != m["key_hash"]:
            result.problems.append(f"{where}: match_key does not match key_hash (match key edited)")
        if m["evidence_hash"] is not None and m["evidence"] is not None and keyed_hash(hash_key, m["evidence"]) != m["evidence_hash"]:
            result.problems.append(f"{where}: evidence does not match evidence_hash (evidence edited)")
        prev, expected_id = m["row_hash"], m["id"] + 1
        fact = EventFacts(m["key_hash"], m["match_key"], m["address"], m["channel"], m["scope"], m["action"], m["requested_at"])
        facts.append((m["id"], fact))
    return facts


def _verify_versions(conn: sa.Connection, result: Verification) -> None:
    head = conn.execute(sa.select(sa.func.coalesce(sa.func.max(optout_events.c.id), 0))).scalar_one()
    last_event = 0
    for row in conn.execute(sa.select(list_versions).order_by(list_versions.c.version)):
        result.versions += 1
        if row.last_event_id < last_event or row.last_event_id > head:
            result.problems.append(
                f"list_versions version {row.version}: last_event_id {row.last_event_id} is out of order or past the chain (events deleted)"
            )
        last_event = row.last_event_id


def _verify_digests(conn: sa.Connection, facts: list[tuple[int, EventFacts]], result: Verification) -> None:
    """Replay the events version by version: each version's digest (and, in the summed scheme,
    its stored sum) and entry count must be what its events (up to its last_event_id) make, so
    no past version can be rewritten. The sum is carried from version to version, as publish
    carries it."""
    by_key: dict[str, list[EventFacts]] = {}
    entries: dict[str, str] = {}
    total, i = 0, 0
    for v in conn.execute(sa.select(list_versions).order_by(list_versions.c.version)):
        touched = set()
        while i < len(facts) and facts[i][0] <= v.last_event_id:
            f = facts[i][1]
            by_key.setdefault(f.key_hash, []).append(f)
            touched.add(f.key_hash)
            i += 1
        scopes = {k: None if (state := state_of_key(by_key[k])) is None else state.scope for k in touched}
        gone, came = digests.changes(entries, scopes)
        total = digests.updated(total, gone, came)
        for key_hash, _ in gone:
            del entries[key_hash]
        entries.update(came)
        where = f"list_versions version {v.version}"
        if v.digest_scheme == digests.SUMMED:
            if v.digest_sum is None or bytes(v.digest_sum) != digests.as_bytes(total):
                result.problems.append(f"{where}: digest_sum does not match a replay of events up to id {v.last_event_id}")
            expected = digests.digest_of_sum(total)
        elif v.digest_scheme == digests.SORTED:
            expected = digests.digest(list(entries.items()), digests.SORTED)
        else:
            result.problems.append(f"{where}: unknown digest scheme {v.digest_scheme}")
            continue
        if expected != v.digest or len(entries) != v.entries:
            result.problems.append(f"{where}: digest or entry count does not match a replay of events up to id {v.last_event_id}")


def _verify_state(conn: sa.Connection, facts: list[tuple[int, EventFacts]], result: Verification) -> None:
    """The suppressions table must be exactly what the events say, and match the latest digest."""
    latest = latest_version(conn)
    if latest is None:
        return
    # Only events the latest version covers count: later ones are not yet published.
    covered = [f for event_id, f in facts if event_id <= latest.last_event_id]
    expected = {k: v for k, v in states(covered).items() if v is not None}
    actual = {r.key_hash: r for r in conn.execute(sa.select(suppressions))}
    for key_hash in sorted(set(expected) | set(actual)):
        want, have = expected.get(key_hash), actual.get(key_hash)
        if want is None or have is None or want.scope != have.scope:
            table, events = have.scope if have else "absent", want.scope if want else "absent"
            result.problems.append(f"suppressions key_hash {key_hash[:12]}…: table says {table}, events say {events}")
    entries = [(r.key_hash, r.scope) for r in actual.values()]
    if latest.digest_scheme not in (digests.SORTED, digests.SUMMED):
        return  # named by the replay of the versions
    if digests.digest(entries, latest.digest_scheme) != latest.digest or len(entries) != latest.entries:
        result.problems.append(f"list_versions version {latest.version}: digest or entry count does not match the suppressions table")


def _verify_snapshots(conn: sa.Connection, hash_key: str, result: Verification) -> None:
    """A stored list snapshot must carry a valid signature and name an existing version with its
    digest (a delta also its stored whole base, with that version's digest), and the newest
    version's (a delta applied over its base) must hold exactly the clear keys, scopes, channels
    and since-when of `suppressions` (a check trusts it)."""
    latest = latest_version(conn)
    c = list_snapshots.c
    rows = {row.version: row for row in conn.execute(sa.select(c.version, c.mac, c.body, c.base))}
    for row in rows.values():
        where = f"list_snapshots version {row.version}"
        version = version_by_number(conn, row.version)
        over = None if row.base is None else version_by_number(conn, row.base)
        if version is None or (row.base is not None and over is None):
            result.problems.append(f"{where}: no such list version {row.version if version is None else row.base}")
            continue
        body = bytes(row.body)
        problem = snapshots.problem_of(body, row.mac, version, hash_key, over)
        base = rows.get(row.base) if over is not None else None
        if problem is None and over is not None and (base is None or base.base is not None):
            problem = f"its base, the whole snapshot of version {row.base}, is not stored"
        if problem:
            result.problems.append(f"{where}: {problem}")
        elif latest is not None and version.version == latest.version:
            whole = None if over is None or base is None else snapshots.Snapshot(over, bytes(base.body), base.mac, stored=True)
            if over is not None and (whole is None or snapshots.problem_of(whole.body, whole.mac, over, hash_key)):
                continue  # the base's own row reports it
            snap = snapshots.Snapshot(version, body, row.mac, stored=True, over=over, base=whole)
            if snapshots.content(snap) != snapshots.content(snapshots.build(conn, version, hash_key)):
                result.problems.append(f"{where}: its entries differ from the suppressions table")
