"""Phone numbers as call-centre logs write them, to E.164 (SPEC §2.3)."""
from __future__ import annotations

import phonenumbers


def to_e164(text: str | None, region: str = "US") -> str | None:
    """E.164 form of `text` read with default `region`, or None when it holds no possible number.

    Accepts what agents type: punctuation, extensions, `tel:` URIs with parameters, Arabic-Indic
    digits, and a number inside other words ("Phone: +7 (800) 555-35-35.").
    """
    if text is None:
        return None
    s = str(text).strip()
    if s.lower().startswith("tel:"):
        s = s[4:].split(";", 1)[0]
    if not s:
        return None
    number = _parse(s, region)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse(s: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        pass
    for match in phonenumbers.PhoneNumberMatcher(s, region, leniency=phonenumbers.Leniency.POSSIBLE):
        return match.number
    return None
