"""`optout check` at the command line: exit codes and the receipt round trip (SPEC §7)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def optout(db: str, *args: str, now: str = "2026-10-11T03:00:00Z") -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from pipeline.cli import main; main()", "--db", db, "--now", now, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_check_cli_receipt_and_stale(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'o.db'}"
    assert optout(db, "init").returncode == 0
    assert optout(db, "add", "bob@example.com", "--channel", "postal_mail", "--ref", "L1").returncode == 0
    src = tmp_path / "in.csv"
    src.write_text("email\nbob@example.com\nann@example.com\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    done = optout(db, "check", str(src), "--output", str(out), "--campaign", "C1", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["input_rows"], summary["kept"], summary["suppressed"], summary["invalid"]) == (2, 1, 1, 0)
    receipt = Path(summary["receipt"])
    assert optout(db, "check", "--verify-receipt", str(receipt)).returncode == 0
    receipt.write_text(receipt.read_text(encoding="utf-8").replace('"kept": 1', '"kept": 2'), encoding="utf-8")
    assert optout(db, "check", "--verify-receipt", str(receipt)).returncode == 1
    stale = optout(db, "check", str(src), "--output", str(out), "--max-age", "1", now="2026-10-11T05:00:00Z")
    assert stale.returncode == 3 and "stale" in stale.stderr and "Traceback" not in stale.stderr
