"""Console checks as jobs: an upload saved under `<output>/checks/console/<job id>/`, its
preview (first rows, the address column as `optout check` finds it), and the check itself run in
a background thread through `pipeline.check.run.run_check`, the one enforcement function.

A job's folder holds `job.json` (who uploaded it, the name shown, campaign, kind, state, the
check's counts or the refusal) and the files: `input.<csv|parquet|xlsx>` (the upload, under a
name of ours: the browser's file name is only shown, never used as a path), `send.<csv|parquet>`,
`removed.<csv|parquet>` and the receipt. The removed rows' SHA-256 is kept in `job.json`, so
their download is checked by hash like the send file's (whose hash `send_checks` holds)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from pipeline.check import xlsx
from pipeline.check.io import address_column
from pipeline.check.receipts import file_sha256
from pipeline.check.run import KINDS, run_check
from pipeline.check.source import open_source
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError, StaleListError

PREVIEW_ROWS = 10
CHUNK = 1 << 20
JOB_ID = re.compile(r"[0-9a-f]{32}")
PARQUET_MAGIC = b"PAR1"
_LOCK = threading.Lock()


@dataclass
class JobInfo:
    """What `job.json` holds."""

    job_id: str
    owner: str
    shown_name: str
    stored_name: str
    size: int
    campaign: str | None
    kind: str
    state: str = "uploaded"  # uploaded | running | done | failed | refused
    column: str | None = None
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    removed_sha256: str = ""


def jobs_root(settings: Settings) -> Path:
    return settings.output / "checks" / "console"


def job_dir(settings: Settings, job_id: str) -> Path:
    if not JOB_ID.fullmatch(job_id):
        raise OptoutError("no such check job", field="job")
    return jobs_root(settings) / job_id


def shown_name(name: str | None) -> str:
    """The browser's file name as it may be shown: its last path part, no control characters,
    at most 120 characters; never used as a path."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    return text[:120] or "upload"


def kind_of(head: bytes, name: str) -> str:
    """The stored file's suffix, from its first bytes (and, for Parquet, also its name)."""
    if head.startswith(PARQUET_MAGIC) or name.lower().endswith((".parquet", ".pq")):
        return "parquet"
    if xlsx.is_spreadsheet(head):
        return "xlsx"
    return "csv"


def check_fields(campaign: str | None, kind: str) -> tuple[str | None, str]:
    if kind not in KINDS:
        raise OptoutError(f"the kind of mail must be marketing or service, not {kind[:40]!r}", field="kind")
    text = (campaign or "").strip()
    if len(text) > 200 or any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise OptoutError("the campaign id must be at most 200 characters, without control characters", field="campaign")
    return (text or None), kind


def save_upload(settings: Settings, owner: str, upload: BinaryIO, name: str | None, campaign: str | None, kind: str) -> JobInfo:
    """Copy the upload in chunks into a new job's folder; refuse an empty file."""
    campaign, kind = check_fields(campaign, kind)
    job_id = secrets.token_hex(16)
    folder = job_dir(settings, job_id)
    folder.mkdir(parents=True, exist_ok=False)
    staged = folder / "upload.partial"
    size, head = 0, b""
    with staged.open("wb") as out:
        while chunk := upload.read(CHUNK):
            head = head or chunk[:4096]
            size += len(chunk)
            out.write(chunk)
    if size == 0:
        staged.unlink()
        folder.rmdir()
        raise OptoutError(f"{shown_name(name)}: empty file (0 bytes), no header row", field="file")
    stored = f"input.{kind_of(head, shown_name(name))}"
    os.replace(staged, folder / stored)
    info = JobInfo(job_id, owner, shown_name(name), stored, size, campaign, kind)
    save(settings, info)
    return info


