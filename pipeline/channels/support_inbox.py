"""support_inbox: messages to support@ or a dedicated unsubscribe mailbox (SPEC §2.2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.channels.base import Draft
from pipeline.channels.mail.classify import Verdict
from pipeline.channels.mail.intake import accept_addresses, common_outcome, mail_records
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


CHANNEL = Channel(NAME, ("*.eml", "*.mbox"), read, "messages to support@ and unsubscribe mailboxes")
