"""Unsubscribe tokens (SPEC §2.7): `<payload>.<signature>`, both base64url without padding.

The payload names the address, so a click needs no lookup; the HMAC makes it unforgeable.
The first key of `OPTOUT_TOKEN_KEYS` signs and every listed key verifies, so a key can be
rotated without invalidating the links in mail already sent. Tokens never expire: an
opt-out is honoured whenever it comes.

A token comes from outside (a URL, a click log, a command line), so `verify` accepts only the
exact text `mint` makes: canonical base64url (no padding, no stray bits: decoding and
re-encoding gives the same text), a 32-byte signature, at most MAX_TOKEN_CHARS characters, a
payload read with `pipeline.core.safejson` limits. Whatever the text, `verify` raises nothing but
BadToken, with a one-line reason that never echoes more than a short excerpt of the input.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from pipeline.core import safejson
from pipeline.core.addresses import InvalidAddress, parse
from pipeline.core.errors import OptoutError

VERSION = 1
SCOPE = "marketing"
MAX_TOKEN_CHARS = 2048  # a real token is about 200 characters; a longer one is junk
SIGNATURE_BYTES = 32  # HMAC-SHA256
PAYLOAD_LIMITS = safejson.Limits(max_bytes=MAX_TOKEN_CHARS, max_depth=4, max_number_chars=20)
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


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
    """The bytes of canonical unpadded base64url text; BadToken for anything else (padding,
    other alphabets, a length no encoder makes, or stray bits in the last character)."""
    if not text or not _B64URL.issuperset(text) or len(text) % 4 == 1:
        raise BadToken("not base64url text")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("not base64url text") from None
    if b64url(data) != text:
        raise BadToken("not canonical base64url (stray bits in the last character)")
    return data


def check_syntax(token: str) -> tuple[str, bytes]:
    """The payload's base64url text and the signature's bytes of a token shaped as `mint`
    makes them (canonical base64url, a 32-byte signature, not too long); BadToken otherwise.
    Cheap and key-free: the endpoint uses it to decide whether a URL is a token at all."""
    if len(token) > MAX_TOKEN_CHARS:
        raise BadToken(f"too long ({len(token)} characters, limit {MAX_TOKEN_CHARS})")
    payload_b64, dot, sig_b64 = token.partition(".")
    if not dot or "." in sig_b64:
        raise BadToken("not <payload>.<signature>")
    signature = unb64url(sig_b64)
    if len(signature) != SIGNATURE_BYTES:
        raise BadToken(f"signature is {len(signature)} bytes, not {SIGNATURE_BYTES}")
    unb64url(payload_b64)
    return payload_b64, signature


def is_token_shaped(token: str) -> bool:
    """Whether `token` passes `check_syntax` (safe to put back into a URL or a page)."""
    try:
        check_syntax(token)
    except BadToken:
        return False
    return True


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
    """The claims of a token that verifies; raises BadToken (and nothing else) otherwise."""
    if not isinstance(token, str):
        raise BadToken("not text")
    payload_b64, signature = check_syntax(token)
    payload = _payload(payload_b64)
    kid = payload.get("kid")
    secret = dict(keys).get(kid) if isinstance(kid, str) else None
    if secret is None:
        raise BadToken(f"unknown key id {_excerpt(kid)}")
    # Constant-time comparison: a timing difference must not reveal how much of a forged
    # signature was right.
    if not hmac.compare_digest(signature, _signature(secret, payload_b64)):
        raise BadToken("signature does not match")
    return _claims(payload)


def _payload(payload_b64: str) -> dict[str, object]:
    try:
        payload = safejson.loads(unb64url(payload_b64), PAYLOAD_LIMITS)
    except safejson.UnsafeJSON as exc:
        raise BadToken(f"payload is not JSON we accept: {exc}") from None
    if not isinstance(payload, dict):
        raise BadToken("payload is not a JSON object")
    return payload


def _claims(payload: dict[str, object]) -> TokenClaims:
    version, address, campaign, iat = payload.get("v"), payload.get("e"), payload.get("c"), payload.get("iat")
    if type(version) is not int or version != VERSION:  # `true == 1` in Python: not a version
        raise BadToken(f"unsupported token version {_excerpt(version)}")
    if not isinstance(address, str) or not address:
        raise BadToken("payload names no address")
    if payload.get("s", SCOPE) != SCOPE:
        raise BadToken(f"unsupported scope {_excerpt(payload.get('s'))}")
    return TokenClaims(
        address=address,
        campaign=campaign if isinstance(campaign, str) else "" if campaign is None else str(campaign),
        kid=str(payload["kid"]),
        issued_at=iat if type(iat) is int else 0,
    )


def _excerpt(value: object) -> str:
    """A short one-line repr of a value taken from a token, for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
