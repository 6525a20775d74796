"""A message's own new text (SPEC §2.2): the body decoded from any charset and transfer
encoding, HTML converted to text, then quoted replies, forwarded earlier messages,
signatures and disclaimers removed. Pure functions over `Message` and `str`."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser

from pipeline.channels.mail.memo import kept
from pipeline.channels.mail.phrases import (
    ATTRIBUTION,
    DISCLAIMER_START,
    FORWARD_MARKER,
    HEADER_BLOCK_FROM,
    HEADER_BLOCK_NEXT,
    LIST_FOOTER_NEXT,
    LIST_FOOTER_RULE,
    LIST_FOOTER_START,
    ORIGINAL_MESSAGE,
    SIGN_OFF,
)

MAX_BODY_CHARS = 200_000  # a 10 MB message is read, but only its head is classified


@dataclass(frozen=True)
class OwnText:
    """What the sender wrote in this message, and what was cut away (for the stored reason)."""

    text: str
    removed: str  # quoted, forwarded, signature and disclaimer text, kept for explanations
    source: str  # "text/plain", "text/html", or "" when the message has no text part


def decode_part(part: Message) -> str:
    """A leaf part's text in any charset and transfer encoding; undecodable bytes replaced.
    Decoded once per part: the body, the marks and the reports each ask for it."""
    return kept(part, "_optout_text", lambda: _decoded(part))


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "replace")
    return decode_bytes(payload, part.get_content_charset() or "utf-8")


def decode_bytes(data: bytes, *charsets: str) -> str:
    """`data` in the first of `charsets`, then UTF-8, then Windows-1252, that reads it whole;
    Latin-1 (every byte a character) when none does. Unknown charset names are passed over."""
    for charset in (*charsets, "utf-8", "windows-1252"):
        try:
            codecs.lookup(charset)
        except LookupError:  # an invalid or unknown charset name
            continue
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def body_text(msg: Message) -> tuple[str, str]:
    """The message's best text part: text/plain before text/html; attachments and attached
    messages (forwarded as attachments) are not the sender's own text."""
    plain: Message | None = None
    html: Message | None = None
    for part in own_parts(msg):
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    if plain is not None:
        text = decode_part(plain)
        if text.strip() or html is None:
            return text[:MAX_BODY_CHARS], "text/plain"
    if html is not None:
        return html_to_text(decode_part(html)[: MAX_BODY_CHARS * 4])[:MAX_BODY_CHARS], "text/html"
    return "", ""


def own_parts(part: Message) -> tuple[Message, ...]:
    """Leaf parts outside attachments and embedded messages (a forward attached as a
    message is someone else's), in order; found once per message."""
    return kept(part, "_optout_own_parts", lambda: tuple(_own_parts(part)))


def _own_parts(part: Message) -> list[Message]:
    if part.get_content_maintype() == "message":
        return []
    if part.is_multipart():
        found: list[Message] = []
        for sub in part.get_payload() or []:
            if isinstance(sub, Message):
                found.extend(own_parts(sub))
        return found
    if (part.get_content_disposition() or "") == "attachment":
        return []
    return [part]


