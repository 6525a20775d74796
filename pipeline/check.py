"""The pre-send check (SPEC §7 `check`): remove every recipient whose match key is on the
published list, keep every column and the row order of the rest, record and sign the check.

Large lists stream in blocks (`pipeline.csvstream`): keys come from `pipeline.fastkeys`, the
list is loaded once into a `KeyIndex`, blocks are keyed and matched on two threads (Arrow and
numpy release the GIL) and written in order, byte for byte. Odd CSV falls back to the
row-by-row reader; Parquet in gives Parquet out."""
from __future__ import annotations

import hashlib
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from pipeline.clock import Clock
from pipeline.config import Settings
from pipeline.csvstream import Block, IrregularCsv, NotUtf8, chunks, kept_bytes, prepare, read_header, row_texts
from pipeline.errors import OptoutError, StaleListError
from pipeline.fastkeys import match_keys
from pipeline.publish import ListVersion, latest_version
from pipeline.receipts import write_receipt
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import send_checks
from pipeline.suppressed import Entry, RowEntries, SuppressedSet, load_list

ADDRESS_HEADERS = ("email", "e-mail", "email_address", "recipient")
KINDS = ("marketing", "service")
REMOVED_COLUMNS = ("reason", "channel", "since")
INVALID_FIELDS = b",invalid_address,,\n"
WORKERS = 2
AHEAD = 6  # blocks keyed ahead while the list loads (about 100 MB each at most)

__all__ = ["CheckResult", "Entry", "SuppressedSet", "load_list", "refuse_if_stale", "run_check"]


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


@dataclass
class Tally:
    rows_in: int = 0
    kept: int = 0
    suppressed: int = 0
    invalid: int = 0
    input_sha256: str = ""
    output_sha256: str = ""
    extra: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"rows_in": self.rows_in, "kept": self.kept, "suppressed": self.suppressed, "invalid": self.invalid}


class EntryByRow(Protocol):
    """The entry that removed a row (a dict, or `RowEntries`)."""

    def __getitem__(self, row: int) -> Entry: ...


@dataclass
class Verdict:
    """What a block's rows get: kept or not, and for removed rows the reason and entry."""

    keep: np.ndarray
    invalid: np.ndarray
    entries: EntryByRow


def refuse_if_stale(version: ListVersion, now: datetime, max_age_hours: float) -> None:
    age = now - version.published_at
    if age > timedelta(hours=max_age_hours):
        hours = age.total_seconds() / 3600
        raise StaleListError(
            f"list version {version.version} was published {hours:.1f} hours ago, more than --max-age {max_age_hours:g}: "
            "refusing to check against a stale list"
        )


def address_column(header: list[str], column: str | None, path: Path) -> int:
    names = [h.strip().lower() for h in header]
    wanted = [column.strip().lower()] if column else list(ADDRESS_HEADERS)
    for name in wanted:
        if name in names:
            return names.index(name)
    if column:
        raise OptoutError(f"{path}: no column named {column!r} (columns: {', '.join(header)})")
    raise OptoutError(f"{path}: no address column (looked for {', '.join(ADDRESS_HEADERS)}; name one with --column)")


def judge(cells: pa.Array, lst: SuppressedSet) -> Verdict:
    """Key a column of addresses and match it against the list."""
    keys = match_keys(cells)
    invalid = keys.is_null().to_numpy(zero_copy_only=False)
    suppressed, entries = lst.lookup_many(keys)
    return Verdict(~invalid & ~suppressed, invalid, entries)


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
    now = clock.now()
    max_age = settings.max_list_age_hours if max_age_hours is None else max_age_hours
    if in_database:
        from pipeline.check_db import DatabaseList, filter_in_database

        with read_tx(engine) as conn:  # one snapshot for the version and every block's anti-join
            lst_db = DatabaseList.open(conn, kind, settings.hash_key)
            refuse_if_stale(lst_db.version, now, max_age)
            tally = filter_in_database(input_path, output, removed, column, lst_db)
        return record_check(engine, settings, now, campaign, kind, lst_db.version, input_path, output, tally)
    with ThreadPoolExecutor(1) as loader:
        pending = PendingList(engine, kind, settings.hash_key, loader)
        try:
            version = pending.version()
            refuse_if_stale(version, now, max_age)
        except BaseException:
            pending.cancel()
            raise
        pending.go()
        tally = filter_file(input_path, output, removed, column, pending)  # type: ignore[arg-type]
    return record_check(engine, settings, now, campaign, kind, version, input_path, output, tally)


