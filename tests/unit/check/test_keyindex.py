"""KeyIndex: exact membership (never a false hit, never a miss), long keys and nulls included."""
from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from pipeline.check import keyindex
from pipeline.check.keyindex import KeyIndex

pytestmark = pytest.mark.unit


def expected(keys: list[str], probes: list[str | None]) -> list[int]:
    position = {k: i for i, k in enumerate(keys)}
    return [position.get(p, -1) if p is not None else -1 for p in probes]


def test_find_equals_a_dict() -> None:
    rng = random.Random(3)
    keys = sorted({f"user{rng.randrange(10**6)}@example{rng.randrange(50)}.com" for _ in range(20_000)})
    keys += ["x" * 200 + "@long.example", "ü@ëxample.nl"]
    probes = [rng.choice(keys) if rng.random() < 0.3 else f"other{i}@x.com" for i in range(30_000)]
    probes += [None, "", "x" * 199 + "@long.example"]
    found = KeyIndex(pa.array(keys, pa.string())).find(pa.array(probes, pa.string()))
    assert found.tolist() == expected(keys, probes)


def test_hash_collisions_are_resolved_by_comparing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every key hashes alike: the index must still find exactly the right one.
    monkeypatch.setattr(keyindex, "hash64", lambda keys: np.zeros(len(keys), dtype=np.uint64))
    keys = ["a@x.com", "b@x.com", "c@x.com"]
    found = KeyIndex(pa.array(keys)).find(pa.array(["c@x.com", "d@x.com", "a@x.com", None]))
    assert found.tolist() == [2, -1, 0, -1]


def test_empty_index() -> None:
    assert KeyIndex(pa.array([], pa.string())).find(pa.array(["a@x.com"])).tolist() == [-1]


def test_few_distinct_hashes_give_the_answer_of_a_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many different keys per hash and several hashes per bucket: every probe walks its bucket,
    stops at a larger hash, and a hash shared by different keys is settled by the strings."""
    def weak(keys: pa.Array) -> np.ndarray:  # 7 hashes, spread over the top bits (so over buckets)
        lengths = np.array([len(k) if k is not None else 0 for k in keys.to_pylist()], dtype=np.uint64)
        return (lengths % np.uint64(7)) * np.uint64(0x2000_0000_0000_0000)

    monkeypatch.setattr(keyindex, "hash64", weak)
    rng = random.Random(5)
    keys = list({f"{'a' * rng.randrange(1, 12)}{rng.randrange(999)}@x.com" for _ in range(400)})
    rng.shuffle(keys)  # not in hash order: positions come back through the index's order
    probes = [rng.choice(keys) if rng.random() < 0.5 else f"{'b' * rng.randrange(1, 12)}@x.com" for _ in range(2_000)]
    probes += [None, ""]
    assert KeyIndex(pa.array(keys)).find(pa.array(probes, pa.string())).tolist() == expected(keys, probes)