class _HtmlText(HTMLParser):
    """HTML to plain text: block elements break lines, script/style are dropped,
    blockquotes (Gmail, Apple Mail, Thunderbird quoting) become `>` lines, and a link keeps
    its target after its words ("Unsubscribe <https://…>"), so a newsletter's link reads as
    the instruction it is, not as a person's one-word request."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "ul", "ol", "pre"})
    SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.link: tuple[str, int] | None = None  # an open <a>'s target and where its words start

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        href = next((v or "" for k, v in attrs if k == "href"), "").strip()
        if tag == "a" and re.match(r"(?i)(https?|mailto):", href):
            self.link = (href, len(self.out))
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "blockquote" or "gmail_quote" in classes:
            self.out.append("\n\x00Q+\n")
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link is not None:
            href, start = self.link
            self.link = None
            words = "".join(self.out[start:])
            if words.strip() and href.split(":", 1)[-1].lower() not in words.lower():
                self.out.append(f" <{href[:200]}>")
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.out.append("\n\x00Q-\n")
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything it still chokes on loses only markup
        return re.sub(r"<[^>]+>", " ", html)
    depth, lines = 0, []
    for line in "".join(parser.out).split("\n"):
        if line == "\x00Q+":
            depth += 1
        elif line == "\x00Q-":
            depth = max(0, depth - 1)
        elif line.strip():
            lines.append("> " * depth + line.strip())
        elif lines and lines[-1]:
            lines.append("")
    return "\n".join(lines)


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _next_content(lines: list[str], start: int) -> str:
    for line in lines[start:]:
        if line.strip():
            return line
    return ""


def _header_block(lines: list[str], i: int) -> bool:
    """An Outlook-style "From: … / Sent: … / To: … / Subject: …" block starts at line i."""
    if not HEADER_BLOCK_FROM.match(lines[i].strip()):
        return False
    following = [ln.strip() for ln in lines[i + 1 : i + 6] if ln.strip()]
    return any(HEADER_BLOCK_NEXT.match(ln) for ln in following[:4])


def _attribution(lines: list[str], i: int) -> int:
    """Lines taken by an "On … wrote:" attribution starting at i (clients wrap it over two)."""
    line = lines[i].strip()
    if ATTRIBUTION.search(line):
        return 1
    if i + 1 < len(lines) and len(line) < 200 and ATTRIBUTION.search(line + " " + lines[i + 1].strip()):
        return 2 if re.match(r"(?i)^(on|le|el|am|em|op)\b", line) else 0
    return 0


def strip_quotes(text: str) -> tuple[str, str]:
    """(own text, removed text): `>` lines dropped; an attribution kept out; a forward marker,
    an "Original Message" line or an Outlook header block cuts everything below it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own: list[str] = []
    removed: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _is_quote(line):
            removed.append(line)
            i += 1
            continue
        taken = _attribution(lines, i)
        if taken:
            removed.extend(lines[i : i + taken])
            if _is_quote(_next_content(lines, i + taken)):
                i += taken  # bottom-posting: the text after the quote is the sender's own
                continue
            removed.extend(lines[i + taken :])
            break
        if (
            FORWARD_MARKER.match(stripped)
            or ORIGINAL_MESSAGE.match(stripped)
            or _header_block(lines, i)
            or (re.fullmatch(r"_{10,}", stripped) and i + 1 < len(lines) and _header_block(lines, i + 1))
        ):
            removed.extend(lines[i:])
            break
        own.append(line)
        i += 1
    return "\n".join(own), "\n".join(removed)


def _list_footer(lines: list[str], i: int) -> bool:
    """A mailing list's footer starts at line i: Mailman's rule of underscores above the
    list's name, address or "To unsubscribe…", or Google Groups' "You received this…"."""
    s = lines[i].strip()
    if LIST_FOOTER_START.match(s):
        return True
    return bool(LIST_FOOTER_RULE.match(s)) and any(LIST_FOOTER_NEXT.search(ln) for ln in lines[i + 1 : i + 4])


def strip_signature(text: str) -> tuple[str, str]:
    """Cut at a "-- " delimiter, a sign-off line ("Thanks,", "Cordialement") that follows
    some text, the start of a legal disclaimer, or a mailing list's footer."""
    lines = text.split("\n")
    seen_text = False
    for i, line in enumerate(lines):
        s = line.strip()
        if s in ("--", "-- ", "—") or DISCLAIMER_START.match(s) or (seen_text and SIGN_OFF.fullmatch(s)) or _list_footer(lines, i):
            return "\n".join(lines[:i]), "\n".join(lines[i:])
        seen_text = seen_text or bool(s)
    return text, ""


def own_text(msg: Message) -> OwnText:
    body, source = body_text(msg)
    body = body.replace("\x00", "")  # NUL bytes a broken gateway left between the letters
    text, quoted = strip_quotes(body)
    text, signature = strip_signature(text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return OwnText(text, "\n".join(p for p in (quoted, signature) if p), source)
