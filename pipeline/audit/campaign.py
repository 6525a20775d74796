"""`optout audit campaign ID` (SPEC §7): for a recorded send check, replay the list version it
used from the events, re-read its input and output files (verified by their SHA-256), and say
who was suppressed at check time (and so must have been removed), who was sent to while
suppressed (must be zero), who had asked before the check but was not yet in the list used,
who opted out after it, and whether the list used was the newest at that moment.

The files are found where the check recorded them (absolute paths, so from any working
directory; checks recorded before that may hold a path relative to the folder they ran in), or
at moved copies the auditor names. Either way a file is used only when its SHA-256 is the one
the check recorded: a copy that differs is reported, never trusted."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.check.io import address_column, open_text
from pipeline.check.receipts import file_sha256
from pipeline.core.addresses import InvalidAddress, parse
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.intake.records import Action, Scope
from pipeline.ledger import digests
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.publish import version_by_number
from pipeline.ledger.state import EventFacts, states
from pipeline.store.schema import list_versions, optout_events, send_checks


@dataclass
class Recipient:
    row: int  # data row in the file (1 = the first row after the header)
    address: str
    requested_at: str | None = None  # the opt-out that matters here
    channels: str | None = None


@dataclass
class CampaignAudit:
    check_id: int
    campaign: str | None
    kind: str
    checked_at: str
    list_version: int
    list_published_at: str
    newest_version_at_check: int | None
    used_newest: bool
    replay_matches_digest: bool
    input_path: str | None
    input_verified: bool
    output_path: str | None
    output_verified: bool
    rows_in: int
    kept: int
    suppressed: int
    suppressed_at_check: list[Recipient] = field(default_factory=list)
    sent_while_suppressed: list[Recipient] = field(default_factory=list)
    missing_from_list: list[Recipient] = field(default_factory=list)
    opted_out_after_check: list[Recipient] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked_by: str | None = None  # cli:<user>, api:<key name>, console:<user>; None before it was recorded
    input_file: str | None = None  # the file verified and read as the input (the recorded one or a copy)
    output_file: str | None = None

    @property
    def ok(self) -> bool:
        """Proven clean: both files verified and nobody sent while suppressed."""
        return (
            self.input_verified
            and self.output_verified
            and not self.sent_while_suppressed
            and self.replay_matches_digest
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok, "sent_while_suppressed_count": len(self.sent_while_suppressed)}


def find_check(conn: sa.Connection, ident: str) -> sa.RowMapping:
    """A send check by its id (what `optout check` prints), or by a campaign with one check."""
    c = send_checks.c
    if ident.strip().isdigit():
        row = conn.execute(sa.select(send_checks).where(c.id == int(ident))).first()
        if row is None:
            raise NotFoundError(f"there is no send check {ident}")
        return row._mapping
    rows = conn.execute(sa.select(send_checks).where(c.campaign == ident).order_by(c.id)).all()
    if not rows:
        raise NotFoundError(f"no send check has campaign {ident!r} (give a check id or a campaign)")
    if len(rows) > 1:
        raise OptoutError(
            f"campaign {ident!r} has checks {', '.join(str(r.id) for r in rows)}: give one check id"
        )
    return rows[0]._mapping


@dataclass
class KeyFacts:
    """What the events say about each key relative to one check."""

    at_check: dict[str, Any]  # key_hash -> SuppressionState in the version used
    before_unlisted: dict[str, datetime]  # asked by the check, not in the version used
    after: dict[str, datetime]  # first opt-out requested after the check


def key_facts(
    conn: sa.Connection, last_event_id: int, checked_at: datetime, kind: str, scheme: int
) -> tuple[KeyFacts, str]:
    """Replay every event once; returns the facts and the digest (in `scheme`) of the replayed version."""
    e = optout_events.c
    covered: list[EventFacts] = []
    facts = KeyFacts({}, {}, {})
    query = sa.select(
        e.id, e.key_hash, e.match_key, e.address, e.channel, e.scope, e.action, e.requested_at
    ).order_by(e.id)
    for row in conn.execute(query):
        f = EventFacts(row.key_hash, None, None, row.channel, row.scope, row.action, row.requested_at)
        if row.id <= last_event_id:
            covered.append(f)
            continue
        if f.action != Action.SUPPRESS or (kind == "service" and f.scope != Scope.ALL):
            continue
        target = facts.after if f.requested_at > checked_at else facts.before_unlisted
        target[f.key_hash] = min(target.get(f.key_hash, f.requested_at), f.requested_at)
    replayed = {k: s for k, s in states(covered).items() if s is not None}
    digest = digests.digest([(k, s.scope) for k, s in replayed.items()], scheme)
    facts.at_check = {k: s for k, s in replayed.items() if kind != "service" or s.scope == Scope.ALL}
    return facts, digest


def newest_at(conn: sa.Connection, at: datetime) -> int | None:
    lv = list_versions.c
    return conn.execute(sa.select(sa.func.max(lv.version)).where(lv.published_at <= at)).scalar()


def audit_campaign(
    conn: sa.Connection, hash_key: str, ident: str, column: str | None = None, *,
    input_copy: Path | None = None, output_copy: Path | None = None, cwd: Path | None = None,
) -> CampaignAudit:
    """The audit of one check; `input_copy`/`output_copy`: moved copies of its files to verify and
    read instead of the recorded paths; `cwd`: where a relative recorded path is looked up
    (default: the current working directory)."""
    check = find_check(conn, ident)
    version = version_by_number(conn, check["list_version"])
    if version is None:
        raise OptoutError(
            f"send check {check['id']} names list version {check['list_version']}, which does not exist"
        )
    facts, digest = key_facts(conn, version.last_event_id, check["checked_at"], check["kind"], version.digest_scheme)
    newest = newest_at(conn, check["checked_at"])
    result = CampaignAudit(
        check["id"],
        check["campaign"],
        check["kind"],
        check["checked_at"].isoformat(),
        version.version,
        version.published_at.isoformat(),
        newest,
        newest == version.version,
        digest == check["list_digest"],
        check["input_path"],
        False,
        None,
        False,
        check["rows_in"],
        check["kept"],
        check["suppressed"],
    )
    if not result.replay_matches_digest:
        result.problems.append(
            f"replaying events up to id {version.last_event_id} does not give the digest the check recorded"
        )
    result.checked_by = check["checked_by"]
    here = (cwd or Path.cwd()).absolute()
    input_path = verified_file(result, FileToVerify("input", check["input_path"], check["input_sha256"], input_copy), here)
    result.output_path = check["output_path"] or _output_path(check["receipt_path"], here)
    output_path = verified_file(result, FileToVerify("output", result.output_path, check["output_sha256"], output_copy), here)
    if input_path is not None:
        _classify_input(result, input_path, column, facts, hash_key)
    if output_path is not None:
        for row, address, key in _recipients(output_path, column):
            state = facts.at_check.get(keyed_hash(hash_key, key))
            if state is not None:
                result.sent_while_suppressed.append(
                    Recipient(row, address, state.first_requested_at.isoformat(), state.channels)
                )
    return result


def _classify_input(
    result: CampaignAudit, path: Path, column: str | None, facts: KeyFacts, hash_key: str
) -> None:
    for row, address, key in _recipients(path, column):
        key_hash = keyed_hash(hash_key, key)
        state = facts.at_check.get(key_hash)
        if state is not None:
            result.suppressed_at_check.append(
                Recipient(row, address, state.first_requested_at.isoformat(), state.channels)
            )
        elif key_hash in facts.before_unlisted:
            result.missing_from_list.append(
                Recipient(row, address, facts.before_unlisted[key_hash].isoformat())
            )
        elif key_hash in facts.after:
            result.opted_out_after_check.append(Recipient(row, address, facts.after[key_hash].isoformat()))


def _output_path(receipt_path: str | None, here: Path) -> str | None:
    """The output file of a check recorded before `send_checks.output_path`, as its signed
    receipt names it."""
    if not receipt_path:
        return None
    try:
        return str(json.loads(_located(receipt_path, here).read_text(encoding="utf-8"))["output"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _located(recorded: str, here: Path) -> Path:
    path = Path(recorded)
    return path if path.is_absolute() else here / path


@dataclass(frozen=True)
class FileToVerify:
    what: str  # "input" or "output"
    recorded: str | None  # the path send_checks holds (absolute, or relative for older checks)
    sha256: str
    copy: Path | None = None  # a moved copy named by the auditor


def verified_file(result: CampaignAudit, f: FileToVerify, here: Path) -> Path | None:
    """The file to re-read if its SHA-256 is the one the check recorded; else a problem noted."""
    if f.copy is not None:
        return _verified_copy(result, f, here)
    if not f.recorded:
        result.problems.append(f"the {f.what} file is unknown (the check recorded no path): its rows cannot be re-checked")
        return None
    path = _located(f.recorded, here)
    relative = not Path(f.recorded).is_absolute()
    if not path.is_file():
        if relative:
            result.problems.append(
                f"the {f.what} file {f.recorded} was recorded relative to the folder the check ran in and is not "
                f"found from {here}: run the audit from that folder, or name a copy of the {f.what} file to verify"
            )
        else:
            result.problems.append(
                f"the {f.what} file {f.recorded} is gone: its rows cannot be re-checked "
                f"(name a moved copy of it to verify)"
            )
        return None
    if file_sha256(path) != f.sha256:
        found = f" (recorded relative to the check's folder, found from {here})" if relative else ""
        result.problems.append(f"the {f.what} file {path}{found} changed since the check (SHA-256 differs)")
        return None
    return _accepted(result, f.what, path)


def _verified_copy(result: CampaignAudit, f: FileToVerify, here: Path) -> Path | None:
    assert f.copy is not None
    copy = f.copy if f.copy.is_absolute() else here / f.copy
    if not copy.is_file():
        result.problems.append(f"the {f.what} copy {copy} is not a file")
        return None
    if file_sha256(copy) != f.sha256:
        result.problems.append(
            f"the {f.what} copy {copy} is not the file the check read (SHA-256 differs from the one recorded "
            f"for {f.recorded or 'it'}): not used"
        )
        return None
    return _accepted(result, f.what, copy)


def _accepted(result: CampaignAudit, what: str, path: Path) -> Path:
    setattr(result, f"{what}_verified", True)
    setattr(result, f"{what}_file", str(path))
    return path


def _recipients(path: Path, column: str | None) -> Iterator[tuple[int, str, str]]:
    """(row number, address as written, match key) of every valid address in a recipient file."""
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        col = address_column(header, column, path)
        for number, row in enumerate(reader, start=1):
            cell = row[col] if col < len(row) else ""
            try:
                yield number, cell, parse(cell).key
            except InvalidAddress:
                continue
