"""The report's one sentence about breaches, and the counts it is made of, on small literal
reports: requests and review items past a deadline count alike, per deadline."""

from __future__ import annotations

import pytest

from pipeline.audit.deadlines import BUSINESS_DAYS_10, HOURS_48, ONE_MONTH
from pipeline.audit.report_html import render_html
from pipeline.audit.report_types import ComplianceReport, RequestClock, ReviewAtRisk

pytestmark = pytest.mark.unit


def request(ref: str, breached: list[str]) -> RequestClock:
    return RequestClock(1, "phone", ref, "2026-10-01T00:00:00+00:00", None, None, 60.0, "open", {HOURS_48: "x"}, breached, None, None)


def item(ref: str, breached: list[str]) -> ReviewAtRisk:
    return ReviewAtRisk(1, 2, "phone", ref, "2026-10-01T00:00:00+00:00", "2026-10-01T02:00:00+00:00", "unclear", 58.0, {}, breached)


def report(requests: list[RequestClock], items: list[ReviewAtRisk]) -> ComplianceReport:
    return ComplianceReport(
        date="2026-10-03", as_of="2026-10-04T00:00:00+00:00", window_from="2026-10-01T00:00:00+00:00",
        window_to="2026-10-04T00:00:00+00:00", deadlines=[], channels={}, breaches=requests,
        review_breaches=items, at_risk=[], reviews_at_risk=[], requests=requests,
    )


@pytest.mark.parametrize(
    ("requests", "items", "sentence"),
    [
        ([], [], "No request or review item missed a deadline."),
        (
            [],
            [item("R1", [HOURS_48])],
            "1 missed a deadline (requests and review items together): 48 hours: 1 (1 review item); "
            "10 business days: none; one month: none.",
        ),
        (
            [request("A", [HOURS_48, BUSINESS_DAYS_10]), request("B", [HOURS_48])],
            [item("R1", [HOURS_48, BUSINESS_DAYS_10, ONE_MONTH])],
            "3 missed a deadline (requests and review items together): 48 hours: 3 (2 requests and 1 review item); "
            "10 business days: 2 (1 request and 1 review item); one month: 1 (1 review item).",
        ),
    ],
)
def test_the_sentence_counts_requests_and_review_items_per_deadline(requests, items, sentence):
    r = report(requests, items)
    assert r.summary() == sentence and r.as_dict()["summary"] == sentence
    assert r.ok is (not requests and not items)
    assert r.as_dict()["breach_total"] == len(requests) + len(items)
    assert sentence in render_html(r)


def test_the_html_escapes_what_the_records_hold():
    r = report([], [item("<script>alert(1)</script>", [HOURS_48])])
    page = render_html(r)
    assert "<script>" not in page and "&lt;script&gt;" in page
