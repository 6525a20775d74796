"""Vectorised SPEC §4.2 match keys over Arrow string columns, exactly equal to the reference.

The fast path accepts only cells it can prove `email_validator` would accept with the same
normalised key: plain ASCII dot-atom local parts at plain ASCII host names (no Punycode, no
special-use names, within every length limit), optionally surrounded by ASCII whitespace or
written `Display Name <local@domain>`.

The internationalised path takes bare `local@domain` cells whose local part is a dot-atom of
ASCII atext and "inert" Unicode letters and digits (see `pipeline.check.inert`) and whose domain holds
no character that could change how the reference cleans or splits the cell. Each distinct domain
is validated once by email_validator's own domain routine; the local part needs no validator call
(its rules accept every such local part unchanged) and its case-fold is Arrow's `utf8_lower`,
which equals `str.casefold` on exactly those characters.

Every other non-empty cell containing an `@` goes, one by one, to the reference
`pipeline.core.addresses.parse`; cells without an `@` are invalid for the reference too (it cannot
split them), so they are flagged without calling it. The differential tests
(tests/unit/check/test_keys.py) and `make bench` check fast == reference row by row.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import email_validator  # noqa: F401  (loads email_validator.validate_email for the memo)
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.check.inert import code_point_ranges, inert_ranges
from pipeline.check.rowkeys import invalid_reason, memoize_domain_validation, reference_key
from pipeline.core.addresses import (
    DOMAIN_ALIASES,
    FAST_DOMAIN,
    FAST_LOCAL,
    FAST_MAX_LENGTH,
    SPECIAL_USE,
)

__all__ = ["KeyStats", "as_string_array", "invalid_reason", "match_keys", "match_keys_with_stats",
           "memoize_domain_validation"]

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
    international: int = 0  # keyed by the internationalised path (distinct domains validated once)


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


# --- The internationalised path -------------------------------------------------------------
# Characters the reference strips (str.strip) or splits at (email_validator's split_email, and
# `clean`); none may appear in a domain the internationalised path takes. Every character for
# which str.isspace() holds is below U+3001 (tests/unit/check/test_keys.py checks the whole range).
_SPLITTERS = '@<>"[]\\'
_EMAIL_MAX_BYTES = 254  # email_validator's EMAIL_MAX_LENGTH, in UTF-8 bytes
_ATEXT_CLASS = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"



def _class_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """An RE2 character-class body matching exactly these ranges of code points."""
    return "".join(rf"\x{{{low:X}}}" if low == high else rf"\x{{{low:X}}}-\x{{{high:X}}}" for low, high in ranges)


@lru_cache(maxsize=1)
def international_pattern() -> str:
    """RE2 pattern of a cell the internationalised path takes: groups `local` and `domain`."""
    atom = f"[{_ATEXT_CLASS}{_class_ranges(inert_ranges())}]+"
    stripped = {ord(c) for c in map(chr, range(0x3001)) if c.isspace()}
    banned = _class_ranges(code_point_ranges(stripped | set(map(ord, _SPLITTERS)) | set(range(0x21)) | {0x7F}))
    domain = rf"[^{banned}\p{{Cc}}\p{{Z}}]+"
    return rf"^{_WS}(?P<local>{atom}(?:\.{atom})*)@(?P<domain>{domain}){_WS}$"


def email_domain_validator() -> Callable[..., Any]:
    """email_validator's own domain routine, as `validate_email` calls it (memoised)."""
    memoize_domain_validation()
    return sys.modules["email_validator.validate_email"].validate_email_domain_name  # type: ignore[no-any-return]


def _domain_keys(domains: pa.Array) -> tuple[list[str | None], np.ndarray]:
    """Per distinct domain: its key form (None where the reference rejects it) and the longest of
    its forms in UTF-8 bytes (as written, normalised, IDNA ASCII) for the address length check."""
    validate = email_domain_validator()
    options = {"test_environment": email_validator.TEST_ENVIRONMENT,
               "globally_deliverable": email_validator.GLOBALLY_DELIVERABLE}
    keys: list[str | None] = []
    longest = np.zeros(len(domains), dtype=np.int64)
    for i, domain in enumerate(domains.to_pylist()):
        try:
            info = validate(domain, **options)
        except email_validator.EmailSyntaxError:
            keys.append(None)
            continue
        ascii_domain = info["ascii_domain"].lower()
        keys.append(DOMAIN_ALIASES.get(ascii_domain, ascii_domain))
        longest[i] = max(len(domain.encode()), len(info["domain"].encode()), len(info["ascii_domain"]))
    return keys, longest


