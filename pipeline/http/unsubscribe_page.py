"""The unsubscribe page and its confirmation as HTML: branded from the settings, in the reader's
language, with the address masked, and with no resource from another host (one stylesheet and
the logo, both served by the service itself under `/u-assets/`; no scripts at all).

Every value that reaches the HTML — brand name, support contact, privacy link, the masked
address, the form's action — goes through `html.escape`; the texts are trusted constants."""

from __future__ import annotations

import html
import os
import stat
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import idna

from pipeline.core.config import MAX_LOGO_BYTES, Settings
from pipeline.http.unsubscribe_texts import TEXTS, format_when

# The nightly run publishes the list (dags/optout_nightly.py: cron `0 2 * * *`, UTC; a test
# holds the two together). A click recorded before a run reads the landing zone is in that run.
NIGHTLY_AT = time(2, 0)
# A click this close to 02:00 is promised the following night: the run may already be reading.
NIGHTLY_MARGIN = timedelta(minutes=10)

CSS_PATH = "/u-assets/page.css"
LOGO_PATH = "/u-assets/logo"
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
_HEAD_BYTES = 2048  # enough to recognise each kind (an SVG may open with an XML declaration and comments)
INK = "#1a1a1a"  # body text: 17.4:1 on white

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class Branding:
    name: str = ""
    logo: Path | None = None
    colour: str = "#1d4ed8"
    privacy_url: str = ""
    support_contact: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Branding:
        return cls(settings.brand_name, settings.brand_logo, settings.brand_colour, settings.privacy_url, settings.support_contact)


def next_nightly(now: datetime) -> datetime:
    """The start (UTC) of the first nightly run that will certainly read a click recorded at `now`."""
    now = now.astimezone(UTC)
    at = datetime.combine(now.date(), NIGHTLY_AT, tzinfo=UTC)
    while at < now + NIGHTLY_MARGIN:
        at += timedelta(days=1)
    return at


def mask_address(address: str) -> str | None:
    """`j***@example.com`: the local part's first character, `***`, the domain whole (IDN labels
    shown in Unicode). Always three stars, so a one-letter local part looks like any other;
    a quoted local part keeps its quotes around the first character inside them (an escaped
    one with its backslash); a first character that is invisible or a control (a bidi
    override, a space) is not shown. None for text that is not name@domain."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    quoted = len(local) >= 2 and local.startswith('"') and local.endswith('"')
    inner = local[1:-1] if quoted else local
    if quoted and inner.startswith("\\"):  # an escaped character: shown with its escape
        escaped = _first_character(inner[1:])
        first = "\\" + escaped if escaped else ""
    else:
        first = _first_character(inner)
    shown = f"{first}***"
    return f'"{shown}"@{_unicode_domain(domain)}' if quoted else f"{shown}@{_unicode_domain(domain)}"


def _first_character(text: str) -> str:
    """The first character with its combining marks; empty when it would not be seen as itself."""
    if not text or unicodedata.category(text[0])[0] in "CZM":
        return ""
    end = 1
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return text[:end]


def _unicode_domain(domain: str) -> str:
    try:
        return idna.decode(domain) if "xn--" in domain.lower() else domain
    except (idna.IDNAError, UnicodeError, ValueError):
        return domain


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def button_text_colour(colour: str) -> str:
    """Black or white, whichever contrasts more with the button's colour (always ≥ 4.58:1)."""
    return "#000000" if contrast(colour, "#000000") >= contrast(colour, "#ffffff") else "#ffffff"


def stylesheet(brand: Branding) -> str:
    """The one stylesheet, with the brand colour where it stays readable: the button (black or
    white text on it), a rule under the header; links take it only at 4.5:1 on white."""
    on_brand = button_text_colour(brand.colour)
    link = brand.colour if contrast(brand.colour, "#ffffff") >= 4.5 else INK
    return (
        "*{box-sizing:border-box}"
        f"body{{margin:0;background:#fff;color:{INK};font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "font-size:1.125rem;line-height:1.55}"
        ".page{max-width:36rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}"
        f"header{{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem;padding-bottom:1rem;margin-bottom:1.5rem;"
        f"border-bottom:4px solid {brand.colour}}}"
        "header img{display:block;max-height:3rem;max-width:12rem;width:auto;height:auto}"
        ".brand{font-weight:600;font-size:1.25rem;overflow-wrap:anywhere}"
        "h1{font-size:1.75rem;line-height:1.25;margin:0 0 1rem}"
        "p{margin:0 0 1rem;overflow-wrap:anywhere}"
        ".address{font-weight:600}"
        f"button{{font:inherit;font-weight:600;min-height:2.75rem;min-width:6rem;padding:.625rem 1.5rem;margin:.5rem 0 1.25rem;"
        f"background:{brand.colour};color:{on_brand};border:2px solid {on_brand};border-radius:.375rem;cursor:pointer}}"
        "button:hover{text-decoration:underline}"
        f"a{{color:{link};text-decoration:underline}}"
        f":focus-visible{{outline:3px solid {INK};outline-offset:3px}}"
        "button:focus-visible{box-shadow:0 0 0 3px #fff}"
        "footer{margin-top:2rem;padding-top:1rem;border-top:1px solid #767676;font-size:1rem}"
        "footer p{margin:0 0 .5rem}footer a{display:inline-block;min-height:24px;padding:.125rem 0}"
    )


