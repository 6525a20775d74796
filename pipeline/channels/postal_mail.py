"""postal_mail: letters keyed in by the privacy team (SPEC §2.6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.channels.base import csv_records, draft_from_row, joined, requests_for, resolve
from pipeline.intake.channel import Channel, ChannelContext
from pipeline.intake.csvfiles import CsvRow
from pipeline.intake.records import IntakeRecord, Scope

NAME = "postal_mail"
COLUMNS = ("letter_id", "received_at", "email", "account_id")


def read(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
    yield from csv_records(NAME, path, ctx, COLUMNS, letter_record)


def letter_record(row: CsvRow, ctx: ChannelContext) -> IntakeRecord:
    draft = draft_from_row(ctx, NAME, row, "letter_id", "received_at")
    res = resolve(ctx, row.values["email"], row.values["account_id"])
    if res.addresses:
        return draft.accept(requests_for(res.addresses, Scope.MARKETING), "optout", joined(res.notes))
    if res.unknown_account:
        return draft.review("unknown_account", joined(res.notes))
    if res.invalid_typed:
        return draft.reject("invalid_address", joined(res.notes))
    return draft.review("unresolved", "letter names no address and no account")


CHANNEL = Channel(NAME, ("*.csv",), read, "letters to the privacy team")
