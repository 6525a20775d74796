"""The functions Airflow tasks call (dags/): each builds the settings and the store from
`pipeline.core.config` (or an Airflow connection), calls the runner, and returns a small dict for
XCom. Failures that retrying cannot fix are raised as Airflow's fail-fast exception."""
from __future__ import annotations

import json
import logging
import math
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.audit.export import export_list as export
from pipeline.audit.report import write_report
from pipeline.channels import REGISTRY
from pipeline.check.run import run_check
from pipeline.core.clock import SystemClock
from pipeline.core.config import Settings, SettingsError, load_settings
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.orchestration.nightly import (
    finish_run,
    publish_run,
    record_channel_error,
    record_data_quality,
    recorded_data_quality,
    run_channel,
    run_channels,
    run_logical_date,
    start_run,
    survey_landing,
)
from pipeline.store.db import make_engine, migrate

log = logging.getLogger(__name__)
LIST_STEP = "suppression_list"
# The channels that arrive one event at a time over HTTP (`optout serve`): the intraday DAG
# enforces them within minutes; the others stay nightly.
INTRADAY_CHANNELS = ("esp_events", "unsubscribe_link")


class RunFailedError(OptoutError):
    """The nightly run ended failed: a channel failed, a file was quarantined, or a hard
    data-quality expectation failed."""


@cache
def _fail_class() -> type[Exception]:
    try:
        from airflow.sdk.exceptions import AirflowFailException  # here, not at import: Airflow is optional (the `airflow` extra)
    except ImportError:  # called outside Airflow (scripts)
        return RunFailedError
    return type("RunFailed", (AirflowFailException, RunFailedError), {})


def fail_fast(message: str) -> Exception:
    """A RunFailedError that Airflow, when present, fails without retrying."""
    return _fail_class()(message)


def skip(message: str) -> Exception:
    try:
        from airflow.sdk.exceptions import AirflowSkipException  # here, not at import: Airflow is optional (the `airflow` extra)
    except ImportError:
        return OptoutError(message)
    return AirflowSkipException(message)


def load(conn_id: str | None = None) -> Settings:
    """Settings from the environment; the store URL from an Airflow connection when one is named.
    A bad setting fails the task at once: a retry cannot mend it."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail_fast(str(exc)) from exc
    conn_id = conn_id or settings.store_conn_id
    if not conn_id:
        return settings
    from airflow.sdk import Connection  # here, not at import: Airflow is optional; only a named connection needs it

    return settings.with_overrides(database_url=Connection.get(conn_id).get_uri())


def store(settings: Settings) -> sa.Engine:
    return make_engine(settings.database_url)


def begin_run(logical_date: str, channels: list[str] | None = None) -> int:
    """Create or migrate the store, open (or re-open) the run of the logical date (and of only
    `channels`, for the intraday DAG), and list on it what the landing zone holds that the run
    cannot place."""
    settings = load()
    engine = store(settings)
    migrate(engine)
    run_id = start_run(engine, date.fromisoformat(logical_date), SystemClock(), channels or ())
    for warning in survey_landing(engine, settings, run_id):
        log.warning("landing zone: %s", warning)
    return run_id


def begin_intraday_run(logical_date: str) -> int:
    """`begin_run` for the intraday DAG: the run of the fast channels on the logical date."""
    return begin_run(logical_date, intraday_channel_names())


def channel_names() -> list[str]:
    """The registered channels: the DAG maps one ingest task over them."""
    return list(REGISTRY)


def intraday_channel_names() -> list[str]:
    """The fast channels that are registered: the intraday DAG maps its ingest over them."""
    return [name for name in INTRADAY_CHANNELS if name in REGISTRY]


def ingest(run_id: int, channel: str) -> dict[str, Any]:
    """Ingest one channel with its suite as the gate before anything is written, then check
    the reconciliation of what was loaded. Quarantined files are reported, not raised (the
    final task fails the run); any failure is recorded on the run before it is raised."""
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
    from pipeline.orchestration import quality  # here, not at import: Great Expectations takes seconds; only these tasks use it

    findings: list[quality.QualityResult] = []
    gate = quality.records_gate(channel, run_logical_date(engine, run_id), findings.append)
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
    settings = load()
    version = publish_run(store(settings), settings, run_id, SystemClock())
    if version is None:
        return {"version": None, "entries": 0, "digest": None}
    return {"version": version.version, "entries": version.entries, "digest": version.digest}


def validate_published_list(run_id: int) -> dict[str, Any]:
    """The suppression_list suite over the published list. A hard failure is recorded on the
    run (which then ends failed) and fails this task; the version stays published, because
    withdrawing it would lift suppressions."""
    from pipeline.orchestration import quality  # here, not at import: Great Expectations takes seconds; only these tasks use it
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
    """`optout export` for the run's date: the list in clear (formula-safe CSV) and hashed
    (HMAC of the match key, for third-party senders), each folder with its manifest."""
    settings = load()
    engine = store(settings)
    folder = run_folder(settings, run_logical_date(engine, run_id), output_dir)
    clear = export(engine, settings, SystemClock(), folder / "export")
    hashed = export(engine, settings, SystemClock(), folder / "export_hashed", hashed=True)
    return {
        "list_version": clear.list_version, "rows": clear.rows,
        "clear": str(folder / "export" / clear.file), "hashed": str(folder / "export_hashed" / hashed.file),
    }


def esp_sync(run_id: int, output_dir: str | None = None) -> dict[str, Any]:
    """The providers' delta files after the publish (OPTOUT_ESP_SYNC; none configured: nothing
    to do): what each provider has not been handed yet, in its own import layout."""
    settings = load()
    if not settings.esp_sync:
        raise skip("no providers configured (OPTOUT_ESP_SYNC)")
    from pipeline.audit.esp_sync import summary, sync_providers  # here, not at import: only this task uses it

    engine = store(settings)
    day = run_logical_date(engine, run_id)
    root = Path(output_dir) if output_dir else settings.output
    return summary(sync_providers(engine, settings, SystemClock(), root, day))


def compliance_report(run_id: int, output_dir: str | None = None) -> dict[str, Any]:
    """`optout report` for the run's date, written as JSON and HTML beside the exports."""
    settings = load()
    engine = store(settings)
    day = run_logical_date(engine, run_id)
    paths = write_report(engine, settings, day, run_folder(settings, day, output_dir), SystemClock())
    return {name: str(path) for name, path in paths.items()}


