"""runs of some channels: a run is one logical date and one set of channels

Revision ID: 0005_run_channels
Revises: 0004_console
Create Date: 2026-12-02 20:00:00

`pipeline_runs` gains `channels`: empty for the nightly run of every channel, else the sorted,
comma-separated channels an intraday run (`optout run --channel …`) took. The unique key moves
from `logical_date` to (`logical_date`, `channels`), so the fast channels' runs of a day have a
row of their own and never re-open (and so never hide the failure of) the nightly run of that
day. Existing rows are nightly runs (`channels` empty). On SQLite the table is rebuilt (the
environment checks every reference to it before the commit).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_run_channels"
down_revision = "0004_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pipeline_runs") as batch:
        batch.add_column(sa.Column("channels", sa.Text(), server_default="", nullable=False))
        batch.drop_constraint("uq_pipeline_runs_logical_date", type_="unique")
        batch.create_unique_constraint("uq_pipeline_runs_logical_date_channels", ["logical_date", "channels"])


def downgrade() -> None:
    scoped = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM pipeline_runs WHERE channels <> ''")).scalar_one()
    if scoped:
        raise RuntimeError(f"cannot downgrade below 0005_run_channels: {scoped} run(s) of some channels would "
                           "share a logical date with its nightly run")
    with op.batch_alter_table("pipeline_runs") as batch:
        batch.drop_constraint("uq_pipeline_runs_logical_date_channels", type_="unique")
        batch.drop_column("channels")
        batch.create_unique_constraint("uq_pipeline_runs_logical_date", ["logical_date"])
