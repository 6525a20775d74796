"""Exact set membership for millions of match keys, built once per check and probed per block.

Arrow's `is_in` rebuilds its hash table on every call (about a second for two million keys on
the benchmark machine), which is too slow to repeat for every block of a ten-million-row list.
Here the suppressed keys are hashed to 64 bits once, sorted and bucketed by their top bits;
a probe hashes a block of keys with a few vectorised numpy operations, looks in the bucket and
then compares the actual strings, so a hash collision can never suppress the wrong recipient
nor hide a suppressed one (every entry of the bucket is tried).
"""
from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WIDTH = 48  # keys up to this many bytes are hashed vectorised; longer ones (rare) one by one
_PAD = pa.scalar(b"\0" * WIDTH, pa.binary())
_EMPTY = pa.scalar(b"", pa.binary())
_MUL = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53], dtype=np.uint64,
)


def _long_hash(key: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def hash64(keys: pa.Array) -> np.ndarray:
    """A 64-bit hash of each (non-null) string; equal strings always get equal hashes."""
    data = pc.fill_null(keys, "").cast(pa.binary())
    fixed = pc.binary_slice(pc.binary_join_element_wise(data, _PAD, _EMPTY), 0, WIDTH)
    words = np.frombuffer(fixed.buffers()[2], dtype=np.uint64, count=len(fixed) * WIDTH // 8)
    words = words.reshape(len(fixed), WIDTH // 8)
    with np.errstate(over="ignore"):
        h = words[:, 0] * _MUL[0]
        for j in range(1, WIDTH // 8):
            h = (h ^ (words[:, j] * _MUL[j]))
            h = (h << np.uint64(27)) | (h >> np.uint64(37))
        h ^= pc.binary_length(data).to_numpy(zero_copy_only=False).astype(np.uint64) * _MUL[5]
        h ^= h >> np.uint64(33)
        h *= _MUL[4]
        h ^= h >> np.uint64(29)
    long_rows = np.flatnonzero(pc.binary_length(data).to_numpy(zero_copy_only=False) > WIDTH)
    if len(long_rows):
        long_keys = data.take(pa.array(long_rows)).to_pylist()
        h[long_rows] = np.array([_long_hash(k) for k in long_keys], dtype=np.uint64)
    return h


class KeyIndex:
    """The suppressed keys, sorted by hash: `find` gives each probe's position or -1."""

    def __init__(self, keys: pa.Array) -> None:
        keys = keys.cast(pa.string()) if keys.type != pa.string() else keys
        hashes = hash64(keys)
        order = np.argsort(hashes, kind="stable")
        self._set(hashes[order], keys.take(pa.array(order)), order)

    @classmethod
    def presorted(cls, hashes: np.ndarray, keys: pa.Array) -> KeyIndex:
        """An index over keys already in `hash64` order (as a list snapshot stores them):
        positions returned by `find` are positions in `keys`."""
        index = cls.__new__(cls)
        index._set(hashes, keys, None)
        return index

    def _set(self, hashes: np.ndarray, keys: pa.Array, order: np.ndarray | None) -> None:
        self.order = order  # position in the sorted index -> position in the keys given (None: the same)
        self.hashes = hashes
        self.keys = keys
        self.bits = max(1, int(np.ceil(np.log2(max(len(keys), 2)))))
        # Bucket b holds the sorted hashes whose top bits are b: it starts after all the hashes of
        # the buckets before it (a count per bucket, not a search per bucket).
        counts = np.bincount((hashes >> np.uint64(64 - self.bits)).astype(np.int64), minlength=2**self.bits)
        self.bounds = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self.widest = int(np.diff(self.bounds).max()) if len(keys) else 0

    def __len__(self) -> int:
        return len(self.hashes)

    def find(self, probes: pa.Array, hashes: np.ndarray | None = None) -> np.ndarray:
        """For each probe key, the position of the equal key in the keys given, else -1 (nulls: -1).
        `hashes`: the probes' `hash64`, when the caller has it already.

        First by hashes alone: each probe walks its bucket to the first entry with its hash (hashes
        ascend within a bucket, so a walk stops at the first larger one). Then every such pair's
        strings are compared at once; where they differ (a hash shared by different keys), the
        bucket's next entries with that hash are compared one by one."""
        found = np.full(len(probes), -1, dtype=np.int64)
        if not len(self.hashes) or not len(probes):
            return found
        every = hash64(probes) if hashes is None else hashes
        bucket = (every >> np.uint64(64 - self.bits)).astype(np.int64)
        lo, hi = self.bounds[bucket], self.bounds[bucket + 1]
        valid = probes.is_valid().to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(valid & (hi > lo))
        at, end, h = lo[rows], hi[rows], every[rows]
        pairs: list[tuple[np.ndarray, np.ndarray]] = []
        while len(rows):  # most buckets hold zero, one or two keys
            seen = self.hashes[at]
            hit = seen == h
            pairs.append((rows[hit], at[hit]))
            at = at + 1
            more = (seen < h) & (at < end)
            rows, at, end, h = rows[more], at[more], end[more], h[more]
        if not pairs:
            return found
        rows = np.concatenate([r for r, _ in pairs])
        at = np.concatenate([a for _, a in pairs])
        same = pc.equal(probes.take(pa.array(rows)), self.keys.take(pa.array(at))).to_numpy(zero_copy_only=False)
        found[rows[same]] = at[same]
        for row, first in zip(rows[~same].tolist(), at[~same].tolist(), strict=True):
            found[row] = self._among_equal_hashes(probes[row].as_py(), first + 1, every[row])
        if self.order is not None:
            known = found >= 0
            found[known] = self.order[found[known]]
        return found

    def _among_equal_hashes(self, key: str, at: int, h: np.uint64) -> int:
        """The position of `key` among the entries from `at` on that share its hash, else -1."""
        while at < len(self.hashes) and self.hashes[at] == h:
            if self.keys[at].as_py() == key:
                return at
            at += 1
        return -1
