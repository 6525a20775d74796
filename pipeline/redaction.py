"""Finding and removing one person's address in free text and JSON evidence (erasure).

An address hides in many spellings: another case, a `+tag`, gmail dots, percent-encoding in a
URL, or base64url inside an unsubscribe token. Any e-mail-like token whose match key equals
the person's key counts, as do the literal spellings the store knew, and base64url segments
that decode to text containing either."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipeline.addresses import try_parse

ERASED = "[erased]"
_EMAILISH = re.compile(r"[^\s<>\"'(),;:\[\]\\]+@[^\s<>\"'(),;:\[\]\\]+")
_B64URL = re.compile(r"[A-Za-z0-9_\-]{16,}={0,2}")


@dataclass
class Redactor:
    key: str  # the person's match key (SPEC §4.2)
    spellings: Iterable[str] = ()
    _literal: re.Pattern[str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        terms = {s.strip() for s in self.spellings if s and s.strip()}
        terms |= {t.replace("@", "%40") for t in terms}
        if terms:
            alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
            self._literal = re.compile(alternatives, re.IGNORECASE)

    def hits(self, text: str | None) -> bool:
        return bool(text) and self.redact(text) != text  # type: ignore[arg-type]

    def redact(self, text: str | None) -> str | None:
        """The text with every spelling of the address replaced by `[erased]`."""
        if not text:
            return text
        out = self._literal.sub(ERASED, text) if self._literal else text
        out = _EMAILISH.sub(lambda m: ERASED if self._same_person(m.group(0)) else m.group(0), out)
        return _B64URL.sub(lambda m: ERASED if self._hidden_in(m.group(0)) else m.group(0), out)

    def _same_person(self, token: str) -> bool:
        local, _, domain = token.rpartition("@")
        domain = re.split(r"[?&#/=]", domain, maxsplit=1)[0]  # a URL's query or path after it
        found = try_parse(f"{local}@{domain}".strip(".!?"))
        return found is not None and found.key == self.key

    def _hidden_in(self, segment: str) -> bool:
        """A base64url segment (token payload) that decodes to text naming the person."""
        try:
            decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        plain = self._literal.sub(ERASED, decoded) if self._literal else decoded
        return plain != decoded or any(self._same_person(m.group(0)) for m in _EMAILISH.finditer(decoded))

    def hits_json(self, value: Any) -> bool:
        return self.redact_json(value) != value

    def redact_json(self, value: Any) -> Any:
        """A JSON value with every string (keys too) redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_json(v) for k, v in value.items()}
        return value
