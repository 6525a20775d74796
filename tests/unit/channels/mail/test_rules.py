"""One short message per classification rule (SPEC §2.2, in its order): complaints, delivery
status notifications, automatic replies, bulk mail, the unsubscribe mailbox, then the sender's
own words in each language, with what the classifier sets aside (quotes, footers, someone
else's subject) and what it refuses to decide (a refusal beside a request, a question)."""

from __future__ import annotations

from email import message_from_string
from email.message import Message

import pytest

from pipeline.channels.mail.classify import classify

pytestmark = pytest.mark.unit

MAILBOX = "unsubscribe@shop.example"
FROM = "Jane Roe <jane@example.com>"


def message(subject: str, body: str, headers: dict[str, str] | None = None, ctype: str = "text/plain; charset=utf-8") -> Message:
    head = {"From": FROM, "To": "support@shop.example", "Subject": subject, "Content-Type": ctype, **(headers or {})}
    text = "".join(f"{k}: {v}\n" for k, v in head.items() if v) + "\n" + body
    return message_from_string(text)


ARF = """--B
Content-Type: text/plain

This is an abuse report.
--B
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP/1.0
Version: 1
{fields}
--B
Content-Type: message/rfc822

From: news@shop.example
To: {to}
Subject: October deals

Deals.
--B--
"""
REPORT = "multipart/report; report-type=feedback-report; boundary=B"
DSN = """--B
Content-Type: text/plain

Delivery failed.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.net
Action: failed
Status: 5.1.1
--B--
"""

