"""Signed check receipts (pipeline/check/receipts.py): a receipt verifies only as written (its
layout may change, not a value), a receipt written before `duplicates` existed still verifies,
and unreadable receipts are bad input."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.check.receipts import verify_receipt, write_receipt
from pipeline.core.errors import OptoutError

pytestmark = pytest.mark.unit

OLD = {"check_id": 1, "campaign": "C1", "kind": "marketing", "rows_in": 2, "kept": 1, "suppressed": 1, "invalid": 0}
NEW = {**OLD, "duplicates": 0, "input": "in.csv", "input_sha256": "ab" * 32, "list_version": 7}


def edited(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.update(changes)


def dropped(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(name)


def signed(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda data: change(data["signature"])


@pytest.mark.parametrize(("body", "tamper", "valid"), [
    (OLD, None, True),
    (NEW, None, True),
    ({**OLD, "duplicates": 3}, edited(duplicates=0), False),
    (OLD, edited(duplicates=0), False),  # a field added to an old receipt
    (OLD, edited(kept=2), False),
    (OLD, edited(kept="1"), False),  # the same number as text
    (OLD, edited(kept=1.0), False),  # 1.0 is written as 1.0, not as 1
    (NEW, edited(campaign="C2"), False),
    (NEW, edited(campaign=None), False),
    (NEW, edited(input_sha256="AB" * 32), False),  # case counts
    (NEW, edited(input="in.csv "), False),
    (NEW, dropped("list_version"), False),
    (NEW, edited(extra="x"), False),
    (NEW, signed(edited(value="0" * 64)), False),
    (NEW, signed(dropped("value")), False),
    (NEW, dropped("signature"), False),
    (NEW, edited(signature="abc"), False),  # not an object
])
def test_receipt_verifies_only_as_written(tmp_path: Path, body: dict[str, Any],
                                          tamper: Callable[[dict[str, Any]], None] | None, valid: bool) -> None:
    path = tmp_path / "r.json"
    write_receipt(path, body, "key")
    if tamper:
        data = json.loads(path.read_text(encoding="utf-8"))
        tamper(data)
        path.write_text(json.dumps(data), encoding="utf-8")
    ok, read = verify_receipt(path, "key")
    assert ok is valid
    if valid:
        assert read == json.loads(json.dumps(body))


@pytest.mark.parametrize("layout", [
    lambda data: json.dumps(data),  # one line
    lambda data: json.dumps(dict(reversed(list(data.items()))), indent=4),  # fields in another order
    lambda data: json.dumps(data, ensure_ascii=True),  # non-ASCII escaped
])
def test_layout_is_not_content(tmp_path: Path, layout: Callable[[dict[str, Any]], str]) -> None:
    path = tmp_path / "r.json"
    write_receipt(path, {**NEW, "campaign": "Zoë's €5 offer"}, "key")
    path.write_text(layout(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    assert verify_receipt(path, "key")[0] is True


def test_another_key_does_not_verify(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_receipt(path, NEW, "key")
    assert verify_receipt(path, "key")[0] is True
    assert verify_receipt(path, "other key")[0] is False


@pytest.mark.parametrize(("content", "outcome"), [
    (b"", "not a readable receipt"),
    (b"{\"check_id\": 1", "not a readable receipt"),
    (b"\xff\xfe{}", "not a readable receipt"),  # not UTF-8
    (b"[1, 2]", False),  # JSON, not a receipt
    (b"\"text\"", False),
    (b"{}", False),
])
def test_unreadable_or_shapeless_receipts(tmp_path: Path, content: bytes, outcome: str | bool) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(content)
    if isinstance(outcome, str):
        with pytest.raises(OptoutError, match=outcome):
            verify_receipt(path, "key")
    else:
        assert verify_receipt(path, "key") == (False, {})


def test_a_missing_receipt_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(OptoutError, match="not a readable receipt"):
        verify_receipt(tmp_path / "none.json", "key")
