"""What a compliance report holds (`report` builds it, `report_html` renders it): the window it
covers, per request its clock against every deadline, per channel its counts and percentiles,
reviews left open, and the breaches of each deadline by requests and review items alike."""

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
    """A review item open at the report's time: the request it holds up has no effect yet and
    its clocks run from the request's own time, so past a due time it is a breach."""

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
    hours_since_request: float = 0.0


@dataclass
class ChannelStats:
    requests: int = 0
    effective: int = 0
    open: int = 0
    in_review: int = 0  # review items open at the report's time (not among `requests`)
    # Per deadline: requests and review items past it (each counted once per deadline).
    breaches: dict[str, int] = field(default_factory=lambda: {d.name: 0 for d in DEADLINES})
    hours: dict[str, float | None] = field(default_factory=dict)


@dataclass
class BreachCount:
    requests: int = 0
    review_items: int = 0

    @property
    def total(self) -> int:
        return self.requests + self.review_items


@dataclass
class ComplianceReport:
    date: str
    as_of: str
    window_from: str | None  # the earliest request the report covers (None: it covers none)
    window_to: str  # = as_of: every request made by then, and only versions published by then
    deadlines: list[dict[str, str]]
    channels: dict[str, ChannelStats]
    breaches: list[RequestClock]  # requests past a deadline
    review_breaches: list[ReviewAtRisk]  # open review items past a deadline
    at_risk: list[RequestClock]
    reviews_at_risk: list[ReviewAtRisk]  # open review items open more than a day
    requests: list[RequestClock]
    capped_at_now: bool = False  # the day asked for had not ended: the report speaks as of now

    def breach_counts(self) -> dict[str, BreachCount]:
        """Per deadline: how many requests and review items are past it."""
        counts = {d.name: BreachCount() for d in DEADLINES}
        for r in self.breaches:
            for name in r.breached:
                counts[name].requests += 1
        for i in self.review_breaches:
            for name in i.breached:
                counts[name].review_items += 1
        return counts

    @property
    def breach_total(self) -> int:
        """Requests and review items past at least one deadline."""
        return len(self.breaches) + len(self.review_breaches)

    def summary(self) -> str:
        """The one sentence every rendering of the report leads its breaches with."""
        if not self.breach_total:
            return "No request or review item missed a deadline."
        counts = self.breach_counts()
        parts = []
        for d in DEADLINES:
            c = counts[d.name]
            if not c.total:
                parts.append(f"{d.label}: none")
                continue
            what = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((c.requests, "request"), (c.review_items, "review item")) if n]
            parts.append(f"{d.label}: {c.total} ({' and '.join(what)})")
        return f"{self.breach_total} missed a deadline (requests and review items together): " + "; ".join(parts) + "."

    def covers(self) -> str:
        """Which window the report covers, in words (UTC)."""
        start = f"from {self.window_from}" if self.window_from else "no request made"
        capped = f" ({self.date} has not ended: as of now)" if self.capped_at_now else ""
        return (
            f"Window: {start} to {self.window_to} (UTC){capped}. Every request made by then counts, "
            "judged by the list versions published by then."
        )

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["window"] = {"from": d.pop("window_from"), "to": d.pop("window_to"), "timezone": "UTC"}
        d["summary"] = self.summary()
        d["breach_counts"] = {
            name: {"requests": c.requests, "review_items": c.review_items, "total": c.total}
            for name, c in self.breach_counts().items()
        }
        d["breach_total"] = self.breach_total
        return d

    @property
    def ok(self) -> bool:
        return not self.breach_total
