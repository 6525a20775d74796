"""Limited JSON parsing: every hostile value is a one-line UnsafeJSON, never a crash."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core import safejson
from pipeline.intake.timestamps import parse_time

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 3000, "nested 3000 levels deep"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested 40 levels deep"),
        ("1" * 5000, "a number of 5000 characters"),
        ('{"n": -' + "9" * 41 + "}", "a number of 42 characters"),
        ("NaN", "NaN is not a JSON value"),
        ('{"x": -Infinity}', "-Infinity is not a JSON value"),
        ('{"x": 1e999}', "1e999 overflows a number"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("x" * (safejson.MAX_BYTES + 1), "too large"),
        ('{"a": 1', "not JSON"),
    ],
)
def test_hostile_json_is_refused_with_a_reason(text: str | bytes, reason: str) -> None:
    with pytest.raises(safejson.UnsafeJSON, match=reason.replace("[", r"\[")):
        safejson.loads(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": [1, 2.5, "x"]}', {"a": [1, 2.5, "x"]}),
        ('"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["', "[" * 41),  # brackets in a string are text
        ("\ufeff" + '{"bom": true}', {"bom": True}),
        (b'\xef\xbb\xbf{"bom": true}', {"bom": True}),
        ("null", None),
        ('{"a":' * 32 + "1" + "}" * 32, json.loads('{"a":' * 32 + "1" + "}" * 32)),
    ],
)
def test_ordinary_json_parses(text: str | bytes, value: object) -> None:
    assert safejson.loads(text) == value


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused(text: str) -> None:
    try:
        safejson.loads(text)
    except safejson.UnsafeJSON as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize(
    "text",
    ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00+14:00", "0000-00-00"],
)
def test_out_of_range_times_read_as_unreadable(text: str) -> None:
    assert parse_time(text) is None
