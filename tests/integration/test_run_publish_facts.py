"""`optout run` publishes the facts of the events its channels stored without reading them back
(`pipeline.ledger.events.Appended`): the list it publishes must be the one read back from the
table gives, and events another writer appended in between must send it back to the table."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_run import generate
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.ledger import publish
from pipeline.ledger.events import Appended, EventDraft, append_events
from pipeline.orchestration import nightly
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import make_engine, migrate, write_tx
from tests.integration.test_read_ahead import seed_nights, store_rows
from tests.integration.test_seed_digests import CHAIN_HEAD

pytestmark = pytest.mark.integration


def spied(monkeypatch: pytest.MonkeyPatch, handed: bool) -> list[bool]:
    """Publish with the run's facts (`handed`) or always from the table; lists, per publish,
    whether the facts handed over were used."""
    used: list[bool] = []
    real = publish.publish_in

    def publish_in(*args: Any, **kwargs: Any) -> Any:
        if not handed:
            kwargs.pop("new_facts", None)
            kwargs.pop("new_from", None)
        used.append(kwargs.get("new_facts") is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(publish, "publish_in", publish_in)
    return used


def test_seed_nights_publish_the_pinned_chain_from_the_facts_handed_over(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = spied(monkeypatch, handed=True)
    assert seed_nights(db_url, tmp_path / "landing") == CHAIN_HEAD
    assert any(used)


def generated_night(tmp_path: Path, name: str, landing: Path, monkeypatch: pytest.MonkeyPatch, handed: bool) -> Any:
    used = spied(monkeypatch, handed)
    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url)
    migrate(engine)
    summary = run_nightly(engine, Settings(database_url=url, landing=landing), date(2026, 10, 10),
                          FixedClock(datetime(2026, 10, 11, 2, tzinfo=UTC)))
    engine.dispose()
    assert used == [handed]
    return {k: v for k, v in summary.as_dict().items() if k != "run_id"}, store_rows(url)


def test_a_night_published_from_its_facts_equals_one_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    landing = tmp_path / "landing"
    generate(landing, 4000, random.Random(11))
    assert generated_night(tmp_path, "handed.db", landing, monkeypatch, True) == \
        generated_night(tmp_path, "read.db", landing, monkeypatch, False)


def test_events_another_writer_appended_after_the_run_send_publish_back_to_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    generate(landing, 2000, random.Random(3))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    migrate(engine)
    real = nightly.publish_run
    seen: list[Appended | None] = []

    def another_writer_first(engine: Any, settings: Any, run_id: Any, clock: Any, accounts: Any = None,
                             appended: Appended | None = None) -> Any:
        seen.append(appended)
        with write_tx(engine) as conn:
            draft = EventDraft(None, "manual", "late@example.com", "late@example.com", "marketing", "suppress",
                               datetime(2026, 10, 10, tzinfo=UTC), "by hand")
            append_events(conn, [draft], hash_key=settings.hash_key, recorded_at=clock.now(), run_id=None)
        return real(engine, settings, run_id, clock, accounts, appended)

    monkeypatch.setattr(nightly, "publish_run", another_writer_first)
    used = spied(monkeypatch, handed=True)
    summary = run_nightly(engine, Settings(database_url=url, landing=landing), date(2026, 10, 10),
                          FixedClock(datetime(2026, 10, 11, 2, tzinfo=UTC)))
    engine.dispose()
    assert seen[0] is not None and seen[0].facts and used == [True]  # handed over, and found one short
    rows = store_rows(url)
    listed = {r[1] for r in rows["suppressions"]}
    assert "late@example.com" in listed and summary.entries == len(rows["suppressions"])


def test_appended_is_contiguous_only_while_the_ids_run_on() -> None:
    appended = Appended()
    appended.extend(5, [])
    assert appended.first_id is None
    appended.extend(5, [object(), object()])  # type: ignore[list-item]
    appended.extend(7, [object()])  # type: ignore[list-item]
    assert appended.contiguous and appended.first_id == 5 and len(appended.facts) == 3
    appended.extend(9, [object()])  # type: ignore[list-item]
    assert not appended.contiguous
