"""Alembic environment: runs on the engine `pipeline.store.db.migrate` hands over.

On SQLite a migration in batch mode rebuilds a table (create a copy, drop the old one, rename).
With foreign keys enforced, dropping a table that others refer to would fail, so enforcement is
switched off for the migration (SQLite allows that only outside a transaction, hence on the raw
connection before BEGIN), every reference is checked with `PRAGMA foreign_key_check` before
the commit (any dangling one rolls the migration back), and enforcement is switched on again."""
from __future__ import annotations

from alembic import context

from pipeline.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    raw = connection.connection.dbapi_connection if connection.dialect.name == "sqlite" else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
            context.run_migrations()
            if raw is not None:
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if dangling:
                    raise RuntimeError(f"the migration would leave {len(dangling)} dangling reference(s), e.g. {dangling[0]}")
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")
