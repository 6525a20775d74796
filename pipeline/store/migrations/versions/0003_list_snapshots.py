"""list snapshots: the newest version's keys in one signed blob, for fast checks

Revision ID: 0003_list_snapshots
Revises: 0002_audit
Create Date: 2026-11-22 05:00:00

A new table only (no view names it). On PostgreSQL the body is stored uncompressed
(STORAGE EXTERNAL): it is written once per version and read whole by every check, and
compressing tens of megabytes of keys would cost more than it saves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_list_snapshots"
down_revision = "0002_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_snapshots",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["version"], ["list_versions.version"], name=op.f("fk_list_snapshots_version_list_versions")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_list_snapshots")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE list_snapshots ALTER COLUMN body SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("list_snapshots")
