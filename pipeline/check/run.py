"""The pre-send check (SPEC §7 `check`): remove every recipient whose match key is on the
published list, keep every column and the row order of the rest, record and sign the check.

What the file is (gzip, UTF-16, bare-CR line ends, delimiter) is settled first
(`pipeline.check.source`). Large lists stream in blocks (`pipeline.check.csvstream`): the list is
loaded once, from its stored snapshot (`pipeline.check.snapshots`), blocks are keyed and matched on
every core (`pipeline.check.blocks`) and written in order, byte for byte. Odd CSV falls back to
the row-by-row reader; Parquet in gives Parquet out."""
from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa

from pipeline.check import snapshots
from pipeline.check.blocks import REMOVED_COLUMNS, BlockJob, DistinctKeys, Judged, block_pool, default_workers
from pipeline.check.csvstream import BLOCK_SIZE, BadText, BareReturns, IrregularCsv, NotUtf8, chunks, read_header, views
from pipeline.check.loaded_list import Entry, SuppressedSet, load_list
from pipeline.check.receipts import write_receipt
from pipeline.check.source import Source, check_paths, open_source, write_plain_copy
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.ledger.publish import ListVersion, latest_version
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import send_checks

# Header names the address column goes by in common exports, compared case-, space-, "_"- and
# "-"-blind: "Email Address" (Mailchimp), "Email" (HubSpot, Salesforce, Klaviyo), "E-mail",
# "email_address", "Email address", "recipient".
ADDRESS_NAMES = ("email", "emailaddress", "recipient")
KINDS = ("marketing", "service")

__all__ = ["REMOVED_COLUMNS", "CheckResult", "Entry", "SuppressedSet", "load_list", "refuse_if_stale", "run_check"]


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


@dataclass
class Tally:
    rows_in: int = 0
    kept: int = 0
    suppressed: int = 0
    invalid: int = 0
    duplicates: int = 0
    input_sha256: str = ""
    output_sha256: str = ""
    extra: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"rows_in": self.rows_in, "kept": self.kept, "suppressed": self.suppressed, "invalid": self.invalid}


def refuse_if_stale(version: ListVersion, now: datetime, max_age_hours: float) -> None:
    age = now - version.published_at
    if age > timedelta(hours=max_age_hours):
        hours = age.total_seconds() / 3600
        raise StaleListError(
            f"list version {version.version} was published {hours:.1f} hours ago, more than --max-age {max_age_hours:g}: "
            "refusing to check against a stale list"
        )


def header_name(name: str) -> str:
    """A header as compared with `ADDRESS_NAMES`: case, spaces, `_` and `-` do not count."""
    return re.sub(r"[\s_\-]+", "", name.strip().strip("\ufeff").casefold())


