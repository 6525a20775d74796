"""The report's charts from a compliance report: which days they span, what they count."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.audit.report_types import ComplianceReport, RequestClock, ReviewAtRisk
from pipeline.http.console import auditor_data

pytestmark = pytest.mark.unit
DUE = {"48h": "2026-10-10T10:00:00+00:00", "10_business_days": "2026-10-22T23:59:59+00:00", "1_month": "2026-11-08T23:59:59+00:00"}


def clock(ref: str, requested: str, breached: list[str]) -> RequestClock:
    return RequestClock(1, "postal_mail", ref, requested, None, None, 50.0, "open", DUE, breached, None, None)


def report(window_from: str | None, requests: list[RequestClock], reviews: list[ReviewAtRisk] | None = None) -> ComplianceReport:
    return ComplianceReport("2026-10-13", "2026-10-13T08:00:00+00:00", window_from, "2026-10-13T08:00:00+00:00", [], {},
                            [r for r in requests if r.breached], reviews or [], [], reviews or [], requests)


@pytest.mark.parametrize("window_from,first,count", [
    ("2026-10-08T10:00:00+00:00", "2026-10-08", 6),  # the window, when it is short
    ("2026-01-01T00:00:00+00:00", "2026-09-14", 30),  # at most 30 days
    (None, "2026-09-14", 30),  # no request: the 30 days, empty
    ("2026-10-20T00:00:00+00:00", "2026-10-13", 1),  # a window that starts later than the day: just the day
])
def test_per_day_charts_span_the_window_at_most_30_days(window_from, first, count):
    days = auditor_data._days(report(window_from, []), date(2026, 10, 13))
    assert (days[0], len(days), days[-1]) == (first, count, "2026-10-13")


def test_opt_outs_count_per_day_and_channel_and_breaches_per_day_missed():
    requests = [clock("L1", "2026-10-08T10:00:00+00:00", ["48h"]), clock("L2", "2026-10-08T11:00:00+00:00", []),
                clock("L3", "2026-10-09T09:00:00+00:00", [])]
    review = ReviewAtRisk(9, 4, "phone", "C-1", "2026-10-08T09:00:00+00:00", "2026-10-09T02:00:00+00:00", "unresolved",
                          30.0, DUE, ["48h"])
    made = report("2026-10-08T09:00:00+00:00", requests, [review])
    optouts = auditor_data.optouts_chart(made, date(2026, 10, 13))
    assert optouts.rows[:2] == [["2026-10-08", "2", "2"], ["2026-10-09", "1", "1"]]
    breaches = auditor_data.breaches_chart(made, date(2026, 10, 13))
    assert breaches.columns == ["day the deadline passed (UTC)", "48 hours", "10 business days", "one month", "total"]
    assert ["2026-10-10", "2", "0", "0", "2"] in breaches.rows  # the late letter and the review item, counted once each


def test_no_breach_is_an_empty_chart():
    chart = auditor_data.breaches_chart(report("2026-10-08T09:00:00+00:00", [clock("L2", "2026-10-08T11:00:00+00:00", [])]),
                                        date(2026, 10, 13))
    assert "No data for this period" in chart.svg
