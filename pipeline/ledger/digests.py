"""A list version's content digest, in two schemes (`list_versions.digest_scheme`).

Scheme 1, the first: SHA-256 over the sorted `key_hash<TAB>scope` lines. Computing it needs
every entry, so publishing 20 opt-outs on a list of two million reads and sorts two million.

Scheme 2, every version published since: each entry has a term, SHAKE-256 of its
`key_hash<TAB>scope` line stretched to 4,096 bits; the version keeps the sum of its entries'
terms modulo 2**4096 (`digest_sum`) and its digest is the SHA-256 of that sum. The sum of a
set does not depend on order, and the next version is the previous sum, less the terms of the
entries that changed or left, plus the terms of their new state: publishing costs what changed.
Terms are this wide because a sum of hashes is only as strong as its width: forging another set
with the same sum by the generalised birthday attack costs about 2**(2*sqrt(4096)) = 2**128
hash evaluations. `optout verify` recomputes every version's sum from the events.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from pipeline.core.errors import OptoutError
from pipeline.ledger.chain import list_digest as sorted_digest

SORTED = 1
SUMMED = 2
SUM_BYTES = 512
_MASK = (1 << (8 * SUM_BYTES)) - 1
_PREFIX = b"optout list digest 2\n"


def term(key_hash: str, scope: str) -> int:
    """One entry's share of the sum."""
    return int.from_bytes(hashlib.shake_256(f"{key_hash}\t{scope}".encode("ascii")).digest(SUM_BYTES), "little")


def sum_of(entries: Iterable[tuple[str, str]]) -> int:
    return sum(term(k, s) for k, s in entries) & _MASK


def updated(total: int, gone: Iterable[tuple[str, str]], came: Iterable[tuple[str, str]]) -> int:
    """`total` less the terms of the entries that left (or changed from), plus those that came."""
    return (total - sum_of(gone) + sum_of(came)) & _MASK


Entries = list[tuple[str, str]]


def changes(before: Mapping[str, str], after: Mapping[str, str | None]) -> tuple[Entries, Entries]:
    """The entries a change takes out of the sum and puts in: `before` the listed scope of some
    keys (a key absent: not listed), `after` their scope now (None: not listed)."""
    gone = [(k, before[k]) for k, scope in after.items() if k in before and scope != before[k]]
    came = [(k, scope) for k, scope in after.items() if scope is not None and before.get(k) != scope]
    return gone, came


def as_bytes(total: int) -> bytes:
    return total.to_bytes(SUM_BYTES, "little")


def from_bytes(stored: bytes | memoryview) -> int:
    return int.from_bytes(bytes(stored), "little")


def digest_of_sum(total: int) -> str:
    return hashlib.sha256(_PREFIX + as_bytes(total)).hexdigest()


def digest(entries: list[tuple[str, str]], scheme: int) -> str:
    """The digest of a whole list in `scheme` (what `optout verify` compares with)."""
    if scheme == SORTED:
        return sorted_digest(entries)
    if scheme == SUMMED:
        return digest_of_sum(sum_of(entries))
    raise OptoutError(f"unknown list digest scheme {scheme!r}: the store was written by a newer optout, or edited")
