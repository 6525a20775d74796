"""`optout run --channel`: a run of some channels only, as the intraday DAG makes for the fast
ones. It ingests only those channels, publishes only when they brought something new, keeps a
`pipeline_runs` row of its own (so it never hides a failed nightly run), and the nightly run
afterwards skips the files it took."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import land
from tests.integration.test_cli import optout

DAY = "2026-10-08"
FAST = ("--channel", "unsubscribe_link", "--channel", "esp_events")


def run_json(db: str, landing: Path, *args: str) -> dict:  # type: ignore[type-arg]
    done = optout("run", "--date", DAY, "--json", *args, db=db, landing=landing)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def runs(db: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT logical_date, channels, status FROM pipeline_runs ORDER BY id").fetchall()


def test_fast_channels_first_then_the_night_skips_them(seeded: tuple[str, Path]) -> None:
    db, landing = seeded
    fast = run_json(db, landing, *FAST)
    assert fast["only_channels"] == ["esp_events", "unsubscribe_link"] and set(fast["channels"]) == {"esp_events", "unsubscribe_link"}
    clicks = fast["channels"]["unsubscribe_link"]
    assert clicks["files"] == 1 and clicks["accepted"] > 0 and fast["list_version"] == 1
    assert run_json(db, landing, *FAST)["list_version"] == 1  # nothing new: no new version

    night = run_json(db, landing)
    assert night["only_channels"] == [] and night["channels"]["unsubscribe_link"]["files"] == 0  # already ingested
    assert night["channels"]["phone"]["files"] > 0 and night["list_version"] == 2
    assert runs(db) == [(DAY, "esp_events,unsubscribe_link", "success"), (DAY, "", "success")]


def test_a_run_of_some_channels_does_not_hide_a_failed_night(seeded: tuple[str, Path]) -> None:
    db, landing = seeded
    land(landing, "postal_mail", DAY, "letters-broken.csv", b"\x00\x01\x02 not a csv\n")
    assert run_json(db, landing)["status"] == "failed"
    assert run_json(db, landing, "--channel", "unsubscribe_link")["status"] == "success"
    assert [status for _, channels, status in runs(db) if channels == ""] == ["failed"]


def test_an_unknown_channel_is_bad_usage(seeded: tuple[str, Path]) -> None:
    db, landing = seeded
    done = optout("run", "--date", DAY, "--channel", "fax", db=db, landing=landing)
    assert done.returncode == 2 and "unknown channel 'fax'" in done.stderr and "Traceback" not in done.stderr
    assert runs(db) == []
