"""`optout reconcile FILE --esp NAME [--adopt]` (SPEC §7): a provider's own export of its
suppression list against our newest list, by match key (SPEC §4.2), in three sets.

- ESP only: the provider suppresses an address whose key is not on our list. Its unsubscribes,
  complaints and manual suppressions are adoption candidates; its bounces (a dead mailbox, not
  an opt-out) are counted and listed but never adopted.
- ours only: our keys no address of the provider's file matches. The provider could mail these
  people today; they are written as the provider's import file (exit 1 when any).
- both.

With `adopt`, the candidates are landed as one `<provider>-adopted-<stamp>.jsonl` in
`<landing>/esp_events/<today UTC>/` (the layout the channel reads, docs/esp.md), written under a
temporary name, fsynced and renamed; the provider's file is kept as evidence under
`<landing>/reconcile/<sha256><suffix>`."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.audit.adopt import file_sha256
from pipeline.audit.esp_export import Suppressed, import_entries, suppressed_addresses
from pipeline.audit.esp_files import BOUNCE, EspRow, read_export, write_import
from pipeline.audit.esp_files import provider as provider_named
from pipeline.core.addresses import InvalidAddress, parse
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.durable import replace_durably
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.publish import latest_version
from pipeline.store.db import read_tx

ADOPTED = "optout_adopted"


@dataclass(frozen=True)
class EspOnly:
    line: int
    address: str
    kind: str
    reason: str
    created: str | None


@dataclass
class Reconciliation:
    provider: str
    file: Path
    sha256: str
    list_version: int
    rows: int = 0
    esp_only: list[EspOnly] = field(default_factory=list)  # adoption candidates
    esp_only_bounces: list[EspOnly] = field(default_factory=list)
    ours_only: list[str] = field(default_factory=list)  # addresses, as written to ours_only_file
    ours_only_keys: int = 0
    ours_only_erased: int = 0
    both: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)
    ours_only_file: Path | None = None
    adopted_file: Path | None = None
    evidence_file: Path | None = None

    @property
    def ok(self) -> bool:
        """No one on our list the provider could mail today."""
        return self.ours_only_keys == 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "esp_only": len(self.esp_only) + len(self.esp_only_bounces),
            "esp_only_adoptable": len(self.esp_only),
            "esp_only_bounces": len(self.esp_only_bounces),
            "ours_only": self.ours_only_keys,
            "ours_only_addresses": len(self.ours_only),
            "ours_only_erased": self.ours_only_erased,
            "both": self.both,
            "invalid": len(self.invalid),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "file": str(self.file),
            "sha256": self.sha256,
            "list_version": self.list_version,
            "counts": self.counts(),
            "esp_only": [vars(r) for r in self.esp_only],
            "esp_only_bounces": [vars(r) for r in self.esp_only_bounces],
            "ours_only": self.ours_only,
            "invalid": [{"line": n, "reason": why} for n, why in self.invalid],
            "ours_only_file": str(self.ours_only_file) if self.ours_only_file else None,
            "adopted_file": str(self.adopted_file) if self.adopted_file else None,
            "evidence_file": str(self.evidence_file) if self.evidence_file else None,
            "ok": self.ok,
        }


def reconcile(engine: sa.Engine, settings: Settings, clock: Clock, file: Path, provider: str, out_dir: Path, adopt: bool) -> Reconciliation:
    """Compare `file` (the provider's export) with our newest list; write the ours-only import
    file in `out_dir` and, with `adopt`, land the candidates for the next run."""
    p = provider_named(provider)
    if not file.is_file():
        raise OptoutError(f"{file}: no such file")
    rows = read_export(file, p)
    sha256, _ = file_sha256(file)
    with read_tx(engine) as conn:
        version = latest_version(conn)
        if version is None:
            raise StaleListError("no suppression list has been published yet: run 'optout run' first")
        ours = {k.key_hash: k for k in suppressed_addresses(conn)}
    result = Reconciliation(p.name, file, sha256, version.version, rows=len(rows))
    matched, present = _classify(rows, ours, settings.hash_key, result)
    # A provider matches addresses, not our match keys (case aside): a key is on both lists only
    # when every address we hold for it is in the file; an erased key, known by its hash alone,
    # when the file holds any address of it.
    missing = []
    for key_hash, k in ours.items():
        absent = tuple(a for a in k.addresses if a.casefold() not in present)
        if absent or (not k.addresses and key_hash not in matched):
            missing.append(replace(k, addresses=absent))
    result.ours_only_keys = len(missing)
    result.ours_only_erased = sum(1 for k in missing if not k.addresses)
    result.both = len(ours) - len(missing)
    entries = import_entries(missing)
    result.ours_only = [a for a, _, _ in entries]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptoutError(f"output folder {out_dir}: cannot create ({exc.strerror})", field="output") from None
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    result.ours_only_file = out_dir / f"{p.name}-ours-only-v{version.version}-{stamp}.csv"
    write_import(result.ours_only_file, p, entries)
    if adopt and result.esp_only:
        result.evidence_file = _store_evidence(settings.landing, file, sha256)
        result.adopted_file = _land_adopted(settings.landing, clock, result)
    return result


def _classify(
    rows: list[EspRow], ours: dict[str, Suppressed], hash_key: str, result: Reconciliation,
) -> tuple[set[str], set[str]]:
    """Fill the ESP-only sets and the invalid rows; returns our key hashes the file matched and
    the file's addresses (case-folded, as written and normalised)."""
    matched: set[str] = set()
    present: set[str] = set()
    seen: set[str] = set()
    for row in rows:
        try:
            a = parse(row.address)
        except InvalidAddress as exc:
            result.invalid.append((row.line, exc.reason))
            continue
        present.update((a.normalized.casefold(), row.address.strip().casefold()))
        key_hash = keyed_hash(hash_key, a.key)
        if key_hash in ours:
            matched.add(key_hash)
            continue
        if key_hash in seen:
            continue
        seen.add(key_hash)
        item = EspOnly(row.line, a.normalized, row.kind, row.reason, row.created)
        (result.esp_only_bounces if row.kind == BOUNCE else result.esp_only).append(item)
    return matched, present


def _store_evidence(landing: Path, file: Path, sha256: str) -> Path:
    """The provider's file, kept under its SHA-256 (as `optout import` keeps its files)."""
    folder = landing / "reconcile"
    stored = folder / f"{sha256}{''.join(file.suffixes[-2:])[:20]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not stored.exists():
            partial = stored.with_name(stored.name + ".partial")
            shutil.copyfile(file, partial)
            partial.replace(stored)
    except OSError as exc:
        raise OptoutError(f"{stored}: cannot store the evidence ({exc.strerror})") from None
    return stored


def _land_adopted(landing: Path, clock: Clock, r: Reconciliation) -> Path:
    """One adopted line per candidate in the channel's folder for today (UTC)."""
    now = clock.now()
    path = landing / "esp_events" / now.date().isoformat() / f"{r.provider}-adopted-{now.strftime('%Y%m%dT%H%M%S%fZ')}.jsonl"
    lines = []
    for item in r.esp_only:
        body = {
            "provider": r.provider,
            "address": item.address,
            "reason": item.reason or item.kind,
            "created": item.created,
            "source_file": r.file.name,
            "source_sha256": r.sha256,
            "line": item.line,
        }
        lines.append(json.dumps({ADOPTED: body}, ensure_ascii=False, sort_keys=True))
    try:
        replace_durably(path, ("\n".join(lines) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OptoutError(f"{path}: cannot land the adopted suppressions ({exc.strerror})") from None
    return path
