"""Mail that machines send about mail (SPEC §2.2): ARF complaint reports and Microsoft's feedback
loop, delivery status notifications, Amazon SES notifications, automatic replies, bulk and list
mail. Each test says in words why a message is one, or "" when it is not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import Message
from email.parser import Parser
from email.utils import getaddresses

from pipeline.channels.mail import phrases as P
from pipeline.channels.mail.headers import REPLY_PREFIX, addresses_in, header, subject_of
from pipeline.channels.mail.memo import kept
from pipeline.channels.mail.text import decode_part

LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post", "Mailing-List", "X-Mailing-List")


def _parts(msg: Message) -> list[tuple[Message, str]]:
    """Every part with its content type, computed once per message (several rules look)."""
    return kept(msg, "_optout_parts", lambda: _walked(msg))


def _walked(msg: Message) -> list[tuple[Message, str]]:
    try:
        return [(part, part.get_content_type()) for part in msg.walk()]
    except Exception:  # a structure too broken to walk: the top level is all there is
        return [(msg, msg.get_content_type())]


def _report_type(msg: Message) -> str:
    return (msg.get_param("report-type", "", header="content-type") or "").__str__().lower()  # type: ignore[union-attr]


def _has_part(msg: Message, *types: str) -> bool:
    return any(ctype in types for _, ctype in _parts(msg))


def is_arf(msg: Message) -> bool:
    if msg.get_content_type() == "multipart/report" and _report_type(msg) == "feedback-report":
        return True
    return _has_part(msg, "message/feedback-report") or bool(_jmrp_recipients(msg))


def _jmrp_recipients(msg: Message) -> list[str]:
    """Microsoft's feedback loop (JMRP) is not ARF: it attaches the reported message with the
    complaining recipient in X-HmXmrOriginalRecipient."""
    for inner, _ in _reported(msg, header_parts=False):
        found = addresses_in(inner, "X-HmXmrOriginalRecipient")
        if found:
            return found
    return []


def _reported(msg: Message, *, header_parts: bool) -> Iterator[tuple[Message, str]]:
    """The reported message attached to a report, as (its headers, "message"), in part order;
    with `header_parts`, text/rfc822-headers parts too, as (their headers, "headers")."""
    for part, ctype in _parts(msg):
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                yield inner[0], "message"
        elif header_parts and ctype in ("text/rfc822-headers", "text/rfc822-header"):
            yield Parser().parsestr(decode_part(part), headersonly=True), "headers"


def _report_fields(part: Message) -> Message:
    """The fields of a message/feedback-report (or delivery-status) part as one header block."""
    payload = part.get_payload()
    if isinstance(payload, list):
        merged = Message()
        for block in payload:
            if isinstance(block, Message):
                for k, v in block.items():
                    merged[k] = str(v)
        return merged
    return Parser().parsestr(decode_part(part), headersonly=True)


def complaint_recipients(msg: Message) -> tuple[list[str], str]:
    """The complaining recipient(s) of an ARF report (RFC 5965): Removal-Recipient or
    Original-Rcpt-To of the report, else the To of the reported message; and where found."""
    for part, ctype in _parts(msg):
        if ctype == "message/feedback-report":
            fields = _report_fields(part)
            for name in ("Removal-Recipient", "Original-Rcpt-To"):
                found = [a for v in fields.get_all(name, []) for _, a in getaddresses([str(v)]) if "@" in a]
                if found:
                    return found, name
    jmrp = _jmrp_recipients(msg)
    if jmrp:
        return jmrp, "X-HmXmrOriginalRecipient (Microsoft JMRP)"
    for inner, what in _reported(msg, header_parts=True):
        found = addresses_in(inner, "To")
        if found:
            return found, f"To of the reported {what}"
    return [], ""


def dsn_evidence(msg: Message) -> str:
    """Why this is a delivery status notification (RFC 3464 or an MTA's own form), or ""."""
    if msg.get_content_type() == "multipart/report" and _report_type(msg) in ("delivery-status", "global-delivery-status"):
        return "multipart/report; report-type=delivery-status"
    if _has_part(msg, "message/delivery-status", "message/global-delivery-status"):
        return "a message/delivery-status part"
    sender = (addresses_in(msg, "From") or [""])[0]
    if P.DSN_SENDERS.search(sender) or P.DSN_DISPLAY_NAMES.search(header(msg, "From")):
        return f"sent by {header(msg, 'From').strip()!r}"
    if header(msg, "X-Failed-Recipients"):
        return "X-Failed-Recipients header"
    if header(msg, "X-MLServer") and P.DSN_LIST_ADMIN.search(sender):
        return f"mailing-list server error from {sender}"
    subject = header(msg, "Subject").strip()
    null_sender = header(msg, "Return-Path").strip() == "<>"
    machine = null_sender or bool(P.NO_REPLY.search(sender))
    dsn_subject = bool(P.DSN_SUBJECT.search(subject)) and not REPLY_PREFIX.match(subject)
    if dsn_subject and null_sender:
        return f"subject {subject!r} from the null sender"
    if (machine or dsn_subject) and _has_part(msg, "message/rfc822", "text/rfc822-headers"):
        return f"returns an attached message (subject {subject!r}, sender {sender or 'none'})"
    return ""


def esp_notification(msg: Message) -> tuple[str, list[str]]:
    """An Amazon SES notification relayed by SNS e-mail: its type and the addresses it names."""
    if not P.ESP_NOTIFIER.search((addresses_in(msg, "From") or [""])[0]):
        return "", []
    try:
        body = decode_part(next(p for p, ctype in _parts(msg) if ctype == "text/plain"))
        start = body.index("{")
        data, _ = json.JSONDecoder(strict=False).raw_decode(body[start:])  # SNS mail wraps long lines
        if isinstance(data.get("Message"), str):
            data = json.loads(data["Message"], strict=False)
    except (StopIteration, ValueError, AttributeError):
        return "", []
    kind = str(data.get("notificationType") or data.get("eventType") or "")
    if kind == "Complaint":
        people = data.get("complaint", {}).get("complainedRecipients", [])
        return kind, [str(p.get("emailAddress", "")) for p in people if isinstance(p, dict)]
    return kind, []


def auto_reply_evidence(msg: Message) -> str:
    """Why this is an automatic reply (RFC 3834 headers, vendor headers, OOO subjects), or "".
    `Precedence: bulk|junk` is weaker: see `bulk_evidence`."""
    if header(msg, "X-Apple-Unsubscribe").strip().lower() == "true":
        return ""  # Apple Mail's unsubscribe button: marked auto-submitted, but a person's request
    auto = header(msg, "Auto-Submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress-Reply"):
        if header(msg, name):
            return f"{name} header"
    precedence = header(msg, "Precedence").strip().lower()
    if precedence == "auto_reply":
        return f"Precedence: {precedence}"
    subject = header(msg, "Subject").strip()
    if P.AUTO_SUBJECT.search(subject_of(msg)[0]) or P.AUTO_SUBJECT.search(subject):
        return f"out-of-office subject {subject!r}"
    if msg.get_content_type() == "multipart/report" and _report_type(msg) == "disposition-notification":
        return "read receipt (RFC 8098 disposition notification)"
    return ""


def bulk_evidence(msg: Message) -> str:
    """`Precedence: bulk|junk`, or "". Lists and newsletters send it, but so does a list that
    relays a person's "unsubscribe": it makes a message an auto-reply only when its text
    holds no person's request (see `classify`)."""
    precedence = header(msg, "Precedence").strip().lower()
    return f"Precedence: {precedence}" if precedence in ("bulk", "junk") else ""


def relayed(msg: Message) -> bool:
    """Sent by a mailing list, a group alias or a bulk sender (Precedence: bulk|junk|list or
    a List-* header): its text may carry the list's footer and a newsletter's link words."""
    return header(msg, "Precedence").strip().lower() in ("bulk", "junk", "list") or any(header(msg, h) for h in LIST_HEADERS)


def feedback_type(msg: Message) -> str:
    for part, ctype in _parts(msg):
        if ctype == "message/feedback-report":
            value = _report_fields(part).get("Feedback-Type")
            if value:
                return str(value).strip().lower()
    return "feedback"
