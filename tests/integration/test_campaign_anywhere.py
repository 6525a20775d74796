"""`optout audit campaign` from any working directory: a check run in folder A with relative
paths is audited from folder B by its recorded absolute paths; a check recorded relative (before
paths were absolute) says so; moved copies named by --input/--output are verified by SHA-256,
never trusted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.store.schema import send_checks
from tests.integration.audit_helpers import land_letters, recipients_csv, run_at
from tests.integration.cli_runner import Done, cli_runner

pytestmark = pytest.mark.integration
NOW = "2026-10-11T03:00:00Z"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir()
    b.mkdir()
    return a, b


@pytest.fixture
def checked(engine, settings, landing, clock, folders, monkeypatch, capsys):
    """Bob is on the list; `optout check in.csv --output out.csv` run inside folder A."""
    land_letters(landing, "2026-10-09", "a.csv", [("B1", "2026-10-09T09:00:00Z", "bob@example.com", "Bob")])
    run_at(engine, settings, clock, "2026-10-09", "2026-10-11T02:00:00")
    a, _ = folders
    recipients_csv(a / "in.csv", ["ann@example.com", "Bob@example.com", "carol@example.com"])
    monkeypatch.chdir(a)
    optout = cli_runner(settings.database_url, monkeypatch, capsys)
    done = optout("--now", NOW, "check", "in.csv", "--output", "out.csv", "--campaign", "fall", "--removed", "gone.csv")
    assert done.returncode == 0, done.stderr
    return optout


def audit(optout, *args: str) -> Done:
    return optout("audit", "campaign", "fall", *args)


def recorded(engine) -> sa.RowMapping:
    with engine.connect() as conn:
        return conn.execute(sa.select(send_checks)).one()._mapping


def test_the_check_records_absolute_paths_and_who(engine, checked, folders):
    a, _ = folders
    row = recorded(engine)
    assert (row["input_path"], row["output_path"], row["removed_path"]) == (str(a / "in.csv"), str(a / "out.csv"), str(a / "gone.csv"))
    assert row["receipt_path"] == str(a / "out.csv.receipt.json") and row["checked_by"].startswith("cli:")


def test_audit_from_another_folder_verifies_both_files(engine, checked, folders, monkeypatch):
    a, b = folders
    monkeypatch.chdir(b)
    done = audit(checked)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"  input {a / 'in.csv'}: verified by SHA-256\n  output {a / 'out.csv'}: verified by SHA-256\n" in done.stdout
    assert f"by {recorded(engine)['checked_by']} at" in done.stdout
    assert "suppressed at check time (must have been removed): 1\n    row 2: Bob@example.com" in done.stdout
    data = json.loads(audit(checked, "--json").stdout)
    assert data["ok"] and data["input_file"] == str(a / "in.csv") and data["output_file"] == str(a / "out.csv")


def test_a_check_recorded_relative_says_so(engine, checked, folders, monkeypatch):
    """As a check recorded before paths were absolute: relative paths, no output_path."""
    a, b = folders
    with engine.begin() as conn:
        conn.execute(send_checks.update().values(input_path="in.csv", output_path=None, receipt_path="out.csv.receipt.json"))
    monkeypatch.chdir(b)
    done = audit(checked)
    assert done.returncode == 1
    assert (f"the input file in.csv was recorded relative to the folder the check ran in and is not found from {b}"
            in done.stdout)
    assert "output (unknown): NOT verified" in done.stdout
    monkeypatch.chdir(a)  # from the folder it ran in, both are found (the output through the receipt)
    done = audit(checked)
    assert done.returncode == 0, done.stdout
    assert "input in.csv: verified by SHA-256 (read from" in done.stdout


def test_moved_files_are_verified_by_hash_when_named(checked, folders, tmp_path, monkeypatch):
    a, b = folders
    moved = tmp_path / "archive"
    moved.mkdir()
    for name in ("in.csv", "out.csv"):
        shutil.move(a / name, moved / name)
    monkeypatch.chdir(b)
    gone = audit(checked)
    assert gone.returncode == 1 and f"the input file {a / 'in.csv'} is gone" in gone.stdout
    found = audit(checked, "--input", str(moved / "in.csv"), "--output", "../archive/out.csv")
    assert found.returncode == 0, found.stdout
    assert f"input {a / 'in.csv'}: verified by SHA-256 (read from {moved / 'in.csv'})" in found.stdout
    assert f"(read from {b / '../archive/out.csv'})" in found.stdout


def test_a_copy_that_differs_is_reported_never_trusted(checked, folders, tmp_path, monkeypatch):
    a, b = folders
    forged = tmp_path / "forged.csv"
    forged.write_text("email,first_name\nann@example.com,n0\n", encoding="utf-8")  # Bob "removed" from the input
    monkeypatch.chdir(b)
    done = audit(checked, "--input", str(forged), "--json")
    data = json.loads(done.stdout)
    assert done.returncode == 1 and not data["input_verified"] and data["input_file"] is None
    assert data["suppressed_at_check"] == []  # nothing read from the forged copy
    assert any(f"the input copy {forged} is not the file the check read" in p for p in data["problems"])
    missing = audit(checked, "--output", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and f"the output copy {tmp_path / 'nope.csv'} is not a file" in missing.stdout
