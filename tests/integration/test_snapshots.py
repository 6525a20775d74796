"""List snapshots (pipeline/check/snapshots.py): the nightly publish stores one, checks use it, and a
damaged, stale or forged one never changes a check's answer; erasure deletes them all."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from pipeline.audit.erase import erase
from pipeline.audit.verify import verify
from pipeline.check import snapshots
from pipeline.check.loaded_list import load_list
from pipeline.check.run import run_check
from pipeline.ledger import manual
from pipeline.ledger.publish import ListVersion, latest_version
from pipeline.store.db import read_tx
from pipeline.store.schema import list_snapshots
from tests.integration.audit_helpers import land_letters, recipients_csv, run_at
from tests.integration.big_path import big_path, small_path_off  # noqa: F401  (big_path: autouse)

pytestmark = pytest.mark.integration



SUPPRESSED = ["ann@example.com", "bo.b@gmail.com", "carl@example.org"]
RECIPIENTS = ["Ann@Example.com", "bob@googlemail.com", "dora@example.net", "carl+x@example.org", "nope"]


@pytest.fixture
def nightly(engine, settings, landing, clock):
    rows = [(f"L{i}", "2026-10-09T09:00:00Z", a, "N") for i, a in enumerate(SUPPRESSED)]
    land_letters(landing, "2026-10-09", "letters.csv", rows)
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")


def stored(engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(list_snapshots)))


def check(engine, settings, clock, tmp_path: Path, name: str = "send") -> tuple[int, int, int, str]:
    src = recipients_csv(tmp_path / f"{name}.csv", RECIPIENTS)
    result = run_check(engine, settings, clock, src, tmp_path / f"{name}.out.csv")
    return result.kept, result.suppressed, result.invalid, (tmp_path / f"{name}.out.csv").read_text()


def forge(version: ListVersion, keys: list[str], hash_key: str) -> snapshots.Snapshot:
    """A well-formed snapshot signed with the store's key, holding only `keys` (as postal mail)."""
    n = len(keys)
    return snapshots.encode(version, pa.array(keys, pa.string()), np.zeros(n, np.int32), np.zeros(n, bool),
                            [("postal_mail", "2026-10-09T09:00:00+00:00")], [], hash_key)


def problems(engine, settings) -> list[str]:
    with read_tx(engine) as conn:
        return verify(conn, settings.hash_key).problems


@pytest.mark.usefixtures("nightly")
def test_nightly_publish_stores_the_snapshot_and_the_check_uses_it(engine, settings, clock, tmp_path, monkeypatch):
    (row,) = stored(engine)
    with engine.connect() as conn:
        version = latest_version(conn)
    assert version is not None and (row.version, row.digest, row.size) == (version.version, version.digest, len(row.body))
    monkeypatch.setattr(snapshots, "build", lambda *a: pytest.fail("the check rebuilt a stored snapshot"))
    kept, suppressed, invalid, out = check(engine, settings, clock, tmp_path)
    assert (kept, suppressed, invalid) == (1, 3, 1) and "dora@example.net" in out
    monkeypatch.undo()
    assert problems(engine, settings) == []


@pytest.mark.usefixtures("nightly")
def test_snapshot_holds_exactly_the_table(engine, settings):
    with read_tx(engine) as conn:
        version = latest_version(conn)
        assert version is not None
        from_table = snapshots.build(conn, version, settings.hash_key)
        from_store = snapshots.read(conn, version, settings.hash_key)
        assert from_store is not None
        clear, erased = snapshots.content(from_store)
        assert snapshots.content(from_table) == (clear, erased)
        assert {key for key, *_ in clear} == {"ann@example.com", "bob@gmail.com", "carl@example.org"} and not erased
        for kind in ("marketing", "service"):
            lst = load_list(conn, kind, settings.hash_key)
            assert lst.unsaved is None  # read, not built
            assert (lst.lookup("bob@gmail.com") is not None) == (kind == "marketing")