def address_column(header: list[str], column: str | None, path: Path) -> int:
    """The address column: the one `--column` names (exactly, else case/space/`_`/`-`-blind),
    or the one whose header is a name common exports use. Two candidates: bad input."""
    if column:
        wanted = column.strip().casefold()
        found = [i for i, h in enumerate(header) if h.strip().casefold() == wanted] or \
            [i for i, h in enumerate(header) if header_name(h) == header_name(column)]
        if not found:
            raise OptoutError(f"{path}: no column named {column!r} (columns: {', '.join(header)})")
    else:
        found = [i for i, h in enumerate(header) if header_name(h) in ADDRESS_NAMES]
        if not found:
            hint = "; the first row looks like an address: the file needs a header row" \
                if any("@" in h for h in header) else ""
            raise OptoutError(
                f"{path}: no address column (looked for a header such as Email, E-mail, Email Address, email_address "
                f"or recipient among: {', '.join(header)}; name one with --column){hint}"
            )
    if len(found) > 1:
        names = " and ".join(repr(header[i]) for i in found)
        raise OptoutError(f"{path}: columns {names} could each be the address column: name the one to check with --column")
    return found[0]


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
) -> CheckResult:
    """Check `input_path` against the newest list; write OUT (and --removed), record, sign."""
    if kind not in KINDS:
        raise OptoutError(f"--kind must be marketing or service, not {kind!r}")
    check_paths(input_path, output, removed)
    now = clock.now()
    max_age = settings.max_list_age_hours if max_age_hours is None else max_age_hours
    staged_out, staged_rem = staging(output), staging(removed) if removed else None
    try:
        if in_database:
            from pipeline.check.database import DatabaseList, filter_in_database

            with read_tx(engine) as conn:  # one snapshot for the version and every block's anti-join
                lst_db = DatabaseList.open(conn, kind, settings.hash_key)
                refuse_if_stale(lst_db.version, now, max_age)
                tally = filter_in_database(input_path, staged_out, staged_rem, column, lst_db)
            result = record_check(engine, settings, now, campaign, kind, lst_db.version, input_path, output, tally)
        else:
            with read_tx(engine) as conn:  # one snapshot: the version judged stale or not is the one loaded
                version = latest_version(conn)
                if version is None:
                    raise StaleListError("no suppression list has been published yet: run 'optout run' first")
                refuse_if_stale(version, now, max_age)
                lst = load_list(conn, kind, settings.hash_key)
            tally = filter_file(input_path, staged_out, staged_rem, column, lst)
            if lst.unsaved is not None:  # built from `suppressions`: store it for the next check of this version
                snapshots.save(engine, lst.unsaved)
            result = record_check(engine, settings, now, campaign, kind, lst.version, input_path, output, tally)
        if staged_rem is not None and removed is not None:
            os.replace(staged_rem, removed)
        os.replace(staged_out, output)
    finally:
        for path in (staged_out, staged_rem):
            if path is not None:
                path.unlink(missing_ok=True)
    return result


def staging(path: Path) -> Path:
    """Where a check writes a file until it is complete and recorded: OUT appears only whole
    (a failed or interrupted check leaves no partial send list), by an atomic rename."""
    return path.with_name(f".{path.name}.partial")


def record_check(
    engine: sa.Engine, settings: Settings, now: datetime, campaign: str | None, kind: str,
    version: ListVersion, input_path: Path, output: Path, tally: Tally,
) -> CheckResult:
    """The `send_checks` row and the signed receipt (SPEC §5, §7)."""
    counts = tally.counts()
    with write_tx(engine) as conn:
        check_id = int(conn.execute(send_checks.insert().values(  # type: ignore[index]
            campaign=campaign, kind=kind, checked_at=now, list_version=version.version,
            list_digest=version.digest, input_sha256=tally.input_sha256,
            output_sha256=tally.output_sha256, input_path=str(input_path), **counts,
        )).inserted_primary_key[0])
        receipt = Path(str(output) + ".receipt.json")
        body = {
            "check_id": check_id, "campaign": campaign, "kind": kind, "checked_at": now.isoformat(),
            "list_version": version.version, "list_digest": version.digest,
            "list_published_at": version.published_at.isoformat(),
            "input": str(input_path), "input_sha256": tally.input_sha256,
            "output": str(output), "output_sha256": tally.output_sha256, **counts, "duplicates": tally.duplicates,
        }
        write_receipt(receipt, body, settings.receipt_key)
        conn.execute(send_checks.update().where(send_checks.c.id == check_id).values(receipt_path=str(receipt)))
    return CheckResult(counts["rows_in"], counts["kept"], counts["suppressed"], counts["invalid"], version.version, check_id,
                       str(receipt), tally.duplicates)


