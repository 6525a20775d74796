"""A list version's digest follows the change: publish adds and subtracts only the entries that
changed, a store whose versions carry the first (sorted) scheme moves to the summed one and
publishes the same digests as a store that never had it, and `optout verify` recomputes both
schemes and names an edited sum, scheme or digest."""
from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.audit.verify import verify
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.ledger import digests
from pipeline.orchestration.demo import deliver, nights
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import make_engine, read_tx
from pipeline.store.schema import list_versions, suppressions
from tests.integration.test_seed_digests import PUBLISHED, SEEDS


def _nights(engine: sa.Engine, settings: Settings, count: int | None = None, after_first=None) -> list[str]:
    late = json.loads((SEEDS / "late.json").read_text())
    done = []
    for night in nights(SEEDS)[:count]:
        deliver(SEEDS, settings.landing, night, late)
        clock = FixedClock(datetime.combine(night, time(2), tzinfo=UTC))
        assert run_nightly(engine, settings, night, clock).status == "success", night
        done.append(night.isoformat())
        if after_first is not None and len(done) == 1:
            after_first()
    return done


def _versions(engine: sa.Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.select(list_versions).order_by(list_versions.c.version)).all()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> tuple[sa.Engine, Settings]:
    settings = Settings(database_url=db_url, landing=tmp_path / "landing")
    engine = make_engine(db_url)
    yield engine, settings
    engine.dispose()


def test_a_store_of_sorted_digests_moves_to_the_summed_scheme(store: tuple[sa.Engine, Settings]) -> None:
    engine, settings = store

    def as_if_published_before() -> None:  # version 1 as the first scheme wrote it
        with engine.begin() as conn:
            entries = [tuple(r) for r in conn.execute(sa.select(suppressions.c.key_hash, suppressions.c.scope))]
            conn.execute(list_versions.update().values(
                digest=digests.digest(entries, digests.SORTED), digest_scheme=digests.SORTED, digest_sum=None))

    _nights(engine, settings, after_first=as_if_published_before)
    versions = _versions(engine)
    assert [v.digest_scheme for v in versions] == [digests.SORTED, digests.SUMMED, digests.SUMMED]
    assert versions[-1].digest == PUBLISHED["2026-10-10"]  # the same as a store that never had scheme 1
    with read_tx(engine) as conn:
        result = verify(conn, settings.hash_key)
    assert result.ok, result.problems


def test_publish_sums_only_what_changed(store: tuple[sa.Engine, Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    engine, settings = store
    summed: list[int] = []
    real = digests.sum_of

    def counting(entries):
        entries = list(entries)
        summed.append(len(entries))
        return real(entries)

    _nights(engine, settings, count=2)
    with engine.connect() as conn:
        listed = conn.execute(sa.select(sa.func.count()).select_from(suppressions)).scalar_one()
    monkeypatch.setattr(digests, "sum_of", counting)
    late = json.loads((SEEDS / "late.json").read_text())
    last = nights(SEEDS)[2]
    deliver(SEEDS, settings.landing, last, late)
    run_nightly(engine, settings, last, FixedClock(datetime.combine(last, time(2), tzinfo=UTC)))
    newest = _versions(engine)[-1]
    # The terms summed are those of the entries that left, came or changed scope: the third
    # night's few, not the whole list (`verify` at the end of the run sums the whole list).
    assert newest.added + newest.lifted <= sum(summed[:2]) < listed
    assert newest.digest == PUBLISHED["2026-10-10"]


@pytest.mark.parametrize(("edit", "problem"), [
    ("UPDATE list_versions SET digest_sum = :other WHERE version = 2", "version 2: digest_sum does not match"),
    ("UPDATE list_versions SET digest_scheme = 7 WHERE version = 3", "version 3: unknown digest scheme 7"),
    ("UPDATE list_versions SET digest_scheme = 1 WHERE version = 3", "version 3: digest or entry count does not match"),
    ("UPDATE list_versions SET digest = :digest WHERE version = 1", "version 1: digest or entry count does not match"),
])
def test_verify_names_an_edited_digest(store: tuple[sa.Engine, Settings], edit: str, problem: str) -> None:
    engine, settings = store
    _nights(engine, settings)
    other = digests.as_bytes(digests.sum_of([("0" * 64, "marketing")]))
    with engine.begin() as conn:
        conn.execute(sa.text(edit), {"other": other, "digest": "0" * 64})
    with read_tx(engine) as conn:
        result = verify(conn, settings.hash_key)
    assert any(problem in p for p in result.problems), result.problems