class PendingList:
    """The list, loading on its own thread (one snapshot) while the first blocks are keyed.

    Loading two million keys takes seconds; keys do not depend on the list, so blocks are read,
    split, parsed and keyed meanwhile and wait only to be matched. The version is known first,
    so a stale list is refused before anything is written."""

    def __init__(self, engine: sa.Engine, kind: str, hash_key: str, pool: ThreadPoolExecutor) -> None:
        self._version: Future[ListVersion] = Future()
        self._decided = threading.Event()
        self._cancelled = False
        self._list = pool.submit(self._load, engine, kind, hash_key)

    def _load(self, engine: sa.Engine, kind: str, hash_key: str) -> SuppressedSet | None:
        try:
            with read_tx(engine) as conn:
                version = latest_version(conn)
                if version is None:
                    raise StaleListError("no suppression list has been published yet: run 'optout run' first")
                self._version.set_result(version)
                self._decided.wait()
                return None if self._cancelled else load_list(conn, kind, hash_key)
        except BaseException as exc:
            if not self._version.done():
                self._version.set_exception(exc)
            raise

    def version(self) -> ListVersion:
        return self._version.result()

    def go(self) -> None:
        self._decided.set()

    def cancel(self) -> None:
        self._cancelled = True
        self._decided.set()

    def loaded(self) -> SuppressedSet:
        lst = self._list.result()
        assert lst is not None
        return lst

    def lookup_many(self, keys: pa.Array) -> tuple[np.ndarray, EntryByRow]:
        return self.loaded().lookup_many(keys)

    def lookup(self, key: str) -> Entry | None:
        return self.loaded().lookup(key)


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
            "output": str(output), "output_sha256": tally.output_sha256, **counts,
        }
        write_receipt(receipt, body, settings.receipt_key)
        conn.execute(send_checks.update().where(send_checks.c.id == check_id).values(receipt_path=str(receipt)))
    return CheckResult(counts["rows_in"], counts["kept"], counts["suppressed"], counts["invalid"], version.version, check_id, str(receipt))


def filter_file(input_path: Path, output: Path, removed: Path | None, column: str | None, lst: SuppressedSet,
                workers: int | None = None) -> Tally:
    """Write the rows that may be sent (and the removed ones); Parquet or CSV by the input."""
    if input_path.suffix.lower() in (".parquet", ".pq"):
        from pipeline.check_parquet import filter_parquet

        return filter_parquet(input_path, output, removed, column, lst)
    for cp1252 in (False, True):
        try:
            return filter_csv(input_path, output, removed, column, lst, cp1252, workers)
        except NotUtf8:
            continue
        except IrregularCsv:
            break
    from pipeline.check_rows import filter_csv_rows

    return filter_csv_rows(input_path, output, removed, column, lst)


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

    def readline(self) -> bytes:
        data = self.fh.readline()
        self.sha.update(data)
        return data

    def close(self) -> None:
        self.fh.close()