def filter_file(input_path: Path, output: Path, removed: Path | None, column: str | None, lst: SuppressedSet,
                workers: int | None = None, block_size: int | None = None) -> Tally:
    """Write the rows that may be sent (and the removed ones); Parquet or CSV by the input.

    A file that yields no recipient row is refused (exit 2): an empty send list from a file
    that was not empty means it was not read the way it was written."""
    if input_path.suffix.lower() in (".parquet", ".pq"):
        from pipeline.check.parquet import filter_parquet

        tally = filter_parquet(input_path, output, removed, column, lst)
    else:
        with open_source(input_path, output) as source:
            tally = _filter_source(source, input_path, output, removed, column, lst, workers, block_size)
    if tally.rows_in == 0:
        raise OptoutError(f"{input_path}: no recipient rows (only a header, or nothing a CSV reader finds): nothing to check")
    return tally


def _filter_source(source: Source, input_path: Path, output: Path, removed: Path | None, column: str | None,
                   lst: SuppressedSet, workers: int | None, block_size: int | None) -> Tally:
    """The block reader on `source` (as Windows-1252 when it is not UTF-8; again through a copy
    with LF line ends when a bare CR shows up only later), else the row-by-row reader. Messages
    and the receipt's `input_sha256` speak of INPUT, not of a copy."""
    try:
        tally = _filter_blocks(source, input_path, output, removed, column, lst, workers, block_size)
    except BareReturns:
        copy = output.with_name(f".{output.name}.lf.partial")
        try:
            write_plain_copy(source.path, copy)
            fixed = Source(copy, source.delimiter, source.copied or "bare CR line ends")
            tally = _filter_blocks(fixed, input_path, output, removed, column, lst, workers, block_size, retried=True)
        finally:
            copy.unlink(missing_ok=True)
    else:
        fixed = source
    if fixed.path != input_path:
        from pipeline.check.receipts import file_sha256

        tally.input_sha256 = file_sha256(input_path)
    return tally


def _filter_blocks(source: Source, input_path: Path, output: Path, removed: Path | None, column: str | None,
                   lst: SuppressedSet, workers: int | None, block_size: int | None, retried: bool = False) -> Tally:
    """The block reader, UTF-8 then Windows-1252; the row-by-row reader when the file is
    irregular for it (or still has a bare CR after a retry through a copy with LF)."""
    from pipeline.check.rows import filter_csv_rows

    for cp1252 in (False, True):
        try:
            return filter_csv(source.path, output, removed, column, lst, cp1252, workers, block_size, source.delimiter,
                              input_path)
        except NotUtf8:
            continue
        except BareReturns:
            if not retried:
                raise
            break
        except BadText as exc:
            raise OptoutError(f"{input_path}: {exc}: not a text CSV") from None
        except IrregularCsv:
            break
    return filter_csv_rows(source.path, output, removed, column, lst, source.delimiter, input_path)


class HashingWriter:
    """A binary file that keeps the SHA-256 of what is written to it."""

    def __init__(self, path: Path) -> None:
        self.fh = path.open("wb")
        self.sha = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> None:
        self.sha.update(data)
        self.fh.write(data)

    def close(self) -> str:
        self.fh.close()
        return self.sha.hexdigest()


class HashingReader:
    """A binary file that keeps the SHA-256 of what is read from it."""

    def __init__(self, path: Path) -> None:
        try:
            self.fh: BinaryIO = path.open("rb")
        except OSError as exc:
            raise OptoutError(f"{path}: cannot read ({exc.strerror})") from None
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.sha.update(data)
        return data

    def readinto(self, view: memoryview) -> int:
        n = self.fh.readinto(view)  # type: ignore[attr-defined]
        self.sha.update(view[:n])
        return n

    def readline(self) -> bytes:
        data = self.fh.readline()
        self.sha.update(data)
        return data

    def close(self) -> None:
        self.fh.close()


