"""Migrations 0002_audit, 0003_list_snapshots and 0004_console: the schema still matches the metadata, the
auditor views exist on both backends, and they downgrade and upgrade cleanly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from pipeline.audit.sqlfiles import AUDITOR_VIEWS
from pipeline.store.db import SCHEMA_HEAD, alembic_config, current_revision
from pipeline.store.schema import metadata

pytestmark = pytest.mark.integration


def differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata))


def test_migrated_store_matches_metadata_and_has_the_views(engine):
    assert differences(engine) == []
    with engine.connect() as conn:
        assert set(AUDITOR_VIEWS) <= set(sa.inspect(conn).get_view_names())
        for view in AUDITOR_VIEWS:
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {view}")).scalar_one() == 0


def test_downgrade_and_upgrade_again(engine):
    config = alembic_config(engine)
    command.downgrade(config, "0001")
    with engine.connect() as conn:
        assert not set(AUDITOR_VIEWS) & set(sa.inspect(conn).get_view_names())
    command.upgrade(config, "head")
    assert current_revision(engine) == SCHEMA_HEAD and differences(engine) == []


def test_list_snapshots_downgrade_and_upgrade_again(engine):
    config = alembic_config(engine)
    command.downgrade(config, "0002_audit")
    with engine.connect() as conn:
        assert "list_snapshots" not in sa.inspect(conn).get_table_names()
    command.upgrade(config, "head")
    assert current_revision(engine) == SCHEMA_HEAD and differences(engine) == []


def test_schema_head_constant_is_alembics_head(engine):
    from alembic.script import ScriptDirectory

    from pipeline.store.db import SCHEMA_HEAD

    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == SCHEMA_HEAD


def test_console_downgrade_and_upgrade_again(engine):
    config = alembic_config(engine)
    command.downgrade(config, "0003_list_snapshots")
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        assert not {"console_users", "access_log"} & names
        assert "checked_by" not in {c["name"] for c in sa.inspect(conn).get_columns("send_checks")}
        assert set(AUDITOR_VIEWS) <= set(sa.inspect(conn).get_view_names())
    command.upgrade(config, "head")
    assert current_revision(engine) == SCHEMA_HEAD and differences(engine) == []


@pytest.mark.parametrize("statement", ["UPDATE access_log SET user_name = 'someone else'", "DELETE FROM access_log"])
def test_access_log_refuses_to_be_rewritten(engine, statement):
    row = {"id": 1, "at": "2026-12-02 10:00:00", "user_name": "ann", "role": "auditor", "action": "view",
           "page": "lookup", "prev_hash": "0" * 64, "row_hash": "1" * 64}
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO access_log (id, at, user_name, role, action, page, prev_hash, row_hash)"
                             " VALUES (:id, :at, :user_name, :role, :action, :page, :prev_hash, :row_hash)"), row)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT user_name FROM access_log")).scalars().all() == ["ann"]


def test_run_channels_keeps_the_runs_and_the_files_that_name_them(engine):
    """0005 rebuilds pipeline_runs on SQLite: the rows, and the ingested files that refer to
    them, come through both ways; a day then holds a nightly run and a run of some channels."""
    config = alembic_config(engine)
    command.downgrade(config, "0004_console")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO pipeline_runs (id, logical_date, started_at, status)"
                             " VALUES (7, '2026-12-01', '2026-12-01 02:00:00', 'success')"))
        conn.execute(sa.text("INSERT INTO ingested_files (id, run_id, channel, path, folder_date, sha256, size, records, accepted,"
                             " ignored, rejected, needs_review, duplicate, ingested_at)"
                             " VALUES (3, 7, 'phone', 'p.csv', '2026-12-01', :sha, 1, 0, 0, 0, 0, 0, 0, '2026-12-01 02:00:01')"),
                     {"sha": "a" * 64})
    command.upgrade(config, "head")
    assert differences(engine) == []
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT id, channels FROM pipeline_runs")).all() == [(7, "")]
        assert conn.execute(sa.text("SELECT run_id FROM ingested_files")).scalars().all() == [7]
        if engine.dialect.name == "sqlite":
            assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1  # enforced again after the rebuild
        conn.execute(sa.text("INSERT INTO pipeline_runs (logical_date, channels, started_at, status)"
                             " VALUES ('2026-12-01', 'unsubscribe_link', '2026-12-01 09:00:00', 'success')"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO pipeline_runs (logical_date, started_at, status)"
                             " VALUES ('2026-12-01', '2026-12-01 03:00:00', 'running')"))
    with pytest.raises(RuntimeError, match="run\\(s\\) of some channels"):
        command.downgrade(config, "0004_console")
