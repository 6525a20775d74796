"""The glue the DAGs call: where the store comes from, and how failures reach Airflow."""
from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from pipeline.orchestration import tasks as orchestration
from pipeline.store.db import make_engine

pytestmark = pytest.mark.dags


def test_store_comes_from_an_airflow_connection_when_named(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = {"conn_type": "postgres", "host": "db.internal", "login": "optout", "schema": "optout", "port": 5432}
    monkeypatch.setenv("AIRFLOW_CONN_OPTOUT_STORE", json.dumps(connection))
    monkeypatch.setenv("OPTOUT_DATABASE_URL", "sqlite:///ignored.db")
    monkeypatch.setenv("OPTOUT_STORE_CONN_ID", "optout_store")
    url = orchestration.load().database_url
    assert url == "postgres://optout@db.internal:5432/optout"
    assert make_engine(url).url.drivername == "postgresql+psycopg"


def test_store_comes_from_the_environment_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPTOUT_STORE_CONN_ID", raising=False)
    monkeypatch.setenv("OPTOUT_DATABASE_URL", "sqlite:////tmp/x.db")
    assert orchestration.load().database_url == "sqlite:////tmp/x.db"


def test_fail_fast_is_a_no_retry_failure_for_airflow_and_a_run_failure_for_python() -> None:
    error = orchestration.fail_fast("stale")
    assert isinstance(error, AirflowFailException) and isinstance(error, orchestration.RunFailedError)


def test_send_check_without_a_file_skips() -> None:
    with pytest.raises(AirflowSkipException):
        orchestration.send_check("", "")
