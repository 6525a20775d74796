"""Checks of the e-mail service providers' verification material, for the settings: SendGrid's
public key and the SNS signing certificate must load, so a wrong value stops `optout` at start
rather than refusing every webhook later. Each check returns the value or raises ValueError
with what is wrong (never the value itself)."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,256}")


def mailchimp_secret(value: str) -> str:
    """The secret that ends Mailchimp's webhook URL: URL-safe and long enough not to be guessed."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,128}", value):
        raise ValueError("16 to 128 letters, digits, '_' or '-' (it is part of a URL)")
    return value


def sendgrid_key(value: str) -> str:
    """Base64 of a DER public key (as SendGrid's settings page shows it) or PEM; an EC key."""
    from cryptography.hazmat.primitives import serialization  # here, not at import: 10 ms per settings load, only when set
    from cryptography.hazmat.primitives.asymmetric import ec  # here, not at import: as above
    try:
        key = (serialization.load_pem_public_key(value.encode("ascii")) if value.startswith("-----")
               else serialization.load_der_public_key(base64.b64decode(value, validate=True)))
    except (ValueError, UnicodeEncodeError, binascii.Error):
        raise ValueError("not a public key in base64 or PEM") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an elliptic-curve (ECDSA) public key")
    return value


def sns_certificate(value: str) -> str:
    """A PEM X.509 certificate file with an RSA key."""
    from cryptography import x509  # here, not at import: 10 ms per settings load, only when set
    from cryptography.hazmat.primitives.asymmetric import rsa  # here, not at import: as above
    try:
        key = x509.load_pem_x509_certificate(Path(value).read_bytes()).public_key()
    except (OSError, ValueError):
        raise ValueError(f"{value!r} is not a PEM certificate") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"{value!r} is not an RSA certificate")
    return value
