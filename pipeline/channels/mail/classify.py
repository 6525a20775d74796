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

from pipeline.channels.mail import bulk as B
from pipeline.channels.mail import phrases as P
from pipeline.channels.mail.text import OwnText, decode_bytes, decode_part, own_text
from pipeline.core.addresses import try_parse

ADDRESS_IN_TEXT = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# Reply and forward prefixes in the languages mail clients write them ("RE :", "Réf :", "AW:",
# "WG:", "TR:", "RV:", "Fw:", "Re[2]:"), and list tags ("[users]", "(list)") in front of a subject.
REPLY_PREFIX = re.compile(r"(?i)^\s*((re|fwd?|aw|wg|tr|rv|res|enc|antw|sv|vs|r[ée]f)\s*(\[\d+\])?\s*:\s*)+")
LIST_TAG = re.compile(r"^\s*(\[[^\[\]]{1,60}\]|\([^()]{1,40}\))\s*")
OWN_TEXT_KEPT = 4000  # characters of the decoded own text kept with the record, for operators

# `Name <a@b>` or `a@b` with no quotes, commas, comments or groups; anything else gets getaddresses.
SIMPLE_ADDRESS = re.compile(
    r"^\s*(?:[^\"<>,;:()@\\]*<([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+)>|([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+))\s*$"
)
SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n")
NAME_LINE = re.compile(r"[^\W\d_][\w.'-]*( [^\W\d_][\w.'-]*){0,3}")  # "Jane", "J. Roe": a signature without a sign-off
VIA_LIST = re.compile(r"(?i)\bvia\b[^<@]*<")  # "Jane Roe via Users <users@lists.example.org>"
LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post", "Mailing-List", "X-Mailing-List")


@dataclass(frozen=True)
class Verdict:
    """What a message is. `kind` is one of: complaint, complaint_unclear, bounce, auto_reply,
    bulk_mail, unsubscribe_mailbox, optout, keep, unclear, cancel_account, not_optout, unparseable."""

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
    """A raw header value unfolded (any line ending) and its encoded-words decoded; raw 8-bit
    text and an encoded-word in an unknown or wrong charset are read as UTF-8, else
    Windows-1252, else Latin-1 (a client that never encoded "Désabonnement")."""
    text = decode_bytes(raw.encode("utf-8", "surrogateescape"))
    text = re.sub(r"(\r\n|\r|\n)[ \t]*", " ", text).strip()
    if "=?" not in text:
        return text
    try:
        chunks = decode_header(text)
    except Exception:  # a broken encoded-word (bad base64): keep it as written
        return text
    for fallback in ("", "utf-8", "latin-1"):
        try:
            return str(make_header([(b, fallback or c) if isinstance(b, bytes) and c else (b, c) for b, c in chunks]))
        except (ValueError, LookupError, UnicodeError):
            continue
    return text


def subject_of(msg: Message) -> tuple[str, bool]:
    """The subject without its reply/forward prefixes and list tags, in any order and
    repeated ("Re: [users] AW: unsubscribe"), and whether it had a reply/forward prefix."""
    subject = header(msg, "Subject").strip()
    replied = False
    while True:
        prefix = REPLY_PREFIX.match(subject)
        tag = LIST_TAG.match(subject)
        if prefix and prefix.end():
            subject, replied = subject[prefix.end() :], True
        elif tag and tag.end():
            subject = subject[tag.end() :]
        else:
            return subject.strip(), replied


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
    """From, and Reply-To when it differs (mailing lists rewrite From for DMARC: "Jane via
    Users <users@lists…>" with the person in Reply-To). When such a list keeps Reply-To for
    itself, the person is in X-Original-From (Google Groups, Mailman)."""
    found: list[str] = []
    candidates = addresses_in(msg, "From") + addresses_in(msg, "Reply-To")
    if VIA_LIST.search(header(msg, "From")) and {a.lower() for a in candidates} <= {a.lower() for a in addresses_in(msg, "From")}:
        candidates += addresses_in(msg, "X-Original-From")
    for addr in candidates:
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


# ----------------------------------------------------------------------- the text
@dataclass
class TextFindings:
    optout: list[tuple[str, str, str]] = field(default_factory=list)  # (language, phrase, sentence)
    keep: list[tuple[str, str, str]] = field(default_factory=list)
    mention: list[str] = field(default_factory=list)
    cancel_account: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # addresses in paragraphs that ask to opt out
    demoted: list[str] = field(default_factory=list)  # bare commands that the rest of relayed mail leaves in doubt
    footer: list[str] = field(default_factory=list)  # a relaying list's or a newsletter's instructions


