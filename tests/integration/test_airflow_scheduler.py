"""The real thing: Airflow's scheduler (LocalExecutor), dag-processor and api-server on a fresh
PostgreSQL metadata database; optout_nightly is unpaused and triggered through the REST API,
runs to success, and the store holds the night's list. Bounded: every wait has a deadline and
the processes are stopped (and the database dropped) whatever happens."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from pipeline.channels import REGISTRY
from tests.conftest import ROOT, fresh_pg_database, pg_database_url
from tests.dags.night import SUPPRESSED, land_night

pytestmark = [pytest.mark.integration, pytest.mark.timeout(540)]
BIN = Path(sys.executable).parent
DAG_ID = "optout_nightly"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def metadata_db() -> Iterator[str]:
    """A fresh PostgreSQL database for Airflow's metadata, dropped afterwards."""
    with fresh_pg_database("airflow_it") as name:
        yield pg_database_url(name)


def airflow_env(home: Path, metadata_url: str, port: int, store_url: str, landing: Path, output: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPTOUT_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",  # the parts start `airflow` from PATH
        PYTHONPATH=str(ROOT),
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
        # psycopg 3 serves Airflow's async engine too (Airflow would otherwise want asyncpg).
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=metadata_url.replace("+psycopg:", "+psycopg_async:", 1),
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="2",  # two cores shared with other work
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        # Only the run the test triggers: no cron run for the latest interval on unpause.
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
        OPTOUT_DATABASE_URL=store_url,
        OPTOUT_LANDING=str(landing),
        OPTOUT_OUTPUT=str(output),
    )
    return env


class Airflow:
    """The three long-running parts, each in its own process group so it can be stopped whole."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def run(self, *args: str, timeout: float) -> None:
        out = subprocess.run([str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        assert out.returncode == 0, f"airflow {' '.join(args)}: {out.stderr[-3000:]}"

    def start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            [str(BIN / "airflow"), name, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"airflow {name} exited {proc.returncode}: {self.tail(name)}"

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def wait_for(what: str, probe: Callable[[], Any], timeout: float, airflow: Airflow, every: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow.check_alive()
        try:
            result = probe()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n--- scheduler ---\n{airflow.tail('scheduler')}"
                         f"\n--- dag-processor ---\n{airflow.tail('dag-processor')}")


def test_scheduler_runs_the_nightly_dag_to_success(metadata_db: str, pg_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    landing = land_night(tmp_path / "landing")
    port = free_port()
    home = tmp_path / "airflow_home"
    home.mkdir()
    airflow = Airflow(airflow_env(home, metadata_db, port, pg_url, landing, tmp_path / "out"), home)
    airflow.run("db", "migrate", timeout=240)
    airflow.run("pools", "set", "optout_publish", "1", "one list publish at a time", timeout=120)  # as deploy/airflow-setup.sh
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v2", timeout=10)
    try:
        airflow.start("api-server", "--port", str(port), "--host", "127.0.0.1")
        airflow.start("dag-processor")
        airflow.start("scheduler")
        wait_for("the api-server", lambda: api.get("/monitor/health").status_code == 200, 120, airflow)
        wait_for("optout_nightly to be parsed", lambda: api.get(f"/dags/{DAG_ID}").status_code == 200, 120, airflow)
        assert api.patch(f"/dags/{DAG_ID}", json={"is_paused": False}).status_code == 200
        run_id = f"it_{uuid.uuid4().hex[:8]}"
        created = api.post(f"/dags/{DAG_ID}/dagRuns", json={"dag_run_id": run_id, "logical_date": "2026-10-09T02:00:00Z"})
        assert created.status_code == 200, created.text

        def finished() -> str | None:
            state = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
            return state if state in ("success", "failed") else None

        state = wait_for("the DAG run to finish", finished, 300, airflow, every=3)
        tasks = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
        summary = {(t["task_id"], t["map_index"]): t["state"] for t in tasks}
        assert state == "success", f"{summary}\n{airflow.tail('scheduler')}"
        ingested = {t["rendered_map_index"] for t in tasks if t["task_id"] == "ingest"}
        assert ingested == set(REGISTRY)  # one mapped task per registered channel, named after it
        events = api.get("/assets/events", params={"source_dag_id": DAG_ID, "source_run_id": run_id}).json()["asset_events"]
    finally:
        api.close()
        airflow.stop()

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        addresses = set(conn.execute(sa.text("SELECT address FROM suppressions")).scalars())
        runs = conn.execute(sa.text("SELECT logical_date, status FROM pipeline_runs")).all()
        version = conn.execute(sa.text("SELECT version, digest, entries FROM list_versions ORDER BY version DESC")).first()
    engine.dispose()
    assert addresses == SUPPRESSED
    assert [(str(d), s) for d, s in runs] == [("2026-10-09", "success")]
    # The publish's Asset event names the list it announces; the night's data quality is in the output folder.
    assert [e["extra"] for e in events] == [{"list_version": version.version, "digest": version.digest, "entries": version.entries}]
    written = json.loads((tmp_path / "out" / "2026-10-09" / "data_quality.json").read_text())
    assert set(REGISTRY) <= set(written["results"])
    # Task logs show the tasks' own lines, not Great Expectations' registration chatter.
    ingest_logs = list((home / "logs").glob(f"dag_id={DAG_ID}/run_id={run_id}/task_id=ingest/*/attempt=1.log"))
    assert len(ingest_logs) == len(REGISTRY)
    assert not any("Skipping registering function" in log.read_text() for log in ingest_logs)
    print(f"real-scheduler run took {time.monotonic() - started:.0f}s")
