"""SPEC §9 reliability: killed at any point and re-run, the store ends identical to an
uninterrupted run; re-running a date is a no-op."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import pipeline.ledger.ingest
import pipeline.ledger.publish
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import make_engine, migrate
from pipeline.store.schema import intake_records, list_versions, optout_events, review_queue, suppressions
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
NIGHT = date(2026, 10, 10)


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the pipeline catches it."""


def content(engine: sa.Engine) -> dict[str, Any]:
    """The store's content without the wall-clock times that differ between any two runs."""
    e, r, s = optout_events.c, intake_records.c, suppressions.c
    with engine.connect() as conn:
        digest = conn.execute(sa.select(list_versions.c.digest).order_by(list_versions.c.version.desc()).limit(1)).scalar()
        return {
            "records": sorted(conn.execute(sa.select(r.channel, r.source_ref, r.outcome, r.reason, r.requested_at)).all()),
            "events": sorted(conn.execute(sa.select(e.channel, e.key_hash, e.scope, e.action, e.requested_at)).all()),
            "suppressions": sorted(conn.execute(sa.select(s.key_hash, s.scope, s.channels)).all()),
            "reviews": conn.execute(sa.select(sa.func.count()).select_from(review_queue)).scalar_one(),
            "digest": digest,
        }


@pytest.fixture
def reference(tmp_path: Path, clock: FixedClock) -> dict[str, Any]:
    landing = tmp_path / "ref-landing"
    shutil.copytree(ROOT / "seeds" / "landing", landing)
    engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(engine)
    run_nightly(engine, Settings(database_url="", landing=landing), NIGHT, clock)
    return content(engine)


def fail_on_call(target: Any, name: str, n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    original = getattr(target, name)
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise Killed(f"killed in {name} call {n}")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, dying)


@pytest.mark.parametrize(("where", "n"), [("store_records", 1), ("store_records", 4), ("store_records", 9), ("_apply", 1)])
def test_killed_mid_run_then_rerun_ends_identical(
    engine: sa.Engine, settings: Settings, clock: FixedClock, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch, where: str, n: int
) -> None:
    shutil.copytree(ROOT / "seeds" / "landing", settings.landing, dirs_exist_ok=True)
    target = pipeline.ledger.ingest if where == "store_records" else pipeline.ledger.publish
    with monkeypatch.context() as patch:
        fail_on_call(target, where, n, patch)
        with pytest.raises(Killed):
            run_nightly(engine, settings, NIGHT, clock)
    run_nightly(engine, settings, NIGHT, clock)
    assert content(engine) == reference
    before = content(engine)
    assert run_nightly(engine, settings, NIGHT, clock).new_files == 0
    assert content(engine) == before


KILL_POINTS = ["pipeline.ledger.ingest:store_records:1", "pipeline.ledger.ingest:store_records:4", "pipeline.ledger.ingest:store_records:9",
               "pipeline.ledger.publish:_apply:1"]


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_sigkill_mid_write_then_rerun_ends_identical(tmp_path: Path, reference: dict[str, Any], kill_at: str) -> None:
    """A real process killed with SIGKILL inside a write transaction (its rows written, not
    committed: the marker proves the kill landed there); the store keeps only committed work,
    and the re-run completes it to exactly the uninterrupted result."""
    landing = tmp_path / "landing"
    shutil.copytree(ROOT / "seeds" / "landing", landing)
    db = f"sqlite:///{tmp_path / 'killed.db'}"
    marker = tmp_path / "killpoint"
    env = {**os.environ, "OPTOUT_DATABASE_URL": db, "OPTOUT_LANDING": str(landing), "PYTHONPATH": str(ROOT),
           "OPTOUT_KILL_AT": kill_at, "OPTOUT_KILL_MARKER": str(marker)}
    cli = [sys.executable, str(ROOT / "tests" / "killpoint.py"), "--now", "2026-10-11T02:00:00Z"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*cli, "run", "--date", NIGHT.isoformat()], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists() and proc.poll() is None, f"never reached {kill_at}: {proc.stderr.read() if proc.stderr else ''}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    interrupted = content(make_engine(db))
    # The open transaction's rows are gone, not half there: what survived is committed work.
    assert interrupted != reference
    assert set(interrupted["records"]) <= set(reference["records"])
    assert set(interrupted["events"]) <= set(reference["events"])
    plain = [sys.executable, "-c", "from pipeline.cli import main; main()", "--now", "2026-10-11T02:00:00Z"]
    final = subprocess.run([*plain, "run", "--date", NIGHT.isoformat()], env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert content(make_engine(db)) == reference
