"""The ESP webhook receivers through the app: for each provider a correctly signed body is
answered 200 and landed as one line; a forged, stale, replayed or unauthenticated one is refused
and only counted; the console half has no /hooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from tests import esp_signing

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
DAY = "2026-12-02"
MAILGUN_KEY = "key-mailgun-signing"
SECRET = "mailchimp-secret-0123456789"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-events"


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def client(tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey) -> TestClient:
    cert = tmp_path / "sns.pem"
    cert.write_bytes(esp_signing.sns_certificate(rsa_key, NOW))
    settings = Settings(
        landing=tmp_path / "landing", database_url=f"sqlite:///{tmp_path / 'optout.db'}",
        sendgrid_public_key=esp_signing.sendgrid_public_key(ec_key), mailgun_signing_key=MAILGUN_KEY,
        postmark_credentials="hook:pa55word", ses_certificate=cert, ses_topic_arns=(TOPIC,), mailchimp_secret=SECRET,
        segment_lines=1,  # each body its own closed segment: readable at once
    )
    return TestClient(create_app(settings, FixedClock(NOW), only="public"), follow_redirects=False)


def landed(client: TestClient, provider: str) -> list[bytes]:
    folder = client.app.state.settings.landing / "esp_events" / DAY  # type: ignore[attr-defined]
    return [line for path in sorted(folder.glob(f"{provider}-*.jsonl")) for line in path.read_bytes().splitlines()]


def rejected(client: TestClient) -> dict[str, int]:
    folder = client.app.state.settings.landing / "esp_events" / DAY  # type: ignore[attr-defined]
    files = list(folder.glob("_rejected-*.json"))
    return json.loads(files[0].read_text())["rejected"] if files else {}


def sendgrid_headers(key: ec.EllipticCurvePrivateKey, body: bytes, at: datetime = NOW) -> dict[str, str]:
    return esp_signing.sendgrid_headers(key, body, at)


SENDGRID_BODY = (b'[{"email":"jane@example.com","event":"unsubscribe","sg_event_id":"ev1","timestamp":1764691200},\n'
                 b'{"email":"joe@example.com","event":"open","sg_event_id":"ev2","timestamp":1764691200}]')


def test_sendgrid_signed_body_lands_as_one_line(client: TestClient, ec_key: ec.EllipticCurvePrivateKey) -> None:
    answer = client.post("/hooks/sendgrid", content=SENDGRID_BODY, headers=sendgrid_headers(ec_key, SENDGRID_BODY))
    assert answer.status_code == 200
    [line] = landed(client, "sendgrid")
    assert json.loads(line) == json.loads(SENDGRID_BODY) and line == SENDGRID_BODY.replace(b"\n", b" ")


@pytest.mark.parametrize("case", ["forged", "stale", "missing", "other-body", "not-json"])
def test_sendgrid_refusals_land_nothing(client: TestClient, ec_key: ec.EllipticCurvePrivateKey, case: str) -> None:
    headers = sendgrid_headers(ec_key, SENDGRID_BODY, NOW - timedelta(minutes=10) if case == "stale" else NOW)
    body = SENDGRID_BODY
    if case == "forged":
        headers = sendgrid_headers(ec.generate_private_key(ec.SECP256R1()), body)
    elif case == "missing":
        headers.pop("X-Twilio-Email-Event-Webhook-Signature")
    elif case == "other-body":
        body = body.replace(b"unsubscribe", b"delivered")
    elif case == "not-json":
        body = b"\xff\xfenot json"
        headers = sendgrid_headers(ec_key, body)
    answer = client.post("/hooks/sendgrid", content=body, headers=headers)
    assert answer.status_code in (400, 403)
    assert landed(client, "sendgrid") == [] and rejected(client) == {"sendgrid": 1}


def mailgun_body(token: str = "tok-1", at: datetime = NOW, key: str = MAILGUN_KEY) -> bytes:
    return json.dumps({"signature": esp_signing.mailgun_signature(key, token, at),
                       "event-data": {"id": "mg-1", "event": "unsubscribed", "recipient": "jane@example.com"}}).encode()


def test_mailgun_signed_lands_and_replay_is_refused(client: TestClient) -> None:
    body = mailgun_body()
    assert client.post("/hooks/mailgun", content=body).status_code == 200
    assert client.post("/hooks/mailgun", content=body).status_code == 403  # the same token again
    assert landed(client, "mailgun") == [body] and rejected(client) == {"mailgun": 1}


@pytest.mark.parametrize("body", [
    mailgun_body(at=NOW - timedelta(minutes=6)), mailgun_body(key="another-key"), b'{"event-data": {}}', b"[1, 2]", b"not json",
])
def test_mailgun_refusals(client: TestClient, body: bytes) -> None:
    assert client.post("/hooks/mailgun", content=body).status_code in (400, 403)
    assert landed(client, "mailgun") == []


POSTMARK_BODY = b'{"RecordType":"SpamComplaint","ID":42,"Email":"jane@example.com","BouncedAt":"2026-12-02T15:00:00Z"}'


def test_postmark_basic_auth(client: TestClient) -> None:
    assert client.post("/hooks/postmark", content=POSTMARK_BODY, auth=("hook", "wrong")).status_code == 401
    assert client.post("/hooks/postmark", content=POSTMARK_BODY).status_code == 401
    assert client.post("/hooks/postmark", content=POSTMARK_BODY, headers={"Authorization": "Basic !!!"}).status_code == 401
    assert landed(client, "postmark") == []
    assert client.post("/hooks/postmark", content=b"<xml/>", auth=("hook", "pa55word")).status_code == 400
    assert client.post("/hooks/postmark", content=POSTMARK_BODY, auth=("hook", "pa55word")).status_code == 200
    assert landed(client, "postmark") == [POSTMARK_BODY] and rejected(client) == {"postmark": 4}


def sns(key: rsa.RSAPrivateKey, version: str = "1", kind: str = "Notification", topic: str = TOPIC) -> dict[str, str]:
    message = {"Type": kind, "MessageId": "sns-1", "TopicArn": topic, "Timestamp": "2026-12-02T15:59:00.000Z",
               "Message": json.dumps({"notificationType": "Complaint"})}
    if kind != "Notification":
        message |= {"Token": "t0k", "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"}
    return esp_signing.sns_sign(key, message, version)


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_signed_notification_lands(client: TestClient, rsa_key: rsa.RSAPrivateKey, version: str) -> None:
    body = json.dumps(sns(rsa_key, version)).encode()
    assert client.post("/hooks/ses", content=body, headers={"Content-Type": "text/plain"}).status_code == 200
    assert landed(client, "ses") == [body]


def test_ses_subscription_confirmation_is_logged_not_landed(client: TestClient, rsa_key: rsa.RSAPrivateKey,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps(sns(rsa_key, kind="SubscriptionConfirmation")).encode()
    assert client.post("/hooks/ses", content=body).status_code == 200
    assert "ConfirmSubscription" in caplog.text and landed(client, "ses") == []


def test_ses_refusals(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    tampered = sns(rsa_key) | {"Message": '{"notificationType": "Bounce"}'}
    other_topic = sns(rsa_key, topic="arn:aws:sns:eu-west-1:999999999999:other")
    unknown = sns(rsa_key) | {"SignatureVersion": "3"}
    forged = sns(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    for message in (tampered, other_topic, unknown, forged):
        assert client.post("/hooks/ses", content=json.dumps(message)).status_code == 403
    assert client.post("/hooks/ses", content=b"nope").status_code == 403
    assert landed(client, "ses") == [] and rejected(client) == {"ses": 5}


def test_mailchimp_form_becomes_one_flat_object(client: TestClient) -> None:
    assert client.get(f"/hooks/mailchimp/{SECRET}").status_code == 200  # the validation ping
    form = {"type": "unsubscribe", "fired_at": "2026-12-02 15:00:00", "data[email]": "jane@example.com", "data[list_id]": "a1"}
    assert client.post(f"/hooks/mailchimp/{SECRET}", data=form).status_code == 200
    [line] = landed(client, "mailchimp")
    assert json.loads(line) == form


@pytest.mark.parametrize("path", [
    f"/hooks/mailchimp/{SECRET}x", "/hooks/mailchimp/wrong-secret-0123456789", "/hooks/mailchimp/..%2F..%2Fetc",
])
def test_mailchimp_wrong_secret(client: TestClient, path: str) -> None:
    assert client.post(path, data={"type": "unsubscribe"}).status_code in (403, 404)
    assert client.get(path).status_code in (403, 404)
    assert landed(client, "mailchimp") == []


@pytest.mark.parametrize("body", [b"\xff\xfe", b"data[email]=x", b"type=a&type=b"])
def test_mailchimp_bad_forms(client: TestClient, body: bytes) -> None:
    answer = client.post(f"/hooks/mailchimp/{SECRET}", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400 and landed(client, "mailchimp") == []


def test_oversized_body_is_refused_before_the_route(client: TestClient, ec_key: ec.EllipticCurvePrivateKey) -> None:
    body = b"[" + b" " * (1024 * 1024 + 1) + b"]"
    answer = client.post("/hooks/sendgrid", content=body, headers=sendgrid_headers(ec_key, body))
    assert answer.status_code == 413 and landed(client, "sendgrid") == []


def test_console_half_has_no_hooks(tmp_path: Path) -> None:
    settings = Settings(landing=tmp_path / "landing", database_url=f"sqlite:///{tmp_path / 'optout.db'}", mailchimp_secret=SECRET)
    console = TestClient(create_app(settings, FixedClock(NOW), only="console"))
    assert console.get(f"/hooks/mailchimp/{SECRET}").status_code == 404
    assert console.post("/hooks/postmark", content=POSTMARK_BODY).status_code == 404


def test_unconfigured_providers_answer_404(tmp_path: Path) -> None:
    settings = Settings(landing=tmp_path / "landing", database_url=f"sqlite:///{tmp_path / 'optout.db'}")
    bare = TestClient(create_app(settings, FixedClock(NOW), only="public"))
    for path in ("/hooks/sendgrid", "/hooks/mailgun", "/hooks/postmark", "/hooks/ses", "/hooks/mailchimp/anything-at-all-here"):
        assert bare.post(path, content=b"{}").status_code in (403, 404)
