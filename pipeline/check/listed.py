"""What the published list says about a few match keys, asked of `suppressions` by index: the
small-file check's answer (`pipeline.check.small`), equal to what the loaded snapshot answers
(`pipeline.check.loaded_list`) for the same keys in the same read transaction.

The snapshot is built from `suppressions` and trusted only when it names the newest version
and its digest, so both answers come from the same rows: a clear key by `match_key`, an
erased entry (GDPR: `match_key` NULL) by the keyed hash of the key, asked only for the keys not
found clear; a service announcement honours only scope `all`. The scope is written `all` or
`marketing` and the first request dropped when it is before 1970, as the snapshot stores them."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pipeline.core.clock import as_utc
from pipeline.intake.records import Scope
from pipeline.ledger.chain import keyed_hash
from pipeline.store.schema import suppressions

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BATCH = 500  # keys per IN list: far below every store's limit on bound parameters


@dataclass(frozen=True)
class Entry:
    """Why a key is suppressed: by which channels, since when and (per person, when known) in
    which scope and since when the person asked (their first request)."""

    channels: str
    since: datetime
    scope: str = ""
    first_requested: datetime | None = None


def from_micros(value: int) -> datetime | None:
    return None if value < 0 else EPOCH + timedelta(microseconds=int(value))


def listed_entries(conn: sa.Connection, kind: str, hash_key: str, keys: Iterable[str]) -> dict[str, Entry]:
    """The entry suppressing each of `keys` that the list seen by `conn` suppresses for a send
    of `kind`; keys it does not suppress are absent."""
    s = suppressions.c
    scope = [s.scope == str(Scope.ALL)] if kind == "service" else []
    fields = (s.channels, s.effective_at, s.scope, s.first_requested_at)
    wanted = sorted(set(keys))
    found: dict[str, Entry] = {}
    for part in _batches(wanted):
        for row in conn.execute(sa.select(s.match_key, *fields).where(s.match_key.in_(part), *scope)):
            found[row.match_key] = _entry(row)
    by_hash = {keyed_hash(hash_key, key): key for key in wanted if key not in found}
    for part in _batches(sorted(by_hash)):
        query = sa.select(s.key_hash, *fields).where(s.match_key.is_(None), s.key_hash.in_(part), *scope)
        for row in conn.execute(query):
            found[by_hash[row.key_hash]] = _entry(row)
    return found


def _batches(values: list[str]) -> Iterator[list[str]]:
    for at in range(0, len(values), BATCH):
        yield values[at : at + BATCH]


def _entry(row: Any) -> Entry:
    first = as_utc(row.first_requested_at)
    scope = str(Scope.ALL) if row.scope == str(Scope.ALL) else str(Scope.MARKETING)
    return Entry(row.channels, as_utc(row.effective_at), scope, first if first >= EPOCH else None)
