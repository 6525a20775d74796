"""cancellation: control-panel cancellation tickets (SPEC §2.4); cancel@ mail joins later."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.channels.base import Channel, ChannelContext, draft_from_row, requests_for
from pipeline.csvfiles import read_rows
from pipeline.records import IntakeRecord, Scope

NAME = "cancellation"
COLUMNS = ("ticket_id", "account_id", "created_at", "category", "status")
VOID_STATUSES = {"withdrawn", "rejected"}


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
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
            why = "no account id" if not account_id else (
                f"account {account_id} has no valid contact address" if ctx.accounts.known(account_id)
                else f"account {account_id} is not in the accounts snapshot"
            )
            yield draft.review("unknown_account", why)
            continue
        yield draft.accept(requests_for(contacts, Scope.ALL), "cancellation", f"every contact of account {account_id}")


CHANNEL = Channel(NAME, ("*.csv",), read, "account cancellations")
