"""`insert_rows` stores what `conn.execute(table.insert(), rows)` stores, value for value as
the database driver reads it back, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ledger.events import dict_dumps, insert_rows
from pipeline.store.db import make_engine
from pipeline.store.schema import intake_records, review_queue

EAST = timezone(timedelta(hours=5, minutes=30))


def record(n: int, raw: Any) -> dict[str, Any]:
    return {
        "id": n, "channel": "phone", "source_ref": f"ref-{n}", "file_id": None, "locator": "line 7",
        "requested_at": datetime(2026, 10, 9, 23, 59, 59, 999999, tzinfo=EAST),
        "recorded_at": datetime(2026, 10, 10, 2, tzinfo=UTC), "outcome": "accepted", "reason": "ok",
        "details": "détails\n\"quoted\"", "raw": raw,
    }


RAWS: list[Any] = [{"a": 1, "ü": ["x", None]}, None, [], "text", {"nested": {"n": 1.5}},
                   {"q": 'say "hi"\\\n', "big": 10**30, 1: True, None: -0.0, "e": "\U0001f600"}]


def stored(conn: sa.Connection, table: str, ids: range) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them (no SQLAlchemy result processing), ids left out."""
    rows = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id").fetchall()
    return [tuple(row)[1:] for row in rows if row[0] in ids]


def test_insert_rows_stores_what_core_insert_stores(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(intake_records.insert(), [record(n, raw) for n, raw in enumerate(RAWS, 1)])
        insert_rows(conn, intake_records, [record(n + 100, raw) for n, raw in enumerate(RAWS, 1)])
        review = {"reason": "why", "details": "", "created_at": datetime(2026, 10, 10, 2, 30, tzinfo=EAST)}
        conn.execute(review_queue.insert(), [{"id": 1, "record_id": 1, **review}])
        insert_rows(conn, review_queue, [{"id": 2, "record_id": 101, **review}])
        core = stored(conn, "intake_records", range(1, 100))
        fast = stored(conn, "intake_records", range(101, 200))
        assert [r[:1] + r[2:] for r in fast] == [r[:1] + r[2:] for r in core]  # all but source_ref
        assert len(core) == len(RAWS)
        core_review, fast_review = stored(conn, "review_queue", range(1, 2)), stored(conn, "review_queue", range(2, 3))
        assert [r[1:] for r in fast_review] == [r[1:] for r in core_review]
    engine.dispose()


def test_insert_rows_with_no_rows_inserts_nothing(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        insert_rows(conn, intake_records, [])
        assert conn.execute(sa.select(sa.func.count()).select_from(intake_records)).scalar_one() == 0
    engine.dispose()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=12) | st.integers() | st.booleans() | st.none(), JSON_VALUES, max_size=6))
def test_dict_dumps_is_json_dumps(value: dict[Any, Any]) -> None:
    assert dict_dumps()(value) == json.dumps(value)


def test_dict_dumps_raises_as_json_dumps_does_and_then_encodes_on() -> None:
    dumps = dict_dumps()
    circular: dict[str, Any] = {"a": []}
    circular["a"].append(circular)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(circular)
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"when": datetime(2026, 10, 10, tzinfo=UTC)})
    shared: list[int] = [1]
    assert dumps({"x": shared, "y": shared}) == json.dumps({"x": shared, "y": shared})
