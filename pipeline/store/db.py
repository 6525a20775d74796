"""Engines for SQLite (WAL, foreign keys) and PostgreSQL, migrations, and write transactions."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa

from pipeline.core.errors import OptoutError

if TYPE_CHECKING:
    from alembic.config import Config  # here, not at import: Alembic adds 1 s; only migrations use it

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration: what `require_current` asks of a store without loading Alembic (which
# would add a fifth of a second to every command); a test holds it equal to Alembic's head.
SCHEMA_HEAD = "0006_incremental_list"


def make_engine(url: str, *, create: bool = True) -> sa.Engine:
    """An engine for the store at `url`. Commands that write create a SQLite store's folder
    (and SQLite its file on first connect); with `create=False`, what read-only commands use,
    a store that does not exist is refused (`open_existing`) and nothing is created."""
    parsed = parse_url(url)
    if parsed.drivername.startswith("sqlite"):
        return _sqlite_engine(parsed, create=create)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True)


def parse_url(url: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except sa.exc.ArgumentError:
        raise OptoutError(f"database_url: not a database URL: {url!r}", field="database_url") from None


def shown_url(url: sa.URL | str) -> str:
    """A store URL as messages show it: never its password."""
    return (parse_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)


def open_existing(url: str) -> sa.Engine:
    """An engine on a store that must already exist: for commands that only read. A SQLite
    path that is missing (or whose folder is) or that is a directory is refused in one line
    naming it, and the file is never created, not even if it vanishes after this check (the
    connection opens it read-write without the create flag)."""
    return make_engine(url, create=False)


def _missing(url: sa.URL, what: str) -> OptoutError:
    return OptoutError(
        f"no store at {url.database} ({what}; database {shown_url(url)}): "
        "run 'optout init' to create it, then 'optout run' to fill it"
    )


def _sqlite_engine(url: sa.URL, *, create: bool = True) -> sa.Engine:
    in_file = bool(url.database) and url.database != ":memory:"
    if create:
        if in_file:
            Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})
    else:
        if not in_file:
            raise OptoutError(f"{shown_url(url)} is an in-memory database: it holds no store to read")
        path = Path(url.database or "")
        if path.is_dir():
            raise OptoutError(f"the store {path} is a directory, not a database file (database {shown_url(url)})")
        if not path.exists():
            raise _missing(url, "no such file" if path.parent.is_dir() else f"no such folder {path.parent}")
        uri = f"file:{quote(str(path.resolve()))}?mode=rw"
        engine = sa.create_engine(
            url, creator=lambda: sqlite3.connect(uri, uri=True, timeout=60, check_same_thread=False)
        )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN, so writers can take BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if create:  # a reader leaves the file as the writer made it (WAL persists in the file)
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


BULK_CACHE_KIB = 2 * 1024 * 1024  # SQLite page cache while a bulk write runs; pages are taken only as used


@contextmanager
def bulk_cache(conn: sa.Connection) -> Iterator[None]:
    """A large SQLite page cache for one bulk write (an import of a million addresses): with the
    default 2 MB, every index page evicted half-written is written to the WAL again and again,
    which more than doubles the time. The connection returns to the pool with the default."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


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
    """Refuse to work on a store that is missing or behind the code's schema; each message is
    one line naming the store."""
    where = shown_url(engine.url)
    not_initialised = OptoutError(f"the store {where} is not initialised: run 'optout init' first (then 'optout run')")
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                raise not_initialised
            rev = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DatabaseError as exc:  # no server, no such database, not a database file
        reason = " ".join(str(exc.orig).split())
        hint = " (create it, then run 'optout init')" if "does not exist" in reason else ""
        raise OptoutError(f"cannot open the store {where}: {reason}{hint}") from None
    if rev is None:
        raise not_initialised
    if rev != SCHEMA_HEAD:
        raise OptoutError(f"the store {where} is at schema {rev}, the code needs {SCHEMA_HEAD}: run 'optout init'")


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
