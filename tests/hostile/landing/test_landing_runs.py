"""Hostile landing zones through the real nightly run (`optout run --json` and
`pipeline.orchestration.nightly`), on SQLite and PostgreSQL: nothing outside the landing zone enters the store
or the run's output, every stray is listed with its path, good files are still ingested, a
re-run changes nothing; broken accounts snapshots; review items a later snapshot settles."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pipeline.audit.review import SYSTEM
from pipeline.audit.verify import verify
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.ledger import ingest
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import make_engine
from pipeline.store.schema import intake_records, metadata, optout_events, pipeline_runs, review_queue, suppressions
from tests.conftest import ROOT
from tests.hostile.landing.cases import CASES, SECRET, build_landing
from tests.integration.test_cli import optout

pytestmark = pytest.mark.integration
ACCOUNTS = "account_id,status,email,phone,role,updated_at\nAC1,active,ann@example.com,,owner,2026-10-01T00:00:00Z\n"
WARNED = sorted(c.warned for c in CASES if c.warned)


def hostile_landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    build_landing(root, tmp_path / "outside", CASES)
    folder = root / "accounts" / "2026-10-01"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    return root


def store_text(url: str) -> str:
    """Every row of every table, as text, lower-cased: what a grep of the store would see."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return "\n".join(str(tuple(row)) for t in metadata.sorted_tables for row in conn.execute(sa.select(t))).lower()
    finally:
        engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def test_optout_run_lists_the_strays_and_reads_nothing_outside(db_url: str, tmp_path: Path) -> None:
    landing = hostile_landing(tmp_path)
    first = optout("run", "--date", "2026-10-10", "--json", db=db_url, landing=landing)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["status"] == "success" and summary["new_files"] == 1
    assert summary["channels"]["phone"]["files"] == 1 and summary["totals"]["accepted"] == 1
    assert sorted(w["path"] for w in summary["warnings"]) == sorted(str(landing / p) for p in WARNED)
    assert all(w["reason"] for w in summary["warnings"])
    assert SECRET.lower() not in (first.stdout + first.stderr).lower()
    text = store_text(db_url)
    assert SECRET.lower() not in text
    assert "good.caller@example.com" in text
    for marker in ("call-odd-1", "call-unknown-1", "call-root-1", "call-chanroot-1", "call-nested-1", "call-inflight-1", "call-future-1"):
        assert marker not in text, marker
    engine = make_engine(db_url)
    with engine.connect() as conn:
        raws = [json.dumps(r) for r in conn.execute(sa.select(intake_records.c.raw)).scalars()]
        stored = conn.execute(sa.select(pipeline_runs.c.counts)).scalar_one()["_warnings"]
    engine.dispose()
    assert not any(SECRET.lower() in raw.lower() for raw in raws)
    assert stored == summary["warnings"]

    before = row_counts(db_url)
    again = optout("run", "--date", "2026-10-10", "--json", db=db_url, landing=landing)
    repeat = json.loads(again.stdout)
    assert again.returncode == 0 and repeat["new_files"] == 0 and repeat["warnings"] == summary["warnings"]
    assert (repeat["list_version"], repeat["digest"]) == (summary["list_version"], summary["digest"])
    assert row_counts(db_url) == before

    shown = optout("run", "--date", "2026-10-10", db=db_url, landing=landing)
    assert f"warning: {landing / 'phone/2026-10-10/calls_secret.csv'}: symbolic link to" in shown.stdout
    assert SECRET.lower() not in shown.stdout.lower()


ONE_FILE_PER_CHANNEL = {
    "phone": ("calls.csv", "call_id,started_at,caller_number,account_id,email,disposition\nC1,2026-10-10,,,a@example.com,OPT_OUT\n"),
    "cancellation": ("tickets.csv", "ticket_id,account_id,created_at,category,status\nT1,AC1,2026-10-10,cancellation,open\n"),
    "preference_center": ("changes.csv", "change_id,account_id,email,marketing_opt_in,changed_at\nP1,,a@example.com,false,2026-10-10\n"),
    "postal_mail": ("letters.csv", "letter_id,received_at,email,account_id\nL1,2026-10-10,a@example.com,\n"),
    "support_inbox": ("m.eml", "From: a@example.com\nSubject: unsubscribe\nMessage-ID: <m1@x>\n\nPlease unsubscribe me.\n"),
    "unsubscribe_link": ("clicks.jsonl", '{"event_id": "e1", "occurred_at": "2026-10-10T00:00:00Z", "token": "x", "method": "GET"}\n'),
}


