"""optout_intraday: every 15 minutes, the fast channels — the one-click endpoint's and the ESP
webhooks' closed log segments (`optout serve`) — are ingested through the same data-quality gates
as at night, and a new list version is published when they brought anything, so an opt-out made
at 09:00 is enforced by a check at 09:30, not after the next night. The run is one of some
channels (a `pipeline_runs` row of its own); the nightly run later skips the files it took.
Publishing shares the `optout_publish` pool (one slot) with optout_nightly, so the two never
publish at once. Each task calls one function of `pipeline.orchestration.tasks`."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag, task

SUPPRESSION_LIST = Asset("optout://suppression_list")
PUBLISH_POOL = "optout_publish"
LOGICAL_DATE = "{{ (dag_run.logical_date or dag_run.run_after) | ds }}"


@dag(
    dag_id="optout_intraday",
    schedule="*/15 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "privacy-engineering", "retries": 2, "retry_delay": timedelta(minutes=1),
        # A run that cannot finish within its own interval gives the next one its turn.
        "execution_timeout": timedelta(minutes=14),
    },
    tags=["optout", "compliance", "intraday"],
    # Enforcing within minutes needs no one to unpause it: it runs as soon as it is deployed.
    is_paused_upon_creation=False,
    doc_md=__doc__,
)
def optout_intraday() -> None:
    @task
    def start(for_date: str) -> int:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.begin_intraday_run(for_date)

    @task
    def channels() -> list[str]:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.intraday_channel_names()

    @task(map_index_template="{{ channel }}")
    def ingest(pipeline_run_id: int, channel: str) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.ingest(pipeline_run_id, channel)

    @task(trigger_rule="all_done", outlets=[SUPPRESSION_LIST], pool=PUBLISH_POOL)
    def publish(pipeline_run_id: int, *, outlet_events: Any = None) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        published = tasks.publish_list(pipeline_run_id)
        outlet_events[SUPPRESSION_LIST].extra = {
            "list_version": published["version"], "digest": published["digest"], "entries": published["entries"]
        }
        return published

    @task
    def validate_list(pipeline_run_id: int) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.validate_published_list(pipeline_run_id)

    @task(trigger_rule="all_done")
    def watch(pipeline_run_id: int) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.finish(pipeline_run_id, None)

    pipeline_run_id = start(LOGICAL_DATE)
    ingested = ingest.partial(pipeline_run_id=pipeline_run_id).expand(channel=channels())
    published = publish(pipeline_run_id)
    validated = validate_list(pipeline_run_id)
    ingested >> published >> validated
    [ingested, validated] >> watch(pipeline_run_id)


optout_intraday()
