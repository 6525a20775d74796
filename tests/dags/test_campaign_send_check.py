"""campaign_send_check run with params: it leaves the cleaned file and its receipt where the
params say, and fails closed (no retry) on a stale list."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.channels import REGISTRY
from pipeline.check.receipts import verify_receipt
from pipeline.core.config import load_settings
from pipeline.orchestration import tasks as orchestration
from pipeline.orchestration.nightly import run_logical_date
from pipeline.store.db import make_engine
from pipeline.store.schema import send_checks
from tests.dags.conftest import load_dags

pytestmark = pytest.mark.dags
CAMPAIGN = "email,name\nann@example.com,Ann\nzed@example.com,Zed\nnot-an-address,Nobody\n"


@pytest.fixture
def published(night_env: dict[str, Path]) -> Path:
    """The small night ingested and published through the same functions the nightly DAG calls."""
    run_id = orchestration.begin_run("2026-10-09")
    for channel in REGISTRY:
        orchestration.ingest(run_id, channel)
    orchestration.publish_list(run_id)
    assert str(run_logical_date(make_engine(f"sqlite:///{night_env['store']}"), run_id)) == "2026-10-09"
    recipients = night_env["landing"].parent / "campaign.csv"
    recipients.write_text(CAMPAIGN, encoding="utf-8")
    return recipients


def conf(recipients: Path, max_age_hours: float) -> dict[str, object]:
    out = recipients.parent / "send"
    return {
        "recipients": str(recipients), "output": str(out / "clean.csv"), "removed": str(out / "removed.csv"),
        "campaign": "autumn-promo", "kind": "marketing", "max_age_hours": max_age_hours,
    }


def test_check_leaves_clean_file_removed_rows_and_receipt(airflow_db: Path, night_env: dict[str, Path], published: Path) -> None:
    params = conf(published, 36)
    Path(str(params["output"])).parent.mkdir()
    dag_run = load_dags().dags["campaign_send_check"].test(run_conf=params)

    assert dag_run.state == "success"
    assert Path(str(params["output"])).read_text().splitlines() == ["email,name", "zed@example.com,Zed"]
    removed = Path(str(params["removed"])).read_text()
    assert "ann@example.com,Ann,suppressed" in removed and "not-an-address,Nobody,invalid_address" in removed
    valid, body = verify_receipt(Path(str(params["output"]) + ".receipt.json"), load_settings().receipt_key)
    assert valid and body["campaign"] == "autumn-promo"
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        check = conn.execute(sa.select(send_checks)).one()
    assert (check.campaign, check.rows_in, check.kept, check.suppressed, check.invalid) == ("autumn-promo", 3, 1, 1, 1)


def test_stale_list_fails_closed_without_retry(airflow_db: Path, night_env: dict[str, Path], published: Path) -> None:
    params = conf(published, 0)  # any list is older than zero hours
    Path(str(params["output"])).parent.mkdir()
    dag_run = load_dags().dags["campaign_send_check"].test(run_conf=params)

    assert dag_run.state == "failed"
    (ti,) = dag_run.get_task_instances()
    assert ti.state == "failed" and ti.try_number == 1
    assert not Path(str(params["output"])).exists()
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(send_checks)).scalar_one() == 0


def test_max_age_param_defaults_to_the_configured_age(dagbag) -> None:  # type: ignore[no-untyped-def]
    param = dagbag.dags["campaign_send_check"].params.get_param("max_age_hours")
    assert param.value is None


@pytest.mark.parametrize(("configured", "given", "state"), [("0.000001", None, "failed"), ("0.000001", 36, "success")])
def test_an_unset_max_age_is_the_configured_one_when_the_check_runs(
    airflow_db: Path, night_env: dict[str, Path], published: Path, monkeypatch: pytest.MonkeyPatch,
    configured: str, given: float | None, state: str,
) -> None:
    params = conf(published, 0)
    del params["max_age_hours"]
    if given is not None:
        params["max_age_hours"] = given
    Path(str(params["output"])).parent.mkdir()
    dag = load_dags().dags["campaign_send_check"]
    monkeypatch.setenv("OPTOUT_MAX_LIST_AGE_HOURS", configured)  # set after parsing: read by the task
    dag_run = dag.test(run_conf=params)

    assert dag_run.state == state
    assert Path(str(params["output"])).exists() is (state == "success")


@pytest.mark.parametrize(
    ("given", "hours"),
    [(None, 7.0), ("", 7.0), ("  ", 7.0), ("12", 12.0), ("0.5", 0.5), (12, 12.0), (0, 0.0), ("0", 0.0), ("1e3", 1000.0)],
)
def test_max_list_age_is_the_param_or_the_configured_age(given: float | str | None, hours: float) -> None:
    settings = load_settings({"OPTOUT_MAX_LIST_AGE_HOURS": "7"})
    assert orchestration.max_list_age(given, settings) == hours


@pytest.mark.parametrize("given", ["abc", "-1", "nan", "inf", "-inf", "12 hours", "None", "1" * 400, "\x00", -0.5, float("nan")])
def test_max_list_age_refuses_what_is_not_hours(given: float | str) -> None:
    with pytest.raises(orchestration.RunFailedError, match="max_age_hours"):
        orchestration.max_list_age(given, load_settings({}))
