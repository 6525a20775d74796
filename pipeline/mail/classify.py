"""Classifying one message under SPEC §2.2, rules in SPEC's order: ARF complaint, delivery
status notification, auto-reply, dedicated unsubscribe mailbox, then the sender's own text.
Pure: a parsed message (and the mailbox keys) in, a `Verdict` with its reason in words out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from email.header import decode_header, make_header
from email.message import Message
from email.parser import Parser
from email.utils import getaddresses

from pipeline.addresses import try_parse
from pipeline.mail import phrases as P
from pipeline.mail.text import OwnText, decode_part, own_text

ADDRESS_IN_TEXT = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
REPLY_PREFIX = re.compile(r"(?i)^\s*((re|fwd?|aw|wg|tr|rv|res|enc|antw|sv|vs)\s*(\[\d+\])?\s*:\s*)+")
OWN_TEXT_KEPT = 4000  # characters of the decoded own text kept with the record, for operators

# `Name <a@b>` or `a@b` with no quotes, commas, comments or groups; anything else gets getaddresses.
SIMPLE_ADDRESS = re.compile(
    r"^\s*(?:[^\"<>,;:()@\\]*<([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+)>|([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+))\s*$"
)
SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n")


@dataclass(frozen=True)
class Verdict:
    """What a message is. `kind` is one of: complaint, complaint_unclear, bounce, auto_reply,
    unsubscribe_mailbox, optout, keep, unclear, cancel_account, not_optout, unparseable."""

    kind: str
    details: str
    addresses: tuple[str, ...] = ()  # who the opt-out is for (senders, then named in the text)
    language: str = ""
    matched: tuple[str, ...] = field(default_factory=tuple)
    text: str = ""  # the own text the decision read (decoded, quotes and signature removed)


# ---------------------------------------------------------------- headers and parts
def header(msg: Message, name: str) -> str:
    """A header's text, unfolded, encoded-words decoded, raw 8-bit read as UTF-8; "" when missing."""
    value = _header_index(msg).get(name.lower())
    return "" if value is None else decode_header_text(value)


def _header_index(msg: Message) -> dict[str, str]:
    """The first raw value of each header, by lower-case name, built once per message (the
    rules ask for the same few headers many times)."""
    index: dict[str, str] | None = getattr(msg, "_optout_header_index", None)
    if index is None:
        index = {}
        for key, value in msg.raw_items():
            index.setdefault(key.lower(), str(value))
        msg._optout_header_index = index  # type: ignore[attr-defined]
    return index


def decode_header_text(raw: str) -> str:
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = re.sub(r"\r?\n[ \t]+", " ", text).strip()
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError):  # a broken encoded-word: keep it as written
        return text


def addresses_in(msg: Message, *names: str) -> list[str]:
    """Addresses in the named headers (display names are not decoded: only addresses matter)."""
    wanted = {n.lower() for n in names}
    found: list[str] = []
    for key, value in msg.raw_items():
        if key.lower() in wanted:
            text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            simple = SIMPLE_ADDRESS.match(text)
            if simple:  # most headers hold one plain address: skip the full RFC 5322 parser
                found.append(simple.group(1) or simple.group(2))
            else:
                found.extend(addr for _, addr in getaddresses([text]) if "@" in addr)
    return found


def senders(msg: Message) -> list[str]:
    """From, and Reply-To when it differs (mailing lists rewrite From for DMARC)."""
    found: list[str] = []
    for addr in addresses_in(msg, "From") + addresses_in(msg, "Reply-To"):
        if addr.lower() not in (a.lower() for a in found):
            found.append(addr)
    return found


def _parts(msg: Message) -> list[tuple[Message, str]]:
    """Every part with its content type, computed once per message (several rules look)."""
    parts: list[tuple[Message, str]] | None = getattr(msg, "_optout_parts", None)
    if parts is None:
        try:
            parts = [(part, part.get_content_type()) for part in msg.walk()]
        except Exception:  # a structure too broken to walk: the top level is all there is
            parts = [(msg, msg.get_content_type())]
        msg._optout_parts = parts  # type: ignore[attr-defined]
    return parts