@dataclass(frozen=True)
class Sentence:
    """One sentence of the subject or own text and what it says: empty, greeting, address,
    name, command, optout, keep, mention, instruction, or other."""

    text: str
    kind: str
    hit: tuple[str, str] = ("", "")  # (language, matched phrase) for command, optout, keep
    cancel: bool = False  # asks to cancel the account
    topic: bool = False  # speaks of unsubscribing (an instruction may not: "Don't want these?")
    personal: bool = False  # in the first person singular ("remove me", "I want to…")


QUIET = frozenset({"empty", "greeting", "address"})  # what may stand around a bare command


def _first(table: dict[str, tuple[re.Pattern[str], ...]], sentence: str) -> tuple[str, str] | None:
    for lang in P.LANGUAGES:
        for pattern in table[lang]:
            m = pattern.search(sentence)
            if m:
                return lang, m.group(0)
    return None


def _is_instruction(s: str, *, relayed: bool) -> bool:
    """Tells the reader how to unsubscribe (a footer, a list server's notice). One anchored
    at the start ("If you no longer wish…") holds whoever writes it in relayed mail; in mail
    sent to us directly it gives way to a writer who says "I" ("If you don't stop sending me
    newsletters I will report you"). One elsewhere in the sentence gives way to any first
    person ("I clicked here to unsubscribe…"). A bar of links ("… [https://…] | …") is a
    footer's whatever its words."""
    if P.LINK_BAR.search(s):
        return True
    if _first(P.INSTRUCTION_LEAD_RE, s):
        return relayed or not P.FIRST_PERSON_SUBJECT_RE.search(s)
    return bool(_first(P.INSTRUCTION_ANYWHERE_RE, s)) and not P.FIRST_PERSON_RE.search(s)


def read_sentence(sentence: str, *, relayed: bool = False) -> Sentence:
    """What one sentence says. A KEEP phrase wins over an opt-out phrase; a question about
    what an opt-out would do is only a mention. An instruction to the reader ("To
    unsubscribe, click here", "Wenn Sie … nicht mehr …", "Pour ne plus recevoir…") is a
    footer's, never a request, in relayed mail and in mail sent to us directly alike (spam
    comes straight to support@); `_is_instruction` says who may still speak in one."""
    written = sentence.strip()
    folded = P.fix_spelling(P.fold(sentence)).strip()
    s = folded.strip(" .!?,;:-*\"'()¿¡")
    if not s:
        return Sentence(written, "empty")
    optout = _first(P.OPTOUT_RE, s)
    command = None if optout else _first(P.COMMAND_RE, s)  # a request in words counts anywhere: it goes first
    topic = bool(optout or command or P.MENTION_RE.search(s))
    if folded.endswith("?") and P.HEDGE_RE.search(s):
        return Sentence(written, "mention" if topic else "other")
    keep = _first(P.KEEP_RE, s)
    if keep:
        return Sentence(written, "keep", keep)
    cancel = bool(P.CANCEL_ACCOUNT_RE.search(s))
    if _is_instruction(s + "?" if folded.endswith("?") else s, relayed=relayed):
        return Sentence(written, "instruction", cancel=cancel, topic=topic or bool(P.RECEIVING_RE.search(s)))
    hit = optout or command
    if hit:
        return Sentence(written, "optout" if optout else "command", hit, cancel, topic, bool(P.FIRST_PERSON_RE.search(s)))
    if topic:
        return Sentence(written, "mention", cancel=cancel)
    if P.GREETING_LINE_RE.match(s):
        return Sentence(written, "greeting")
    if ADDRESS_IN_TEXT.fullmatch(s):
        return Sentence(written, "address")
    if NAME_LINE.fullmatch(written):
        return Sentence(written, "name", cancel=cancel)
    return Sentence(written, "other", cancel=cancel)


@dataclass(frozen=True)
class Body:
    """The own text's paragraphs, read; and how much of it is more than a bare command."""

    paragraphs: list[tuple[str, list[Sentence]]]
    footer: frozenset[int]  # paragraphs that are a relaying list's or a newsletter's footer
    quiet: bool  # nothing but greetings, addresses and a name
    only_commands: bool  # bare commands with nothing but greetings, addresses and a name around them


def _is_footer(sentences: list[Sentence]) -> bool:
    """A paragraph that tells the reader how to unsubscribe, or a command word standing next
    to an instruction ("Don't want these? Unsubscribe."): a footer and its link."""
    instructions = [s for s in sentences if s.kind == "instruction"]
    return any(s.topic for s in instructions) or (bool(instructions) and any(s.kind == "command" for s in sentences))


def read_in(text: str, *, relayed: bool, bulk: bool) -> list[Sentence]:
    """The sentences of a paragraph. In bulk mail an impersonal request ("Unsubscribe from
    this newsletter", a newsletter's link words as often as a person's) weighs as a command."""
    sentences = [read_sentence(x, relayed=relayed) for x in SENTENCE.split(text)]
    return [replace(s, kind="command") if bulk and s.kind == "optout" and not s.personal else s for s in sentences]


