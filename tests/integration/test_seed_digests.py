"""The seeds' nights publish the same list versions, night by night, on SQLite and PostgreSQL:
the digests are pinned, so a faster ingest that changed a stored event, a reconciliation or
the published list would fail here. The list's content is pinned in the first digest scheme
(sorted entries), as it was published before the digest became a running sum; the digests the
versions carry now (the summed scheme) are pinned beside it."""
from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.ledger import digests, publish
from pipeline.orchestration.demo import deliver, nights
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import make_engine
from pipeline.store.schema import list_versions, optout_events, suppressions

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# Sorted-entries digest of the list after each seed night, as published before the ingest was
# made faster (December 2026).
EXPECTED = {
    "2026-10-08": "beb262a04d0a947df8bd8c45452f77a9a9ce626f71d54aed53ac61a6e9a0fc2c",
    "2026-10-09": "618227551ad388673634ed16370bc15bc3684735376f1e358181ebaee7fc3ede",
    "2026-10-10": "ce9f7ac020ba307f6dd2ec2e25cc77c753a7292d971bb86f4963699dc7dee433",
}
# The digest the newest version carries after each night (summed scheme, since December 2026).
PUBLISHED = {
    "2026-10-08": "ed8e413469df6e750cb30fe09e21eed15c4148974c733d98d2c1bbb968ec6d25",
    "2026-10-09": "0bc6877bb8106eb774469ae069170f36cfda9d3fae18c7a0e99f91e0dd558985",
    "2026-10-10": "7be2587637c223d7792fa6bf9c4892c3f344b9b02d55237b74d586ec1d6e7cd5",
}
# The event chain's head (row hash of the last event) after the last night, and how many events.
CHAIN_HEAD = "250:b5d8eb25f64b956b6a60255bb348e8ff406ac732067c81287684d9c04ea82778"


@pytest.mark.parametrize("lookup", ["by key", "one scan"])
def test_seed_nights_publish_the_pinned_list_digests(db_url: str, tmp_path: Path, lookup: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if lookup == "one scan":  # publish's path for a huge batch of keys (an import), taken every night here
        monkeypatch.setattr(publish, "SCAN_MIN_KEYS", 0)
    landing = tmp_path / "landing"
    settings = Settings(database_url=db_url, landing=landing)
    engine = make_engine(db_url)
    late = json.loads((SEEDS / "late.json").read_text())
    content, published = {}, {}
    for night in nights(SEEDS):
        deliver(SEEDS, landing, night, late)
        clock = FixedClock(datetime.combine(night, time(2), tzinfo=UTC))
        assert run_nightly(engine, settings, night, clock).status == "success", night
        with engine.connect() as conn:
            query = sa.select(list_versions.c.digest).order_by(list_versions.c.version.desc())
            published[night.isoformat()] = conn.execute(query).scalars().first()
            entries = [tuple(r) for r in conn.execute(sa.select(suppressions.c.key_hash, suppressions.c.scope))]
            content[night.isoformat()] = digests.digest(entries, digests.SORTED)
            # The running sum, carried from version to version, is the sum of the whole list.
            assert published[night.isoformat()] == digests.digest(entries, digests.SUMMED)
    with engine.connect() as conn:
        head = conn.execute(sa.select(sa.func.count(), sa.func.max(optout_events.c.id))).one()
        last = conn.execute(sa.select(optout_events.c.row_hash).where(optout_events.c.id == head[1])).scalar_one()
    engine.dispose()
    assert content == EXPECTED
    assert published == PUBLISHED
    assert f"{head[0]}:{last}" == CHAIN_HEAD
