"""The marks a marketing sender leaves on its mail: newsletters and spam that reach support@
carry an unsubscribe footer whose words ("Darme de baja de esta lista", "Wenn Sie unsere
E-Mails nicht mehr erhalten möchten…") are instructions to their own readers, never a
request from their sender. Mail a discussion list relays for a person (List-Post, "via"
From, X-Original-From, a list server's Sender) carries none of these marks: it is read for
the person's own request. Pure: a parsed message in, the marks found out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from pipeline.channels.mail.memo import kept
from pipeline.channels.mail.text import decode_part, own_parts

# Headers only bulk senders set: RFC 8058 one-click unsubscribe and the ESPs' own (Mailchimp,
# SendGrid, Mailgun, Brevo/Sendinblue, Mailjet, Constant Contact, HubSpot, Salesforce, Klaviyo,
# phpList, Amazon SES campaign tags).
ESP_HEADERS = re.compile(
    r"(?i)^(list-unsubscribe-post|x-mc-user|x-mailchimp-\S+|x-campaign(id|-id|_id)?|x-campaignid|x-sg-eid|x-sg-id|x-mailgun-(sid|tag|campaign-id)"
    r"|x-mailin-(campaign|client)|x-sib-id|x-mj-mid|x-mailjet-campaign|x-roving-(id|campaignid)|x-hs-cid|x-sfmc-stack"
    r"|x-kmail-\S+|x-listmember|x-ses-configuration-set|x-newsletter|x-mailer-recptid|x-emarsys-\S+|x-csa-complaints)$"
)
BULK_MAILERS = re.compile(
    r"(?i)\b(mailchimp|phplist|sendinblue|brevo|mailpoet|acumbamail|mailrelay|sendy|mailerlite|newsletter|campaign monitor"
    r"|emarsys|cleverreach|rapidmail|getresponse|activecampaign|klaviyo|hubspot|mass ?mail|bulk ?mail)\b"
)
# A discussion list relaying a person's post: its headers and its servers.
LIST_SERVER_HEADERS = ("List-Post", "X-Original-From", "X-Mailman-Version", "X-BeenThere", "Mailing-List", "X-Loop", "X-Sequence")
LIST_SERVER_ADDRESS = re.compile(
    r"(?i)-(request|leave|bounces|owner|admin)(\+[^@>]*)?@|\+unsubscribe@|\b(sympa|listserv|majordomo|mailman|ezmlm)@"
    r"|/mailman/|/listinfo/|groups\.google\.com|/lists?/|lists\."
)
VIA_LIST = re.compile(r"(?i)\bvia\b[^<@]*<")
URL = re.compile(r"(?i)\bhttps?://[^\s<>\"')]+")
TRACKING_URL = re.compile(
    r"(?i)[?&](utm_[a-z]+|mc_cid|mc_eid|_hsenc|trk|tracking_id|cid)=|/(click|track|tracking|trk|ls/click|wf/click|e/c|c/e|redirect|r)/"
    r"|list-manage\.com|mailchi\.mp|sendgrid\.net|mailgun\.org|sendibt\d*\.com|mjt\.lu|exacttarget|hubspotlinks|ct\.sendgrid"
    r"|/[a-z0-9_-]{32,}"
)
TRACKING_PIXEL = re.compile(r"(?is)<img\b[^>]*\b(width=[\"']?1[\"'\s>]|height=[\"']?1[\"'\s>]|width:\s*1px|display:\s*none)")
LAYOUT_TAG = re.compile(r"(?i)<(table|td)\b")


@dataclass(frozen=True)
class Marks:
    """A marketing sender's marks: `strong` ones make a message bulk mail outright, `weak`
    ones only two together and only when its text asks nothing of its own."""

    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.strong or len(self.weak) >= 2)

    def describe(self) -> str:
        return ", ".join((*self.strong, *self.weak))


def _raw(msg: Message, name: str) -> str:
    """`msg.get(name)` as text, "" when missing; remembered per message, since the marks ask
    for the same headers several times."""
    seen: dict[str, str] = kept(msg, "_optout_raw_headers", dict)
    key = name.lower()
    if key not in seen:
        value = msg.get(name)
        seen[key] = "" if value is None else str(value)
    return seen[key]


def relayed_by_a_discussion_list(msg: Message) -> bool:
    """A post a list server relays for a person: Mailman, Google Groups, Sympa and LISTSERV
    leave their headers, or rewrite From to "Jane via Users <users@…>"."""
    if any(_raw(msg, h) for h in LIST_SERVER_HEADERS) or VIA_LIST.search(_raw(msg, "From")):
        return True
    unsubscribe = _raw(msg, "List-Unsubscribe") + " " + _raw(msg, "Sender")
    return bool(LIST_SERVER_ADDRESS.search(unsubscribe))


def header_marks(msg: Message) -> Marks:
    """Marks in the headers: an ESP's or RFC 8058's headers, a web List-Unsubscribe, a bulk
    mailer; weaker, a mailto-only List-Unsubscribe, Precedence bulk|junk, Feedback-ID. Found
    once per message (`classify` asks before and after reading the text)."""
    return kept(msg, "_optout_header_marks", lambda: _header_marks(msg))


def _header_marks(msg: Message) -> Marks:
    if _raw(msg, "X-Apple-Unsubscribe").strip().lower() == "true" or relayed_by_a_discussion_list(msg):
        return Marks()  # a person's unsubscribe button, or a list relaying a person's post
    strong: list[str] = []
    weak: list[str] = []
    esp = sorted({k for k in msg.keys() if ESP_HEADERS.match(k)}, key=str.lower)
    if esp:
        strong.append("bulk sender's headers " + ", ".join(esp[:3]))
    unsubscribe = _raw(msg, "List-Unsubscribe")
    if re.search(r"(?i)<\s*https?://", unsubscribe):
        strong.append("List-Unsubscribe pointing at a web address")
    elif unsubscribe.strip():
        weak.append("List-Unsubscribe")
    mailer = _raw(msg, "X-Mailer") + " " + _raw(msg, "User-Agent")
    if BULK_MAILERS.search(mailer):
        strong.append(f"sent with {mailer.strip()[:60]!r}")
    if _raw(msg, "Precedence").strip().lower() in ("bulk", "junk"):
        weak.append(f"Precedence: {_raw(msg, 'Precedence').strip().lower()}")
    if _raw(msg, "Feedback-ID"):
        weak.append("Feedback-ID")
    return Marks(tuple(strong), tuple(weak))


def content_marks(msg: Message) -> tuple[str, ...]:
    """Marks in the body: a templated HTML layout, a tracking pixel, tracking links. Not
    looked for in replies and forwards: they quote a newsletter's HTML as it was."""
    found: list[str] = []
    html = "".join(decode_part(p)[:400_000] for p in own_parts(msg) if p.get_content_type() == "text/html")
    if len(LAYOUT_TAG.findall(html)) >= 4:
        found.append("templated HTML")
    if TRACKING_PIXEL.search(html):
        found.append("a tracking pixel")
    text = html + "".join(decode_part(p)[:200_000] for p in own_parts(msg) if p.get_content_type() == "text/plain")
    tracked = (url for url in URL.finditer(text) if TRACKING_URL.search(url.group(0)))
    if next(tracked, None) and next(tracked, None):  # two are enough: a spam may hold thousands
        found.append("tracking links")
    return tuple(found)


def marks(msg: Message, *, replied: bool, footer: bool) -> Marks:
    """Every mark of a marketing sender on `msg`; `footer` says its own text holds a reader's
    unsubscribe instruction. A reply or forward (`replied`) counts only its headers."""
    head = header_marks(msg)
    if replied or relayed_by_a_discussion_list(msg) or _raw(msg, "X-Apple-Unsubscribe").strip().lower() == "true":
        return head
    body = content_marks(msg) + (("an unsubscribe footer",) if footer else ())
    return Marks(head.strong, head.weak + body)