def read_body(paragraphs: list[str], *, relayed: bool, bulk: bool = False) -> Body:
    read = [(p, read_in(p, relayed=relayed, bulk=bulk)) for p in paragraphs]
    footer = frozenset(i for i, (_, ss) in enumerate(read) if _is_footer(ss))
    said = [s for i, (_, ss) in enumerate(read) if i not in footer for s in ss if s.kind != "empty"]
    if said and said[-1].kind == "name":  # "Hi,\n\nunsubscribe\n\nJane": a signature without a sign-off
        said = said[:-1]
    quiet = all(s.kind in QUIET for s in said)
    only_commands = any(s.kind == "command" for s in said) and all(s.kind in QUIET or s.kind == "command" for s in said)
    return Body(read, footer, quiet, only_commands)


def analyse_text(subject: str, paragraphs: list[str], *, replied: bool = False, relayed: bool = False, bulk: bool = False) -> TextFindings:
    """Sentence by sentence over the subject and the own text's paragraphs.

    A bare command ("unsubscribe", "unsubscribe users me@x") counts wherever it stands in mail
    a person sent us directly. In relayed mail (a list, a group alias, bulk mail) a list's
    footer paragraphs are set aside, and a bare command in the body counts only when it is all
    the body says (newsletters end in "Don't want these? Unsubscribe"); a command subject of
    bulk mail likewise needs a body that says nothing else, and there a request that names
    no person ("Unsubscribe from this newsletter") weighs as a command. Commands in doubt go
    to review.
    A reply's or forward's subject is someone else's, unless the body is empty or only a
    command: then "Re: unsubscribe" is the person's own subject-only request."""
    body = read_body(paragraphs, relayed=relayed, bulk=bulk)
    found = TextFindings()
    if subject and (not replied or body.quiet or body.only_commands):
        sentences = read_in(subject, relayed=relayed, bulk=bulk)
        if replied:  # someone else's subject: only a request (or its refusal) can be the person's
            sentences = [s for s in sentences if s.kind in ("optout", "command", "keep")]
        _collect(found, subject, sentences, commands_count=not bulk or body.quiet or body.only_commands, relayed=relayed)
    for i, (paragraph, sentences) in enumerate(body.paragraphs):
        if i in body.footer:
            found.footer.extend(s.text for s in sentences if s.kind == "instruction" and s.topic)
            sentences = [s for s in sentences if s.kind not in ("instruction", "command")]
        _collect(found, paragraph, sentences, commands_count=not relayed or body.only_commands, relayed=relayed)
    return found


def _collect(found: TextFindings, paragraph: str, sentences: list[Sentence], *, commands_count: bool, relayed: bool) -> None:
    asks = False
    for s in sentences:
        command = s.kind == "command" and not (relayed and s.text.endswith("?"))
        if s.kind == "keep":
            found.keep.append((*s.hit, s.text))
        elif s.kind == "optout" or (command and commands_count):
            found.optout.append((*s.hit, s.text))
            asks = True
        elif command:
            found.demoted.append(s.text)
        elif s.kind in ("mention", "command") or (s.kind == "instruction" and s.topic):
            found.mention.append(s.text)
        if s.cancel:
            found.cancel_account.append(s.text)
    if asks:
        found.named.extend(ADDRESS_IN_TEXT.findall(paragraph))


def text_parts(msg: Message, own: OwnText) -> tuple[str, bool, list[str]]:
    """The subject without prefixes and list tags, whether it is a reply's or forward's
    (someone else's: "Re: October deals" is our newsletter's), and the body's paragraphs."""
    subject, replied = subject_of(msg)
    return subject, replied, [p for p in re.split(r"\n\s*\n", own.text) if p.strip()]


def _quote(items: list[tuple[str, str, str]]) -> str:
    distinct = dict.fromkeys((lang, sentence[:120]) for lang, _, sentence in items)  # a subject the body repeats, once
    return "; ".join(f"({lang}) «{sentence}»" for lang, sentence in list(distinct)[:3])


def classify_text(msg: Message, own: OwnText, mailbox_addresses: Iterable[str] = ()) -> Verdict:
    found = text_findings(msg, own)
    return replace(text_verdict(msg, own, found, mailbox_addresses), text=own.text[:OWN_TEXT_KEPT])


def text_findings(msg: Message, own: OwnText) -> TextFindings:
    subject, replied, paragraphs = text_parts(msg, own)
    return analyse_text(subject, paragraphs, replied=replied, relayed=relayed(msg), bulk=bool(bulk_evidence(msg)))