def read_logo(path: Path | None, head_only: bool = False) -> tuple[bytes, str] | None:
    """The logo's bytes and content type, or None when there is no logo to serve: unset, gone,
    a symlink (never followed: it could point anywhere), not a regular file, over
    MAX_LOGO_BYTES, or not what its name says (PNG, JPEG, WebP or SVG by its first bytes).
    `head_only` reads just enough to decide (for the page, which only links to it)."""
    if path is None or (kind := LOGO_TYPES.get(path.suffix.lower())) is None:
        return None
    try:
        # O_NONBLOCK: a FIFO put where the logo was must not hang the request.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_LOGO_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(_HEAD_BYTES if head_only else MAX_LOGO_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_LOGO_BYTES or not _looks_like(kind, data):
        return None
    return data, kind


def logo_available(path: Path | None) -> bool:
    return read_logo(path, head_only=True) is not None


def _looks_like(kind: str, data: bytes) -> bool:
    if kind == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if kind == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    head = data[:_HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<svg" in head


@dataclass(frozen=True)
class View:
    """What one answer shows: the language, the brand, the masked address if the token
    verified (None otherwise), and when the opt-out is published at the latest."""

    lang: str
    brand: Branding
    address: str | None
    publish_by: datetime
    logo: bool


def form_page(view: View, action: str) -> str:
    """The page whose button posts `confirm=1` to `action` (a checked `/u/<token>` path)."""
    words = TEXTS[view.lang]
    e = html.escape
    intro = words["intro_brand"].format(brand=e(view.brand.name)) if view.brand.name else words["intro"]
    body = [f"<h1>{words['title']}</h1>", f"<p>{intro}</p>"]
    if view.address is not None:
        body.append(f"<p>{words['for_address'].format(address=_address_html(view.address))}</p>")
    body += [
        f'<form method="post" action="{e(action, quote=True)}">',
        '<input type="hidden" name="confirm" value="1">',
        f'<button type="submit">{words["button"]}</button>',
        "</form>",
        f"<p>{words['when_pressed']} {_effect(view)}</p>",
    ]
    return _document(view, words["title"], body)


def confirmed_page(view: View) -> str:
    """The answer to the page's button: recorded, and when it takes effect."""
    words = TEXTS[view.lang]
    if view.address is not None:
        done = words["done_address"].format(address=_address_html(view.address))
    else:
        done = words["done_no_address"]
    body = [f"<h1>{words['done_heading']}</h1>", f"<p>{done}</p>", f"<p>{_effect(view)}</p>", f"<p>{_still_receiving(view)}</p>"]
    return _document(view, words["done_title"], body)


def not_a_link_page(view: View) -> str:
    """The one page for every path that is not a token: the same whatever the path was."""
    words = TEXTS[view.lang]
    return _document(view, words["title"], [f"<h1>{words['title']}</h1>", f"<p>{words['not_a_link']}</p>"])


def _effect(view: View) -> str:
    return TEXTS[view.lang]["effect"].format(when=html.escape(format_when(view.lang, view.publish_by)))


def _still_receiving(view: View) -> str:
    words = TEXTS[view.lang]
    if not view.brand.support_contact:
        return words["still_receiving_reply"]
    return words["still_receiving"].format(contact=_contact_html(view.brand.support_contact))


def _address_html(masked: str) -> str:
    # dir="ltr": an address reads left to right even inside a right-to-left run.
    return f'<span class="address" dir="ltr">{html.escape(masked)}</span>'


def _contact_html(contact: str) -> str:
    """The support contact as a link when it is an address or a web address, as text otherwise."""
    e = html.escape
    if contact.startswith(("https://", "http://")) and not any(c in contact for c in " \"'<>"):
        return f'<a href="{e(contact, quote=True)}">{e(contact)}</a>'
    if contact.count("@") == 1 and not any(c in contact for c in " \"'<>:/\\?#&"):
        return f'<a href="mailto:{e(contact, quote=True)}">{e(contact)}</a>'
    return e(contact)


def _document(view: View, title: str, body: list[str]) -> str:
    e = html.escape
    brand = view.brand
    head = []
    if view.logo:
        head.append(f'<img src="{LOGO_PATH}" alt="{e(brand.name, quote=True)}">')
    if brand.name:
        # With a logo the name is its alt text too: the visible name is then hidden from screen readers.
        hidden = ' aria-hidden="true"' if view.logo else ""
        head.append(f'<span class="brand"{hidden}>{e(brand.name)}</span>')
    header = f"<header>{''.join(head)}</header>" if head else ""
    foot = []
    if brand.privacy_url:
        foot.append(f'<p><a href="{e(brand.privacy_url, quote=True)}">{TEXTS[view.lang]["privacy"]}</a></p>')
    if brand.support_contact:
        foot.append(f"<p>{TEXTS[view.lang]['support']} {_contact_html(brand.support_contact)}</p>")
    footer = f"<footer>{''.join(foot)}</footer>" if foot else ""
    page_title = f"{title} · {e(brand.name)}" if brand.name else title
    return (
        f'<!doctype html>\n<html lang="{view.lang}"><head><meta charset="utf-8"><meta name="robots" content="noindex">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{page_title}</title><link rel="stylesheet" href="{CSS_PATH}"></head>\n'
        f'<body><div class="page">{header}\n<main>\n' + "\n".join(body) + f"\n</main>{footer}</div></body></html>\n"
    )
