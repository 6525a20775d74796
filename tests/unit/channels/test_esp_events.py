"""esp_events: each provider's events become the outcomes docs/esp.md lists, one record per
event, one request per recipient, the provider's id as source_ref and its time as requested_at."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.channels import REGISTRY
from pipeline.core.config import Settings
from pipeline.core.errors import QuarantineError
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile
from pipeline.intake.records import IntakeRecord

pytestmark = pytest.mark.unit
DAY = date(2026, 10, 9)
ARRIVAL = datetime(2026, 10, 9, tzinfo=UTC)
EPOCH = 1791460800  # 2026-10-08T12:00:00Z


def read(tmp_path: Path, name: str, content: str | bytes) -> list[IntakeRecord]:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    landed = LandedFile("esp_events", path, DAY, "0" * 64, path.stat().st_size)
    return list(REGISTRY["esp_events"].read(path, ChannelContext(Settings(), AccountIndex(), landed)))


def outcome(r: IntakeRecord) -> str:
    return f"{r.outcome}:{r.reason}"


def sns(message: dict[str, Any], message_id: str = "sns-1") -> dict[str, Any]:
    return {"Type": "Notification", "MessageId": message_id, "Message": json.dumps(message), "Timestamp": "2026-10-08T12:00:05Z"}


def sg(event: str) -> dict[str, Any]:
    return {"email": "a@example.com", "timestamp": EPOCH, "event": event, "sg_event_id": f"id-{event}"}


def mg(event: str) -> dict[str, Any]:
    return {
        "signature": {"token": "t"},
        "event-data": {"id": f"mg-{event}", "timestamp": EPOCH + 0.5, "event": event, "recipient": "a@example.com"},
    }


def pm(record_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "RecordType": record_type,
        "MessageID": "m-1",
        "Email": "a@example.com",
        "Recipient": "a@example.com",
        "BouncedAt": "2026-10-08T12:00:00Z",
        "ChangedAt": "2026-10-08T12:00:00Z",
        **extra,
    }


def mc(kind: str) -> dict[str, Any]:
    return {"type": kind, "fired_at": "2026-10-08 12:00:00", "data[email]": "a@example.com", "data[list_id]": "l1"}


def ses(kind: str, key: str = "notificationType") -> dict[str, Any]:
    part = {"complainedRecipients": [{"emailAddress": "a@example.com"}], "timestamp": "2026-10-08T12:00:00Z"}
    return sns({key: kind, kind.lower(): part, "mail": {"messageId": "m"}})


MAPPING = [
    ("sendgrid", [sg("unsubscribe")], "accepted:optout"),
    ("sendgrid", [sg("group_unsubscribe")], "accepted:optout"),
    ("sendgrid", [sg("spamreport")], "accepted:complaint"),
    ("sendgrid", [sg("bounce")], "ignored:bounce"),
    ("sendgrid", [sg("dropped")], "ignored:bounce"),
    ("sendgrid", [sg("group_resubscribe")], "needs_review:resubscribe"),
    ("sendgrid", [sg("delivered")], "ignored:not_optout"),
    ("sendgrid", [sg("open")], "ignored:not_optout"),
    ("sendgrid", [sg("click")], "ignored:not_optout"),
    ("ses", ses("Complaint"), "accepted:complaint"),
    ("ses", ses("Complaint", "eventType"), "accepted:complaint"),
    ("ses", ses("Bounce"), "ignored:bounce"),
    ("ses", ses("Delivery"), "ignored:not_optout"),
    ("ses", ses("Open", "eventType"), "ignored:not_optout"),
    ("mailgun", mg("unsubscribed"), "accepted:optout"),
    ("mailgun", mg("complained"), "accepted:complaint"),
    ("mailgun", mg("failed"), "ignored:bounce"),
    ("mailgun", mg("delivered"), "ignored:not_optout"),
    ("mailgun", mg("opened"), "ignored:not_optout"),
    ("postmark", pm("SpamComplaint", ID=7), "accepted:complaint"),
    ("postmark", pm("SubscriptionChange", SuppressSending=True, SuppressionReason="ManualSuppression"), "accepted:optout"),
    ("postmark", pm("SubscriptionChange", SuppressSending=True, SuppressionReason="SpamComplaint"), "accepted:complaint"),
    ("postmark", pm("SubscriptionChange", SuppressSending=True, SuppressionReason="HardBounce"), "ignored:bounce"),
    ("postmark", pm("SubscriptionChange", SuppressSending=False, SuppressionReason="ManualSuppression"), "needs_review:resubscribe"),
    ("postmark", pm("Bounce", ID=8), "ignored:bounce"),
    ("postmark", pm("Delivery"), "ignored:not_optout"),
    ("postmark", pm("Open"), "ignored:not_optout"),
    ("mailchimp", mc("unsubscribe"), "accepted:optout"),
    ("mailchimp", mc("cleaned"), "ignored:bounce"),
    ("mailchimp", mc("subscribe"), "needs_review:resubscribe"),
    ("mailchimp", mc("profile"), "ignored:not_optout"),
    ("mailchimp", mc("upemail"), "ignored:not_optout"),
    ("mailchimp", mc("campaign"), "ignored:not_optout"),
]


@pytest.mark.parametrize(("provider", "body", "expected"), MAPPING, ids=[f"{p}-{e}-{i}" for i, (p, _, e) in enumerate(MAPPING)])
def test_each_event_type_has_its_outcome(tmp_path: Path, provider: str, body: Any, expected: str) -> None:
    [record] = read(tmp_path, f"{provider}-x.json", json.dumps(body))
    assert outcome(record) == expected
    assert record.requested_at == datetime(2026, 10, 8, 12, 0, tzinfo=UTC) or provider == "mailgun"
    if record.outcome == "accepted":
        assert [(r.address, r.scope) for r in record.requests] == [("a@example.com", "marketing")]


@pytest.mark.parametrize(
    ("provider", "body", "ref"),
    [
        ("sendgrid", [sg("unsubscribe")], "id-unsubscribe"),
        ("ses", ses("Complaint"), "sns-1"),
        ("mailgun", mg("unsubscribed"), "mg-unsubscribed"),
        ("postmark", pm("SpamComplaint", ID=7), "7"),
        ("postmark", pm("SubscriptionChange", SuppressSending=True), "m-1:SubscriptionChange"),
    ],
)
def test_source_ref_is_the_providers_event_id(tmp_path: Path, provider: str, body: Any, ref: str) -> None:
    [record] = read(tmp_path, f"{provider}-x.json", json.dumps(body))
    assert record.source_ref == ref
    assert record.raw["provider"] == provider


def test_mailchimp_ref_is_a_content_hash_and_fired_at_is_utc(tmp_path: Path) -> None:
    a, b = read(tmp_path, "mailchimp-x.jsonl", json.dumps(mc("unsubscribe")) + "\n" + json.dumps(mc("cleaned")) + "\n")
    assert a.source_ref.startswith("sha256:") and a.source_ref != b.source_ref
    assert a.requested_at == datetime(2026, 10, 8, 12, 0, tzinfo=UTC)


def test_mailgun_float_timestamp(tmp_path: Path) -> None:
    [record] = read(tmp_path, "mailgun-x.json", json.dumps(mg("unsubscribed")))
    assert record.requested_at == datetime(2026, 10, 8, 12, 0, 0, 500000, tzinfo=UTC)


def test_one_notification_many_recipients_is_one_record(tmp_path: Path) -> None:
    body = sns(
        {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [
                    {"emailAddress": "a@example.com"},
                    {"emailAddress": "B@example.com"},
                    {"emailAddress": "a@example.com"},
                    {"emailAddress": "nope"},
                ]
            },
        }
    )
    [record] = read(tmp_path, "ses-x.json", json.dumps(body))
    assert record.outcome == "accepted"
    assert [r.address for r in record.requests] == ["a@example.com", "B@example.com"]
    assert "1 invalid" in record.details


def test_a_sendgrid_batch_is_one_record_per_event(tmp_path: Path) -> None:
    records = read(tmp_path, "sendgrid-batch.json", json.dumps([sg("unsubscribe"), sg("open"), sg("spamreport")]))
    assert [outcome(r) for r in records] == ["accepted:optout", "ignored:not_optout", "accepted:complaint"]
    assert [r.locator for r in records] == ["body event 1", "body event 2", "body event 3"]


def test_an_unknown_provider_prefix_quarantines_the_file(tmp_path: Path) -> None:
    with pytest.raises(QuarantineError, match="must start with a provider"):
        read(tmp_path, "sparkpost-x.json", "[]")


def test_adopted_line(tmp_path: Path) -> None:
    line = {
        "optout_adopted": {
            "provider": "mailgun",
            "address": "A@Example.com",
            "reason": "unsubscribes",
            "created": "2024-03-01T10:00:00Z",
            "source_file": "/x/unsubs.csv",
            "source_sha256": "f" * 64,
            "line": 7,
        }
    }
    no_time = {"optout_adopted": dict(line["optout_adopted"], created=None, line=8)}
    a, b = read(tmp_path, "mailgun-adopted-20261009T120000Z.jsonl", json.dumps(line) + "\n" + json.dumps(no_time) + "\n")
    assert (outcome(a), a.source_ref, a.requested_at) == (
        "accepted:optout",
        f"adopted:mailgun:{'f' * 64}:7",
        datetime(2024, 3, 1, 10, tzinfo=UTC),
    )
    assert a.raw == line and [r.scope for r in a.requests] == ["marketing"]
    assert b.requested_at == ARRIVAL


# --- the providers' own documented payloads (the shared corpora) ------------------------------
def _anymail_expected(case: dict[str, Any]) -> str:
    kind = case["expected"].get("event.event_type")
    return {
        "complained": "accepted:complaint",
        "unsubscribed": "accepted:optout",
        "bounced": "ignored:bounce",
        "subscribed": "needs_review:resubscribe",
    }.get(kind, "ignored:not_optout")


# Where the mapping differs from Anymail's reading of the same body, on purpose.
ANYMAIL_OVERRIDES = {
    # Postmark files an "Unsubscribe" bounce type under RecordType Bounce: a bounce here.
    "PostmarkDeliveryTestCase.test_bounce_unsubscribe_variant": "ignored:bounce",
    # A SendGrid drop is a bounce here whatever its cause.
    "SendGridDeliveryTestCase.test_dropped_invalid_event": "ignored:bounce",
    "SendGridDeliveryTestCase.test_dropped_bounced": "ignored:bounce",
    "SendGridDeliveryTestCase.test_dropped_unsubscribed_event": "ignored:bounce",
    # Mailgun's legacy (pre-v3) webhook fields: the channel reads webhooks v3 only.
    "MailgunLegacyTestCase.test_metadata_key_conflicts": "rejected:missing_field",
    "AmazonSESNotificationsTests.test_reject_event": "ignored:not_optout",
    "AmazonSESNotificationsTests.test_rendering_failure_event": "ignored:not_optout",
}
PROVIDERS = {"sendgrid": "sendgrid", "amazon_ses": "ses", "postmark": "postmark", "mailgun": "mailgun"}


def test_anymail_payloads(tmp_path: Path, corpora: Path) -> None:
    cases = json.loads((corpora / "esp" / "anymail" / "anymail_webhook_cases.json").read_text())
    checked = 0
    for case in cases:
        provider = PROVIDERS.get(case["provider"])
        if provider is None or case["payload"] is None:
            continue
        records = read(tmp_path, f"{provider}-{checked}.json", json.dumps(case["payload"]))
        expected = ANYMAIL_OVERRIDES.get(case["test"], _anymail_expected(case))
        assert records and outcome(records[0]) == expected, case["test"]
        checked += 1
    assert checked >= 25


SENDGRID = {
    "unsubscribe": "accepted:optout",
    "group_unsubscribe": "accepted:optout",
    "spamreport": "accepted:complaint",
    "bounce": "ignored:bounce",
    "dropped": "ignored:bounce",
    "group_resubscribe": "needs_review:resubscribe",
}


@pytest.mark.parametrize("name", ["event-webhook-all-event-types.json", "event-webhook-per-event-examples.json"])
def test_sendgrid_documented_events(tmp_path: Path, corpora: Path, name: str) -> None:
    events = json.loads((corpora / "esp" / "sendgrid-docs" / name).read_text())
    records = read(tmp_path, f"sendgrid-{name}", json.dumps(events))
    assert len(records) == len(events)
    for event, record in zip(events, records, strict=True):
        assert outcome(record) == SENDGRID.get(event["event"], "ignored:not_optout"), event["event"]
        assert record.raw["event"] == event


def test_ses_documented_notifications(tmp_path: Path, corpora: Path) -> None:
    examples = json.loads((corpora / "esp" / "amazon-ses-docs" / "ses-notification-examples.json").read_text())
    for n, example in enumerate(examples):
        payload = example["payload"]
        kind = payload.get("notificationType") or payload.get("eventType")
        [record] = read(tmp_path, f"ses-{n}.json", json.dumps(sns(payload, f"m{n}")))
        assert outcome(record) == {"Complaint": "accepted:complaint", "Bounce": "ignored:bounce"}.get(kind, "ignored:not_optout"), kind
        assert record.source_ref == f"m{n}"


@pytest.mark.parametrize("n", range(1, 7))
def test_ses_sisimai_notifications(tmp_path: Path, corpora: Path, n: int) -> None:
    body = json.loads((corpora / "esp" / "sisimai-json" / f"json-amazonses-0{n}.json").read_text())
    message = json.loads(body["Message"]) if isinstance(body.get("Message"), str) else body
    [record] = read(tmp_path, "ses-x.json", json.dumps(body))
    assert outcome(record) == {"Complaint": "accepted:complaint", "Bounce": "ignored:bounce"}.get(
        message["notificationType"], "ignored:not_optout"
    )
