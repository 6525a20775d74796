"""As an operator tries the receivers: a running `optout serve --only public` with every
provider configured, bodies posted with `curl` exactly as each provider posts them (several event
types each). Correctly signed bodies are answered 200 and landed; a wrong signature, a stale
timestamp, a replay, a wrong password or a wrong secret is refused and lands nothing. The next
`optout run` gives the mapping's counts and every accepted address is suppressed with the
provider's event id as evidence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests import esp_signing
from tests.conftest import ROOT
from tests.integration.test_serve_and_cli import OPTOUT, free_port, optout

pytestmark = pytest.mark.integration
MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
POSTMARK = "postmark-hook:s3cret-Pa55"
MAILCHIMP = "mc-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-events"


class Server:
    """A running `optout serve --only public`, the keys it trusts, and the folder it lands in."""

    def __init__(self, tmp: Path) -> None:
        self.tmp, self.landing, self.port = tmp, tmp / "landing", free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        certificate = tmp / "sns-signing.pem"
        certificate.write_bytes(esp_signing.sns_certificate(self.rsa_key, datetime.now(UTC)))
        self.env = {
            **os.environ, "PYTHONPATH": str(ROOT), "OPTOUT_LANDING": str(self.landing),
            "OPTOUT_SENDGRID_PUBLIC_KEY": esp_signing.sendgrid_public_key(self.ec_key),
            "OPTOUT_MAILGUN_SIGNING_KEY": MAILGUN_KEY, "OPTOUT_POSTMARK_CREDENTIALS": POSTMARK,
            "OPTOUT_SES_CERTIFICATE": str(certificate), "OPTOUT_SES_TOPIC_ARNS": TOPIC,
            "OPTOUT_MAILCHIMP_SECRET": MAILCHIMP,
            "OPTOUT_SEGMENT_LINES": "1",  # each body closed at once: the run right after reads it
        }
        self.posted = 0

    def curl(self, path: str, body: bytes | None = None, *, headers: dict[str, str] | None = None,
             form: dict[str, str] | None = None, user: str | None = None) -> int:
        """POST with curl; the HTTP status."""
        self.posted += 1
        args = ["curl", "-sS", "-o", os.devnull, "-w", "%{http_code}", "-X", "POST", f"{self.base}{path}"]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        if user is not None:
            args += ["-u", user]
        if body is not None:
            file = self.tmp / f"body-{self.posted}"
            file.write_bytes(body)
            args += ["--data-binary", f"@{file}"]
        for name, value in (form or {}).items():
            args += ["--data-urlencode", f"{name}={value}"]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return int(done.stdout)

    def landed(self, provider: str) -> list[Any]:
        folder = self.landing / "esp_events" / datetime.now(UTC).date().isoformat()
        return [json.loads(line) for path in sorted(folder.glob(f"{provider}-*.jsonl"))
                for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    assert shutil.which("curl"), "these tests post with curl, as an operator would: install curl (apt-get install -y curl)"
    s = Server(tmp_path)
    proc = subprocess.Popen([*OPTOUT, "serve", "--only", "public", "--port", str(s.port)], env=s.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(150):
            probe = subprocess.run(["curl", "-s", "-o", os.devnull, "-w", "%{http_code}", f"{s.base}/hooks/mailchimp/{MAILCHIMP}"],
                                   capture_output=True, text=True)
            if probe.stdout == "200":
                break
            if proc.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"])
        else:
            pytest.fail("optout serve did not answer")
        if proc.poll() is not None:
            pytest.fail("optout serve stopped: " + (proc.stderr.read().decode() if proc.stderr else ""))
        yield s
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def sendgrid(server: Server) -> None:
    now = int(datetime.now(UTC).timestamp())
    events = [{"email": f"sg-{event}@example.com", "timestamp": now, "event": event, "sg_event_id": f"sg-ev-{n}",
               "sg_message_id": f"msg{n}.filter0001", "category": ["newsletter"]}
              for n, event in enumerate(["unsubscribe", "group_unsubscribe", "spamreport", "bounce", "open", "group_resubscribe"])]
    events[1]["asm_group_id"] = events[5]["asm_group_id"] = 7
    body = json.dumps(events).encode()
    assert server.curl("/hooks/sendgrid", body, headers=esp_signing.sendgrid_headers(server.ec_key, body, datetime.now(UTC))) == 200
    other = ec.generate_private_key(ec.SECP256R1())
    forged = esp_signing.sendgrid_headers(other, body, datetime.now(UTC))
    stale = esp_signing.sendgrid_headers(server.ec_key, body, datetime.now(UTC) - timedelta(minutes=6))
    assert server.curl("/hooks/sendgrid", body, headers=forged) == 403
    assert server.curl("/hooks/sendgrid", body, headers=stale) == 403
    assert server.landed("sendgrid") == [events]


def mailgun(server: Server) -> None:
    now = datetime.now(UTC)
    bodies = []
    for n, event in enumerate(["unsubscribed", "complained", "failed", "delivered"]):
        data = {"id": f"mg-ev-{n}", "timestamp": now.timestamp(), "event": event, "recipient": f"mg-{event}@example.com",
                "message": {"headers": {"message-id": f"{n}@mg.example.com"}}}
        if event == "failed":
            data["severity"] = "permanent"
        body = {"signature": esp_signing.mailgun_signature(MAILGUN_KEY, f"token-{n:02d}" * 5, now), "event-data": data}
        bodies.append(body)
        assert server.curl("/hooks/mailgun", json.dumps(body).encode(), headers={"Content-Type": "application/json"}) == 200
    replay = json.dumps(bodies[0]).encode()
    wrong_key = {**bodies[0], "signature": esp_signing.mailgun_signature("another-key", "token-xx" * 5, now)}
    stale = {**bodies[0], "signature": esp_signing.mailgun_signature(MAILGUN_KEY, "token-yy" * 5, now - timedelta(minutes=6))}
    assert server.curl("/hooks/mailgun", replay) == 403
    assert server.curl("/hooks/mailgun", json.dumps(wrong_key).encode()) == 403
    assert server.curl("/hooks/mailgun", json.dumps(stale).encode()) == 403
    assert server.landed("mailgun") == bodies


def postmark(server: Server) -> None:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    bodies: list[dict[str, Any]] = [
        {"RecordType": "SpamComplaint", "ID": 4201, "Type": "SpamComplaint", "TypeCode": 512, "MessageStream": "broadcast",
         "Email": "pm-complaint@example.com", "BouncedAt": at, "MessageID": "pm-m1"},
        {"RecordType": "SubscriptionChange", "MessageID": "pm-m2", "Recipient": "pm-manual@example.com", "Origin": "Recipient",
         "SuppressSending": True, "SuppressionReason": "ManualSuppression", "ChangedAt": at, "MessageStream": "broadcast"},
        {"RecordType": "Bounce", "ID": 4203, "Type": "HardBounce", "TypeCode": 1, "Email": "pm-bounce@example.com",
         "BouncedAt": at, "MessageID": "pm-m3"},
        {"RecordType": "SubscriptionChange", "MessageID": "pm-m4", "Recipient": "pm-back@example.com", "Origin": "Customer",
         "SuppressSending": False, "SuppressionReason": "ManualSuppression", "ChangedAt": at, "MessageStream": "broadcast"},
    ]
    for body in bodies:
        assert server.curl("/hooks/postmark", json.dumps(body).encode(), user=POSTMARK,
                           headers={"Content-Type": "application/json"}) == 200
    assert server.curl("/hooks/postmark", json.dumps(bodies[0]).encode(), user="postmark-hook:wrong") == 401
    assert server.curl("/hooks/postmark", json.dumps(bodies[0]).encode()) == 401
    assert server.landed("postmark") == bodies


def ses(server: Server) -> None:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def notification(n: int, kind: str, detail: dict[str, Any]) -> dict[str, Any]:
        message = {"notificationType": kind, "mail": {"messageId": f"ses-mail-{n}", "timestamp": at,
                                                      "source": "news@shop.example", "destination": ["x@example.com"]}} | detail
        return {"Type": "Notification", "MessageId": f"ses-msg-{n}", "TopicArn": TOPIC, "Timestamp": at,
                "Message": json.dumps(message)}

    messages = [esp_signing.sns_sign(server.rsa_key, m, version) for m, version in (
        (notification(1, "Complaint", {"complaint": {"timestamp": at, "complaintFeedbackType": "abuse",
                                                     "complainedRecipients": [{"emailAddress": "ses-c1@example.com"},
                                                                              {"emailAddress": "ses-c2@example.com"}]}}), "1"),
        (notification(2, "Bounce", {"bounce": {"timestamp": at, "bounceType": "Permanent",
                                               "bouncedRecipients": [{"emailAddress": "ses-b@example.com"}]}}), "2"),
        (notification(3, "Delivery", {"delivery": {"timestamp": at, "recipients": ["ses-d@example.com"]}}), "1"),
    )]
    for message in messages:
        assert server.curl("/hooks/ses", json.dumps(message).encode(), headers={"Content-Type": "text/plain; charset=UTF-8",
                                                                                 "x-amz-sns-message-type": "Notification"}) == 200
    tampered = messages[0] | {"Message": messages[1]["Message"]}
    other_topic = esp_signing.sns_sign(server.rsa_key, notification(4, "Complaint", {}) | {"TopicArn": TOPIC + "-other"})
    assert server.curl("/hooks/ses", json.dumps(tampered).encode()) == 403
    assert server.curl("/hooks/ses", json.dumps(other_topic).encode()) == 403
    assert server.landed("ses") == messages


def mailchimp(server: Server) -> None:
    fired = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    forms = [{"type": kind, "fired_at": fired, "data[id]": f"mc{n}", "data[list_id]": "a6b5da1054",
              "data[email]": f"mc-{kind}@example.com", "data[email_type]": "html"}
             for n, kind in enumerate(["unsubscribe", "subscribe", "cleaned"])]
    for form in forms:
        assert server.curl(f"/hooks/mailchimp/{MAILCHIMP}", form=form) == 200
    assert server.curl(f"/hooks/mailchimp/{MAILCHIMP[:-1]}1", form=forms[0]) in (403, 404)
    assert server.landed("mailchimp") == forms


def test_each_receiver_with_curl_then_the_run(server: Server, tmp_path: Path) -> None:
    for provider in (sendgrid, mailgun, postmark, ses, mailchimp):
        provider(server)
    day = datetime.now(UTC).date().isoformat()
    (counter,) = (server.landing / "esp_events" / day).glob("_rejected-*.json")
    assert json.loads(counter.read_text())["rejected"] == {"sendgrid": 2, "mailgun": 3, "postmark": 2, "ses": 2, "mailchimp": 1}

    db = f"sqlite:///{tmp_path / 'optout.db'}"
    assert optout("init", db=db, landing=server.landing).returncode == 0
    run = optout("run", "--date", day, "--json", db=db, landing=server.landing)
    assert run.returncode == 0, run.stderr
    counts = json.loads(run.stdout)["channels"]["esp_events"]
    assert {k: counts[k] for k in ("read", "accepted", "ignored", "rejected", "needs_review")} == {
        "read": 20, "accepted": 9, "ignored": 8, "rejected": 0, "needs_review": 3}, counts
    evidence = {
        "sg-unsubscribe@example.com": "sg-ev-0", "sg-group_unsubscribe@example.com": "sg-ev-1",
        "sg-spamreport@example.com": "sg-ev-2", "mg-unsubscribed@example.com": "mg-ev-0",
        "mg-complained@example.com": "mg-ev-1", "pm-complaint@example.com": "4201",
        "pm-manual@example.com": "pm-m2:SubscriptionChange", "ses-c1@example.com": "ses-msg-1",
        "ses-c2@example.com": "ses-msg-1", "mc-unsubscribe@example.com": "sha256:",
    }
    for address, ref in evidence.items():
        found = optout("lookup", address, "--json", db=db, landing=server.landing)
        assert found.returncode == 0, (address, found.stderr)
        assert json.loads(found.stdout)["events"][0]["source_ref"].startswith(ref), address
    for address in ("sg-bounce@example.com", "sg-open@example.com", "sg-group_resubscribe@example.com",
                    "mg-failed@example.com", "pm-bounce@example.com", "pm-back@example.com", "ses-b@example.com",
                    "ses-d@example.com", "mc-subscribe@example.com", "mc-cleaned@example.com"):
        assert optout("lookup", address, db=db, landing=server.landing).returncode == 1, address
