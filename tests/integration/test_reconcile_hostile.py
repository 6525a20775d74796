"""Every file of tests/hostile/reconcile/ through `optout reconcile`, as its README table says:
a result with the counts it lists, or one line naming the file and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.store.db import make_engine, migrate
from tests.hostile import readme_table
from tests.integration.audit_helpers import at, land_letters, run_at
from tests.integration.cli_runner import run_cli

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[1] / "hostile" / "reconcile"


CASES = readme_table(CORPUS)


def test_every_file_is_listed() -> None:
    listed = {c["file"] for c in CASES}
    assert listed == {p.name for p in CORPUS.iterdir() if p.name != "README.md"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("reconcile")
    url, landing = f"sqlite:///{root / 'optout.db'}", root / "landing"
    engine = make_engine(url)
    migrate(engine)
    rows = [("L1", "2026-10-09T09:00:00Z", "ann@example.com", ""), ("L2", "2026-10-09T09:00:00Z", "bob@example.org", "")]
    land_letters(landing, "2026-10-09", "a.csv", rows)
    run_at(engine, Settings(database_url=url, landing=landing), FixedClock(at("2026-10-10T02:00:00")), "2026-10-09", "2026-10-10T02:00:00")
    engine.dispose()
    return url, landing


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_hostile_export(case: dict[str, str], store: tuple[str, Path], tmp_path: Path, monkeypatch, capsys) -> None:
    url, landing = store
    monkeypatch.setenv("OPTOUT_DATABASE_URL", url)
    monkeypatch.setenv("OPTOUT_LANDING", str(landing))
    out = tmp_path / "out"
    path = CORPUS / case["file"]
    before = path.read_bytes()
    done = run_cli(
        monkeypatch, capsys, "--now", "2026-10-10T09:00:00Z", "reconcile", str(path), "--esp", case["esp"], "--json", "--output", str(out)
    )
    assert done.returncode == int(case["exit"]), done.stderr
    assert path.read_bytes() == before
    if case["exit"] == "2":
        assert len(done.errors) == 1 and case["file"] in done.stderr and "Traceback" not in done.stderr
        assert not out.exists()
        return
    result = json.loads(done.stdout)
    assert result["counts"]["both"] == int(case["both"])
    expected = [] if case["invalid"] == "-" else [int(n) for n in case["invalid"].split()]
    assert [i["line"] for i in result["invalid"]] == expected
    assert result["counts"]["ours_only"] == 2 - int(case["both"])
