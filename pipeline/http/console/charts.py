"""Charts for the console, drawn on the server as inline SVG: pure functions from numbers and
labels to a `Chart` (the SVG text plus the same figures as a table for screen readers and for
anyone who wants the exact values). No plotting library and nothing loaded from elsewhere.

Every chart has a <title> and <desc> (named by `aria-labelledby`), labelled axes, and escapes
every label it is given: channel names and dates come from the store, so a hostile label is
text, never markup. Values that are not finite or below zero are drawn as zero."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 720, 330
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 54, 64
# Okabe-Ito: told apart with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
LINE_COLOURS = ("#B00020", "#6A1B9A", "#37474F")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_LABEL = 60


@dataclass(frozen=True)
class Chart:
    """One chart: `svg` is safe to place in a page as it is; `columns`/`rows` are its figures."""

    ident: str
    title: str
    svg: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def text(value: object) -> str:
    """A label as XML text: characters XML cannot hold dropped, markup escaped, length capped."""
    label = _NOT_XML.sub("", str(value))
    if len(label) > MAX_LABEL:
        label = label[: MAX_LABEL - 1] + "…"
    return escape(label, quote=True)


def number(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 0.0


def figure(value: float) -> str:
    """A value as people read it: whole numbers without decimals, large ones grouped."""
    v = number(value)
    if v >= 1e15:
        return f"{v:.3g}"
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}".rstrip("0").rstrip(".")


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top` (steps of 1, 2 or 5 times a power of ten, at
    least 1: the charts count requests and entries)."""
    top = number(top) or 1.0
    raw = max(top / count, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    n = max(1, math.ceil(top / step - 1e-9))
    return [step * i for i in range(n + 1)]


def _frame(ident: str, title: str, desc: str, x_label: str, y_label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" class="chart" id="{ident}">',
        f'<title id="{ident}-title">{text(title)}</title>',
        f'<desc id="{ident}-desc">{escape(_NOT_XML.sub("", desc), quote=True)}</desc>',
        f'<text class="axis-label" x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.1f}" y="{HEIGHT - 8}" '
        f'text-anchor="middle" font-size="12">{text(x_label)}</text>',
        f'<text class="axis-label" x="14" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2:.1f}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.1f})">{text(y_label)}</text>',
    ]


def _empty(parts: list[str]) -> str:
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14">No data for this period</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _y_axis(parts: list[str], ticks: list[float], y: _Scale) -> None:
    for t in ticks:
        py = y(t)
        parts.append(f'<line x1="{LEFT}" y1="{py:.1f}" x2="{WIDTH - RIGHT}" y2="{py:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end" font-size="11">{figure(t)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>')
    parts.append(f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>')


class _Scale:
    """Linear from [0, top] to the plot's height (SVG y grows downwards)."""

    def __init__(self, top: float) -> None:
        self.top = top or 1.0

    def __call__(self, value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * min(number(value), self.top) / self.top


def _x_labels(parts: list[str], labels: list[str], centre: list[float]) -> None:
    """Category labels under the axis; every k-th when they would overlap."""
    every = max(1, math.ceil(len(labels) * 70 / (WIDTH - LEFT - RIGHT)))
    for i, (label, cx) in enumerate(zip(labels, centre, strict=True)):
        if i % every == 0:
            parts.append(f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11">{text(label)}</text>')


def _legend(parts: list[str], names: list[str], colours: list[str]) -> None:
    """Swatches and names along the top, wrapping onto a second row when they do not fit."""
    x, y = float(LEFT), 12
    for name, colour in zip(names, colours, strict=True):
        width = 30 + 6.5 * min(len(str(name)), MAX_LABEL)
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, y = float(LEFT), y + 16
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18:.1f}" y="{y + 10}" font-size="11">{text(name)}</text>')
        x += width


def stacked_bars(ident: str, title: str, desc: str, categories: list[str], series: dict[str, list[float]],
                 x_label: str, y_label: str) -> Chart:
    """Bars per category (e.g. a day), one stacked segment per series (e.g. a channel)."""
    names = list(series)
    columns = [x_label, *names, "total"]
    rows = [[c, *(figure(series[n][i]) for n in names), figure(sum(number(series[n][i]) for n in names))]
            for i, c in enumerate(categories)]
    parts = _frame(ident, title, desc, x_label, y_label)
    totals = [sum(number(series[n][i]) for n in names) for i in range(len(categories))]
    if not categories or not names:
        return Chart(ident, title, _empty(parts), columns, rows)
    ticks = nice_ticks(max(totals))
    y = _Scale(ticks[-1])
    _y_axis(parts, ticks, y)
    slot = (WIDTH - LEFT - RIGHT) / len(categories)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    centres = []
    for i, category in enumerate(categories):
        x0, base = LEFT + slot * i + slot * 0.15, 0.0
        centres.append(LEFT + slot * (i + 0.5))
        for name, colour in zip(names, colours, strict=True):
            value = number(series[name][i])
            if value:
                top_y, bottom_y = y(base + value), y(base)
                parts.append(
                    f'<rect x="{x0:.1f}" y="{top_y:.1f}" width="{slot * 0.7:.1f}" height="{bottom_y - top_y:.1f}" fill="{colour}">'
                    f"<title>{text(category)} {text(name)}: {figure(value)}</title></rect>"
                )
            base += value
    _x_labels(parts, categories, centres)
    _legend(parts, names, colours)
    parts.append("</svg>")
    return Chart(ident, title, "\n".join(parts), columns, rows)


def line(ident: str, title: str, desc: str, points: list[tuple[str, float]], x_label: str, y_label: str) -> Chart:
    """A line through (label, value) points in order, each point marked."""
    rows = [[label, figure(value)] for label, value in points]
    parts = _frame(ident, title, desc, x_label, y_label)
    if not points:
        return Chart(ident, title, _empty(parts), [x_label, y_label], rows)
    ticks = nice_ticks(max(number(v) for _, v in points))
    y = _Scale(ticks[-1])
    _y_axis(parts, ticks, y)
    slot = (WIDTH - LEFT - RIGHT) / len(points)
    xy = [(LEFT + slot * (i + 0.5), y(v)) for i, (_, v) in enumerate(points)]
    if len(xy) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in xy)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for (label, value), (px, py) in zip(points, xy, strict=True):
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{PALETTE[0]}"><title>{text(label)}: {figure(value)}</title></circle>'
        )
    _x_labels(parts, [label for label, _ in points], [px for px, _ in xy])
    parts.append("</svg>")
    return Chart(ident, title, "\n".join(parts), [x_label, y_label], rows)


def bars_against_limits(ident: str, title: str, desc: str, bars: dict[str, dict[str, float | None]],
                        limits: list[tuple[str, float]], x_label: str, y_label: str) -> Chart:
    """Grouped bars per category (e.g. p50/p90/max hours per channel) on a log scale, with a
    dashed line at each limit (e.g. a deadline in hours): log because a 48-hour deadline and a
    one-month one must both be readable above bars of a few hours."""
    measures: list[str] = []
    for values in bars.values():
        measures += [m for m in values if m not in measures]
    columns = [x_label, *measures]
    rows = [[c, *("-" if values.get(m) is None else figure(values[m] or 0.0) for m in measures)] for c, values in bars.items()]
    parts = _frame(ident, title, desc, x_label, y_label)
    if not bars:
        return Chart(ident, title, _empty(parts), columns, rows)
    top = max([number(v or 0.0) for values in bars.values() for v in values.values()] + [v for _, v in limits] + [10.0])
    decades = list(range(0, math.ceil(math.log10(top * 1.2)) + 1))

    def y(value: float) -> float:
        v = math.log10(max(number(value), 1.0)) / decades[-1]
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * v

    for d in decades:
        py = y(10.0 ** d)
        parts.append(f'<line x1="{LEFT}" y1="{py:.1f}" x2="{WIDTH - RIGHT}" y2="{py:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end" font-size="11">{figure(10.0 ** d)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>')
    parts.append(f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>')
    slot = (WIDTH - LEFT - RIGHT) / len(bars)
    width = slot * 0.8 / max(1, len(measures))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(measures))]
    centres = []
    for i, (category, values) in enumerate(bars.items()):
        centres.append(LEFT + slot * (i + 0.5))
        for j, (measure, colour) in enumerate(zip(measures, colours, strict=True)):
            value = values.get(measure)
            if value is None:
                continue
            x0, top_y = LEFT + slot * i + slot * 0.1 + width * j, y(value)
            parts.append(
                f'<rect x="{x0:.1f}" y="{top_y:.1f}" width="{width:.1f}" height="{HEIGHT - BOTTOM - top_y:.1f}" fill="{colour}">'
                f"<title>{text(category)} {text(measure)}: {figure(value)}</title></rect>"
            )
    for k, (name, value) in enumerate(limits):
        py, colour = y(value), LINE_COLOURS[k % len(LINE_COLOURS)]
        parts.append(f'<line class="limit" x1="{LEFT}" y1="{py:.1f}" x2="{WIDTH - RIGHT}" y2="{py:.1f}" stroke="{colour}" '
                     f'stroke-width="2" stroke-dasharray="6 4"><title>{text(name)}: {figure(value)}</title></line>')
        parts.append(f'<text x="{WIDTH - RIGHT - 4}" y="{py - 4:.1f}" text-anchor="end" font-size="11" fill="{colour}">{text(name)}</text>')
    _x_labels(parts, list(bars), centres)
    _legend(parts, measures, colours)
    parts.append("</svg>")
    return Chart(ident, title, "\n".join(parts), columns, rows)
