"""Fixtures the command-line tests share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.test_cli import optout


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[str, Path]:
    """A store made with `optout init` and a landing zone holding the seeds."""
    landing = tmp_path / "landing"
    shutil.copytree(ROOT / "seeds" / "landing", landing)
    db = f"sqlite:///{tmp_path / 'optout.db'}"
    assert optout("init", db=db).returncode == 0
    return db, landing
