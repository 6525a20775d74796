"""`dag.test()` runs of optout_nightly over a small landing zone: the DAG publishes the same
list as `optout run`; a corrupt channel file is quarantined while the other channels load,
the run ends failed and the alert reaches a local SMTP server."""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pipeline.core.clock import SystemClock
from pipeline.core.config import Settings
from pipeline.orchestration.demo import deliver, nights
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import make_engine, migrate
from pipeline.store.schema import ingested_files, list_versions, pipeline_runs, suppressions
from tests.dags.conftest import load_dags
from tests.dags.night import CORRUPT_PHONE, SUPPRESSED, write
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.dags
NIGHT = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def load_dag(dag_id: str) -> Any:
    return load_dags().dags[dag_id]


def store_state(store: Path) -> tuple[set[tuple[str, str, str]], str]:
    """The published list: (match key, scope, channels) of every entry, and the version digest.
    (Which spelling of an address is shown depends on which channel's event came first, and
    channel tasks run in parallel, so the comparison is on match keys.)"""
    engine = make_engine(f"sqlite:///{store}")
    s = suppressions.c
    with engine.connect() as conn:
        entries = {(r.match_key, r.scope, r.channels) for r in conn.execute(sa.select(s.match_key, s.scope, s.channels))}
        digest = conn.execute(sa.select(list_versions.c.digest).order_by(list_versions.c.version.desc())).scalars().first()
    engine.dispose()
    return entries, digest


def suppressed_keys(store: Path) -> set[str]:
    return {key for key, _, _ in store_state(store)[0]}


def states(dag_run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f"{ti.task_id}[{ti.map_index}]" if ti.map_index >= 0 else ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def test_nightly_dag_over_the_seeds_publishes_what_optout_run_publishes(
    airflow_db: Path, night_env: dict[str, Path], tmp_path: Path
) -> None:
    """Night by night over seeds/ (late files arrive late), the DAG's store and `optout run`'s
    store publish the same list."""
    landing = tmp_path / "seed-landing"
    os.environ["OPTOUT_LANDING"] = str(landing)  # monkeypatched by night_env: restored afterwards
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}", landing=landing)
    cli = make_engine(settings.database_url)
    migrate(cli)
    late = json.loads((SEEDS / "late.json").read_text())
    dag = load_dag("optout_nightly")
    run_ids = []
    for night in nights(SEEDS):
        deliver(SEEDS, landing, night, late)
        dag_run = dag.test(logical_date=datetime.combine(night, time(2), tzinfo=UTC))
        assert dag_run.state == "success", states(dag_run)
        run_ids.append(dag_run.run_id)
        assert run_nightly(cli, settings, night, SystemClock()).status == "success"
        assert store_state(night_env["store"]) == store_state(tmp_path / "cli.db"), night
    cli.dispose()

    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        runs = conn.execute(sa.select(pipeline_runs).order_by(pipeline_runs.c.logical_date)).all()
    assert [(r.logical_date, r.status) for r in runs] == [(n, "success") for n in nights(SEEDS)]
    assert {"phone", "cancellation", "preference_center", "postal_mail", "suppression_list"} <= set(runs[-1].data_quality)
    assert runs[-1].data_quality["suppression_list"]["success"] is True
    entries, _ = store_state(night_env["store"])
    out = night_env["output"] / nights(SEEDS)[-1].isoformat()
    manifest = json.loads((out / "export" / "manifest.json").read_text())
    assert manifest["rows"] == len(entries) and manifest["list_digest"] == store_state(night_env["store"])[1]
    assert (out / "export_hashed" / "suppression_list.hashed.csv").is_file()
    day = nights(SEEDS)[-1].isoformat()
    assert json.loads((out / f"compliance_{day}.json").read_text())["date"] == day
    written = json.loads((out / "data_quality.json").read_text())
    assert written == {"logical_date": day, "results": runs[-1].data_quality}

    # Each publish announced its list on the Asset: version, digest and size, newest last.
    events = suppression_list_events(run_ids)
    assert len(events) == len(nights(SEEDS))
    with engine.connect() as conn:
        versions = conn.execute(sa.select(list_versions).order_by(list_versions.c.version)).all()
    assert events == [{"list_version": v.version, "digest": v.digest, "entries": v.entries} for v in versions]
    engine.dispose()


def suppression_list_events(run_ids: list[str]) -> list[dict[str, Any]]:
    """The `extra` of the `optout://suppression_list` Asset events these DAG runs emitted, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = (
            sa.select(AssetEvent.extra).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.name == "optout://suppression_list", AssetEvent.source_run_id.in_(run_ids))
            .order_by(AssetEvent.timestamp)
        )
        return [dict(extra) for extra in session.scalars(query)]


def test_corrupt_channel_file_fails_the_run_alerts_and_spares_the_others(
    airflow_db: Path, night_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(night_env["landing"], "phone", "2026-10-09", "broken.csv", CORRUPT_PHONE)
    sink = SmtpSink().start()
    try:
        dag = load_dag("optout_nightly")  # parsed before the recipients are set: they are read on failure
        monkeypatch.setenv("OPTOUT_ALERT_TO", "privacy-ops@example.com")
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", f"smtp://127.0.0.1:{sink.port}/?disable_tls=true&disable_ssl=true&timeout=10")
        dag_run = dag.test(logical_date=NIGHT)
    finally:
        sink.stop()

    assert dag_run.state == "failed"
    task_states = states(dag_run)
    assert task_states["watch"] == "failed"
    assert task_states["publish"] == "success"
    assert suppressed_keys(night_env["store"]) == SUPPRESSED  # every other file, and phone's good one, loaded
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        quarantined = conn.execute(sa.select(ingested_files.c.path, ingested_files.c.quarantine_error).where(
            ingested_files.c.quarantine_error.is_not(None))).all()
        run = conn.execute(sa.select(pipeline_runs)).one()
    assert [Path(p).name for p, _ in quarantined] == ["broken.csv"]
    assert run.status == "failed" and "broken.csv" in run.error
    written = json.loads((night_env["output"] / NIGHT.date().isoformat() / "data_quality.json").read_text())
    assert written["results"] == run.data_quality and "phone" in written["results"]  # a failed run's results are written too

    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert sink.envelopes[0][1] == ["privacy-ops@example.com"]
    assert "optout" in message["Subject"] and "failed" in message["Subject"]
    body = "".join(str(part.get_payload(decode=True), "utf-8") for part in message.walk() if part.get_content_type() == "text/html")
    assert "broken.csv" in body and "quarantined" in body  # the run's problems, in the e-mail
