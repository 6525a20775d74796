"""How each e-mail service provider's webhook request is verified, one pure function per
provider: bytes and headers in, None when the request is genuine, else the reason it is not
(the reason goes to the answer, never a secret).

- SendGrid signs `timestamp + body` with ECDSA P-256 / SHA-256; the signature (base64 DER) and
  the timestamp arrive in `X-Twilio-Email-Event-Webhook-Signature` / `-Timestamp`; the public
  key (base64 DER or PEM) is the one SendGrid shows when signing is switched on.
- Mailgun puts `{"timestamp", "token", "signature"}` in the body's `signature` object: the
  signature is the hex HMAC-SHA256 of `timestamp + token` under the webhook signing key.
- Postmark sends HTTP basic credentials the operator chose.
- Amazon SNS signs a canonical string of the message's fields with RSA (SignatureVersion 1:
  SHA-1, 2: SHA-256); the certificate is read from a file, never fetched.
- Mailchimp has no signature: a secret in the URL, compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

MAILGUN_WINDOW_SECONDS = 300  # older than five minutes (or that far in the future): refused
SENDGRID_WINDOW_SECONDS = 300

# The fields SNS signs, in this order (absent optional ones are left out).
SNS_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
SNS_SUBSCRIPTION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SNS_TYPES = {"Notification": SNS_NOTIFICATION_FIELDS, "SubscriptionConfirmation": SNS_SUBSCRIPTION_FIELDS,
             "UnsubscribeConfirmation": SNS_SUBSCRIPTION_FIELDS}


def load_sendgrid_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 of the DER public key), or PEM."""
    raw = text.strip()
    key = (serialization.load_pem_public_key(raw.encode("ascii")) if raw.startswith("-----")
           else serialization.load_der_public_key(base64.b64decode(raw, validate=True)))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an elliptic-curve public key")
    return key


def sendgrid(key: ec.EllipticCurvePublicKey, body: bytes, signature: str | None, timestamp: str | None,
             now: datetime) -> str | None:
    if not signature or not timestamp:
        return "missing signature or timestamp header"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "bad timestamp"
    if abs(now.timestamp() - int(timestamp)) > SENDGRID_WINDOW_SECONDS:
        return "stale timestamp"
    try:
        der = base64.b64decode(signature, validate=True)
        key.verify(der, timestamp.encode("ascii") + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        return "bad signature"
    return None


def mailgun(signing_key: str, body: Any, now: datetime) -> tuple[str | None, str]:
    """(reason or None, the token, for the replay check)."""
    sig = body.get("signature") if isinstance(body, dict) else None
    if not isinstance(sig, dict):
        return "no signature object", ""
    timestamp, token, signature = (sig.get(k) for k in ("timestamp", "token", "signature"))
    if not all(isinstance(v, str) and v for v in (timestamp, token, signature)):
        return "signature object incomplete", ""
    assert isinstance(timestamp, str) and isinstance(token, str) and isinstance(signature, str)
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "bad timestamp", ""
    if abs(now.timestamp() - int(timestamp)) > MAILGUN_WINDOW_SECONDS:
        return "stale timestamp", ""
    expected = hmac.new(signing_key.encode("utf-8"), (timestamp + token).encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        return "bad signature", ""
    return None, token


def basic_auth(credentials: str, header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return "missing credentials"
    try:
        given = base64.b64decode(header[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return "bad credentials"
    if not hmac.compare_digest(given, credentials.encode("utf-8")):
        return "bad credentials"
    return None


def load_sns_certificate(pem: bytes) -> rsa.RSAPublicKey:
    key = x509.load_pem_x509_certificate(pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA certificate")
    return key


def sns_string_to_sign(message: Mapping[str, Any]) -> bytes | None:
    fields = SNS_TYPES.get(message.get("Type"))  # type: ignore[arg-type]
    if fields is None:
        return None
    parts: list[str] = []
    for name in fields:
        value = message.get(name)
        if value is None and name == "Subject":
            continue
        if not isinstance(value, str):
            return None
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


def ses(key: rsa.RSAPublicKey, message: Any, topic_arns: tuple[str, ...]) -> str | None:
    if not isinstance(message, dict):
        return "not an SNS message"
    version = message.get("SignatureVersion")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version) if isinstance(version, str) else None
    if algorithm is None:
        return "unknown SignatureVersion"
    signed = sns_string_to_sign(message)
    signature = message.get("Signature")
    if signed is None or not isinstance(signature, str):
        return "SNS message fields missing"
    try:
        key.verify(base64.b64decode(signature, validate=True), signed, padding.PKCS1v15(), algorithm)
    except (binascii.Error, ValueError, InvalidSignature):
        return "bad signature"
    if topic_arns and message.get("TopicArn") not in topic_arns:
        return "topic not allowed"
    return None


def secret_matches(expected: str, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))
