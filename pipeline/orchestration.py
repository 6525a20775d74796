"""The functions Airflow tasks call (dags/): each builds the settings and the store from
`pipeline.config` (or an Airflow connection), calls the runner, and returns a small dict for
XCom. Failures that retrying cannot fix are raised as Airflow's fail-fast exception."""
from __future__ import annotations

import csv
import json
import logging
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.clock import SystemClock
from pipeline.config import Settings, load_settings
from pipeline.errors import OptoutError, StaleListError
from pipeline.store.db import make_engine, migrate, read_tx

log = logging.getLogger(__name__)
LIST_STEP = "suppression_list"


class RunFailedError(OptoutError):
    """The nightly run ended failed: a channel failed, a file was quarantined, or a hard
    data-quality expectation failed."""


@cache
def _fail_class() -> type[Exception]:
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # called outside Airflow (scripts)
        return RunFailedError
    return type("RunFailed", (AirflowFailException, RunFailedError), {})


def fail_fast(message: str) -> Exception:
    """A RunFailedError that Airflow, when present, fails without retrying."""
    return _fail_class()(message)


def skip(message: str) -> Exception:
    try:
        from airflow.sdk.exceptions import AirflowSkipException
    except ImportError:
        return OptoutError(message)
    return AirflowSkipException(message)


def load(conn_id: str | None = None) -> Settings:
    """Settings from the environment; the store URL from an Airflow connection when one is named."""
    settings = load_settings()
    conn_id = conn_id or settings.store_conn_id
    if not conn_id:
        return settings
    from airflow.sdk import Connection

    return settings.with_overrides(database_url=Connection.get(conn_id).get_uri())


def store(settings: Settings) -> sa.Engine:
    return make_engine(settings.database_url)


def begin_run(logical_date: str) -> int:
    """Create or migrate the store, then open (or re-open) the run of the logical date."""
    from pipeline.runner import start_run

    settings = load()
    engine = store(settings)
    migrate(engine)
    return start_run(engine, date.fromisoformat(logical_date), SystemClock())


def channel_names() -> list[str]:
    """The registered channels: the DAG maps one ingest task over them."""
    from pipeline.channels import REGISTRY

    return list(REGISTRY)


def ingest(run_id: int, channel: str) -> dict[str, Any]:
    """Ingest one channel with its suite as the gate before anything is written, then check
    the reconciliation of what was loaded. Quarantined files are reported, not raised (the
    final task fails the run); any failure is recorded on the run before it is raised."""
    from pipeline.runner import record_channel_error, record_data_quality

    engine = store(load())
    try:
        return _ingest(engine, run_id, channel)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        record_channel_error(engine, run_id, channel, error)
        record_data_quality(engine, run_id, channel, {"error": error})
        if isinstance(exc, OptoutError):  # bad input or configuration: a retry cannot help
            raise fail_fast(f"channel {channel}: {exc}") from exc
        raise


def _ingest(engine: sa.Engine, run_id: int, channel: str) -> dict[str, Any]:
    from pipeline import quality
    from pipeline.runner import record_channel_error, record_data_quality, run_channel, run_logical_date

    findings: list[quality.QualityResult] = []
    try:
        gate = quality.records_gate(channel, run_logical_date(engine, run_id), findings.append)
    except quality.SuiteError as exc:
        raise OptoutError(str(exc)) from exc
    result = run_channel(engine, load(), run_id, channel, SystemClock(), gate=gate)
    recon = quality.validate_reconciliation(engine, run_id, channel)
    report = {"files": [f.as_dict() for f in findings], "reconciliation": recon.as_dict() if recon else None}
    record_data_quality(engine, run_id, channel, report)
    if recon is not None and not recon.success:
        record_channel_error(engine, run_id, channel, recon.summary())
    return {
        "channel": channel, "files": len(result.files), "counts": result.counts.as_dict(),
        "quarantined": [{"path": f.path, "error": f.quarantine_error} for f in result.quarantined],
        "reconciled": recon.success if recon else None,
    }


def publish_list(run_id: int) -> dict[str, Any]:
    """Publish a new list version from the run's events (one transaction)."""
    from pipeline.runner import publish_run

    version = publish_run(store(load()), run_id, SystemClock())
    if version is None:
        return {"version": None, "entries": 0, "digest": None}
    return {"version": version.version, "entries": version.entries, "digest": version.digest}


def validate_published_list(run_id: int) -> dict[str, Any]:
    """The suppression_list suite over the published list. A hard failure is recorded on the
    run (which then ends failed) and fails this task; the version stays published, because
    withdrawing it would lift suppressions."""
    from pipeline import quality
    from pipeline.runner import record_channel_error, record_data_quality

    engine = store(load())
    result = quality.validate_list(engine)
    if result is None:
        return {"success": True, "note": "no list published yet"}
    record_data_quality(engine, run_id, LIST_STEP, result.as_dict())
    if not result.success:
        record_channel_error(engine, run_id, LIST_STEP, result.summary())
        raise fail_fast(result.summary())
    return {"success": True, "evaluated": result.evaluated, "warnings": len(result.warnings)}


