"""A published list's keys in one signed blob (table `list_snapshots`), for fast checks.

Reading two million rows of `suppressions` and indexing them takes seconds; a snapshot holds
the same keys already in `KeyIndex` order (64-bit hash, key, entry code, scope), as one Arrow
IPC stream a check reads and maps in a fraction of a second.

Whole or delta: `refresh` (after the nightly publish) stores the new version's snapshot as a
*delta* over the newest stored whole snapshot (its version in the row's `base`) when the keys
touched since that version are few (`deltas.allowed`: at most an eighth of its entries, or 64
keys, and never more than 100,000); a delta names both versions and digests, holds the touched
keys to remove and their current rows to add, and is cumulative over its base, so a check reads
at most two blobs and splices the delta into the base in milliseconds (pipeline/check/deltas.py).
Otherwise (no stored whole snapshot, too many changes) it stores a whole snapshot, which becomes
the base of the next deltas. Other publishers (`optout add`, `lift`, review) store none: the
first check builds and stores it the same way (a delta over a base that verifies, else whole).

Trust: `suppressions` stays the truth. A snapshot is used only when its HMAC (the store's hash
key) verifies and it names the newest version with that version's digest (a delta: and its base
verifies too, and is the whole snapshot of the version and digest it names); otherwise the check
builds a new one (and saves it) — a damaged or edited snapshot can slow a check, never change
its answer — and `optout verify` reports it. Only the newest version's snapshot (and a delta's
base) is kept, and erasure deletes them all (they hold clear match keys).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from pipeline.check import deltas
from pipeline.check.keyindex import KeyIndex
from pipeline.core.clock import as_utc
from pipeline.intake.records import Scope
from pipeline.ledger.publish import ListVersion, latest_version, version_by_number
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import list_snapshots, suppressions, utc_text

FORMAT = 2  # 2: each key's first request time (column "first", and in erased rows)
DELTA_FORMAT = 3  # a delta (pipeline/check/deltas.py): a reader of whole snapshots only refuses it
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
log = logging.getLogger("optout.snapshots")

if TYPE_CHECKING:
    from pipeline.check.prefetch import Fetched

Rows = Mapping[int, "Fetched"]  # snapshot rows read ahead, by version
Row = tuple["bytes | memoryview", str, "int | None", "str | None"]  # body, mac, base, computed mac


@dataclass(frozen=True)
class Snapshot:
    """The signed body of one version's snapshot; `stored` says whether the table holds it."""

    version: ListVersion
    body: bytes | memoryview  # a memoryview: read by `pipeline.check.prefetch` into shared memory
    mac: str
    stored: bool
    over: ListVersion | None = None  # a delta's base version (None: a whole snapshot)
    base: Snapshot | None = None  # that base's whole snapshot, once read (needed to decode a delta)


