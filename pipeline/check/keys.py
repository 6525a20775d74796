"""Vectorised SPEC §4.2 match keys over Arrow string columns, exactly equal to the reference.

The fast path accepts only cells it can prove `email_validator` would accept with the same
normalised key: plain ASCII dot-atom local parts at plain ASCII host names (no Punycode, no
special-use names, within every length limit), optionally surrounded by ASCII whitespace or
written `Display Name <local@domain>`. Every other non-empty cell containing an `@` goes, one
by one, to the reference `pipeline.core.addresses.parse`; cells without an `@` are invalid for the
reference too (it cannot split them), so they are flagged without calling it. The differential
tests (tests/unit/check/test_keys.py) and `make bench` check fast == reference row by row.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import email_validator  # noqa: F401  (loads email_validator.validate_email for the memo)
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.addresses import FAST_DOMAIN, FAST_LOCAL, FAST_MAX_LENGTH, SPECIAL_USE, InvalidAddress, parse, try_parse

# The provable plain-ASCII subset is defined once, in pipeline.core.addresses (FAST_LOCAL,
# FAST_DOMAIN, FAST_MAX_LENGTH, SPECIAL_USE); here it is applied to whole Arrow columns.
_WS = r"[ \t\n\r\x0b\x0c]*"  # ASCII whitespace only: str.strip() removes these (and more)
_ADDRESS = rf"{FAST_LOCAL}@{FAST_DOMAIN}"
# Either the bare address or `anything <address>`: `clean` keeps what follows the last `<`.
FAST_PATTERN = rf"^{_WS}(?:{_ADDRESS}|[^\n]*<{_WS}{_ADDRESS}{_WS}>){_WS}$"
# Longer cells go to the reference: this bounds every label (63) and the address (254).
FAST_MAX_CELL = FAST_MAX_LENGTH

_GMAIL = "@gmail.com"
_GOOGLEMAIL = "@googlemail.com"


@dataclass(frozen=True)
class KeyStats:
    rows: int
    fast: int
    reference: int
    invalid: int


def as_string_array(values: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    """One contiguous `string` Arrow array from an Arrow column, a pandas Series or a list."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string()) if not hasattr(values, "__arrow_array__") \
            else pa.array(values, type=pa.string())
    if values.type == pa.large_string():
        values = values.cast(pa.string())
    if values.type != pa.string():
        raise TypeError(f"match keys need strings, not {values.type}")
    return values


def fast_mask(values: pa.Array) -> pa.Array:
    """True where the fast path may key the cell (before the special-use check on the domain)."""
    short = pc.less_equal(pc.binary_length(values), FAST_MAX_CELL)
    ok = pc.and_(short, pc.match_substring_regex(values, FAST_PATTERN))
    return pc.fill_null(ok, False)


def special_use(bare: pa.Array) -> pa.Array:
    """True where a lower-cased bare address is at a special-use domain (the reference rejects it)."""
    hit = pc.ends_with(bare, "." + SPECIAL_USE[0])
    for name in SPECIAL_USE[1:]:
        hit = pc.or_(hit, pc.ends_with(bare, "." + name))
    return hit


def _bare_addresses(cells: pa.Array) -> pa.Array:
    """Lower-cased `local@domain` from fast cells (whitespace and display names removed)."""
    text = pc.ascii_lower(pc.ascii_trim_whitespace(cells))
    display = pc.ends_with(text, ">")  # FAST_PATTERN: a trimmed cell ends in ">" only in that form
    if pc.any(display).as_py():
        inner = pc.replace_substring_regex(
            pc.filter(text, display), r"^.*<[ \t\n\r\x0b\x0c]*([^ \t\n\r\x0b\x0c>]*)[ \t\n\r\x0b\x0c]*>$", r"\1"
        )
        text = pc.replace_with_mask(text, display, inner)
    return text


