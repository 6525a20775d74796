"""cancellation: control-panel cancellation tickets (CSV) and messages to cancel@ (.eml,
.mbox), SPEC §2.4."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.addresses import Address
from pipeline.channels.base import Channel, ChannelContext, Draft, draft_from_row, requests_for
from pipeline.channels.support_inbox import accept_addresses
from pipeline.csvfiles import read_rows
from pipeline.mail.classify import Verdict
from pipeline.mail.intake import classified_messages, common_outcome, valid
from pipeline.records import IntakeRecord, Scope

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
    for row in read_rows(path, COLUMNS):
        draft = draft_from_row(ctx, NAME, row, "ticket_id", "created_at")
        category = row.values["category"].strip().lower()
        status = row.values["status"].strip().lower()
        if category != "cancellation":
            yield draft.ignore("not_cancellation", f"ticket category {row.values['category']!r}")
            continue
        if status in VOID_STATUSES:
            yield draft.ignore("withdrawn", f"cancellation ticket status {status!r}")
            continue
        account_id = row.values["account_id"]
        contacts = ctx.accounts.contacts_of(account_id) if account_id else []
        if not contacts:
            why = (
                "no account id"
                if not account_id
                else (
                    f"account {account_id} has no valid contact address"
                    if ctx.accounts.known(account_id)
                    else f"account {account_id} is not in the accounts snapshot"
                )
            )
            yield draft.review("unknown_account", why)
            continue
        yield draft.accept(requests_for(contacts, Scope.ALL), "cancellation", f"every contact of account {account_id}")


def read_messages(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    """Every message from a person cancels each account that has the sender as a contact."""
    for draft, verdict in classified_messages(path, ctx, NAME):
        common = common_outcome(draft, verdict)
        if common is not None:
            yield common
        elif verdict.kind == "complaint":
            yield accept_addresses(draft, verdict, "complaint", Scope.MARKETING)
        else:
            yield cancel_for_senders(draft, ctx, verdict)


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
