"""campaign_send_check: a marketing team's pre-send check (SPEC §7 `optout check`). Trigger it
with the recipient file, campaign id, kind and output paths; it also runs whenever a new
suppression list is published (with its default params: nothing to check unless they name a
file). It fails closed, without retrying, when the list is stale or missing."""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, Param, dag, task

SUPPRESSION_LIST = Asset("optout://suppression_list")
# Empty when the param is: the task then uses the configured maximum list age.
MAX_AGE_HOURS = "{{ '' if params.max_age_hours is none else params.max_age_hours }}"


@dag(
    dag_id="campaign_send_check",
    schedule=[SUPPRESSION_LIST],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=4,
    default_args={"owner": "marketing-ops", "retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["optout", "compliance", "campaign"],
    params={
        "recipients": Param("", type="string", description="CSV of recipients (column email, e-mail, email_address or recipient)."),
        "output": Param("", type="string", description="Where the cleaned CSV goes; its receipt goes beside it (.receipt.json)."),
        "removed": Param("", type="string", description="Optional: where the removed rows go, with reason, channel and since."),
        "campaign": Param("", type="string", description="Campaign id recorded with the check."),
        "kind": Param("marketing", enum=["marketing", "service"], description="marketing: every opt-out; service: cancellations only."),
        "max_age_hours": Param(
            None, type=["null", "number"],
            description="Refuse a list published longer ago than this many hours (empty: the configured OPTOUT_MAX_LIST_AGE_HOURS).",
        ),
    },
    doc_md=__doc__,
)
def campaign_send_check() -> None:
    @task
    def check(recipients: str, output: str, campaign: str, kind: str, removed: str, max_age_hours: str) -> dict:
        from pipeline.orchestration import tasks  # here, not at import: the pipeline adds seconds to every parse of this file

        return tasks.send_check(recipients, output, campaign, kind, removed, max_age_hours)

    check(
        "{{ params.recipients }}", "{{ params.output }}", "{{ params.campaign }}", "{{ params.kind }}",
        "{{ params.removed }}", MAX_AGE_HOURS,
    )


campaign_send_check()
