"""The `optout` command as a user runs it: exit codes (SPEC §7), one-line errors, the demo."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration
OPTOUT = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def optout(*args: str, db: str, landing: Path | None = None, now: str | None = "2026-10-11T03:00:00Z") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPTOUT_DATABASE_URL": db, "PYTHONPATH": str(ROOT)}
    if landing:
        env["OPTOUT_LANDING"] = str(landing)
    clock = ["--now", now] if now else []
    return subprocess.run([*OPTOUT, *clock, *args], capture_output=True, text=True, env=env, timeout=300)


def test_run_json_summary_and_exit_codes(seeded: tuple[str, Path]) -> None:
    db, landing = seeded
    first = optout("run", "--date", "2026-10-10", "--json", db=db, landing=landing)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["status"] == "success" and summary["list_version"] == 1 and summary["entries"] > 50
    assert set(summary["channels"]) >= {"phone", "cancellation", "preference_center", "postal_mail"}
    totals = summary["totals"]
    assert totals["read"] == sum(totals[k] for k in ("accepted", "ignored", "rejected", "needs_review", "duplicate"))
    again = json.loads(optout("run", "--date", "2026-10-10", "--json", db=db, landing=landing).stdout)
    assert again["new_files"] == 0 and again["list_version"] == 1 and again["digest"] == summary["digest"]


def test_lookup_history_add_lift(seeded: tuple[str, Path]) -> None:
    db, landing = seeded
    optout("run", "--date", "2026-10-10", db=db, landing=landing)
    assert optout("lookup", "nobody@example.com", db=db).returncode == 1
    assert optout("add", "Letter.Writer+x@Example.com", "--channel", "postal_mail", "--ref", "LTR-HAND-1", db=db).returncode == 0
    found = optout("lookup", "letter.writer@example.com", "--json", db=db)
    assert found.returncode == 0
    answer = json.loads(found.stdout)
    assert answer["suppressed"] and answer["events"][0]["source_ref"] == "LTR-HAND-1"
    again = optout("add", "letter.writer@example.com", "--channel", "postal_mail", "--ref", "LTR-HAND-1", db=db)
    assert again.returncode == 2 and "already recorded" in again.stderr
    assert (
        optout(
            "lift", "letter.writer@example.com", "--evidence", "signed consent form #7 dated 2026-10-11", db=db, now="2026-10-11T04:00:00Z"
        ).returncode
        == 0
    )
    assert optout("lookup", "letter.writer@example.com", db=db, now="2026-10-11T04:00:00Z").returncode == 1
    history = optout("history", "--format", "csv", db=db)
    assert history.returncode == 0
    lines = history.stdout.splitlines()
    assert lines[0].startswith("event_id,channel,source_ref")
    assert len(lines) > 100
    assert any("LTR-HAND-1" in line for line in lines)
    assert all(
        any(
            f",{channel}," in line
            for channel in ("phone", "cancellation", "preference_center", "postal_mail", "manual", "support_inbox", "unsubscribe_link")
        )
        for line in lines[1:]
    )


def test_verify_detects_an_edit_made_with_sqlite3(seeded: tuple[str, Path], tmp_path: Path) -> None:
    db, landing = seeded
    optout("run", "--date", "2026-10-10", db=db, landing=landing)
    assert optout("verify", db=db).returncode == 0
    with sqlite3.connect(tmp_path / "optout.db") as conn:
        conn.execute("UPDATE optout_events SET channel = 'postal_mail' WHERE id = 2")
    broken = optout("verify", db=db)
    assert broken.returncode == 1
    assert "optout_events id 2" in broken.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["run", "--date", "2026-02-30"], 2, "--date: not a date"),
        (["run"], 2, "Missing option '--date'"),
        (["lookup", "not an address"], 2, "not a valid address"),
        (["check", "missing.csv", "--output", "out.csv"], 2, "missing.csv: no such file"),
        (["add", "a@example.com", "--channel", "fax", "--ref", "x"], 2, "optout: --channel: must be one of postal_mail, manual, not 'fax'"),
        (["add", "a@example.com", "--channel", "manual", "--ref", " "], 2, "optout: --ref: must name the request (letter id, ticket"),
        (["lift", "a@example.com", "--evidence", "yes"], 2, "optout: --evidence: must say what proves the re-consent"),
        (["erase", "a@example.com", "--ref", ""], 2, "optout: --ref: must name the erasure request"),
        (["--db", "::not a url::", "init"], 2, "--db: not a database URL"),
        (["history", "--format", "xml"], 2, "Invalid value for '--format'"),
        (["check", "in.csv", "--output", "out.csv", "--kind", "bulk"], 2, "Invalid value for '--kind'"),
        (["review", "list", "--status", "closed"], 2, "Invalid value for '--status'"),
        (["review", "resolve", "1", "--accept", "a@x.org", "--note", "she phoned", "--scope", "service"], 2, "Invalid value for '--scope'"),
        (["nonsense"], 2, "No such command"),
    ],
)
def test_user_errors_are_one_line_without_traceback(seeded: tuple[str, Path], args: list[str], code: int, message: str) -> None:
    db, _ = seeded
    result = optout(*args, db=db)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_message_quoting_a_line_break_stays_one_line(seeded: tuple[str, Path]) -> None:
    db, _ = seeded
    result = optout("check", "bad\nname.csv", "--output", "out.csv", db=db)
    lines = [ln for ln in result.stderr.splitlines() if not ln.startswith("optout: warning")]
    assert result.returncode == 2 and lines == ["optout: bad\\nname.csv: no such file"]


def test_uninitialised_store_and_stale_list(tmp_path: Path, seeded: tuple[str, Path]) -> None:
    fresh = optout("run", "--date", "2026-10-10", db=f"sqlite:///{tmp_path / 'new.db'}")
    assert fresh.returncode == 2 and "optout init" in fresh.stderr
    db, landing = seeded
    optout("run", "--date", "2026-10-10", db=db, landing=landing)
    stale = optout("check", str(ROOT / "seeds" / "campaign.csv"), "--output", str(tmp_path / "o.csv"), db=db, now="2026-10-20T00:00:00Z")
    assert stale.returncode == 3 and "stale" in stale.stderr
    assert not (tmp_path / "o.csv").exists()


def test_check_json_and_receipt(seeded: tuple[str, Path], tmp_path: Path) -> None:
    db, landing = seeded
    optout("run", "--date", "2026-10-10", db=db, landing=landing)
    out = tmp_path / "send.csv"
    result = optout("check", str(ROOT / "seeds" / "campaign.csv"), "--output", str(out), "--campaign", "oct-news", "--json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"input_rows", "kept", "suppressed", "invalid", "list_version", "check_id"} <= set(data)
    receipt = Path(str(out) + ".receipt.json")
    assert optout("check", "--verify-receipt", str(receipt), db=db).returncode == 0
    receipt.write_text(receipt.read_text().replace(f'"kept": {data["kept"]}', f'"kept": {data["kept"] + 1}'))
    assert optout("check", "--verify-receipt", str(receipt), db=db).returncode == 1


def test_demo(tmp_path: Path) -> None:
    result = optout("demo", "--dir", str(tmp_path / "demo"), db="sqlite:///unused.db", now=None)
    assert result.returncode == 0, result.stderr
    assert "night 2026-10-10" in result.stdout
    assert "pre-send check of campaign.csv" in result.stdout
    assert "suppressed" in result.stdout
