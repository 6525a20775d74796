"""support_inbox: messages to support@ or a dedicated unsubscribe mailbox (SPEC §2.2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.channels.base import Draft, requests_for
from pipeline.channels.mail.classify import Verdict
from pipeline.channels.mail.intake import common_outcome, mail_records, valid
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.records import IntakeRecord, Scope

NAME = "support_inbox"
ACCEPTING = {"complaint": "complaint", "unsubscribe_mailbox": "unsubscribe_mailbox", "optout": "optout"}


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    yield from mail_records(path, ctx, NAME, message_record)


def message_record(draft: Draft, verdict: Verdict) -> IntakeRecord:
    return common_outcome(draft, verdict) or decide(draft, verdict)


def decide(draft: Draft, verdict: Verdict) -> IntakeRecord:
    """A message that is neither broken, a bounce nor an auto-reply."""
    reason = ACCEPTING.get(verdict.kind)
    if reason is not None:
        return accept_addresses(draft, verdict, reason, Scope.MARKETING)
    if verdict.kind in ("keep", "not_optout"):
        return draft.ignore("not_optout", verdict.details)
    return draft.review("unclear", verdict.details)  # unclear, cancel_account


def accept_addresses(draft: Draft, verdict: Verdict, reason: str, scope: Scope) -> IntakeRecord:
    good, bad = valid(verdict.addresses)
    note = f"; not addresses: {', '.join(repr(b) for b in bad)}" if bad else ""
    if good:
        return draft.accept(requests_for(good, scope), reason, verdict.details + note)
    if reason == "complaint":
        return draft.review("unclear", verdict.details + "; the complaining recipient is not a valid address" + note)
    return draft.reject("invalid_address", verdict.details + "; no valid sender address" + note)


CHANNEL = Channel(NAME, ("*.eml", "*.mbox"), read, "messages to support@ and unsubscribe mailboxes")
