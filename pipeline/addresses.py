"""E-mail addresses: clean-up, validation and the reference match key (SPEC §4.1, §4.2).

`match_key` is the reference definition. Any faster implementation (the vectorised check in
`pipeline.fastkeys`) must give exactly the same key for every input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import idna
from email_validator import EmailNotValidError, validate_email

GMAIL = "gmail.com"
DOMAIN_ALIASES = {"googlemail.com": GMAIL}

_MAILTO = re.compile(r"^\s*mailto:", re.IGNORECASE)


class InvalidAddress(ValueError):
    """The text is not a usable e-mail address; `reason` says why in one line."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r}: {reason}")
        self.text = text
        self.reason = reason


@dataclass(frozen=True)
class Address:
    normalized: str
    key: str


def clean(text: str) -> str:
    """Strip whitespace, `mailto:` (and its ?query), angle brackets and a display name."""
    s = text.strip()
    if "<" in s and s.rstrip().endswith(">"):
        s = s[s.rindex("<") + 1 : -1]
    elif s.startswith("<") and ">" in s:
        s = s[1 : s.index(">")]
    s = s.strip()
    if _MAILTO.match(s):
        s = _MAILTO.sub("", s, count=1)
        s = s.split("?", 1)[0]
    return s.strip().strip("<>").strip()


def key_from_parts(local: str, ascii_domain: str) -> str:
    """The match key from a validated local part and the domain's IDNA ASCII form."""
    domain = ascii_domain.lower()
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.casefold()
    plus = local.find("+")
    # Sub-addressing: everything from the first "+" is the same mailbox at the big providers;
    # we treat it so everywhere, because over-suppressing costs one e-mail and under-suppressing
    # breaks the law. A leading "+" is the whole name, not a tag.
    if plus > 0:
        local = local[:plus]
    if domain == GMAIL:
        local = local.replace(".", "")
    return f"{local}@{domain}"


@lru_cache(maxsize=65536)
def parse(text: str) -> Address:
    """Validate `text` (after `clean`) and return its normalised form and match key."""
    s = clean(text)
    if not s:
        raise InvalidAddress(text, "empty address")
    try:
        v = validate_email(s, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(text, str(exc)) from None
    ascii_domain = v.ascii_domain or _to_ascii(v.domain)
    return Address(normalized=v.normalized, key=key_from_parts(v.local_part, ascii_domain))


def _to_ascii(domain: str) -> str:
    return idna.encode(domain, uts46=True).decode("ascii")


def match_key(text: str) -> str:
    """SPEC §4.2 reference match key; raises InvalidAddress for an invalid address."""
    return parse(text).key


def try_parse(text: str | None) -> Address | None:
    """`parse`, or None for a missing or invalid address."""
    if text is None:
        return None
    try:
        return parse(str(text))
    except InvalidAddress:
        return None
