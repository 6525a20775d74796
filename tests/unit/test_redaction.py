"""Finding one person's address in evidence, in every spelling a record may hold."""

from __future__ import annotations

import base64
import json

import pytest

from pipeline.redaction import ERASED, Redactor

pytestmark = pytest.mark.unit

ERIN = Redactor("erintarget@gmail.com", ["Erin.Target@gmail.com"])


def token_for(address: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"v": 1, "e": address}).encode()).decode().rstrip("=")
    return f"{payload}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from ERIN.TARGET@gmail.com today", f"from {ERASED} today"),
        ("Erin <erin.target+news@googlemail.com>", f"Erin <{ERASED}>"),  # +tag, googlemail, dots: same key
        ("mailto:e.r.i.n.target@gmail.com?subject=stop", f"mailto:{ERASED}"),
        ("https://x.test/u?e=erin.target%40gmail.com&x=1", f"https://x.test/u?e={ERASED}&x=1"),
        (token_for("erin.target@gmail.com"), f"{ERASED}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"),
        ("other.person@gmail.com and erinX@gmail.com", "other.person@gmail.com and erinX@gmail.com"),
        (token_for("someone@else.org"), token_for("someone@else.org")),
        ("", ""),
    ],
)
def test_redact(text, expected):
    assert ERIN.redact(text) == expected
    assert ERIN.hits(text) is (text != expected)


def test_redact_json_walks_keys_and_values():
    raw = {
        "email": "Erin.Target@gmail.com",
        "notes": ["call from erin.target@gmail.com", 3, None],
        "erin.target@gmail.com": True,
    }
    assert ERIN.redact_json(raw) == {"email": ERASED, "notes": [f"call from {ERASED}", 3, None], ERASED: True}
    assert not ERIN.hits_json({"email": "bob@example.com", "n": 1})
