"""Phone numbers as call-centre logs write them, to E.164 (SPEC §2.3)."""
from __future__ import annotations

import phonenumbers


def to_e164(text: str | None, region: str = "US") -> str | None:
    """E.164 form of `text` read with default `region`, or None when it is not a possible number."""
    if text is None:
        return None
    s = str(text).strip()
    if s.lower().startswith("tel:"):
        s = s[4:]
    if not s:
        return None
    try:
        number = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
