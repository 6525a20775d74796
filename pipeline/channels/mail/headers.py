"""A message's headers as the classifier reads them: decoded text, the subject without reply
prefixes and list tags, and the addresses a header names (SPEC §2.2)."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

from pipeline.channels.mail.memo import kept
from pipeline.channels.mail.text import decode_bytes

# Reply and forward prefixes in the languages mail clients write them ("RE :", "Réf :", "AW:",
# "WG:", "TR:", "RV:", "Fw:", "Re[2]:"), and list tags ("[users]", "(list)") in front of a subject.
REPLY_PREFIX = re.compile(r"(?i)^\s*((re|fwd?|aw|wg|tr|rv|res|enc|antw|sv|vs|r[ée]f)\s*(\[\d+\])?\s*:\s*)+")
LIST_TAG = re.compile(r"^\s*(\[[^\[\]]{1,60}\]|\([^()]{1,40}\))\s*")
# `Name <a@b>` or `a@b` with no quotes, commas, comments or groups; anything else gets getaddresses.
SIMPLE_ADDRESS = re.compile(
    r"^\s*(?:[^\"<>,;:()@\\]*<([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+)>|([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+))\s*$"
)
VIA_LIST = re.compile(r"(?i)\bvia\b[^<@]*<")  # "Jane Roe via Users <users@lists.example.org>"


def header(msg: Message, name: str) -> str:
    """A header's text, unfolded, encoded-words decoded, raw 8-bit read as UTF-8; "" when missing.
    Decoded once per message: the rules read the same few headers many times."""
    decoded: dict[str, str] = kept(msg, "_optout_decoded_headers", dict)
    key = name.lower()
    text = decoded.get(key)
    if text is None:
        value = _header_index(msg).get(key)
        text = decoded[key] = "" if value is None else decode_header_text(value)
    return text


def _header_index(msg: Message) -> dict[str, str]:
    """The first raw value of each header, by lower-case name, built once per message (the
    rules ask for the same few headers many times)."""
    return kept(msg, "_optout_header_index", lambda: _first_values(msg))


def _first_values(msg: Message) -> dict[str, str]:
    index: dict[str, str] = {}
    for key, value in msg.raw_items():
        index.setdefault(key.lower(), str(value))
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
    """Addresses in the named headers (display names are not decoded: only addresses matter);
    found once per message and names (the rules ask for From again and again)."""
    seen: dict[tuple[str, ...], list[str]] = kept(msg, "_optout_addresses", dict)
    found = seen.get(names)
    if found is None:
        found = seen[names] = _addresses_in(msg, names)
    return list(found)


def _addresses_in(msg: Message, names: tuple[str, ...]) -> list[str]:
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
