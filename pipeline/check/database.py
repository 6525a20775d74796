"""The list queried in the database, for lists larger than memory: a `MatchList` the readers
match against, in place of the loaded list (the block reader then runs on one worker).

Each block's keys go into a temporary table (COPY on PostgreSQL) and are joined with
`suppressions` inside the check's read snapshot, so only a block is ever in memory and the list
is never loaded. Erased entries are matched by their keyed hash, computed for a block only when
the version has any."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from pipeline.check.loaded_list import Entry
from pipeline.core.clock import as_utc
from pipeline.core.errors import StaleListError
from pipeline.intake.records import Scope
from pipeline.ledger.publish import ListVersion, latest_version


@dataclass
class DatabaseList:
    """The published list as seen from one read snapshot, queried block by block."""

    conn: sa.Connection
    version: ListVersion
    kind: str
    hash_key: str
    has_erased: bool

    @classmethod
    def open(cls, conn: sa.Connection, kind: str, hash_key: str) -> DatabaseList:
        version = latest_version(conn)
        if version is None:
            raise StaleListError("no suppression list has been published yet: run 'optout run' first")
        erased = conn.execute(sa.text("SELECT 1 FROM suppressions WHERE match_key IS NULL LIMIT 1")).first()
        conn.execute(sa.text("CREATE TEMPORARY TABLE IF NOT EXISTS check_keys (row_no INTEGER, match_key TEXT, key_hash TEXT)"))
        return cls(conn, version, kind, hash_key, erased is not None)

    def lookup_many(self, keys: pa.Array, hashes: np.ndarray | None = None) -> tuple[np.ndarray, dict[int, Entry]]:
        """(suppressed mask, entry by row) for a column of keys, joined in the database
        (`hashes`, the in-memory index's, are not needed here)."""
        self.conn.execute(sa.text("DELETE FROM check_keys"))
        rows = np.flatnonzero(keys.is_valid().to_numpy(zero_copy_only=False))
        values = keys.take(pa.array(rows)).to_pylist()
        secret = self.hash_key.encode("utf-8")
        data = [
            (int(r), k, hmac.digest(secret, k.encode("utf-8"), hashlib.sha256).hex() if self.has_erased else None)
            for r, k in zip(rows.tolist(), values, strict=True)
        ]
        self._load(data)
        mask = np.zeros(len(keys), dtype=bool)
        found: dict[int, Entry] = {}
        for row_no, channels, effective_at, scope, first in self.conn.execute(sa.text(self._join_sql()), self._params()):
            mask[row_no] = True
            found[row_no] = Entry(channels, as_utc(effective_at), scope, as_utc(first))
        return mask, found

    def lookup(self, key: str) -> Entry | None:
        """The entry suppressing one match key, or None (for the row-by-row reader)."""
        mask, found = self.lookup_many(pa.array([key], pa.string()))
        return found.get(0)

    def _params(self) -> dict[str, Any]:
        return {"scope": str(Scope.ALL)} if self.kind == "service" else {}

    def _join_sql(self) -> str:
        on = "s.match_key = k.match_key"
        if self.has_erased:
            on = f"({on} OR (s.match_key IS NULL AND s.key_hash = k.key_hash))"
        scope = " AND s.scope = :scope" if self.kind == "service" else ""
        return (
            "SELECT DISTINCT k.row_no, s.channels, s.effective_at, s.scope, s.first_requested_at"
            f" FROM check_keys k JOIN suppressions s ON {on}{scope}"
        )

    def _load(self, data: list[tuple[int, str, str | None]]) -> None:
        raw = self.conn.connection.driver_connection
        if self.conn.dialect.name == "postgresql" and raw is not None:
            with raw.cursor() as cur, cur.copy("COPY check_keys (row_no, match_key, key_hash) FROM STDIN") as copy:
                for item in data:
                    copy.write_row(item)
            return
        if data:
            self.conn.exec_driver_sql("INSERT INTO check_keys (row_no, match_key, key_hash) VALUES (?, ?, ?)", data)

