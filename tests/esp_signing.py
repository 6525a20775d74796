"""How each provider signs a webhook, for the tests that play the provider: SendGrid's ECDSA
headers, Mailgun's HMAC signature object, an SNS message signed with a certificate's key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from pipeline.http.esp_verify import sns_string_to_sign


def sendgrid_public_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The verification key as SendGrid shows it: base64 of the DER public key."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def sendgrid_headers(key: ec.EllipticCurvePrivateKey, body: bytes, at: datetime) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp, "Content-Type": "application/json"}


def mailgun_signature(key: str, token: str, at: datetime) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return {"timestamp": stamp, "token": token, "signature": signature}


def sns_certificate(key: rsa.RSAPrivateKey, now: datetime) -> bytes:
    """A self-signed PEM certificate standing in for the SNS signing certificate."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.eu-west-1.amazonaws.com")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def sns_sign(key: rsa.RSAPrivateKey, message: dict[str, Any], version: str = "1") -> dict[str, Any]:
    """`message` with SignatureVersion, SigningCertURL and the Signature SNS would give it."""
    message = message | {"SignatureVersion": version, "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/cert.pem"}
    signed = sns_string_to_sign(message)
    assert signed is not None, f"not a message SNS signs: {json.dumps(message)[:200]}"
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    return message | {"Signature": base64.b64encode(key.sign(signed, padding.PKCS1v15(), algorithm)).decode()}
