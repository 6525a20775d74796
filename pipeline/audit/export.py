"""`optout export` (SPEC §7): the current list as CSV that no spreadsheet will evaluate, or
hashed (HMAC-SHA256 of the match key under OPTOUT_EXPORT_KEY) for third-party senders, each
with a manifest naming the list version, its digest and the counts (docs/audit.md)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.check.receipts import file_sha256
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.core.formulas import FORMULA_PREFIXES, neutralise  # noqa: F401  (re-exported for callers)
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.publish import latest_version
from pipeline.store.db import read_tx
from pipeline.store.schema import suppressions

CLEAR_FILE = "suppression_list.csv"
HASHED_FILE = "suppression_list.hashed.csv"
MANIFEST_FILE = "manifest.json"
CLEAR_COLUMNS = (
    "address",
    "match_key",
    "scope",
    "channels",
    "first_requested_at",
    "effective_at",
    "list_version",
)
HASHED_COLUMNS = ("match_key_hmac_sha256", "scope")
def export_hash(export_key: str, match_key: str) -> str:
    """What third parties match on: HMAC-SHA256 of the match key (SPEC §4.2) under the export key."""
    return keyed_hash(export_key, match_key)


def export_key_id(export_key: str) -> str:
    """A short fingerprint of the export key, so a receiver (and erased entries) can tell which key hashed."""
    return keyed_hash(export_key, "optout export key id")[:16]


@dataclass
class ExportManifest:
    list_version: int
    list_digest: str
    published_at: str
    exported_at: str
    entries: int
    kind: str
    file: str
    sha256: str
    rows: int
    erased: int
    erased_omitted: int
    key_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_list(
    engine: sa.Engine, settings: Settings, clock: Clock, out_dir: Path, *, hashed: bool = False
) -> ExportManifest:
    """Write the newest list version to `out_dir` (clear or hashed) and its manifest."""
    with read_tx(engine) as conn:
        version = latest_version(conn)
        if version is None:
            raise StaleListError("no suppression list has been published yet: run 'optout run' first")
        rows = [r._mapping for r in conn.execute(sa.select(suppressions).order_by(suppressions.c.key_hash))]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptoutError(f"output folder {out_dir}: cannot create ({exc.strerror})", field="output") from None
    erased = sum(1 for r in rows if r["match_key"] is None)
    if hashed:
        path, written, omitted, warnings = (
            out_dir / HASHED_FILE,
            *_write_hashed(out_dir / HASHED_FILE, rows, settings.export_key),
        )
    else:
        path, written, omitted, warnings = out_dir / CLEAR_FILE, *_write_clear(out_dir / CLEAR_FILE, rows)
    manifest = ExportManifest(
        version.version,
        version.digest,
        version.published_at.isoformat(),
        clock.now().isoformat(),
        version.entries,
        "hashed" if hashed else "clear",
        path.name,
        file_sha256(path),
        written,
        erased,
        omitted,
        export_key_id(settings.export_key) if hashed else None,
        warnings,
    )
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest.as_dict(), indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_clear(path: Path, rows: Iterable[Any]) -> tuple[int, int, list[str]]:
    """Entries with a clear match key, sorted by it; erased entries are omitted (and counted)."""
    clear = sorted((r for r in rows if r["match_key"] is not None), key=lambda r: r["match_key"])
    omitted = sum(1 for r in rows if r["match_key"] is None)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CLEAR_COLUMNS)
        for r in clear:
            cells = [
                r["address"] or "",
                r["match_key"],
                r["scope"],
                r["channels"],
                r["first_requested_at"].isoformat(),
                r["effective_at"].isoformat(),
                str(r["list_version"]),
            ]
            writer.writerow([neutralise(c) for c in cells])
    warnings = (
        [f"{omitted} erased entr(y/ies) have no clear address and are not in the clear CSV"]
        if omitted
        else []
    )
    return len(clear), omitted, warnings


def _write_hashed(path: Path, rows: Iterable[Any], export_key: str) -> tuple[int, int, list[str]]:
    """One HMAC per entry; an erased entry uses the hash stored at erasure when its key is current."""
    key_id = export_key_id(export_key)
    hashes, omitted = [], 0
    for r in rows:
        if r["match_key"] is not None:
            hashes.append((export_hash(export_key, r["match_key"]), r["scope"]))
        elif r["export_hash"] and r["export_key_id"] == key_id:
            hashes.append((r["export_hash"], r["scope"]))
        else:
            omitted += 1
    hashes.sort()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HASHED_COLUMNS)
        writer.writerows(hashes)
    warnings = (
        [
            f"{omitted} erased entr(y/ies) were hashed under another export key (or none) and cannot be "
            "re-hashed: third parties will not suppress them"
        ]
        if omitted
        else []
    )
    return len(hashes), omitted, warnings
