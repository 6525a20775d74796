"""Shared fixtures: the store on SQLite and on a fresh PostgreSQL database, a fixed clock, a
landing zone in a temporary folder, and the shared corpora (required under CI=true)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas  # noqa: F401  (before any in-process `optout check`: see below)
import pytest
import sqlalchemy as sa

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.store.db import make_engine, migrate

# `optout check` blocks pandas while it runs (pipeline/check/nopandas.py), and pyarrow then keeps
# believing pandas is absent for the life of the process; a test process runs the CLI in-process
# beside code that hands pandas objects to Arrow, so pandas is loaded first and the blocker
# stands aside. Its own effect is tested in fresh processes (tests/unit/check/test_nopandas.py).
ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("OPTOUT_CORPORA", ROOT.parent / "shared" / "corpora"))
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("OPTOUT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def need(condition: bool, reason: str) -> None:
    """Skip when a resource is missing, except under CI=true, where it is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpora() -> Path:
    need(CORPORA.is_dir(), f"shared corpora not found at {CORPORA} (they sit beside the clone in CI)")
    return CORPORA


def _pg_admin() -> sa.Engine | None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            return engine
    except sa.exc.OperationalError:
        return None


@contextmanager
def fresh_pg_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (optionally copied from `template`), dropped afterwards.
    Yields its name; fails under CI=true, skips elsewhere, when PostgreSQL is unreachable."""
    admin = _pg_admin()
    need(admin is not None, f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    assert admin is not None
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def pg_database_url(name: str) -> str:
    return sa.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A freshly created and migrated PostgreSQL database for this test run, used as a template."""
    with fresh_pg_database(f"optout_tmpl_{os.getpid()}") as name:
        engine = make_engine(pg_database_url(name))
        migrate(engine)
        engine.dispose()
        yield name


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database per test, copied from the migrated template."""
    with fresh_pg_database("optout_t", template=pg_template) as name:
        yield pg_database_url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store URL, once per backend: every store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'optout.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        return url
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    root.mkdir()
    return root


@pytest.fixture
def settings(db_url: str, landing: Path) -> Settings:
    return Settings(database_url=db_url, landing=landing)


@pytest.fixture
def engine(settings: Settings) -> Iterator[sa.Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 11, 2, 0, tzinfo=UTC))


def land(root: Path, channel: str, day: str, name: str, content: str | bytes) -> Path:
    """Drop a file into the landing zone as an export would."""
    folder = root / channel / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path
