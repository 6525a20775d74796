"""The one-click endpoint (SPEC §8, RFC 8058) through the ASGI app: same answer for every
token, no cookies or redirects, and every request appended as one JSON line to the landing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.clock import FixedClock
from pipeline.config import Settings
from pipeline.http.app import create_app

pytestmark = pytest.mark.unit


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = Settings(landing=tmp_path / "landing")
    return TestClient(create_app(settings, FixedClock(datetime(2026, 10, 9, 23, 59, 59, tzinfo=UTC))), follow_redirects=False)


def logged(tmp_path: Path) -> list[dict[str, object]]:
    files = sorted((tmp_path / "landing" / "unsubscribe_link").glob("*/*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


@pytest.mark.parametrize(
    ("kwargs", "one_click"),
    [
        ({"data": {"List-Unsubscribe": "One-Click"}}, True),  # form-urlencoded, as Gmail and Yahoo send it
        ({"files": {"List-Unsubscribe": (None, "One-Click")}}, True),  # multipart/form-data
        ({"data": {"confirm": "1"}}, False),  # the confirmation page's button
        ({"content": b"\x00garbage", "headers": {"content-type": "application/octet-stream"}}, False),
        ({"data": {"List-Unsubscribe": "One-Click", "pad": "x" * 70_000}}, False),  # oversized: not read, still a POST
    ],
)
def test_post_is_recorded_with_the_same_answer(client: TestClient, tmp_path: Path, kwargs: dict[str, object], one_click: bool) -> None:
    good = client.post("/u/aGVsbG8.c2ln", **kwargs)  # type: ignore[arg-type]
    other = client.post("/u/anything-at-all", **kwargs)  # type: ignore[arg-type]
    assert good.status_code == other.status_code == 200 and good.text == other.text
    assert "set-cookie" not in good.headers and "location" not in good.headers
    rows = logged(tmp_path)
    assert [r["token"] for r in rows] == ["aGVsbG8.c2ln", "anything-at-all"]
    assert all(r["method"] == "POST" and r["one_click"] is one_click for r in rows)
    assert set(rows[0]) == {"event_id", "occurred_at", "token", "method", "one_click", "ip", "user_agent"}
    assert rows[0]["event_id"] != rows[1]["event_id"]


def test_get_shows_a_page_whose_button_posts(client: TestClient, tmp_path: Path) -> None:
    page = client.get('/u/tok"<en>')
    assert page.status_code == 200 and '<form method="post"' in page.text
    assert 'action="tok&quot;&lt;en&gt;"' in page.text  # escaped, posts back to the same URL
    assert [(r["method"], r["one_click"]) for r in logged(tmp_path)] == [("GET", False)]


def test_the_log_goes_to_the_day_of_the_request(client: TestClient, tmp_path: Path) -> None:
    client.post("/u/t1", data={"List-Unsubscribe": "One-Click"})
    client.post("/u/t2", data={"List-Unsubscribe": "One-Click"})
    days = sorted(p.parent.name for p in (tmp_path / "landing" / "unsubscribe_link").glob("*/*.jsonl"))
    assert days == ["2026-10-09"]  # one file for the day, in the day's folder
    assert all(row["occurred_at"].startswith("2026-10-09T23:59:59") for row in logged(tmp_path))  # type: ignore[union-attr]