def _keys_from_bare(text: pa.Array) -> pa.Array:
    """SPEC §4.2 on ASCII `local@domain` already lower-cased (ASCII case-fold is lower-casing)."""
    plus = _tagged(text)  # a leading "+" is the name, not a tag
    if plus is not None:
        cut = pc.replace_substring_regex(pc.filter(text, plus), r"\+[^@]*@", "@", max_replacements=1)
        text = pc.replace_with_mask(text, plus, cut)
    googlemail = pc.ends_with(text, _GOOGLEMAIL)
    gmail = pc.or_(pc.ends_with(text, _GMAIL), googlemail)
    if pc.any(gmail).as_py():  # googlemail.com is gmail.com; at gmail.com dots do not count
        both = pc.filter(text, gmail)
        local = pc.if_else(
            pc.filter(googlemail, gmail),
            pc.utf8_slice_codeunits(both, 0, -len(_GOOGLEMAIL)),
            pc.utf8_slice_codeunits(both, 0, -len(_GMAIL)),
        )
        keys = pc.binary_join_element_wise(pc.replace_substring(local, ".", ""), _GMAIL, "")
        text = pc.replace_with_mask(text, gmail, keys)
    return text


def _tagged(text: pa.Array) -> pa.Array | None:
    """Rows whose first "+" is not their first character (a leading "+" is the name, not a tag).

    Found from the positions of "+" in the column's bytes (numpy), not a search per row: a few
    rows in a hundred carry a tag, so the positions are few."""
    if not len(text):
        return None
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    hits = np.flatnonzero(data == ord("+")) + offsets[0]
    if not len(hits):
        return None
    rows = np.searchsorted(offsets, hits, side="right") - 1
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]  # hits are in order: a row's first "+" is where the row changes
    rows, hits = rows[first], hits[first]
    rows = rows[hits > offsets[rows]]
    if not len(rows):
        return None
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = True
    return pa.array(mask)


def memoize_domain_validation() -> None:
    """Memoise email_validator's domain check, a pure function of (domain, options).

    It costs a third of a millisecond for an internationalised domain (IDNA, UTS 46, bidi
    rules) and a list repeats its domains, so the reference fallback would spend most of its
    time re-validating the same few. Only results are cached; a raised error is recomputed."""
    module: Any = sys.modules["email_validator.validate_email"]
    if not hasattr(module.validate_email_domain_name, "cache_info"):
        module.validate_email_domain_name = lru_cache(maxsize=65536)(module.validate_email_domain_name)


@lru_cache(maxsize=65536)
def _reference_key(cell: str) -> str | None:
    """The reference key of one cell; a list repeats its odd cells ("", "n/a", a typo)."""
    parsed = try_parse(cell)
    return parsed.key if parsed else None


@lru_cache(maxsize=65536)
def invalid_reason(cell: str | None) -> str:
    """Why the reference rejects a cell, in email_validator's words (for the removed-rows file)."""
    if cell is None:
        return "no address in this row"
    memoize_domain_validation()
    try:
        parse(cell)
    except InvalidAddress as exc:
        return exc.reason
    return "not a valid address"


def _reference_keys(cells: list[str | None]) -> list[str | None]:
    memoize_domain_validation()
    return [None if cell is None else _reference_key(cell) for cell in cells]


def match_keys_with_stats(values: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> tuple[pa.Array, KeyStats]:
    """The match key of every cell (null where the address is invalid) and how each was found."""
    cells = as_string_array(values)
    fast = fast_mask(cells)
    keys = pa.nulls(len(cells), pa.string())
    if pc.any(fast).as_py():
        bare = _bare_addresses(pc.filter(cells, fast))
        special = special_use(bare)
        if pc.any(special).as_py():  # rare: hand those back to the reference
            fast = pc.replace_with_mask(fast, fast, pc.invert(special))
            bare = pc.filter(bare, pc.invert(special))
        keys = pc.replace_with_mask(keys, fast, _keys_from_bare(bare))
    n_fast = pc.sum(fast).as_py() or 0
    others = pc.invert(fast)
    rest = pc.filter(cells, others)
    # Without an "@" the reference cannot split the address: invalid, no need to ask it.
    slow = pc.fill_null(pc.match_substring(rest, "@"), False)
    n_slow = pc.sum(slow).as_py() or 0
    if n_slow:
        slow_keys = pa.array(_reference_keys(pc.filter(rest, slow).to_pylist()), type=pa.string())
        rest_keys = pc.replace_with_mask(pa.nulls(len(rest), pa.string()), slow, slow_keys)
        keys = pc.replace_with_mask(keys, others, rest_keys)
    return keys, KeyStats(len(cells), n_fast, n_slow, keys.null_count)


def match_keys(values: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    """SPEC §4.2 match keys for a column of addresses; null marks an invalid address."""
    return match_keys_with_stats(values)[0]
