"""The console's SVG charts: well-formed XML whatever they are given, values that scale, an
honest picture of nothing or of one point, hostile labels kept as text, huge numbers drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pipeline.http.console import charts

pytestmark = pytest.mark.unit
NS = {"s": "http://www.w3.org/2000/svg"}
HOSTILE = "<script>alert('x')</script> & \"quoted\" \x00\x07"


def parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(chart.svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def heights(root: ET.Element) -> list[float]:
    return [float(r.get("height", "0")) for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.find("s:title", NS) is not None]


def stacked(categories: list[str], series: dict[str, list[float]]) -> charts.Chart:
    return charts.stacked_bars("c", "Opt-outs per day", "per day by channel", categories, series, "day", "opt-outs")


def test_every_chart_has_a_title_a_desc_and_axis_labels():
    made = [
        stacked(["2026-10-08", "2026-10-09"], {"phone": [1, 2], "postal_mail": [0, 3]}),
        charts.line("l", "List size", "entries per version", [("v1", 3), ("v2", 5)], "list version", "entries"),
        charts.bars_against_limits("b", "Time to effect", "hours", {"phone": {"p50": 26, "max": 30}}, [("48 h", 48)], "channel", "hours"),
    ]
    for chart in made:
        root = parse(chart)
        assert root.find("s:title", NS).text == chart.title
        assert root.find("s:desc", NS).text
        labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "axis-label"]
        assert len(labels) == 2 and all(labels)
        assert root.get("aria-labelledby") == f"{chart.ident}-title {chart.ident}-desc"


def test_bars_scale_with_their_values_and_stack():
    chart = stacked(["a", "b"], {"phone": [2, 4], "mail": [2, 0]})
    root = parse(chart)
    phone_a, mail_a, phone_b = heights(root)
    assert phone_a == pytest.approx(mail_a) and phone_b == pytest.approx(2 * phone_a, rel=0.02)
    assert chart.rows == [["a", "2", "2", "4"], ["b", "4", "0", "4"]]


def test_the_line_goes_up_when_the_list_grows():
    root = parse(charts.line("l", "List size", "d", [("v1", 10), ("v2", 20), ("v3", 40)], "version", "entries"))
    ys = [float(c.get("cy")) for c in root.iter("{http://www.w3.org/2000/svg}circle")]
    assert ys[0] > ys[1] > ys[2]  # SVG y grows downwards
    assert root.find("s:polyline", NS) is not None


@pytest.mark.parametrize("chart", [
    stacked([], {}),
    stacked(["2026-10-08"], {}),
    charts.line("l", "List size", "d", [], "version", "entries"),
    charts.bars_against_limits("b", "Time", "d", {}, [("48 h", 48)], "channel", "hours"),
])
def test_no_data_says_so(chart):
    root = parse(chart)
    assert "No data for this period" in "".join(root.itertext())


def test_one_point_is_a_marked_point_without_a_line():
    root = parse(charts.line("l", "List size", "d", [("v1", 7)], "version", "entries"))
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 1
    assert root.find("s:polyline", NS) is None


def test_hostile_labels_stay_text():
    made = [
        stacked([HOSTILE], {HOSTILE: [1]}),
        charts.line("l", HOSTILE, HOSTILE, [(HOSTILE, 1)], HOSTILE, HOSTILE),
        charts.bars_against_limits("b", "t", "d", {HOSTILE: {HOSTILE: 3}}, [(HOSTILE, 48)], "c", "h"),
    ]
    for chart in made:
        root = parse(chart)  # parses: NUL and other characters XML cannot hold are dropped
        assert "<script" not in chart.svg and "\x00" not in chart.svg
        assert not list(root.iter("script")) and not list(root.iter("{http://www.w3.org/2000/svg}script"))
        assert any("<script>" in t for t in root.itertext())  # shown as the text it is


@pytest.mark.parametrize("value", [10**15, 10**18, 1.5e300])
def test_huge_numbers_are_drawn_and_labelled(value):
    chart = stacked(["a", "b"], {"phone": [value, value / 2]})
    root = parse(chart)
    full, half = heights(root)
    assert full == pytest.approx(2 * half, rel=0.05)
    assert "inf" not in chart.svg.lower() and "nan" not in chart.svg.lower()


def test_not_finite_and_negative_values_are_zero():
    chart = stacked(["a", "b", "c"], {"phone": [float("nan"), -5, 3]})
    parse(chart)
    assert chart.rows == [["a", "0", "0"], ["b", "0", "0"], ["c", "3", "3"]]


def test_deadline_lines_sit_at_their_hours_on_the_log_scale():
    chart = charts.bars_against_limits(
        "b", "t", "d", {"phone": {"p50": 10.0, "max": None}}, [("48 h", 48), ("one month", 744)], "channel", "hours"
    )
    root = parse(chart)
    limits = [float(ln.get("y1")) for ln in root.iter("{http://www.w3.org/2000/svg}line") if ln.get("class") == "limit"]
    assert limits[0] > limits[1]  # the month line above the 48-hour line
    assert chart.rows == [["phone", "10", "-"]]
    assert len(heights(root)) == 1  # no bar for a missing figure


@pytest.mark.parametrize("top,expected", [(0, [0, 1]), (4, [0, 1, 2, 3, 4]), (7, [0, 2, 4, 6, 8]), (1234, [0, 500, 1000, 1500])])
def test_nice_ticks(top, expected):
    assert charts.nice_ticks(top) == expected


def test_many_categories_keep_labels_apart():
    days = [f"2026-10-{d:02d}" for d in range(1, 31)]
    root = parse(stacked(days, {"phone": [1.0] * 30}))
    shown = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if (t.text or "").startswith("2026-")]
    assert 5 <= len(shown) < 30
