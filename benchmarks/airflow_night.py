"""A seed night through a real Airflow scheduler, started the way `make airflow` starts it
(`deploy/airflow-env.sh airflow standalone`) on a temporary AIRFLOW_HOME, store, landing zone and
output folder with the seed night (BENCH_AIRFLOW_DATE, default 2026-10-08) landed. Triggers
optout_nightly for that logical date through the REST API, waits for the run to succeed, and
prints JSON: seconds from trigger to success, each task's duration, the machine's cores. Every
wait is bounded; everything started is stopped. Target: under 60 s."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DAG_ID = "optout_nightly"
TARGET_SECONDS = 60
START_TIMEOUT = 240.0  # standalone migrates a fresh metadata DB first
RUN_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def land_seed_night(landing: Path, day: str) -> None:
    """The seed exports of `day` and before (every channel's folder is named by date)."""
    for folder in sorted((ROOT / "seeds" / "landing").glob("*/*")):
        if folder.is_dir() and folder.name <= day:
            shutil.copytree(folder, landing / folder.parent.name / folder.name)


def wait_for(what: str, probe: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = probe()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop standalone and the parts it started (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def night(work: Path, day: str) -> dict[str, Any]:
    port = free_port()
    landing = work / "landing"
    land_seed_night(landing, day)
    # AIRFLOW__* settings of the caller pass through (to measure another configuration).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_HOME", "AIRFLOW_PORT", "OPTOUT_"))}
    env.update(
        AIRFLOW_HOME=str(work / "airflow_home"), AIRFLOW_PORT=str(port),
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # only the triggered date runs
        OPTOUT_DATABASE_URL=f"sqlite:///{work / 'optout.db'}", OPTOUT_LANDING=str(landing),
        OPTOUT_OUTPUT=str(work / "output"),
    )
    log = (work / "standalone.log").open("wb")
    subprocess.run([str(ROOT / "deploy" / "airflow-env.sh"), str(ROOT / "deploy" / "airflow-setup.sh")], cwd=work, env=env,
                   stdout=log, stderr=subprocess.STDOUT, check=True, timeout=START_TIMEOUT)
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "airflow-env.sh"), "airflow", "standalone"], cwd=work, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        started = time.monotonic()
        token = wait_for("the api-server", lambda: api.get("/auth/token").json().get("access_token"), START_TIMEOUT)
        api.headers["Authorization"] = f"Bearer {token}"
        wait_for(f"{DAG_ID} to be parsed", lambda: api.get(f"/api/v2/dags/{DAG_ID}").status_code == 200, START_TIMEOUT)
        ready = time.monotonic() - started
        api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
        run_id = f"bench_{day}"
        triggered = time.monotonic()
        api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"dag_run_id": run_id, "logical_date": f"{day}T02:00:00Z"}).raise_for_status()

        def finished() -> str | None:
            state = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
            return state if state in ("success", "failed") else None

        state = wait_for("the DAG run to finish", finished, RUN_TIMEOUT, every=0.25)
        seconds = time.monotonic() - triggered
        instances = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    finally:
        api.close()
        stop(process)
        log.close()
    if state != "success":
        raise SystemExit(f"{DAG_ID} {run_id} ended {state}; see the task logs under {work / 'airflow_home' / 'logs'}")
    tasks = {
        t["task_id"] + (f"[{t['rendered_map_index']}]" if t["map_index"] >= 0 else ""): round(t["duration"] or 0.0, 2)
        for t in sorted(instances, key=lambda t: (t["start_date"] or "", t["task_id"]))
    }
    return {
        "airflow_night_date": day, "airflow_night_seconds": round(seconds, 2),
        "airflow_night_target_seconds": TARGET_SECONDS, "airflow_startup_seconds": round(ready, 2),
        "airflow_task_seconds": tasks, "cores": os.cpu_count(),
        "parallelism": _setting(env, "AIRFLOW__CORE__PARALLELISM"),
    }


def _setting(env: dict[str, str], name: str) -> str:
    """A setting as deploy/airflow-env.sh resolves it for this environment."""
    out = subprocess.run([str(ROOT / "deploy" / "airflow-env.sh"), "printenv", name], env=env,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main() -> None:
    day = os.environ.get("BENCH_AIRFLOW_DATE", "2026-10-08")
    keep = os.environ.get("BENCH_AIRFLOW_KEEP")  # a folder to keep the run's files in, for reading the logs
    if keep:
        work = Path(keep)
        work.mkdir(parents=True, exist_ok=False)
        print(json.dumps(night(work, day)))
        return
    with tempfile.TemporaryDirectory(prefix="optout-airflow-") as tmp:
        print(json.dumps(night(Path(tmp), day)))


if __name__ == "__main__":
    main()
