"""The Great Expectations gates: every suite loads whole, a hard failure quarantines a file
before anything of it is written, a soft one only warns, and the published-list suite sees
a list that shrank without lifts."""
from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.channels import REGISTRY
from pipeline.core.clock import SystemClock
from pipeline.intake.records import IntakeRecord, Outcome
from pipeline.orchestration import quality
from pipeline.orchestration import tasks as orchestration
from pipeline.orchestration.nightly import recorded_data_quality, start_run
from pipeline.store.db import make_engine
from pipeline.store.schema import ingested_files, intake_records, list_versions

pytestmark = pytest.mark.dags
# Every registered channel has a suite of the template's 11 expectations (tests/dags/test_suites.py).
EXPECTED = {**dict.fromkeys(REGISTRY, 11), "reconciliation": 3, "suppression_list": 8}


@pytest.mark.parametrize(("suite", "count"), sorted(EXPECTED.items()))
def test_suite_loads_every_expectation(suite: str, count: int) -> None:
    assert len(quality.read_suite(suite).expectations) == count


def test_every_suite_file_is_counted_and_every_channel_has_one() -> None:
    assert {p.stem for p in quality.SUITES.glob("*.json")} == set(EXPECTED)


def test_a_suite_gx_would_silently_shorten_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = json.loads(quality.suite_path("phone").read_text())
    spec["expectations"].append({"type": "expect_column_values_to_be_sorted_nicely", "kwargs": {"column": "reason"}})
    (tmp_path / "phone.json").write_text(json.dumps(spec))
    monkeypatch.setattr(quality, "SUITES", tmp_path)
    with pytest.raises(quality.SuiteError, match="loaded 11 of 12"):
        quality.read_suite("phone")


def record(ref: str, at: datetime, outcome: Outcome = Outcome.IGNORED, reason: str = "not_optout") -> IntakeRecord:
    return IntakeRecord("phone", ref, at, outcome, reason, {"call_id": ref}, "line 2")


def reader_of(records: list[IntakeRecord]):  # type: ignore[no-untyped-def]
    return lambda path, ctx: iter(records)


@pytest.fixture
def run_id(night_env: dict[str, Path]) -> int:
    engine = make_engine(f"sqlite:///{night_env['store']}")
    rid = start_run(engine, datetime(2026, 10, 9).date(), SystemClock())
    engine.dispose()
    return rid


def test_hard_failure_quarantines_the_file_with_the_gx_result(
    night_env: dict[str, Path], run_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    future = datetime(2031, 1, 1, tzinfo=UTC)  # a reader that skipped the request-time sanity rules
    bad = [record("C-1", datetime(2026, 10, 8, tzinfo=UTC)), record("C-2", future)]
    monkeypatch.setitem(REGISTRY, "phone", dataclasses.replace(REGISTRY["phone"], read=reader_of(bad)))

    result = orchestration.ingest(run_id, "phone")

    assert [Path(q["path"]).name for q in result["quarantined"]] == ["calls.csv"]
    assert "expect_column_values_to_be_between(requested_at)" in result["quarantined"][0]["error"]
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(intake_records)).scalar_one() == 0
        assert conn.execute(sa.select(ingested_files.c.records)).scalar_one() == 0
    found = recorded_data_quality(engine, run_id)["phone"]["files"][0]
    assert found["success"] is False and found["failures"][0]["column"] == "requested_at"
    with pytest.raises(orchestration.RunFailedError, match="quarantined"):
        orchestration.finish(run_id)


def test_soft_failure_warns_and_loads(night_env: dict[str, Path], run_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2026, 10, 8, tzinfo=UTC)
    repeated = [record("C-1", at), record("C-1", at), record("C-2", at)]
    monkeypatch.setitem(REGISTRY, "phone", dataclasses.replace(REGISTRY["phone"], read=reader_of(repeated)))

    result = orchestration.ingest(run_id, "phone")

    assert result["quarantined"] == [] and result["counts"]["duplicate"] == 1 and result["reconciled"] is True
    engine = make_engine(f"sqlite:///{night_env['store']}")
    files = recorded_data_quality(engine, run_id)["phone"]["files"]
    assert files[0]["success"] is True
    assert [w["expectation"] for w in files[0]["warnings"]] == ["expect_column_values_to_be_unique"]


def test_published_list_that_shrank_without_lifts_fails(night_env: dict[str, Path], run_id: int) -> None:
    for channel in REGISTRY:
        orchestration.ingest(run_id, channel)
    assert orchestration.publish_list(run_id)["entries"] == 5
    assert orchestration.validate_published_list(run_id)["success"] is True
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.begin() as conn:  # tamper: a second version that claims more than the table holds
        conn.execute(list_versions.insert().values(
            version=2, published_at=datetime.now(UTC), run_id=run_id, entries=7, added=2, lifted=0, digest="x" * 64,
            last_event_id=999,
        ))
    with pytest.raises(orchestration.RunFailedError, match="expect_table_row_count"):
        orchestration.validate_published_list(run_id)
    with pytest.raises(orchestration.RunFailedError, match="suppression_list"):
        orchestration.finish(run_id)


