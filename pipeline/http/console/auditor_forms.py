"""What every auditor page shares: who may see them, reading form fields into values (a bad
value is a `FieldError` naming the field, shown on the page with a 400), the store and clock
of the app, and the access-log row each view writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from fastapi import Request

from pipeline.access.log import Access, record, subject_hash
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.http.console.auth import ConsoleUser, require
from pipeline.intake.timestamps import parse_time

AUDITORS = require("auditor", "admin")
ADMINS = require("admin")
MAX_ADDRESS = 320  # RFC 5321's longest path, with room; longer is not an address
MAX_FIELD = 200
PAGE_SIZE = 100


class FieldError(ValueError):
    """A form value that cannot be used: `field` as the form spells it, and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Store:
    engine: sa.Engine
    settings: Settings
    clock: Clock


def store(request: Request) -> Store:
    state = request.app.state
    return Store(state.engine, state.settings, state.clock)


def clean(value: str | None, field: str, limit: int = MAX_FIELD) -> str:
    """A text field stripped; refused when it is too long or holds control characters."""
    text = (value or "").strip()
    if len(text) > limit:
        raise FieldError(field, f"too long ({len(text)} characters; at most {limit})")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise FieldError(field, "contains control characters")
    return text


def address_field(value: str | None, field: str = "address", required: bool = True) -> str:
    text = clean(value, field, MAX_ADDRESS)
    if required and not text:
        raise FieldError(field, "give an address to look up")
    return text


def timestamp_field(value: str | None, field: str) -> datetime | None:
    text = clean(value, field)
    if not text:
        return None
    at = parse_time(text)
    if at is None:
        raise FieldError(field, f"not a date or time (ISO 8601, e.g. 2026-10-10 or 2026-10-10T03:00Z): {text!r}")
    return at


def date_field(value: str | None, field: str) -> date | None:
    text = clean(value, field)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"not a date (YYYY-MM-DD): {text!r}") from None


def int_field(value: str | None, field: str, minimum: int = 1, maximum: int = 2**31 - 1) -> int | None:
    text = clean(value, field)
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not minimum <= int(text) <= maximum:
        raise FieldError(field, f"must be a whole number from {minimum} to {maximum}: {text!r}")
    return int(text)


def choice_field(value: str | None, field: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    text = clean(value, field)
    if not text:
        return None
    if text not in allowed:
        raise FieldError(field, f"must be one of {', '.join(allowed)}: {text!r}")
    return text


def log_access(request: Request, user: ConsoleUser, page: str, *, action: str = "view", address: str | None = None,
               detail: str = "") -> None:
    """One access-log row for this view (the person, when there is one, as the keyed hash only)."""
    s = store(request)
    subject = subject_hash(s.settings.hash_key, address) if address else None
    client = request.client.host if request.client else ""
    record(s.engine, Access(user.name, user.role, action, page, subject, detail, client), s.clock.now())
