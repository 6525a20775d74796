"""Classifying one message under SPEC §2.2, rules in SPEC's order: ARF complaint, delivery
status notification, auto-reply, dedicated unsubscribe mailbox, then the sender's own text.
Pure: a parsed message (and the mailbox keys) in, a `Verdict` with its reason in words out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from email.message import Message

from pipeline.channels.mail import bulk as B
from pipeline.channels.mail import phrases as P
from pipeline.channels.mail.headers import REPLY_PREFIX, addresses_in, header, senders, subject_of
from pipeline.channels.mail.reports import (
    auto_reply_evidence,
    bulk_evidence,
    complaint_recipients,
    dsn_evidence,
    esp_notification,
    feedback_type,
    is_arf,
    relayed,
)
from pipeline.channels.mail.sentences import ADDRESS_IN_TEXT, TextFindings, analyse_text
from pipeline.channels.mail.text import OwnText, own_text
from pipeline.core.addresses import try_parse

OWN_TEXT_KEPT = 4000  # characters of the decoded own text kept with the record, for operators


@dataclass(frozen=True)
class Verdict:
    """What a message is. `kind` is one of: complaint, complaint_unclear, bounce, auto_reply,
    bulk_mail, unsubscribe_mailbox, optout, keep, unclear, cancel_account, not_optout, unparseable."""

    kind: str
    details: str
    addresses: tuple[str, ...] = ()  # who the opt-out is for (senders, then named in the text)
    language: str = ""
    matched: tuple[str, ...] = field(default_factory=tuple)
    text: str = ""  # the own text the decision read (decoded, quotes and signature removed)


def text_parts(msg: Message, own: OwnText) -> tuple[str, bool, list[str]]:
    """The subject without prefixes and list tags, whether it is a reply's or forward's
    (someone else's: "Re: October deals" is our newsletter's), and the body's paragraphs."""
    subject, replied = subject_of(msg)
    return subject, replied, [p for p in re.split(r"\n\s*\n", own.text) if p.strip()]


def _quote(items: list[tuple[str, str, str]]) -> str:
    distinct = dict.fromkeys((lang, sentence[:120]) for lang, _, sentence in items)  # a subject the body repeats, once
    return "; ".join(f"({lang}) «{sentence}»" for lang, sentence in list(distinct)[:3])


def classify_text(msg: Message, own: OwnText, mailbox_addresses: Iterable[str] = ()) -> Verdict:
    found = text_findings(msg, own)
    return replace(text_verdict(msg, own, found, mailbox_addresses), text=own.text[:OWN_TEXT_KEPT])


def text_findings(msg: Message, own: OwnText) -> TextFindings:
    subject, replied, paragraphs = text_parts(msg, own)
    return analyse_text(subject, paragraphs, replied=replied, relayed=relayed(msg), bulk=bool(bulk_evidence(msg)))


def _not_people(msg: Message, mailbox_addresses: Iterable[str]) -> set[str]:
    """Addresses named in a request that are not people to opt out: the mailbox's own, the
    relaying list's (List-Post, List-Unsubscribe, Sender) and list servers' robots."""
    listed = " ".join(header(msg, h) for h in ("List-Post", "List-Unsubscribe", "List-Subscribe", "List-Help", "List-Owner", "Sender"))
    return {a.lower() for a in mailbox_addresses} | {a.lower() for a in ADDRESS_IN_TEXT.findall(listed)}


def text_verdict(msg: Message, own: OwnText, found: TextFindings, mailbox_addresses: Iterable[str]) -> Verdict:
    if found.optout and found.keep:
        return Verdict("unclear", f"asks to opt out {_quote(found.optout)} and not to {_quote(found.keep)}")
    if found.optout:
        skip = _not_people(msg, mailbox_addresses)
        named = [a for a in dict.fromkeys(found.named) if a.lower() not in skip and not P.LIST_ROBOT.search(a)]
        extra = f"; also names {', '.join(named)}" if named else ""
        return Verdict(
            "optout",
            f"asks to opt out: {_quote(found.optout)}{extra}",
            tuple(senders(msg)) + tuple(named),
            found.optout[0][0],
            tuple(m for _, m, _ in found.optout),
        )
    if found.keep:
        return Verdict("keep", f"asks NOT to be unsubscribed: {_quote(found.keep)}", language=found.keep[0][0])
    if found.demoted:
        return Verdict(
            "unclear",
            f"a bare unsubscribe command («{found.demoted[0][:120]}») in mail relayed by a list or sent in bulk that says more"
            " besides: a person decides",
        )
    if found.mention:
        return Verdict("unclear", "mentions unsubscribing without a clear request: " + "; ".join(f"«{s[:120]}»" for s in found.mention[:3]))
    if found.cancel_account:
        return Verdict(
            "cancel_account",
            f"asks to cancel the account («{found.cancel_account[0][:120]}»): support@ does not take cancellations, cancel@ does",
        )
    footer = f"; only the list's or newsletter's footer mentions unsubscribing («{found.footer[0][:120]}»)" if found.footer else ""
    if not own.text.strip():
        quoted = " (its quoted or forwarded text mentions unsubscribing)" if P.MENTION_RE.search(P.fold(own.removed)) else ""
        return Verdict("not_optout", f"no text of its own{quoted}")
    quoted = (
        "; only quoted text, a signature, a disclaimer or a list's footer mentions unsubscribing"
        if P.MENTION_RE.search(P.fold(own.removed))
        else ""
    )
    return Verdict("not_optout", f"does not ask to opt out{footer or quoted}")