@pytest.mark.parametrize("channel", list(ONE_FILE_PER_CHANNEL))
def test_a_file_swapped_for_a_link_during_the_run_is_quarantined(
    channel: str, engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every channel's reader opens the file as found (`LandedPath`), never the link put in its place."""
    name, content = ONE_FILE_PER_CHANNEL[channel]
    folder = settings.landing / channel / "2026-10-10"
    folder.mkdir(parents=True)
    (folder / name).write_text(content, encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text(content.replace("a@example.com", f"{SECRET}@x.example"), encoding="utf-8")
    real_read = ingest.read_file

    def swap_then_read(ch: Any, landed: Any, ctx: Any) -> Any:
        landed.path.unlink()
        landed.path.symlink_to(secret)
        return real_read(ch, landed, ctx)

    monkeypatch.setattr(ingest, "read_file", swap_then_read)
    summary = run_nightly(engine, settings, date(2026, 10, 10), clock)
    assert summary.status == "failed"
    assert [q for q in summary.channels[channel]["quarantined"] if "after the run found it: not read" in q], summary.errors
    assert SECRET.lower() not in store_text(settings.database_url)


def land_accounts(root: Path, day: str, content: bytes) -> None:
    folder = root / "accounts" / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_bytes(content)


CALL_BY_ACCOUNT = (
    "call_id,started_at,caller_number,account_id,email,disposition\nCALL-AC1,2026-10-10 09:00,,AC1,,OPT_OUT\n"
)


@pytest.mark.parametrize(
    ("older", "newest", "status", "suppressed"),
    [
        (ACCOUNTS.encode(), b"\x00binary\x00", "success", True),
        (ACCOUNTS.encode(), b"id;mail\nAC1;ann@example.com\n", "success", True),
        (ACCOUNTS.encode(), (ACCOUNTS + 'AC2,active,"cut').encode(), "success", True),
        (b"\x00", b"id;mail\n", "failed", False),
        (None, None, "success", False),
    ],
    ids=["newest_binary", "newest_bad_columns", "newest_truncated", "both_broken", "none"],
)
def test_accounts_snapshot_fallback_in_the_run(
    engine: sa.Engine, settings: Settings, clock: FixedClock,
    older: bytes | None, newest: bytes | None, status: str, suppressed: bool,
) -> None:
    root = settings.landing
    if older is not None:
        land_accounts(root, "2026-10-01", older)
    if newest is not None:
        land_accounts(root, "2026-10-09", newest)
    (root / "phone" / "2026-10-10").mkdir(parents=True)
    (root / "phone" / "2026-10-10" / "calls.csv").write_text(CALL_BY_ACCOUNT, encoding="utf-8")
    summary = run_nightly(engine, settings, date(2026, 10, 10), clock)
    assert summary.status == status, summary.errors
    assert summary.channels["phone"]["files"] == 1  # the channels go on whatever the snapshot
    with engine.connect() as conn:
        keys = set(conn.execute(sa.select(suppressions.c.address)).scalars())
    assert ("ann@example.com" in keys) is suppressed
    paths = {w["path"] for w in summary.warnings}
    if newest is not None:
        assert str(root / "accounts" / "2026-10-09" / "accounts.csv") in paths
    if older is None:
        assert paths == {str(root / "accounts")}
    if status == "failed":
        assert any("no readable accounts snapshot" in e for e in summary.errors)


def test_a_later_snapshot_settles_items_held_for_an_unknown_account(engine: sa.Engine, settings: Settings, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "seeds" / "landing", settings.landing, dirs_exist_ok=True)
    night = FixedClock(datetime(2026, 10, 11, 2, 0, tzinfo=UTC))
    first = run_nightly(engine, settings, date(2026, 10, 10), night)
    assert first.status == "success" and first.review_resolved == []
    held = held_items(engine)
    assert len(held) == 3  # the three AC9999 cancellation tickets
    snapshot = (settings.landing / "accounts" / "2026-10-08" / "accounts.csv").read_text(encoding="utf-8")
    snapshot += (
        "AC9999,active,nine.late@example.com,,owner,2026-10-11T00:00:00Z\n"
        "AC9999,active,nine.billing@example.com,,billing,2026-10-11T00:00:00Z\n"
    )
    land_accounts(settings.landing, "2026-10-11", snapshot.encode("utf-8"))

    later = FixedClock(datetime(2026, 10, 12, 2, 0, tzinfo=UTC))
    second = run_nightly(engine, settings, date(2026, 10, 11), later)
    assert second.status == "success" and sorted(second.review_resolved) == sorted(held)
    assert second.list_version == (first.list_version or 0) + 1
    with engine.connect() as conn:
        items = conn.execute(sa.select(review_queue).where(review_queue.c.id.in_(held))).all()
        events = conn.execute(
            sa.select(optout_events.c.address, optout_events.c.scope, optout_events.c.requested_at, intake_records.c.requested_at)
            .join(intake_records, intake_records.c.id == optout_events.c.record_id)
            .where(optout_events.c.address.in_(["nine.late@example.com", "nine.billing@example.com"]))
        ).all()
        listed = dict(conn.execute(sa.select(suppressions.c.address, suppressions.c.scope)).all())
        assert verify(conn, settings.hash_key).ok
    assert {i.status for i in items} == {"accepted"} and {i.resolved_by for i in items} == {SYSTEM}
    assert all("accounts/2026-10-11/accounts.csv" in i.resolution for i in items)
    assert len(events) == 6  # two contacts for each of three tickets
    assert all(scope == "all" and at == own for _a, scope, at, own in events)
    assert listed["nine.late@example.com"] == listed["nine.billing@example.com"] == "all"
    check = optout("verify", db=settings.database_url)
    assert check.returncode == 0, check.stdout + check.stderr

    before = row_counts(settings.database_url)
    again = run_nightly(engine, settings, date(2026, 10, 11), later)
    assert again.review_resolved == second.review_resolved and again.list_version == second.list_version
    assert row_counts(settings.database_url) == before


HELD_NIGHT = {
    "phone": ("calls.csv", "call_id,started_at,caller_number,account_id,email,disposition\n"
              "CALL-OUT,2026-10-10T09:00:00Z,,AC7,,OPT_OUT\nCALL-CANCEL,2026-10-10T09:05:00Z,,AC7,not-an-address,CANCEL_ACCOUNT\n"
              "CALL-NUMBER,2026-10-10T09:10:00Z,+1 212 555 0199,,,OPT_OUT\n"),
    "postal_mail": ("letters.csv", "letter_id,received_at,email,account_id\nLTR-7,2026-10-10,,AC7\n"),
    "preference_center": ("changes.csv", "change_id,account_id,email,marketing_opt_in,changed_at\nPC-7,AC7,,false,2026-10-10T10:00:00Z\n"),
    "cancellation": ("tickets.csv", "ticket_id,account_id,created_at,category,status\nTKT-7,AC7,2026-10-10T11:00:00Z,cancellation,open\n"),
}
SETTLED = {"CALL-OUT": "marketing", "CALL-CANCEL": "all", "LTR-7": "marketing", "PC-7": "marketing", "TKT-7": "all"}


def test_each_channel_s_held_record_is_settled_with_its_own_scope_and_time(engine: sa.Engine, settings: Settings) -> None:
    root = settings.landing
    land_accounts(root, "2026-10-01", ACCOUNTS.encode())
    for channel, (name, content) in HELD_NIGHT.items():
        (root / channel / "2026-10-10").mkdir(parents=True)
        (root / channel / "2026-10-10" / name).write_text(content, encoding="utf-8")
    first = run_nightly(engine, settings, date(2026, 10, 10), FixedClock(datetime(2026, 10, 11, 2, 0, tzinfo=UTC)))
    assert first.status == "success" and first.channels["phone"]["needs_review"] == 3
    land_accounts(root, "2026-10-11", (ACCOUNTS + "AC7,active,seven@example.com,+12125550199,owner,2026-10-11T00:00:00Z\n").encode())
    second = run_nightly(engine, settings, date(2026, 10, 11), FixedClock(datetime(2026, 10, 12, 2, 0, tzinfo=UTC)))
    assert len(second.review_resolved) == len(SETTLED)
    with engine.connect() as conn:
        e, r, q = optout_events.c, intake_records.c, review_queue.c
        events = conn.execute(
            sa.select(r.source_ref, e.scope, e.address, e.requested_at, r.requested_at, e.run_id).join(intake_records, r.id == e.record_id)
        ).all()
        still_open = conn.execute(sa.select(r.source_ref).join(intake_records, r.id == q.record_id).where(q.status == "open")).scalars()
        assert list(still_open) == ["CALL-NUMBER"]  # a caller number alone waits for the operator
        assert verify(conn, settings.hash_key).ok
    assert {ref: scope for ref, scope, *_ in events} == SETTLED
    assert all(address == "seven@example.com" and at == own and run == second.run_id for _r, _s, address, at, own, run in events)


def held_items(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        q = review_queue.c
        return list(conn.execute(sa.select(q.id).where(q.status == "open", q.reason == "unknown_account")).scalars())


def test_the_dag_steps_list_the_strays_on_the_run(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.orchestration import tasks as orchestration

    landing = hostile_landing(tmp_path)
    monkeypatch.delenv("OPTOUT_STORE_CONN_ID", raising=False)
    monkeypatch.setenv("OPTOUT_DATABASE_URL", db_url)
    monkeypatch.setenv("OPTOUT_LANDING", str(landing))
    run_id = orchestration.begin_run("2026-10-10")
    for channel in orchestration.channel_names():
        orchestration.ingest(run_id, channel)
    orchestration.publish_list(run_id)
    result = orchestration.finish(run_id)
    assert result["status"] == "success"
    assert sorted(w["path"] for w in result["warnings"]) == sorted(str(landing / p) for p in WARNED)
    assert SECRET.lower() not in store_text(db_url)
