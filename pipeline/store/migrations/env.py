"""Alembic environment: runs on the engine `pipeline.store.db.migrate` hands over."""
from __future__ import annotations

from alembic import context

from pipeline.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