DATA_QUALITY_FILE = "data_quality.json"


def write_data_quality(folder: Path, logical_date: date, results: dict[str, Any], scope: tuple[str, ...] = ()) -> Path:
    """`<output>/<date>/data_quality.json`: what each suite said in the run, by channel (the
    files' suites and the reconciliation) and for the published list, as kept in
    `pipeline_runs.data_quality`; a run of some channels writes `data_quality_intraday.json`
    (its latest run of the day). Written whole, then renamed: a reader never sees half a file."""
    path = folder / (DATA_QUALITY_FILE if not scope else DATA_QUALITY_FILE.replace(".json", "_intraday.json"))
    partial = path.with_suffix(".json.partial")
    document: dict[str, Any] = {"logical_date": logical_date.isoformat(), "results": results}
    if scope:
        document["channels"] = list(scope)
    partial.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def finish(run_id: int, output_dir: str | None = None) -> dict[str, Any]:
    """Close the run and write its data-quality results beside the exports; fail (without
    retry) when any channel failed, did not complete or was quarantined, or a hard data-quality
    expectation failed."""
    settings = load()
    engine = store(settings)
    quality_results = recorded_data_quality(engine, run_id) or {}
    scope = run_channels(engine, run_id)
    for channel in scope or channel_names():
        if channel not in quality_results:  # its ingest task never reached the end
            record_channel_error(engine, run_id, channel, "ingest did not complete (see its task log)")
    summary = finish_run(engine, run_id, SystemClock(), data_quality=quality_results)
    day = run_logical_date(engine, run_id)
    write_data_quality(run_folder(settings, day, output_dir), day, quality_results, scope)
    if summary.status != "success":
        raise fail_fast(f"run {summary.logical_date} failed: " + "; ".join(summary.errors))
    return {
        "status": summary.status, "list_version": summary.list_version, "entries": summary.entries,
        "warnings": summary.warnings, "review_resolved": summary.review_resolved,
    }


def max_list_age(value: float | str | None, settings: Settings) -> float:
    """The hours a send check allows since the list was published: `value` (a number, or its
    text as a rendered param), else the configured maximum when it is None or empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return settings.max_list_age_hours
    try:
        hours = float(value)
    except ValueError:
        raise fail_fast(f"max_age_hours: not a number of hours: {value!r}") from None
    if not math.isfinite(hours) or hours < 0:
        raise fail_fast(f"max_age_hours: not a number of hours: {value!r}")
    return hours


def send_check(
    recipients: str, output: str, campaign: str | None = None, kind: str = "marketing",
    removed: str | None = None, max_age_hours: float | str | None = None,
) -> dict[str, Any]:
    """`optout check` for a campaign DAG: fails closed (no retry) on a stale or missing list.
    An empty `max_age_hours` (the DAG's default) means the configured maximum list age."""
    if not recipients or not output:
        raise skip("no recipient file or output path given: nothing to check")
    settings = load()
    max_age = max_list_age(max_age_hours, settings)
    try:
        result = run_check(
            store(settings), settings, SystemClock(), Path(recipients), Path(output), campaign=campaign or None,
            kind=kind, removed=Path(removed) if removed else None, max_age_hours=max_age,
        )
    except StaleListError as exc:
        raise fail_fast(f"refused: {exc}") from exc
    except OptoutError as exc:
        raise fail_fast(str(exc)) from exc
    return {**result.as_dict(), "output": output}
