"""cancellation: control-panel cancellation tickets (CSV) and messages to cancel@ (.eml,
.mbox), SPEC §2.4."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.channels.base import Draft, csv_records, draft_from_row, requests_for
from pipeline.channels.mail.classify import Verdict
from pipeline.channels.mail.intake import accept_addresses, common_outcome, mail_records, valid
from pipeline.core.addresses import Address
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.csvfiles import CsvRow
from pipeline.intake.records import IntakeRecord, Scope

NAME = "cancellation"
COLUMNS = ("ticket_id", "account_id", "created_at", "category", "status")
VOID_STATUSES = {"withdrawn", "rejected"}
MAIL_SUFFIXES = (".eml", ".mbox")


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    if path.name.lower().endswith(MAIL_SUFFIXES):
        yield from read_messages(path, ctx)
    else:
        yield from read_tickets(path, ctx)


def read_tickets(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    yield from csv_records(NAME, path, ctx, COLUMNS, ticket_record)


def ticket_record(row: CsvRow, ctx: ChannelContext) -> IntakeRecord:
    draft = draft_from_row(ctx, NAME, row, "ticket_id", "created_at")
    category = row.values["category"].strip().lower()
    status = row.values["status"].strip().lower()
    if category != "cancellation":
        return draft.ignore("not_cancellation", f"ticket category {row.values['category']!r}")
    if status in VOID_STATUSES:
        return draft.ignore("withdrawn", f"cancellation ticket status {status!r}")
    account_id = row.values["account_id"]
    contacts = ctx.accounts.contacts_of(account_id) if account_id else []
    if not contacts:
        return draft.review("unknown_account", _why_no_contacts(ctx, account_id))
    return draft.accept(requests_for(contacts, Scope.ALL), "cancellation", f"every contact of account {account_id}")


def _why_no_contacts(ctx: ChannelContext, account_id: str) -> str:
    if not account_id:
        return "no account id"
    if ctx.accounts.known(account_id):
        return f"account {account_id} has no valid contact address"
    return f"account {account_id} is not in the accounts snapshot"


def read_messages(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    """Every message from a person cancels each account that has the sender as a contact."""
    yield from mail_records(path, ctx, NAME, lambda draft, verdict: message_record(draft, ctx, verdict))


def message_record(draft: Draft, ctx: ChannelContext, verdict: Verdict) -> IntakeRecord:
    common = common_outcome(draft, verdict)
    if common is not None:
        return common
    if verdict.kind == "complaint":
        return accept_addresses(draft, verdict, "complaint", Scope.MARKETING)
    return cancel_for_senders(draft, ctx, verdict)


def cancel_for_senders(draft: Draft, ctx: ChannelContext, verdict: Verdict) -> IntakeRecord:
    good, bad = valid(tuple(draft.raw.get("senders", ())))
    if not good:
        return draft.reject("invalid_address", f"message to cancel@ with no valid sender address {bad or ''}".strip())
    accounts = sorted({a for sender in good for a in ctx.accounts.accounts_of(sender)})
    if not accounts:
        who = ", ".join(a.normalized for a in good)
        return draft.accept(
            requests_for(good, Scope.ALL),
            "cancellation",
            f"message to cancel@ from {who}, a sender on no account: the sender alone is suppressed",
            review="sender_not_on_account",
        )
    contacts: list[Address] = [c for account_id in accounts for c in ctx.accounts.contacts_of(account_id)]
    return draft.accept(
        requests_for([*good, *contacts], Scope.ALL),
        "cancellation",
        f"message to cancel@: every contact of account(s) {', '.join(accounts)}",
    )


CHANNEL = Channel(NAME, ("*.csv", "*.eml", "*.mbox"), read, "account cancellations: tickets and cancel@ mail")
