"""The nightly `esp_sync` step: after each publish, one file per configured provider
(OPTOUT_ESP_SYNC) in that provider's import layout, holding what was added to the list since the
last version handed to it, ready for the operator's upload job (docs/esp.md).

What was handed over is remembered per provider in `<output>/esp_sync.json`
(`{"sendgrid": {"version": 7, "since": 5}, …}`), written only after the provider's file is
complete. So a night whose sync failed is carried by the next night's delta, a provider synced
for the first time gets the whole list, and running the same night again writes the same file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.audit.esp_export import EspExport, export_for_esp
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.durable import replace_durably
from pipeline.core.errors import OptoutError
from pipeline.ledger.publish import latest_version, version_by_number
from pipeline.store.db import read_tx

STATE_FILE = "esp_sync.json"


@dataclass(frozen=True)
class SyncState:
    """The newest version written for a provider, and the version that file's delta starts after."""

    version: int
    since: int | None
    digest: str | None = None  # the digest of `version` when it was handed over (None in older files)


def read_state(path: Path) -> dict[str, SyncState]:
    """The state file, or nothing yet; a damaged file is an error (guessing could skip a delta)."""
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {name: _entry(item) for name, item in raw.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _damaged(path, str(exc)) from None


def _entry(item: dict[str, Any]) -> SyncState:
    """One provider's entry; anything but whole versions, 0 or more, `since` not after `version`,
    is damage (`int()` would read `true` as 1 and `1.5` as 1)."""
    version, since, digest = item["version"], item["since"], item.get("digest")
    if not _whole(version) or not (since is None or _whole(since)) or (since is not None and since > version):
        raise ValueError(f"version {version!r}, since {since!r}: not list versions")
    if digest is not None and not isinstance(digest, str):
        raise ValueError(f"digest {digest!r}: not a list digest")
    return SyncState(version, since, digest)


def _whole(value: object) -> bool:
    return type(value) is int and value >= 0


def _damaged(path: Path, why: str) -> OptoutError:
    return OptoutError(f"{path}: not a readable esp_sync state ({why}); fix or remove it "
                       "(removed, every provider gets the whole list once)")


def write_state(path: Path, state: dict[str, SyncState]) -> None:
    data = {name: {"version": s.version, "since": s.since, "digest": s.digest} for name, s in sorted(state.items())}
    replace_durably(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def sync_providers(
    engine: sa.Engine, settings: Settings, clock: Clock, output_root: Path, day: date,
) -> list[EspExport]:
    """Write `<output_root>/<day>/esp/<provider>-…csv` for each provider of `settings.esp_sync`."""
    if not settings.esp_sync:
        return []
    state_path = output_root / STATE_FILE
    state = read_state(state_path)
    with read_tx(engine) as conn:
        current = latest_version(conn)
        if current is None:
            return []
        ahead = sorted(p for p in settings.esp_sync if p in state and state[p].version > current.version)
        if ahead:  # a state from another store or from before a restore: no delta can start there
            raise _damaged(state_path, f"{', '.join(ahead)} handed version(s) after the newest, {current.version}")
        # A store restored from a backup may publish the same version numbers with other contents:
        # a delta after the old number would then miss what the new one holds.
        digests = {p: version_by_number(conn, state[p].version) for p in settings.esp_sync if p in state and state[p].digest}
        differ = sorted(p for p, v in digests.items() if v is None or v.digest != state[p].digest)
        if differ:
            raise _damaged(state_path, f"{', '.join(differ)} handed a version whose digest is not this store's "
                                       "(a restored or another store)")
    folder = output_root / day.isoformat() / "esp"
    written = []
    for provider in settings.esp_sync:
        before = state.get(provider)
        if before is not None and before.version == current.version:
            since = before.since  # the same night again: the same file
        else:
            since = before.version if before is not None else None
        written.append(export_for_esp(engine, settings, clock, folder, provider, since_version=since))
        handed = written[-1].list_version
        digest = current.digest if handed == current.version else None
        state[provider] = SyncState(handed, since, digest)
        write_state(state_path, state)
    return written


def summary(exports: list[EspExport]) -> dict[str, Any]:
    """What the task returns to XCom: per provider the file, its rows and its versions."""
    return {e.provider: {"path": str(e.path), "rows": e.rows, "list_version": e.list_version,
                         "since_version": e.since_version} for e in exports}