def run_folder(settings: Settings, logical_date: date, output_dir: str | None) -> Path:
    root = Path(output_dir) if output_dir else settings.output
    folder = root / logical_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_list(run_id: int, output_dir: str | None = None) -> dict[str, Any]:
    """The published list as CSV for the run's date. Delegates to `pipeline.export` (`optout
    export`) when it exists; until then writes the plain CSV below."""
    from pipeline.runner import run_logical_date

    settings = load()
    engine = store(settings)
    folder = run_folder(settings, run_logical_date(engine, run_id), output_dir) / "export"
    try:
        from pipeline import export as exporter  # type: ignore[attr-defined]
    except ImportError:
        return {"path": str(_plain_export(engine, folder)), "by": "pipeline.orchestration"}
    return {"result": _jsonable(exporter.export_list(engine, settings, folder)), "by": "pipeline.export"}


def _plain_export(engine: sa.Engine, folder: Path) -> Path:
    """address, scope, since, channels of every suppressed address (erased ones have no address)."""
    from pipeline.store.schema import suppressions

    s = suppressions.c
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "suppression_list.csv"
    with read_tx(engine) as conn, path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["address", "scope", "since", "channels", "list_version"])
        query = sa.select(s.address, s.scope, s.effective_at, s.channels, s.list_version).where(s.address.is_not(None))
        for row in conn.execute(query.order_by(s.address)):
            out.writerow([_cell(row.address), row.scope, row.effective_at.isoformat(), _cell(row.channels), row.list_version])
    return path


def _cell(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def compliance_report(run_id: int, output_dir: str | None = None) -> dict[str, Any]:
    """The compliance report for the run's date. Delegates to `pipeline.report` (`optout
    report`) when it exists; until then reports, per channel, the events this run made
    effective and how many took longer than 48 hours from request to list."""
    from pipeline.runner import run_logical_date

    settings = load()
    engine = store(settings)
    logical_date = run_logical_date(engine, run_id)
    path = run_folder(settings, logical_date, output_dir) / "compliance_report.json"
    try:
        from pipeline import report as reporter  # type: ignore[attr-defined]
    except ImportError:
        body = _plain_report(engine, run_id)
    else:
        body = _jsonable(reporter.compliance_report(engine, settings, logical_date))
    path.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
    return {"path": str(path)}


def _plain_report(engine: sa.Engine, run_id: int) -> dict[str, Any]:
    from pipeline.store.schema import list_versions, optout_events

    e, v = optout_events.c, list_versions.c
    # An event takes effect in the first version whose last_event_id covers it.
    effective = sa.select(sa.func.min(v.published_at)).where(v.last_event_id >= e.id).scalar_subquery()
    query = sa.select(e.channel, e.requested_at, effective.label("effective_at")).where(e.run_id == run_id)
    per_channel: dict[str, dict[str, Any]] = {}
    with read_tx(engine) as conn:
        for row in conn.execute(query):
            c = per_channel.setdefault(row.channel, {"events": 0, "over_48h": 0, "max_hours": 0.0})
            c["events"] += 1
            if row.effective_at is None:
                continue
            hours = (row.effective_at - row.requested_at) / timedelta(hours=1)
            c["max_hours"] = max(c["max_hours"], round(hours, 1))
            c["over_48h"] += hours > 48
    return {"run_id": run_id, "by": "pipeline.orchestration (stand-in until `optout report`)", "channels": per_channel}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: getattr(o, "__dict__", str(o))))


def finish(run_id: int) -> dict[str, Any]:
    """Close the run; fail (without retry) when any channel failed, did not complete or was
    quarantined, or a hard data-quality expectation failed."""
    from pipeline.runner import finish_run, record_channel_error, recorded_data_quality

    engine = store(load())
    quality_results = recorded_data_quality(engine, run_id) or {}
    for channel in channel_names():
        if channel not in quality_results:  # its ingest task never reached the end
            record_channel_error(engine, run_id, channel, "ingest did not complete (see its task log)")
    summary = finish_run(engine, run_id, SystemClock(), data_quality=quality_results)
    if summary.status != "success":
        raise fail_fast(f"run {summary.logical_date} failed: " + "; ".join(summary.errors))
    return {"status": summary.status, "list_version": summary.list_version, "entries": summary.entries}


def send_check(
    recipients: str, output: str, campaign: str | None = None, kind: str = "marketing",
    removed: str | None = None, max_age_hours: float | None = None,
) -> dict[str, Any]:
    """`optout check` for a campaign DAG: fails closed (no retry) on a stale or missing list."""
    from pipeline.check import run_check

    if not recipients or not output:
        raise skip("no recipient file or output path given: nothing to check")
    settings = load()
    try:
        result = run_check(
            store(settings), settings, SystemClock(), Path(recipients), Path(output), campaign=campaign or None,
            kind=kind, removed=Path(removed) if removed else None, max_age_hours=max_age_hours,
        )
    except StaleListError as exc:
        raise fail_fast(f"refused: {exc}") from exc
    except OptoutError as exc:
        raise fail_fast(str(exc)) from exc
    return {**result.as_dict(), "output": output}
