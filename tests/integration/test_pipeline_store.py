"""The nightly pipeline against the real store, on SQLite and a fresh PostgreSQL database:
idempotent re-runs, late files, reconciliation, quarantine, tamper evidence, publishing."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from pipeline.audit.verify import verify
from pipeline.check.run import run_check
from pipeline.core.addresses import try_parse
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import read_tx
from pipeline.store.schema import ingested_files, intake_records, list_versions, metadata, optout_events, suppressions
from tests.conftest import ROOT, land

pytestmark = pytest.mark.integration
SEEDS = ROOT / "seeds"
NIGHTS = [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]


def copy_seeds(landing: Path) -> None:
    shutil.copytree(SEEDS / "landing", landing, dirs_exist_ok=True)


def table_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (ingested_files, intake_records, optout_events, list_versions, suppressions)
        }


def test_migrations_match_the_schema(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_running_a_date_twice_changes_nothing(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    copy_seeds(settings.landing)
    first = run_nightly(engine, settings, NIGHTS[-1], clock)
    before = table_counts(engine)
    second = run_nightly(engine, settings, NIGHTS[-1], clock)
    assert first.status == second.status == "success"
    assert second.new_files == 0
    assert table_counts(engine) == before
    assert (second.list_version, second.digest) == (first.list_version, first.digest)


def test_reconciliation_holds_for_every_seed_file(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    copy_seeds(settings.landing)
    run_nightly(engine, settings, NIGHTS[-1], clock)
    with engine.connect() as conn:
        files = conn.execute(sa.select(ingested_files)).all()
        outcomes = conn.execute(sa.select(intake_records.c.outcome, intake_records.c.reason)).all()
    seed_files = [p for p in (SEEDS / "landing").glob("*/*/*") if p.parent.parent.name != "accounts"]
    assert len(files) == len(seed_files)
    for f in files:
        assert f.quarantine_error is None
        assert f.records == f.accepted + f.ignored + f.rejected + f.needs_review + f.duplicate, f.path
        if not f.path.endswith(".csv"):
            continue  # mail and click files: their records are checked in test_mail_and_review.py
        with Path(f.path).open(encoding="utf-8" if "2026-10-09/letters" not in f.path else "cp1252", newline="") as fh:
            assert f.records == sum(1 for _ in csv.DictReader(fh)), f.path
    assert all(reason for _, reason in outcomes)
    assert {o for o, _ in outcomes} == {"accepted", "ignored", "rejected", "needs_review"}


def test_a_late_file_is_picked_up_by_the_next_run(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    land(
        settings.landing,
        "postal_mail",
        "2026-10-08",
        "letters.csv",
        "letter_id,received_at,email,account_id\nL1,2026-10-08,a@example.com,\n",
    )
    run_nightly(engine, settings, NIGHTS[0], clock)
    land(
        settings.landing,
        "postal_mail",
        "2026-10-08",
        "letters_late.csv",
        "letter_id,received_at,email,account_id\nL2,2026-10-08,late@example.com,\n",
    )
    land(
        settings.landing,
        "postal_mail",
        "2026-10-08",
        "_still_writing.csv",
        "letter_id,received_at,email,account_id\nL3,2026-10-08,x@example.com,\n",
    )
    land(settings.landing, "postal_mail", "2026-10-08", "letters.csv.part", "partial")
    summary = run_nightly(engine, settings, NIGHTS[1], clock)
    assert summary.new_files == 1
    with engine.connect() as conn:
        keys = set(conn.execute(sa.select(suppressions.c.match_key)).scalars())
    assert keys == {"a@example.com", "late@example.com"}


def test_future_folders_wait_for_their_night(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    land(
        settings.landing,
        "postal_mail",
        "2026-10-10",
        "letters.csv",
        "letter_id,received_at,email,account_id\nL1,2026-10-10,a@example.com,\n",
    )
    assert run_nightly(engine, settings, NIGHTS[0], clock).new_files == 0
    assert run_nightly(engine, settings, NIGHTS[2], clock).new_files == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"call_id;started_at;caller_number;account_id;email;disposition\nC1;2026-10-08;;;a@example.com;OPT_OUT\n", "';'-separated"),
        (b"call_id,started_at,email\nC1,2026-10-08,a@example.com\n", "missing column(s) caller_number, account_id, disposition"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    ],
)
def test_a_malformed_file_is_quarantined_and_the_rest_goes_on(
    engine: sa.Engine, settings: Settings, clock: FixedClock, content: bytes, problem: str
) -> None:
    bad = land(settings.landing, "phone", "2026-10-08", "calls_bad.csv", content)
    land(
        settings.landing,
        "phone",
        "2026-10-08",
        "calls_good.csv",
        "call_id,started_at,caller_number,account_id,email,disposition\nC9,2026-10-08 10:00,,,good@example.com,OPT_OUT\n",
    )
    land(
        settings.landing,
        "postal_mail",
        "2026-10-08",
        "letters.csv",
        "letter_id,received_at,email,account_id\nL1,2026-10-08,letter@example.com,\n",
    )
    summary = run_nightly(engine, settings, NIGHTS[0], clock)
    assert summary.status == "failed"
    assert any(str(bad) in e and problem in e for e in summary.errors), summary.errors
    with engine.connect() as conn:
        assert set(conn.execute(sa.select(suppressions.c.match_key)).scalars()) == {"good@example.com", "letter@example.com"}
        quarantined = conn.execute(sa.select(ingested_files.c.quarantine_error).where(ingested_files.c.path == str(bad))).scalar_one()
    assert problem in quarantined
    # Not retried: the next run does not read it again; a corrected copy (new hash) is read.
    assert run_nightly(engine, settings, NIGHTS[0], clock).new_files == 0


def test_verify_passes_untouched_and_fails_on_any_edit(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    copy_seeds(settings.landing)
    for night in NIGHTS:
        run_nightly(engine, settings, night, clock)
    with read_tx(engine) as conn:
        result = verify(conn, settings.hash_key)
    assert result.ok, result.problems
    assert result.events > 100 and result.versions == 3
    edits = [
        "UPDATE optout_events SET scope = 'marketing' WHERE id = (SELECT MIN(id) FROM optout_events WHERE scope = 'all')",
        "UPDATE optout_events SET requested_at = requested_at + INTERVAL '1 hour' WHERE id = 5"
        if engine.dialect.name == "postgresql"
        else "UPDATE optout_events SET requested_at = datetime(requested_at, '+1 hour') WHERE id = 5",
        "UPDATE optout_events SET address = 'someone.else@example.com' WHERE id = 7",
        "DELETE FROM optout_events WHERE id = 3",
        "DELETE FROM suppressions WHERE match_key = (SELECT MIN(match_key) FROM suppressions)",
    ]
    for sql in edits:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("SAVEPOINT edit")
            conn.exec_driver_sql(sql)
            result = verify(conn, settings.hash_key)
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT edit")
        assert not result.ok, sql
        assert result.problems[0]


def test_check_removes_exactly_the_suppressed_keys(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    copy_seeds(settings.landing)
    for night in NIGHTS:
        run_nightly(engine, settings, night, clock)
    out, removed = tmp_path / "send.csv", tmp_path / "removed.csv"
    result = run_check(engine, settings, clock, SEEDS / "campaign.csv", out, campaign="c1", removed=removed)
    with engine.connect() as conn:
        suppressed = set(conn.execute(sa.select(suppressions.c.match_key)).scalars())
    rows = list(csv.DictReader((SEEDS / "campaign.csv").open(encoding="utf-8")))
    expected_kept = [r for r in rows if (a := try_parse(r["email"])) is not None and a.key not in suppressed]
    kept = list(csv.DictReader(out.open(encoding="utf-8")))
    assert kept == expected_kept  # every column, same order
    gone = list(csv.DictReader(removed.open(encoding="utf-8")))
    assert len(gone) == len(rows) - len(kept) == result.suppressed + result.invalid
    assert {g["reason"] for g in gone} == {"suppressed", "invalid_address"}
    assert all(g["channel"] and g["since"] for g in gone if g["reason"] == "suppressed")
    assert result.suppressed > 50


def test_service_checks_honour_only_cancellations(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    land(
        settings.landing,
        "postal_mail",
        "2026-10-08",
        "letters.csv",
        "letter_id,received_at,email,account_id\nL1,2026-10-08,news@example.com,\n",
    )
    land(
        settings.landing,
        "accounts",
        "2026-10-08",
        "accounts.csv",
        "account_id,status,email,phone,role,updated_at\nA1,active,gone@example.com,,owner,\n",
    )
    land(
        settings.landing,
        "cancellation",
        "2026-10-08",
        "t.csv",
        "ticket_id,account_id,created_at,category,status\nT1,A1,2026-10-08T10:00:00Z,cancellation,open\n",
    )
    run_nightly(engine, settings, NIGHTS[0], clock)
    campaign = tmp_path / "c.csv"
    campaign.write_text("email\nnews@example.com\ngone@example.com\nok@example.com\n", encoding="utf-8")
    service = run_check(engine, settings, clock, campaign, tmp_path / "s.csv", kind="service")
    marketing = run_check(engine, settings, clock, campaign, tmp_path / "m.csv", kind="marketing")
    assert (service.kept, service.suppressed) == (2, 1)
    assert (marketing.kept, marketing.suppressed) == (1, 2)


def test_reconsent_lifts_and_history_keeps_both_events(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    copy_seeds(settings.landing)
    for night in NIGHTS:
        run_nightly(engine, settings, night, clock)
    with engine.connect() as conn:
        lifted = conn.execute(sa.select(list_versions.c.lifted).order_by(list_versions.c.version)).scalars().all()
        lifts = conn.execute(sa.select(sa.func.count()).select_from(optout_events).where(optout_events.c.action == "lift")).scalar_one()
    assert sum(lifted) >= 1
    assert lifts >= 1
