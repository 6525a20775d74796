"""`optout report` (SPEC §7): per request, the time from requested_at to effective_at (the
publication of the first list version that covers it) against 48 hours, 10 business days and
one month; per-channel percentiles; breaches (of requests, and of review items still open past
a due time: the request they hold up has no effect yet); and the open items at risk. The report is a
statement "as of" one instant, so re-running it for a past date gives the same figures unless
late files brought older requests (docs/audit.md)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.audit.deadlines import DEADLINES, due_times
from pipeline.audit.report_html import render_html
from pipeline.audit.report_types import ChannelStats, ComplianceReport, RequestClock, ReviewAtRisk
from pipeline.audit.sqlfiles import read_sql, statements
from pipeline.core.clock import Clock, SystemClock, as_utc
from pipeline.core.config import Settings
from pipeline.store.db import read_tx
from pipeline.store.schema import UTCDateTime

PERCENTILES = (50, 90, 95, 99)
REVIEW_AT_RISK_AFTER = timedelta(days=1)


def report_as_of(day: date, now: datetime) -> datetime:
    """A report for day D speaks as of the end of D (UTC), or now when D has not ended."""
    if day == date.max:  # its end is past the last date Python can hold: it has not ended
        return now
    return min(now, datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC))


def percentile(values: list[float], p: int) -> float | None:
    """Nearest-rank percentile (the value at rank ceil(p/100 * n)): every figure is one real request."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def _query(conn: sa.Connection, name: str, as_of: datetime, **types: Any) -> list[sa.Row[Any]]:
    """Run a report query from sql/ with :as_of bound and time columns read as UTC datetimes."""
    (sql,) = statements(read_sql(name))  # comments dropped: they may mention :as_of
    stmt = sa.text(sql).bindparams(sa.bindparam("as_of", type_=UTCDateTime)).columns(**types)
    return list(conn.execute(stmt, {"as_of": as_of}))


def request_clock(row: Any, as_of: datetime) -> RequestClock:
    """One request against every deadline: breached when effect came (or has not come) after due."""
    due = due_times(row.requested_at)
    stop = row.effective_at or as_of
    breached = [name for name, at in due.items() if stop > at]
    return RequestClock(
        row.record_id,
        row.channel,
        row.source_ref,
        row.requested_at.isoformat(),
        row.effective_at.isoformat() if row.effective_at else None,
        row.effective_version,
        _hours(stop - row.requested_at),
        "effective" if row.effective_at else "open",
        {k: v.isoformat() for k, v in due.items()},
        breached,
        row.evidence_file,
        row.evidence_locator,
    )


def channel_stats(requests: list[RequestClock], reviews: list[ReviewAtRisk]) -> dict[str, ChannelStats]:
    stats: dict[str, ChannelStats] = {}
    hours: dict[str, list[float]] = {}
    for r in requests:
        s = stats.setdefault(r.channel, ChannelStats())
        s.requests += 1
        if r.status == "effective":
            s.effective += 1
            hours.setdefault(r.channel, []).append(r.hours_to_effect or 0.0)
        else:
            s.open += 1
        for name in r.breached:
            s.breaches[name] += 1
    for i in reviews:
        s = stats.setdefault(i.channel, ChannelStats())
        s.in_review += 1
        for name in i.breached:
            s.breaches[name] += 1
    for name, s in stats.items():
        values = hours.get(name, [])
        s.hours = {f"p{p}": percentile(values, p) for p in PERCENTILES} | {
            "max": max(values) if values else None
        }
    return dict(sorted(stats.items()))


def review_clock(row: Any, as_of: datetime) -> ReviewAtRisk:
    """An open review item against every deadline: breached once as_of is past a due time."""
    due = due_times(row.requested_at)
    return ReviewAtRisk(
        row.item_id,
        row.record_id,
        row.channel,
        row.source_ref,
        row.requested_at.isoformat(),
        row.created_at.isoformat(),
        row.reason,
        _hours(as_of - row.created_at),
        {k: v.isoformat() for k, v in due.items()},
        [k for k, v in due.items() if as_of > v],
        _hours(as_of - row.requested_at),
    )


def build_report(conn: sa.Connection, day: date, as_of: datetime, *, capped: bool = False) -> ComplianceReport:
    times = {"requested_at": UTCDateTime, "recorded_at": UTCDateTime, "effective_at": UTCDateTime}
    reviews = [
        review_clock(row, as_of)
        for row in _query(conn, "report_open_reviews.sql", as_of, requested_at=UTCDateTime, created_at=UTCDateTime)
    ]
    # A request without effect at as_of that a review item open then holds is counted once, as
    # that item: an item accepted later has events of its record, so it is an open request too.
    # (A record can also have taken effect and still be in review for more: both count.)
    in_review = {i.record_id for i in reviews}
    requests = [
        clock
        for clock in (request_clock(row, as_of) for row in _query(conn, "report_requests.sql", as_of, **times))
        if clock.status == "effective" or clock.record_id not in in_review
    ]
    starts = [r.requested_at for r in requests] + [i.requested_at for i in reviews]
    return ComplianceReport(
        date=day.isoformat(),
        as_of=as_of.isoformat(),
        window_from=min(starts, key=datetime.fromisoformat) if starts else None,
        window_to=as_of.isoformat(),
        deadlines=[asdict(d) for d in DEADLINES],
        channels=channel_stats(requests, reviews),
        breaches=[r for r in requests if r.breached],
        review_breaches=[i for i in reviews if i.breached],
        at_risk=[r for r in requests if r.status == "open"],
        reviews_at_risk=[i for i in reviews if as_of - datetime.fromisoformat(i.created_at) > REVIEW_AT_RISK_AFTER],
        requests=requests,
        capped_at_now=capped,
    )


def compliance_report(
    engine: sa.Engine,
    day: date | None = None,
    clock: Clock | None = None,
    as_of: datetime | None = None,
) -> ComplianceReport:
    """The report for `day` (default: today), read in one snapshot."""
    now = (clock or SystemClock()).now()
    day = day or as_utc(now).date()
    end = report_as_of(day, now)
    capped = as_of is None and end == now and (day == date.max or now < datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC))
    with read_tx(engine) as conn:
        return build_report(conn, day, as_of or end, capped=capped)


def write_report(
    engine: sa.Engine,
    settings: Settings,
    day: date,
    out_dir: Path,
    clock: Clock | None = None,
    as_of: datetime | None = None,
) -> dict[str, Path]:
    """What the nightly run calls: the report for `day` as `compliance_<day>.json` and `.html`
    in `out_dir`. As of the end of `day` capped at now, unless `as_of` is given (a run that
    reports right after publishing the night's list may pass `clock.now()`)."""
    report = compliance_report(engine, day, clock, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / f"compliance_{day.isoformat()}.json",
        "html": out_dir / f"compliance_{day.isoformat()}.html",
    }
    paths["json"].write_text(
        json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths
