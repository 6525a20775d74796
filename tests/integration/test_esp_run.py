"""`optout run` on a landing folder with bodies from each provider: the esp_events counts
match the mapping, every accepted address is suppressed, the evidence keeps the event id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import land
from tests.integration.test_cli import optout

pytestmark = pytest.mark.integration
DAY = "2026-10-10"
EPOCH = 1791460800


def sg(n: int, event: str, email: str) -> dict[str, object]:
    return {"email": email, "timestamp": EPOCH, "event": event, "sg_event_id": f"sg-{n}"}


def sns(n: int, kind: str, *emails: str) -> dict[str, object]:
    part = {"complainedRecipients": [{"emailAddress": e} for e in emails], "timestamp": "2026-10-08T12:00:00Z"}
    return {
        "Type": "Notification",
        "MessageId": f"ses-{n}",
        "Timestamp": "2026-10-08T12:00:01Z",
        "Message": json.dumps({"notificationType": kind, kind.lower(): part, "mail": {"messageId": f"m{n}"}}),
    }


def mg(n: int, event: str, email: str) -> dict[str, object]:
    return {"signature": {}, "event-data": {"id": f"mg-{n}", "timestamp": EPOCH, "event": event, "recipient": email}}


def lines(*bodies: object) -> str:
    return "".join(json.dumps(b) + "\n" for b in bodies)


def test_run_counts_match_the_mapping(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    db = f"sqlite:///{tmp_path / 'optout.db'}"
    assert optout("init", db=db).returncode == 0
    land(
        landing,
        "esp_events",
        DAY,
        "sendgrid-batch-1.json",
        json.dumps(
            [
                sg(1, "unsubscribe", "sg1@example.com"),
                sg(2, "spamreport", "sg2@example.com"),
                sg(3, "bounce", "sg3@example.com"),
                sg(4, "open", "sg4@example.com"),
                sg(5, "group_resubscribe", "sg5@example.com"),
            ]
        ),
    )
    land(
        landing,
        "esp_events",
        DAY,
        "ses-hook.jsonl",
        lines(sns(1, "Complaint", "ses1@example.com", "ses2@example.com"), sns(2, "Bounce", "ses3@example.com"), sns(3, "Delivery")),
    )
    land(
        landing,
        "esp_events",
        DAY,
        "mailgun-hook.jsonl",
        lines(mg(1, "unsubscribed", "mg1@example.com"), mg(2, "complained", "mg2@example.com"), mg(3, "failed", "mg3@example.com")),
    )
    land(
        landing,
        "esp_events",
        DAY,
        "postmark-hook.jsonl",
        lines(
            {"RecordType": "SpamComplaint", "ID": 42, "Email": "pm1@example.com", "BouncedAt": "2026-10-08T12:00:00Z"},
            {
                "RecordType": "SubscriptionChange",
                "MessageID": "pm-m2",
                "Recipient": "pm2@example.com",
                "SuppressSending": True,
                "SuppressionReason": "ManualSuppression",
                "ChangedAt": "2026-10-08T12:00:00Z",
            },
            {
                "RecordType": "SubscriptionChange",
                "MessageID": "pm-m3",
                "Recipient": "pm3@example.com",
                "SuppressSending": False,
                "SuppressionReason": "ManualSuppression",
                "ChangedAt": "2026-10-08T12:00:00Z",
            },
        ),
    )
    land(
        landing,
        "esp_events",
        DAY,
        "mailchimp-hook.jsonl",
        lines(
            {"type": "unsubscribe", "fired_at": "2026-10-08 12:00:00", "data[email]": "mc1@example.com"},
            {"type": "cleaned", "fired_at": "2026-10-08 12:00:00", "data[email]": "mc2@example.com"},
            {"type": "subscribe", "fired_at": "2026-10-08 12:00:00", "data[email]": "mc3@example.com"},
        ),
    )

    done = optout("run", "--date", DAY, "--json", db=db, landing=landing)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)["channels"]["esp_events"]
    assert {k: counts[k] for k in ("accepted", "ignored", "rejected", "needs_review")} == {
        "accepted": 8,
        "ignored": 6,
        "rejected": 0,
        "needs_review": 3,
    }, counts

    refs = {
        "sg1@example.com": "sg-1",
        "sg2@example.com": "sg-2",
        "ses1@example.com": "ses-1",
        "ses2@example.com": "ses-1",
        "mg1@example.com": "mg-1",
        "mg2@example.com": "mg-2",
        "pm1@example.com": "42",
        "pm2@example.com": "pm-m2:SubscriptionChange",
        "mc1@example.com": "sha256:",
    }
    for address, ref in refs.items():
        found = optout("lookup", address, "--json", db=db)
        assert found.returncode == 0, address
        assert json.loads(found.stdout)["events"][0]["source_ref"].startswith(ref), address
    for address in ("sg3@example.com", "sg5@example.com", "ses3@example.com", "mg3@example.com", "pm3@example.com", "mc3@example.com"):
        assert optout("lookup", address, db=db).returncode == 1, address
