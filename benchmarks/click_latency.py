"""Click to enforced, through a real Airflow scheduler: on a fresh store (one published list),
AIRFLOW_HOME and landing zone, `airflow standalone` is started as `make airflow` starts it
(`deploy/airflow-env.sh`, as benchmarks/airflow_night.py does) and `optout serve --only public`
with OPTOUT_SEGMENT_SECONDS and OPTOUT_AIRFLOW_API_URL pointing at it. One one-click unsubscribe
is posted for clicked@example.com; then, every second, `optout check` of a two-row list
(clicked@example.com, kept@example.com) until the clicked address is removed. Prints JSON: seconds
from the click to the first check that removed it, the optout_intraday runs, cores, load average.
The path measured is the segment close, the server's trigger, the run and the check: the
scheduler makes no cron runs (AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False unless the caller sets
it). Target: within 15 minutes (the DAG's schedule); the trigger should make it about a minute.
Every wait is bounded; everything started is stopped."""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import httpx

from benchmarks.airflow_night import ROOT, START_TIMEOUT, free_port, stop, wait_for

DAG_ID = "optout_intraday"
TARGET_SECONDS = 900  # enforced within 15 minutes of the click
ENFORCE_TIMEOUT = 1200.0
OPTOUT = [sys.executable, "-c", "from pipeline.cli import main; main()"]
CLICKED, KEPT = "clicked@example.com", "kept@example.com"


