"""A large file is stored chunk by chunk while a forked child still reads it
(`pipeline.ledger.ingest._ingest_streamed`, SQLite only): the store must be the one reading the
whole file first leaves, row for row, whatever the file holds and however its reading ends."""
from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.channels import REGISTRY
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.core.errors import QuarantineError
from pipeline.intake.accounts import load_accounts
from pipeline.intake.channel import Channel
from pipeline.ledger import ingest
from pipeline.ledger.events import Appended
from pipeline.ledger.ingest import ingest_channel
from pipeline.store.db import make_engine, migrate
from tests.conftest import land
from tests.integration.test_read_ahead import another_thread, forkable, store_rows  # noqa: F401 (fixtures)

pytestmark = pytest.mark.integration
DAY = date(2026, 10, 10)
HEADER = "letter_id,received_at,email,account_id,name,reference\n"



def letters(first: int, count: int) -> str:
    """Letters of every outcome: valid, repeated in the file, invalid, on an account, on no account."""
    rows = []
    for i in range(first, first + count):
        kind = i % 6
        email = {0: f"w{i}@example.org", 1: f"w{i - 1}@example.org", 2: "not an address", 3: "", 4: f"W{i}@Bücher.example",
                 5: ""}[kind]
        account = {3: "AC000001", 5: "AC999999"}.get(kind, "")
        ref = f"L{i - 6}" if i % 50 == 7 else f"L{i}"  # some ids repeated a chunk or more later
        rows.append(f"{ref},2026-10-0{1 + i % 9},{email},{account},Name,ref\n")
    return HEADER + "".join(rows)


def night(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, streamed: bool, channel: Channel | None = None) -> Any:
    monkeypatch.setattr(ingest, "STREAM_MIN_BYTES", 0 if streamed else 1 << 62)
    monkeypatch.setattr(ingest, "STREAM_CHUNK", 7)
    taken: list[str] = []
    real = ingest._ingest_streamed

    def spied(*args: Any, **kwargs: Any) -> Any:
        taken.append(args[3].path.name)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_ingest_streamed", spied)
    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url)
    migrate(engine)
    landing = tmp_path / "landing"
    settings = Settings(database_url=url, landing=landing)
    accounts = load_accounts(landing, DAY, "US")
    clock = FixedClock(datetime(2026, 10, 11, 2, tzinfo=UTC))
    appended = Appended()
    result = ingest_channel(engine, settings, channel or REGISTRY["postal_mail"], DAY, None, clock, accounts, appended=appended)
    engine.dispose()
    assert bool(taken) is streamed
    files = [(f.path, f.counts.as_dict(), f.counts.reasons, f.quarantine_error) for f in result.files]
    return files, (appended.first_id, appended.facts, appended.contiguous), store_rows(url)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    land(root, "accounts", "2026-10-10", "accounts.csv",
         "account_id,status,email,phone,role,updated_at\nAC000001,active,owner1@example.com,,owner,\n")
    land(root, "postal_mail", "2026-10-09", "a.csv", letters(0, 40))
    land(root, "postal_mail", "2026-10-10", "b.csv", letters(30, 300))
    return root


def test_a_file_stored_as_it_is_read_equals_one_read_whole_first(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = night(tmp_path, "whole.db", monkeypatch, streamed=False)
    streamed = night(tmp_path, "streamed.db", monkeypatch, streamed=True)
    assert streamed == whole
    counts = whole[0][1][1]
    assert counts["duplicate"] > 10 and counts["rejected"] and counts["needs_review"] and counts["accepted"]


class Failing:
    """The postal reader, which fails after `after` records: as a reader (QuarantineError), or
    as the child reading (its process ends), and reads on in the writer's process."""

    def __init__(self, after: int, how: str) -> None:
        self.after, self.how, self.parent = after, how, os.getpid()

    def __call__(self, path: Path, ctx: Any) -> Any:
        for i, record in enumerate(REGISTRY["postal_mail"].read(path, ctx)):
            if i == self.after and path.name == "b.csv" and (self.how == "reader" or os.getpid() != self.parent):
                if self.how == "reader":
                    raise QuarantineError(f"{path}: line {i + 2}: the export is cut off")
                os._exit(3)
            yield record


@pytest.mark.parametrize("how", ["reader", "child"])
def test_a_file_whose_reading_fails_half_stored_leaves_what_reading_it_whole_leaves(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    land(landing, "postal_mail", "2026-10-10", "c.csv", letters(400, 20))  # stored after the failure: same ids
    failing = Channel("postal_mail", ("*.csv",), Failing(100, how))
    whole = night(tmp_path, "whole.db", monkeypatch, streamed=False, channel=failing)
    streamed = night(tmp_path, "streamed.db", monkeypatch, streamed=True, channel=failing)
    assert streamed == whole
    quarantined = [error for *_, error in whole[0] if error]
    assert len(quarantined) == (1 if how == "reader" else 0) and len(whole[2]["ingested_files"]) == 3


def test_a_file_too_large_to_hold_the_lock_for_is_read_whole_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streaming holds SQLite's write lock while the child reads: a file over STREAM_MAX_BYTES is
    read whole first (a check's write beside the run would wait too long), one within it streams."""
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    landed = type("Landed", (), {"size": 0})()
    monkeypatch.setattr(ingest, "STREAM_MIN_BYTES", 10)
    monkeypatch.setattr(ingest, "STREAM_MAX_BYTES", 100)
    for size, streams in ((9, False), (10, True), (100, True), (101, False)):
        landed.size = size
        assert ingest._streams(engine, landed, None, None) is streams, size
    engine.dispose()


@pytest.mark.usefixtures("another_thread")
def test_a_file_is_read_whole_first_in_a_process_with_other_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork copies only the forking thread: such a process stores no file while a child reads it."""
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setattr(ingest, "STREAM_MIN_BYTES", 10)
    assert ingest._streams(engine, type("Landed", (), {"size": 50})(), None, None) is False
    monkeypatch.setattr(ingest, "can_fork", lambda: True)
    assert ingest._streams(engine, type("Landed", (), {"size": 50})(), None, None) is True
    engine.dispose()
