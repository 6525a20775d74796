"""`dag.test()` runs of optout_nightly over a small landing zone: the DAG publishes the same
list as `optout run`; a corrupt channel file is quarantined while the other channels load,
the run ends failed and the alert reaches a local SMTP server."""
from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from night import CORRUPT_PHONE, DAGS, SUPPRESSED, write

from pipeline.clock import SystemClock
from pipeline.config import Settings
from pipeline.runner import run_nightly
from pipeline.store.db import make_engine, migrate
from pipeline.store.schema import ingested_files, list_versions, pipeline_runs, suppressions
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.dags
NIGHT = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)


def load_dag(dag_id: str):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags[dag_id]


def store_state(store: Path) -> tuple[set[tuple[str, str]], str]:
    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as conn:
        entries = {(r.address, r.scope) for r in conn.execute(sa.select(suppressions.c.address, suppressions.c.scope))}
        digest = conn.execute(sa.select(list_versions.c.digest).order_by(list_versions.c.version.desc())).scalars().first()
    engine.dispose()
    return entries, digest


def states(dag_run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f"{ti.task_id}[{ti.map_index}]" if ti.map_index >= 0 else ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def test_nightly_dag_publishes_what_optout_run_publishes(airflow_db: Path, night_env: dict[str, Path], tmp_path: Path) -> None:
    dag_run = load_dag("optout_nightly").test(logical_date=NIGHT)

    assert dag_run.state == "success", states(dag_run)
    entries, digest = store_state(night_env["store"])
    assert {address for address, _ in entries} == SUPPRESSED

    # The same landing zone through `optout run`'s function, into a store of its own.
    landing = shutil.copytree(night_env["landing"], tmp_path / "cli-landing")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}", landing=landing)
    engine = make_engine(settings.database_url)
    migrate(engine)
    assert run_nightly(engine, settings, date(2026, 10, 9), SystemClock()).status == "success"
    engine.dispose()
    assert store_state(tmp_path / "cli.db") == (entries, digest)

    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        run = conn.execute(sa.select(pipeline_runs)).one()
    assert run.status == "success" and run.logical_date == date(2026, 10, 9)
    assert {"phone", "cancellation", "preference_center", "postal_mail", "suppression_list"} <= set(run.data_quality)
    assert run.data_quality["suppression_list"]["success"] is True
    out = night_env["output"] / "2026-10-09"
    assert (out / "export" / "suppression_list.csv").read_text().count("\n") == 1 + len(SUPPRESSED)
    assert (out / "compliance_report.json").is_file()


def test_corrupt_channel_file_fails_the_run_alerts_and_spares_the_others(
    airflow_db: Path, night_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(night_env["landing"], "phone", "2026-10-09", "broken.csv", CORRUPT_PHONE)
    sink = SmtpSink().start()
    try:
        monkeypatch.setenv("OPTOUT_ALERT_TO", "privacy-ops@example.com")
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", f"smtp://127.0.0.1:{sink.port}/?disable_tls=true&disable_ssl=true&timeout=10")
        dag_run = load_dag("optout_nightly").test(logical_date=NIGHT)
    finally:
        sink.stop()

    assert dag_run.state == "failed"
    task_states = states(dag_run)
    assert task_states["watch"] == "failed"
    assert task_states["publish"] == "success"
    entries, _ = store_state(night_env["store"])
    assert {address for address, _ in entries} == SUPPRESSED  # every other file, and phone's good one, loaded
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        quarantined = conn.execute(sa.select(ingested_files.c.path, ingested_files.c.quarantine_error).where(
            ingested_files.c.quarantine_error.is_not(None))).all()
        run = conn.execute(sa.select(pipeline_runs)).one()
    assert [Path(p).name for p, _ in quarantined] == ["broken.csv"]
    assert run.status == "failed" and "broken.csv" in run.error

    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert sink.envelopes[0][1] == ["privacy-ops@example.com"]
    assert "optout" in message["Subject"] and "failed" in message["Subject"]
