"""A store holding one published list of N suppressions, written directly (benchmark fixture).

Going through ingest and publish for two million opt-outs would take longer than the benchmark
itself; the check reads only `suppressions`, `list_versions` and `list_snapshots`, so those are
written as the nightly publish would write them (keys from `pipeline.check.keys`, which the
differential tests hold equal to the reference)."""
from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import sqlalchemy as sa

from pipeline.check import snapshots
from pipeline.check.keys import match_keys
from pipeline.core.config import Settings
from pipeline.ledger import digests
from pipeline.store.db import make_engine, migrate
from pipeline.store.schema import list_versions, suppressions

CHANNELS = ["unsubscribe_link"] * 6 + ["support_inbox", "phone", "preference_center", "postal_mail", "cancellation",
                                       "phone,unsubscribe_link"]


def seed_store(settings: Settings, addresses: Iterable[str], published_at: datetime, erased: int = 0) -> int:
    """Write the suppressions of `addresses` (deduplicated by key) and publish version 1."""
    keys = sorted({k for k in match_keys(pa.array(list(addresses), pa.string())).to_pylist() if k})
    engine = make_engine(settings.database_url)
    migrate(engine)
    rng = random.Random(7)
    secret = settings.hash_key.encode("utf-8")
    rows, entries = [], []
    for i, key in enumerate(keys):
        scope = "all" if rng.random() < 0.1 else "marketing"
        channel = rng.choice(CHANNELS) if scope == "marketing" else "cancellation"
        key_hash = hmac.digest(secret, key.encode("utf-8"), hashlib.sha256).hex()
        when = published_at - timedelta(days=rng.randrange(1, 900))
        clear = i >= erased  # the first `erased` keys keep only their keyed hash (GDPR erasure)
        rows.append({"key_hash": key_hash, "match_key": key if clear else None, "address": key if clear else None,
                     "scope": scope, "first_requested_at": when, "last_requested_at": when, "channels": channel,
                     "effective_at": when + timedelta(hours=2), "list_version": 1})
        entries.append((key_hash, scope))
    total = digests.sum_of(entries)
    with engine.begin() as conn:
        for i in range(0, len(rows), 50_000):
            conn.execute(suppressions.insert(), rows[i : i + 50_000])
        conn.execute(list_versions.insert().values(
            version=1, published_at=published_at, run_id=None, entries=len(rows), added=len(rows), lifted=0,
            digest=digests.digest_of_sum(total), digest_scheme=digests.SUMMED, digest_sum=digests.as_bytes(total),
            last_event_id=0,
        ))
    snapshots.refresh(engine, settings.hash_key)  # as the nightly publish does after publishing
    engine.dispose()
    return len(rows)


def now() -> datetime:
    return datetime.now(UTC)


__all__ = ["seed_store", "now", "sa"]