def mac_of(body: bytes | memoryview, hash_key: str) -> str:
    return hmac.new(hash_key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _as_utc_text(value: datetime | str) -> str:
    return as_utc(value).isoformat()


def build(conn: sa.Connection, version: ListVersion, hash_key: str) -> Snapshot:
    """The snapshot of the list in `conn`'s snapshot (which must show `version` as the newest)."""
    s = suppressions.c
    postgres = conn.dialect.name == "postgresql"
    newline: sa.ColumnElement[str] = sa.literal_column("chr(10)" if postgres else "char(10)")
    tab: sa.ColumnElement[str] = sa.literal_column("chr(9)" if postgres else "char(9)")
    joined = sa.func.string_agg if postgres else sa.func.group_concat
    first = utc_text(s.first_requested_at, postgres)
    # Aggregated in the database: a few thousand (channels, since, scope) groups, not millions of
    # rows; each key travels with its first request time ("time<TAB>key": a time holds no tab).
    query = (
        sa.select(s.channels, s.effective_at, s.scope, joined(first.op("||")(tab).op("||")(s.match_key), newline))
        .where(s.match_key.is_not(None))
        .group_by(s.channels, s.effective_at, s.scope)
    )
    groups = [tuple(r) for r in conn.execute(query)]
    entries: dict[tuple[str, str], int] = {}
    codes_of_groups = [entries.setdefault((channels, _as_utc_text(since)), len(entries)) for channels, since, _, _ in groups]
    lists = pc.split_pattern(pa.array([keys for *_, keys in groups], pa.large_string()), "\n")
    sizes = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    codes = np.repeat(np.array(codes_of_groups, dtype=np.int32), sizes)
    every = np.repeat(np.array([scope == str(Scope.ALL) for _, _, scope, _ in groups], dtype=bool), sizes)
    pairs = pc.split_pattern(lists.flatten(), "\t", max_splits=1)
    requested = micros(pc.list_element(pairs, 0))
    keys = pc.list_element(pairs, 1).cast(pa.string())
    erased = [
        (r.key_hash, entries.setdefault((r.channels, _as_utc_text(r.effective_at)), len(entries)), r.scope == str(Scope.ALL),
         _micros_of(r.first_requested_at))
        for r in conn.execute(sa.select(s.key_hash, s.channels, s.effective_at, s.scope, s.first_requested_at)
                              .where(s.match_key.is_(None)))
    ]
    return encode(version, keys, codes, every, list(entries), erased, hash_key, requested)


def micros(texts: pa.Array) -> np.ndarray:
    """Microseconds since the epoch (UTC) of `YYYY-MM-DD HH:MM:SS[.ffffff]` texts."""
    stamps = pc.cast(texts.cast(pa.string()), pa.timestamp("us"))
    return stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)


def _micros_of(value: datetime | str) -> int:
    moment = as_utc(value)
    return (moment - EPOCH) // timedelta(microseconds=1)


def encode(
    version: ListVersion, keys: pa.Array, codes: np.ndarray, every: np.ndarray,
    entries: list[tuple[str, str]], erased: list[tuple[str, int, bool, int]] | list[tuple[str, int, bool]], hash_key: str,
    requested: np.ndarray | None = None, over: ListVersion | None = None, removed: deltas.Touched | None = None,
) -> Snapshot:
    """The signed snapshot of clear `keys` (each with an entry code into `entries` — distinct
    (channels, since) pairs —, whether its scope is `all` and its first request time in
    microseconds since the epoch, -1 unknown) and erased (key hash, code, all, first request);
    with `over`, a delta over that version's whole snapshot, first `removed` then these added."""
    index = KeyIndex(keys)
    order = index.order
    assert order is not None  # built from unsorted keys: the permutation that sorted them
    if requested is None:
        requested = np.full(len(keys), -1, dtype=np.int64)
    meta: dict[str, Any] = {
        "format": FORMAT, "version": version.version, "digest": version.digest,
        "entries": [list(pair) for pair in entries], "erased": [[*row, -1][:4] for row in erased],
    }
    if over is not None:
        meta |= {"format": DELTA_FORMAT, "base": over.version, "base_digest": over.digest,
                 "removed": removed.keys if removed else [], "removed_hashes": removed.hashes if removed else []}
    table = pa.table(
        {"hash": index.hashes, "key": index.keys, "entry": codes[order], "all": every[order],
         "first": np.asarray(requested, dtype=np.int64)[order]},
        metadata={"optout": json.dumps(meta)},
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(len(table), 1))
    body = sink.getvalue().to_pybytes()
    return Snapshot(version, body, mac_of(body, hash_key), stored=False, over=over)