def filter_csv(input_path: Path, output: Path, removed: Path | None, column: str | None, lst: SuppressedSet,
               cp1252: bool, workers: int | None = None, block_size: int | None = None, delimiter: str = ",",
               label: Path | None = None) -> Tally:
    """The block-streaming CSV check: blocks judged on every core, written in order.

    A file of up to two blocks is judged here, in this process: forking workers would cost more
    than it saves. The input must not change while it is checked: its size and change
    time are compared before and after (workers read it again by offset). `label`: the file
    messages name (INPUT, when `input_path` is a copy of it)."""
    shown = label or input_path
    workers = workers or default_workers()
    block_size = block_size or BLOCK_SIZE
    src = HashingReader(input_path)
    before = _identity(src.fh)
    out = HashingWriter(output)
    rem = removed.open("wb") if removed else None
    tally = Tally()
    distinct = DistinctKeys()
    try:
        header, names, eol = read_header(src, cp1252, delimiter)  # type: ignore[arg-type]
        if not names:
            raise OptoutError(f"{shown}: empty file, no header row")
        col = address_column(names, column, shown)
        out.write(header + eol)
        if rem:
            rem.write(removed_header(header, delimiter) + b"\n")
        job = BlockJob(str(input_path), len(names), col, cp1252, lst, rem is not None, delimiter)
        offset = src.fh.tell()
        if before[1] - offset <= 2 * block_size:
            for data in chunks(src, block_size):  # type: ignore[arg-type]
                _emit(job.judge(data), out, rem, tally, distinct)
        else:
            with block_pool(job, workers, block_size) as pool:
                # Worker processes read their blocks themselves: the parent's reads can reuse one buffer.
                blocks = views(src, block_size) if pool.slots is not None else chunks(src, block_size)  # type: ignore[arg-type]
                pending: deque[Future[Judged]] = deque()
                for block in blocks:
                    pending.append(pool.submit(offset, block))
                    offset += len(block)
                    while len(pending) > pool.in_flight:
                        _emit(pending.popleft().result(), out, rem, tally, distinct, pool.kept)
                while pending:
                    _emit(pending.popleft().result(), out, rem, tally, distinct, pool.kept)
        if _identity(src.fh) != before:
            raise OptoutError(f"{shown}: the file changed while it was being checked; check it again once it is complete")
    finally:
        src.close()
        tally.output_sha256 = out.close()
        if rem:
            rem.close()
    tally.input_sha256 = src.sha.hexdigest()
    tally.duplicates = distinct.duplicates()
    return tally


def removed_header(header: bytes, delimiter: str) -> bytes:
    """The --removed header: INPUT's header (cells neutralised) and `REMOVED_COLUMNS`."""
    import pyarrow as pa

    from pipeline.check.blocks import neutralised_rows

    named = neutralised_rows(pa.array([header.decode("utf-8")], pa.string()), delimiter)[0].as_py()
    return delimiter.join([named, *REMOVED_COLUMNS]).encode("utf-8")


def _identity(fh: BinaryIO) -> tuple[int, int, int]:
    st = os.fstat(fh.fileno())
    return st.st_ino, st.st_size, st.st_mtime_ns


def _emit(judged: Judged, out: HashingWriter, rem: BinaryIO | None, tally: Tally, distinct: DistinctKeys,
          kept: Callable[[Judged], bytes | memoryview] = attrgetter("kept_bytes")) -> None:
    distinct.add(judged.key_hashes, judged.key_groups)
    tally.rows_in += judged.rows
    tally.kept += judged.kept
    tally.invalid += judged.invalid
    tally.suppressed += judged.rows - judged.kept - judged.invalid
    out.write(kept(judged))
    if rem:
        rem.write(judged.removed_bytes)


def open_text(path: Path) -> Any:
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
    if encoding == "cp1252":
        try:
            with path.open(encoding=encoding) as fh:
                for _ in iter(lambda: fh.read(1 << 20), ""):
                    pass
        except UnicodeDecodeError as exc:
            raise OptoutError(f"{path}: neither UTF-8 nor Windows-1252 text ({exc.reason})") from None
    return path.open(encoding=encoding, newline="")
