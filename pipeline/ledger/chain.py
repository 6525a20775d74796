"""Tamper evidence for `optout_events`: each row's hash covers its fields and the previous
row's hash. Addresses enter the chain only as keyed hashes, so erasing the clear text
(GDPR) leaves every link intact while editing any field still breaks it."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

GENESIS = "0" * 64

# The fields a row's hash covers, in order. Clear-text address, match key and evidence are not
# among them: they are checked against address_hash, key_hash and evidence_hash instead.
CHAINED_FIELDS = (
    "id",
    "record_id",
    "channel",
    "address_hash",
    "key_hash",
    "scope",
    "action",
    "requested_at",
    "recorded_at",
    "run_id",
    "evidence_hash",
)


def keyed_hash(secret: str, value: str) -> str:
    """HMAC-SHA256 of a value under the store's hash key: a pseudonym that cannot be reversed
    without the key, used for addresses and match keys in the chain and after erasure."""
    return hmac.new(secret.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_hasher(secret: str) -> Callable[[str], str]:
    """`keyed_hash` under one key, its HMAC state prepared once (a third faster a value): for a
    bulk writer hashing a million values."""
    prepared = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)

    def keyed(value: str) -> str:
        h = prepared.copy()
        h.update(value.encode("utf-8"))
        return h.hexdigest()

    return keyed


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):  # one moment, one text: aware times in UTC, whatever offset they were read in
        return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat(timespec="microseconds")
    return value


# Printable ASCII but the quote and the backslash: JSON writes such a string as it is, between quotes.
_PLAIN = re.compile(r'[ !#-\[\]-~]*')


@lru_cache(maxsize=4096)
def _time_json(value: datetime) -> str:
    return f'"{_canonical(value)}"'  # an ISO time is plain ASCII


def _json(value: Any) -> str:
    """`json.dumps(_canonical(value), ensure_ascii=False)`, without the encoder for the values a
    row holds most (hex hashes, names, ids, times): a batch of a million rows hashes in seconds."""
    kind = type(value)
    if kind is str and _PLAIN.fullmatch(value):
        return f'"{value}"'
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if kind is datetime:
        return _time_json(value)
    return json.dumps(_canonical(value), ensure_ascii=False)


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one event row linked to its predecessor's hash: SHA-256 of the JSON array
    `[prev_hash, *the CHAINED_FIELDS values]` (times as UTC ISO text with microseconds)."""
    body = "[" + ", ".join([_json(prev_hash), *[_json(row[f]) for f in CHAINED_FIELDS]]) + "]"
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def list_digest(entries: list[tuple[str, str]]) -> str:
    """Content digest of a list version: SHA-256 over its sorted `key_hash<TAB>scope` lines."""
    digest = hashlib.sha256()
    for key_hash, scope in sorted(entries):
        digest.update(f"{key_hash}\t{scope}\n".encode("ascii"))
    return digest.hexdigest()
