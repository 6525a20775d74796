"""Unsubscribe tokens (SPEC §2.7): `<payload>.<signature>`, both base64url without padding.

The payload names the address, so a click needs no lookup; the HMAC makes it unforgeable.
The first key of `OPTOUT_TOKEN_KEYS` signs and every listed key verifies, so a key can be
rotated without invalidating the links in mail already sent. Tokens never expire: an
opt-out is honoured whenever it comes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from pipeline.addresses import InvalidAddress, parse
from pipeline.errors import OptoutError

VERSION = 1
SCOPE = "marketing"


class BadToken(ValueError):
    """The token does not verify; the message says why in one line."""


@dataclass(frozen=True)
class TokenClaims:
    address: str
    campaign: str
    kid: str
    issued_at: int
    scope: str = SCOPE


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    if not text or any(c not in _B64URL for c in text) or len(text) % 4 == 1:
        raise BadToken("not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("not base64url text") from None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _signature(secret: str, payload_b64: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), payload_b64.encode("ascii"), hashlib.sha256).digest()


def mint(keys: tuple[tuple[str, str], ...], address: str, campaign: str, issued_at: datetime) -> str:
    """A token for `address` (validated and normalised) signed with the first key."""
    if not keys:
        raise OptoutError("no token keys configured (OPTOUT_TOKEN_KEYS)")
    try:
        normalized = parse(address).normalized
    except InvalidAddress as exc:
        raise OptoutError(f"not a valid address: {address!r} ({exc.reason})") from None
    kid, secret = keys[0]
    payload = {"v": VERSION, "kid": kid, "e": normalized, "c": campaign, "s": SCOPE, "iat": int(issued_at.timestamp())}
    payload_b64 = b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{payload_b64}.{b64url(_signature(secret, payload_b64))}"


def verify(keys: tuple[tuple[str, str], ...], token: str) -> TokenClaims:
    """The claims of a token that verifies; raises BadToken otherwise."""
    payload_b64, dot, sig_b64 = token.strip().partition(".")
    if not dot or "." in sig_b64:
        raise BadToken("not <payload>.<signature>")
    signature = unb64url(sig_b64)
    payload = _payload(payload_b64)
    kid = payload.get("kid")
    secret = dict(keys).get(kid) if isinstance(kid, str) else None
    if secret is None:
        raise BadToken(f"unknown key id {kid!r}")
    # Constant-time comparison: a timing difference must not reveal how much of a forged
    # signature was right.
    if not hmac.compare_digest(signature, _signature(secret, payload_b64)):
        raise BadToken("signature does not match")
    return _claims(payload)


def _payload(payload_b64: str) -> dict[str, object]:
    try:
        payload = json.loads(unb64url(payload_b64).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadToken("payload is not UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise BadToken("payload is not a JSON object")
    return payload


def _claims(payload: dict[str, object]) -> TokenClaims:
    if payload.get("v") != VERSION:
        raise BadToken(f"unsupported token version {payload.get('v')!r}")
    address, campaign, iat = payload.get("e"), payload.get("c"), payload.get("iat")
    if not isinstance(address, str) or not address:
        raise BadToken("payload names no address")
    if payload.get("s", SCOPE) != SCOPE:
        raise BadToken(f"unsupported scope {payload.get('s')!r}")
    return TokenClaims(
        address=address,
        campaign=campaign if isinstance(campaign, str) else "" if campaign is None else str(campaign),
        kid=str(payload["kid"]),
        issued_at=iat if isinstance(iat, int) else 0,
    )
