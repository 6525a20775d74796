"""optout_nightly (SPEC §6): every night, ingest each registered channel, gate it with its
Great Expectations suite, publish a new suppression list, validate it, export it, write the
providers' delta files (OPTOUT_ESP_SYNC), report on compliance, write the data-quality results,
and fail the run when any channel failed or was quarantined. Each task calls one
function of `pipeline.orchestration.tasks` with ids and paths; nothing heavy is imported here."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import Asset, Param, dag, task

from pipeline.core.config import load_settings

SUPPRESSION_LIST = Asset("optout://suppression_list")
PUBLISH_POOL = "optout_publish"  # one slot: the nightly and the intraday runs never publish at once
LOGICAL_DATE = "{{ (dag_run.logical_date or dag_run.run_after) | ds }}"


def failure_alert(context: Any) -> None:
    """E-mail the people in OPTOUT_ALERT_TO through Airflow's SMTP connection (smtp_default);
    nobody named, no e-mail. The settings are read when the callback runs, not when the DAG
    file is parsed: the recipients are the worker's current ones, and a DAG processor without
    the OPTOUT_* settings still parses the file."""
    settings = load_settings()
    if not settings.alert_to:
        return
    SmtpNotifier(
        to=list(settings.alert_to),
        from_email=settings.alert_from,
        subject="[optout] nightly run {{ dag_run.run_id }} failed",
        html_content=(
            "<p>optout_nightly run <b>{{ dag_run.run_id }}</b> (logical date {{ ds }}) failed.</p>"
            "<p>{{ exception if exception is defined else '' }}</p>"
            "<p>See the watch task's log and <code>pipeline_runs.error</code> in the store.</p>"
        ),
    )(context)


@dag(
    dag_id="optout_nightly",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "privacy-engineering", "retries": 2, "retry_delay": timedelta(minutes=5),
        # A hung task fails (and the watcher then fails the run and alerts) instead of blocking the next night.
        "execution_timeout": timedelta(hours=2),
    },
    tags=["optout", "compliance", "nightly"],
    params={
        "output_dir": Param(None, type=["null", "string"], description="Exports, reports and data-quality results (default OPTOUT_OUTPUT).")
    },
    doc_md=__doc__,
)
def optout_nightly() -> None:
    @task
    def start(for_date: str) -> int:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.begin_run(for_date)

    @task
    def channels() -> list[str]:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.channel_names()

    @task(map_index_template="{{ channel }}")
    def ingest(pipeline_run_id: int, channel: str) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.ingest(pipeline_run_id, channel)

    @task(trigger_rule="all_done", outlets=[SUPPRESSION_LIST], pool=PUBLISH_POOL)  # shared with optout_intraday
    def publish(pipeline_run_id: int, *, outlet_events: Any = None) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        published = tasks.publish_list(pipeline_run_id)
        # The Asset event says which list it announces: a consumer needs no query to know it.
        outlet_events[SUPPRESSION_LIST].extra = {
            "list_version": published["version"], "digest": published["digest"], "entries": published["entries"]
        }
        return published

    @task
    def validate_list(pipeline_run_id: int) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.validate_published_list(pipeline_run_id)

    @task
    def export(pipeline_run_id: int, output_dir: str | None) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.export_list(pipeline_run_id, output_dir)

    @task
    def esp_sync(pipeline_run_id: int, output_dir: str | None) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.esp_sync(pipeline_run_id, output_dir)

    @task(trigger_rule="all_done")
    def report(pipeline_run_id: int, output_dir: str | None) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.compliance_report(pipeline_run_id, output_dir)

    # The watcher is the run's verdict and always runs last: alerting on its failure sends one
    # e-mail per failed run (a DAG-level callback would run in the dag-processor instead).
    @task(trigger_rule="all_done", on_failure_callback=failure_alert)
    def watch(pipeline_run_id: int, output_dir: str | None) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.finish(pipeline_run_id, output_dir)

    pipeline_run_id = start(LOGICAL_DATE)
    ingested = ingest.partial(pipeline_run_id=pipeline_run_id).expand(channel=channels())
    published = publish(pipeline_run_id)
    validated = validate_list(pipeline_run_id)
    exported = export(pipeline_run_id, "{{ params.output_dir or '' }}")
    synced = esp_sync(pipeline_run_id, "{{ params.output_dir or '' }}")
    reported = report(pipeline_run_id, "{{ params.output_dir or '' }}")
    ingested >> published >> validated >> [exported, synced]
    published >> reported
    [ingested, validated, exported, synced, reported] >> watch(pipeline_run_id, "{{ params.output_dir or '' }}")


optout_nightly()
