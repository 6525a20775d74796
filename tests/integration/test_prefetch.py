"""The list snapshot read ahead by a forked child (pipeline/check/prefetch.py): it hands over the
stored rows byte for byte with the signature computed over them, only for the version asked, and
nothing when it cannot; a check using them answers as one reading the store itself; a body
changed in the store is refused as before; the child is always reaped."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from pipeline.check import prefetch as prefetch_module
from pipeline.check import snapshots
from pipeline.check.loaded_list import load_list
from pipeline.check.prefetch import prefetch, worth_it
from pipeline.check.run import run_check
from pipeline.ledger import manual
from pipeline.ledger.publish import latest_version
from pipeline.store.db import read_tx
from pipeline.store.schema import list_snapshots
from tests.integration.audit_helpers import land_letters, recipients_csv, run_at
from tests.integration.big_path import small_path_off

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

SUPPRESSED = ["ann@example.com", "bo.b@gmail.com", "carl@example.org"]


@pytest.fixture(autouse=True)
def forkable(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test process may hold other threads (servers other tests started and left idle), where
    `prefetch` rightly declines to fork; these tests fork anyway, the child touching no lock
    another thread could hold. The rule itself is tested on its own (beside a thread of its own)."""
    if "other_threads" not in request.node.name:
        monkeypatch.setattr(prefetch_module, "_can_fork", lambda: True)


@pytest.fixture
def nightly(engine, settings, landing, clock) -> str:
    """A published list with its stored snapshot; the SQLite store's path."""
    rows = [(f"L{i}", "2026-10-09T09:00:00Z", a, "N") for i, a in enumerate(SUPPRESSED)]
    land_letters(landing, "2026-10-09", "letters.csv", rows)
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")
    return str(sa.make_url(settings.database_url).database)


def stored_row(engine: sa.Engine, version: int) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(sa.select(list_snapshots).where(list_snapshots.c.version == version)).one()


def reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_child_hands_over_the_stored_row_with_its_signature(engine, settings, nightly) -> None:
    with engine.connect() as conn:
        version = latest_version(conn)
    assert version is not None
    row = stored_row(engine, version.version)
    with prefetch(nightly, settings.hash_key) as pf:
        assert pf is not None
        pid = pf.pid
        rows = pf.rows(version.version)
        assert reaped(pid) and pf.rows(version.version) == {}  # asked once
    got = rows[version.version]
    assert (bytes(got.body), got.mac, got.base) == (bytes(row.body), row.mac, None)
    assert got.computed_mac == snapshots.mac_of(row.body, settings.hash_key) == row.mac


def test_a_check_with_the_rows_read_ahead_answers_as_without(engine, settings, nightly, monkeypatch) -> None:
    monkeypatch.setattr(snapshots, "build", lambda *a: pytest.fail("a stored snapshot was rebuilt"))
    with read_tx(engine) as conn:
        version = latest_version(conn)
        assert version is not None
        plain = load_list(conn, "marketing", settings.hash_key)
        with prefetch(nightly, settings.hash_key) as pf:
            assert pf is not None
            ahead = load_list(conn, "marketing", settings.hash_key, pf.rows(version.version))
    keys = ["ann@example.com", "bob@gmail.com", "dora@example.net"]
    probe = pa.array(keys, pa.string())
    assert plain.lookup_many(probe)[0].tolist() == ahead.lookup_many(probe)[0].tolist() == [True, True, False]
    assert ahead.unsaved is None and isinstance(ahead.index.keys, pa.Array)


def test_a_delta_comes_with_its_base(engine, settings, clock, nightly, tmp_path: Path, monkeypatch) -> None:
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")  # version 2, no snapshot stored
    with small_path_off():  # the big path loads the list, and stores the delta it built
        run_check(engine, settings, clock, recipients_csv(tmp_path / "s.csv", ["dora@example.net"]), tmp_path / "s.out.csv")
    assert stored_row(engine, 2).base == 1  # the check stored a delta over version 1
    monkeypatch.setattr(snapshots, "build", lambda *a: pytest.fail("a stored snapshot was rebuilt"))
    monkeypatch.setattr(snapshots, "build_delta", lambda *a: pytest.fail("a stored delta was rebuilt"))
    with prefetch(nightly, settings.hash_key) as pf, read_tx(engine) as conn:
        assert pf is not None
        rows = pf.rows(2)
        assert sorted((v, r.base) for v, r in rows.items()) == [(1, None), (2, 1)]
        ahead = load_list(conn, "marketing", settings.hash_key, rows)
    assert ahead.lookup_many(pa.array(["dora@example.net", "ann@example.com", "x@example.com"]))[0].tolist() == [True, True, False]


def test_another_version_or_no_store_gives_nothing(engine, settings, nightly, tmp_path: Path) -> None:
    with engine.connect() as conn:
        version = latest_version(conn)
    assert version is not None
    with prefetch(nightly, settings.hash_key) as pf:
        assert pf is not None and pf.rows(version.version + 1) == {}
    with prefetch(str(tmp_path / "missing.db"), settings.hash_key) as pf:
        assert pf is not None and pf.rows(1) == {}
    assert not (tmp_path / "missing.db").exists()  # the child opens the store read-only


def test_a_body_changed_in_the_store_is_refused_as_before(engine, settings, nightly, caplog) -> None:
    with engine.connect() as conn:
        version = latest_version(conn)
    assert version is not None
    body = bytearray(stored_row(engine, version.version).body)
    body[len(body) // 2] ^= 1
    with engine.begin() as conn:
        conn.execute(list_snapshots.update().where(list_snapshots.c.version == version.version).values(body=bytes(body)))
    with prefetch(nightly, settings.hash_key) as pf, read_tx(engine) as conn:
        assert pf is not None
        rows = pf.rows(version.version)
        assert rows and snapshots.read(conn, version, settings.hash_key, rows) is None
    assert "its signature does not match its content" in caplog.text


def test_the_child_is_stopped_and_reaped_when_the_check_stops_early(settings, nightly) -> None:
    with prefetch(nightly, settings.hash_key) as pf:
        assert pf is not None
        pid = pf.pid
    assert reaped(pid)


def test_no_child_beside_other_threads_nor_for_a_small_file(settings, nightly, tmp_path: Path) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with prefetch(nightly, settings.hash_key) as pf:
            assert pf is None
    finally:
        stop.set()
        other.join()
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_text("email\na@example.com\n", encoding="utf-8")
    big.write_bytes(b"email\n" + b"a@example.com\n" * 30_000)
    url = settings.database_url
    assert (worth_it(small, url, False), worth_it(big, url, True), worth_it(big, url, False)) == (None, None, nightly)
    assert worth_it(big, "postgresql://localhost/x", False) is None and worth_it(tmp_path / "x.parquet", url, False) is None


@pytest.mark.parametrize("refused", ["memfd_create", "pipe", "fork"])
def test_a_system_that_refuses_the_child_only_means_no_child(settings, nightly, monkeypatch, refused: str) -> None:
    before = set(os.listdir("/proc/self/fd"))

    def no(*args: object) -> None:
        raise OSError(11, f"{refused} refused")

    monkeypatch.setattr(os, refused, no)
    with prefetch(nightly, settings.hash_key) as pf:
        assert pf is None
    assert set(os.listdir("/proc/self/fd")) == before  # nothing left open
