"""The per-row reference answers for one cell, in plain Python (no numpy, no Arrow): its match
key (`pipeline.core.addresses.try_parse`, what the vectorised keys in `pipeline.check.keys` are
tested equal to) and, for the removed-rows file, why it is not an address. Shared by the
vectorised path (for the cells it hands to the reference) and the small-file path."""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from pipeline.core.addresses import InvalidAddress, parse, try_parse


def memoize_domain_validation() -> None:
    """Memoise email_validator's domain check, a pure function of (domain, options).

    It costs a third of a millisecond for an internationalised domain (IDNA, UTS 46, bidi
    rules) and a list repeats its domains, so the reference fallback would spend most of its
    time re-validating the same few. Only results are cached; a raised error is recomputed."""
    module: Any = importlib.import_module("email_validator.validate_email")
    if not hasattr(module.validate_email_domain_name, "cache_info"):
        module.validate_email_domain_name = lru_cache(maxsize=65536)(module.validate_email_domain_name)


@lru_cache(maxsize=65536)
def reference_key(cell: str) -> str | None:
    """The reference key of one cell; a list repeats its odd cells ("", "n/a", a typo). A plain
    ASCII cell is keyed without email_validator (`pipeline.core.addresses.fast_parse`), so it is
    loaded, and its domain check memoised, only for a cell that needs it."""
    if not cell.isascii():
        memoize_domain_validation()
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