@pytest.mark.usefixtures("nightly")
@pytest.mark.parametrize("damage", ["body", "mac", "resigned_other_version"])
def test_damaged_snapshot_is_ignored_replaced_and_reported(engine, settings, clock, tmp_path, caplog, damage):
    (row,) = stored(engine)
    body = bytearray(row.body)
    if damage == "body":  # drop one suppressed key from the blob: the signature no longer matches
        at = bytes(body).index(b"carl@example.org")
        body[at : at + 4] = b"xxxx"
        values = {"body": bytes(body)}
    elif damage == "mac":
        values = {"mac": "0" * 64}
    else:  # a genuine snapshot of another list, signed with the right key, put under this version
        with read_tx(engine) as conn:
            version = latest_version(conn)
        assert version is not None
        forged = forge(replace(version, digest="f" * 64), SUPPRESSED, settings.hash_key)
        values = {"body": forged.body, "mac": forged.mac}
    with engine.begin() as conn:
        conn.execute(list_snapshots.update().values(**values))
    assert any(p.startswith("list_snapshots version 1:") for p in problems(engine, settings))
    with caplog.at_level(logging.WARNING, logger="optout.snapshots"):
        kept, suppressed, invalid, _ = check(engine, settings, clock, tmp_path)
    assert (kept, suppressed, invalid) == (1, 3, 1)
    assert "stored snapshot not used" in caplog.text
    assert problems(engine, settings) == []  # the check stored a good one in its place
    (again,) = stored(engine)
    assert again.mac != values.get("mac") and bytes(again.body) == bytes(row.body)


@pytest.mark.usefixtures("nightly")
def test_a_later_version_is_never_checked_against_the_old_snapshot(engine, settings, clock, tmp_path):
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")  # publishes version 2, no snapshot
    assert [r.version for r in stored(engine)] == [1]
    kept, suppressed, _, out = check(engine, settings, clock, tmp_path)
    assert (kept, suppressed) == (0, 4) and "dora" not in out
    assert [(r.version, r.base) for r in stored(engine)] == [(1, None), (2, 1)]  # a delta, built by the check
    assert problems(engine, settings) == []


@pytest.mark.usefixtures("nightly")
def test_snapshot_that_disagrees_with_the_table_fails_verify(engine, settings):
    """Signed with the store's key but built from other entries: verify compares it with the table."""
    (row,) = stored(engine)
    with read_tx(engine) as conn:
        version = latest_version(conn)
    assert version is not None
    forged = forge(version, ["ann@example.com"], settings.hash_key)
    with engine.begin() as conn:
        conn.execute(list_snapshots.update().values(body=forged.body, mac=forged.mac))
    assert problems(engine, settings) == ["list_snapshots version 1: its entries differ from the suppressions table"]


@pytest.mark.usefixtures("nightly")
def test_erasure_deletes_every_snapshot(engine, settings, clock, tmp_path):
    assert b"ann@example.com" in bytes(stored(engine)[0].body)
    result = erase(engine, settings, clock, "ann@example.com", "GDPR-5")
    assert result.redacted["list_snapshots"] == 1 and stored(engine) == []
    kept, suppressed, _, _ = check(engine, settings, clock, tmp_path)
    assert (kept, suppressed) == (1, 3)  # the erased key still suppresses, through its keyed hash
    (row,) = stored(engine)
    assert b"ann@example.com" not in bytes(row.body)
    assert problems(engine, settings) == []


@pytest.mark.usefixtures("nightly")
def test_a_store_that_cannot_take_the_snapshot_does_not_fail_the_check(engine, settings, clock, tmp_path, caplog, monkeypatch):
    with engine.begin() as conn:
        conn.execute(list_snapshots.delete())

    @contextmanager
    def locked(_engine):
        raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        yield  # pragma: no cover

    monkeypatch.setattr(snapshots, "write_tx", locked)
    with caplog.at_level(logging.WARNING, logger="optout.snapshots"):
        kept, suppressed, invalid, _ = check(engine, settings, clock, tmp_path)
    assert (kept, suppressed, invalid) == (1, 3, 1)
    assert "snapshot not stored (database is locked)" in caplog.text and stored(engine) == []