def test_reconciliation_suite_catches_a_lost_record() -> None:
    import pandas as pd

    frame = pd.DataFrame({"records": [3], "outcomes": [3], "decided": [3], "stored": [2], "duplicate": [0]})
    result = quality.validate(quality.RECONCILIATION_SUITE, frame, "test")
    assert [f.expectation for f in result.failures] == ["expect_column_pair_values_to_be_equal"]


def test_an_expectation_gx_cannot_evaluate_is_an_error_not_a_verdict() -> None:
    import pandas as pd

    frame = pd.DataFrame({"records": [3], "outcomes": [3], "decided": [3]})  # no "stored" column
    with pytest.raises(quality.SuiteError, match="could not be evaluated"):
        quality.validate(quality.RECONCILIATION_SUITE, frame, "test")


def test_a_channel_without_its_suite_fails_before_loading(
    night_env: dict[str, Path], run_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quality, "SUITES", tmp_path / "empty")
    with pytest.raises(orchestration.RunFailedError, match="no expectation suite"):
        orchestration.ingest(run_id, "postal_mail")
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ingested_files)).scalar_one() == 0


@pytest.mark.filterwarnings("error::FutureWarning", "error::DeprecationWarning", "error::pandas.errors.PandasChangeWarning")
def test_every_suite_runs_with_pandas_deprecations_as_errors(night_env: dict[str, Path], run_id: int) -> None:
    """Each channel's suite, the reconciliation suite and the list suite evaluated on a real
    night, with any deprecation pandas (or GX through it) raises turned into an error: a pandas
    upgrade that would change a gate's meaning fails here first."""
    for channel in REGISTRY:
        result = orchestration.ingest(run_id, channel)
        assert result["quarantined"] == [], result
    assert orchestration.publish_list(run_id)["entries"] == 5
    assert orchestration.validate_published_list(run_id)["success"] is True
    engine = make_engine(f"sqlite:///{night_env['store']}")
    checked = recorded_data_quality(engine, run_id)
    assert {"phone", "cancellation", "preference_center", "postal_mail"} <= set(checked)


QUIET_PROBE = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(levelname)s %(message)s")
from pipeline.orchestration import quality
quality._context()
"""


def test_great_expectations_logs_nothing_below_warning_in_a_task() -> None:
    """A task's log at INFO (Airflow's level) holds no GX chatter from importing GX and making
    its context: before this, some 200 of an ingest task's 227 lines were GX's own."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", QUIET_PROBE], capture_output=True, text=True, cwd=root, timeout=120, check=True)
    gx_lines = [line for line in done.stdout.splitlines() if line.startswith("great_expectations") and " INFO " in line]
    assert gx_lines == []


def test_list_frame_equals_the_table_read_row_by_row(engine: sa.Engine) -> None:
    """The column-wise frame the list suite reads holds what the ORM reads, on both stores: erased
    entries (no key or address), a time with no microseconds, one given in another zone."""
    from datetime import timedelta, timezone

    import pandas as pd

    from pipeline.store.db import migrate
    from pipeline.store.schema import suppressions

    migrate(engine)
    base = datetime(2026, 10, 11, 2, 0, tzinfo=UTC)
    rows = [
        {"key_hash": f"{i:064x}", "match_key": None if i == 2 else f"u{i}@example.com",
         "address": None if i == 2 else f"U{i}@example.com", "scope": "all" if i == 1 else "marketing",
         "first_requested_at": base + timedelta(microseconds=i * 7),
         "last_requested_at": base, "channels": "manual",
         "effective_at": (base + timedelta(hours=i)).astimezone(timezone(timedelta(hours=-5))),
         "list_version": i + 1}
        for i in range(4)
    ]
    with engine.begin() as conn:
        conn.execute(suppressions.insert(), rows)
    with engine.connect() as conn:
        frame = quality.list_frame(conn)
        s = suppressions.c
        stored = conn.execute(sa.select(*(s[name] for name in quality.LIST_COLUMNS)).order_by(s.key_hash)).all()
    assert list(frame.columns) == list(quality.LIST_COLUMNS) and len(frame) == 4
    frame = frame.sort_values("key_hash").reset_index(drop=True)
    for i, row in enumerate(stored):
        for name, value in zip(quality.LIST_COLUMNS, row, strict=True):
            got = frame.at[i, name]
            if name.endswith("_at"):
                assert got == pd.Timestamp(value.astimezone(UTC).replace(tzinfo=None)), (name, i)
            elif value is None:
                assert pd.isna(got), (name, i)
            else:
                assert got == value, (name, i)
    empty = sa.create_engine("sqlite://")
    from pipeline.store.schema import metadata

    metadata.create_all(empty)
    with empty.connect() as conn:
        nothing = quality.list_frame(conn)
    assert list(nothing.columns) == list(quality.LIST_COLUMNS) and len(nothing) == 0


def test_a_validation_does_not_fingerprint_the_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """GX's whole-frame fingerprint (12 s of a 2,000,000-entry list) is switched off."""
    import pandas as pd
    from great_expectations.execution_engine import pandas_execution_engine

    def refuse(_frame: object) -> str:
        raise AssertionError("the frame was fingerprinted")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    frame = pd.DataFrame({"records": [3], "outcomes": [3], "decided": [3], "stored": [3], "duplicate": [0]})
    result = quality.validate(quality.RECONCILIATION_SUITE, frame, "test")
    assert result.evaluated == 3 and result.success
