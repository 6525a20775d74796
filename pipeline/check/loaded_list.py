"""The suppression list a check runs against, loaded once from one published version.

Clear match keys go into a `KeyIndex` (read from the version's list snapshot, see
`pipeline.check.snapshots`); erased entries (GDPR: `match_key` NULL) only keep the
HMAC of their key (`key_hash`), so recipients not found among the clear keys are hashed and
looked up there — only when the version has erased entries, since hashing every row costs
about a microsecond each.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from pipeline.check import snapshots
from pipeline.check.keyindex import KeyIndex
from pipeline.check.listed import Entry, from_micros
from pipeline.core.clock import as_utc
from pipeline.core.errors import StaleListError
from pipeline.intake.records import Scope
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.publish import ListVersion

__all__ = ["Entry", "EntryByRow", "MatchList", "RowEntries", "SuppressedSet", "from_micros", "load_list"]


class EntryByRow(Protocol):
    """The entry that removed a row (a dict, or `RowEntries`)."""

    def __getitem__(self, row: int) -> Entry: ...


class MatchList(Protocol):
    """What a reader matches keys against: the loaded list (`SuppressedSet`) or the list queried
    in the database (`pipeline.check.database.DatabaseList`)."""

    def lookup(self, key: str) -> Entry | None: ...

    def lookup_many(self, keys: pa.Array, hashes: np.ndarray | None = None) -> tuple[np.ndarray, EntryByRow]: ...


@dataclass
class RowEntries:
    """The entry of each suppressed row of a block: a code per row (with the person's scope and
    first request), or an erased entry's hit."""

    codes: np.ndarray
    distinct: list[Entry]
    extra: dict[int, Entry]
    every: np.ndarray  # scope `all`, per row
    requested: np.ndarray  # first request in microseconds since the epoch (-1 unknown), per row

    def __getitem__(self, row: int) -> Entry:
        code = int(self.codes[row])
        if code < 0:
            return self.extra[row]
        scope = str(Scope.ALL) if self.every[row] else str(Scope.MARKETING)
        return replace(self.distinct[code], scope=scope, first_requested=from_micros(int(self.requested[row])))


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
    unsaved: snapshots.Snapshot | None = None  # built from `suppressions` by this load, not yet stored
    every: np.ndarray | None = None  # scope `all`, aligned with the keys (None: unknown)
    requested: np.ndarray | None = None  # first request (µs since the epoch, -1 unknown), aligned

    def entry(self, at: int) -> Entry:
        entry = self.distinct[int(self.entry_codes[at])]
        if self.every is None or self.requested is None:
            return entry
        scope = str(Scope.ALL) if self.every[at] else str(Scope.MARKETING)
        return replace(entry, scope=scope, first_requested=from_micros(int(self.requested[at])))

    def lookup(self, key: str) -> Entry | None:
        """The entry suppressing one match key, or None."""
        at = int(self.index.find(pa.array([key], pa.string()))[0])
        if at >= 0:
            return self.entry(at)
        if self.erased:
            return self.erased.get(keyed_hash(self.hash_key, key))
        return None

    def lookup_many(self, keys: pa.Array, hashes: np.ndarray | None = None) -> tuple[np.ndarray, RowEntries]:
        """(suppressed mask, entry by row) for a column of keys (nulls are never suppressed);
        `hashes`: their `hash64`, when the caller has it already."""
        found = self.index.find(keys, hashes)
        mask = found >= 0
        rows = np.flatnonzero(mask)  # the entries' fields are read for the rows found only
        at = found[rows]
        codes = np.full(len(mask), -1, np.int64)
        if len(self.entry_codes):
            codes[rows] = self.entry_codes[at]
        every = np.zeros(len(mask), bool)
        if self.every is not None and len(self.every):
            every[rows] = self.every[at]
        requested = np.full(len(mask), -1, np.int64)
        if self.requested is not None and len(self.requested):
            requested[rows] = self.requested[at]
        extra = self._erased_hits(keys, mask) if self.erased else {}
        for row in extra:
            mask[row] = True
        return mask, RowEntries(codes, self.distinct, extra, every, requested)

    def _erased_hits(self, keys: pa.Array, mask: np.ndarray) -> dict[int, Entry]:
        rows = np.flatnonzero(~mask & keys.is_valid().to_numpy(zero_copy_only=False))
        secret = self.hash_key.encode("utf-8")
        hits = {}
        for row, key in zip(rows.tolist(), keys.take(pa.array(rows)).to_pylist(), strict=True):
            entry = self.erased.get(hmac.digest(secret, key.encode("utf-8"), hashlib.sha256).hex())
            if entry is not None:
                hits[row] = entry
        return hits


def load_list(conn: sa.Connection, kind: str, hash_key: str, fetched: snapshots.Rows | None = None) -> SuppressedSet:
    """The newest version and its entries for a send of `kind`, read in the caller's snapshot:
    from the version's stored list snapshot, or built from `suppressions` when it has none
    (then `unsaved` holds the snapshot for the caller to save once its transaction ends).
    `fetched`: snapshot rows already read out of the store (`pipeline.check.prefetch`)."""
    snap = snapshots.current(conn, hash_key, fetched)
    if snap is None:
        raise StaleListError("no suppression list has been published yet: run 'optout run' first")
    decoded = snapshots.decode(snap, kind)
    distinct = [Entry(channels, as_utc(since)) for channels, since in decoded.pairs]
    erased = {
        key_hash: replace(distinct[code], scope=str(Scope.ALL) if every else str(Scope.MARKETING),
                          first_requested=from_micros(first))
        for key_hash, code, every, first in decoded.erased
    }
    return SuppressedSet(snap.version, decoded.index, decoded.codes, distinct, erased, hash_key,
                         None if snap.stored else snap, decoded.every, decoded.requested)

