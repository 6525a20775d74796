"""The hostile messages under tests/hostile/mail/ through the support_inbox channel, each
against its row in that folder's README.md; and properties of subject and header reading
over generated input (hypothesis): nothing raises, prefixes and tags always come off."""

from __future__ import annotations

from datetime import date
from email.message import Message

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.channels import support_inbox
from pipeline.channels.mail.classify import classify
from pipeline.channels.mail.headers import decode_header_text, subject_of
from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile
from tests.unit.channels.mail.relayed import HOSTILE, hostile_table

pytestmark = pytest.mark.unit

TABLE = hostile_table()


def test_every_file_has_a_row_and_every_row_a_file() -> None:
    assert {row[0] for row in TABLE} == {p.name for p in HOSTILE.glob("*.eml")}
    assert len(TABLE) >= 15


@pytest.mark.parametrize(("name", "outcome", "reason", "opted", "what"), TABLE, ids=[row[0] for row in TABLE])
def test_hostile_message(name: str, outcome: str, reason: str, opted: frozenset[str], what: str) -> None:
    path = HOSTILE / name
    ctx = ChannelContext(Settings(), AccountIndex(), LandedFile("support_inbox", path, date(2026, 10, 9), "0" * 64, path.stat().st_size))
    records = list(support_inbox.read(path, ctx))
    assert len(records) == 1, f"{name}: {len(records)} records"
    record = records[0]
    got = (str(record.outcome), record.reason, frozenset(r.address.lower() for r in record.requests))
    assert got == (outcome, reason, opted), f"{name} ({what}): {record.details}"


PREFIXES = st.sampled_from(
    ["Re: ", "RE : ", "Fwd: ", "Fw: ", "AW: ", "WG: ", "Réf : ", "TR: ", "RV: ", "re[2]: ", "[Users] ", "(list) ", "[hosting-users] "]
)


def _message(subject: str, body: str = "", **headers: str) -> Message:
    msg = Message()
    msg["From"] = "Mia Wong <mia.wong@example.com>"
    msg["To"] = "support@progiga.example"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_payload(body)
    return msg


@settings(max_examples=200, deadline=None)
@given(
    st.lists(PREFIXES, max_size=8), st.sampled_from(["unsubscribe", "UNSUBSCRIBE", "unsubcribe", "unsuscribe", "Unsubscribe newsletter"])
)
def test_any_prefixes_and_tags_come_off_a_subject_only_command(prefixes: list[str], command: str) -> None:
    msg = _message("".join(prefixes) + command, Precedence="list")
    assert subject_of(msg)[0] == command
    assert classify(msg).kind == "optout"


FOOTER_LINES = st.sampled_from(
    [
        "Unsubscribe",
        "Don't want these? Unsubscribe.",
        "If you no longer wish to receive these emails, unsubscribe here: https://acme.example/u/1",
        "To unsubscribe, click here.",
        "You can unsubscribe at any time.",
        "Unsubscribe: https://acme.example/u/1 | Manage preferences",
        "Click here to unsubscribe from this newsletter.",
        "You have asked to unsubscribe from Acme News.",
        "Our autumn sale starts today.",
        "Managed WordPress from $2.99 a month.",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(FOOTER_LINES, min_size=1, max_size=8), st.booleans())
def test_bulk_mail_made_of_newsletter_lines_is_never_a_request(lines: list[str], one_paragraph: bool) -> None:
    """A newsletter: its own content, then footer lines in any order and number. (Without the
    content, a bare "Unsubscribe" above a footer is what a list relays from a person.)"""
    body = ("\n" if one_paragraph else "\n\n").join(["Our autumn sale starts today.", *lines])
    msg = _message("Autumn sale", body, Precedence="bulk", List_Unsubscribe="<https://acme.example/u/1>")
    assert classify(msg).kind == "bulk_mail"  # a web List-Unsubscribe: a marketing sender's


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_reading_any_header_text_never_raises(raw: str) -> None:
    decode_header_text(raw)
    subject_of(_message(raw.replace("\r", " ").replace("\n", " ")))


WORDS = st.sampled_from(
    ["unsubscribe", "unsubcribe", "Re:", "[Users]", "(list)", "me@x.example", "please", "stop", "?", ".", "\n", "\n\n", "Hi,"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(WORDS | st.text(max_size=12), max_size=12).map(" ".join),
    st.lists(WORDS | st.text(max_size=12), max_size=30).map(" ".join),
    st.sampled_from(["", "bulk", "list", "junk", "BULK", "auto_reply"]),
    st.booleans(),
)
def test_any_subject_and_body_classify_without_raising(subject: str, body: str, precedence: str, list_headers: bool) -> None:
    headers = {"Precedence": precedence} if precedence else {}
    if list_headers:
        headers["List_Id"] = "<users.lists.example.org>"
    msg = _message(subject.replace("\r", " ").replace("\n", " "), body, **headers)
    verdict = classify(msg)
    assert verdict.kind in ("optout", "keep", "unclear", "cancel_account", "not_optout", "auto_reply")
    if verdict.kind == "optout":
        assert "mia.wong@example.com" in verdict.addresses
