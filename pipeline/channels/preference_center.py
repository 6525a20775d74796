"""preference_center: marketing setting changes in users' profiles (SPEC §2.5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.channels.base import csv_records, draft_from_row, joined, requests_for, resolve
from pipeline.core.addresses import try_parse
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.csvfiles import CsvRow
from pipeline.intake.records import Action, IntakeRecord, Scope

NAME = "preference_center"
COLUMNS = ("change_id", "account_id", "email", "marketing_opt_in", "changed_at")
OPT_OUT = {"false", "0", "no", "n"}
OPT_IN = {"true", "1", "yes", "y"}


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    yield from csv_records(NAME, path, ctx, COLUMNS, change_record)


def change_record(row: CsvRow, ctx: ChannelContext) -> IntakeRecord:
    draft = draft_from_row(ctx, NAME, row, "change_id", "changed_at")
    value = row.values["marketing_opt_in"].strip().lower()
    email = row.values["email"]
    if value in OPT_IN:
        # Re-consent lifts only the exact address that gave it: never an account's other contacts.
        address = try_parse(email)
        if address is None:
            return draft.reject("invalid_address", f"re-consent for invalid address {email!r}")
        return draft.accept(requests_for([address], Scope.MARKETING, Action.LIFT), "reconsent")
    if value not in OPT_OUT:
        return draft.review("unclear_value", f"marketing_opt_in is {row.values['marketing_opt_in']!r}")
    res = resolve(ctx, email, row.values["account_id"])
    if res.addresses:
        return draft.accept(requests_for(res.addresses, Scope.MARKETING), "optout", joined(res.notes))
    if res.unknown_account:
        return draft.review("unknown_account", joined(res.notes))
    return draft.reject("invalid_address", joined(res.notes) or "no address and no account")


CHANNEL = Channel(NAME, ("*.csv",), read, "profile marketing setting")
