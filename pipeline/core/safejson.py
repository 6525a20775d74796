"""JSON from outside (a click line, a token payload, a request body, a webhook) parsed with
limits, so one hostile value becomes a clear error instead of a crash or a stalled reader.

The limits: the text's size, the nesting depth, the length of any number, and no NaN or
Infinity (not JSON, and meaningless as an id or a time). Python's own parser would recurse
until it fails on deep nesting and spend quadratic time on a huge integer."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 1 << 20  # one record or body: 1 MiB
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40  # enough for any real id, time or amount


class UnsafeJSON(ValueError):
    """The text is not JSON we accept; the message says why in one line."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_number_chars: int = MAX_NUMBER_CHARS


DEFAULT = Limits()


def loads(text: str | bytes, limits: Limits = DEFAULT) -> Any:
    """Parse `text` as JSON within `limits`; raises UnsafeJSON with a one-line reason."""
    if isinstance(text, bytes):
        if len(text) > limits.max_bytes:
            raise UnsafeJSON(f"too large ({len(text)} bytes, limit {limits.max_bytes})")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeJSON(f"not UTF-8 (byte {exc.start})") from None
    if len(text) > limits.max_bytes:
        raise UnsafeJSON(f"too large ({len(text)} characters, limit {limits.max_bytes})")
    text = text.removeprefix("\ufeff")
    depth = nesting_depth(text, limits.max_depth)
    if depth > limits.max_depth:
        raise UnsafeJSON(f"nested {depth} levels deep (limit {limits.max_depth})")
    try:
        return json.loads(
            text,
            parse_int=lambda s: _number(s, int, limits),
            parse_float=lambda s: _number(s, float, limits),
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        raise UnsafeJSON(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # defence in depth: nesting_depth already bounds this
        raise UnsafeJSON("nested too deep") from None


def nesting_depth(text: str, ceiling: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings not counted (or,
    when that cannot exceed `ceiling`, the bracket count: an upper bound)."""
    opening = text.count("[") + text.count("{")
    if opening <= ceiling:
        return opening
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _number(s: str, kind: type, limits: Limits) -> Any:
    if len(s) > limits.max_number_chars:
        raise UnsafeJSON(f"a number of {len(s)} characters (limit {limits.max_number_chars})")
    value = kind(s)
    if kind is float and not math.isfinite(value):
        raise UnsafeJSON(f"{s} overflows a number")
    return value


def _constant(name: str) -> Any:
    raise UnsafeJSON(f"{name} is not a JSON value")
