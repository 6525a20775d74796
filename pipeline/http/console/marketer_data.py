"""What the marketer pages show, read from the store: the dashboard's facts, past checks and
their files (each checked by hash before it is offered), and the lookup's answer, which says
suppressed or not, since when and the scope, and nothing of anyone's evidence."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.check.receipts import verify_receipt
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.ledger.history import lookup
from pipeline.ledger.publish import latest_version
from pipeline.store.db import read_tx
from pipeline.store.schema import pipeline_runs, send_checks

PER_PAGE = 25
FILES = ("send", "removed", "receipt")


@dataclass(frozen=True)
class Dashboard:
    version: int | None
    entries: int | None
    published_at: datetime | None
    age_hours: float | None
    max_age_hours: float
    fresh: bool
    last_run: dict[str, Any] | None

    @property
    def freshness(self) -> str:
        if self.version is None:
            return "no list published yet: checks are refused"
        return "fresh" if self.fresh else "stale: checks are refused"


def dashboard(engine: sa.Engine, settings: Settings, now: datetime) -> Dashboard:
    with read_tx(engine) as conn:
        version = latest_version(conn)
        run = conn.execute(sa.select(pipeline_runs).order_by(pipeline_runs.c.logical_date.desc(), pipeline_runs.c.id.desc())
                           .limit(1)).mappings().first()
    last_run = None if run is None else {
        "logical_date": run["logical_date"].isoformat(), "status": run["status"],
        "finished_at": run["finished_at"], "list_version": run["list_version"], "error": run["error"] or "",
    }
    if version is None:
        return Dashboard(None, None, None, None, settings.max_list_age_hours, False, last_run)
    age = now - version.published_at
    fresh = age <= timedelta(hours=settings.max_list_age_hours)
    return Dashboard(version.version, version.entries, version.published_at, age.total_seconds() / 3600,
                     settings.max_list_age_hours, fresh, last_run)


def past_checks(engine: sa.Engine, page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of send checks, newest first, and how many there are."""
    c = send_checks.c
    with read_tx(engine) as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(send_checks)).scalar_one())
        rows = conn.execute(sa.select(c.id, c.campaign, c.kind, c.checked_at, c.checked_by, c.list_version, c.rows_in, c.kept,
                                      c.suppressed, c.invalid, c.output_path, c.removed_path, c.receipt_path)
                            .order_by(c.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).mappings().all()
    checks = []
    for row in rows:
        item = dict(row)
        item["present"] = {name: bool(path) and Path(path).is_file() for name, path in (
            ("send", row["output_path"]), ("removed", row["removed_path"]), ("receipt", row["receipt_path"]))}
        # removed rows are offered only with a recorded hash (console checks): see download_problem
        item["present"]["removed"] = item["present"]["removed"] and bool(removed_digest(item))
        checks.append(item)
    return checks, total


def check_row(engine: sa.Engine, check_id: int) -> dict[str, Any] | None:
    with read_tx(engine) as conn:
        row = conn.execute(sa.select(send_checks).where(send_checks.c.id == check_id)).mappings().first()
    return None if row is None else dict(row)


def removed_digest(row: dict[str, Any]) -> str:
    """The removed rows' SHA-256 as the console job recorded it ("" for checks made elsewhere)."""
    path = row.get("removed_path")
    if not path:
        return ""
    try:
        job = json.loads((Path(path).parent / "job.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(job, dict) or (job.get("result") or {}).get("check_id") != row["id"]:
        return ""
    return str(job.get("removed_sha256") or "")


def download_problem(settings: Settings, row: dict[str, Any], which: str, sha256_ok: Any) -> tuple[Path | None, str, int]:
    """The file to send for a check's download, or why not: (None, a message, 404 when there is
    no such file or no hash to prove it, 409 when it changed after the check)."""
    if which == "send":
        path, digest = row.get("output_path"), row.get("output_sha256") or ""
    elif which == "removed":
        path, digest = row.get("removed_path"), removed_digest(row)
    else:
        path, digest = row.get("receipt_path"), ""
    if not path:
        return None, f"check {row['id']} has no {which} file", 404
    file = Path(path)
    if not file.is_file():
        return None, f"the {which} file of check {row['id']} is no longer there", 404
    if which == "receipt":
        valid, body = verify_receipt(file, settings.receipt_key)
        if not valid or body.get("check_id") != row["id"] or body.get("output_sha256") != row.get("output_sha256"):
            return None, f"the receipt of check {row['id']} was changed after the check: it is not offered", 409
        return file, "", 200
    if not digest:
        return None, f"the {which} file of check {row['id']} has no recorded hash, so it cannot be shown to be unchanged", 404
    if not sha256_ok(file, digest):
        return None, f"the {which} file of check {row['id']} was changed after the check: it is not offered", 409
    return file, "", 200


@dataclass(frozen=True)
class Status:
    address: str
    suppressed: bool
    since: str | None
    scope: str | None
    list_version: int | None


def status_of(engine: sa.Engine, settings: Settings, address: str) -> Status:
    """Suppressed or not in the newest list, since when, its scope: nothing else of the person."""
    text = address.strip()
    if not text:
        raise OptoutError("enter an address to look up", field="address")
    if len(text) > 320:
        raise OptoutError("the address is longer than 320 characters", field="address")
    with read_tx(engine) as conn:
        answer = lookup(conn, settings.hash_key, text)
    return Status(text, answer.suppressed, answer.since, answer.scope, answer.list_version)
