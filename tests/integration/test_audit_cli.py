"""The auditor's commands as a user runs them: lookup (as-of), history (CSV, JSON), the SQL
views, audit campaign, report, export, erase then verify; exit codes per SPEC §7."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from pipeline.check.run import run_check
from pipeline.ledger import manual
from tests.integration.audit_helpers import at, land_letters, recipients_csv, run_at
from tests.integration.cli_runner import cli_runner

pytestmark = pytest.mark.integration
ALICE = "Alice.Smith@example.com"


@pytest.fixture
def optout(settings, monkeypatch, capsys):
    """Run `optout ARGS…` in this process, as the console script does: exit code and output."""
    return cli_runner(settings.database_url, monkeypatch, capsys)


@pytest.fixture
def store(engine, settings, landing, clock, tmp_path):
    """v1 (10 Oct 02:00) holds Bob; Alice asks on 10 Oct 10:00 and is in v2 (11 Oct 02:00);
    a check on 10 Oct 12:00 ran against v1; Carol asks on 12 Oct, after it."""
    land_letters(landing, "2026-10-09", "a.csv", [("B1", "2026-10-09T09:00:00Z", "bob@example.com", "Bob")])
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")
    land_letters(landing, "2026-10-10", "b.csv", [("A1", "2026-10-10T10:00:00Z", ALICE, "Alice")])
    clock.at = at("2026-10-10T12:00:00")
    send = recipients_csv(
        tmp_path / "send.csv", ["alice.smith@example.com", "bob@example.com", "carol@example.com"]
    )
    run_check(engine, settings, clock, send, tmp_path / "send.out.csv", campaign="oct")
    run_at(engine, settings, clock, "2026-10-10", "2026-10-11T02:00:00")
    land_letters(
        landing, "2026-10-12", "c.csv", [("C1", "2026-10-12T08:00:00Z", "carol@example.com", "Carol")]
    )
    run_at(engine, settings, clock, "2026-10-12", "2026-10-13T02:00:00")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--as-of", "2026-10-10T09:59:00Z"], 1, "not suppressed in list version 1"),  # before her request
        (
            ["--as-of", "2026-10-10T23:00:00Z"],
            1,
            "not suppressed in list version 1",
        ),  # asked, not yet in effect
        (["--as-of", "2026-10-11T02:30:00Z"], 0, "SUPPRESSED (scope marketing) in list version 2"),
        (["--version", "1"], 1, "not suppressed"),
        (["--version", "2"], 0, "SUPPRESSED"),
        ([], 0, "SUPPRESSED (scope marketing, since 2026-10-11T02:00"),
        (["--as-of", "2026-10-01T00:00:00Z"], 1, "(no list published)"),
    ],
)
def test_lookup_as_of(optout, store, args, code, says):
    done = optout("lookup", "alice.smith+promo@example.com", *args)
    assert done.returncode == code, done.stderr
    assert says in done.stdout
    assert "via postal_mail ref A1; requested 2026-10-10T10:00:00+00:00" in done.stdout
    assert "effective v2 2026-10-11T02:00" in done.stdout and "b.csv line 2" in done.stdout


def test_lookup_json_and_usage_errors(optout, store):
    data = json.loads(optout("lookup", ALICE, "--json").stdout)
    (event,) = data["events"]
    assert (
        event["evidence_file"].endswith("postal_mail/2026-10-10/b.csv")
        and event["evidence_locator"] == "line 2"
    )
    assert (event["channel"], event["source_ref"], event["scope"], event["action"]) == (
        "postal_mail",
        "A1",
        "marketing",
        "suppress",
    )
    assert (event["effective_version"], event["recorded_at"][:16]) == (2, "2026-10-11T02:00")
    for args in (["--as-of", "soon"], ["--version", "9"], ["--as-of", "2026-10-11", "--version", "1"]):
        done = optout("lookup", ALICE, *args)
        errors = done.errors
        assert done.returncode == 2 and len(errors) == 1 and "Traceback" not in done.stderr


HISTORY_FIELDS = [
    "event_id",
    "channel",
    "source_ref",
    "address",
    "match_key",
    "scope",
    "action",
    "requested_at",
    "recorded_at",
    "effective_version",
    "effective_at",
    "evidence_file",
    "evidence_locator",
]


def test_history_csv_json_and_the_auditor_view_agree(engine, optout, store, tmp_path):
    done = optout("history", "--from", "2026-10-10", "--to", "2026-10-12")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["source_ref"] for r in rows] == ["A1", "C1"]
    assert set(HISTORY_FIELDS) <= set(rows[0])
    assert (rows[0]["address"], rows[0]["effective_version"], rows[0]["evidence_locator"]) == (
        ALICE,
        "2",
        "line 2",
    )
    out = tmp_path / "h.json"
    assert (
        optout("history", "--format", "json", "--channel", "postal_mail", "--output", str(out)).returncode
        == 0
    )
    events = json.loads(out.read_text())
    assert [e["source_ref"] for e in events] == ["B1", "A1", "C1"]
    with engine.connect() as conn:
        view = conn.execute(
            sa.text(
                "SELECT event_id, channel, source_ref, address, scope, action, effective_version, "
                "evidence_file, evidence_locator "
                "FROM audit_event_history ORDER BY event_id"
            )
        ).all()
    assert [tuple(v) for v in view] == [
        (
            e["event_id"],
            e["channel"],
            e["source_ref"],
            e["address"],
            e["scope"],
            e["action"],
            e["effective_version"],
            e["evidence_file"],
            e["evidence_locator"],
        )
        for e in events
    ]


def test_auditor_views_answer_the_campaign_question(engine, store):
    with engine.connect() as conn:
        check = conn.execute(sa.text("SELECT * FROM audit_send_checks")).one()._mapping
        clocks = conn.execute(
            sa.text("SELECT source_ref, effective_version FROM audit_request_clock ORDER BY record_id")
        ).all()
    assert (check["list_version_used"], check["newest_version_at_check"], check["used_newest"]) == (1, 1, 1)
    assert check["optouts_missing_from_list"] == 1  # Alice asked before the check, v1 lacked her
    assert [tuple(c) for c in clocks] == [("B1", 1), ("A1", 2), ("C1", 3)]


def test_audit_campaign_cli(optout, store):
    done = optout("audit", "campaign", "oct")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "list version 1 published 2026-10-10T02:00" in done.stdout and "the newest" in done.stdout
    assert "suppressed at check time (must have been removed): 1\n    row 2: bob@example.com" in done.stdout
    assert "SENT WHILE SUPPRESSED (kept although suppressed): 0" in done.stdout
    assert (
        "asked before the check but not yet in the list used: 1\n    row 1: alice.smith@example.com"
        in done.stdout
    )
    assert "opted out after the check: 1\n    row 3: carol@example.com" in done.stdout
    data = json.loads(optout("audit", "campaign", "1", "--json").stdout)
    assert data["sent_while_suppressed_count"] == 0 and data["ok"] is True
    assert optout("audit", "campaign", "77").returncode == 2


def test_report_cli(optout, store, tmp_path):
    done = optout(
        "--now",
        "2026-10-20T00:00:00Z",
        "report",
        "--date",
        "2026-10-13",
        "--json",
        "--html",
        str(tmp_path / "r.html"),
    )
    assert done.returncode == 0, done.stderr  # every request took effect within 48 hours
    data = json.loads(done.stdout)
    assert {r["source_ref"]: r["hours_to_effect"] for r in data["requests"]} == {
        "B1": 17.0,
        "A1": 16.0,
        "C1": 18.0,
    }
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert optout("report", "--date", "13/10/2026").returncode == 2


def test_export_erase_verify_cli(engine, optout, store, tmp_path):
    assert optout("export", "--output", str(tmp_path / "x")).returncode == 0
    assert ALICE in (tmp_path / "x" / "suppression_list.csv").read_text()
    dry = optout("erase", ALICE, "--ref", "GDPR-9", "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["dry_run"] is True, dry.stderr
    assert ALICE in (tmp_path / "x" / "suppression_list.csv").read_text()
    done = optout("erase", ALICE, "--ref", "GDPR-9")
    # The recipient list of the recorded send check still names her: listed, so exit 1.
    assert done.returncode == 1 and "still suppressed" in done.stdout, done.stderr
    assert "MANUAL send_check file" in done.stdout and "receipt" in done.stdout
    assert optout("verify").returncode == 0
    assert optout("lookup", ALICE).returncode == 0
    assert optout("export", "--output", str(tmp_path / "y")).returncode == 0
    assert "alice" not in (tmp_path / "y" / "suppression_list.csv").read_text().lower()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE optout_events SET requested_at = recorded_at WHERE id = 2"))
    done = optout("verify")
    assert done.returncode == 1 and "optout_events id 2" in done.stdout


def test_history_csv_is_safe_to_open_in_a_spreadsheet(engine, optout, settings, clock, store):
    manual.add(engine, settings, clock, "=cmd@example.com", "manual", "T-1")
    rows = list(csv.reader(io.StringIO(optout("history", "--channel", "manual").stdout)))
    cells = [c for row in rows[1:] for c in row]
    assert "'=cmd@example.com" in cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
