"""The access log (SPEC §8): one row per console view or download of personal data, append-only.

Each row's hash covers its fields and the previous row's hash (as the events are chained), and
triggers refuse UPDATE and DELETE (migration 0004), so an auditor reading the log reads what
happened. The person looked at is kept only as the keyed hash of their match key: auditors
find an address's entries by hashing it again, and erasure has nothing to remove here."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from pipeline.core.addresses import try_parse
from pipeline.ledger.chain import GENESIS, keyed_hash
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import access_log

ACTIONS = ("view", "download")
_FIELDS = ("id", "at", "user_name", "role", "action", "page", "subject_hash", "detail", "client")


@dataclass(frozen=True)
class Access:
    """One view or download: who (user and role), what (page, the person as a keyed hash, a
    short detail such as a check id), from where (client address)."""

    user_name: str
    role: str
    action: str
    page: str
    subject_hash: str | None = None
    detail: str = ""
    client: str = ""


def subject_hash(hash_key: str, address: str) -> str | None:
    """The keyed hash an address is logged under (of its match key), or None when it is not an address."""
    parsed = try_parse(address)
    return keyed_hash(hash_key, parsed.key) if parsed is not None else None


def _canonical(value: object) -> object:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if isinstance(value, datetime) else value


def entry_hash(prev_hash: str, row: dict[str, object]) -> str:
    values = [_canonical(row[f]) for f in _FIELDS]
    return hashlib.sha256(json.dumps([prev_hash, *values], ensure_ascii=False).encode("utf-8")).hexdigest()


def record(engine: sa.Engine, access: Access, at: datetime) -> int:
    """Append one access; returns its id. One writer at a time (the store's write transaction)."""
    if access.action not in ACTIONS:
        raise ValueError(f"access action must be one of {ACTIONS}, not {access.action!r}")
    with write_tx(engine) as conn:
        last = conn.execute(sa.select(access_log.c.id, access_log.c.row_hash).order_by(access_log.c.id.desc()).limit(1)).first()
        prev = last.row_hash if last is not None else GENESIS
        row: dict[str, object] = {
            "id": (last.id + 1) if last is not None else 1, "at": at.astimezone(UTC),
            "user_name": access.user_name, "role": access.role, "action": access.action, "page": access.page,
            "subject_hash": access.subject_hash, "detail": access.detail[:500], "client": access.client[:100],
        }
        conn.execute(access_log.insert().values(**row, prev_hash=prev, row_hash=entry_hash(prev, row)))
    return int(row["id"])  # type: ignore[call-overload]


def entries(engine: sa.Engine, *, subject: str | None = None, user_name: str | None = None, limit: int = 500) -> list[sa.RowMapping]:
    """The newest entries first, optionally only those about one person (keyed hash) or by one user."""
    query = sa.select(access_log).order_by(access_log.c.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(access_log.c.subject_hash == subject)
    if user_name is not None:
        query = query.where(access_log.c.user_name == user_name)
    with read_tx(engine) as conn:
        return list(conn.execute(query).mappings())


def verify(engine: sa.Engine) -> list[int]:
    """The ids of rows whose hash or link does not hold (empty: the log is intact)."""
    broken: list[int] = []
    prev = GENESIS
    with read_tx(engine) as conn:
        for row in conn.execute(sa.select(access_log).order_by(access_log.c.id)).mappings():
            fields = {f: row[f] for f in _FIELDS}
            if row["prev_hash"] != prev or row["row_hash"] != entry_hash(prev, fields):
                broken.append(int(row["id"]))
            prev = row["row_hash"]
    return broken