def build_delta(conn: sa.Connection, version: ListVersion, hash_key: str) -> Snapshot | None:
    """`version`'s delta over the newest stored whole snapshot of an older version, when there is
    one whose row names that version's digest and the change since is small (`deltas.allowed`).
    The base's body is not read here (that would cost what the delta saves): a check verifies
    base and delta before using them, and builds from `suppressions` if either fails."""
    c = list_snapshots.c
    row = conn.execute(sa.select(c.version, c.digest).where(c.base.is_(None), c.version < version.version)
                       .order_by(c.version.desc()).limit(1)).first()
    if row is None:
        return None
    over = version_by_number(conn, row.version)
    if over is None or over.digest != row.digest:
        return None
    touched = deltas.touched_since(conn, over, version)
    if touched is None:
        return None
    entries: dict[tuple[str, str], int] = {}
    clear = [r for r in touched.rows if r.match_key is not None]
    codes = np.array([entries.setdefault((r.channels, _as_utc_text(r.effective_at)), len(entries)) for r in clear], np.int32)
    erased = [(r.key_hash, entries.setdefault((r.channels, _as_utc_text(r.effective_at)), len(entries)), r.scope == str(Scope.ALL),
               _micros_of(r.first_requested_at)) for r in touched.rows if r.match_key is None]
    return encode(version, pa.array([r.match_key for r in clear], pa.string()), codes,
                  np.array([r.scope == str(Scope.ALL) for r in clear], bool), list(entries), erased, hash_key,
                  np.array([_micros_of(r.first_requested_at) for r in clear], np.int64), over, touched)


def read(conn: sa.Connection, version: ListVersion, hash_key: str, fetched: Rows | None = None) -> Snapshot | None:
    """The stored snapshot of `version` if it verifies (a delta: with its base), else None (a bad
    one is logged). `fetched`: rows already read out of the store (`pipeline.check.prefetch`)."""
    row = _fetch(conn, version.version, fetched)
    if row is None:
        return None
    body, mac, over_number, computed = row
    over = None if over_number is None else version_by_number(conn, over_number)
    base: Snapshot | str | None = None
    if over_number is None:
        problem = problem_of(body, mac, version, hash_key, computed_mac=computed)
    elif over is None:
        problem = f"its base version {over_number} does not exist"
    else:
        problem = problem_of(body, mac, version, hash_key, over, computed_mac=computed)
        if problem is None:
            base = _read_base(conn, over, hash_key, fetched)
            problem = base if isinstance(base, str) else None
    if problem:
        log.warning("list version %s: stored snapshot not used (%s); reading suppressions instead", version.version, problem)
        return None
    return Snapshot(version, body, mac, stored=True, over=over, base=base if isinstance(base, Snapshot) else None)


def _read_base(conn: sa.Connection, over: ListVersion, hash_key: str, fetched: Rows | None = None) -> Snapshot | str:
    """The whole snapshot of `over` a delta applies over, or why it cannot be used."""
    row = _fetch(conn, over.version, fetched)
    if row is None or row[2] is not None:
        return f"its base, the whole snapshot of version {over.version}, is not stored"
    problem = problem_of(row[0], row[1], over, hash_key, computed_mac=row[3])
    if problem:
        return f"its base, the snapshot of version {over.version}: {problem}"
    return Snapshot(over, row[0], row[1], stored=True)


def _fetch(conn: sa.Connection, version: int, fetched: Rows | None = None) -> Row | None:
    """(body, mac, base, the body's signature where it was read, if computed) of a stored
    snapshot: from `fetched` when it holds the version, else read now. On PostgreSQL the body
    comes in binary format, in the caller's transaction: the default text format sends bytea as
    hex, twice the bytes, and decoding it costs more than the transfer."""
    if fetched and version in fetched:
        got = fetched[version]
        return got.body, got.mac, got.base, got.computed_mac
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor(binary=True)  # type: ignore[union-attr]
        try:
            cursor.execute("SELECT body, mac, base FROM list_snapshots WHERE version = %s", (version,))
            found = cursor.fetchone()
        finally:
            cursor.close()
        return None if found is None else (bytes(found[0]), found[1], found[2], None)
    c = list_snapshots.c
    row = conn.execute(sa.select(c.body, c.mac, c.base).where(c.version == version)).first()
    return None if row is None else (bytes(row.body), row.mac, row.base, None)