def _report_type(msg: Message) -> str:
    return (msg.get_param("report-type", "", header="content-type") or "").__str__().lower()  # type: ignore[union-attr]


def _has_part(msg: Message, *types: str) -> bool:
    return any(ctype in types for _, ctype in _parts(msg))


# -------------------------------------------------------------------------- ARF
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


# -------------------------------------------------------------------- DSN, auto-reply
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
    if dsn_subject and (null_sender or not header(msg, "Return-Path")):
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
    """Why this is an automatic reply (RFC 3834 headers, vendor headers, OOO subjects), or ""."""
    if header(msg, "X-Apple-Unsubscribe").strip().lower() == "true":
        return ""  # Apple Mail's unsubscribe button: marked auto-submitted, but a person's request
    auto = header(msg, "Auto-Submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress-Reply"):
        if header(msg, name):
            return f"{name} header"
    precedence = header(msg, "Precedence").strip().lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    subject = header(msg, "Subject").strip()
    if P.AUTO_SUBJECT.search(REPLY_PREFIX.sub("", subject)) or P.AUTO_SUBJECT.search(subject):
        return f"out-of-office subject {subject!r}"
    if msg.get_content_type() == "multipart/report" and _report_type(msg) == "disposition-notification":
        return "read receipt (RFC 8098 disposition notification)"
    return ""


# ----------------------------------------------------------------------- the text
@dataclass
class TextFindings:
    optout: list[tuple[str, str, str]] = field(default_factory=list)  # (language, phrase, sentence)
    keep: list[tuple[str, str, str]] = field(default_factory=list)
    mention: list[str] = field(default_factory=list)
    cancel_account: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # addresses in paragraphs that ask to opt out


def _first(table: dict[str, tuple[re.Pattern[str], ...]], sentence: str) -> tuple[str, str] | None:
    for lang in P.LANGUAGES:
        for pattern in table[lang]:
            m = pattern.search(sentence)
            if m:
                return lang, m.group(0)
    return None


def analyse_text(paragraphs: Iterable[str]) -> TextFindings:
    """Sentence by sentence: a KEEP phrase wins over an opt-out phrase in the same sentence."""
    found = TextFindings()
    for paragraph in paragraphs:
        asks = False
        for sentence in SENTENCE.split(paragraph):
            folded = P.fold(sentence).strip()
            s = folded.strip(" .!?,;:-*\"'()¿¡")
            if not s:
                continue
            if folded.endswith("?") and P.HEDGE_RE.search(s):
                if P.MENTION_RE.search(s) or _first(P.OPTOUT_RE, s):
                    found.mention.append(sentence.strip())
                continue
            keep = _first(P.KEEP_RE, s)
            if keep:
                found.keep.append((*keep, sentence.strip()))
                continue
            hit = _first(P.OPTOUT_RE, s)
            if hit:
                found.optout.append((*hit, sentence.strip()))
                asks = True
            elif P.MENTION_RE.search(s):
                found.mention.append(sentence.strip())
            if P.CANCEL_ACCOUNT_RE.search(s):
                found.cancel_account.append(sentence.strip())
        if asks:
            found.named.extend(ADDRESS_IN_TEXT.findall(paragraph))
    return found


def text_paragraphs(msg: Message, own: OwnText) -> list[str]:
    """The subject (unless it is a reply's or forward's, which is someone else's) and the
    body's paragraphs."""
    subject = header(msg, "Subject").strip()
    parts = [] if not subject or REPLY_PREFIX.match(subject) else [subject]
    return parts + [p for p in re.split(r"\n\s*\n", own.text) if p.strip()]


def _quote(items: list[tuple[str, str, str]]) -> str:
    return "; ".join(f"({lang}) «{sentence[:120]}»" for lang, _, sentence in items[:3])


def classify_text(msg: Message, own: OwnText, mailbox_addresses: Iterable[str] = ()) -> Verdict:
    verdict = _text_verdict(msg, own, mailbox_addresses)
    return replace(verdict, text=own.text[:OWN_TEXT_KEPT])


