"""A batch of addresses (the JSON API's check) checked as a file, through `run_check`.

The addresses become a one-column CSV (`email`, every value quoted) in a folder of its own,
checked like any recipient file: the same freshness gate, `send_checks` row and receipt, with
`input.csv`, `send.csv` and `removed.csv` kept beside the receipt as evidence. Each address's
answer is then read back from what the check wrote, in the order given: kept (it is in the send
file) or removed (the removed file says why, by which channels, since when).

A value the CSV readers cannot carry as text (control characters, unpaired surrogates) is
written in a form that gives the same answer: a valid address as its match key, an invalid one
with those characters spelled `\\uXXXX` (still invalid)."""
from __future__ import annotations

import csv
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from pipeline.check.keys import match_keys
from pipeline.check.run import CheckResult, run_check
from pipeline.core.addresses import try_parse
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.formulas import neutralise

INPUT, SEND, REMOVED = "input.csv", "send.csv", "removed.csv"
UNWRITABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
PLACEHOLDER = "(invalid address with control characters)"


class BatchMismatch(RuntimeError):
    """The files a check wrote do not line up with the addresses it was given (a defect, never
    an answer: the caller gets a server error, not a guess)."""


@dataclass(frozen=True)
class AddressAnswer:
    """One address as given, its match key (None: invalid) and, when removed as suppressed,
    the entry that removed it."""

    address: str
    match_key: str | None
    suppressed: bool
    scope: str | None = None
    channel: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class BatchCheck:
    result: CheckResult
    folder: Path
    answers: list[AddressAnswer]


def new_check_folder(root: Path, surface: str, now: datetime) -> Path:
    """`<root>/checks/<surface>/<UTC stamp>-<random>/`, created 0700 (it holds recipient lists)."""
    parent = root.absolute() / "checks" / surface
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = parent / f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o700)
    return folder


def written_form(address: str, key: str | None) -> str:
    """The text the check file carries for `address` (itself, unless the CSV cannot carry it)."""
    if not UNWRITABLE.search(address):
        return address
    if key is not None:
        return key  # a match key is its own match key
    escaped = UNWRITABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", address)
    return escaped if try_parse(escaped) is None else PLACEHOLDER


def write_input(path: Path, texts: list[str]) -> None:
    with path.open("x", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(["email"])
        writer.writerows([t] for t in texts)


def check_addresses(
    engine: sa.Engine, settings: Settings, clock: Clock, addresses: list[str], folder: Path, *,
    kind: str = "marketing", campaign: str | None = None, max_age_hours: float | None = None,
    checked_by: str | None = None,
) -> BatchCheck:
    """Check `addresses` as `folder/input.csv` through `run_check`; one answer per address, in order."""
    keys = address_keys(addresses)
    texts = [written_form(a, k) for a, k in zip(addresses, keys, strict=True)]
    write_input(folder / INPUT, texts)
    result = run_check(engine, settings, clock, folder / INPUT, folder / SEND, kind=kind, campaign=campaign,
                       removed=folder / REMOVED, max_age_hours=max_age_hours, checked_by=checked_by)
    answers = read_answers(folder, addresses, keys, texts)
    if (sum(a.suppressed for a in answers), sum(a.match_key is None for a in answers)) != (result.suppressed, result.invalid):
        raise BatchMismatch(f"check {result.check_id}: the answers do not add up to the check's counts")
    return BatchCheck(result, folder, answers)


def address_keys(addresses: list[str]) -> list[str | None]:
    """Each address's match key (None: invalid); text with an unpaired surrogate is no address
    (UTF-8 cannot even hold it)."""
    unpaired = [bool(SURROGATE.search(a)) for a in addresses]
    keys: list[str | None] = match_keys(["" if u else a for a, u in zip(addresses, unpaired, strict=True)]).to_pylist()
    return [None if u else k for k, u in zip(keys, unpaired, strict=True)]


def _data_rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        next(rows, None)
        yield from rows


def read_answers(folder: Path, addresses: list[str], keys: list[str | None], texts: list[str]) -> list[AddressAnswer]:
    """Walk the send and removed files beside the addresses. A row whose text is the next kept
    row's is kept (rows with the same text have the same key, so the same fate); any other is
    the next removed row, which must name it (its text and key as the removed file writes them,
    cells neutralised) and say why."""
    kept, removed = _data_rows(folder / SEND), _data_rows(folder / REMOVED)
    next_kept = next(kept, None)
    answers = []
    for address, key, text in zip(addresses, keys, texts, strict=True):
        if key is not None and next_kept is not None and next_kept[:1] == [text]:
            answers.append(AddressAnswer(address, key, False))
            next_kept = next(kept, None)
            continue
        row = next(removed, None)
        if row is None or len(row) < 6 or row[0] != neutralise(text):
            raise BatchMismatch(f"{folder}: no removed row for {text!r}")
        email, reason, channel, since, match_key, scope = row[:6]
        if key is None and reason == "invalid_address":
            answers.append(AddressAnswer(address, None, False))
        elif key is not None and reason == "suppressed" and match_key == neutralise(key):
            answers.append(AddressAnswer(address, key, True, scope or None, channel or None,
                                          datetime.fromisoformat(since) if since else None))
        else:
            raise BatchMismatch(f"{folder}: the removed row for {email!r} says {reason!r}")
    if next_kept is not None or next(removed, None) is not None:
        raise BatchMismatch(f"{folder}: the check wrote rows for addresses it was not given")
    return answers


def remove_folder(folder: Path) -> None:
    """Remove a check folder that a refused check left (its input and any partial files)."""
    for entry in folder.iterdir():
        entry.unlink(missing_ok=True)
    os.rmdir(folder)
