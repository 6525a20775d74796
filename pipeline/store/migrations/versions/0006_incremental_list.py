"""incremental list versions: a digest that follows the change, snapshots stored as deltas

Revision ID: 0006_incremental_list
Revises: 0005_run_channels
Create Date: 2026-12-03 11:00:00

`list_versions` gains `digest_scheme` and `digest_sum`. Scheme 1 (every existing row) is the
SHA-256 of the sorted `key_hash<TAB>scope` lines; scheme 2 is the SHA-256 of a sum of one hash
per entry (`digest_sum`, kept so the next version adds and subtracts only what changed), see
pipeline/ledger/digests.py. `list_snapshots` gains `base`: empty for a whole snapshot, else the
version of the whole snapshot this one holds the changes over.

Downgrading is refused while a scheme-2 version exists (the older code could not verify it);
delta snapshots are a cache and are deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_incremental_list"
down_revision = "0005_run_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both stores (SQLite adds and drops columns in place): rebuilding
    # `list_versions` would trip over the auditor views that read it.
    op.add_column("list_versions", sa.Column("digest_scheme", sa.Integer(), server_default="1", nullable=False))
    op.add_column("list_versions", sa.Column("digest_sum", sa.LargeBinary(), nullable=True))
    op.add_column("list_snapshots", sa.Column("base", sa.Integer(), nullable=True))


def downgrade() -> None:
    newer = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM list_versions WHERE digest_scheme <> 1")).scalar_one()
    if newer:
        raise RuntimeError(f"cannot downgrade below 0006_incremental_list: {newer} list version(s) carry a "
                           "digest the older code cannot verify")
    op.execute("DELETE FROM list_snapshots WHERE base IS NOT NULL")
    op.drop_column("list_snapshots", "base")
    op.drop_column("list_versions", "digest_sum")
    op.drop_column("list_versions", "digest_scheme")