def _text_verdict(msg: Message, own: OwnText, mailbox_addresses: Iterable[str]) -> Verdict:
    found = analyse_text(text_paragraphs(msg, own))
    if found.optout and found.keep:
        return Verdict("unclear", f"asks to opt out {_quote(found.optout)} and not to {_quote(found.keep)}")
    if found.optout:
        mailbox = {a.lower() for a in mailbox_addresses}
        named = [a for a in dict.fromkeys(found.named) if a.lower() not in mailbox]
        extra = f"; also names {', '.join(named)}" if named else ""
        return Verdict(
            "optout",
            f"asks to opt out: {_quote(found.optout)}{extra}",
            tuple(senders(msg)) + tuple(named),
            found.optout[0][0],
            tuple(m for _, m, _ in found.optout),
        )
    if found.keep:
        return Verdict("keep", f"asks NOT to be unsubscribed: {_quote(found.keep)}", language=found.keep[0][0])
    if found.mention:
        return Verdict("unclear", "mentions unsubscribing without a clear request: " + "; ".join(f"«{s[:120]}»" for s in found.mention[:3]))
    if found.cancel_account:
        return Verdict(
            "cancel_account",
            f"asks to cancel the account («{found.cancel_account[0][:120]}»): support@ does not take cancellations, cancel@ does",
        )
    if not own.text.strip():
        quoted = " (its quoted or forwarded text mentions unsubscribing)" if P.MENTION_RE.search(P.fold(own.removed)) else ""
        return Verdict("not_optout", f"no text of its own{quoted}")
    quoted = "; only quoted text, a signature or a disclaimer mentions unsubscribing" if P.MENTION_RE.search(P.fold(own.removed)) else ""
    return Verdict("not_optout", f"does not ask to opt out{quoted}")


def classify(msg: Message, unsubscribe_mailboxes: Iterable[str] = ()) -> Verdict:
    """SPEC §2.2 in its order: ARF, delivery status, auto-reply, unsubscribe mailbox, text."""
    if is_arf(msg):
        recipients, where = complaint_recipients(msg)
        feedback = _feedback_type(msg)
        if recipients:
            return Verdict("complaint", f"ARF {feedback} report; complaining recipient from {where}", tuple(recipients))
        return Verdict("complaint_unclear", f"ARF {feedback} report that names no complaining recipient")
    esp_kind, esp_people = esp_notification(msg)
    if esp_kind == "Complaint" and esp_people:
        return Verdict("complaint", "Amazon SES complaint notification", tuple(esp_people))
    if esp_kind:
        return Verdict("bounce", f"Amazon SES {esp_kind} notification")
    dsn = dsn_evidence(msg)
    if dsn:
        return Verdict("bounce", f"delivery status notification ({dsn})")
    auto = auto_reply_evidence(msg)
    if auto:
        return Verdict("auto_reply", f"automatic reply ({auto})")
    mailbox = _unsubscribe_mailbox(msg, unsubscribe_mailboxes)
    if mailbox:
        return Verdict("unsubscribe_mailbox", f"sent to the unsubscribe mailbox {mailbox}", tuple(senders(msg)))
    recipients = addresses_in(msg, "To", "Cc", "Delivered-To", "X-Original-To")
    return classify_text(msg, own_text(msg), recipients)


def _feedback_type(msg: Message) -> str:
    for part, ctype in _parts(msg):
        if ctype == "message/feedback-report":
            value = _report_fields(part).get("Feedback-Type")
            if value:
                return str(value).strip().lower()
    return "feedback"


def _unsubscribe_mailbox(msg: Message, mailboxes: Iterable[str]) -> str:
    keys = {a.key for a in (try_parse(m) for m in mailboxes) if a is not None}
    if not keys:
        return ""
    for addr in addresses_in(msg, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        parsed = try_parse(addr)
        if parsed is not None and parsed.key in keys:
            return parsed.normalized
    return ""
