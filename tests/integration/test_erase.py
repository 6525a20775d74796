"""`optout erase`: the address leaves every table and the file, the suppression stays, verify passes."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.audit.erase import erase
from pipeline.audit.verify import VerificationError, verify, verify_store
from pipeline.check.run import run_check
from pipeline.core.errors import OptoutError
from pipeline.ledger import manual
from pipeline.ledger.history import lookup
from pipeline.store.db import read_tx
from tests.integration.audit_helpers import all_text, land_letters, recipients_csv, run_at

pytestmark = pytest.mark.integration

PERSON = "Erin.Target@Example.com"


@pytest.fixture
def store(engine, settings, landing, clock, tmp_path):
    """Erin asked by letter (and once more with a +tag); Bob too, later lifted with evidence naming Erin."""
    land_letters(
        landing,
        "2026-10-09",
        "letters.csv",
        [
            ("L1", "2026-10-09T09:00:00Z", PERSON, "Erin Target"),
            ("L2", "2026-10-09T10:00:00Z", "bob@example.org", "Bob Other"),
            ("L3", "2026-10-09T11:00:00Z", "erin.target+news@example.com", "E. Target"),
        ],
    )
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")
    manual.lift(
        engine, settings, clock, "bob@example.org", "re-consent call, confirmed by erin.target@example.com"
    )
    check_in = recipients_csv(
        tmp_path / "send.csv", ["erin.target@example.com", "bob@example.org", "zoe@example.net"]
    )
    run_check(engine, settings, clock, check_in, tmp_path / "out.csv", campaign="fall")
    return tmp_path


def check_removes(engine, settings, clock, tmp_path: Path, address: str) -> bool:
    src = recipients_csv(tmp_path / "again.csv", [address, "zoe@example.net"])
    result = run_check(engine, settings, clock, src, tmp_path / "again.out.csv")
    return result.suppressed == 1 and address.lower() not in (tmp_path / "again.out.csv").read_text().lower()


def test_erase_leaves_no_clear_text_and_keeps_the_suppression(engine, settings, clock, store):
    assert "erin.target" in all_text(engine)
    result = erase(engine, settings, clock, "erin.target@example.com", "GDPR-77")
    text = all_text(engine)
    assert "erin.target" not in text and "erin target" not in text and "e. target" not in text
    assert "bob@example.org" in text  # only Erin's data goes
    assert result.events_cleared >= 3
    (letters,) = result.rewritten  # the landed letters file, with the address redacted
    assert letters.path.endswith("letters.csv") and "erin.target" not in Path(letters.path).read_text().lower()
    with read_tx(engine) as conn:
        assert verify(conn, settings.hash_key).ok
        answer = lookup(conn, settings.hash_key, "ERIN.TARGET+x@example.com")
    assert answer.suppressed
    assert [ev.evidence for ev in answer.events if ev.channel == "erasure"] == ["GDPR erasure, request GDPR-77"]
    assert all(ev.address is None for ev in answer.events)
    assert check_removes(engine, settings, clock, store, "Erin.Target@example.com")


# The bytes of the database files are checked on SQLite only; PostgreSQL gets VACUUM FULL and
# keeps old row images in WAL and backups until their retention ends (docs/audit.md).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_file_holds_no_bytes_of_the_address(engine, settings, clock, store):
    erase(engine, settings, clock, PERSON, "GDPR-77")
    database = Path(engine.url.database)
    data = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert b"erin.target" not in data.lower()
    assert b"bob@example.org" in data


def test_later_import_of_the_same_address_is_still_suppressed(engine, settings, landing, clock, store):
    erase(engine, settings, clock, PERSON, "GDPR-77")
    manual.lift(engine, settings, clock, "bob@example.org", "second re-consent, by phone")
    land_letters(
        landing, "2026-10-12", "more.csv", [("L9", "2026-10-12T09:00:00Z", "erin.target@example.com", "Erin")]
    )
    run_at(engine, settings, clock, "2026-10-12", "2026-10-13T02:00:00")
    with read_tx(engine) as conn:
        assert lookup(conn, settings.hash_key, PERSON).suppressed
        assert verify(conn, settings.hash_key).ok
    assert check_removes(engine, settings, clock, store, PERSON)


def test_erasing_an_address_never_suppressed_suppresses_it(engine, settings, clock, store):
    erase(engine, settings, clock, "new.person@example.com", "GDPR-78")
    assert check_removes(engine, settings, clock, store, "new.person@example.com")


EDITS = [
    ("UPDATE optout_events SET scope = 'all' WHERE id = 1", "row_hash"),
    ("UPDATE optout_events SET requested_at = recorded_at WHERE id = 2", "row_hash"),
    (
        "UPDATE optout_events SET channel = 'manual' WHERE id = (SELECT MAX(id) FROM optout_events)",
        "row_hash",
    ),
    ("UPDATE optout_events SET evidence_hash = key_hash WHERE id = 1", "row_hash"),
    ("UPDATE optout_events SET evidence = 'forged' WHERE id = 4", "evidence"),
    ("DELETE FROM optout_events WHERE id = 2", "missing"),
    ("UPDATE suppressions SET scope = 'all' WHERE scope = 'marketing'", "suppressions"),
    ("DELETE FROM suppressions", "suppressions"),
    ("UPDATE list_versions SET digest = 'x' WHERE version = 1", "version 1"),
]


@pytest.mark.parametrize(("edit", "named"), EDITS)
def test_editing_any_row_after_erasure_fails_verification(engine, settings, clock, store, edit, named):
    erase(engine, settings, clock, PERSON, "GDPR-77")
    with engine.begin() as conn:
        conn.execute(sa.text(edit))
    with read_tx(engine) as conn:
        result = verify(conn, settings.hash_key)
    assert not result.ok
    assert any(named in p for p in result.problems), result.problems


@pytest.mark.parametrize(
    ("address", "ref", "message"),
    [
        ("not an address", "GDPR-1", "not a valid address"),
        (PERSON, "  ", "^ref must name the erasure request"),
        (PERSON, "ticket for erin.target@example.com", "must not contain"),
    ],
)
def test_bad_erase_requests_are_refused(engine, settings, clock, store, address, ref, message):
    with pytest.raises(OptoutError, match=message):
        erase(engine, settings, clock, address, ref)


def test_verify_store_is_what_the_nightly_run_ends_with(engine, settings, clock, store):
    erase(engine, settings, clock, PERSON, "GDPR-77")
    assert verify_store(engine, settings).events == 5
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE optout_events SET action = 'lift' WHERE id = 3"))
    with pytest.raises(VerificationError, match="optout_events id 3") as failed:
        verify_store(engine, settings)
    assert failed.value.exit_code == 1
