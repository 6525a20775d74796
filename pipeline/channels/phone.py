"""phone: call-centre call logs (SPEC §2.3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.channels.base import Draft, csv_records, draft_from_row, joined, requests_for, resolve
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.csvfiles import CsvRow
from pipeline.intake.phones import to_e164
from pipeline.intake.records import IntakeRecord, Scope

NAME = "phone"
COLUMNS = ("call_id", "started_at", "caller_number", "account_id", "email", "disposition")
DISPOSITIONS = {"OPT_OUT": Scope.MARKETING, "CANCEL_ACCOUNT": Scope.ALL}


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    yield from csv_records(NAME, path, ctx, COLUMNS, call_record)


def call_record(row: CsvRow, ctx: ChannelContext) -> IntakeRecord:
    draft = draft_from_row(ctx, NAME, row, "call_id", "started_at", ctx.settings.call_center_tz)
    disposition = row.values["disposition"].strip().upper()
    scope = DISPOSITIONS.get(disposition)
    if scope is None:
        return draft.ignore("not_optout", f"disposition {row.values['disposition']!r}")
    res = resolve(ctx, row.values["email"], row.values["account_id"])
    if scope is Scope.ALL and res.typed is not None:
        # A cancellation by a caller who gives an address cancels every account it is a contact of.
        for account_id in sorted(ctx.accounts.accounts_of(res.typed)):
            res.addresses.extend(ctx.accounts.contacts_of(account_id))
    if not res.addresses:
        return _by_caller_number(draft, ctx, row.values["caller_number"], scope, res.notes)
    reason = "cancellation" if scope is Scope.ALL else "optout"
    return draft.accept(requests_for(res.addresses, scope), reason, joined(res.notes))


def _by_caller_number(draft: Draft, ctx: ChannelContext, caller: str, scope: Scope, notes: list[str]) -> IntakeRecord:
    """With no usable address or account, the account whose contact phone is the caller's."""
    e164 = to_e164(caller, ctx.settings.phone_region)
    if e164 is None:
        return draft.review("unresolved", joined([*notes, f"caller number {caller!r} is not a phone number"]))
    accounts = sorted(ctx.accounts.accounts_by_phone(e164))
    if len(accounts) > 1:
        return draft.review("shared_phone", joined([*notes, f"{e164} is a contact of accounts {', '.join(accounts)}"]))
    if not accounts:
        return draft.review("unresolved", joined([*notes, f"{e164} is on no account"]))
    contacts = ctx.accounts.contacts_of(accounts[0])
    if not contacts:
        return draft.review("unresolved", joined([*notes, f"account {accounts[0]} has no valid contact address"]))
    reason = "cancellation" if scope is Scope.ALL else "optout"
    return draft.accept(
        requests_for(contacts, scope), reason, joined([*notes, f"resolved by caller number {e164} to account {accounts[0]}"])
    )


CHANNEL = Channel(NAME, ("*.csv",), read, "call-centre calls")
