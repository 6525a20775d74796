"""The suppression list a check runs against, loaded once from one published version.

Clear match keys go into a `KeyIndex`; erased entries (GDPR: `match_key` NULL) only keep the
HMAC of their key (`key_hash`), so recipients not found among the clear keys are hashed and
looked up there — only when the version has erased entries, since hashing every row costs
about a microsecond each.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from pipeline.chain import keyed_hash
from pipeline.errors import StaleListError
from pipeline.keyindex import KeyIndex
from pipeline.publish import ListVersion, latest_version
from pipeline.records import Scope
from pipeline.store.schema import suppressions


@dataclass(frozen=True)
class Entry:
    channels: str
    since: datetime


@lru_cache(maxsize=4096)
def as_utc(raw: datetime | str) -> datetime:
    """A stored timestamp as read raw from SQLite (text, UTC) or PostgreSQL (aware datetime)."""
    value = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class RowEntries:
    """The entry of each suppressed row of a block: a code per row, or an erased entry's hit."""

    codes: np.ndarray
    distinct: list[Entry]
    extra: dict[int, Entry]

    def __getitem__(self, row: int) -> Entry:
        code = int(self.codes[row])
        return self.distinct[code] if code >= 0 else self.extra[row]


@dataclass
class SuppressedSet:
    """Clear match keys (indexed) and keyed hashes of erased ones, with channels and since-when.

    Entries are stored as small codes into the few distinct (channels, effective_at) pairs a list
    has, so two million keys cost two arrays, not two million objects."""

    version: ListVersion
    index: KeyIndex
    entry_codes: np.ndarray  # aligned with the keys given to the index
    distinct: list[Entry]
    erased: dict[str, Entry]
    hash_key: str

    def entry(self, at: int) -> Entry:
        return self.distinct[int(self.entry_codes[at])]

    def lookup(self, key: str) -> Entry | None:
        """The entry suppressing one match key, or None."""
        at = int(self.index.find(pa.array([key], pa.string()))[0])
        if at >= 0:
            return self.entry(at)
        if self.erased:
            return self.erased.get(keyed_hash(self.hash_key, key))
        return None

    def lookup_many(self, keys: pa.Array) -> tuple[np.ndarray, RowEntries]:
        """(suppressed mask, entry by row) for a column of keys (nulls are never suppressed)."""
        found = self.index.find(keys)
        mask = found >= 0
        codes = np.where(mask, self.entry_codes[np.maximum(found, 0)] if len(self.entry_codes) else -1, -1)
        extra = self._erased_hits(keys, mask) if self.erased else {}
        for row in extra:
            mask[row] = True
        return mask, RowEntries(codes, self.distinct, extra)

    def _erased_hits(self, keys: pa.Array, mask: np.ndarray) -> dict[int, Entry]:
        rows = np.flatnonzero(~mask & keys.is_valid().to_numpy(zero_copy_only=False))
        secret = self.hash_key.encode("utf-8")
        hits = {}
        for row, key in zip(rows.tolist(), keys.take(pa.array(rows)).to_pylist(), strict=True):
            entry = self.erased.get(hmac.digest(secret, key.encode("utf-8"), hashlib.sha256).hex())
            if entry is not None:
                hits[row] = entry
        return hits


def _scoped(query: sa.Select[Any], kind: str) -> sa.Select[Any]:
    if kind == "service":  # a service announcement honours only scope `all` (SPEC §4.3)
        return query.where(suppressions.c.scope == str(Scope.ALL))
    return query


def _key_groups(conn: sa.Connection, kind: str) -> list[tuple[str, datetime, str]]:
    """(channels, effective_at, newline-joined match keys) per distinct entry, in one query.

    Aggregating in the database turns two million rows into a few thousand (one per publish and
    channel mix), which Python fetches in a fraction of the time it needs for the rows."""
    s = suppressions.c
    newline: sa.ColumnElement[str] = sa.literal_column("chr(10)" if conn.dialect.name == "postgresql" else "char(10)")
    joined = sa.func.string_agg if conn.dialect.name == "postgresql" else sa.func.group_concat
    query = sa.select(s.channels, s.effective_at, joined(s.match_key, newline)).where(s.match_key.is_not(None))
    return [tuple(r) for r in conn.execute(_scoped(query, kind).group_by(s.channels, s.effective_at))]  # type: ignore[misc]


def _erased(conn: sa.Connection, kind: str) -> dict[str, Entry]:
    s = suppressions.c
    query = sa.select(s.key_hash, s.channels, s.effective_at).where(s.match_key.is_(None))
    return {r.key_hash: Entry(r.channels, r.effective_at) for r in conn.execute(_scoped(query, kind))}


def load_list(conn: sa.Connection, kind: str, hash_key: str) -> SuppressedSet:
    """The newest version and its entries for a send of `kind`, read in the caller's snapshot."""
    version = latest_version(conn)
    if version is None:
        raise StaleListError("no suppression list has been published yet: run 'optout run' first")
    groups = _key_groups(conn, kind)
    distinct = [Entry(channels, as_utc(since)) for channels, since, _ in groups]
    lists = pc.split_pattern(pa.array([keys for _, _, keys in groups], pa.large_string()), "\n")
    codes = np.repeat(np.arange(len(groups), dtype=np.int32), pc.list_value_length(lists).to_numpy(zero_copy_only=False))
    keys = lists.flatten().cast(pa.string())
    return SuppressedSet(version, KeyIndex(keys), codes, distinct, _erased(conn, kind), hash_key)


def suppressed_keys(lst: SuppressedSet) -> pa.Array:
    """Every clear key of the list (for tests and the benchmark)."""
    return pc.take(lst.index.keys, pa.array(np.argsort(lst.index.order)))
