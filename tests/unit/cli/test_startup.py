"""`optout --help` stays cheap: what only some commands need is imported by those commands."""

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


@pytest.mark.parametrize("args", [["--help"], ["history", "--help"], ["review", "list", "--help"]])
def test_help_loads_no_command_only_module(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Usage" in done.stdout
    loaded = json.loads(done.stderr.splitlines()[-1])
    assert [m for m in loaded if m.startswith(DEFERRED)] == []
