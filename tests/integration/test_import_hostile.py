"""Every file of tests/hostile/import/ through `optout import`, as its README table says: the
counts it lists and exactly its addresses suppressed, or one line naming the file and nothing
imported."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.store.db import make_engine, migrate
from pipeline.store.schema import ingested_files, intake_records, optout_events, suppressions
from tests.hostile import readme_table
from tests.integration.cli_runner import Done, run_cli

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[1] / "hostile" / "import"
NOT_CASES = {"README.md", "generate.py"}
NOW = datetime(2026, 10, 11, 9, 0, tzinfo=UTC)
SUMMARY = re.compile(r": (\d+) rows, (\d+) opt-outs imported, (\d+) invalid, (\d+) duplicates, (\d+) unreadable dates")


CASES = readme_table(CORPUS)


def test_every_file_is_listed() -> None:
    listed = [c["file"] for c in CASES]
    assert sorted(listed) == sorted(p.name for p in CORPUS.iterdir() if p.name not in NOT_CASES)


def test_the_symlink_is_one() -> None:
    assert (CORPUS / "symlink.csv").is_symlink() and (CORPUS / "symlink.csv").resolve() == CORPUS / "bom_crlf.csv"


def _numbers(cell: str) -> list[int]:
    return [] if cell in ("-", "") else [int(n) for n in cell.split()]


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class Store:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.url, self.landing = f"sqlite:///{root / 'optout.db'}", root / "landing"
        self.engine = make_engine(self.url)
        migrate(self.engine)
        monkeypatch.setenv("OPTOUT_DATABASE_URL", self.url)
        monkeypatch.setenv("OPTOUT_LANDING", str(self.landing))
        self.monkeypatch, self.capsys = monkeypatch, capsys

    def cli(self, *args: str) -> Done:
        return run_cli(self.monkeypatch, self.capsys, "--now", "2026-10-11T09:00:00Z", *args)

    def count(self, table: sa.Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def evidence(self) -> list[Path]:
        folder = self.landing / "imports"
        return sorted(folder.iterdir()) if folder.exists() else []

    def assert_nothing_imported(self) -> None:
        assert self.count(ingested_files) == self.count(intake_records) == self.count(optout_events) == 0
        assert self.count(suppressions) == 0
        assert self.evidence() == []


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    s = Store(tmp_path, monkeypatch, capsys)
    yield s
    s.engine.dispose()


def _lines(stdout: str, pattern: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(pattern, stdout)]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_hostile_list(case: dict[str, str], store: Store) -> None:
    path = CORPUS / case["file"]
    before = path.read_bytes()
    args = [] if case["args"] == "-" else shlex.split(case["args"])
    done = store.cli("import", str(path), "--source", "hostile corpus", *args)
    assert done.returncode == int(case["exit"]), done.stdout + done.stderr
    assert path.read_bytes() == before
    if case["exit"] == "2":
        assert len(done.errors) == 1 and case["file"] in done.stderr and "Traceback" not in done.stderr
        assert case["stderr"] in done.stderr, done.stderr
        store.assert_nothing_imported()
        return
    summary = SUMMARY.search(done.stdout)
    assert summary is not None, done.stdout
    rows, imported, invalid, dupes, bad = map(int, summary.groups())
    assert imported == int(case["imported"]) and rows == imported + invalid + dupes
    assert _lines(done.stdout, r"line (\d+): invalid address") == _numbers(case["invalid"])
    assert invalid == len(_numbers(case["invalid"]))
    dup_line = re.search(r"duplicate addresses on lines ([\d, ]+)", done.stdout)
    assert (_numbers(dup_line.group(1).replace(",", "")) if dup_line else []) == _numbers(case["dupes"])
    assert _lines(done.stdout, r"line (\d+): unreadable request time") == _numbers(case["bad_dates"])
    assert bad == len(_numbers(case["bad_dates"]))
    expected = [] if case["suppressed"] == "-" else case["suppressed"].split()
    assert len(expected) == imported
    assert store.count(optout_events) == store.count(intake_records) == imported
    with store.engine.connect() as conn:
        keys = set(conn.execute(sa.select(suppressions.c.match_key)).scalars())
        records = {r.locator: _utc(r.requested_at) for r in conn.execute(sa.select(intake_records))}
        stored = conn.execute(sa.select(ingested_files.c.path)).scalar_one()
    assert keys == {a.lower() for a in expected}
    assert Path(stored).read_bytes() == before and not Path(stored).is_symlink()
    assert all(at <= NOW for at in records.values())
    assert all(records[f"line {n}"] == NOW for n in _numbers(case["bad_dates"]))
    if case["bad_dates"] != "-":
        assert any(at < NOW for at in records.values())  # the readable times were kept
    for address in expected:
        looked = store.cli("lookup", address)
        assert looked.returncode == 0 and "SUPPRESSED" in looked.stdout, (address, looked.stdout)


def test_a_folder_is_refused(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "list.csv"
    folder.mkdir()
    done = store.cli("import", str(folder), "--source", "hostile corpus")
    assert done.returncode == 2 and len(done.errors) == 1 and "list.csv: a folder, not a file" in done.stderr
    store.assert_nothing_imported()


@pytest.mark.parametrize("option", ["--column", "--requested-at-column"])
def test_a_column_the_file_does_not_have(store: Store, option: str) -> None:
    done = store.cli("import", str(CORPUS / "bom_crlf.csv"), "--source", "hostile corpus", option, "Nope")
    assert done.returncode == 2 and len(done.errors) == 1 and "no column named 'Nope'" in done.stderr
    store.assert_nothing_imported()


def test_the_same_list_twice_is_one_import(store: Store) -> None:
    first = store.cli("import", str(CORPUS / "bom_crlf.csv"), "--source", "hostile corpus")
    again = store.cli("import", str(CORPUS / "symlink.csv"), "--source", "hostile corpus")
    assert first.returncode == again.returncode == 0 and "already imported" in again.stdout
    assert store.count(optout_events) == 2 and len(store.evidence()) == 1
