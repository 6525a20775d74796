"""What a compliance report holds (`report` builds it, `report_html` renders it): per request its
clock against every deadline, per channel its counts and percentiles, and reviews left open."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.audit.deadlines import DEADLINES


@dataclass
class RequestClock:
    record_id: int
    channel: str
    source_ref: str
    requested_at: str
    effective_at: str | None
    effective_version: int | None
    hours_to_effect: float | None  # hours from request to effect, or elapsed so far when open
    status: str  # effective | open
    due: dict[str, str]
    breached: list[str]
    evidence_file: str | None
    evidence_locator: str | None


@dataclass
class ReviewAtRisk:
    item_id: int
    record_id: int
    channel: str
    source_ref: str
    requested_at: str
    created_at: str
    reason: str
    hours_open: float
    due: dict[str, str]
    breached: list[str]


@dataclass
class ChannelStats:
    requests: int = 0
    effective: int = 0
    open: int = 0
    breaches: dict[str, int] = field(default_factory=lambda: {d.name: 0 for d in DEADLINES})
    hours: dict[str, float | None] = field(default_factory=dict)


@dataclass
class ComplianceReport:
    date: str
    as_of: str
    deadlines: list[dict[str, str]]
    channels: dict[str, ChannelStats]
    breaches: list[RequestClock]
    at_risk: list[RequestClock]
    reviews_at_risk: list[ReviewAtRisk]
    requests: list[RequestClock]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ok(self) -> bool:
        return not self.breaches
