"""Junk traffic on the one-click endpoint: requests whose token does not verify are counted per
day in one small file, never written line by line, so they cannot fill the disk; the counter
survives a restart that reuses the pid; a 500 still carries the security headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from pipeline.http.clicklog import ClickLog
from pipeline.http.headers import CSP
from pipeline.http.segments import SegmentLog
from pipeline.intake.tokens import b64url, mint

pytestmark = pytest.mark.unit
AT = datetime(2026, 10, 9, 12, 0, tzinfo=UTC)
KEYS = (("k1", "junk-test-secret"),)
GOOD = mint(KEYS, "alice@example.com", "oct", AT)
SIG = GOOD.split(".")[1]


def junk(n: int) -> str:
    """A different hostile token each time: forged, malformed, oversized, deep."""
    kinds = [
        lambda: b64url(json.dumps({"v": 1, "kid": "k1", "e": f"victim{n}@example.com"}).encode()) + "." + SIG,
        lambda: f"javascript:alert({n})",
        lambda: "A" * (2100 + n % 50) + "." + SIG,
        lambda: b64url(b"[" * (900 + n % 50)) + "." + SIG,
        lambda: GOOD + "=" * (1 + n % 2),
    ]
    return kinds[n % len(kinds)]()


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = Settings(landing=tmp_path / "landing", token_keys=KEYS, database_url=f"sqlite:///{tmp_path / 'optout.db'}",
                        segment_lines=1)
    return TestClient(create_app(settings, FixedClock(AT)), raise_server_exceptions=False)


def test_junk_clicks_do_not_grow_the_log(client: TestClient, tmp_path: Path) -> None:
    day = tmp_path / "landing" / "unsubscribe_link" / "2026-10-09"
    posts = [client.post(f"/u/{junk(n)}", data={"List-Unsubscribe": "One-Click"}) for n in range(200)]
    pages = [client.get(f"/u/{junk(n)}") for n in range(50)]
    real = client.post(f"/u/{GOOD}", data={"List-Unsubscribe": "One-Click"})
    assert {(a.status_code, a.text) for a in posts} == {(real.status_code, real.text)}  # one answer for all
    assert {a.status_code for a in pages} == {200}
    (log,) = day.glob("clicks-*.jsonl")
    assert [json.loads(line)["token"] for line in log.read_text().splitlines()] == [GOOD]  # only the real click
    (counter,) = day.glob("_rejected-*.json")
    state = json.loads(counter.read_text())
    assert state["rejected"] == {"GET": 50, "POST": 200} and state["day"] == "2026-10-09"
    assert counter.stat().st_size < 300  # the same few bytes after 250 junk requests
    assert sorted(p.name for p in day.iterdir()) == sorted([log.name, counter.name])  # no temporary file left


def click_log(landing: Path, clock: FixedClock) -> ClickLog:
    return ClickLog(landing, clock, SegmentLog(landing, clock, max_seconds=60, max_lines=1))


def test_the_counter_goes_on_after_a_restart_with_the_same_pid(tmp_path: Path) -> None:
    first = click_log(tmp_path, FixedClock(AT))
    assert [first.count_rejected("POST") for _ in range(3)] == [1, 2, 3]
    again = click_log(tmp_path, FixedClock(AT))  # a container restarts as pid 1 again
    assert again.count_rejected("GET") == 4
    later = click_log(tmp_path, FixedClock(datetime(2026, 10, 10, 0, 0, 1, tzinfo=UTC)))
    assert later.count_rejected("POST") == 1  # a new day, a new file


def test_a_torn_or_hostile_counter_file_starts_from_zero(tmp_path: Path) -> None:
    log = click_log(tmp_path, FixedClock(AT))
    path = log.rejected_path_for("2026-10-09")
    path.parent.mkdir(parents=True)
    path.write_text('{"rejected": {"POST": -5, "GET": 1e400, "x": ' + "[" * 100 + "}")
    assert log.count_rejected("POST") == 1


def test_a_server_error_carries_the_security_headers(tmp_path: Path) -> None:
    # The store was never initialised, so the lookup fails inside the route.
    settings = Settings(api_keys=(("k", "k"),), database_url=f"sqlite:///{tmp_path / 'empty.db'}", landing=tmp_path)
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    answer = client.get("/api/v1/suppressions/a@example.com", headers={"X-API-Key": "k"})
    assert answer.status_code == 500 and answer.text == "internal server error\n"
    assert answer.headers["content-security-policy"] == CSP and answer.headers["x-content-type-options"] == "nosniff"
