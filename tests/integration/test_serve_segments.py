"""The click log of a running `optout serve` as segments, as an operator sees it: a segment
closes by itself after OPTOUT_SEGMENT_SECONDS and when the server stops; a server killed with
SIGKILL between a click's 200 and its segment's close loses nothing: the next server closes the
segment, and the next run ingests the click."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.fake_airflow import fake_airflow
from tests.integration.test_serve_and_cli import KEYS, OPTOUT, free_port, optout

pytestmark = pytest.mark.integration
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def start(landing: Path, port: int, seconds: str, **settings: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPTOUT_LANDING": str(landing), "OPTOUT_TOKEN_KEYS": KEYS, "PYTHONPATH": str(ROOT),
           "OPTOUT_SEGMENT_SECONDS": seconds, **settings}
    proc = subprocess.Popen([*OPTOUT, "serve", "--only", "public", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(lambda: _listening(port) or proc.poll() is not None, "the server to listen")
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    return proc


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_for(done: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds} s for {what}")
        time.sleep(0.1)


def segments(landing: Path) -> tuple[list[Path], list[Path]]:
    """(closed, in flight) click segments."""
    folder = landing / "unsubscribe_link" / datetime.now(UTC).date().isoformat()
    return sorted(folder.glob("clicks-*.jsonl")), sorted(folder.glob(".clicks-*.jsonl.part"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db, landing = f"sqlite:///{tmp_path / 'optout.db'}", tmp_path / "landing"
    assert optout("init", db=db, landing=landing).returncode == 0
    yield db, landing


def mint(db: str, landing: Path, address: str) -> str:
    return optout("token", "mint", address, db=db, landing=landing).stdout.strip()


def test_a_segment_closes_by_itself_and_on_shutdown(store: tuple[str, Path]) -> None:
    db, landing = store
    port = free_port()
    proc = start(landing, port, seconds="1")
    try:
        assert httpx.post(f"http://127.0.0.1:{port}/u/{mint(db, landing, 'timed@example.com')}", data=ONE_CLICK).status_code == 200
        wait_for(lambda: segments(landing)[1] == [] and len(segments(landing)[0]) == 1, "the segment to close", 10)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    port = free_port()
    proc = start(landing, port, seconds="3600")
    assert httpx.post(f"http://127.0.0.1:{port}/u/{mint(db, landing, 'stopped@example.com')}", data=ONE_CLICK).status_code == 200
    assert len(segments(landing)[1]) == 1  # open: an hour to go
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    done, pending = segments(landing)
    assert pending == [] and len(done) == 2


def test_sigkill_between_the_200_and_the_close_loses_nothing(store: tuple[str, Path]) -> None:
    db, landing = store
    port = free_port()
    proc = start(landing, port, seconds="3600")
    answer = httpx.post(f"http://127.0.0.1:{port}/u/{mint(db, landing, 'killed@example.com')}", data=ONE_CLICK)
    assert answer.status_code == 200
    proc.kill()
    proc.wait(timeout=10)
    done, (pending,) = segments(landing)
    assert done == [] and json.loads(pending.read_text())["method"] == "POST"  # fsynced before the 200

    day = datetime.now(UTC).date().isoformat()
    before = json.loads(optout("run", "--date", day, "--json", db=db, landing=landing).stdout)
    assert before["channels"]["unsubscribe_link"]["read"] == 0  # an open segment is never read
    proc = start(landing, free_port(), seconds="3600")  # the next server closes what the killed one left
    try:
        wait_for(lambda: segments(landing)[1] == [], "the left segment to be closed", 10)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    run = optout("run", "--date", day, "--json", db=db, landing=landing)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["channels"]["unsubscribe_link"]["accepted"] == 1
    assert optout("lookup", "killed@example.com", db=db, landing=landing).returncode == 0


def test_a_closed_segment_asks_airflow_for_an_intraday_run(store: tuple[str, Path]) -> None:
    db, landing = store
    port = free_port()
    with fake_airflow(token_without_password=False) as api:
        proc = start(landing, port, seconds="1", OPTOUT_AIRFLOW_API_URL=api.url, OPTOUT_AIRFLOW_CREDENTIALS="admin:secret")
        try:
            assert api.runs == []  # nothing closed yet: nothing asked
            token = mint(db, landing, "soon@example.com")
            assert httpx.post(f"http://127.0.0.1:{port}/u/{token}", data=ONE_CLICK).status_code == 200
            wait_for(lambda: len(api.runs) == 1, "the run to be asked for", 15)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert len(segments(landing)[0]) == 1 and api.runs[0]["path"] == "/api/v2/dags/optout_intraday/dagRuns"
    assert api.refused == []
    assert proc.stderr is not None and "started optout_intraday run manual__1" in proc.stderr.read().decode()


def test_an_api_that_hangs_never_holds_up_a_close(store: tuple[str, Path]) -> None:
    db, landing = store
    port = free_port()
    with fake_airflow(delay=4.0) as api:
        proc = start(landing, port, seconds="1", OPTOUT_AIRFLOW_API_URL=api.url)
        try:
            for n in range(2):  # the second click's segment closes while the first trigger still waits
                assert httpx.post(f"http://127.0.0.1:{port}/u/{mint(db, landing, f'c{n}@example.com')}", data=ONE_CLICK).status_code == 200
                wait_for(lambda n=n: len(segments(landing)[0]) == n + 1 and segments(landing)[1] == [], "the segment to close", 3)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
