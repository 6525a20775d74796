"""The console's access log (pipeline/access/log.py) on SQLite and PostgreSQL: rows chain, an
edit made behind the triggers' back is found, and people are found by the keyed hash only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from pipeline.access import log
from pipeline.store.db import migrate

pytestmark = pytest.mark.integration
AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(engine, settings):
    migrate(engine)
    return engine


def test_entries_chain_and_find_a_person_by_hash(store, settings):
    someone = log.subject_hash(settings.hash_key, "Ann.Example@Example.com")
    log.record(store, log.Access("ann", "auditor", "view", "lookup", someone, client="127.0.0.1"), AT)
    log.record(store, log.Access("bob", "marketer", "download", "check 7 removed rows", detail="check 7"), AT)
    assert log.subject_hash(settings.hash_key, "ann.example@example.com") == someone
    assert [e["user_name"] for e in log.entries(store, subject=someone)] == ["ann"]
    assert [e["id"] for e in log.entries(store)] == [2, 1]
    assert log.verify(store) == []
    with store.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM access_log")) for v in row)
    assert "example.com" not in stored.lower()


def test_an_edit_made_around_the_triggers_is_found(store, settings):
    for n in range(3):
        log.record(store, log.Access(f"user{n}", "auditor", "view", "history"), AT)
    with store.begin() as conn:  # what someone with database rights could do: drop the guard, edit
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change"))
        else:
            conn.execute(sa.text("DROP TRIGGER access_log_no_update"))
        conn.execute(sa.text("UPDATE access_log SET user_name = 'nobody' WHERE id = 2"))
    assert log.verify(store) == [2]


@pytest.mark.parametrize("address", ["not an address", ""])
def test_no_hash_for_what_is_not_an_address(settings, address):
    assert log.subject_hash(settings.hash_key, address) is None


def test_only_known_actions(store):
    with pytest.raises(ValueError, match="view"):
        log.record(store, log.Access("ann", "auditor", "edit", "lookup"), AT)