class Stack:
    """The processes started, stopped in reverse order whatever happens."""

    def __init__(self, work: Path) -> None:
        self.work, self.exits = work, ExitStack()

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log: IO[bytes] = self.exits.enter_context((self.work / f"{name}.log").open("wb"))
        process = subprocess.Popen(command, cwd=self.work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # its own process group: `stop` ends it whole
        self.exits.callback(ended, process)
        return process

    def close(self) -> None:
        self.exits.close()


def ended(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """`stop`, then wait until the group's other processes (standalone's parts) are gone too."""
    stop(process)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            os.killpg(process.pid, 0)  # ProcessLookupError once no process of the group is left
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def alive(process: subprocess.Popen[bytes], name: str, log: Path, probe: Callable[[], Any]) -> Callable[[], Any]:
    """`probe`, failing at once (not at the wait's deadline) when `process` has ended."""

    def probed() -> Any:
        if process.poll() is not None:
            raise SystemExit(f"{name} ended with exit code {process.returncode}; see {log}")
        return probe()

    return probed


def optout(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OPTOUT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def environments(work: Path, airflow_port: int, segment_seconds: float) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The store's (CLI and check), Airflow's and the server's: the same store and landing zone."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_HOME", "AIRFLOW_PORT", "OPTOUT_"))}
    base.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}",  # standalone starts `airflow` from PATH
        PYTHONPATH=str(ROOT), OPTOUT_DATABASE_URL=f"sqlite:///{work / 'optout.db'}",
        OPTOUT_LANDING=str(work / "landing"), OPTOUT_OUTPUT=str(work / "output"),
    )
    airflow = {**base, "AIRFLOW_HOME": str(work / "airflow_home"), "AIRFLOW_PORT": str(airflow_port)}
    # Only the runs the server asks for, unless the caller says otherwise: the trigger is measured, not the cron.
    airflow.setdefault("AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE", "False")
    serve = {**base, "OPTOUT_SEGMENT_SECONDS": f"{segment_seconds:g}",
             "OPTOUT_AIRFLOW_API_URL": f"http://127.0.0.1:{airflow_port}"}
    return base, airflow, serve


def checked(env: dict[str, str], work: Path, recipients: Path) -> tuple[bool, dict[str, Any]]:
    """One `optout check` of the two rows: (is clicked@example.com removed, the check's JSON)."""
    out, removed = work / "out.csv", work / "removed.csv"
    done = optout(env, "check", str(recipients), "--output", str(out), "--removed", str(removed), "--json")
    if done.returncode != 0:
        return False, {"exit_code": done.returncode, "stderr": done.stderr.strip()[-500:]}
    with removed.open(newline="", encoding="utf-8") as f:
        gone = {row["email"] for row in csv.DictReader(f)}
    with out.open(newline="", encoding="utf-8") as f:
        kept = {row["email"] for row in csv.DictReader(f)}
    if KEPT not in kept:
        raise SystemExit(f"{KEPT} was removed by the check, but no one opted it out: {done.stdout}")
    return CLICKED in gone, json.loads(done.stdout)


def poll_until_enforced(env: dict[str, str], work: Path, recipients: Path, clicked_at: float,
                        timeout: float) -> tuple[float, dict[str, Any], int]:
    """Seconds from the click to the end of the first check that removed the address."""
    checks, last = 0, dict[str, Any]()
    while time.monotonic() - clicked_at < timeout:
        started = time.monotonic()
        removed, last = checked(env, work, recipients)
        checks += 1
        if removed:
            return time.monotonic() - clicked_at, last, checks
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    raise TimeoutError(f"{CLICKED} was still not removed {timeout:.0f} s after the click ({checks} checks; the last: {last})")


def measure(work: Path, segment_seconds: float, timeout: float) -> dict[str, Any]:
    load = os.getloadavg()
    airflow_port, serve_port = free_port(), free_port()
    store, airflow_env, serve_env = environments(work, airflow_port, segment_seconds)
    for args in (["init"], ["add", "someone@example.com", "--channel", "manual", "--ref", "bench"]):
        done = optout(store, *args)
        if done.returncode != 0:
            raise SystemExit(f"optout {' '.join(args)} failed: {done.stderr}")
    recipients = work / "recipients.csv"
    recipients.write_text(f"email\n{CLICKED}\n{KEPT}\n", encoding="utf-8")
    if checked(store, work, recipients)[0]:
        raise SystemExit(f"{CLICKED} is removed before the click")
    with (work / "setup.log").open("wb") as log:
        subprocess.run([str(ROOT / "deploy" / "airflow-env.sh"), str(ROOT / "deploy" / "airflow-setup.sh")], cwd=work,
                       env=airflow_env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=START_TIMEOUT)
    stack = Stack(work)
    api = httpx.Client(base_url=f"http://127.0.0.1:{airflow_port}", timeout=10)
    try:
        airflow = stack.start("standalone", [str(ROOT / "deploy" / "airflow-env.sh"), "airflow", "standalone"], airflow_env)
        standalone_log = work / "standalone.log"
        token = wait_for("the api-server", alive(airflow, "airflow standalone", standalone_log,
                                                 lambda: api.get("/auth/token").json().get("access_token")), START_TIMEOUT)
        api.headers["Authorization"] = f"Bearer {token}"
        dag = wait_for(f"{DAG_ID} to be parsed", alive(airflow, "airflow standalone", standalone_log,
                                                       lambda: _dag(api)), START_TIMEOUT)
        if dag["is_paused"]:
            raise SystemExit(f"{DAG_ID} is paused after it was deployed: no run would start")
        server = stack.start("serve", [*OPTOUT, "serve", "--only", "public", "--port", str(serve_port)], serve_env)
        wait_for("optout serve to listen", alive(server, "optout serve", work / "serve.log", lambda: listening(serve_port)), 60)
        link = f"http://127.0.0.1:{serve_port}/u/{optout(store, 'token', 'mint', CLICKED).stdout.strip()}"
        clicked_at = time.monotonic()
        answer = httpx.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        if answer.status_code != 200:
            raise SystemExit(f"the one-click POST answered {answer.status_code}")
        seconds, result, checks = poll_until_enforced(store, work, recipients, clicked_at, timeout)
        runs = sorted(api.get(f"/api/v2/dags/{DAG_ID}/dagRuns").json()["dag_runs"], key=lambda r: r["run_after"] or "")
    finally:
        api.close()
        stack.close()
    return {
        "click_to_enforced_seconds": round(seconds, 2), "segment_seconds": segment_seconds,
        "dag_run_ids": [r["dag_run_id"] for r in runs], "list_version": result.get("list_version"),
        "checks": checks, "cores": os.cpu_count(), "load_average": [round(x, 2) for x in load],
        "target_seconds": TARGET_SECONDS,
    }


def _dag(api: httpx.Client) -> dict[str, Any] | None:
    answer = api.get(f"/api/v2/dags/{DAG_ID}")
    return answer.json() if answer.status_code == 200 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segment-seconds", type=float, default=5.0, help="OPTOUT_SEGMENT_SECONDS of the server (default 5)")
    parser.add_argument("--timeout", type=float, default=ENFORCE_TIMEOUT, help="seconds after the click before giving up")
    parser.add_argument("--keep", type=Path, help="a new folder to keep the run's files and logs in")
    args = parser.parse_args()
    with ExitStack() as cleanup:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=False)
            work = args.keep
        else:
            work = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="optout-click-")))
        try:
            print(json.dumps(measure(work, args.segment_seconds, args.timeout)))
        except (TimeoutError, SystemExit) as exc:
            message = exc.code if isinstance(exc, SystemExit) else str(exc)
            if not isinstance(message, str):
                raise
            raise SystemExit(f"click_latency: {message}" + ("" if args.keep else " (run with --keep DIR to keep the logs)")) from None


if __name__ == "__main__":
    main()
