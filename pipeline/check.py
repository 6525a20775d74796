"""The pre-send check (SPEC §7 `check`): remove every recipient whose match key is on the
published list, keep every column and the row order of the rest, record and sign the check."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.addresses import InvalidAddress, parse
from pipeline.chain import keyed_hash
from pipeline.clock import Clock
from pipeline.config import Settings
from pipeline.errors import OptoutError, StaleListError
from pipeline.publish import ListVersion, latest_version
from pipeline.receipts import file_sha256, write_receipt
from pipeline.records import Scope
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import send_checks, suppressions

ADDRESS_HEADERS = ("email", "e-mail", "email_address", "recipient")
KINDS = ("marketing", "service")


@dataclass(frozen=True)
class Entry:
    channels: str
    since: datetime


@dataclass
class SuppressedSet:
    """The list a check runs against: clear match keys, and keyed hashes of erased ones."""

    version: ListVersion
    by_key: dict[str, Entry]
    erased: dict[str, Entry]
    hash_key: str

    def lookup(self, key: str) -> Entry | None:
        entry = self.by_key.get(key)
        if entry is None and self.erased:
            entry = self.erased.get(keyed_hash(self.hash_key, key))
        return entry


@dataclass
class CheckResult:
    input_rows: int
    kept: int
    suppressed: int
    invalid: int
    list_version: int
    check_id: int
    receipt: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_list(conn: sa.Connection, kind: str, hash_key: str) -> SuppressedSet:
    """The newest version and its entries for a send of `kind`, read in one snapshot."""
    version = latest_version(conn)
    if version is None:
        raise StaleListError("no suppression list has been published yet: run 'optout run' first")
    s = suppressions.c
    query = sa.select(s.key_hash, s.match_key, s.channels, s.effective_at)
    if kind == "service":  # a service announcement honours only scope `all` (SPEC §4.3)
        query = query.where(s.scope == str(Scope.ALL))
    by_key, erased = {}, {}
    for row in conn.execute(query):
        entry = Entry(row.channels, row.effective_at)
        if row.match_key is None:
            erased[row.key_hash] = entry
        else:
            by_key[row.match_key] = entry
    return SuppressedSet(version, by_key, erased, hash_key)


def refuse_if_stale(version: ListVersion, now: datetime, max_age_hours: float) -> None:
    age = now - version.published_at
    if age > timedelta(hours=max_age_hours):
        hours = age.total_seconds() / 3600
        raise StaleListError(
            f"list version {version.version} was published {hours:.1f} hours ago, more than --max-age {max_age_hours:g}: "
            "refusing to check against a stale list"
        )


def open_text(path: Path) -> io.TextIOWrapper:
    """A CSV opened as UTF-8 (BOM dropped) or, when it is not UTF-8, as Windows-1252."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for _ in iter(lambda: fh.read(1 << 20), ""):
                pass
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    except OSError as exc:
        raise OptoutError(f"{path}: cannot read ({exc.strerror})") from None
    return path.open(encoding=encoding, newline="")


def address_column(header: list[str], column: str | None, path: Path) -> int:
    names = [h.strip().lower() for h in header]
    wanted = [column.strip().lower()] if column else list(ADDRESS_HEADERS)
    for name in wanted:
        if name in names:
            return names.index(name)
    if column:
        raise OptoutError(f"{path}: no column named {column!r} (columns: {', '.join(header)})")
    raise OptoutError(f"{path}: no address column (looked for {', '.join(ADDRESS_HEADERS)}; name one with --column)")


def classify(rows: Iterator[list[str]], col: int, lst: SuppressedSet) -> Iterator[tuple[list[str], str | None, Entry | None]]:
    """Each row with None (keep), 'invalid_address' or 'suppressed' and the matching entry."""
    for row in rows:
        cell = row[col] if col < len(row) else ""
        try:
            key = parse(cell).key
        except InvalidAddress:
            yield row, "invalid_address", None
            continue
        entry = lst.lookup(key)
        yield row, ("suppressed" if entry else None), entry


def run_check(
    engine: sa.Engine,
    settings: Settings,
    clock: Clock,
    input_path: Path,
    output: Path,
    *,
    column: str | None = None,
    campaign: str | None = None,
    kind: str = "marketing",
    removed: Path | None = None,
    max_age_hours: float | None = None,
) -> CheckResult:
    if kind not in KINDS:
        raise OptoutError(f"--kind must be marketing or service, not {kind!r}")
    with read_tx(engine) as conn:
        lst = load_list(conn, kind, settings.hash_key)
    now = clock.now()
    refuse_if_stale(lst.version, now, settings.max_list_age_hours if max_age_hours is None else max_age_hours)
    counts = _filter(input_path, output, removed, column, lst)
    with write_tx(engine) as conn:
        check_id = int(conn.execute(send_checks.insert().values(  # type: ignore[index]
            campaign=campaign, kind=kind, checked_at=now, list_version=lst.version.version,
            list_digest=lst.version.digest, input_sha256=file_sha256(input_path),
            output_sha256=file_sha256(output), input_path=str(input_path), **counts,
        )).inserted_primary_key[0])
        receipt = Path(str(output) + ".receipt.json")
        body = {
            "check_id": check_id, "campaign": campaign, "kind": kind, "checked_at": now.isoformat(),
            "list_version": lst.version.version, "list_digest": lst.version.digest,
            "list_published_at": lst.version.published_at.isoformat(),
            "input": str(input_path), "input_sha256": file_sha256(input_path),
            "output": str(output), "output_sha256": file_sha256(output), **counts,
        }
        write_receipt(receipt, body, settings.receipt_key)
        conn.execute(send_checks.update().where(send_checks.c.id == check_id).values(receipt_path=str(receipt)))
    return CheckResult(
        counts["rows_in"], counts["kept"], counts["suppressed"], counts["invalid"], lst.version.version, check_id, str(receipt)
    )


def _filter(input_path: Path, output: Path, removed: Path | None, column: str | None, lst: SuppressedSet) -> dict[str, int]:
    counts = {"rows_in": 0, "kept": 0, "suppressed": 0, "invalid": 0}
    with open_text(input_path) as src, output.open("w", encoding="utf-8", newline="") as out:
        reader = csv.reader(src)
        try:
            header = next(reader)
        except StopIteration:
            raise OptoutError(f"{input_path}: empty file, no header row") from None
        col = address_column(header, column, input_path)
        kept = csv.writer(out, lineterminator="\n")
        kept.writerow(header)
        rem_fh = removed.open("w", encoding="utf-8", newline="") if removed else None
        rem = csv.writer(rem_fh, lineterminator="\n") if rem_fh else None
        if rem:
            rem.writerow([*header, "reason", "channel", "since"])
        try:
            for row, reason, entry in classify(reader, col, lst):
                counts["rows_in"] += 1
                if reason is None:
                    counts["kept"] += 1
                    kept.writerow(row)
                    continue
                counts["suppressed" if reason == "suppressed" else "invalid"] += 1
                if rem:
                    rem.writerow([*row, reason, entry.channels if entry else "", entry.since.isoformat() if entry else ""])
        except csv.Error as exc:
            raise OptoutError(f"{input_path}: line {reader.line_num}: {exc}") from None
        finally:
            if rem_fh:
                rem_fh.close()
    return counts