def problem_of(body: bytes | memoryview, mac: str, version: ListVersion, hash_key: str, over: ListVersion | None = None,
               computed_mac: str | None = None) -> str | None:
    """Why a stored snapshot cannot stand for `version` (with `over`: as a delta over that
    version's whole snapshot), or None when it can. `computed_mac`: the body's signature as the
    process that read it computed it (`pipeline.check.prefetch`), else it is computed here."""
    if not hmac.compare_digest(computed_mac or mac_of(body, hash_key), mac or ""):
        return "its signature does not match its content"
    try:
        meta = _meta(pa.ipc.open_stream(pa.py_buffer(body)).schema)
    except (pa.ArrowInvalid, ValueError, KeyError) as exc:
        return f"unreadable ({exc})"
    expected = FORMAT if over is None else DELTA_FORMAT
    if meta.get("format") != expected:
        return f"format {meta.get('format')!r}, expected {expected}"
    if (meta.get("version"), meta.get("digest")) != (version.version, version.digest):
        return f"it is of version {meta.get('version')} digest {str(meta.get('digest'))[:12]}…"
    if over is not None and (meta.get("base"), meta.get("base_digest")) != (over.version, over.digest):
        return f"it is a delta over version {meta.get('base')} digest {str(meta.get('base_digest'))[:12]}…"
    return None


def _meta(schema: pa.Schema) -> dict[str, Any]:
    """The snapshot's own fields (format, version, digest, entries, erased; a delta's base, base
    digest, removed keys and removed key hashes), kept in the schema."""
    return dict(json.loads((schema.metadata or {})[b"optout"]))


def _open(body: bytes | memoryview) -> tuple[pa.Table, dict[str, Any]]:
    """The snapshot's table (one chunk per column, no copy of the body) and its fields."""
    table = pa.ipc.open_stream(pa.py_buffer(body)).read_all()
    return table, _meta(table.schema)


def current(conn: sa.Connection, hash_key: str, fetched: Rows | None = None) -> Snapshot | None:
    """The newest version's snapshot: the stored one, else a delta built now over a stored whole
    snapshot (read and verified with it), else one built now from `suppressions` (not yet saved).
    `fetched`: snapshot rows already read out of the store."""
    version = latest_version(conn)
    if version is None:
        return None
    return read(conn, version, hash_key, fetched) or _delta_over_base(conn, version, hash_key) or build(conn, version, hash_key)


def _delta_over_base(conn: sa.Connection, version: ListVersion, hash_key: str) -> Snapshot | None:
    """`build_delta`, with its base read and verified (for a check: `optout add` and the like
    publish without storing a snapshot)."""
    delta = build_delta(conn, version, hash_key)
    if delta is None or delta.over is None:
        return None
    base = _read_base(conn, delta.over, hash_key)
    if isinstance(base, str):
        log.warning("list version %s: no delta over a stored snapshot (%s); reading suppressions instead", version.version, base)
        return None
    return replace(delta, base=base)


def save(engine: sa.Engine, snap: Snapshot) -> bool:
    """Store `snap` if its version is still the newest (and, for a delta, its base is still stored
    as the whole snapshot of that base version), deleting every other snapshot but that base.

    Best effort: a snapshot only saves time, so a store that cannot take the write now (locked
    past its timeout, say) is logged and the caller goes on; the next check builds it again."""
    c = list_snapshots.c
    try:
        with write_tx(engine) as conn:
            newest = latest_version(conn)
            if newest is None or newest.version != snap.version.version:
                return False
            if snap.over is None:
                conn.execute(list_snapshots.delete())
            else:
                base = conn.execute(sa.select(c.digest).where(c.version == snap.over.version, c.base.is_(None))).first()
                if base is None or base.digest != snap.over.digest:
                    return False  # erased or replaced meanwhile: the next check builds a whole one
                conn.execute(list_snapshots.delete().where(c.version != snap.over.version))
            conn.execute(list_snapshots.insert().values(
                version=snap.version.version, digest=snap.version.digest, mac=snap.mac, size=len(snap.body), body=snap.body,
                base=None if snap.over is None else snap.over.version,
            ))
    except sa.exc.DBAPIError as exc:
        log.warning("list version %s: snapshot not stored (%s); the next check builds it again", snap.version.version, exc.orig)
        return False
    return True


