"""The one-click endpoint (SPEC §8, RFC 8058) through the ASGI app: same answer for every
token, no cookies or redirects; a request whose token verifies appended as one JSON line to
the landing, one whose token does not only counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from pipeline.intake.tokens import mint

pytestmark = pytest.mark.unit
AT = datetime(2026, 10, 9, 23, 59, 59, tzinfo=UTC)
KEYS = (("k1", "secret-one"),)
GOOD = mint(KEYS, "alice@example.com", "oct", AT)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = Settings(landing=tmp_path / "landing", token_keys=KEYS, database_url=f"sqlite:///{tmp_path / 'optout.db'}",
                        segment_lines=1)  # each click its own closed segment: readable at once
    return TestClient(create_app(settings, FixedClock(AT)), follow_redirects=False)


def logged(tmp_path: Path) -> list[dict[str, object]]:
    files = sorted((tmp_path / "landing" / "unsubscribe_link").glob("*/*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def rejected(tmp_path: Path) -> dict[str, int]:
    (counter,) = (tmp_path / "landing" / "unsubscribe_link").glob("*/_rejected-*.json")
    return json.loads(counter.read_text())["rejected"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("kwargs", "one_click"),
    [
        ({"data": {"List-Unsubscribe": "One-Click"}}, True),  # form-urlencoded, as Gmail and Yahoo send it
        ({"files": {"List-Unsubscribe": (None, "One-Click")}}, True),  # multipart/form-data
        ({"data": {"confirm": "1", "List-Unsubscribe": "One-Click"}}, True),  # one-click wins over the button
        ({"content": b"\x00garbage", "headers": {"content-type": "application/octet-stream"}}, False),
        ({"data": {"List-Unsubscribe": "One-Click", "pad": "x" * 70_000}}, False),  # oversized: not read, still a POST
    ],
)
def test_post_is_recorded_with_the_same_answer(client: TestClient, tmp_path: Path, kwargs: dict[str, object], one_click: bool) -> None:
    good = client.post(f"/u/{GOOD}", **kwargs)  # type: ignore[arg-type]
    again = client.post(f"/u/{GOOD}", **kwargs)  # type: ignore[arg-type]
    assert again.text == good.text  # a repeat is logged again (the nightly run counts it as a duplicate)
    forged = client.post(f"/u/{GOOD[:-2]}AA", **kwargs)  # type: ignore[arg-type]
    other = client.post("/u/anything-at-all", **kwargs)  # type: ignore[arg-type]
    assert good.status_code == forged.status_code == other.status_code == 200
    assert good.text == forged.text == other.text
    assert "set-cookie" not in good.headers and "location" not in good.headers
    rows = logged(tmp_path)
    assert [r["token"] for r in rows] == [GOOD, GOOD]
    assert all(r["method"] == "POST" and r["one_click"] is one_click for r in rows)
    assert set(rows[0]) == {"event_id", "occurred_at", "token", "method", "one_click", "ip", "user_agent"}
    assert rows[0]["event_id"] != rows[1]["event_id"]
    assert rejected(tmp_path) == {"POST": 2}


def test_get_shows_a_page_whose_button_posts(client: TestClient, tmp_path: Path) -> None:
    page = client.get(f"/u/{GOOD}")
    assert page.status_code == 200 and '<form method="post"' in page.text
    assert f'action="/u/{GOOD}"' in page.text  # posts back to the same URL
    assert [(r["method"], r["one_click"]) for r in logged(tmp_path)] == [("GET", False)]
    assert "a***@example.com" in page.text  # a token that verifies: its address, masked
    forged = client.get(f"/u/{GOOD[:-2]}AA")
    # Verifies or not: the same page but for the address line.
    address_line = '<p>This link is for <span class="address" dir="ltr">a***@example.com</span>.</p>\n'
    assert forged.text == page.text.replace(GOOD, f"{GOOD[:-2]}AA").replace(address_line, "")
    assert len(logged(tmp_path)) == 1 and rejected(tmp_path) == {"GET": 1}


@pytest.mark.parametrize("path", ['/u/tok"<en>', "/u/javascript:alert(1)", "/u/%22%3E%3Cscript%3Ealert(1)%3C", "/u/a.b=", "/u/%00"])
def test_a_path_that_is_no_token_gets_the_fixed_page_without_a_form(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and "<form" not in page.text and "action=" not in page.text
    assert page.text == client.get("/u/x").text  # the same for every such path


def test_the_button_gets_an_html_confirmation_and_is_recorded(client: TestClient, tmp_path: Path) -> None:
    done = client.post(f"/u/{GOOD}", data={"confirm": "1"})
    assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
    assert "Your request is recorded" in done.text and "a***@example.com" in done.text
    assert "set-cookie" not in done.headers and "location" not in done.headers
    forged = client.post(f"/u/{GOOD[:-2]}AA", data={"confirm": "1"})
    assert forged.status_code == 200 and "Your request is recorded" in forged.text and "@" not in forged.text
    assert [(r["method"], r["one_click"]) for r in logged(tmp_path)] == [("POST", False)]
    assert rejected(tmp_path) == {"POST": 1}  # the forged one is counted


def test_the_log_goes_to_the_day_of_the_request(client: TestClient, tmp_path: Path) -> None:
    client.post(f"/u/{GOOD}", data={"List-Unsubscribe": "One-Click"})
    client.post(f"/u/{GOOD}", data={"List-Unsubscribe": "One-Click"})
    days = {p.parent.name for p in (tmp_path / "landing" / "unsubscribe_link").glob("*/*.jsonl")}
    assert days == {"2026-10-09"}  # in the day's folder
    assert all(row["occurred_at"].startswith("2026-10-09T23:59:59") for row in logged(tmp_path))  # type: ignore[union-attr]