def _international_keys(cells: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Keys of the cells the internationalised path takes, and which cells those are.

    A taken cell's local part passes email_validator unchanged (see `pipeline.check.inert`), so the
    reference's answer rests on the domain (validated here once per distinct domain: a rejected
    domain makes the cell invalid, null) and on the address length (a cell over it is not taken
    and goes to the reference)."""
    taken = pc.fill_null(pc.match_substring_regex(cells, international_pattern()), False)
    keys = pa.nulls(len(cells), pa.string())
    if not pc.any(taken).as_py():
        return keys, taken
    parts = pc.extract_regex(pc.filter(cells, taken), international_pattern())
    local, domain = parts.field("local"), parts.field("domain")
    encoded = pc.dictionary_encode(domain)
    domain_keys, longest = _domain_keys(encoded.dictionary)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    fits = pc.binary_length(local).to_numpy(zero_copy_only=False) + 1 + longest[indices] <= _EMAIL_MAX_BYTES
    row_domain = pc.take(pa.array(domain_keys, pa.string()), encoded.indices)
    good = pc.fill_null(pc.is_valid(row_domain), False)
    good_np = good.to_numpy(zero_copy_only=False) & fits
    bare = pc.binary_join_element_wise(pc.utf8_lower(local), row_domain, "@")
    found = _keys_from_bare(pc.filter(bare, pa.array(good_np)))
    inner = pc.replace_with_mask(pa.nulls(len(local), pa.string()), pa.array(good_np), found)
    taken = pc.replace_with_mask(taken, taken, pa.array(fits))  # too long: the reference decides
    keys = pc.replace_with_mask(keys, taken, pc.filter(inner, pa.array(fits)))
    return keys, taken


def _reference_keys(cells: list[str | None]) -> list[str | None]:
    memoize_domain_validation()
    return [None if cell is None else reference_key(cell) for cell in cells]


def match_keys_with_stats(
    values: pa.Array | pa.ChunkedArray | Iterable[str | None], *, international: bool = True
) -> tuple[pa.Array, KeyStats]:
    """The match key of every cell (null where the address is invalid) and how each was found.

    `international=False` sends every cell off the ASCII fast path to the reference (the
    benchmark's "before"; the answer is the same)."""
    cells = as_string_array(values)
    fast = fast_mask(cells)
    keys = pa.nulls(len(cells), pa.string())
    if pc.any(fast).as_py():
        # Every cell goes through the fast path's functions (each row's result is its own, and
        # filtering out the few other rows first would copy every string): the keys are kept
        # only where the cell is fast, by a validity mask that shares the keys' buffers.
        bare = _bare_addresses(cells)
        special = pc.and_(fast, pc.fill_null(special_use(bare), False))  # a null cell is not fast, nor special
        if pc.any(special).as_py():  # rare: hand those back to the reference
            fast = pc.and_not(fast, special)
        keys = pc.if_else(fast, _keys_from_bare(bare), _NO_KEY)
    n_fast = pc.sum(fast).as_py() or 0
    others = pc.invert(fast)
    rest = pc.filter(cells, others)
    # Without an "@" the reference cannot split the address: invalid, no need to ask it.
    slow = pc.fill_null(pc.match_substring(rest, "@"), False)
    rest_keys = pa.nulls(len(rest), pa.string())
    n_international = 0
    if international and pc.any(slow).as_py():
        found, taken = _international_keys(pc.filter(rest, slow))
        n_international = pc.sum(taken).as_py() or 0
        if n_international:
            rest_keys = pc.replace_with_mask(rest_keys, slow, found)
            slow = pc.replace_with_mask(slow, slow, pc.invert(taken))
    n_slow = pc.sum(slow).as_py() or 0
    if n_slow:
        slow_keys = pa.array(_reference_keys(pc.filter(rest, slow).to_pylist()), type=pa.string())
        rest_keys = pc.replace_with_mask(rest_keys, slow, slow_keys)
    if rest_keys.null_count < len(rest_keys):
        keys = _placed(keys, others, rest_keys)
    return keys, KeyStats(len(cells), n_fast, n_slow, keys.null_count, n_international)


_NO_KEY = pa.scalar(None, pa.string())


def _placed(column: pa.Array, rows: pa.Array, values: pa.Array) -> pa.Array:
    """`column` with the rows where `rows` (booleans, no nulls) is true replaced, in order, by
    `values` (one per such row): `replace_with_mask` as one take over both, which on a long
    string column costs a fraction of Arrow's own."""
    n = len(column)
    index = np.arange(n, dtype=np.int64)
    index[rows.to_numpy(zero_copy_only=False)] = n + np.arange(len(values), dtype=np.int64)
    return pa.concat_arrays([column, values]).take(pa.array(index))


def match_keys(values: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    """SPEC §4.2 match keys for a column of addresses; null marks an invalid address."""
    return match_keys_with_stats(values)[0]
