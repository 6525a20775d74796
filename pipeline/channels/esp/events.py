"""One provider's body as its events, and each event's outcome (the mapping in docs/esp.md).

`events(provider, body)` splits a body into its events (a SendGrid array's elements, the one
SNS message, the one webhook body); `decide(provider, event, draft_for)` turns one event into
its record. Nothing here reads files: `pipeline.channels.esp_events` does, and guards each event."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from pipeline.channels.base import Draft, content_ref, requests_for
from pipeline.core import safejson
from pipeline.core.addresses import Address, try_parse
from pipeline.intake.records import IntakeRecord, Scope

DraftFor = Callable[[str, Any], Draft]  # (source_ref, provider time) -> the event's draft
MAX_RECIPIENTS = 10_000  # recipients one notification may name; past that it is rejected whole


def text(value: Any, limit: int = 500) -> str:
    """A field as bounded text ("" for a missing, nested or null value)."""
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).strip()[:limit]


def epoch_text(value: Any) -> str:
    """A provider time as text `request_time` reads: unix seconds (int, float or digits) as ISO."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float) or (isinstance(value, str) and value.replace(".", "", 1).isdigit() and "." in value):
        try:
            return datetime.fromtimestamp(float(value), UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return text(value, 80)
    return text(value, 80)


def events(provider: str, body: Any) -> Iterator[Any]:
    """The events of one body: a SendGrid array's elements; any other body is one event."""
    if provider == "sendgrid" and isinstance(body, list):
        yield from body
    else:
        yield body


def decide(provider: str, event: Any, draft_for: DraftFor) -> IntakeRecord:
    if not isinstance(event, dict):
        draft = draft_for(content_ref({"event": repr(event)[:4000]}), None)
        return draft.reject("unparseable", f"a {provider} event must be a JSON object, not {type(event).__name__}")
    return _DECIDERS[provider](event, draft_for)


def _accept_or_reject(draft: Draft, addresses: list[str], reason: str, details: str) -> IntakeRecord:
    valid: list[Address] = []
    invalid: list[str] = []
    for raw in addresses:
        parsed = try_parse(raw)
        if parsed is None:
            invalid.append(raw[:200])
        else:
            valid.append(parsed)
    if not valid:
        shown = ", ".join(repr(a) for a in invalid[:3]) or "none"
        return draft.reject("invalid_address", f"{details}: no valid recipient address ({shown})")
    note = f"; {len(invalid)} invalid address(es) skipped" if invalid else ""
    return draft.accept(requests_for(valid, Scope.MARKETING), reason, details + note)


def _sendgrid(event: dict[str, Any], draft_for: DraftFor) -> IntakeRecord:
    kind = text(event.get("event"), 80)
    draft = draft_for(text(event.get("sg_event_id")) or content_ref(event), epoch_text(event.get("timestamp")))
    what = f"SendGrid {kind or '(no event)'}"
    if kind in ("unsubscribe", "group_unsubscribe"):
        return _accept_or_reject(draft, [text(event.get("email"))], "optout", what)
    if kind == "spamreport":
        return _accept_or_reject(draft, [text(event.get("email"))], "complaint", what)
    if kind in ("bounce", "dropped"):
        return draft.ignore("bounce", what)
    if kind == "group_resubscribe":
        return draft.review("resubscribe", f"{what}: a lift needs evidence a person can judge")
    return draft.ignore("not_optout", what)


def _ses(body: dict[str, Any], draft_for: DraftFor) -> IntakeRecord:
    kind = text(body.get("Type"), 80)
    if kind or "Message" in body:  # an SNS envelope
        ref = text(body.get("MessageId")) or content_ref(body)
        if kind != "Notification":
            return draft_for(ref, text(body.get("Timestamp"))).ignore("not_optout", f"SNS {kind or '(no Type)'}, not a notification")
        message = body.get("Message")
        if isinstance(message, str):
            try:
                message = safejson.loads(message)
            except safejson.UnsafeJSON as exc:
                return draft_for(ref, text(body.get("Timestamp"))).reject("unparseable", f"SNS Message is not an SES notification: {exc}")
        if not isinstance(message, dict):
            return draft_for(ref, text(body.get("Timestamp"))).reject("unparseable", "SNS Message is not a JSON object")
        return _ses_notification(message, ref, text(body.get("Timestamp")), draft_for)
    mail_field = body.get("mail")
    mail: dict[str, Any] = mail_field if isinstance(mail_field, dict) else {}
    ref = content_ref(body) if not text(mail.get("messageId")) else f"{text(mail.get('messageId'))}:{_ses_type(body)}"
    return _ses_notification(body, ref, text(mail.get("timestamp")), draft_for)


def _ses_type(message: dict[str, Any]) -> str:
    return text(message.get("notificationType") or message.get("eventType"), 80)


def _ses_notification(message: dict[str, Any], ref: str, fallback_time: str, draft_for: DraftFor) -> IntakeRecord:
    kind = _ses_type(message)
    part = message.get(kind.lower()) if kind else None
    part = part if isinstance(part, dict) else {}
    draft = draft_for(ref, text(part.get("timestamp")) or fallback_time)
    what = f"SES {kind or '(no notificationType)'}"
    if kind == "Complaint":
        listed = part.get("complainedRecipients")
        if not isinstance(listed, list) or len(listed) > MAX_RECIPIENTS:
            return draft.reject("missing_field", f"{what}: complainedRecipients is not a list of at most {MAX_RECIPIENTS:,}")
        addresses = [text(r.get("emailAddress")) for r in listed if isinstance(r, dict)]
        return _accept_or_reject(draft, addresses, "complaint", f"{what}, feedback id {text(part.get('feedbackId'), 200)}")
    if kind == "Bounce":
        return draft.ignore("bounce", what)
    return draft.ignore("not_optout", what)


def _mailgun(body: dict[str, Any], draft_for: DraftFor) -> IntakeRecord:
    data = body.get("event-data")
    if not isinstance(data, dict):
        return draft_for(content_ref(body), None).reject("missing_field", "Mailgun body without an event-data object")
    kind = text(data.get("event"), 80)
    draft = draft_for(text(data.get("id")) or content_ref(body), epoch_text(data.get("timestamp")))
    what = f"Mailgun {kind or '(no event)'}"
    if kind == "unsubscribed":
        return _accept_or_reject(draft, [text(data.get("recipient"))], "optout", what)
    if kind == "complained":
        return _accept_or_reject(draft, [text(data.get("recipient"))], "complaint", what)
    if kind == "failed":
        return draft.ignore("bounce", what)
    return draft.ignore("not_optout", what)


_POSTMARK_TIMES = ("ChangedAt", "BouncedAt", "ReceivedAt", "DeliveredAt")


def _postmark(body: dict[str, Any], draft_for: DraftFor) -> IntakeRecord:
    kind = text(body.get("RecordType"), 80)
    ident = text(body.get("ID"))
    ref = ident or (f"{text(body.get('MessageID'))}:{kind}" if text(body.get("MessageID")) else content_ref(body))
    at = next((text(body.get(f)) for f in _POSTMARK_TIMES if text(body.get(f))), "")
    draft = draft_for(ref, at)
    what = f"Postmark {kind or '(no RecordType)'}"
    address = text(body.get("Email")) or text(body.get("Recipient"))
    if kind == "SpamComplaint":
        return _accept_or_reject(draft, [address], "complaint", what)
    if kind == "Bounce":
        return draft.ignore("bounce", what)
    if kind == "SubscriptionChange":
        why = text(body.get("SuppressionReason"), 80)
        what = f"{what} ({why or 'no SuppressionReason'})"
        suppress = body.get("SuppressSending")
        if suppress is True:
            if why == "HardBounce":
                return draft.ignore("bounce", what)
            return _accept_or_reject(draft, [address], "complaint" if why == "SpamComplaint" else "optout", what)
        if suppress is False:
            return draft.review("resubscribe", f"{what}: reactivated; a lift needs evidence a person can judge")
        return draft.reject("missing_field", f"{what}: SuppressSending is not true or false")
    return draft.ignore("not_optout", what)


def _mailchimp(body: dict[str, Any], draft_for: DraftFor) -> IntakeRecord:
    kind = text(body.get("type"), 80)
    draft = draft_for(content_ref(body), text(body.get("fired_at"), 80))
    what = f"Mailchimp {kind or '(no type)'}"
    if kind == "unsubscribe":
        return _accept_or_reject(draft, [text(body.get("data[email]"))], "optout", what)
    if kind == "cleaned":
        return draft.ignore("bounce", what)
    if kind == "subscribe":
        # The channel cannot see the list (a file is read without the ledger), so every
        # subscribe is reviewed: the reviewer sees whether the address was suppressed.
        return draft.review("resubscribe", f"{what}: a lift needs evidence a person can judge")
    return draft.ignore("not_optout", what)


_DECIDERS: dict[str, Callable[[dict[str, Any], DraftFor], IntakeRecord]] = {
    "sendgrid": _sendgrid,
    "ses": _ses,
    "mailgun": _mailgun,
    "postmark": _postmark,
    "mailchimp": _mailchimp,
}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
