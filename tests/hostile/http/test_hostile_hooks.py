"""Hostile requests on the ESP webhook receivers: whatever arrives unverified lands nothing and
only moves a counter; bodies that verify but are not what the provider sends are refused too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
KEY = ec.generate_private_key(ec.SECP256R1())
SECRET = "mailchimp-secret-0123456789"
MAILGUN_KEY = "key-mailgun-signing"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    public = KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    settings = Settings(landing=tmp_path / "landing", database_url=f"sqlite:///{tmp_path / 'optout.db'}",
                        sendgrid_public_key=base64.b64encode(public).decode(), mailgun_signing_key=MAILGUN_KEY,
                        postmark_credentials="hook:pa55word", mailchimp_secret=SECRET, segment_lines=1)
    return TestClient(create_app(settings, FixedClock(NOW), only="public"), follow_redirects=False)


def lines(client: TestClient) -> list[Path]:
    root = client.app.state.settings.landing / "esp_events"  # type: ignore[attr-defined]
    return sorted(root.glob("*/*.jsonl")) if root.exists() else []


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(NOW.timestamp()))
    return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(KEY.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp}


@pytest.mark.parametrize("body", [
    b"[" * 5000 + b"]" * 5000, b"[1e999999999999]", b'{"a": 1}', b"", b"[]\x00", '["\ud800"]'.encode("utf-8", "surrogatepass"),
])
def test_signed_but_not_an_event_array(client: TestClient, body: bytes) -> None:
    assert client.post("/hooks/sendgrid", content=body, headers=signed(body)).status_code == 400
    assert lines(client) == []


@pytest.mark.parametrize("headers", [
    {"X-Twilio-Email-Event-Webhook-Signature": "A" * 10000, "X-Twilio-Email-Event-Webhook-Timestamp": "1"},
    {"X-Twilio-Email-Event-Webhook-Signature": "!!!", "X-Twilio-Email-Event-Webhook-Timestamp": "9" * 40},
    {"X-Twilio-Email-Event-Webhook-Signature": "AAAA", "X-Twilio-Email-Event-Webhook-Timestamp": "-5"},
])
def test_junk_signature_headers(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/hooks/sendgrid", content=b"[]", headers=headers).status_code == 403
    assert lines(client) == []


def test_a_thousand_junk_requests_are_one_small_counter(client: TestClient) -> None:
    for n in range(200):
        client.post("/hooks/mailgun", content=json.dumps({"signature": {"timestamp": str(int(NOW.timestamp())), "token": f"t{n}",
                                                                       "signature": "0" * 64}, "event-data": {}}))
        client.post("/hooks/postmark", content=b"{}", auth=("hook", f"guess{n}"))
    assert lines(client) == []
    [counter] = (client.app.state.settings.landing / "esp_events").glob("*/_rejected-*.json")  # type: ignore[attr-defined]
    assert json.loads(counter.read_text())["rejected"] == {"mailgun": 200, "postmark": 200}
    assert counter.stat().st_size < 512


def test_mailgun_signature_fields_of_the_wrong_type(client: TestClient) -> None:
    stamp = str(int(NOW.timestamp()))
    good = hmac.new(MAILGUN_KEY.encode(), (stamp + "tok").encode(), hashlib.sha256).hexdigest()
    for sig in ({"timestamp": int(stamp), "token": "tok", "signature": good}, {"timestamp": stamp, "token": ["tok"], "signature": good},
                {"timestamp": stamp, "token": "tok", "signature": "é" * 64}, "a string"):
        assert client.post("/hooks/mailgun", content=json.dumps({"signature": sig, "event-data": {}})).status_code == 403
    assert lines(client) == []


def test_mailchimp_field_flood_and_odd_methods(client: TestClient) -> None:
    flood = "&".join(f"f{n}=x" for n in range(5000)) + "&type=unsubscribe"
    answer = client.post(f"/hooks/mailchimp/{SECRET}", content=flood, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400
    assert client.put(f"/hooks/mailchimp/{SECRET}", data={"type": "unsubscribe"}).status_code == 405
    assert client.get("/hooks/sendgrid").status_code == 405
    assert lines(client) == []


def test_chunked_oversized_body_is_cut_off(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(300):
            yield b" " * 4096
    answer = client.post("/hooks/postmark", content=chunks(), auth=("hook", "pa55word"))
    assert answer.status_code == 413 and lines(client) == []


def test_postmark_credentials_compare_whole(client: TestClient) -> None:
    for user, password in (("hook", "pa55word "), ("hook", "pa55"), ("hook:pa55word", ""), ("HOOK", "pa55word")):
        assert client.post("/hooks/postmark", content=b"{}", auth=(user, password)).status_code == 401
    assert lines(client) == []
