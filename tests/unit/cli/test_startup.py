"""`optout --help` stays cheap: what only some commands need is imported by those commands. The
import budget: `import pipeline.cli` and `--help` load no heavy library (data frames, the store's
ORM, address validation, the HTTP stack, Airflow). Asserted on the modules imported, not on seconds."""

from __future__ import annotations

import json
import subprocess
import sys

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
