"""Unsubscribe tokens (SPEC §2.7): format, verification, rotation, tampering."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from pipeline.config import parse_token_keys
from pipeline.errors import OptoutError
from pipeline.tokens import BadToken, b64url, mint, verify

pytestmark = pytest.mark.unit

AT = datetime(2026, 10, 9, 12, 0, tzinfo=UTC)
NEW = parse_token_keys("k2:new-secret,k1:old-secret")
OLD_ONLY = parse_token_keys("k1:old-secret")


def _pad(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_format_is_exactly_spec() -> None:
    token = mint(NEW, "Alice@Example.COM", "oct-news", AT)
    payload_b64, sig_b64 = token.split(".")
    assert "=" not in token and "+" not in token and "/" not in token
    assert json.loads(_pad(payload_b64)) == {
        "v": 1,
        "kid": "k2",
        "e": "Alice@example.com",
        "c": "oct-news",
        "s": "marketing",
        "iat": int(AT.timestamp()),
    }
    expected = hmac.new(b"new-secret", payload_b64.encode(), hashlib.sha256).digest()
    assert _pad(sig_b64) == expected


def test_round_trip_and_rotation() -> None:
    old_token = mint(OLD_ONLY, "bob@example.com", "c0", AT)
    assert verify(NEW, old_token).address == "bob@example.com"  # rotated out of signing, still listed
    assert verify(NEW, mint(NEW, "bob@example.com", "c1", AT)).kid == "k2"
    with pytest.raises(BadToken, match="unknown key id"):
        verify(parse_token_keys("k3:other"), old_token)  # a key no longer listed


def _forged_payload(token: str) -> str:
    payload = json.loads(_pad(token.split(".")[0]))
    payload["e"] = "mallory@example.com"
    return b64url(json.dumps(payload).encode()) + "." + token.split(".")[1]


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        (lambda t: t[:-3], "signature does not match"),  # truncated signature
        (lambda t: t.split(".")[0] + "." + t.split(".")[1][::-1], "signature does not match"),
        (_forged_payload, "signature does not match"),
        (lambda t: t.split(".")[0], "not <payload>.<signature>"),
        (lambda t: t + ".x", "not <payload>.<signature>"),
        (lambda t: "!!!." + t.split(".")[1], "not base64url"),
        (lambda t: b64url(b"[1,2]") + "." + t.split(".")[1], "not a JSON object"),
        (lambda t: b64url(json.dumps({"v": 1, "kid": "nope", "e": "a@b.com"}).encode()) + "." + t.split(".")[1], "unknown key id"),
        (lambda t: "", "not <payload>.<signature>"),
    ],
)
def test_tampered_tokens_fail(tamper, why: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadToken, match=why):
        verify(NEW, tamper(mint(NEW, "alice@example.com", "c", AT)))


def test_mint_refuses_bad_input() -> None:
    with pytest.raises(OptoutError, match="not a valid address"):
        mint(NEW, "not-an-address", "c", AT)
    with pytest.raises(OptoutError, match="no token keys"):
        mint((), "alice@example.com", "c", AT)
