"""A list snapshot stored as a change over an older whole one (a delta): what it holds and how
a check applies it (pipeline/check/snapshots.py signs, stores and reads it).

The keys whose entries may differ between version B and a newer version V are exactly those an
event touched in between (`B.last_event_id < optout_events.id <= V.last_event_id`): every change
to `suppressions` is published from events, and erasure deletes every snapshot. So V's delta over
B's whole snapshot holds those keys to remove from B (their clear match keys, and the key hashes
of the ones ever erased) and their current rows to add (a lifted key has none). Found with
indexed queries only: the events by id range, then `suppressions` and the erased events by
`key_hash IN` batches.

A delta is written only while it stays small beside its base (`allowed`); past that the next
snapshot is whole and becomes the base of the following deltas.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from pipeline.check.keyindex import hash64
from pipeline.ledger.publish import ListVersion
from pipeline.store.schema import optout_events, suppressions

DELTA_SHARE = 8  # a delta touches at most an eighth of its base's entries …
DELTA_MIN = 64  # … or this many keys, whichever is more (on a small list either costs nothing) …
DELTA_MAX = 100_000  # … and never more than this many: applying it stays tens of milliseconds
BATCH = 500  # keys per `key_hash IN (…)` query (SQLite allows 999 parameters on old builds)


def most_touched(base_entries: int) -> int:
    """The most keys a delta over a base of `base_entries` entries may touch."""
    return min(DELTA_MAX, max(DELTA_MIN, base_entries // DELTA_SHARE))


def allowed(touched: int, base_entries: int) -> bool:
    """Whether a delta of `touched` keys over a base of `base_entries` entries is worth storing."""
    return touched <= most_touched(base_entries)


@dataclass(frozen=True)
class Touched:
    """What changed since the base: the keys to remove from it and the current rows to add."""

    keys: list[str]  # clear match keys to remove from the base's keys
    hashes: list[str]  # key hashes to remove from the base's erased entries (keys ever erased)
    rows: list[sa.Row]  # current `suppressions` rows of the touched keys


def touched_since(conn: sa.Connection, base: ListVersion, version: ListVersion) -> Touched | None:
    """The change from `base` to `version`, or None when it is too large for a delta."""
    e = optout_events.c
    limit = most_touched(base.entries)
    keys = conn.execute(
        sa.select(e.key_hash, sa.func.max(e.match_key))  # one match key per key hash; NULL once erased
        .where(e.id > base.last_event_id, e.id <= version.last_event_id)
        .group_by(e.key_hash).limit(limit + 1)
    ).all()
    if len(keys) > limit:
        return None
    hashes = [key_hash for key_hash, _ in keys]
    erased: list[str] = []
    rows: list[sa.Row] = []
    s = suppressions.c
    for at in range(0, len(hashes), BATCH):
        batch = hashes[at : at + BATCH]
        erased += conn.execute(
            sa.select(e.key_hash).distinct().where(e.key_hash.in_(batch), e.match_key.is_(None))
        ).scalars().all()
        rows += conn.execute(
            sa.select(s.key_hash, s.match_key, s.channels, s.effective_at, s.scope, s.first_requested_at)
            .where(s.key_hash.in_(batch))
        ).all()
    clear = {key for _, key in keys if key is not None} | {r.match_key for r in rows if r.match_key is not None}
    return Touched(sorted(clear), sorted(erased), rows)


def locate(hashes: np.ndarray, keys: pa.Array, probes: pa.Array) -> np.ndarray:
    """Positions of `probes` among `keys` sorted by their 64-bit `hashes` (-1: absent); every hash
    hit is confirmed on the string, so a collision never removes another key."""
    found = np.full(len(probes), -1, dtype=np.int64)
    if not len(probes) or not len(hashes):
        return found
    h = hash64(probes)
    at = np.searchsorted(hashes, h, side="left")
    end = np.searchsorted(hashes, h, side="right")
    rows = np.flatnonzero(at < end)
    at, end = at[rows], end[rows]
    while len(rows):  # walk the (nearly always one) keys of equal hash
        same = pc.equal(probes.take(pa.array(rows)), keys.take(pa.array(at))).to_numpy(zero_copy_only=False)
        found[rows[same]] = at[same]
        at = at + 1
        more = ~same & (at < end)
        rows, at, end = rows[more], at[more], end[more]
    return found


SPLICE_MAX = 4096  # up to this many removed + added rows the columns are spliced, past it gathered


def merged_order(hashes: np.ndarray, keep: np.ndarray, added: np.ndarray) -> np.ndarray:
    """The order, by hash, of the base's kept rows (`keep`, a mask over `hashes`) and the added
    rows (their sorted `added` hashes): positions into base rows followed by added rows."""
    kept = np.flatnonzero(keep)
    at = np.searchsorted(hashes[kept], added, side="left")
    return np.insert(kept, at, np.arange(len(hashes), len(hashes) + len(added)))


def pieces(size: int, gone: np.ndarray, at: np.ndarray) -> list[tuple[int, int, int]]:
    """The merged rows as runs (0: base rows, 1: added rows; start, stop): the base's `size` rows
    without the sorted positions `gone`, each added row put before the base row at its `at`."""
    runs: list[tuple[int, int, int]] = []
    pos = i = j = 0
    while i < len(at) or j < len(gone):
        if j >= len(gone) or (i < len(at) and at[i] <= gone[j]):
            if pos < at[i]:
                runs.append((0, pos, int(at[i])))
                pos = int(at[i])
            k = i + int(np.searchsorted(at[i:], at[i], side="right"))
            runs.append((1, i, k))
            i = k
        else:
            if pos < gone[j]:
                runs.append((0, pos, int(gone[j])))
            pos = int(gone[j]) + 1
            j += 1
    if pos < size:
        runs.append((0, pos, size))
    return runs


def _merge(base: Any, added: Any, runs: list[tuple[int, int, int]] | None, order: np.ndarray | None) -> Any:
    """One column of the merged rows: numpy arrays or Arrow arrays alike."""
    if order is not None:
        if isinstance(base, np.ndarray):
            return np.concatenate([base, added])[order]
        return pa.concat_arrays([base, added]).take(pa.array(order))
    assert runs is not None
    parts = [(base, added)[src][start:stop] for src, start, stop in runs]
    if isinstance(base, np.ndarray):
        return np.concatenate(parts) if parts else base[:0]
    return pa.concat_arrays(parts) if parts else base.slice(0, 0)


def apply(
    base: pa.Table, base_meta: dict[str, Any], delta: pa.Table, delta_meta: dict[str, Any],
) -> tuple[pa.Table, list[tuple[str, str]], list[list[Any]]]:
    """The keys (in hash order), entries and erased rows of `base` changed by `delta` (tables of
    one kind of send, as the snapshots store them): the removed keys masked out by their hashes,
    the added ones merged in order; a few arrays' worth of work, whatever the base's size."""
    pairs = [tuple(pair) for pair in base_meta["entries"]]
    code_of = {pair: code for code, pair in enumerate(pairs)}
    remap = np.array([code_of.setdefault(tuple(pair), len(code_of)) for pair in delta_meta["entries"]] or [0], np.int32)
    pairs = list(code_of)
    hashes, keys = _array(base, "hash"), _array(base, "key")
    base_hashes = hashes.to_numpy(zero_copy_only=False)
    gone = locate(base_hashes, keys, pa.array(delta_meta["removed"], pa.string()))
    gone = np.unique(gone[gone >= 0])
    added = _array(delta, "hash").to_numpy(zero_copy_only=False)
    runs, order = None, None
    if len(gone) + len(added) <= SPLICE_MAX:  # a few runs copied whole: no per-row gather
        runs = pieces(len(base_hashes), gone, np.searchsorted(base_hashes, added, side="left"))
    else:
        keep = np.ones(len(base_hashes), dtype=bool)
        keep[gone] = False
        order = merged_order(base_hashes, keep, added)
    columns = {"hash": pa.array(_merge(base_hashes, added, runs, order))}
    for name in ("key", "all", "first"):
        columns[name] = _merge(_array(base, name), _array(delta, name), runs, order)
    codes = remap[_array(delta, "entry").to_numpy(zero_copy_only=False)]
    columns["entry"] = pa.array(_merge(_array(base, "entry").to_numpy(zero_copy_only=False), codes, runs, order))
    dropped = set(delta_meta["removed_hashes"])
    erased = [row for row in base_meta["erased"] if row[0] not in dropped]
    erased += [[key_hash, int(remap[code]), every, first] for key_hash, code, every, first in delta_meta["erased"]]
    return pa.table({name: columns[name] for name in base.column_names}), pairs, erased  # type: ignore[misc]


def _array(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name)
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
