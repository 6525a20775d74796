"""Answers that agree with themselves, as a user runs them: the report's breaches and window,
`lookup --as-of` marking what came later, a reversed `--from/--to`, `token verify` times, and
read-only commands on a store that does not exist."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.cli.tokens import issued_at
from pipeline.core.errors import OptoutError
from pipeline.ledger.history import history
from tests.conftest import PG_ADMIN_URL
from tests.integration.audit_helpers import land_letters, run_at
from tests.integration.cli_runner import Done, run_cli

pytestmark = pytest.mark.integration
ALICE = "Alice.Smith@example.com"


def run_optout(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Done:
    return run_cli(monkeypatch, capsys, *args)


@pytest.fixture
def optout(settings, monkeypatch, capsys):
    """`optout ARGS…` on the test store, in this process, as the console script runs it."""
    monkeypatch.setenv("OPTOUT_DATABASE_URL", settings.database_url)
    return lambda *args: run_optout(monkeypatch, capsys, *args)


@pytest.fixture
def store(engine, settings, landing, clock):
    """Bob asks on 9 Oct (v1, 10 Oct 02:00); Alice on 10 Oct 10:00 (v2, 11 Oct 02:00); a
    letter naming nobody, received 9 Oct 09:00, waits in review from 10 Oct 02:00."""
    land_letters(
        landing,
        "2026-10-09",
        "a.csv",
        [("B1", "2026-10-09T09:00:00Z", "bob@example.com", "Bob"), ("R1", "2026-10-09T09:00:00Z", "", "nobody")],
    )
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")
    land_letters(landing, "2026-10-10", "b.csv", [("A1", "2026-10-10T10:00:00Z", ALICE, "Alice")])
    run_at(engine, settings, clock, "2026-10-10", "2026-10-11T02:00:00")


# --- report: breaches and window -----------------------------------------------------------


def test_report_text_json_and_html_agree_on_a_review_item_past_48_hours(optout, store, tmp_path):
    """R1 was requested 9 Oct 09:00 and is still in review on 12 Oct: 48 hours have run out."""
    html = tmp_path / "r.html"
    text = optout("--now", "2026-10-20T00:00:00Z", "report", "--date", "2026-10-12", "--html", str(html))
    data = json.loads(optout("--now", "2026-10-20T00:00:00Z", "report", "--date", "2026-10-12", "--json").stdout)
    summary = (
        "1 missed a deadline (requests and review items together): 48 hours: 1 (1 review item); "
        "10 business days: none; one month: none."
    )
    assert text.returncode == 1  # a breach is a negative answer
    assert f"breaches: {summary}" in text.stdout
    assert "review item 1 (postal_mail R1, unresolved): requested 2026-10-09T09:00:00+00:00" in text.stdout
    assert data["summary"] == summary and data["breach_total"] == 1 and data["breaches"] == []
    assert data["breach_counts"]["48h"] == {"requests": 0, "review_items": 1, "total": 1}
    assert data["channels"]["postal_mail"]["breaches"]["48h"] == 1
    assert data["channels"]["postal_mail"]["in_review"] == 1
    page = html.read_text()
    assert summary in page and "No request" not in page


@pytest.mark.parametrize(
    ("now", "day", "window_from", "window_to"),
    [
        ("2026-10-20T00:00:00Z", "2026-10-12", "2026-10-09T09:00:00+00:00", "2026-10-13T00:00:00+00:00"),
        ("2026-10-12T06:00:00Z", "2026-10-12", "2026-10-09T09:00:00+00:00", "2026-10-12T06:00:00+00:00"),
        ("2026-10-12T06:00:00Z", "9999-12-31", "2026-10-09T09:00:00+00:00", "2026-10-12T06:00:00+00:00"),
        ("2026-10-12T06:00:00Z", "0001-01-01", None, "0001-01-02T00:00:00+00:00"),
    ],
)
def test_report_says_its_window_in_text_json_and_html(optout, store, tmp_path, now, day, window_from, window_to):
    html = tmp_path / "r.html"
    text = optout("--now", now, "report", "--date", day, "--html", str(html)).stdout
    data = json.loads(optout("--now", now, "report", "--date", day, "--json").stdout)
    assert data["window"] == {"from": window_from, "to": window_to, "timezone": "UTC"}
    start = f"from {window_from}" if window_from else "no request made"
    assert f"Window: {start} to {window_to} (UTC)" in text
    assert f"<dt>to</dt><dd><time>{window_to}</time></dd>" in html.read_text()


@pytest.mark.parametrize("day", ["2026-02-30", "13/10/2026", "10000-01-01", ""])
def test_report_refuses_a_date_that_is_not_one(optout, store, day):
    done = optout("report", "--date", day)
    assert done.returncode == 2 and len(done.errors) == 1 and "--date" in done.errors[0]


# --- lookup --as-of ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "code", "marked"),
    [
        ("2026-10-10T09:00:00Z", 1, True),  # before she asked
        ("2026-10-10T23:00:00Z", 1, True),  # asked, not yet recorded: it came later
        ("2026-10-11T02:00:00Z", 0, False),  # recorded and published at that instant
        ("2026-10-11T02:30:00Z", 0, False),
        ("9999-12-31T23:59:59Z", 0, False),  # the far future: the newest list
        ("0001-01-01T00:00:00Z", 1, True),  # the far past: no list, everything came later
    ],
)
def test_lookup_as_of_marks_events_recorded_later(optout, store, as_of, code, marked):
    text = optout("lookup", ALICE, "--as-of", as_of)
    data = json.loads(optout("lookup", ALICE, "--as-of", as_of, "--json").stdout)
    assert text.returncode == code, text.stderr
    (line,) = [x for x in text.stdout.splitlines() if "ref A1" in x]
    assert line.strip().startswith("[after as-of] #") is marked
    assert ("recorded after" in text.stdout) is marked
    (event,) = data["events"]
    assert event["after_as_of"] is marked and (data["after_as_of"] == [event["event_id"]]) is marked
    assert data["suppressed"] is (code == 0)


def test_lookup_without_as_of_marks_nothing(optout, store):
    data = json.loads(optout("lookup", ALICE, "--json").stdout)
    assert data["after_as_of"] == [] and "after_as_of" not in data["events"][0]
    assert "[after as-of]" not in optout("lookup", ALICE).stdout


@pytest.mark.parametrize("as_of", ["99999-01-01", "2026-10-10T25:00", "yesterday", ""])
def test_lookup_refuses_an_as_of_that_is_not_a_time(optout, store, as_of):
    done = optout("lookup", ALICE, "--as-of", as_of)
    assert done.returncode == 2 and len(done.errors) == 1, done.stderr


# --- reversed ranges -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "code", "refs"),
    [
        ("2026-10-10", "2026-10-10", 0, ["A1"]),  # one day
        ("2026-10-09", "2026-10-10", 0, ["B1", "A1"]),
        ("0001-01-01", "9999-12-31", 0, ["B1", "A1"]),  # the whole calendar
        ("9999-12-31", "9999-12-31", 0, []),
        ("2026-10-11", "2026-10-10", 2, None),  # reversed by a day
        ("9999-12-31", "0001-01-01", 2, None),
    ],
)
def test_history_range(optout, store, start, end, code, refs):
    done = optout("history", "--from", start, "--to", end, "--format", "json")
    assert done.returncode == code, done.stderr
    if refs is None:
        (error,) = done.errors
        assert error == f"optout: --from {start} is after --to {end}: give --from on or before --to"
        assert done.stdout == ""
    else:
        assert [e["source_ref"] for e in json.loads(done.stdout)] == refs


@pytest.mark.parametrize(("start", "end"), [("2026-10-32", "2026-10-10"), ("2026-10-10", "10/11/2026")])
def test_history_refuses_a_day_that_is_not_one(optout, store, start, end):
    done = optout("history", "--from", start, "--to", end)
    (error,) = done.errors
    assert done.returncode == 2 and ("--from" in error) is (start == "2026-10-32")


def test_the_library_refuses_a_reversed_period_too(engine, store):
    with engine.connect() as conn, pytest.raises(OptoutError, match="runs backwards"):
        history(conn, start=date(2026, 10, 11), end=date(2026, 10, 10))


# --- token verify --------------------------------------------------------------------------


def test_token_verify_prints_iso_times(optout, store):
    token = optout("--now", "2026-10-11T03:04:05Z", "token", "mint", "a@example.com", "--campaign", "oct").stdout.strip()
    text = optout("token", "verify", token)
    data = json.loads(optout("token", "verify", token, "--json").stdout)
    assert text.returncode == 0 and "issued 2026-10-11T03:04:05+00:00" in text.stdout
    assert data["issued_at"] == "2026-10-11T03:04:05+00:00" and "iat" not in data


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (1_791_947_045, "2026-10-14T03:04:05+00:00"),
        (-1, "1969-12-31T23:59:59+00:00"),
        (0, None),  # the token carries no time
        (10**20, None),  # no calendar holds it
        (-(10**20), None),
    ],
)
def test_issued_at_is_iso_in_utc(seconds, shown):
    assert issued_at(seconds) == shown


# --- a store that does not exist -----------------------------------------------------------

READ_ONLY = [
    ["lookup", ALICE],
    ["lookup", ALICE, "--as-of", "2026-10-10T00:00:00Z"],
    ["history"],
    ["report"],
    ["verify"],
    ["review", "list"],
    ["review", "show", "1"],
    ["export", "--output", "OUT"],
    ["audit", "campaign", "1"],
    ["user", "list"],
]


def _db(tmp_path: Path, kind: str) -> tuple[str, Path]:
    """A store URL that names no store, and the path the command must not create."""
    if kind == "missing file":
        path = tmp_path / "optout.db"
    elif kind == "missing folder":
        path = tmp_path / "no" / "such" / "optout.db"
    else:  # a directory where the database file should be
        path = tmp_path / "store.d"
        path.mkdir()
    return f"sqlite:///{path}", path


@pytest.mark.parametrize("kind", ["missing file", "missing folder", "directory"])
@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a[:2]))
def test_read_only_commands_refuse_a_store_that_does_not_exist(monkeypatch, capsys, tmp_path, kind, args):
    url, path = _db(tmp_path, kind)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    done = run_optout(monkeypatch, capsys, "--db", url, *args)
    (error,) = done.errors
    assert done.returncode == 2 and done.stdout == ""
    assert str(path) in error
    if kind == "directory":
        assert "is a directory" in error
    else:
        assert error.startswith(f"optout: no store at {path}") and "optout init" in error and "optout run" in error
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing created


def test_an_in_memory_store_is_refused_by_a_read_only_command(monkeypatch, capsys):
    done = run_optout(monkeypatch, capsys, "--db", "sqlite://", "lookup", ALICE)
    (error,) = done.errors
    assert done.returncode == 2 and "in-memory" in error


def test_an_empty_file_is_not_a_store(monkeypatch, capsys, tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")
    done = run_optout(monkeypatch, capsys, "--db", f"sqlite:///{tmp_path / 'empty.db'}", "lookup", ALICE)
    (error,) = done.errors
    assert done.returncode == 2 and "is not initialised" in error and "optout init" in error
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_a_file_that_is_not_a_database(monkeypatch, capsys, tmp_path):
    (tmp_path / "notes.db").write_text("not a database, just notes\n" * 100)
    done = run_optout(monkeypatch, capsys, "--db", f"sqlite:///{tmp_path / 'notes.db'}", "history")
    (error,) = done.errors
    assert done.returncode == 2 and "cannot open the store" in error and "notes.db" in error


def test_commands_that_write_still_create_the_store_where_they_did(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'optout.db'}"
    done = run_optout(monkeypatch, capsys, "--db", url, "add", ALICE, "--channel", "manual", "--ref", "T1")
    assert done.returncode == 2 and "not initialised" in done.errors[0]  # as before: folder and file made
    assert (tmp_path / "new" / "optout.db").exists()
    assert run_optout(monkeypatch, capsys, "--db", url, "init").returncode == 0
    assert run_optout(monkeypatch, capsys, "--db", url, "lookup", ALICE).returncode == 1  # now it reads


def test_a_postgresql_database_that_does_not_exist(monkeypatch, capsys):
    admin = sa.create_engine(PG_ADMIN_URL)
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError:
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    finally:
        admin.dispose()
    url = sa.make_url(PG_ADMIN_URL).set(database="optout_no_such_database_here")
    done = run_optout(monkeypatch, capsys, "--db", url.render_as_string(hide_password=False), "lookup", ALICE)
    (error,) = done.errors
    assert done.returncode == 2 and "optout_no_such_database_here" in error and "does not exist" in error
