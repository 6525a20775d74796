"""The CSV channels (SPEC §2.3–2.6): each row's outcome, reason, addresses and scope."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.channels import REGISTRY
from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile

pytestmark = pytest.mark.unit


def accounts() -> AccountIndex:
    index = AccountIndex()
    index.add("A1", "alice@example.com", "(212) 555-0101", "US")
    index.add("A1", "billing@example.com", "", "US")
    index.add("A2", "Bob.Smith@gmail.com", "+1 212 555 0102", "US")
    index.add("A3", "carol@example.org", "646-555-0188", "US")
    index.add("A4", "dan@example.org", "(646) 555-0188", "US")
    index.add("A5", "", "", "US")
    return index


def read(tmp_path: Path, channel: str, text: str) -> list:  # type: ignore[type-arg]
    path = tmp_path / f"{channel}.csv"
    path.write_text(text, encoding="utf-8")
    landed = LandedFile(channel, path, date(2026, 10, 9), "0" * 64, path.stat().st_size)
    return list(REGISTRY[channel].read(path, ChannelContext(Settings(), accounts(), landed)))


def summary(record) -> tuple[str, str, list[str], set[str]]:  # type: ignore[no-untyped-def]
    return str(record.outcome), record.reason, sorted(r.key for r in record.requests), {str(r.scope) for r in record.requests}


PHONE = "call_id,started_at,caller_number,account_id,email,disposition,agent_id,notes\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("C1,2026-10-09 09:00,,,Alice@Example.com,OPT_OUT,a1,", ("accepted", "optout", ["alice@example.com"], {"marketing"})),
        ("C2,2026-10-09 09:00,,A1,,opt_out,a1,", ("accepted", "optout", ["alice@example.com", "billing@example.com"], {"marketing"})),
        ("C3,2026-10-09 09:00,212.555.0102,,,OPT_OUT,a1,", ("accepted", "optout", ["bobsmith@gmail.com"], {"marketing"})),
        (
            "C4,2026-10-09 09:00,,A1,,CANCEL_ACCOUNT,a1,",
            ("accepted", "cancellation", ["alice@example.com", "billing@example.com"], {"all"}),
        ),
        (
            "C5,2026-10-09 09:00,,,billing@example.com,cancel_account,a1,",
            ("accepted", "cancellation", ["alice@example.com", "billing@example.com"], {"all"}),
        ),
        ("C6,2026-10-09 09:00,646 555 0188,,,OPT_OUT,a1,", ("needs_review", "shared_phone", [], set())),
        ("C7,2026-10-09 09:00,+44 20 7946 0958,,,OPT_OUT,a1,", ("needs_review", "unresolved", [], set())),
        (
            "C8,2026-10-09 09:00,(212) 555-0101,,alice@@example.com,OPT_OUT,a1,",
            ("accepted", "optout", ["alice@example.com", "billing@example.com"], {"marketing"}),
        ),
        ("C9,2026-10-09 09:00,,,nobody@@example,OPT_OUT,a1,", ("needs_review", "unresolved", [], set())),
        ("C10,2026-10-09 09:00,,,alice@example.com,BILLING,a1,", ("ignored", "not_optout", [], set())),
        ("C11,2026-10-09 09:00,,A9,,OPT_OUT,a1,", ("needs_review", "unresolved", [], set())),
    ],
)
def test_phone(tmp_path: Path, row: str, expected: tuple) -> None:  # type: ignore[type-arg]
    (record,) = read(tmp_path, "phone", PHONE + row + "\n")
    assert summary(record) == expected


def test_phone_naive_time_is_call_centre_local_time(tmp_path: Path) -> None:
    (record,) = read(tmp_path, "phone", PHONE + "C1,2026-10-09 09:00,,,a@example.com,OPT_OUT,a1,\n")
    assert record.requested_at.isoformat() == "2026-10-09T13:00:00+00:00"  # EDT is UTC-4


def test_unreadable_time_falls_back_to_arrival_and_says_so(tmp_path: Path) -> None:
    (record,) = read(tmp_path, "phone", PHONE + "C1,not recorded,,,a@example.com,OPT_OUT,a1,\n")
    assert record.requested_at.isoformat() == "2026-10-09T00:00:00+00:00"
    assert "arrival" in record.raw["_requested_at_note"]


def test_missing_id_gets_a_content_reference(tmp_path: Path) -> None:
    first, second = read(
        tmp_path, "phone", PHONE + ",2026-10-09 09:00,,,a@example.com,OPT_OUT,a1,\n,2026-10-09 09:00,,,a@example.com,OPT_OUT,a1,\n"
    )
    assert first.source_ref.startswith("sha256:")
    assert first.source_ref == second.source_ref  # a repeat of the same row is a duplicate


TICKETS = "ticket_id,account_id,created_at,category,status,subject\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "T1,A1,2026-10-09T10:00:00Z,cancellation,open,close it",
            ("accepted", "cancellation", ["alice@example.com", "billing@example.com"], {"all"}),
        ),
        (
            "T2,A1,2026-10-09T10:00:00Z,Cancellation,closed,",
            ("accepted", "cancellation", ["alice@example.com", "billing@example.com"], {"all"}),
        ),
        ("T3,A1,2026-10-09T10:00:00Z,cancellation,withdrawn,", ("ignored", "withdrawn", [], set())),
        ("T4,A1,2026-10-09T10:00:00Z,cancellation,REJECTED,", ("ignored", "withdrawn", [], set())),
        ("T5,A1,2026-10-09T10:00:00Z,billing,open,", ("ignored", "not_cancellation", [], set())),
        ("T6,A9,2026-10-09T10:00:00Z,cancellation,open,", ("needs_review", "unknown_account", [], set())),
        ("T7,A5,2026-10-09T10:00:00Z,cancellation,open,", ("needs_review", "unknown_account", [], set())),
    ],
)
def test_cancellation_tickets(tmp_path: Path, row: str, expected: tuple) -> None:  # type: ignore[type-arg]
    (record,) = read(tmp_path, "cancellation", TICKETS + row + "\n")
    assert summary(record) == expected


PREFS = "change_id,user_id,account_id,email,marketing_opt_in,changed_at\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("P1,U1,,alice@example.com,false,2026-10-09T10:00:00Z", ("accepted", "optout", ["alice@example.com"], {"marketing"})),
        ("P2,U1,,alice@example.com,N,2026-10-09T10:00:00Z", ("accepted", "optout", ["alice@example.com"], {"marketing"})),
        ("P3,U1,A2,bad@@x,0,2026-10-09T10:00:00Z", ("accepted", "optout", ["bobsmith@gmail.com"], {"marketing"})),
        ("P4,U1,,alice@example.com,yes,2026-10-09T10:00:00Z", ("accepted", "reconsent", ["alice@example.com"], {"marketing"})),
        ("P5,U1,A1,bad@@x,true,2026-10-09T10:00:00Z", ("rejected", "invalid_address", [], set())),
        ("P6,U1,,alice@example.com,maybe,2026-10-09T10:00:00Z", ("needs_review", "unclear_value", [], set())),
        ("P7,U1,,bad@@x,no,2026-10-09T10:00:00Z", ("rejected", "invalid_address", [], set())),
    ],
)
def test_preference_center(tmp_path: Path, row: str, expected: tuple) -> None:  # type: ignore[type-arg]
    (record,) = read(tmp_path, "preference_center", PREFS + row + "\n")
    assert summary(record) == expected
    if record.reason == "reconsent":
        assert {str(r.action) for r in record.requests} == {"lift"}


LETTERS = "letter_id,received_at,email,account_id,name,reference\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("L1,2026-10-09,alice@example.com,,Alice,", ("accepted", "optout", ["alice@example.com"], {"marketing"})),
        ("L2,2026-10-09,,A2,Bob,", ("accepted", "optout", ["bobsmith@gmail.com"], {"marketing"})),
        ("L3,2026-10-09,x@example.com,A2,Bob,", ("accepted", "optout", ["bobsmith@gmail.com", "x@example.com"], {"marketing"})),
        ("L4,2026-10-09,jane@@example,,Jane,", ("rejected", "invalid_address", [], set())),
        ("L5,2026-10-09,,A9,Who,", ("needs_review", "unknown_account", [], set())),
        ("L6,2026-10-09,,,Zoë,illegible", ("needs_review", "unresolved", [], set())),
    ],
)
def test_postal_mail(tmp_path: Path, row: str, expected: tuple) -> None:  # type: ignore[type-arg]
    (record,) = read(tmp_path, "postal_mail", LETTERS + row + "\n")
    assert summary(record) == expected
