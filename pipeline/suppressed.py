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

    def lookup_many(self, keys: pa.Array) -> tuple[np.ndarray, dict[int, Entry]]:
        """(suppressed mask, entry by row) for a column of keys (nulls are never suppressed)."""
        found = self.index.find(keys)
        mask = found >= 0
        rows = np.flatnonzero(mask)
        codes = self.entry_codes[found[rows]].tolist()
        by_row = {r: self.distinct[c] for r, c in zip(rows.tolist(), codes, strict=True)}
        if self.erased:
            for row, entry in self._erased_hits(keys, mask).items():
                mask[row] = True
                by_row[row] = entry
        return mask, by_row

    def _erased_hits(self, keys: pa.Array, mask: np.ndarray) -> dict[int, Entry]:
        rows = np.flatnonzero(~mask & keys.is_valid().to_numpy(zero_copy_only=False))
        secret = self.hash_key.encode("utf-8")
        hits = {}
        for row, key in zip(rows.tolist(), keys.take(pa.array(rows)).to_pylist(), strict=True):
            entry = self.erased.get(hmac.digest(secret, key.encode("utf-8"), hashlib.sha256).hex())
            if entry is not None:
                hits[row] = entry
        return hits


def _fetch(conn: sa.Connection, kind: str) -> list[tuple[Any, ...]]:
    """Every entry of the list as raw driver tuples, in the caller's transaction (snapshot)."""
    sql = "SELECT match_key, key_hash, channels, effective_at FROM suppressions"
    if kind == "service":  # a service announcement honours only scope `all` (SPEC §4.3)
        sql += f" WHERE scope = '{Scope.ALL}'"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def load_list(conn: sa.Connection, kind: str, hash_key: str) -> SuppressedSet:
    """The newest version and its entries for a send of `kind`, read in the caller's snapshot.

    Rows are fetched raw (no per-row type processing: two million rows must load in seconds);
    the few distinct (channels, effective_at) pairs become `Entry` objects once each."""
    version = latest_version(conn)
    if version is None:
        raise StaleListError("no suppression list has been published yet: run 'optout run' first")
    rows = _fetch(conn, kind)
    match_key, key_hash, channels, effective_at = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [])
    del rows
    since_text = [str(v) for v in effective_at]
    pairs = pc.binary_join_element_wise(
        pa.array(channels, pa.string()), pa.array(since_text, pa.string()), "\t"
    ).dictionary_encode()
    raw_since = dict(zip(since_text, effective_at, strict=True))
    distinct = []
    for pair in pairs.dictionary.to_pylist():
        chans, _, since = pair.rpartition("\t")
        distinct.append(Entry(chans, as_utc(raw_since[since])))
    codes = pairs.indices.to_numpy(zero_copy_only=False)
    keys = pa.array(match_key, pa.string())
    clear = keys.is_valid().to_numpy(zero_copy_only=False)
    erased = {key_hash[i]: distinct[codes[i]] for i in np.flatnonzero(~clear).tolist()}
    index = KeyIndex(keys.filter(pa.array(clear)))
    return SuppressedSet(version, index, codes[clear], distinct, erased, hash_key)


def suppressed_keys(lst: SuppressedSet) -> pa.Array:
    """Every clear key of the list (for tests and the benchmark)."""
    return pc.take(lst.index.keys, pa.array(np.argsort(lst.index.order)))
