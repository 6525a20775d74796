"""The pre-send check (SPEC §7 `check`): remove every recipient whose match key is on the
published list, keep every column and the row order of the rest, record and sign the check.

A file path goes down, never back up: `run_check` refuses a stale list and bad paths; a small CSV
(`pipeline.check.small`) is checked in plain Python against the list asked about its few keys
(`pipeline.check.listed`), writing what the big path writes, with no numpy or Arrow imported.
Otherwise it loads the list (from its stored snapshot, `pipeline.check.snapshots`) or opens it in
the database (`pipeline.check.database`), and `filter_file` chooses the reader (`pipeline.check.reader`):
Parquet for a Parquet file; for CSV, once what the file is has been settled
(`pipeline.check.source`: gzip, UTF-16, delimiter), the block reader (UTF-8, then Windows-1252,
then through a copy with LF line ends when a bare CR shows up only later), and the row-by-row
reader for CSV the block reader does not handle. Then the check is recorded and signed."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from pipeline.check import small
from pipeline.check.io import Tally
from pipeline.check.listed import listed_entries
from pipeline.check.receipts import file_sha256, write_receipt
from pipeline.check.sniff import PARQUET_SUFFIXES, check_paths
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.ledger.publish import ListVersion, latest_version
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import send_checks

if TYPE_CHECKING:
    from pipeline.check.loaded_list import MatchList
    from pipeline.check.prefetch import Prefetch
    from pipeline.check.reader import Job, Reader
    from pipeline.check.source import Source

KINDS = ("marketing", "service")

__all__ = ["CheckResult", "filter_file", "reader_for", "refuse_if_stale", "run_check"]


@dataclass
class CheckResult:
    input_rows: int
    kept: int
    suppressed: int
    invalid: int
    list_version: int
    check_id: int
    receipt: str
    duplicates: int = 0  # valid rows whose match key an earlier row already had

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def refuse_if_stale(version: ListVersion, now: datetime, max_age_hours: float) -> None:
    age = now - version.published_at
    if age > timedelta(hours=max_age_hours):
        hours = age.total_seconds() / 3600
        raise StaleListError(
            f"list version {version.version} was published {hours:.1f} hours ago, more than the maximum age of "
            f"{max_age_hours:g} hours: refusing to check against a stale list",
            field="max_age_hours",
        )


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
    in_database: bool = False,
    checked_by: str | None = None,
    prefetched: Prefetch | None = None,
) -> CheckResult:
    """Check `input_path` against the newest list; write `output` (and `removed`), record, sign.

    Every check goes through here, whoever asks (`cli:<user>`, `api:<key name>`,
    `console:<user>`, recorded as `checked_by`): the same freshness gate, the same
    `send_checks` row, the same receipt. `prefetched`: the newest list snapshot being read ahead
    (`pipeline.check.prefetch`), used if it is of the version checked against."""
    if kind not in KINDS:
        raise OptoutError(f"the kind of mail must be marketing or service, not {kind!r}", field="kind")
    check_paths(input_path, output, removed)
    # Recorded absolute, so `audit campaign` finds the files from any working directory.
    rec = Recorded(campaign, kind, checked_by, input_path.absolute(), output.absolute(),
                   removed.absolute() if removed is not None else None)
    now = clock.now()
    max_age = settings.max_list_age_hours if max_age_hours is None else max_age_hours
    staged_out, staged_rem = staging(output), staging(removed) if removed else None
    try:
        if in_database:
            from pipeline.check.database import DatabaseList  # here, not at import: Arrow and numpy, for big files only

            with read_tx(engine) as conn:  # one snapshot for the version and every block's anti-join
                lst_db = DatabaseList.open(conn, kind, settings.hash_key)
                refuse_if_stale(lst_db.version, now, max_age)
                tally = filter_file(input_path, staged_out, staged_rem, column, lst_db, workers=1)
            result = record_check(engine, settings, now, rec, lst_db.version, tally)
        else:
            version, tally = _check_loaded(engine, settings, now, max_age, input_path, (staged_out, staged_rem), column, kind,
                                           prefetched)
            result = record_check(engine, settings, now, rec, version, tally)
        if staged_rem is not None and removed is not None:
            os.replace(staged_rem, removed)
        os.replace(staged_out, output)
    finally:
        for path in (staged_out, staged_rem):
            if path is not None:
                path.unlink(missing_ok=True)
    return result


def _check_loaded(engine: sa.Engine, settings: Settings, now: datetime, max_age: float, input_path: Path,
                  staged: tuple[Path, Path | None], column: str | None, kind: str,
                  prefetched: Prefetch | None = None) -> tuple[ListVersion, Tally]:
    """The check against the newest list, judged and stale or not in one read transaction: a
    small file by the few keys it holds (`pipeline.check.small`), any other against the list
    loaded from its snapshot (built and stored here when the version has none)."""
    found = small.read_small(input_path, column)
    with read_tx(engine) as conn:  # one snapshot: the version judged stale or not is the one checked against
        version = latest_version(conn)
        if version is None:
            raise StaleListError("no suppression list has been published yet: run 'optout run' first")
        refuse_if_stale(version, now, max_age)
        if found is not None:
            listed = listed_entries(conn, kind, settings.hash_key, found.keys())
        else:
            from pipeline.check.loaded_list import load_list  # here, not at import: Arrow and numpy, for big files only

            lst = load_list(conn, kind, settings.hash_key, prefetched.rows(version.version) if prefetched else None)
    if found is not None:
        return version, small.write_small(found, listed, *staged)
    tally = filter_file(input_path, *staged, column, lst)
    if lst.unsaved is not None:  # built from `suppressions`: store it for the next check of this version
        from pipeline.check import snapshots  # here, not at import: Arrow and numpy, for big files only

        snapshots.save(engine, lst.unsaved)
    return lst.version, tally


def staging(path: Path) -> Path:
    """Where a check writes a file until it is complete and recorded: OUT appears only whole
    (a failed or interrupted check leaves no partial send list), by an atomic rename."""
    return path.with_name(f".{path.name}.partial")


@dataclass(frozen=True)
class Recorded:
    """What a check's row and receipt say besides its counts: campaign, kind, who, which files."""

    campaign: str | None
    kind: str
    checked_by: str | None
    input_path: Path
    output: Path
    removed: Path | None


