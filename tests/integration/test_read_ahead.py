"""`optout run` reads a night's files in forked children while it stores the ones before
(`pipeline.ledger.ingest.reading_ahead`): the store it leaves must be the one reading each file
in turn leaves, row for row, on the seeds' nights and on a generated night of every channel."""
from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from benchmarks.bench_run import generate
from pipeline.core.bulk import ProducerFailed
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile
from pipeline.ledger import ingest
from pipeline.orchestration.demo import deliver, nights
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import make_engine, migrate
from pipeline.store.schema import ingested_files, intake_records, list_versions, optout_events, review_queue, suppressions
from tests.integration.test_seed_digests import CHAIN_HEAD, SEEDS

pytestmark = pytest.mark.integration
TABLES = (ingested_files, intake_records, optout_events, review_queue, suppressions, list_versions)


@pytest.fixture(autouse=True)
def forkable(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test process may hold other threads (servers other tests started and left idle), where
    `optout run` rightly declines to fork; these tests fork anyway, the children touching no lock
    another thread could hold. The rule itself is tested on its own, beside a thread of its own."""
    if "other_threads" not in request.node.name:
        monkeypatch.setattr(ingest, "can_fork", lambda: True)


@pytest.fixture
def another_thread() -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def store_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = {t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))] for t in TABLES}
    engine.dispose()
    return rows


def forked_reads(monkeypatch: pytest.MonkeyPatch, ahead: bool) -> list[int]:
    """Read ahead at any size (`ahead`) or never; returns a list that counts the nights read ahead."""
    monkeypatch.setattr(ingest, "READ_AHEAD_MIN_BYTES", 0 if ahead else 1 << 62)
    used: list[int] = []
    real = ingest.in_turn

    def counted(*args: Any, **kwargs: Any) -> Any:
        used.append(len(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "in_turn", counted)
    return used


def seed_nights(db_url: str, landing: Path) -> str:
    settings = Settings(database_url=db_url, landing=landing)
    engine = make_engine(db_url)
    late = json.loads((SEEDS / "late.json").read_text())
    for night in nights(SEEDS):
        deliver(SEEDS, landing, night, late)
        clock = FixedClock(datetime.combine(night, time(2), tzinfo=UTC))
        assert run_nightly(engine, settings, night, clock).status == "success", night
    with engine.connect() as conn:
        count, last = conn.execute(sa.select(sa.func.count(), sa.func.max(optout_events.c.id))).one()
        head = conn.execute(sa.select(optout_events.c.row_hash).where(optout_events.c.id == last)).scalar_one()
    engine.dispose()
    return f"{count}:{head}"


def test_seed_nights_read_ahead_keep_the_pinned_chain(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used = forked_reads(monkeypatch, ahead=True)
    assert seed_nights(db_url, tmp_path / "landing") == CHAIN_HEAD
    assert used and all(files >= 2 for files in used)


def night_in(
    tmp_path: Path, name: str, landing: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool, *, forcing: bool = False,
) -> dict[str, Any]:
    """A night on a fresh store, read ahead (`ahead`) or not; `forcing`: read ahead at any size,
    whether or not it is (the process may decline to fork)."""
    used = forked_reads(monkeypatch, ahead or forcing)
    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url)
    migrate(engine)
    settings = Settings(database_url=url, landing=landing)
    summary = run_nightly(engine, settings, date(2026, 10, 10), FixedClock(datetime(2026, 10, 11, 2, tzinfo=UTC)))
    engine.dispose()
    assert bool(used) is ahead
    return {"summary": {k: v for k, v in summary.as_dict().items() if k != "run_id"}, "rows": store_rows(url)}


def test_a_night_of_every_channel_stores_the_same_read_ahead_as_in_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    landing = tmp_path / "landing"
    generate(landing, 6000, random.Random(7))
    in_process = night_in(tmp_path, "plain.db", landing, monkeypatch, ahead=False)
    read_ahead = night_in(tmp_path, "ahead.db", landing, monkeypatch, ahead=True)
    assert len(in_process["rows"]["optout_events"]) > 3000
    assert read_ahead == in_process


class Reader:
    """A channel's reader that says which file it read, and in which process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.read_here: list[str] = []

    def __call__(self, path: Path, ctx: ChannelContext) -> Any:
        self.read_here.append(path.name)
        return iter(())


def test_files_a_failed_channel_left_are_passed_over_and_a_failed_child_means_reading_here() -> None:
    from pipeline.intake.channel import Channel

    a, b = Reader("a"), Reader("b")
    cha, chb = Channel("a", ("*",), a), Channel("b", ("*",), b)
    files = [LandedFile(name, Path(f"/x/{name}"), date(2026, 10, 10), name * 8, 1) for name in ("a1", "a2", "b1", "b2")]
    results = iter([([], "read a1"), ([], "read a2"), ([], "read b1")])

    def then_fail() -> Any:
        yield from results
        raise ProducerFailed("MemoryError")

    reads = ingest.ReadAhead({"a": files[:2], "b": files[2:]}, [(cha, files[0]), (cha, files[1]), (chb, files[2]), (chb, files[3])],
                             then_fail())
    ctx: Any = None
    assert reads.read(cha, files[0], ctx) == ([], "read a1")
    # channel a failed storing a1: a2 is never asked for, and b1 comes next
    assert reads.read(chb, files[2], ctx) == ([], "read b1")
    assert reads.read(chb, files[3], ctx) == ([], None) and b.read_here == ["b2"]
    assert a.read_here == []


def test_the_first_file_is_read_by_the_writer_and_takes_nothing_from_the_children() -> None:
    from pipeline.intake.channel import Channel

    a = Reader("a")
    cha = Channel("a", ("*",), a)
    files = [LandedFile("a", Path(f"/x/{name}"), date(2026, 10, 10), name * 8, 1) for name in ("a0", "a1")]
    reads = ingest.ReadAhead({"a": files}, [(cha, files[1])], iter([([], "read a1")]))
    ctx: Any = None
    assert reads.read(cha, files[0], ctx) == ([], None) and a.read_here == ["a0"]
    assert reads.read(cha, files[1], ctx) == ([], "read a1") and a.read_here == ["a0"]


def test_a_night_in_a_process_with_other_threads_is_read_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, another_thread: None,
) -> None:
    """A fork copies only the forking thread: a lock another thread held would stay held in the
    children for ever. Such a process reads its night itself, and stores the same."""
    landing = tmp_path / "landing"
    generate(landing, 600, random.Random(7))
    night_in(tmp_path, "threads.db", landing, monkeypatch, ahead=False, forcing=True)