def _not_people(msg: Message, mailbox_addresses: Iterable[str]) -> set[str]:
    """Addresses named in a request that are not people to opt out: the mailbox's own, the
    relaying list's (List-Post, List-Unsubscribe, Sender) and list servers' robots."""
    listed = " ".join(header(msg, h) for h in ("List-Post", "List-Unsubscribe", "List-Subscribe", "List-Help", "List-Owner", "Sender"))
    return {a.lower() for a in mailbox_addresses} | {a.lower() for a in ADDRESS_IN_TEXT.findall(listed)}


def text_verdict(msg: Message, own: OwnText, found: TextFindings, mailbox_addresses: Iterable[str]) -> Verdict:
    if found.optout and found.keep:
        return Verdict("unclear", f"asks to opt out {_quote(found.optout)} and not to {_quote(found.keep)}")
    if found.optout:
        skip = _not_people(msg, mailbox_addresses)
        named = [a for a in dict.fromkeys(found.named) if a.lower() not in skip and not P.LIST_ROBOT.search(a)]
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
    if found.demoted:
        return Verdict(
            "unclear",
            f"a bare unsubscribe command («{found.demoted[0][:120]}») in mail relayed by a list or sent in bulk that says more"
            " besides: a person decides",
        )
    if found.mention:
        return Verdict("unclear", "mentions unsubscribing without a clear request: " + "; ".join(f"«{s[:120]}»" for s in found.mention[:3]))
    if found.cancel_account:
        return Verdict(
            "cancel_account",
            f"asks to cancel the account («{found.cancel_account[0][:120]}»): support@ does not take cancellations, cancel@ does",
        )
    footer = f"; only the list's or newsletter's footer mentions unsubscribing («{found.footer[0][:120]}»)" if found.footer else ""
    if not own.text.strip():
        quoted = " (its quoted or forwarded text mentions unsubscribing)" if P.MENTION_RE.search(P.fold(own.removed)) else ""
        return Verdict("not_optout", f"no text of its own{quoted}")
    quoted = (
        "; only quoted text, a signature, a disclaimer or a list's footer mentions unsubscribing"
        if P.MENTION_RE.search(P.fold(own.removed))
        else ""
    )
    return Verdict("not_optout", f"does not ask to opt out{footer or quoted}")


def classify(msg: Message, unsubscribe_mailboxes: Iterable[str] = ()) -> Verdict:
    """SPEC §2.2 in its order: ARF, delivery status, auto-reply, unsubscribe mailbox, text.
    `Precedence: bulk|junk` alone is an auto-reply only when the text holds no person's
    request: lists relay people's "unsubscribe" with it."""
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
    bulk = bulk_evidence(msg)
    sender = (addresses_in(msg, "From") or [""])[0]
    if bulk and (P.NO_REPLY.search(sender) or P.LIST_SERVER_SENDER.search(sender)):
        return Verdict("auto_reply", f"automatic reply ({bulk} from {sender})")
    marks = B.header_marks(msg)
    if marks.strong:
        return Verdict("bulk_mail", f"bulk mail from a marketing sender ({marks.describe()}): its words to its readers are no request")
    mailbox = _unsubscribe_mailbox(msg, unsubscribe_mailboxes)
    if mailbox and not bulk:
        return Verdict("unsubscribe_mailbox", f"sent to the unsubscribe mailbox {mailbox}", tuple(senders(msg)))
    own = own_text(msg)
    found = text_findings(msg, own)
    recipients = addresses_in(msg, "To", "Cc", "Delivered-To", "X-Original-To")
    verdict = replace(text_verdict(msg, own, found, recipients), text=own.text[:OWN_TEXT_KEPT])
    marks = B.marks(msg, replied=_replied(msg), footer=bool(found.footer))
    if marks and verdict.kind != "optout":
        footer = f"; its footer: «{found.footer[0][:120]}»" if found.footer else ""
        return replace(
            verdict,
            kind="bulk_mail",
            details=f"bulk mail from a marketing sender ({marks.describe()}): its words to its readers are no request{footer}",
        )
    if bulk and verdict.kind != "optout" and not found.demoted:
        return Verdict("auto_reply", f"automatic reply ({bulk}; its text asks nothing of its own)")
    if bulk and mailbox and verdict.kind == "optout":
        return replace(
            verdict, kind="unsubscribe_mailbox", details=f"sent to the unsubscribe mailbox {mailbox} ({bulk}): " + verdict.details
        )
    return verdict


def _replied(msg: Message) -> bool:
    """A reply or forward: it quotes someone else's message (a newsletter's HTML) as it was."""
    return bool(header(msg, "In-Reply-To") or header(msg, "References") or REPLY_PREFIX.match(header(msg, "Subject")))


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
