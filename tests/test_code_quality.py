"""The habits STYLE.md asks for, enforced in `make test` (and so in CI): ruff over the code,
Airflow's AIR3 rules over dags/, and mypy over the package."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "pipeline", "dags", "tests", "seeds", "benchmarks"],
        ["ruff", "check", "--select", "AIR3", "dags"],
        ["mypy", "pipeline"],
    ],
    ids=["ruff", "ruff-AIR3", "mypy"],
)
def test_clean(command: list[str]) -> None:
    result = run(str(BIN / command[0]), *command[1:])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