def filter_csv(input_path: Path, output: Path, removed: Path | None, column: str | None,
               lst: SuppressedSet, cp1252: bool, workers: int | None = None) -> Tally:
    """The block-streaming CSV check: blocks judged on worker threads, written in order."""
    workers = workers or WORKERS
    src = HashingReader(input_path)
    out = HashingWriter(output)
    rem = removed.open("wb") if removed else None
    tally = Tally()
    try:
        header, names, eol = read_header(src, cp1252)  # type: ignore[arg-type]
        if not names:
            raise OptoutError(f"{input_path}: empty file, no header row")
        col = address_column(names, column, input_path)
        out.write(header + eol)
        if rem:
            rem.write(header + b"," + ",".join(REMOVED_COLUMNS).encode() + eol)
        with ThreadPoolExecutor(workers) as pool:
            pending: deque[Future[Judged]] = deque()
            for data in chunks(src):  # type: ignore[arg-type]
                pending.append(pool.submit(_judge_block, data, len(names), col, cp1252, lst, rem is not None))
                while len(pending) > workers + AHEAD:
                    _emit(pending.popleft().result(), out, rem, tally)
            while pending:
                _emit(pending.popleft().result(), out, rem, tally)
    finally:
        src.close()
        tally.output_sha256 = out.close()
        if rem:
            rem.close()
    tally.input_sha256 = src.sha.hexdigest()
    return tally


@dataclass
class Judged:
    """A judged block, ready to write: kept bytes, removed bytes and counts."""

    kept_bytes: bytes
    removed_bytes: bytes
    rows: int
    kept: int
    invalid: int


def _judge_block(data: bytes, ncols: int, col: int, cp1252: bool, lst: SuppressedSet, with_removed: bool) -> Judged:
    block = prepare(data, ncols, col, cp1252)
    verdict = judge(block.cells, lst)
    removed = removed_bytes(block, verdict) if with_removed else b""
    return Judged(kept_bytes(block, verdict.keep), removed, len(block.starts), int(verdict.keep.sum()),
                  int(verdict.invalid.sum()))


def _emit(judged: Judged, out: HashingWriter, rem: BinaryIO | None, tally: Tally) -> None:
    tally.rows_in += judged.rows
    tally.kept += judged.kept
    tally.invalid += judged.invalid
    tally.suppressed += judged.rows - judged.kept - judged.invalid
    out.write(judged.kept_bytes)
    if rem:
        rem.write(judged.removed_bytes)


def removed_bytes(block: Block, verdict: Verdict) -> bytes:
    """The removed rows, each as it was plus `,reason,channel,since`, built without a Python loop
    over rows (a list can remove a million of them): Arrow joins row texts and suffixes."""
    rows = np.flatnonzero(~verdict.keep)
    if not len(rows):
        return b""
    joined = pc.binary_join_element_wise(row_texts(block, rows), _suffixes(verdict, rows), b"")
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)[joined.offset : joined.offset + len(joined) + 1]
    return memoryview(joined.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


def _suffixes(verdict: Verdict, rows: np.ndarray) -> pa.Array:
    entries = verdict.entries
    invalid = verdict.invalid[rows]
    if isinstance(entries, RowEntries) and not entries.extra:  # the common case: codes, no erased hits
        used, index = np.unique(np.where(invalid, -1, entries.codes[rows]), return_inverse=True)
        table = [INVALID_FIELDS if c < 0 else _suppressed_fields(entries.distinct[c]) for c in used.tolist()]
        return pa.array(table, pa.binary()).take(pa.array(index.ravel()))
    return pa.array(
        [INVALID_FIELDS if bad else _suppressed_fields(entries[r]) for r, bad in zip(rows.tolist(), invalid.tolist(), strict=True)],
        pa.binary(),
    )


@lru_cache(maxsize=65536)
def _suppressed_fields(entry: Entry) -> bytes:
    """`,suppressed,channel,since` for one entry (a list has few distinct ones)."""
    channels = f'"{entry.channels}"' if "," in entry.channels else entry.channels
    return f",suppressed,{channels},{entry.since.isoformat()}\n".encode()


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
    return path.open(encoding=encoding, newline="")
