"""`optout export --format PROVIDER [--since-version N]` (SPEC §7): the newest list in a provider's
suppression-import layout (`esp_files`), with a manifest; also what the nightly `esp_sync` calls.

A provider matches exact addresses, not our match keys (SPEC §4.2: `J.Doe+news@x` and `jdoe@x`
share a key), so every distinct clear address recorded for a suppressed key in the events goes
out. An erased entry has no clear address left: it is omitted and counted (docs/esp.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.audit.esp_files import provider as provider_named
from pipeline.audit.esp_files import write_import
from pipeline.check.receipts import file_sha256
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.durable import replace_durably
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.intake.records import Action
from pipeline.ledger.publish import ListVersion, latest_version, version_by_number
from pipeline.store.db import read_tx
from pipeline.store.schema import optout_events, suppressions


@dataclass(frozen=True)
class EspExport:
    provider: str
    path: Path
    rows: int
    list_version: int
    since_version: int | None
    sha256: str
    omitted_erased: int
    entries: int = 0
    addresses: int = 0
    list_digest: str = ""
    exported_at: str = ""
    manifest: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        d["manifest"] = str(self.manifest) if self.manifest else None
        return d


@dataclass(frozen=True)
class Suppressed:
    """One suppressed key as a provider sees it: its clear addresses (none once erased)."""

    key_hash: str
    scope: str
    created: str
    addresses: tuple[str, ...]


def suppressed_addresses(conn: sa.Connection, since_version: int | None = None) -> list[Suppressed]:
    """Every suppressed key with every distinct clear address the events recorded for it, sorted
    by key hash and address. With `since_version`, only the keys that entered the list after that
    version or have a suppressing event after it (a new spelling of the address, a wider scope):
    what a provider that already took version N does not have yet."""
    s, e = suppressions.c, optout_events.c
    where: list[sa.ColumnElement[bool]] = []
    if since_version is not None:
        base = version_by_number(conn, since_version) if since_version > 0 else None
        ev = optout_events.alias("later_events").c  # an alias: never correlated with the events query below
        later = sa.select(ev.key_hash).where(
            ev.id > (base.last_event_id if base else 0), ev.action == Action.SUPPRESS.value, ev.address.is_not(None)
        )
        where = [sa.or_(s.list_version > since_version, s.key_hash.in_(later))]
    keys = conn.execute(
        sa.select(s.key_hash, s.scope, s.first_requested_at, s.address, s.match_key).where(*where).order_by(s.key_hash)
    ).all()
    found: dict[str, set[str]] = {}
    rows = conn.execute(
        sa.select(e.key_hash, e.address).distinct().join(suppressions, s.key_hash == e.key_hash).where(e.address.is_not(None), *where)
    )
    for key_hash, address in rows:
        found.setdefault(key_hash, set()).add(address)
    out = []
    for k in keys:
        addresses = found.get(k.key_hash, set())
        if k.match_key is not None and k.address:
            addresses.add(k.address)
        if k.match_key is None:
            addresses = set()
        out.append(Suppressed(k.key_hash, k.scope, k.first_requested_at.isoformat(), tuple(sorted(addresses))))
    return out


def import_entries(keys: Sequence[Suppressed]) -> list[tuple[str, str, str]]:
    """(address, scope, created) for `write_import`, one per clear address, sorted by address."""
    return sorted((a, k.scope, k.created) for k in keys for a in k.addresses)


def export_for_esp(
    engine: sa.Engine, settings: Settings, clock: Clock, out_dir: Path, provider: str, *, since_version: int | None = None
) -> EspExport:
    """Write the newest list as `provider`'s import file and its manifest in `out_dir`."""
    p = provider_named(provider)
    if since_version is not None and since_version < 0:
        raise OptoutError(f"since-version {since_version}: a list version is 0 or more", field="since_version")
    with read_tx(engine) as conn:
        version = latest_version(conn)
        if version is None:
            raise StaleListError("no suppression list has been published yet: run 'optout run' first")
        if since_version is not None and since_version > version.version:
            raise OptoutError(f"since-version {since_version}: the newest list version is {version.version}", field="since_version")
        keys = suppressed_addresses(conn, since_version)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptoutError(f"output folder {out_dir}: cannot create ({exc.strerror})", field="output") from None
    stem = f"{p.name}-suppressions-v{version.version}" + (f"-since-v{since_version}" if since_version is not None else "")
    path = out_dir / f"{stem}.csv"
    entries = import_entries(keys)
    rows = write_import(path, p, entries)
    result = EspExport(
        p.name,
        path,
        rows,
        version.version,
        since_version,
        file_sha256(path),
        sum(1 for k in keys if not k.addresses),
        entries=len(keys),
        addresses=len(entries),
        list_digest=version.digest,
        exported_at=clock.now().isoformat(),
        manifest=out_dir / f"{stem}.manifest.json",
    )
    _write_manifest(result, version)
    return result


def _write_manifest(result: EspExport, version: ListVersion) -> None:
    assert result.manifest is not None
    body = {**result.as_dict(), "path": result.path.name, "manifest": None, "published_at": version.published_at.isoformat()}
    try:
        replace_durably(result.manifest, (json.dumps(body, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OptoutError(f"{result.manifest}: cannot write ({exc.strerror})", field="output") from None
