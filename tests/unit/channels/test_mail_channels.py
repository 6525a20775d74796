"""support_inbox and cancel@ files: one record per message, whatever the file holds
(SPEC §2.2, §2.4, §3): truncated mboxes, huge messages, no headers, bad charsets, junk."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.channels import REGISTRY
from pipeline.core.config import Settings
from pipeline.core.errors import QuarantineError
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile

pytestmark = pytest.mark.unit


def message(
    sender: str = "Mary <mary@example.com>",
    subject: str = "Unsubscribe",
    body: str = "Please unsubscribe me.",
    msg_id: str | None = "<m1@example.com>",
    date_header: str = "Fri, 09 Oct 2026 10:00:00 +0000",
    extra: str = "",
) -> bytes:
    head = f"From: {sender}\nTo: support@progiga.example\nSubject: {subject}\nDate: {date_header}\n"
    if msg_id:
        head += f"Message-ID: {msg_id}\n"
    return (head + extra + "\n" + body + "\n").encode("utf-8")


def mbox(*messages: bytes) -> bytes:
    return b"".join(b"From MAILER-DAEMON Fri Oct  9 10:00:00 2026\n" + m + b"\n" for m in messages)


def accounts() -> AccountIndex:
    index = AccountIndex()
    index.add("A1", "mary@example.com", "", "US")
    index.add("A1", "billing@example.com", "", "US")
    index.add("A2", "mary@example.com", "", "US")
    index.add("A2", "ops@example.org", "", "US")
    return index


def read(tmp_path: Path, channel: str, name: str, data: bytes) -> list:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_bytes(data)
    landed = LandedFile(channel, path, date(2026, 10, 9), "0" * 64, len(data))
    return list(REGISTRY[channel].read(path, ChannelContext(Settings(), accounts(), landed)))


def outcomes(records) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(str(r.outcome), r.reason) for r in records]


def test_mbox_messages_each_become_a_record(tmp_path: Path) -> None:
    data = mbox(
        message(msg_id="<a@x>"),
        message(msg_id="<b@x>", subject="Invoice", body="Where is my invoice?\n\n> Unsubscribe: https://progiga.example/u/x"),
        message(msg_id=None, subject="Out of Office", body="I am away"),
    )
    records = read(tmp_path, "support_inbox", "inbox.mbox", data)
    assert outcomes(records) == [("accepted", "optout"), ("ignored", "not_optout"), ("ignored", "auto_reply")]
    assert records[0].source_ref == "<a@x>" and records[2].source_ref.startswith("sha256:")
    assert records[0].requested_at == datetime(2026, 10, 9, 10, 0, tzinfo=UTC)
    assert records[1].raw["headers"]["Subject"] == "Invoice" and "message" in records[1].raw
    assert [r.locator for r in records][0].startswith("message 1")


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        # Truncated mid-headers: the last message is cut, the earlier ones survive.
        (
            "truncated.mbox",
            mbox(message(msg_id="<a@x>")) + b"From x Fri Oct  9 10:00:00 2026\nFrom: bob@exa",
            [("accepted", "optout"), ("ignored", "not_optout")],
        ),
        # Cut inside the body: still that message's own text.
        ("cut-body.mbox", mbox(message(msg_id="<a@x>"), message(msg_id="<b@x>"))[:-20], [("accepted", "optout"), ("accepted", "optout")]),
        ("no-headers.eml", b"\n\njust a body, no header at all\n", [("rejected", "unparseable")]),
        ("empty.eml", b"", [("rejected", "unparseable")]),
        ("junk.eml", bytes(range(256)) * 40, [("rejected", "unparseable")]),
        (
            "junk-in-mbox.mbox",
            mbox(message(msg_id="<a@x>"), bytes(range(1, 256)) * 10, message(msg_id="<c@x>")),
            [("accepted", "optout"), ("rejected", "unparseable"), ("accepted", "optout")],
        ),
        (
            "bad-charset.eml",
            message(
                extra="Content-Type: text/plain; charset=x-no-such-charset\nContent-Transfer-Encoding: 8bit\n",
                body="Bitte melden Sie mich vom Newsletter ab. Gr\xfc\xdfe".encode("latin-1").decode("latin-1"),
                subject="Hallo",
            ),
            [("accepted", "optout")],
        ),
        (
            "wrong-charset.eml",
            message(extra="Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n", subject="x").replace(
                b"Please unsubscribe me.", "Désabonnez-moi".encode("latin-1")
            ),
            [("accepted", "optout")],
        ),
        (
            "broken-b64.eml",
            message(extra="Content-Type: text/plain\nContent-Transfer-Encoding: base64\n", body="!!!not base64", subject="Unsubscribe"),
            [("accepted", "optout")],
        ),
        ("bad-date.eml", message(date_header="31 Foo 1850 99:99"), [("accepted", "optout")]),
        ("bad-from.eml", message(sender="not an address"), [("rejected", "invalid_address")]),
        (
            "bad-boundary.eml",
            message(
                extra='MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="nope"\n',
                body="--other\nContent-Type: text/plain\n\nUnsubscribe me\n",
            ),
            [("accepted", "optout")],
        ),
    ],
)
def test_broken_input_never_loses_the_rest(tmp_path: Path, name: str, data: bytes, expected: list[tuple[str, str]]) -> None:
    assert outcomes(read(tmp_path, "support_inbox", name, data)) == expected


def test_a_ten_megabyte_message_is_read_but_not_kept_whole(tmp_path: Path) -> None:
    big = message(body="Please unsubscribe me.\n" + ("x" * 99 + "\n") * 100_000)
    assert len(big) > 10_000_000
    records = read(tmp_path, "support_inbox", "big.mbox", mbox(big, message(msg_id="<after@x>")))
    assert outcomes(records) == [("accepted", "optout"), ("accepted", "optout")]
    assert "message" not in records[0].raw and records[0].raw["size"] >= len(big)


def test_a_file_that_is_not_an_mbox_is_quarantined(tmp_path: Path) -> None:
    with pytest.raises(QuarantineError, match="not an mbox"):
        read(tmp_path, "support_inbox", "x.mbox", b"account_id,email\nA1,a@b.c\n")


def test_requested_at_falls_back_to_arrival(tmp_path: Path) -> None:
    [record] = read(tmp_path, "support_inbox", "m.eml", message(date_header="Fri, 09 Oct 2099 10:00:00 +0000"))
    assert record.requested_at == datetime(2026, 10, 9, tzinfo=UTC)
    assert "arrival" in record.raw["_requested_at_note"]


@pytest.mark.parametrize(
    ("data", "expected", "keys", "review"),
    [
        # The sender is a contact of two accounts: every contact of both, scope all.
        (
            message(subject="Cancel", body="Please close my account."),
            ("accepted", "cancellation"),
            ["billing@example.com", "mary@example.com", "ops@example.org"],
            "",
        ),
        # Whatever the words, a person's message to cancel@ is a cancellation (SPEC §2.4).
        (
            message(subject="Hi", body="Thanks for the service."),
            ("accepted", "cancellation"),
            ["billing@example.com", "mary@example.com", "ops@example.org"],
            "",
        ),
        # A sender on no account: the sender alone, and a review item.
        (message(sender="stranger@example.net"), ("accepted", "cancellation"), ["stranger@example.net"], "sender_not_on_account"),
        (message(subject="Automatic reply: cancel", body="I am away"), ("ignored", "auto_reply"), [], ""),
        (message(sender="MAILER-DAEMON@mx.example.net", subject="Undelivered Mail Returned to Sender"), ("ignored", "bounce"), [], ""),
        (message(sender="<>"), ("rejected", "invalid_address"), [], ""),
    ],
)
def test_cancel_mail(tmp_path: Path, data: bytes, expected: tuple[str, str], keys: list[str], review: str) -> None:
    [record] = read(tmp_path, "cancellation", "cancel.eml", data)
    assert (str(record.outcome), record.reason) == expected
    assert sorted(r.key for r in record.requests) == keys
    assert {str(r.scope) for r in record.requests} <= {"all"}
    assert record.review == review


def test_cancellation_still_reads_tickets(tmp_path: Path) -> None:
    csv = b"ticket_id,account_id,created_at,category,status,subject\nT1,A1,2026-10-09 10:00,cancellation,open,bye\n"
    [record] = read(tmp_path, "cancellation", "tickets.csv", csv)
    assert (str(record.outcome), record.reason) == ("accepted", "cancellation")


def test_an_arf_report_to_cancel_at_never_cancels_the_reporter(tmp_path: Path) -> None:
    from tests.unit.channels.mail.corpus import arf

    [named] = read(tmp_path, "cancellation", "a.eml", arf("mary@example.com"))
    assert (str(named.outcome), named.reason, [r.key for r in named.requests]) == ("accepted", "complaint", ["mary@example.com"])
    assert {str(r.scope) for r in named.requests} == {"marketing"}
    [anonymous] = read(tmp_path, "cancellation", "b.eml", arf(None))
    assert (str(anonymous.outcome), anonymous.reason, anonymous.requests) == ("needs_review", "unclear", ())
