"""What the auditor pages read besides the library's own answers: the raw records behind one
person's events, the send checks, the list sizes (the queries are in `sql/console_*.sql`), and
the report's four charts built from the compliance report and those sizes."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pipeline.audit.deadlines import DEADLINES
from pipeline.audit.report_types import ComplianceReport, RequestClock, ReviewAtRisk
from pipeline.audit.sqlfiles import read_sql, statements
from pipeline.http.console import charts
from pipeline.store.schema import UTCDateTime

CHART_DAYS = 30  # the per-day charts show the report's window, at most the 30 days that end on its day
# The deadlines as lines on the time-to-effect chart, in hours. 48 hours is exact; the other
# two depend on the request's day (weekends, holidays, month lengths), so the lines are drawn
# at their shortest calendar length and each request's own due times are in the report's tables.
DEADLINE_HOURS = {"48h": 48.0, "10_business_days": 14 * 24.0, "1_month": 28 * 24.0}


def _query(conn: sa.Connection, name: str, params: dict[str, Any], **types: Any) -> list[sa.Row[Any]]:
    (sql,) = statements(read_sql(name))
    stmt = sa.text(sql).columns(**types)
    if "as_of" in params:
        stmt = stmt.bindparams(sa.bindparam("as_of", type_=UTCDateTime))
    return list(conn.execute(stmt, params))


def event_records(conn: sa.Connection, key_hash: str) -> dict[int, dict[str, Any]]:
    """Per event id: its intake record's id, outcome and raw record pretty-printed as JSON."""
    rows = _query(conn, "console_event_records.sql", {"key_hash": key_hash}, event_id=sa.Integer, record_id=sa.Integer, raw=sa.JSON)
    return {
        int(r.event_id): {"record_id": r.record_id, "outcome": r.outcome, "raw": pretty(r.raw)}
        for r in rows
    }


def pretty(raw: Any) -> str | None:
    """A raw record as indented JSON (None once erased); a text that is JSON is shown as JSON."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return raw
    return json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def send_checks(conn: sa.Connection) -> list[sa.RowMapping]:
    return [r._mapping for r in _query(conn, "console_send_checks.sql", {}, checked_at=UTCDateTime)]


def list_sizes(conn: sa.Connection, as_of: datetime) -> list[sa.Row[Any]]:
    return _query(conn, "console_list_sizes.sql", {"as_of": as_of}, published_at=UTCDateTime)


def _days(report: ComplianceReport, day: date) -> list[str]:
    """The days a per-day chart shows: the report's window, at most the 30 days ending on its day."""
    first = day - timedelta(days=CHART_DAYS - 1)
    if report.window_from:
        first = min(day, max(first, datetime.fromisoformat(report.window_from).date()))
    return [(first + timedelta(days=n)).isoformat() for n in range((day - first).days + 1)]


def optouts_chart(report: ComplianceReport, day: date) -> charts.Chart:
    days = _days(report, day)
    counts = Counter((r.channel, r.requested_at[:10]) for r in report.requests)
    channels = sorted({r.channel for r in report.requests if r.requested_at[:10] in days})
    series = {c: [float(counts[(c, d)]) for d in days] for c in channels}
    return charts.stacked_bars(
        "optouts-per-day", "Opt-outs per day by channel",
        f"Opt-out requests per day of request, {days[0]} to {days[-1]}, stacked by the channel they came through.",
        days, series, "day requested (UTC)", "opt-out requests",
    )


def list_size_chart(sizes: list[sa.Row[Any]]) -> charts.Chart:
    points = [(f"v{r.version}", float(r.entries)) for r in sizes]
    return charts.line(
        "list-size", "List size per version",
        "Entries in each published list version, in publishing order.", points, "list version", "entries",
    )


def effect_chart(report: ComplianceReport) -> charts.Chart:
    bars = {name: {"median": s.hours.get("p50"), "p90": s.hours.get("p90"), "slowest": s.hours.get("max")}
            for name, s in report.channels.items()}
    limits = [(d.label, DEADLINE_HOURS[d.name]) for d in DEADLINES if d.name in DEADLINE_HOURS]
    return charts.bars_against_limits(
        "time-to-effect", "Time to effect per channel against the deadlines",
        "Hours from request to the list version that contains it, per channel: median, 90th percentile and slowest "
        "of the requests already in effect, on a logarithmic scale. Dashed lines: 48 hours, and 10 business days and "
        "one month at their shortest (14 and 28 days).",
        bars, limits, "channel", "hours (log scale)",
    )


def breaches_chart(report: ComplianceReport, day: date) -> charts.Chart:
    """Per day, the deadlines that passed unmet that day: requests and review items left open."""
    days = _days(report, day)
    missed: Counter[tuple[str, str]] = Counter()
    items: list[RequestClock | ReviewAtRisk] = [*report.breaches, *report.review_breaches]
    for item in items:
        for name in item.breached:
            missed[(name, item.due[name][:10])] += 1
    series = {d.label: [float(missed[(d.name, x)]) for x in days] for d in DEADLINES}
    if not any(v for values in series.values() for v in values):
        series = {}
    return charts.stacked_bars(
        "breaches", "Breaches over time",
        f"Deadlines missed per day they passed, {days[0]} to {days[-1]}, by deadline: requests that took effect late "
        "or not yet, and review items left open past a deadline.",
        days, series, "day the deadline passed (UTC)", "deadlines missed",
    )


def report_charts(report: ComplianceReport, day: date, sizes: list[sa.Row[Any]]) -> list[charts.Chart]:
    return [optouts_chart(report, day), list_size_chart(sizes), effect_chart(report), breaches_chart(report, day)]
