"""Signed receipts of send checks: any edit to a receipt makes its signature fail."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from pipeline.core.errors import OptoutError


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, as the landing zone records its files' (`pipeline.intake.landing`)."""
    from pipeline.intake.landing import sha256_of  # here, not at import: 3 ms of the landing zone a small check never needs

    return sha256_of(path)


def _signature(body: dict[str, Any], key: str) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def write_receipt(path: Path, body: dict[str, Any], key: str) -> None:
    signed = {**body, "signature": {"alg": "HMAC-SHA256", "value": _signature(body, key)}}
    path.write_text(json.dumps(signed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def verify_receipt(path: Path, key: str) -> tuple[bool, dict[str, Any]]:
    """(valid, body) for the receipt at `path`; unreadable input is a usage error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OptoutError(f"{path}: not a readable receipt ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("signature"), dict):
        return False, {}
    signature = data.pop("signature")
    expected = _signature(data, key)
    return hmac.compare_digest(str(signature.get("value", "")), expected), data
