"""The esp_events cases of the hostile channel corpus (written by generate.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

AT = datetime(2026, 10, 8, 12, 0, tzinfo=UTC)
EPOCH = int(AT.timestamp())
BOM = b"\xef\xbb\xbf"
Case = Callable[[str, "bytes | str", str, str], None]


def sg(n: int, email: str, event: str = "unsubscribe", **extra: object) -> dict[str, object]:
    return {"email": email, "timestamp": EPOCH, "event": event, "sg_event_id": f"sg{n}", **extra}


def sns(n: int, message: object) -> dict[str, object]:
    text = message if isinstance(message, str) else json.dumps(message)
    return {
        "Type": "Notification",
        "MessageId": f"sns-{n}",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses",
        "Message": text,
        "Timestamp": "2026-10-08T12:00:00.000Z",
    }


def complaint(*addresses: str) -> dict[str, object]:
    return {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": a} for a in addresses],
            "timestamp": "2026-10-08T11:59:00.000Z",
            "feedbackId": "fb-1",
        },
        "mail": {"messageId": "m-1"},
    }


def mg(n: int, email: str, event: str = "unsubscribed") -> dict[str, object]:
    return {
        "signature": {"timestamp": str(EPOCH), "token": "t", "signature": "s"},
        "event-data": {"id": f"mg{n}", "timestamp": EPOCH + 0.25, "event": event, "recipient": email},
    }


def pm(n: int, email: str) -> dict[str, object]:
    return {"RecordType": "SpamComplaint", "ID": n, "Email": email, "BouncedAt": "2026-10-08T11:00:00Z"}


def mc(email: str, kind: str = "unsubscribe") -> dict[str, object]:
    return {"type": kind, "fired_at": "2026-10-08 10:00:00", "data[email]": email, "data[list_id]": "a6b5da1054"}


def jl(*bodies: object) -> str:
    return "".join((b if isinstance(b, str) else json.dumps(b)) + "\n" for b in bodies)


def adopted(n: int, address: str) -> dict[str, object]:
    return {
        "optout_adopted": {
            "provider": "sendgrid",
            "address": address,
            "reason": "unsubscribes",
            "created": None,
            "source_file": "/exports/suppressions.csv",
            "source_sha256": "ab" * 32,
            "line": n,
        }
    }


def esp_cases(case: Case) -> None:
    d = "esp_events"
    good = [[sg(1, "u1@ok.example")], [sg(2, "u2@ok.example", "spamreport")]]
    case(
        f"{d}/sendgrid-broken-json.jsonl",
        jl(good[0], json.dumps(good[1])[:30], good[1]),
        "a body cut in the middle",
        "accepted 2, rejected 1",
    )
    case(
        f"{d}/sendgrid-deep-nesting.jsonl",
        jl(good[0], "[" * 100_000 + "]" * 100_000, good[1]),
        "a body nested 100,000 levels deep",
        "accepted 2, rejected 1",
    )
    big = mg(3, "u3@ok.example")
    big["event-data"]["user-variables"] = {"pad": "x" * 300_000}  # type: ignore[index]
    case(
        f"{d}/mailgun-huge-fields.jsonl",
        jl(mg(1, "u1@ok.example"), big, json.dumps(mg(9, "u9@bad.example"))[:-1] + ', "pad": "' + "x" * 1_200_000 + '"}'),
        "a 300,000-character field (kept) and a 1.2 MB body (over the limit)",
        "accepted 2, rejected 1",
    )
    case(
        f"{d}/postmark-bom.jsonl",
        BOM + jl(pm(1, "u1@ok.example"), pm(2, "u2@ok.example")).encode(),
        "a UTF-8 BOM before the first body",
        "accepted 2",
    )
    case(f"{d}/postmark-bom.json", BOM + json.dumps(pm(3, "u3@ok.example")).encode(), "a UTF-8 BOM before a single body", "accepted 1")
    case(f"{d}/mailchimp-crlf.jsonl", jl(mc("u1@ok.example"), mc("u2@ok.example")).replace("\n", "\r\n"), "CRLF line ends", "accepted 2")
    case(
        f"{d}/ses-message-not-json.jsonl",
        jl(sns(1, complaint("u1@ok.example")), sns(2, "this is not JSON {"), sns(3, "[1, 2]"), sns(4, complaint("u4@ok.example"))),
        "SNS Messages that are not an SES notification",
        "accepted 2, rejected 2",
    )
    case(
        f"{d}/ses-subscription-confirmation.json",
        json.dumps(
            {
                "Type": "SubscriptionConfirmation",
                "MessageId": "c1",
                "SubscribeURL": "https://sns.example/confirm",
                "Timestamp": "2026-10-08T12:00:00Z",
            }
        ),
        "an SNS subscription confirmation",
        "ignored 1",
    )
    case(
        f"{d}/brevo-events.json",
        json.dumps([sg(1, "u1@bad.example")]),
        "a provider the channel does not know",
        "quarantined: must start with a provider",
    )
    times = [
        sg(1, "u1@ok.example", timestamp=99_999_999_999_999),
        sg(2, "u2@ok.example", timestamp=-5),
        sg(3, "u3@ok.example", timestamp="9999-12-31T23:00:00-05:00"),
        sg(4, "u4@ok.example", timestamp=True),
        sg(5, "u5@ok.example", timestamp=EPOCH + 86_400 * 30),
    ]
    case(
        f"{d}/sendgrid-times-out-of-range.json",
        json.dumps(times),
        "event times past year 9999, before 1970, a boolean, a month ahead (arrival time stands in)",
        "accepted 5",
    )
    no_ids = [
        {"email": "u1@ok.example", "event": "unsubscribe", "timestamp": EPOCH},
        {"email": "u2@ok.example", "event": "group_unsubscribe", "asm_group_id": 7},
        {"event": "unsubscribe", "sg_event_id": "x"},
    ]
    case(f"{d}/sendgrid-missing-ids.json", json.dumps(no_ids), "events without an id, a time or an address", "accepted 2, rejected 1")
    case(
        f"{d}/sendgrid-10000-events.json",
        json.dumps([sg(n, f"u{n}@ok.example") for n in range(10_000)]),
        "one body of 10,000 events",
        "accepted 10000",
    )
    many = [f"r{n}@ok.example" for n in range(200)] + ["not an address"]
    case(
        f"{d}/ses-many-recipients.json",
        json.dumps(sns(1, complaint(*many))),
        "one complaint naming 200 recipients and an invalid one (one record, 200 requests)",
        "accepted 1",
    )
    wrong = [
        {"signature": {}, "event-data": "unsubscribed"},
        {"signature": {}, "event-data": {"id": "w2", "event": 42, "recipient": "u9@bad.example"}},
        {"signature": {}, "event-data": {"id": "w3", "event": "unsubscribed", "recipient": ["u9@bad.example"]}},
    ]
    case(
        f"{d}/mailgun-wrong-types.jsonl",
        jl(mg(1, "u1@ok.example"), *wrong),
        "event-data a string, an event a number, a recipient a list",
        "accepted 1, ignored 1, rejected 2",
    )
    case(
        f"{d}/sendgrid-not-objects.json",
        json.dumps([sg(1, "u1@ok.example"), 42, "x", None, sg(2, "u2@ok.example")]),
        "array elements that are a number, a string, null",
        "accepted 2, rejected 3",
    )
    case(f"{d}/sendgrid-duplicate-ids.jsonl", jl(good[0], good[0], good[1]), "the same event posted twice", "accepted 2, duplicate 1")
    case(f"{d}/mailgun-empty.json", b"", "an empty body file", "read 0")
    case(f"{d}/mailgun-binary.json", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4, "gzip data named .json", "rejected 1")
    case(f"{d}/postmark-scalar.json", "null", "a body that is null", "rejected 1")
    case(
        f"{d}/sendgrid-adopted-20261008T120000Z.jsonl",
        jl(
            adopted(2, "u1@ok.example"),
            adopted(3, "u2@ok.example"),
            {"optout_adopted": {"provider": "sendgrid", "line": 4}},
            {"something": "else"},
            adopted(5, "not an address"),
        ),
        "adopted suppressions: two good, one without address and hash, one not adopted, one invalid address",
        "accepted 2, rejected 3",
    )
