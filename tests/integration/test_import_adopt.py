"""`optout import`: a past suppression list adopted as evidence-bearing opt-outs (SQLite and PostgreSQL)."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.audit.adopt import adopt_file
from pipeline.core.errors import OptoutError
from pipeline.store.db import migrate
from pipeline.store.schema import ingested_files, intake_records, optout_events, suppressions


@pytest.fixture
def store(engine: sa.Engine) -> sa.Engine:
    migrate(engine)
    return engine


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_import_counts_events_evidence_and_no_op(store, settings, clock, tmp_path: Path) -> None:
    f = tmp_path / "old.csv"
    f.write_bytes(b"\xef\xbb\xbfEmail;When\r\na@example.com;2024-01-02T03:04:05Z\nnot-an-address;x\r\n"
                  b"B@Example.com;nope\na@example.com;2024-01-03\n")
    report = adopt_file(store, settings, clock, f, "Old ESP", requested_at_column="When")
    assert (report.rows, report.imported, len(report.duplicates)) == (4, 2, 1)
    assert [n for n, _ in report.invalid] == [3] and [n for n, _ in report.bad_dates] == [4]
    assert report.version == 1 and report.stored is not None and report.stored.read_bytes() == f.read_bytes()
    assert _count(store, suppressions) == 2 and _count(store, optout_events) == 2
    with store.connect() as conn:
        rec = conn.execute(sa.select(intake_records).order_by(intake_records.c.id)).first()
        assert rec is not None and rec.locator == "line 2" and "source Old ESP" in rec.details
        file_row = conn.execute(sa.select(ingested_files)).one()
        assert file_row.sha256 == report.sha256 and file_row.rejected == 1
    again = adopt_file(store, settings, clock, f, "Old ESP")
    assert again.already and _count(store, optout_events) == 2


def test_import_gzip_and_chain_verifies(store, settings, clock, tmp_path: Path) -> None:
    from pipeline.audit.verify import verify_store  # here, not at import: only this test needs the verifier

    f = tmp_path / "old.csv.gz"
    f.write_bytes(gzip.compress(b"email\n" + b"".join(f"u{i}@example.com\n".encode() for i in range(50))))
    assert adopt_file(store, settings, clock, f, "gz").imported == 50
    result = verify_store(store, settings)
    assert result.events == 50 and result.problems == []


@pytest.mark.parametrize("body", [b"", b"email\n", b"name\nann\n"])
def test_hostile_files(store, settings, clock, tmp_path: Path, body: bytes) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes(body)
    if body == b"email\n":
        assert adopt_file(store, settings, clock, f, "s").imported == 0
    else:
        with pytest.raises(OptoutError):
            adopt_file(store, settings, clock, f, "s")


def test_huge_field_is_an_invalid_row(store, settings, clock, tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_bytes(b"email\n" + b"x" * 10_000_000 + b"\nok@example.com\n")
    report = adopt_file(store, settings, clock, f, "s")
    assert report.imported == 1 and [n for n, _ in report.invalid] == [2]


def test_source_required(store, settings, clock, tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text("email\na@example.com\n")
    with pytest.raises(OptoutError, match="source"):
        adopt_file(store, settings, clock, f, "  ")


def _rows(engine: sa.Engine, table: sa.Table) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]


def test_driver_insert_stores_what_core_insert_stores(
    store, settings, clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bulk path (cursor executemany) and Core's own insert leave identical records, events and list."""
    from pipeline.ledger import imports

    f = tmp_path / "old.csv"
    f.write_bytes(b"email,when\n" + b"".join(
        f"u{i}@Example.com,2024-0{1 + i % 9}-0{1 + i % 9}T0{i % 10}:00:00+02:00\n".encode() for i in range(40)))
    fast = adopt_file(store, settings, clock, f, "fast", requested_at_column="when")
    other = sa.create_engine(f"sqlite:///{tmp_path / 'core.db'}")
    migrate(other)
    monkeypatch.setattr(imports, "bulk_insert", lambda dialect, table, rows: (table, rows))
    monkeypatch.setattr(imports, "_run", lambda conn, prepared: conn.execute(prepared[0].insert(), prepared[1]))
    core = adopt_file(other, settings, clock, f, "fast", requested_at_column="when")
    assert (fast.imported, fast.version) == (core.imported, core.version) == (40, 1)
    for table in (intake_records, optout_events, suppressions):
        assert _rows(store, table) == _rows(other, table)


def test_the_csv_field_limit_is_put_back(store, settings, clock, tmp_path: Path) -> None:
    import csv

    before = csv.field_size_limit()
    f = tmp_path / "limit.csv"
    f.write_text("email\nok@example.com\n")
    adopt_file(store, settings, clock, f, "s")
    assert csv.field_size_limit() == before