def save(settings: Settings, info: JobInfo) -> None:
    path = job_dir(settings, info.job_id) / "job.json"
    staged = path.with_name("job.json.partial")
    staged.write_text(json.dumps(asdict(info), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(staged, path)


def load(settings: Settings, job_id: str) -> JobInfo | None:
    try:
        data = json.loads((job_dir(settings, job_id) / "job.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, OptoutError):
        return None
    return JobInfo(**data)


def input_path(settings: Settings, info: JobInfo) -> Path:
    return job_dir(settings, info.job_id) / info.stored_name


def outputs(settings: Settings, info: JobInfo) -> tuple[Path, Path]:
    suffix = "parquet" if info.stored_name.endswith(".parquet") else "csv"
    folder = job_dir(settings, info.job_id)
    return folder / f"send.{suffix}", folder / f"removed.{suffix}"


@dataclass(frozen=True)
class Preview:
    header: list[str]
    rows: list[list[str]]
    chosen: int | None  # the address column `optout check` would read; None: none or two qualify
    problem: str = ""  # why none was chosen (the check's own message)


def preview(settings: Settings, info: JobInfo, column: str | None = None) -> Preview:
    """The header and first rows as the check reads them, and the address column it would use."""
    path = input_path(settings, info)
    if info.stored_name.endswith(".parquet"):
        header, rows = _parquet_head(path)
    elif info.stored_name.endswith(".xlsx"):
        header, *rows = xlsx.head_rows(path, PREVIEW_ROWS + 1)
    else:
        with open_source(path, job_dir(settings, info.job_id) / "preview.csv") as source:
            header, rows = _csv_head(source.path, source.delimiter)
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in rows]
    try:
        return Preview(header, rows, address_column(header, column, Path(info.shown_name)))
    except OptoutError as exc:
        return Preview(header, rows, None, str(exc))


def _csv_head(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    with path.open("rb") as fh:
        data = fh.read(1 << 20)
    text = data.decode("utf-8-sig", errors="replace")
    lines = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    if not lines:
        raise OptoutError("no header row", field="file")
    return lines[0], lines[1:PREVIEW_ROWS + 1]


def _parquet_head(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        source = pq.ParquetFile(path)
        batch = next(source.iter_batches(batch_size=PREVIEW_ROWS), None)
    except (OSError, pa.ArrowInvalid) as exc:
        raise OptoutError(f"not a readable Parquet file ({exc})", field="file") from None
    header = list(source.schema_arrow.names)
    if batch is None:
        return header, []
    columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
    return header, [["" if c[r] is None else str(c[r]) for c in columns] for r in range(batch.num_rows)]


def start(engine: sa.Engine, settings: Settings, clock: Clock, info: JobInfo, user_name: str, column: str | None) -> bool:
    """Run the check in a background thread; False when this job has already been started."""
    with _LOCK:
        current = load(settings, info.job_id)
        if current is None or current.state != "uploaded":
            return False
        current.state, current.column = "running", column
        save(settings, current)
    thread = threading.Thread(target=_run, args=(engine, settings, clock, current, user_name), daemon=True,
                              name=f"console-check-{info.job_id[:8]}")
    thread.start()
    return True


def _run(engine: sa.Engine, settings: Settings, clock: Clock, info: JobInfo, user_name: str) -> None:
    send, removed = outputs(settings, info)
    try:
        result = run_check(engine, settings, clock, input_path(settings, info), send, column=info.column,
                           campaign=info.campaign, kind=info.kind, removed=removed, checked_by=f"console:{user_name}")
        info.state, info.result = "done", result.as_dict()
        info.removed_sha256 = file_sha256(removed)
    except StaleListError as exc:
        info.state, info.message = "refused", str(exc)
    except OptoutError as exc:
        info.state, info.message = "failed", str(exc).replace(str(input_path(settings, info)), info.shown_name)
    except Exception as exc:  # a bug must still end the job, not leave it "running" for ever
        info.state, info.message = "failed", f"the check stopped: {type(exc).__name__}"
    save(settings, info)


def progress(settings: Settings, info: JobInfo) -> tuple[int | None, int]:
    """(bytes of the input read so far, its size): the read position of this process's open
    file on the input (or the CSV copy of a workbook), from /proc; None where there is no /proc."""
    folder = job_dir(settings, info.job_id).resolve()
    total = info.size
    best: int | None = None
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None, total
    for fd in fds:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if not target.startswith(str(folder)) or not (target.endswith(info.stored_name) or target.endswith("input.partial")):
                continue
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as fh:
                pos = int(fh.readline().split()[1])
            size = os.path.getsize(target)
        except (OSError, ValueError, IndexError):
            continue
        share = min(pos, size) * total // max(size, 1)
        best = share if best is None else max(best, share)
    return best, total


def written(settings: Settings, info: JobInfo) -> int:
    """Bytes of the send file written so far (it grows in input order as blocks are judged; the
    reader itself reads ahead of the judging)."""
    send, _ = outputs(settings, info)
    for path in (send.with_name(f".{send.name}.partial"), send):
        try:
            return path.stat().st_size
        except OSError:
            continue
    return 0


def digest_ok(path: Path, sha256: str) -> bool:
    """Whether the file at `path` still has the recorded SHA-256."""
    if not sha256 or not path.is_file():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == sha256
