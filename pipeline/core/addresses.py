"""E-mail addresses: clean-up, validation and the reference match key (SPEC §4.1, §4.2).

`reference_match_key` is the reference definition: email_validator, then SPEC §4.2. `parse` and
`match_key` take a proven shortcut for plain ASCII addresses; any faster implementation must give
exactly the same answer as the reference for every input (tests/unit/core/test_addresses.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

GMAIL = "gmail.com"
DOMAIN_ALIASES = {"googlemail.com": GMAIL}

_MAILTO = re.compile(r"^\s*mailto:", re.IGNORECASE)

# The plain-ASCII subset that email_validator provably accepts unchanged but for the domain's
# case: dot-atom local parts at host names without "--" (so no Punycode or R-LDH labels, which
# need IDNA checks), a last label ending in a letter, no special-use name, and short enough that
# no length limit can bite. Such addresses skip the (slow) validator; everything else goes
# through it. tests/unit/core/test_addresses.py checks both give the same answer.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:-?[A-Za-z0-9])*"
FAST_LOCAL = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
FAST_DOMAIN = rf"(?:{_LABEL}\.)+(?:[A-Za-z0-9]-?)*[A-Za-z]"
FAST_MAX_LENGTH = 64
SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
# RFC 2142's mailbox names, which email_validator lower-cases (its rfc_constants; written out so
# plain ASCII needs no import of it: tests/unit/core/test_addresses.py holds the two equal).
MAILBOX_NAMES = frozenset({"abuse", "ftp", "hostmaster", "info", "marketing", "news", "noc", "postmaster",
                           "sales", "security", "support", "usenet", "uucp", "webmaster", "www"})
_FAST = re.compile(rf"({FAST_LOCAL})@({FAST_DOMAIN})")
# An ASCII dot-atom local part at any other domain: the internationalised path (`domain_parse`).
_ASCII_LOCAL = re.compile(rf"({FAST_LOCAL})@(.+)", re.DOTALL)


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


def fast_parse(s: str) -> Address | None:
    """The answer for a cleaned address in the provable plain-ASCII subset, else None."""
    if len(s) > FAST_MAX_LENGTH or not s.isascii():
        return None
    m = _FAST.fullmatch(s)
    if m is None:
        return None
    local, domain = m.group(1), m.group(2).lower()
    if domain.rsplit(".", 1)[-1] in SPECIAL_USE:
        return None
    if local.lower() in MAILBOX_NAMES:  # RFC 2142 names: email_validator lower-cases them
        local = local.lower()
    return Address(normalized=f"{local}@{domain}", key=key_from_parts(local, domain))


def parse_uncached(text: str) -> Address:
    """`parse` without its cache, for a file whose addresses are all different (an import)."""
    s = clean(text)
    if not s:
        raise InvalidAddress(text, "empty address")
    fast = fast_parse(s) or domain_parse(s)
    if fast is not None:
        return fast
    return reference_parse(text, s)


parse = lru_cache(maxsize=65536)(parse_uncached)
parse.__doc__ = "Validate `text` (after `clean`) and return its normalised form and match key."


def reference_parse(text: str, s: str) -> Address:
    """`parse` by email_validator itself (SPEC §4.1), for any cleaned address."""
    from email_validator import EmailNotValidError, validate_email  # here, not at import: its patterns cost 20 ms, plain ASCII needs none

    try:
        v = validate_email(s, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(text, str(exc)) from None
    ascii_domain = v.ascii_domain or _to_ascii(v.domain)
    return Address(normalized=v.normalized, key=key_from_parts(v.local_part, ascii_domain))


def domain_parse(s: str) -> Address | None:
    """The reference's answer for a cleaned ASCII dot-atom local part at a domain the plain-ASCII
    subset does not take (an internationalised one, say), each distinct domain validated once;
    None (the reference decides, and words the error) when anything fails.

    For such an address email_validator splits at the one "@" (atext holds no "@", "<" or
    quote, and nothing composes with an ASCII character or "@"), keeps the local part as
    written (dot-atom, NFC already) but lower-cases the RFC 2142 mailbox names, validates the
    domain alone and then checks the three lengths; this does the same steps with its own
    functions, the domain's through a cache. tests/unit/core/test_addresses.py holds it equal
    to the reference."""
    import email_validator  # here, not at import: its patterns cost 20 ms, plain ASCII needs none
    from email_validator import EmailSyntaxError, ValidatedEmail  # here, not at import: as above
    from email_validator.syntax import validate_email_length  # here, not at import: as above

    m = _ASCII_LOCAL.fullmatch(s)
    if m is None or m.group(2).startswith("["):  # a domain literal: the reference decides
        return None
    local, domain_part = m.group(1), m.group(2)
    if local.lower() in MAILBOX_NAMES:
        local = local.lower()
    try:
        domain, ascii_domain = _domain_forms(domain_part, email_validator.TEST_ENVIRONMENT,
                                             email_validator.GLOBALLY_DELIVERABLE)
        checked = ValidatedEmail()
        checked.original = f"{m.group(1)}@{domain_part}"
        checked.normalized = f"{local}@{domain}"
        checked.local_part = checked.ascii_local_part = local
        checked.ascii_domain = ascii_domain
        validate_email_length(checked)
    except EmailSyntaxError:
        return None
    return Address(normalized=checked.normalized, key=key_from_parts(local, ascii_domain or _to_ascii(domain)))


@lru_cache(maxsize=4096)
def _domain_forms(domain: str, test_environment: bool, globally_deliverable: bool) -> tuple[str, str]:
    """email_validator's normalised and IDNA ASCII forms of a domain (a pure function of its
    arguments; a refused domain raises and is not cached)."""
    from email_validator.syntax import validate_email_domain_name  # here, not at import: as domain_parse

    info = validate_email_domain_name(domain, test_environment=test_environment, globally_deliverable=globally_deliverable)
    return info["domain"], info["ascii_domain"]


def _to_ascii(domain: str) -> str:
    import idna  # here, not at import: only a domain email_validator leaves in Unicode needs it

    return idna.encode(domain, uts46=True).decode("ascii")


def match_key(text: str) -> str:
    """SPEC §4.2 match key; raises InvalidAddress for an invalid address."""
    return parse(text).key


def reference_match_key(text: str) -> str:
    """SPEC §4.2 match key by email_validator alone: what every faster path must equal."""
    return reference_parse(text, clean(text)).key


def try_parse(text: str | None) -> Address | None:
    """`parse`, or None for a missing or invalid address."""
    if text is None:
        return None
    try:
        return parse(str(text))
    except InvalidAddress:
        return None
