"""The standardised intake record every channel yields, with its outcome (SPEC §3)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    IGNORED = "ignored"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"


class Scope(StrEnum):
    MARKETING = "marketing"  # newsletters, promotions, offers
    ALL = "all"  # marketing and service announcements (account cancellations)


class Action(StrEnum):
    SUPPRESS = "suppress"
    LIFT = "lift"


# Reason codes, one place (docs/outcomes.md explains each).
REASONS: dict[Outcome, frozenset[str]] = {
    Outcome.ACCEPTED: frozenset({"optout", "cancellation", "reconsent", "complaint", "unsubscribe_mailbox"}),
    Outcome.IGNORED: frozenset(
        {"page_view", "not_optout", "not_cancellation", "withdrawn", "auto_reply", "bulk_mail", "bounce"}
    ),
    Outcome.REJECTED: frozenset({"invalid_address", "bad_token", "unparseable", "missing_field", "unreadable_record"}),
    Outcome.NEEDS_REVIEW: frozenset(
        {"unresolved", "shared_phone", "unknown_account", "unclear", "unclear_value", "sender_not_on_account", "resubscribe"}
    ),
}


MAX_REF = 500  # longer ids are stored as their hash (PostgreSQL indexes at most ~2,700 bytes)
MAX_DETAILS = 2000
MAX_LOCATOR = 200
# PostgreSQL stores no NUL in text or JSON, and UTF-8 has no lone surrogates (which JSON
# escapes such as "\ud800" and undecodable file names produce).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD, so any database stores it."""
    if text.isascii():
        return text.replace("\x00", "\ufffd") if "\x00" in text else text
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def storable(value: Any) -> Any:
    """A JSON-like value with every string (keys too) made storable; a clean value (nearly
    all evidence) is returned as it is, after a check that copies nothing."""
    if _clean(value):
        return value
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(k) if isinstance(k, str) else k: storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(storable(v) for v in value)
    return value


def _clean(value: Any) -> bool:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        # The text keys and values are checked as one string (a NUL or a lone surrogate is in
        # the joined text exactly when it is in a part: Python joins no surrogate pairs).
        texts: list[str] = []
        for k, v in value.items():
            if isinstance(k, str) and isinstance(v, str):
                texts += (k, v)
            elif not (_clean(k) and _clean(v)):
                return False
        return _clean_text("".join(texts))
    if isinstance(value, list | tuple):
        for v in value:
            if not _clean(v):
                return False
    return True


def _clean_text(text: str) -> bool:
    return ("\x00" not in text) if text.isascii() else _UNSTORABLE.search(text) is None


def storable_ref(ref: str) -> str:
    """A source_ref the store can index: clean text, and a hash of the id when it is long."""
    ref = storable_text(ref)
    if len(ref) <= MAX_REF:
        return ref
    return "sha256:" + hashlib.sha256(ref.encode("utf-8")).hexdigest()[:32]


def bounded(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text):,} characters]"


@dataclass(frozen=True)
class OptoutRequest:
    """One address to suppress (or lift) in one scope; the unit an event records."""

    address: str  # normalised form (SPEC §4.1)
    key: str  # match key (SPEC §4.2)
    scope: Scope
    action: Action = Action.SUPPRESS


@dataclass(frozen=True)
class IntakeRecord:
    """One input record and what became of it. `raw` is the evidence, kept as read."""

    channel: str
    source_ref: str
    requested_at: datetime
    outcome: Outcome
    reason: str
    raw: dict[str, Any]
    locator: str  # where in the file: "line 12", "message 3"
    requests: tuple[OptoutRequest, ...] = ()
    details: str = ""  # why, in words: shown in history and the review queue
    # An accepted record can still need an operator's look (cancel@ from a sender on no
    # account, SPEC §2.4): a needs_review reason here adds a review item beside the events.
    review: str = ""

    def __post_init__(self) -> None:
        # Everything a record carries is stored: it is made storable here, once, so duplicate
        # detection and the store see the same source_ref.
        object.__setattr__(self, "source_ref", storable_ref(self.source_ref))
        object.__setattr__(self, "locator", storable_text(self.locator)[:MAX_LOCATOR])
        object.__setattr__(self, "details", bounded(storable_text(self.details), MAX_DETAILS))
        object.__setattr__(self, "raw", storable(self.raw))
        if self.reason not in REASONS[self.outcome]:
            raise ValueError(f"reason {self.reason!r} is not a {self.outcome} reason")
        if self.review and self.review not in REASONS[Outcome.NEEDS_REVIEW]:
            raise ValueError(f"review reason {self.review!r} is not a needs_review reason")
        if self.outcome is Outcome.ACCEPTED and not self.requests:
            raise ValueError("an accepted record needs at least one opt-out request")
        if self.outcome is not Outcome.ACCEPTED and self.requests:
            raise ValueError(f"a {self.outcome} record carries no requests")


@dataclass
class Reconciliation:
    """Per file and per run: read = accepted + ignored + rejected + needs_review + duplicate."""

    read: int = 0
    accepted: int = 0
    ignored: int = 0
    rejected: int = 0
    needs_review: int = 0
    duplicate: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: Outcome | str, reason: str | None = None) -> None:
        self.read += 1
        name = str(outcome)
        setattr(self, name, getattr(self, name) + 1)
        if reason:
            label = f"{name}:{reason}"
            self.reasons[label] = self.reasons.get(label, 0) + 1

    def add(self, other: Reconciliation) -> None:
        for name in ("read", "accepted", "ignored", "rejected", "needs_review", "duplicate"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for label, n in other.reasons.items():
            self.reasons[label] = self.reasons.get(label, 0) + n

    @property
    def balanced(self) -> bool:
        return self.read == (
            self.accepted + self.ignored + self.rejected + self.needs_review + self.duplicate
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "accepted": self.accepted,
            "ignored": self.ignored,
            "rejected": self.rejected,
            "needs_review": self.needs_review,
            "duplicate": self.duplicate,
        }
