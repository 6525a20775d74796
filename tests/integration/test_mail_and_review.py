"""Mail, clicks and the review queue against the real store (SQLite and PostgreSQL): each
message's outcome, reconciliation per file, review items, and resolving them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from pipeline.audit import review
from pipeline.audit.verify import verify
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings, parse_token_keys
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.intake.tokens import mint
from pipeline.ledger.history import lookup
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.db import read_tx
from pipeline.store.schema import ingested_files, intake_records, optout_events, review_queue
from tests.conftest import land

pytestmark = pytest.mark.integration
DAY = "2026-10-10"
KEYS = parse_token_keys("k1:secret-one,k0:secret-zero")


def mail(msg_id: str, sender: str, subject: str, body: str, to: str = "support@progiga.example") -> bytes:
    return (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: Sat, 10 Oct 2026 08:00:00 +0000\nMessage-ID: <{msg_id}>\n\n{body}\n"
    ).encode()


def mbox(*messages: bytes) -> bytes:
    return b"".join(b"From - Sat Oct 10 08:00:00 2026\n" + m + b"\n" for m in messages)


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    return replace(settings, token_keys=KEYS, unsubscribe_mailboxes=("unsubscribe@progiga.example",))


def landed_night(s: Settings) -> None:
    land(
        s.landing,
        "accounts",
        "2026-10-08",
        "accounts.csv",
        "account_id,status,email,phone,role,updated_at\nA1,active,owner@example.com,,owner,\nA1,active,billing@example.com,,billing,\n",
    )
    land(
        s.landing,
        "support_inbox",
        DAY,
        "support.mbox",
        mbox(
            mail("s1", "Mary <mary@example.com>", "Unsubscribe", "Please unsubscribe me."),
            mail("s2", "Tom <tom@example.com>", "Invoice", "Where is my invoice?\n\n> Unsubscribe: https://x/u/1"),
            mail("s3", "Ann <ann@example.com>", "Question", "Will unsubscribing also stop my invoices?"),
            mail("s1", "Mary <mary@example.com>", "Unsubscribe", "Please unsubscribe me."),  # the same message twice
            b"\x00\x01\x02 junk",
        ),
    )
    land(s.landing, "support_inbox", DAY, "unsub.eml", mail("u1", "zed@example.com", "unsubscribe", "", to="unsubscribe@progiga.example"))
    land(
        s.landing,
        "cancellation",
        DAY,
        "cancel.mbox",
        mbox(
            mail("c1", "owner@example.com", "Cancel", "Close my account please."),
            mail("c2", "stranger@example.net", "Cancel", "Cancel everything."),
        ),
    )
    token = mint(KEYS[1:], "clicker@example.com", "oct", datetime(2026, 10, 1, tzinfo=UTC))  # signed with the older key
    rows = [
        {
            "event_id": "e1",
            "occurred_at": "2026-10-10T09:00:00Z",
            "token": token,
            "method": "POST",
            "one_click": True,
            "ip": "",
            "user_agent": "",
        },
        {
            "event_id": "e2",
            "occurred_at": "2026-10-10T09:00:00Z",
            "token": token,
            "method": "GET",
            "one_click": False,
            "ip": "",
            "user_agent": "",
        },
        {
            "event_id": "e3",
            "occurred_at": "2026-10-10T09:00:00Z",
            "token": token[:-4],
            "method": "POST",
            "one_click": True,
            "ip": "",
            "user_agent": "",
        },
    ]
    land(s.landing, "unsubscribe_link", DAY, "clicks.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")


def file_counts(engine: sa.Engine) -> dict[str, dict[str, int]]:
    f = ingested_files.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(f.path, f.records, f.accepted, f.ignored, f.rejected, f.needs_review, f.duplicate)).all()
    return {r.path.rsplit("/", 1)[-1]: dict(r._mapping) for r in rows}


def test_a_night_of_mail_and_clicks(engine: sa.Engine, mail_settings: Settings, clock: FixedClock) -> None:
    landed_night(mail_settings)
    summary = run_nightly(engine, mail_settings, date(2026, 10, 10), clock)
    assert summary.status == "success", summary.errors
    counts = file_counts(engine)
    assert {
        k: (v["records"], v["accepted"], v["ignored"], v["rejected"], v["needs_review"], v["duplicate"]) for k, v in counts.items()
    } == {
        "support.mbox": (5, 1, 1, 1, 1, 1),
        "unsub.eml": (1, 1, 0, 0, 0, 0),
        "cancel.mbox": (2, 2, 0, 0, 0, 0),
        "clicks.jsonl": (3, 1, 1, 1, 0, 0),
    }
    with read_tx(engine) as conn:
        for address in (
            "mary@example.com",
            "zed@example.com",
            "clicker@example.com",
            "owner@example.com",
            "billing@example.com",
            "stranger@example.net",
        ):
            assert lookup(conn, mail_settings.hash_key, address).suppressed, address
        assert not lookup(conn, mail_settings.hash_key, "tom@example.com").suppressed
        assert lookup(conn, mail_settings.hash_key, "billing@example.com").scope == "all"
        items = review.list_items(conn)
    assert sorted((i.channel, i.reason, i.record_outcome) for i in items) == [
        ("cancellation", "sender_not_on_account", "accepted"),
        ("support_inbox", "unclear", "needs_review"),
    ]


def test_resolving_review_items(engine: sa.Engine, mail_settings: Settings, clock: FixedClock) -> None:
    landed_night(mail_settings)
    run_nightly(engine, mail_settings, date(2026, 10, 10), clock)
    with read_tx(engine) as conn:
        unclear, stranger = sorted(review.list_items(conn), key=lambda i: i.channel, reverse=True)
    version = review.accept(
        engine, mail_settings, clock, unclear.id, ["Ann@Example.com", "ann+x@example.com"], "Called her back: she wants out", "op1"
    )
    assert version is not None
    with read_tx(engine) as conn:
        answer = lookup(conn, mail_settings.hash_key, "ann@example.com")
        assert answer.suppressed and answer.scope == "marketing"
        [event] = answer.events
        assert event.source_ref == "<s3>" and "Called her back" in event.evidence and event.channel == "support_inbox"
        assert event.requested_at.startswith("2026-10-10T08:00")  # the request's time, not the operator's
        item = review.get_item(conn, unclear.id)
        assert (item.status, item.resolved_by) == ("accepted", "op1") and "she wants out" in (item.resolution or "")
        assert verify(conn, mail_settings.hash_key).ok
    review.dismiss(engine, clock, stranger.id, "Former customer, the cancellation stands alone", "op2")
    with read_tx(engine) as conn:
        assert review.list_items(conn) == []
        assert sorted(i.status for i in review.list_items(conn, None)) == ["accepted", "dismissed"]
    with pytest.raises(OptoutError, match="already accepted"):
        review.dismiss(engine, clock, unclear.id, "second thoughts", "op3")
    with pytest.raises(NotFoundError):
        review.accept(engine, mail_settings, clock, 9999, ["a@example.com"], "no such item", "op")
    with pytest.raises(OptoutError, match="not a valid address"):
        review.accept(engine, mail_settings, clock, stranger.id, ["nope"], "bad address", "op")
    with engine.connect() as conn:
        events = conn.execute(sa.select(sa.func.count()).select_from(optout_events)).scalar_one()
        records = conn.execute(sa.select(sa.func.count()).select_from(intake_records)).scalar_one()
        open_items = conn.execute(sa.select(sa.func.count()).select_from(review_queue).where(review_queue.c.status == "open")).scalar_one()
    assert (open_items, records, events) == (0, 10, 7)  # 11 read, one duplicate; one event per opted-out key


def test_the_demo_seeds_mail_and_clicks(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    """Every message and click in seeds/ ends as seeds/mail_expected.json says; files reconcile."""
    import shutil

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "seeds" / "landing", settings.landing, dirs_exist_ok=True)
    expected = json.loads((ROOT / "seeds" / "mail_expected.json").read_text(encoding="utf-8"))
    for night in ("2026-10-08", "2026-10-09", "2026-10-10"):
        assert run_nightly(engine, settings, date.fromisoformat(night), clock).status == "success"
    r = intake_records.c
    with engine.connect() as conn:
        got = {
            row.source_ref: [row.outcome, row.reason]
            for row in conn.execute(
                sa.select(r.source_ref, r.outcome, r.reason).where(r.channel.in_(["support_inbox", "unsubscribe_link", "cancellation"]))
            )
        }
    assert {k: got.get(k) for k in expected} == expected
    counts = file_counts(engine)
    for name, c in counts.items():
        assert c["records"] == c["accepted"] + c["ignored"] + c["rejected"] + c["needs_review"] + c["duplicate"], name
    assert counts["support_2026-10-09.mbox"]["duplicate"] == 1
