"""DAG tests run Airflow in this process on a throwaway SQLite metadata database; the store
(SQLite) and the landing zone live in the test's tmp_path and reach the tasks through the
OPTOUT_* environment, exactly as in a deployment."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.store.db import make_engine, migrate
from tests.dags.night import DAGS, land_night

# Airflow reads its configuration when first imported: point it at a private home first.
_HOME = Path(tempfile.mkdtemp(prefix="optout-airflow-"))
os.environ.update(
    AIRFLOW_HOME=str(_HOME),
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{_HOME / 'airflow.db'}",
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The Airflow metadata database, created once per session."""
    from airflow.utils import db

    db.initdb()
    return _HOME


@pytest.fixture
def night_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A migrated SQLite store, two nights of exports and an output folder, in the environment."""
    landing = land_night(tmp_path / "landing")
    store = tmp_path / "optout.db"
    engine = make_engine(f"sqlite:///{store}")
    migrate(engine)
    engine.dispose()
    env = {"OPTOUT_DATABASE_URL": f"sqlite:///{store}", "OPTOUT_LANDING": str(landing), "OPTOUT_OUTPUT": str(tmp_path / "out")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OPTOUT_STORE_CONN_ID", raising=False)
    monkeypatch.delenv("OPTOUT_ALERT_TO", raising=False)
    return {"store": store, "landing": landing, "output": tmp_path / "out"}


def load_dags() -> Any:
    """The project's DAGs, parsed now (after the test set its environment)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag


@pytest.fixture
def dagbag(airflow_db: Path) -> Iterator[Any]:
    yield load_dags()
