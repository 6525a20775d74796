"""Table definitions (SQLAlchemy Core). The migrations in `migrations/versions` create them;
a test checks the two agree."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from pipeline.core.clock import as_utc

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and read back timezone-aware on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)


def utc_text(column: sa.ColumnElement[Any], postgres: bool) -> sa.ColumnElement[str]:
    """A stored UTC time as `YYYY-MM-DD HH:MM:SS.ffffff` text on both stores (SQLite keeps it so),
    for a reader that parses a whole column at once instead of a datetime per row."""
    if postgres:
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
    return sa.cast(column, sa.Text)


Text = sa.Text
pipeline_runs = sa.Table(
    "pipeline_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("logical_date", sa.Date, nullable=False),
    # Empty: the nightly run of every channel; else the sorted, comma-separated channels of a
    # run of some channels only (`optout run --channel`, the intraday DAG).
    sa.Column("channels", Text, nullable=False, server_default=""),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("counts", sa.JSON),
    sa.Column("data_quality", sa.JSON),
    sa.Column("list_version", sa.Integer),
    sa.Column("error", Text),
    sa.UniqueConstraint("logical_date", "channels"),
)

ingested_files = sa.Table(
    "ingested_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("pipeline_runs.id")),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("path", Text, nullable=False),
    sa.Column("folder_date", sa.Date, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("ignored", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("needs_review", sa.Integer, nullable=False),
    sa.Column("duplicate", sa.Integer, nullable=False),
    sa.Column("quarantine_error", Text),
    sa.Column("ingested_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("channel", "sha256"),
)

intake_records = sa.Table(
    "intake_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("source_ref", Text, nullable=False),
    sa.Column("file_id", sa.Integer, sa.ForeignKey("ingested_files.id")),
    sa.Column("locator", Text, nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("details", Text, nullable=False, server_default=""),
    sa.Column("raw", sa.JSON),
    sa.UniqueConstraint("channel", "source_ref"),
)

optout_events = sa.Table(
    "optout_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("intake_records.id")),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("address", Text),  # cleared by erasure; address_hash stays
    sa.Column("match_key", Text),  # cleared by erasure; key_hash stays
    sa.Column("address_hash", sa.String(64), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, index=True),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("pipeline_runs.id")),
    # Free-text evidence (manual entries, lifts). The chain covers evidence_hash, a keyed hash,
    # so erasure can clear a text that names the person without breaking the chain.
    sa.Column("evidence", Text, server_default=""),
    sa.Column("evidence_hash", sa.String(64)),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False, unique=True),
)

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("match_key", Text, unique=True),  # NULL once erased: the key_hash still suppresses
    sa.Column("address", Text),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("first_requested_at", UTCDateTime, nullable=False),
    sa.Column("last_requested_at", UTCDateTime, nullable=False),
    sa.Column("channels", Text, nullable=False),
    sa.Column("effective_at", UTCDateTime, nullable=False),
    sa.Column("list_version", sa.Integer, nullable=False),
    # Set by erasure: HMAC(export_key, match_key) kept so the hashed export still carries an
    # erased entry, and which export key made it (docs/audit.md).
    sa.Column("export_hash", sa.String(64)),
    sa.Column("export_key_id", sa.String(16)),
)

list_versions = sa.Table(
    "list_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("pipeline_runs.id")),
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("added", sa.Integer, nullable=False),
    sa.Column("lifted", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("last_event_id", sa.Integer, nullable=False),
    # 1: SHA-256 of the sorted entries; 2: SHA-256 of `digest_sum`, a sum of one hash per entry
    # that the next version updates with what changed (pipeline/ledger/digests.py).
    sa.Column("digest_scheme", sa.Integer, nullable=False, server_default="1"),
    sa.Column("digest_sum", sa.LargeBinary),
)

# The newest version's keys in one signed blob, for fast checks (pipeline/check/snapshots.py): a
# cache of `suppressions` that a check verifies before use and rebuilds when it does not verify.
# A small change is stored as a delta over an older whole snapshot, kept beside it (`base`).
list_snapshots = sa.Table(
    "list_snapshots",
    metadata,
    sa.Column("version", sa.Integer, sa.ForeignKey("list_versions.version"), primary_key=True, autoincrement=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("mac", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("base", sa.Integer),  # a delta's whole snapshot (its version); empty for a whole one
)

review_queue = sa.Table(
    "review_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("intake_records.id"), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("details", Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("resolution", Text),
    sa.Column("resolved_by", Text),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

send_checks = sa.Table(
    "send_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("campaign", Text),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("checked_at", UTCDateTime, nullable=False),
    sa.Column("list_version", sa.Integer, nullable=False),
    sa.Column("list_digest", sa.String(64), nullable=False),
    sa.Column("rows_in", sa.Integer, nullable=False),
    sa.Column("kept", sa.Integer, nullable=False),
    sa.Column("suppressed", sa.Integer, nullable=False),
    sa.Column("invalid", sa.Integer, nullable=False),
    sa.Column("input_sha256", sa.String(64), nullable=False),
    sa.Column("output_sha256", sa.String(64), nullable=False),
    sa.Column("input_path", Text),
    sa.Column("receipt_path", Text),
    sa.Column("checked_by", Text),  # cli:<user>, api:<key name>, console:<user>; NULL before 0004
    sa.Column("output_path", Text),
    sa.Column("removed_path", Text),
)

console_users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),  # marketer | auditor | admin
    sa.Column("password_hash", Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled_at", UTCDateTime),
)

# Every console view or download of personal data (SPEC §8). Append-only: chained like the
# events, and database triggers refuse UPDATE and DELETE (migration 0004). The person looked at
# is kept only as the keyed hash of their match key, so erasure has nothing to remove here.
access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # view | download
    sa.Column("page", Text, nullable=False),
    sa.Column("subject_hash", sa.String(64), index=True),
    sa.Column("detail", Text, nullable=False, server_default=""),
    sa.Column("client", Text, nullable=False, server_default=""),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False, unique=True),
)
