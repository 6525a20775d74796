"""As a new user would: `optout token mint`, a one-click POST to a running `optout serve`
(real HTTP, as a mail client sends it), then `optout run` accepts it; bad tokens get the same
answer but are only counted, never logged; `optout review` lists, shows and resolves from the
command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, land

pytestmark = pytest.mark.integration
OPTOUT = [sys.executable, "-c", "from pipeline.cli import main; main()"]
KEYS = "k2:new-secret,k1:old-secret"


def optout(*args: str, db: str, landing: Path, keys: str = KEYS) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPTOUT_DATABASE_URL": db, "OPTOUT_LANDING": str(landing), "OPTOUT_TOKEN_KEYS": keys, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*OPTOUT, *args], capture_output=True, text=True, env=env, timeout=300)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    landing, port = tmp_path / "landing", free_port()
    env = {**os.environ, "OPTOUT_LANDING": str(landing), "OPTOUT_TOKEN_KEYS": KEYS, "PYTHONPATH": str(ROOT),
           "OPTOUT_SEGMENT_LINES": "1"}  # each click closed at once: the run right after reads it
    proc = subprocess.Popen([*OPTOUT, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()  # no request: nothing logged
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("optout serve did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))
    yield base, landing
    proc.terminate()
    proc.wait(timeout=10)


def test_one_click_to_the_next_run(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, landing = server
    db = f"sqlite:///{tmp_path / 'optout.db'}"
    assert optout("init", db=db, landing=landing).returncode == 0
    token = optout("token", "mint", "Click.Er@example.com", "--campaign", "oct", db=db, landing=landing).stdout.strip()
    old = optout("token", "mint", "old.key@example.com", db=db, landing=landing, keys="k1:old-secret").stdout.strip()
    assert optout("token", "verify", old, db=db, landing=landing).returncode == 0  # rotated out of signing, still listed
    assert optout("token", "verify", token[:-3], db=db, landing=landing).returncode == 1
    unknown = optout("token", "mint", "x@example.com", db=db, landing=landing, keys="k9:retired").stdout.strip()
    one_click = {"List-Unsubscribe": "One-Click"}
    answers = [
        httpx.post(f"{base}/u/{token}", data=one_click),
        httpx.post(f"{base}/u/{old}", files={"List-Unsubscribe": (None, "One-Click")}),
        httpx.post(f"{base}/u/{token[:-3]}", data=one_click),  # truncated signature
        httpx.post(f"{base}/u/{unknown}", data=one_click),  # unknown kid
        httpx.get(f"{base}/u/{token}"),  # a link scanner
    ]
    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.text for a in answers[:4]}) == 1 and not any(a.cookies for a in answers)
    today = datetime.now(UTC).date().isoformat()
    run = optout("run", "--date", today, "--json", db=db, landing=landing)
    assert run.returncode == 0, run.stderr
    clicks = json.loads(run.stdout)["channels"]["unsubscribe_link"]
    assert (clicks["read"], clicks["accepted"], clicks["rejected"], clicks["ignored"]) == (3, 2, 0, 1)
    (counter,) = (landing / "unsubscribe_link" / today).glob("_rejected-*.json")
    assert json.loads(counter.read_text())["rejected"] == {"POST": 2}  # the two bad tokens, counted
    assert optout("lookup", "click.er@example.com", db=db, landing=landing).returncode == 0
    assert optout("lookup", "old.key@example.com", db=db, landing=landing).returncode == 0
    assert optout("lookup", "x@example.com", db=db, landing=landing).returncode == 1


def test_review_from_the_command_line(tmp_path: Path) -> None:
    landing, db = tmp_path / "landing", f"sqlite:///{tmp_path / 'optout.db'}"
    land(
        landing,
        "support_inbox",
        "2026-10-10",
        "q.eml",
        b"From: ann@example.com\nTo: support@progiga.example\nSubject: Question\nMessage-ID: <q1@x>\n"
        b"Date: Sat, 10 Oct 2026 08:00:00 +0000\n\n"
        b"Will unsubscribing also stop my invoices?\n",
    )
    assert optout("init", db=db, landing=landing).returncode == 0
    assert optout("run", "--date", "2026-10-10", db=db, landing=landing).returncode == 0
    listed = optout("review", "list", db=db, landing=landing)
    assert listed.returncode == 0 and "#1" in listed.stdout and "unclear" in listed.stdout
    shown = optout("review", "show", "1", db=db, landing=landing)
    assert "Will unsubscribing also stop my invoices?" in shown.stdout and "<q1@x>" in shown.stdout
    both = optout("review", "resolve", "1", "--accept", "ann@example.com", "--dismiss", "--note", "confused", db=db, landing=landing)
    assert both.returncode == 2 and [line for line in both.stderr.splitlines() if not line.startswith("optout: warning:")] == [
        both.stderr.splitlines()[-1]
    ]
    assert (
        optout(
            "review", "resolve", "1", "--accept", "ann@example.com", "--note", "she confirmed by phone", db=db, landing=landing
        ).returncode
        == 0
    )
    assert optout("lookup", "ann@example.com", db=db, landing=landing).returncode == 0
    again = optout("review", "resolve", "1", "--dismiss", "--note", "too late now", db=db, landing=landing)
    assert again.returncode == 2 and "already accepted" in again.stderr
    assert optout("review", "show", "42", db=db, landing=landing).returncode == 2
    assert optout("review", "list", db=db, landing=landing).stdout.startswith("no")