def record_check(engine: sa.Engine, settings: Settings, now: datetime, rec: Recorded, version: ListVersion, tally: Tally) -> CheckResult:
    """The `send_checks` row and the signed receipt (SPEC §5, §7)."""
    counts = tally.counts()
    removed = str(rec.removed) if rec.removed is not None else None
    receipt = Path(str(rec.output) + ".receipt.json")
    with write_tx(engine) as conn:
        check_id = int(conn.execute(send_checks.insert().values(  # type: ignore[index]
            campaign=rec.campaign, kind=rec.kind, checked_at=now, list_version=version.version,
            list_digest=version.digest, input_sha256=tally.input_sha256, output_sha256=tally.output_sha256,
            input_path=str(rec.input_path), output_path=str(rec.output), removed_path=removed,
            checked_by=rec.checked_by, receipt_path=str(receipt), **counts,
        )).inserted_primary_key[0])
        body = {
            "check_id": check_id, "campaign": rec.campaign, "kind": rec.kind, "checked_at": now.isoformat(),
            "checked_by": rec.checked_by,
            "list_version": version.version, "list_digest": version.digest,
            "list_published_at": version.published_at.isoformat(),
            "input": str(rec.input_path), "input_sha256": tally.input_sha256,
            "output": str(rec.output), "output_sha256": tally.output_sha256, **counts, "duplicates": tally.duplicates,
        }
        write_receipt(receipt, body, settings.receipt_key)
    return CheckResult(counts["rows_in"], counts["kept"], counts["suppressed"], counts["invalid"], version.version, check_id,
                       str(receipt), tally.duplicates)


def reader_for(path: Path) -> Reader:
    """The first reader a file gets, by its name: Parquet for `.parquet`/`.pq`, else the CSV
    block reader (which may hand the file on: `filter_file`)."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        from pipeline.check.parquet import PARQUET  # here, not at import: Arrow's Parquet, for Parquet files only

        return PARQUET
    from pipeline.check.blockreader import BLOCKS  # here, not at import: Arrow and numpy, for big files only

    return BLOCKS


def filter_file(input_path: Path, output: Path, removed: Path | None, column: str | None, lst: MatchList,
                workers: int | None = None, block_size: int | None = None) -> Tally:
    """Write the rows that may be sent (and the removed ones); Parquet or CSV by the input.

    A file that yields no recipient row is refused (exit 2): an empty send list from a file
    that was not empty means it was not read the way it was written."""
    from pipeline.check.reader import Job  # here, not at import: its list type brings Arrow
    from pipeline.check.source import open_source  # here, not at import: numpy, for big files only

    job = Job(input_path, output, removed, column, lst, workers=workers, block_size=block_size)
    if input_path.suffix.lower() in PARQUET_SUFFIXES:
        tally = reader_for(input_path).read(job)
    else:
        with open_source(input_path, output) as source:
            tally = _read_csv(source, job)
    if tally.rows_in == 0:
        raise OptoutError(f"{input_path}: no recipient rows (only a header, or nothing a CSV reader finds): nothing to check")
    return tally


def _read_csv(source: Source, job: Job) -> Tally:
    """The block reader on `source` (again through a copy with LF line ends when a bare CR
    shows up only later), else the row-by-row reader. Messages and the receipt's
    `input_sha256` speak of INPUT, not of a copy."""
    from pipeline.check.csvstream import BareReturns  # here, not at import: Arrow and numpy, for big files only
    from pipeline.check.source import write_plain_copy  # here, not at import: numpy, for big files only

    on_source = replace(job, path=source.path, label=job.path, delimiter=source.delimiter)
    try:
        tally = _read_blocks(on_source)
    except BareReturns:
        copy = job.output.with_name(f".{job.output.name}.lf.partial")
        try:
            write_plain_copy(source.path, copy)
            tally = _read_blocks(replace(on_source, path=copy), retried=True)
        finally:
            copy.unlink(missing_ok=True)
    else:
        if source.path == job.path:
            return tally
    tally.input_sha256 = file_sha256(job.path)
    return tally


def _read_blocks(job: Job, retried: bool = False) -> Tally:
    """The block reader, UTF-8 then Windows-1252; the row-by-row reader when the file is
    irregular for it (or still has a bare CR after a retry through a copy with LF)."""
    from pipeline.check.blockreader import BLOCKS  # here, not at import: Arrow and numpy, for big files only
    from pipeline.check.csvstream import BadText, BareReturns, IrregularCsv, NotUtf8  # here, not at import: Arrow
    from pipeline.check.rows import ROWS  # here, not at import: Arrow, through the list it matches against

    for cp1252 in (False, True):
        try:
            return BLOCKS.read(replace(job, cp1252=cp1252))
        except NotUtf8:
            continue
        except BareReturns:
            if not retried:
                raise
            break
        except BadText as exc:
            raise OptoutError(f"{job.shown}: {exc}: not a text CSV") from None
        except IrregularCsv:
            break
    return ROWS.read(job)