# (id, subject, body, extra headers, content type, kind, language, words the details hold)
RULES: list[tuple[str, str, str, dict[str, str], str, str, str, str]] = [
    # ARF complaints and feedback loops
    ("arf-removal-recipient", "Abuse report", ARF.format(fields="Removal-Recipient: c@example.org", to="t@example.org"), {},
     REPORT, "complaint", "", "complaining recipient from Removal-Recipient"),
    ("arf-original-rcpt-to", "Abuse report", ARF.format(fields="Original-Rcpt-To: c@example.org", to="t@example.org"), {},
     REPORT, "complaint", "", "from Original-Rcpt-To"),
    ("arf-reported-to", "Abuse report", ARF.format(fields="", to="t@example.org"), {}, REPORT, "complaint", "",
     "from To of the reported message"),
    ("arf-nobody", "Abuse report", ARF.format(fields="", to="undisclosed-recipients:;"), {}, REPORT, "complaint_unclear", "",
     "ARF abuse report that names no complaining recipient"),
    # Delivery status notifications
    ("dsn-report", "Undelivered", DSN, {}, "multipart/report; report-type=delivery-status; boundary=B", "bounce", "",
     "multipart/report; report-type=delivery-status"),
    ("dsn-mailer-daemon", "failure notice", "Sorry, I could not deliver.",
     {"From": "Mail Delivery System <MAILER-DAEMON@mx.example.net>"}, "text/plain", "bounce", "", "sent by"),
    ("dsn-failed-recipients", "Hello", "No such user.", {"X-Failed-Recipients": "gone@example.net"}, "text/plain", "bounce",
     "", "X-Failed-Recipients header"),
    ("dsn-null-sender-subject", "Undeliverable: October deals", "unsubscribe", {"Return-Path": "<>"}, "text/plain", "bounce",
     "", "from the null sender"),
    # A person whose subject reads like a bounce, in a message saved without Return-Path, still asks
    ("dsn-subject-from-a-person", "Rejected: your offers", "Please unsubscribe me.", {}, "text/plain", "optout", "en",
     "asks to opt out"),
    # Automatic replies
    ("auto-submitted", "unsubscribe", "unsubscribe", {"Auto-Submitted": "auto-replied"}, "text/plain", "auto_reply", "",
     "Auto-Submitted: auto-replied"),
    ("auto-submitted-no", "unsubscribe", "", {"Auto-Submitted": "no"}, "text/plain", "optout", "en", "asks to opt out"),
    ("x-autoreply", "Re: deals", "I am away.", {"X-Autoreply": "yes"}, "text/plain", "auto_reply", "", "X-Autoreply header"),
    ("precedence-auto-reply", "Hi", "Away.", {"Precedence": "auto_reply"}, "text/plain", "auto_reply", "",
     "Precedence: auto_reply"),
    ("out-of-office-subject", "Out of Office: back Monday", "Please unsubscribe me.", {}, "text/plain", "auto_reply", "",
     "out-of-office subject"),
    ("apple-unsubscribe-button", "Unsubscribe", "", {"Auto-Submitted": "auto-generated", "X-Apple-Unsubscribe": "true"},
     "text/plain", "optout", "en", "asks to opt out"),
    ("bulk-from-no-reply", "News", "Our news.", {"Precedence": "bulk", "From": "noreply@news.example"}, "text/plain",
     "auto_reply", "", "Precedence: bulk from noreply@news.example"),
    ("bulk-says-nothing", "Digest", "Today's topics.", {"Precedence": "bulk"}, "text/plain", "auto_reply", "",
     "its text asks nothing of its own"),
    ("bulk-relays-a-request", "unsubscribe", "", {"Precedence": "bulk"}, "text/plain", "optout", "en", "asks to opt out"),
    # Bulk mail from a marketing sender
    ("list-unsubscribe-url", "Big sale", "Please unsubscribe me.",
     {"List-Unsubscribe": "<https://news.example/u?x=1>", "Precedence": "bulk"}, "text/plain", "bulk_mail", "",
     "List-Unsubscribe pointing at a web address"),
    # The unsubscribe mailbox
    ("unsubscribe-mailbox", "Hello", "Anything at all.", {"To": MAILBOX}, "text/plain", "unsubscribe_mailbox", "",
     f"sent to the unsubscribe mailbox {MAILBOX}"),
    ("unsubscribe-mailbox-cc", "Hello", "", {"Cc": "Unsubscribe@Shop.Example"}, "text/plain", "unsubscribe_mailbox", "",
     "unsubscribe mailbox"),
    # The sender's own words, one language each
    ("en-please-unsubscribe", "Newsletter", "Please unsubscribe me from your newsletter.", {}, "text/plain", "optout", "en",
     "«Please unsubscribe me from your newsletter.»"),
    ("en-stop-sending", "Hi", "Stop sending me emails.", {}, "text/plain", "optout", "en", "asks to opt out"),
    ("en-remove-from-list", "Hi", "Remove me from your mailing list.", {}, "text/plain", "optout", "en", "asks to opt out"),
    ("en-subject-command", "unsubscribe", "", {}, "text/plain", "optout", "en", "(en) «unsubscribe»"),
    ("fr", "Newsletter", "Bonjour, désabonnez-moi s'il vous plaît.", {}, "text/plain", "optout", "fr", "asks to opt out"),
    ("fr-subject-command", "Désinscription", "", {}, "text/plain", "optout", "fr", "asks to opt out"),
    ("es", "Boletín", "Por favor, deme de baja de la lista.", {}, "text/plain", "optout", "es", "asks to opt out"),
    ("es-vosotros", "Boletín", "Dadme de baja, gracias.", {}, "text/plain", "optout", "es", "asks to opt out"),
    ("es-keep", "Boletín", "Por favor, no me den de baja.", {}, "text/plain", "keep", "es", "asks NOT to be unsubscribed"),
    ("es-subject-command", "Baja", "", {}, "text/plain", "optout", "es", "asks to opt out"),
    ("de", "Newsletter", "Bitte melden Sie mich vom Newsletter ab.", {}, "text/plain", "optout", "de", "asks to opt out"),
    ("de-subject-command", "Abmelden", "", {}, "text/plain", "optout", "de", "asks to opt out"),
    ("pt", "Newsletter", "Por favor, quero cancelar a inscrição na newsletter.", {}, "text/plain", "optout", "pt",
     "asks to opt out"),
    ("nl", "Nieuwsbrief", "Graag wil ik me afmelden voor de nieuwsbrief.", {}, "text/plain", "optout", "nl",
     "asks to opt out"),
    ("named-address", "Hi", "Please unsubscribe me and mum@example.org.", {}, "text/plain", "optout", "en",
     "also names mum@example.org"),
    # Refusals, doubts and what is set aside
    ("keep", "Newsletter", "Please don't unsubscribe me, I love it.", {}, "text/plain", "keep", "en",
     "asks NOT to be unsubscribed"),
    ("resubscribe", "Hi", "I unsubscribed by mistake, please add me back.", {}, "text/plain", "keep", "en",
     "asks NOT to be unsubscribed"),
    ("optout-and-keep", "unsubscribe", "Do not unsubscribe me.", {}, "text/plain", "unclear", "",
     "and not to"),
    ("question-mention", "Question", "If I unsubscribe, will I still get my invoices?", {}, "text/plain", "unclear", "",
     "mentions unsubscribing without a clear request"),
    ("cancel-account", "Account", "Please close my account.", {}, "text/plain", "cancel_account", "",
     "support@ does not take cancellations"),
    ("nothing-asked", "Order 123", "Where is my parcel?", {}, "text/plain", "not_optout", "", "does not ask to opt out"),
    ("empty", "", "", {}, "text/plain", "not_optout", "", "no text of its own"),
    ("quoted-request-ignored", "Order 123", "Thanks, got it.\n\nOn Mon, Oct 5, 2026, Bob wrote:\n> Please unsubscribe me.\n",
     {}, "text/plain", "not_optout", "", "only quoted text"),
    ("reply-subject-ignored", "Re: Unsubscribe from our offers?", "Where is my parcel?", {}, "text/plain", "not_optout", "",
     "does not ask to opt out"),
    ("reply-subject-only-command", "Re: unsubscribe", "", {}, "text/plain", "optout", "en", "asks to opt out"),
    ("instruction-footer", "Order 123", "Where is my parcel?\n\nTo unsubscribe, click here.", {"List-Id": "<users.example>"},
     "text/plain", "not_optout", "", "footer"),
    ("relayed-command-in-doubt", "Meeting", "unsubscribe\n\nAlso, the meeting is at 10.",
     {"List-Id": "<users.example>"}, "text/plain", "unclear", "", "a bare unsubscribe command"),
]


@pytest.mark.parametrize(
    ("subject", "body", "headers", "ctype", "kind", "language", "words"),
    [row[1:] for row in RULES],
    ids=[row[0] for row in RULES],
)
def test_rule(subject: str, body: str, headers: dict[str, str], ctype: str, kind: str, language: str, words: str) -> None:
    verdict = classify(message(subject, body, headers, ctype), [MAILBOX])
    assert (verdict.kind, verdict.language) == (kind, language), verdict.details
    assert words in verdict.details


def test_ids_are_unique() -> None:
    assert len({row[0] for row in RULES}) == len(RULES)
