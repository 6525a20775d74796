"""console: users, the access log, who made each send check and where its files are

Revision ID: 0004_console
Revises: 0003_list_snapshots
Create Date: 2026-12-02 16:40:00

`send_checks` gains who checked (`cli:<user>`, `api:<key name>`, `console:<user>`) and the
absolute paths of the send file and the removed rows (plain ADD COLUMN: the auditor view that
names the table stays). `console_users` holds sign-in names, roles and memory-hard password
hashes. `access_log` is append-only: each row chained to the previous by SHA-256, and triggers
on both databases refuse UPDATE and DELETE, so what auditors read there nobody can rewrite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pipeline.audit.sqlfiles import AUDITOR_VIEWS, read_sql, statements

revision = "0004_console"
down_revision = "0003_list_snapshots"
branch_labels = None
depends_on = None

_SQLITE_GUARDS = [
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log"
    " BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log"
    " BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
]
_POSTGRES_GUARDS = [
    "CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$",
    "CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log"
    " FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
    "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()",
]


def upgrade() -> None:
    op.add_column("send_checks", sa.Column("checked_by", sa.Text(), nullable=True))
    op.add_column("send_checks", sa.Column("output_path", sa.Text(), nullable=True))
    op.add_column("send_checks", sa.Column("removed_path", sa.Text(), nullable=True))
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("name", name=op.f("uq_console_users_name")),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("page", sa.Text(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("client", sa.Text(), nullable=False, server_default=""),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
        sa.UniqueConstraint("row_hash", name=op.f("uq_access_log_row_hash")),
    )
    op.create_index(op.f("ix_access_log_subject_hash"), "access_log", ["subject_hash"])
    guards = _POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_change ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    op.drop_index(op.f("ix_access_log_subject_hash"), table_name="access_log")
    op.drop_table("access_log")
    op.drop_table("console_users")
    for view in reversed(AUDITOR_VIEWS):  # SQLite rebuilds send_checks to drop columns; a view names it
        op.execute(f"DROP VIEW IF EXISTS {view}")
    with op.batch_alter_table("send_checks", schema=None) as batch_op:
        batch_op.drop_column("removed_path")
        batch_op.drop_column("output_path")
        batch_op.drop_column("checked_by")
    for statement in statements(read_sql("auditor_views.sql")):
        op.execute(statement)