def refresh(engine: sa.Engine, hash_key: str) -> Snapshot | None:
    """Store the newest version's snapshot unless a valid one is stored (after publish): a delta
    over the stored whole snapshot when the change since is small, else a whole one."""
    with read_tx(engine) as conn:
        version = latest_version(conn)
        if version is None:
            return None
        snap = read(conn, version, hash_key) or build_delta(conn, version, hash_key) or build(conn, version, hash_key)
    if not snap.stored:
        save(engine, snap)
    return snap


@dataclass
class Decoded:
    """A snapshot ready to match against, for one kind of send."""

    index: KeyIndex
    codes: np.ndarray  # entry code per indexed key
    every: np.ndarray  # scope `all` per indexed key
    requested: np.ndarray  # first request, microseconds since the epoch (-1 unknown), per indexed key
    pairs: list[tuple[str, str]]  # distinct (channels, since)
    erased: list[list[Any]]  # [key hash, entry code, all, first request]


def decode(snap: Snapshot, kind: str) -> Decoded:
    """The snapshot's index and per-key fields for a send of `kind`: a service announcement
    honours only scope `all` (SPEC §4.3)."""
    table, pairs, erased = _applied(snap, kind)
    hashes = _column(table, "hash").to_numpy(zero_copy_only=False)
    index = KeyIndex.presorted(hashes, _column(table, "key"))
    return Decoded(
        index, _column(table, "entry").to_numpy(zero_copy_only=False), _column(table, "all").to_numpy(zero_copy_only=False),
        _column(table, "first").to_numpy(zero_copy_only=False), pairs, erased,
    )


def _applied(snap: Snapshot, kind: str) -> tuple[pa.Table, list[tuple[str, str]], list[list[Any]]]:
    """The keys (one chunk per column, in hash order), entries and erased rows `snap` stands for,
    for a send of `kind`: a delta applied over its base."""
    table, meta = _for_kind(snap.body, kind)
    if snap.over is None:
        return table, [tuple(pair) for pair in meta["entries"]], meta["erased"]
    if snap.base is None:
        raise ValueError(f"list version {snap.version.version}: a delta snapshot decodes only with its base read")
    base, base_meta = _for_kind(snap.base.body, kind)
    return deltas.apply(base, base_meta, table, meta)


def _for_kind(body: bytes | memoryview, kind: str) -> tuple[pa.Table, dict[str, Any]]:
    table, meta = _open(body)
    if kind == "service":
        table = table.filter(table.column("all"))
        meta["erased"] = [row for row in meta["erased"] if row[2]]
    return table.combine_chunks(), meta


def content(snap: Snapshot) -> tuple[set[tuple[str, bool, str, str, int]], set[tuple[str, bool, str, str, int]]]:
    """What a snapshot (a delta: applied over its base) says, independent of its layout: (key,
    scope all?, channels, since, first request) for clear keys and (key hash, …) for erased ones."""
    table, pairs, erased_rows = _applied(snap, "marketing")
    keys = table.column("key").to_pylist()
    codes, every = table.column("entry").to_pylist(), table.column("all").to_pylist()
    first = table.column("first").to_pylist()
    clear = {(k, a, *pairs[c], f) for k, a, c, f in zip(keys, every, codes, first, strict=True)}
    erased = {(h, a, *pairs[c], f) for h, c, a, f in erased_rows}
    return clear, erased  # type: ignore[return-value]


def _column(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name)
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
