"""`optout --help` stays cheap: what only some commands need is imported by those commands. The
import budget: `import pipeline.cli` and `--help` load no heavy library (data frames, the store's
ORM, address validation, the HTTP stack, Airflow). Asserted on the modules imported, not on seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

PROBE = """
import json, sys
sys.argv = ["optout", *sys.argv[1:]]
from pipeline.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
DEFERRED = ("holidays", "fastapi", "uvicorn", "pipeline.channels", "pipeline.orchestration", "pipeline.http",
            "pipeline.audit.report", "pipeline.audit.erase")
HEAVY = ("pandas", "pyarrow", "numpy", "sqlalchemy", "alembic", "email_validator", "great_expectations",
         "airflow", "fastapi", "openpyxl", "pipeline.check.run", "pipeline.store")


@pytest.mark.parametrize("args", [["--help"], ["history", "--help"], ["review", "list", "--help"]])
def test_help_loads_no_command_only_module(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Usage" in done.stdout
    loaded = json.loads(done.stderr.splitlines()[-1])
    assert [m for m in loaded if m.startswith(DEFERRED)] == []


def heavy(modules: list[str] | set[str]) -> list[str]:
    return sorted(m for m in modules if m == "pipeline.store" or m.split(".")[0] in HEAVY or m.startswith(HEAVY))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    """What `python -X importtime -c "import pipeline.cli"` reports importing."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import pipeline.cli"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "pipeline.cli.check" in modules  # the log read is the one meant
    assert heavy(modules) == []


def test_help_loads_no_heavy_library() -> None:
    """`optout --help` (a command's own `--help` runs the root callback, whose settings check
    parses the store URL with SQLAlchemy)."""
    done = subprocess.run([sys.executable, "-c", PROBE, "--help"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Usage" in done.stdout
    assert heavy(json.loads(done.stderr.splitlines()[-1])) == []


ARRAYS = ("pandas", "pyarrow", "numpy")


def test_a_two_row_check_loads_no_array_library(tmp_path: Path) -> None:
    """A two-row check (`benchmarks/startup.py`'s) takes the small-file path: it asks the store
    about its two keys, so neither data frames nor Arrow nor numpy are imported."""
    db = ["--db", f"sqlite:///{tmp_path / 'optout.db'}"]
    cli = [sys.executable, "-c", "from pipeline.cli import main; main()", *db]
    subprocess.run([*cli, "init"], check=True, capture_output=True, cwd=ROOT, timeout=120)
    subprocess.run([*cli, "add", "gone@example.com", "--channel", "manual", "--ref", "t"], check=True, capture_output=True,
                   cwd=ROOT, timeout=120)
    (tmp_path / "two.csv").write_text("email,name\ngone@example.com,A\nkept@example.com,B\n", encoding="utf-8")
    args = [*db, "check", str(tmp_path / "two.csv"), "--output", str(tmp_path / "out.csv"), "--removed", str(tmp_path / "rm.csv")]
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "1 kept, 1 suppressed" in done.stdout, done.stderr
    loaded = json.loads(done.stderr.splitlines()[-1])
    assert [m for m in loaded if m.split(".")[0] in ARRAYS] == []
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "email,name\nkept@example.com,B\n"


def test_a_big_check_still_loads_them(tmp_path: Path) -> None:
    """The probe above can see them: the same check of a file over the small path's limit loads Arrow."""
    db = ["--db", f"sqlite:///{tmp_path / 'optout.db'}"]
    cli = [sys.executable, "-c", "from pipeline.cli import main; main()", *db]
    subprocess.run([*cli, "init"], check=True, capture_output=True, cwd=ROOT, timeout=120)
    subprocess.run([*cli, "add", "gone@example.com", "--channel", "manual", "--ref", "t"], check=True, capture_output=True,
                   cwd=ROOT, timeout=120)
    rows = "".join(f"r{i}@example.com,{i}\n" for i in range(20_000))
    (tmp_path / "big.csv").write_text(f"email,name\ngone@example.com,A\n{rows}", encoding="utf-8")
    args = [*db, "check", str(tmp_path / "big.csv"), "--output", str(tmp_path / "out.csv")]
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "20000 kept, 1 suppressed" in done.stdout, done.stderr
    assert "pyarrow" in json.loads(done.stderr.splitlines()[-1])
