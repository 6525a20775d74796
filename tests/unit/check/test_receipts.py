"""Signed check receipts (pipeline/check/receipts.py): a receipt written before `duplicates` existed
still verifies, and editing any field, the new one included, breaks the signature."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.check.receipts import verify_receipt, write_receipt

pytestmark = pytest.mark.unit

OLD = {"check_id": 1, "campaign": "C1", "kind": "marketing", "rows_in": 2, "kept": 1, "suppressed": 1, "invalid": 0}


@pytest.mark.parametrize(("body", "edit", "valid"), [
    (OLD, None, True),
    ({**OLD, "duplicates": 0}, None, True),
    ({**OLD, "duplicates": 3}, ("duplicates", 0), False),
    (OLD, ("duplicates", 0), False),  # a field added to an old receipt
    (OLD, ("kept", 2), False),
])
def test_receipt_verifies_only_as_written(tmp_path: Path, body: dict[str, object], edit: tuple[str, int] | None, valid: bool) -> None:
    path = tmp_path / "r.json"
    write_receipt(path, body, "key")
    if edit:
        data = json.loads(path.read_text(encoding="utf-8"))
        data[edit[0]] = edit[1]
        path.write_text(json.dumps(data), encoding="utf-8")
    assert verify_receipt(path, "key")[0] is valid
