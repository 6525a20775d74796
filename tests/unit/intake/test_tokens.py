"""Unsubscribe tokens (SPEC §2.7): format, verification, rotation, tampering."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.config import parse_token_keys
from pipeline.core.errors import OptoutError
from pipeline.intake.tokens import BadToken, b64url, mint, verify

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
        (lambda t: t[:-3], "signature is 30 bytes, not 32"),  # truncated signature
        (lambda t: t.split(".")[0] + "." + t.split(".")[1][::-1], "signature does not match|not canonical"),
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


def _signed(payload: bytes, secret: str = "new-secret") -> str:
    """A token with a correct signature over any payload bytes (what a key holder could mint)."""
    payload_b64 = b64url(payload)
    return payload_b64 + "." + b64url(hmac.new(secret.encode(), payload_b64.encode(), hashlib.sha256).digest())


GOOD = mint(NEW, "alice@example.com", "c", AT)
FORGED_SIG = GOOD.split(".")[1]


def _last_char_bumped(text: str) -> str:
    """The same bytes with stray low bits set in the last character (a non-canonical spelling)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return text[:-1] + alphabet[alphabet.index(text[-1]) + 1]


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (GOOD + "=", "not base64url"),  # padding
        (GOOD.split(".")[0] + "=." + FORGED_SIG, "not base64url"),
        (GOOD.split(".")[0] + "." + _last_char_bumped(FORGED_SIG), "not canonical"),  # same bytes, other text
        (" " + GOOD, "not base64url"),
        (GOOD + "\n", "not base64url"),
        (GOOD.replace("-", "+").replace("_", "/") if "-" in GOOD or "_" in GOOD else GOOD + "+", "not base64url"),
        ("A" * 3000 + "." + FORGED_SIG, "too long"),
        (b64url(b"[" * 1000) + "." + FORGED_SIG, "nested 1000 levels deep"),  # forged, under the size limit
        (b64url(b"[" * 3000) + "." + FORGED_SIG, "too long"),
        (b64url(b"\xff\xfe") + "." + FORGED_SIG, "not UTF-8"),
        (b64url(b'{"v":1,"kid":"k2","iat":' + b"9" * 50 + b"}") + "." + FORGED_SIG, "a number of 50 characters"),
        (b64url(b'{"v":NaN,"kid":"k2"}') + "." + FORGED_SIG, "NaN is not a JSON value"),
        (b64url(b'{"kid":"' + b"k" * 500 + b'"}') + "." + FORGED_SIG, "unknown key id 'kkkk"),
        (_signed(b'{"v":true,"kid":"k2","e":"a@b.com"}'), "unsupported token version True"),  # true == 1 in Python
        (_signed(b'{"v":1,"kid":"k2","e":["a@b.com"]}'), "payload names no address"),
        (_signed(b'{"v":1,"kid":"k2","e":"a@b.com","s":"all"}'), "unsupported scope 'all'"),
        ("\x00." + FORGED_SIG, "not base64url"),
        ("é." + FORGED_SIG, "not base64url"),
        (".", "not base64url"),
    ],
)
def test_hostile_tokens_are_bad_tokens_with_one_line(token: str, why: str) -> None:
    with pytest.raises(BadToken, match=why) as caught:
        verify(NEW, token)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_a_key_holders_odd_but_valid_payload_still_verifies() -> None:
    claims = verify(NEW, _signed(b'{"v":1,"kid":"k2","e":"a@b.com","c":7,"iat":true}'))
    assert (claims.address, claims.campaign, claims.issued_at) == ("a@b.com", "7", 0)


@given(st.one_of(
    st.text(max_size=300),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=", max_size=300),
    st.binary(max_size=200).map(lambda b: b64url(b) + "." + FORGED_SIG),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                 max_leaves=20).map(lambda v: _signed(json.dumps(v).encode())),
))
@settings(max_examples=400, deadline=None)
def test_verify_raises_nothing_but_bad_token(token: str) -> None:
    try:
        claims = verify(NEW, token)
    except BadToken as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(claims.address, str) and claims.address
