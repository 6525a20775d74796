"""Engines for SQLite (WAL, foreign keys) and PostgreSQL, migrations, and write transactions."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from pipeline.core.errors import OptoutError

if TYPE_CHECKING:
    from alembic.config import Config  # here, not at import: Alembic adds 1 s; only migrations use it

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration: what `require_current` asks of a store without loading Alembic (which
# would add a fifth of a second to every command); a test holds it equal to Alembic's head.
SCHEMA_HEAD = "0004_console"


def make_engine(url: str) -> sa.Engine:
    """An engine for the store at `url` (sqlite:/// paths get their folder created)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise OptoutError(f"database_url: not a database URL: {url!r}", field="database_url") from None
    if parsed.drivername.startswith("sqlite"):
        return _sqlite_engine(parsed)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN, so writers can take BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("optout_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write_tx(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that writers take one at a time: the event chain and list versions are
    appended in order, so concurrent channel tasks cannot interleave."""
    with engine.connect().execution_options(optout_write=True) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE optout_events IN SHARE ROW EXCLUSIVE MODE")
            yield conn


def alembic_config(engine: sa.Engine) -> Config:
    from alembic.config import Config  # here, not at import: Alembic adds 1 s; only migrations use it

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: sa.Engine) -> str:
    """Create or upgrade the store to the newest schema; returns the revision."""
    from alembic import command  # here, not at import: Alembic adds 1 s; only migrations use it

    command.upgrade(alembic_config(engine), "head")
    return current_revision(engine) or ""


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext  # here, not at import: Alembic adds 1 s; only migrations use it

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current(engine: sa.Engine) -> None:
    """Refuse to work on a store that is missing or behind the code's schema."""
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                raise OptoutError("the store is not initialised: run 'optout init' first")
            rev = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.OperationalError as exc:
        raise OptoutError(f"cannot open the store: {exc.orig}") from None
    if rev is None:
        raise OptoutError("the store is not initialised: run 'optout init' first")
    if rev != SCHEMA_HEAD:
        raise OptoutError(f"the store is at schema {rev}, the code needs {SCHEMA_HEAD}: run 'optout init'")


@contextmanager
def read_tx(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A read transaction on one snapshot: every query in it sees the same list version."""
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    try:
        with conn.begin():
            yield conn
    finally:
        conn.close()
