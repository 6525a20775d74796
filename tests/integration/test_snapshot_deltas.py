"""Delta snapshots (pipeline/check/deltas.py): after a small publish the newest version's snapshot
is stored as a change over the last whole one, and a check loading base + delta answers exactly
as a whole snapshot (and the list in the database) would; anything wrong with either falls back
to `suppressions` and `optout verify` reports it."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from pipeline.audit.erase import erase
from pipeline.audit.verify import verify
from pipeline.check import deltas, small, snapshots
from pipeline.check.run import run_check
from pipeline.intake.records import Action, IntakeRecord, OptoutRequest, Outcome, Scope
from pipeline.ledger import manual
from pipeline.ledger.ingest import store_records
from pipeline.ledger.publish import latest_version, publish
from pipeline.store.db import read_tx, write_tx
from pipeline.store.schema import list_snapshots
from tests.integration.audit_helpers import land_letters, recipients_csv, run_at
from tests.integration.big_path import big_path, small_path_off  # noqa: F401  (big_path: autouse)

pytestmark = pytest.mark.integration



SUPPRESSED = ["ann@example.com", "bo.b@gmail.com", "carl@example.org"]
PROBES = ["Ann@Example.com", "bob@googlemail.com", "carl+x@example.org", "dora@example.net", "eve@example.com",
          "fred@example.com", "gus@example.com", "nope"]


@pytest.fixture
def nightly(engine, settings, landing, clock):
    rows = [(f"L{i}", "2026-10-09T09:00:00Z", a, "N") for i, a in enumerate(SUPPRESSED)]
    land_letters(landing, "2026-10-09", "letters.csv", rows)
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")


def stored(engine) -> dict[int, sa.Row]:
    with engine.connect() as conn:
        return {row.version: row for row in conn.execute(sa.select(list_snapshots))}


def request(engine, settings, clock, address: str, scope: Scope = Scope.MARKETING, action: Action = Action.SUPPRESS) -> None:
    """One accepted request for `address`, published as a new version (no snapshot stored)."""
    key = address.lower()
    record = IntakeRecord("manual", f"test:{uuid.uuid4()}", clock.now(), Outcome.ACCEPTED, "optout", {"address": address},
                          "test", (OptoutRequest(key, key, scope, action),), "entered by the test")
    with write_tx(engine) as conn:
        store_records(conn, settings, [record], None, None, clock.now())
    publish(engine, clock)


def refresh(engine, settings) -> dict[int, sa.Row]:
    snapshots.refresh(engine, settings.hash_key)
    return stored(engine)


def problems(engine, settings) -> list[str]:
    with read_tx(engine) as conn:
        return verify(conn, settings.hash_key).problems


def decoded_answers(decoded: snapshots.Decoded) -> tuple[set[Any], set[Any]]:
    """Every key a decoded snapshot suppresses, with its entry, and its erased rows (layout apart)."""
    keys = decoded.index.keys.to_pylist()
    clear = {(k, decoded.pairs[int(c)], bool(a), int(f))
             for k, c, a, f in zip(keys, decoded.codes, decoded.every, decoded.requested, strict=True)}
    erased = {(h, decoded.pairs[c], a, f) for h, c, a, f in decoded.erased}
    return clear, erased


def assert_same_as_whole(engine, settings, clock, tmp_path: Path) -> None:
    """The stored delta decodes (for both kinds of send) to what a whole snapshot built from the
    table decodes to, and a check on it writes what a check in the database writes, and what
    the small-file check (asking the table about the few keys) writes."""
    with read_tx(engine) as conn:
        version = latest_version(conn)
        assert version is not None
        delta = snapshots.read(conn, version, settings.hash_key)
        assert delta is not None and delta.over is not None and delta.base is not None
        whole = snapshots.build(conn, version, settings.hash_key)
        assert snapshots.content(delta) == snapshots.content(whole)
        for kind in ("marketing", "service"):
            assert decoded_answers(snapshots.decode(delta, kind)) == decoded_answers(snapshots.decode(whole, kind))
    src = recipients_csv(tmp_path / "send.csv", PROBES)
    for kind in ("marketing", "service"):
        outputs = []
        for in_database in (False, True):
            out, removed = tmp_path / f"{kind}{in_database}.csv", tmp_path / f"{kind}{in_database}.removed.csv"
            run_check(engine, settings, clock, src, out, kind=kind, removed=removed, in_database=in_database)
            outputs.append((out.read_text(), removed.read_text()))
        small.SMALL_BYTES = 1 << 16
        out, removed = tmp_path / f"{kind}.small.csv", tmp_path / f"{kind}.small.removed.csv"
        run_check(engine, settings, clock, src, out, kind=kind, removed=removed)
        small.SMALL_BYTES = -1
        outputs.append((out.read_text(), removed.read_text()))
        assert outputs[0] == outputs[1] == outputs[2], kind
    assert problems(engine, settings) == []


@pytest.mark.usefixtures("nightly")
def test_a_small_publish_stores_a_small_delta_and_keeps_the_base(engine, settings, clock, tmp_path, monkeypatch):
    (base,) = stored(engine).values()
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")
    rows = refresh(engine, settings)
    assert sorted(rows) == [base.version, base.version + 1]
    delta = rows[base.version + 1]
    assert delta.base == base.version and delta.size == len(delta.body) and bytes(rows[base.version].body) == bytes(base.body)
    assert b"dora@example.net" in bytes(delta.body) and b"carl@example.org" not in bytes(delta.body)
    monkeypatch.setattr(snapshots, "build", lambda *a: pytest.fail("the check rebuilt a stored snapshot"))
    result = run_check(engine, settings, clock, recipients_csv(tmp_path / "s.csv", PROBES), tmp_path / "s.out.csv")
    assert (result.kept, result.suppressed) == (3, 4)
    monkeypatch.undo()
    assert_same_as_whole(engine, settings, clock, tmp_path)


@pytest.mark.usefixtures("nightly")
def test_the_first_check_after_optout_add_stores_a_delta(engine, settings, clock, tmp_path, monkeypatch):
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")  # no snapshot stored
    monkeypatch.setattr(snapshots, "build", lambda *a: pytest.fail("the check read the whole table"))
    result = run_check(engine, settings, clock, recipients_csv(tmp_path / "s.csv", PROBES), tmp_path / "s.out.csv")
    assert (result.kept, result.suppressed) == (3, 4)
    monkeypatch.undo()
    assert sorted((v, r.base) for v, r in stored(engine).items()) == [(1, None), (2, 1)]
    assert_same_as_whole(engine, settings, clock, tmp_path)


@pytest.mark.usefixtures("nightly")
def test_deltas_are_cumulative_over_adds_lifts_scope_changes_and_re_adds(engine, settings, clock, tmp_path):
    base = min(stored(engine))
    steps = [
        lambda: manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9"),
        lambda: manual.lift(engine, settings, clock, "ann@example.com", "signed re-consent form"),
        lambda: request(engine, settings, clock, "carl@example.org", Scope.ALL),
        lambda: request(engine, settings, clock, "eve@example.com", Scope.ALL),
        lambda: manual.add(engine, settings, clock, "Ann@Example.com", "postal_mail", "L10"),  # the lifted key again
        lambda: manual.lift(engine, settings, clock, "dora@example.net", "signed re-consent form"),
    ]
    for step in steps:
        step()
        rows = refresh(engine, settings)
        with engine.connect() as conn:
            newest = latest_version(conn)
        assert newest is not None and sorted(rows) == [base, newest.version] and rows[newest.version].base == base
        assert_same_as_whole(engine, settings, clock, tmp_path)


@pytest.mark.usefixtures("nightly")
def test_too_many_changes_store_a_whole_snapshot_the_next_base(engine, settings, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(deltas, "DELTA_MIN", 1)  # three entries: a delta may touch one key
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")
    rows = refresh(engine, settings)
    assert [(v, r.base) for v, r in sorted(rows.items())] == [(1, None), (2, 1)]
    manual.add(engine, settings, clock, "eve@example.com", "postal_mail", "L10")  # two keys since version 1
    rows = refresh(engine, settings)
    assert [(v, r.base) for v, r in rows.items()] == [(3, None)]
    manual.add(engine, settings, clock, "fred@example.com", "postal_mail", "L11")
    rows = refresh(engine, settings)
    assert [(v, r.base) for v, r in sorted(rows.items())] == [(3, None), (4, 3)]
    assert_same_as_whole(engine, settings, clock, tmp_path)


@pytest.mark.usefixtures("nightly")
@pytest.mark.parametrize(("damage", "reported"), [
    ("delta body", "version 2: its signature does not match its content"),
    ("delta mac", "version 2: its signature does not match its content"),
    ("base body", "version 1: its signature does not match its content"),
    ("base mac", "version 1: its signature does not match its content"),
    ("base deleted", "version 2: its base, the whole snapshot of version 1, is not stored"),
    ("delta as whole", "version 2: format 3, expected 2"),
])
def test_a_bad_delta_or_base_never_changes_the_answer(engine, settings, clock, tmp_path, caplog, damage, reported):
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")
    rows = refresh(engine, settings)
    target = rows[2] if damage.startswith("delta") else rows[1]
    body = bytearray(target.body)
    with engine.begin() as conn:
        where = list_snapshots.update().where(list_snapshots.c.version == target.version)
        if damage.endswith("body"):
            at = bytes(body).index(b"dora@example.net" if target.version == 2 else b"carl@example.org")
            body[at : at + 4] = b"xxxx"
            conn.execute(where.values(body=bytes(body)))
        elif damage.endswith("mac"):
            conn.execute(where.values(mac="0" * 64))
        elif damage == "base deleted":
            conn.execute(list_snapshots.delete().where(list_snapshots.c.version == 1))
        else:  # a whole snapshot of version 2 put where the base was: the delta names version 1
            conn.execute(list_snapshots.delete().where(list_snapshots.c.version == 1))
            conn.execute(list_snapshots.update().values(base=None))
    assert problems(engine, settings) == [f"list_snapshots {reported}"]
    with caplog.at_level(logging.WARNING, logger="optout.snapshots"):
        result = run_check(engine, settings, clock, recipients_csv(tmp_path / "s.csv", PROBES), tmp_path / "s.out.csv")
    assert (result.kept, result.suppressed) == (3, 4)
    assert "stored snapshot not used" in caplog.text or "no delta over a stored snapshot" in caplog.text
    # The check stored a new delta over a good base, else a whole snapshot.
    again = sorted((v, r.base) for v, r in stored(engine).items())
    assert again == ([(1, None), (2, 1)] if damage in ("delta body", "delta mac") else [(2, None)])
    assert problems(engine, settings) == []


@pytest.mark.usefixtures("nightly")
def test_erasure_deletes_base_and_delta_and_the_next_delta_holds_the_erased_row(engine, settings, clock, tmp_path):
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")
    assert len(refresh(engine, settings)) == 2
    result = erase(engine, settings, clock, "ann@example.com", "GDPR-5")
    assert result.redacted["list_snapshots"] == 2 and stored(engine) == {}
    rows = refresh(engine, settings)
    (whole,) = rows.values()
    assert whole.base is None and b"ann@example.com" not in bytes(whole.body)
    request(engine, settings, clock, "ann@example.com", Scope.ALL)  # the erased person asks again
    manual.add(engine, settings, clock, "eve@example.com", "postal_mail", "L10")
    rows = refresh(engine, settings)
    assert sorted((v, r.base) for v, r in rows.items()) == [(whole.version, None), (whole.version + 2, whole.version)]
    assert_same_as_whole(engine, settings, clock, tmp_path)


@pytest.mark.usefixtures("nightly")
def test_a_signed_delta_that_disagrees_with_the_table_fails_verify(engine, settings, clock):
    """Signed with the store's key but dropping a key the table holds: verify applies it and compares."""
    manual.add(engine, settings, clock, "dora@example.net", "postal_mail", "L9")
    refresh(engine, settings)
    with read_tx(engine) as conn:
        newest = latest_version(conn)
        assert newest is not None
        delta = snapshots.read(conn, newest, settings.hash_key)
    assert delta is not None and delta.over is not None
    forged = snapshots.encode(newest, pa.array([], pa.string()), np.zeros(0, np.int32), np.zeros(0, bool), [], [],
                              settings.hash_key, None, delta.over, deltas.Touched(["ann@example.com"], [], []))
    with engine.begin() as conn:
        conn.execute(list_snapshots.update().where(list_snapshots.c.version == newest.version)
                     .values(body=forged.body, mac=forged.mac))
    assert problems(engine, settings) == [f"list_snapshots version {newest.version}: its entries differ from the suppressions table"]
