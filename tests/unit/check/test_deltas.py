"""A delta applied over its base decodes to exactly what the whole snapshot of the changed list
decodes to: removed keys gone, changed ones replaced, added ones in hash order (spliced or
gathered, with hash collisions or without), erased rows dropped and added."""
from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from pipeline.check import deltas, keyindex, snapshots
from pipeline.ledger.publish import ListVersion

pytestmark = pytest.mark.unit

KEY = "test-hash-key"
PAIRS = [("postal_mail", "2026-10-09T09:00:00+00:00"), ("phone", "2026-10-10T09:00:00+00:00"),
         ("unsubscribe_link", "2026-10-11T09:00:00+00:00")]
V1 = ListVersion(1, datetime(2026, 10, 10, tzinfo=UTC), 0, 0, 0, "1" * 64, 10)
V2 = ListVersion(2, datetime(2026, 10, 11, tzinfo=UTC), 0, 0, 0, "2" * 64, 20)
Entries = dict[str, tuple[tuple[str, str], bool, int]]  # key (or key hash) -> (channels, since), all, first


def encode(version: ListVersion, clear: Entries, erased: Entries, over: ListVersion | None = None,
           removed: deltas.Touched | None = None) -> snapshots.Snapshot:
    pairs = sorted({pair for pair, _, _ in [*clear.values(), *erased.values()]}, reverse=over is not None)
    code = {pair: i for i, pair in enumerate(pairs)}
    keys = list(clear)
    return snapshots.encode(
        version, pa.array(keys, pa.string()), np.array([code[clear[k][0]] for k in keys], np.int32),
        np.array([clear[k][1] for k in keys], bool), pairs,
        [(h, code[pair], every, first) for h, (pair, every, first) in erased.items()], KEY,
        np.array([clear[k][2] for k in keys], np.int64), over, removed,
    )


def answers(snap: snapshots.Snapshot, kind: str) -> tuple[set[Any], set[Any]]:
    d = snapshots.decode(snap, kind)
    hashes = d.index.hashes
    assert (hashes[1:] >= hashes[:-1]).all()  # still in the index's hash order
    clear = {(k, d.pairs[int(c)], bool(a), int(f))
             for k, c, a, f in zip(d.index.keys.to_pylist(), d.codes, d.every, d.requested, strict=True)}
    assert len(clear) == len(d.index)  # no key twice
    return clear, {(h, d.pairs[c], a, f) for h, c, a, f in d.erased}


def entry(rng: random.Random) -> tuple[tuple[str, str], bool, int]:
    return rng.choice(PAIRS), rng.random() < 0.3, rng.choice([-1, 1_700_000_000_000_000])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("path", ["spliced", "gathered", "colliding"])
def test_base_plus_delta_decodes_as_the_whole_snapshot(seed: int, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "gathered":
        monkeypatch.setattr(deltas, "SPLICE_MAX", 0)
    if path == "colliding":  # four hash values in all: every hit must be confirmed on the string
        def coarse(keys: pa.Array) -> np.ndarray:
            return np.array([hash(k) % 4 for k in keys.to_pylist()], dtype=np.uint64) << np.uint64(62)
        monkeypatch.setattr(keyindex, "hash64", coarse)
        monkeypatch.setattr(deltas, "hash64", coarse)
    rng = random.Random(seed)
    base = {f"k{i}@example.com": entry(rng) for i in range(rng.choice([0, 1, 40, 300]))}
    base_erased = {f"{i:064x}": entry(rng) for i in range(rng.choice([0, 3]))}
    touched = rng.sample(sorted(base), min(len(base), rng.choice([0, 1, 7]))) + [f"new{i}@example.org" for i in range(3)]
    after = dict(base)
    for key in touched:  # lifted, changed (scope, channels) or added
        after.pop(key, None)
        if rng.random() < 0.7:
            after[key] = entry(rng)
    erased_touched = sorted(base_erased)[:1] + ["f" * 64]
    after_erased = {h: e for h, e in base_erased.items() if h not in erased_touched} | {"f" * 64: entry(rng)}
    removed = deltas.Touched(sorted(touched), erased_touched, [])
    delta = encode(V2, {k: after[k] for k in touched if k in after}, {"f" * 64: after_erased["f" * 64]}, V1, removed)
    whole_base = encode(V1, base, base_erased)
    applied = snapshots.Snapshot(V2, delta.body, delta.mac, True, over=V1,
                                 base=snapshots.Snapshot(V1, whole_base.body, whole_base.mac, True))
    expected = encode(V2, after, after_erased)
    for kind in ("marketing", "service"):
        assert answers(applied, kind) == answers(expected, kind)
    assert snapshots.content(applied) == snapshots.content(expected)


@pytest.mark.parametrize(("size", "gone", "at", "runs"), [
    (0, [], [], []),
    (3, [], [], [(0, 0, 3)]),
    (3, [1], [], [(0, 0, 1), (0, 2, 3)]),
    (3, [], [0, 0, 3], [(1, 0, 2), (0, 0, 3), (1, 2, 3)]),
    (4, [0, 3], [0, 2], [(1, 0, 1), (0, 1, 2), (1, 1, 2), (0, 2, 3)]),
])
def test_pieces(size: int, gone: list[int], at: list[int], runs: list[tuple[int, int, int]]) -> None:
    assert deltas.pieces(size, np.array(gone, np.int64), np.array(at, np.int64)) == runs


@pytest.mark.parametrize(("touched", "base_entries", "allowed"), [
    (64, 3, True), (65, 3, False), (250_000, 2_000_000, False), (100_000, 2_000_000, True), (20, 2_000_000, True),
    (1_001, 8_000, False), (1_000, 8_000, True),
])
def test_when_a_delta_is_stored(touched: int, base_entries: int, allowed: bool) -> None:
    assert deltas.allowed(touched, base_entries) is allowed


def test_a_delta_is_refused_by_a_whole_snapshot_reader() -> None:
    delta = encode(V2, {}, {}, V1, deltas.Touched([], [], []))
    assert snapshots.problem_of(delta.body, delta.mac, V2, KEY) == "format 3, expected 2"
    assert snapshots.problem_of(delta.body, delta.mac, V2, KEY, V1) is None
    assert snapshots.problem_of(delta.body, delta.mac, V2, KEY, V2) == f"it is a delta over version 1 digest {'1' * 12}…"
