"""The compliance report as one self-contained HTML page, with an inline SVG chart of
time-to-effect by channel (no plotting library: the page must open anywhere, offline)."""

from __future__ import annotations

from html import escape
from typing import Any

from pipeline.audit.deadlines import DEADLINES, HOURS_48
from pipeline.audit.report_types import ComplianceReport, RequestClock, ReviewAtRisk

ROW_HEIGHT, LEFT, WIDTH, TOP = 34, 170, 900, 30
STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}
.bad{color:#b00020;font-weight:600}.ok{color:#1b5e20}"""


def render_html(report: ComplianceReport) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Opt-out compliance report {escape(report.date)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Opt-out compliance report for {escape(report.date)}</h1>",
        f"<p>As of {escape(report.as_of)} (UTC). Clock: from the request's own time to the publication "
        "of the first list version that contains it.</p>",
        f"<p class='window'>{escape(report.covers())}</p>",
        f"<dl class='window'><dt>from</dt><dd><time>{escape(report.window_from or '-')}</time></dd>"
        f"<dt>to</dt><dd><time>{escape(report.window_to)}</time></dd></dl>",
        _deadline_list(),
        "<h2>Time to effect by channel</h2>",
        chart_svg(report),
        _channel_table(report),
        _breaches(report),
        _request_table("At risk: received, not yet effective", report.at_risk, "Nothing is waiting."),
        _review_table(report),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _breaches(report: ComplianceReport) -> str:
    """The summary sentence, the count per deadline, then the requests and the review items
    past a deadline: the same figures as the text and the JSON."""
    title = f"<h2>Breaches ({report.breach_total})</h2>"
    if not report.breach_total:
        return f"{title}<p class='ok'>{escape(report.summary())}</p>"
    counts = report.breach_counts()
    rows = [
        f"<tr><td class='l'>{escape(d.label)}</td><td>{counts[d.name].requests}</td>"
        f"<td>{counts[d.name].review_items}</td><td>{counts[d.name].total}</td></tr>"
        for d in DEADLINES
    ]
    parts = [title, f"<p class='bad'>{escape(report.summary())}</p>", _table(["deadline", "requests", "review items", "total"], rows)]
    if report.breaches:
        parts.append(_request_table("Requests past a deadline", report.breaches, ""))
    if report.review_breaches:
        parts.append(_review_rows("Review items open past a deadline", report.review_breaches))
    return "\n".join(parts)


def _deadline_list() -> str:
    items = "".join(f"<li><b>{escape(d.label)}</b>: {escape(d.rule)}</li>" for d in DEADLINES)
    return f"<ul>{items}</ul>"


def chart_svg(report: ComplianceReport) -> str:
    """One row per channel: a dot per effective request at its hours to effect, ticks at p50
    and p90, and a dashed line at 48 hours."""
    by_channel: dict[str, list[float]] = {}
    for r in report.requests:
        if r.status == "effective" and r.hours_to_effect is not None:
            by_channel.setdefault(r.channel, []).append(r.hours_to_effect)
    channels = sorted(report.channels)
    top = max([72.0, *[h * 1.05 for hs in by_channel.values() for h in hs]])
    height = TOP + ROW_HEIGHT * max(1, len(channels)) + 30

    def x(hours: float) -> float:
        return round(LEFT + (WIDTH - LEFT - 20) * hours / top, 1)

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' role='img' "
        "aria-label='time to effect by channel, hours'>"
    ]
    out.append(f"<text x='{LEFT}' y='16' font-size='12'>hours from request to effect (0 to {top:.0f})</text>")
    limit = x(48)
    out.append(
        f"<line x1='{limit}' y1='{TOP - 8}' x2='{limit}' y2='{height - 24}' "
        "stroke='#b00020' stroke-dasharray='4 3'/>"
    )
    out.append(f"<text x='{limit + 3}' y='{height - 10}' font-size='11' fill='#b00020'>48 h</text>")
    for i, name in enumerate(channels):
        y = TOP + ROW_HEIGHT * i + ROW_HEIGHT / 2
        out.append(f"<text x='{LEFT - 8}' y='{y + 4}' font-size='12' text-anchor='end'>{escape(name)}</text>")
        out.append(f"<line x1='{LEFT}' y1='{y}' x2='{WIDTH - 20}' y2='{y}' stroke='#ddd'/>")
        for j, h in enumerate(by_channel.get(name, [])):
            colour = "#b00020" if h > 48 else "#1565c0"
            jitter = (j % 5 - 2) * 2.5  # fixed spread, so equal times do not hide each other
            out.append(
                f"<circle cx='{x(h)}' cy='{y + jitter}' r='4' fill='{colour}' fill-opacity='0.6'>"
                f"<title>{h} h</title></circle>"
            )
        for label in ("p50", "p90"):
            value = report.channels[name].hours.get(label)
            if value is not None:
                out.append(
                    f"<line x1='{x(value)}' y1='{y - 10}' x2='{x(value)}' y2='{y + 10}' "
                    "stroke='#222' stroke-width='2'>"
                    f"<title>{label} {value} h</title></line>"
                )
    out.append("</svg>")
    return "".join(out)


def _channel_table(report: ComplianceReport) -> str:
    heads = ["requests", "effective", "open", "in review", "p50 h", "p90 h", "p95 h", "p99 h", "max h"] + [
        f"breached {d.label}" for d in DEADLINES
    ]
    rows = []
    for name, s in report.channels.items():
        cells = [
            s.requests,
            s.effective,
            s.open,
            s.in_review,
            *[s.hours.get(k) for k in ("p50", "p90", "p95", "p99", "max")],
        ]
        cells += [s.breaches[d.name] for d in DEADLINES]
        rows.append(
            f"<tr><td class='l'>{escape(name)}</td>"
            + "".join(f"<td>{_cell(c)}</td>" for c in cells)
            + "</tr>"
        )
    return _table(["channel", *heads], rows)


def _request_table(title: str, requests: list[RequestClock], empty: str) -> str:
    if not requests:
        return f"<h2>{escape(title)}</h2><p class='ok'>{escape(empty)}</p>"
    rows = [
        "<tr>"
        + "".join(
            f"<td class='l'>{_cell(c)}</td>"
            for c in (
                r.channel,
                r.source_ref,
                r.requested_at,
                r.effective_at or "not yet",
                r.hours_to_effect,
                ", ".join(r.breached) or "-",
                r.due[HOURS_48],
                f"{r.evidence_file or ''} {r.evidence_locator or ''}",
            )
        )
        + "</tr>"
        for r in requests
    ]
    heads = ["channel", "source ref", "requested", "effective", "hours", "breached", "48 h due", "evidence"]
    return f"<h2>{escape(title)} ({len(requests)})</h2>" + _table(heads, rows)


def _review_table(report: ComplianceReport) -> str:
    title = "At risk: review items open more than a day"
    if not report.reviews_at_risk:
        return f"<h2>{title}</h2><p class='ok'>None.</p>"
    return _review_rows(title, report.reviews_at_risk)


def _review_rows(title: str, items: list[ReviewAtRisk]) -> str:
    rows = [
        "<tr>"
        + "".join(
            f"<td class='l'>{_cell(c)}</td>"
            for c in (
                i.item_id,
                i.channel,
                i.source_ref,
                i.requested_at,
                i.reason,
                i.hours_open,
                i.hours_since_request,
                ", ".join(i.breached) or "-",
            )
        )
        + "</tr>"
        for i in items
    ]
    heads = ["item", "channel", "source ref", "requested", "reason", "hours open", "hours since request", "breached"]
    return f"<h2>{escape(title)} ({len(rows)})</h2>" + _table(heads, rows)


def _table(heads: list[str], rows: list[str]) -> str:
    head = "".join(f"<th class='l'>{escape(h)}</th>" for h in heads)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _cell(value: Any) -> str:
    return "" if value is None else escape(str(value))