def classify(msg: Message, unsubscribe_mailboxes: Iterable[str] = ()) -> Verdict:
    """SPEC §2.2 in its order: ARF, delivery status, auto-reply, unsubscribe mailbox, text.
    `Precedence: bulk|junk` alone is an auto-reply only when the text holds no person's
    request: lists relay people's "unsubscribe" with it."""
    if is_arf(msg):
        recipients, where = complaint_recipients(msg)
        feedback = feedback_type(msg)
        if recipients:
            return Verdict("complaint", f"ARF {feedback} report; complaining recipient from {where}", tuple(recipients))
        return Verdict("complaint_unclear", f"ARF {feedback} report that names no complaining recipient")
    esp_kind, esp_people = esp_notification(msg)
    if esp_kind == "Complaint" and esp_people:
        return Verdict("complaint", "Amazon SES complaint notification", tuple(esp_people))
    if esp_kind:
        return Verdict("bounce", f"Amazon SES {esp_kind} notification")
    dsn = dsn_evidence(msg)
    if dsn:
        return Verdict("bounce", f"delivery status notification ({dsn})")
    auto = auto_reply_evidence(msg)
    if auto:
        return Verdict("auto_reply", f"automatic reply ({auto})")
    bulk = bulk_evidence(msg)
    sender = (addresses_in(msg, "From") or [""])[0]
    if bulk and (P.NO_REPLY.search(sender) or P.LIST_SERVER_SENDER.search(sender)):
        return Verdict("auto_reply", f"automatic reply ({bulk} from {sender})")
    marks = B.header_marks(msg)
    if marks.strong:
        return Verdict("bulk_mail", f"bulk mail from a marketing sender ({marks.describe()}): its words to its readers are no request")
    mailbox = _unsubscribe_mailbox(msg, unsubscribe_mailboxes)
    if mailbox and not bulk:
        return Verdict("unsubscribe_mailbox", f"sent to the unsubscribe mailbox {mailbox}", tuple(senders(msg)))
    own = own_text(msg)
    found = text_findings(msg, own)
    recipients = addresses_in(msg, "To", "Cc", "Delivered-To", "X-Original-To")
    verdict = replace(text_verdict(msg, own, found, recipients), text=own.text[:OWN_TEXT_KEPT])
    marks = B.marks(msg, replied=_replied(msg), footer=bool(found.footer))
    if marks and verdict.kind != "optout":
        footer = f"; its footer: «{found.footer[0][:120]}»" if found.footer else ""
        return replace(
            verdict,
            kind="bulk_mail",
            details=f"bulk mail from a marketing sender ({marks.describe()}): its words to its readers are no request{footer}",
        )
    if bulk and verdict.kind != "optout" and not found.demoted:
        return Verdict("auto_reply", f"automatic reply ({bulk}; its text asks nothing of its own)")
    if bulk and mailbox and verdict.kind == "optout":
        return replace(
            verdict, kind="unsubscribe_mailbox", details=f"sent to the unsubscribe mailbox {mailbox} ({bulk}): " + verdict.details
        )
    return verdict


def _replied(msg: Message) -> bool:
    """A reply or forward: it quotes someone else's message (a newsletter's HTML) as it was."""
    return bool(header(msg, "In-Reply-To") or header(msg, "References") or REPLY_PREFIX.match(header(msg, "Subject")))


def _unsubscribe_mailbox(msg: Message, mailboxes: Iterable[str]) -> str:
    keys = {a.key for a in (try_parse(m) for m in mailboxes) if a is not None}
    if not keys:
        return ""
    for addr in addresses_in(msg, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        parsed = try_parse(addr)
        if parsed is not None and parsed.key in keys:
            return parsed.normalized
    return ""
