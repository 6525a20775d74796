"""audit: evidence_hash in the chain, export hashes of erased entries, auditor views

Revision ID: 0002_audit
Revises: 0001
Create Date: 2026-11-22 02:20:00

The views come from sql/auditor_views.sql (the file auditors read). They are not in the
SQLAlchemy metadata, so the migrations-match-metadata check ignores them. On SQLite a table
rebuild (batch mode) cannot rename a table a view names, so views are created last and any
later migration that alters a table drops them first and re-runs the file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pipeline.audit.sqlfiles import AUDITOR_VIEWS, read_sql, statements

revision = "0002_audit"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("optout_events", schema=None) as batch_op:
        batch_op.alter_column("evidence", existing_type=sa.Text(), nullable=True, existing_server_default="")
        batch_op.add_column(sa.Column("evidence_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("export_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("export_key_id", sa.String(length=16), nullable=True))
    for statement in statements(read_sql("auditor_views.sql")):
        op.execute(statement)


def downgrade() -> None:
    for view in reversed(AUDITOR_VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.drop_column("export_key_id")
        batch_op.drop_column("export_hash")
    with op.batch_alter_table("optout_events", schema=None) as batch_op:
        batch_op.drop_column("evidence_hash")
        batch_op.alter_column("evidence", existing_type=sa.Text(), nullable=False, existing_server_default="")
