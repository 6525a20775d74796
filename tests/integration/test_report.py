"""`optout report`: deadline figures on a small store, checked against a hand computation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipeline.audit.deadlines import BUSINESS_DAYS_10, HOURS_48, ONE_MONTH
from pipeline.audit.report import compliance_report, percentile, write_report
from pipeline.audit.review import accept
from pipeline.core.clock import FixedClock
from pipeline.orchestration.nightly import run_channel, start_run
from tests.integration.audit_helpers import at, land_letters, run_at

pytestmark = pytest.mark.integration


@pytest.fixture
def store(engine, settings, landing, clock):
    """Letters requested on Friday 9 Oct 2026 (before Columbus Day) that took effect after
    9.5 h, 40 h, 90 h, 390 h and 470 h; one still open; one review item never resolved."""
    land_letters(
        landing,
        "2026-10-09",
        "a.csv",
        [
            ("L1", "2026-10-09T16:30:00Z", "one@example.com", ""),
            ("L2", "2026-10-08T10:00:00Z", "two@example.com", ""),
        ],
    )
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")  # L1 9.5 h, L2 40 h
    land_letters(
        landing,
        "2026-10-12",
        "b.csv",
        [
            ("L3", "2026-10-09T08:00:00Z", "three@example.com", ""),
            ("R1", "2026-10-12T09:00:00Z", "", "nobody"),
        ],
    )
    run_at(engine, settings, clock, "2026-10-12", "2026-10-13T02:00:00")  # L3 90 h; R1 to review
    land_letters(landing, "2026-10-25", "c.csv", [("L6", "2026-10-09T20:00:00Z", "six@example.com", "")])
    run_at(engine, settings, clock, "2026-10-25", "2026-10-26T02:00:00")  # L6 390 h, Monday 26 Oct
    land_letters(landing, "2026-10-28", "d.csv", [("L4", "2026-10-09T12:00:00Z", "four@example.com", "")])
    run_at(engine, settings, clock, "2026-10-28", "2026-10-29T02:00:00")  # L4 470 h, Thursday 29 Oct
    land_letters(landing, "2026-10-30", "e.csv", [("L5", "2026-10-29T09:00:00Z", "five@example.com", "")])
    clock.at = at("2026-10-30T23:00:00")
    run_channel(
        engine, settings, start_run(engine, date(2026, 10, 30), clock), "postal_mail", clock
    )  # recorded, not published


def by_ref(items):
    return {r.source_ref: r for r in items}


def test_deadline_figures_match_the_hand_computation(engine, store):
    report = compliance_report(engine, date(2026, 10, 30), FixedClock(at("2026-11-02T08:00:00")))
    assert report.as_of == "2026-10-31T00:00:00+00:00"
    requests = by_ref(report.requests)
    assert {k: r.hours_to_effect for k, r in requests.items()} == {
        "L1": 9.5,
        "L2": 40.0,
        "L3": 90.0,
        "L6": 390.0,
        "L4": 470.0,
        "L5": 39.0,
    }
    assert {k: r.breached for k, r in requests.items()} == {
        "L1": [],
        "L2": [],
        "L3": [HOURS_48],
        "L6": [
            HOURS_48
        ],  # effective Monday 26 Oct: the 10th business day after Friday 9 Oct (12 Oct is a holiday)
        "L4": [HOURS_48, BUSINESS_DAYS_10],  # Thursday 29 Oct is past it
        "L5": [],
    }
    assert requests["L6"].due[BUSINESS_DAYS_10] == "2026-10-26T23:59:59.999999+00:00"
    assert requests["L4"].due[ONE_MONTH] == "2026-11-09T23:59:59.999999+00:00"
    stats = report.channels["postal_mail"]
    assert (stats.requests, stats.effective, stats.open) == (6, 5, 1)
    assert stats.hours == {"p50": 90.0, "p90": 470.0, "p95": 470.0, "p99": 470.0, "max": 470.0}
    # L3, L6, L4 and review item R1 (requested 12 Oct 09:00, still open) past 48 hours;
    # L4 and R1 past 10 business days.
    assert stats.breaches == {HOURS_48: 4, BUSINESS_DAYS_10: 2, ONE_MONTH: 0}
    assert stats.in_review == 1
    assert [r.source_ref for r in report.at_risk] == ["L5"]
    (review,) = report.reviews_at_risk
    assert (review.source_ref, review.hours_open, review.breached) == (
        "R1",
        430.0,
        [HOURS_48, BUSINESS_DAYS_10],
    )
    assert report.review_breaches == [review]
    assert report.breach_total == 4 and not report.ok


def test_a_past_date_is_reported_as_of_its_end(engine, store):
    report = compliance_report(engine, date(2026, 10, 10), FixedClock(at("2026-11-02T08:00:00")))
    requests = by_ref(report.requests)
    assert set(requests) == {"L1", "L2", "L3", "L4", "L6"}  # L5 was requested later
    assert [r.source_ref for r in report.at_risk] == ["L3", "L4", "L6"]  # their effect came later
    assert requests["L3"].hours_to_effect == 40.0 and not requests["L3"].breached
    assert report.reviews_at_risk == []  # R1 did not exist yet


def test_write_report_produces_json_and_html_with_a_chart(engine, settings, store, tmp_path):
    paths = write_report(
        engine, settings, date(2026, 10, 30), tmp_path / "reports", FixedClock(at("2026-11-02T08:00:00"))
    )
    data = json.loads(paths["json"].read_text())
    assert data["channels"]["postal_mail"]["breaches"][HOURS_48] == 4
    html = paths["html"].read_text()
    assert "<svg" in html and html.count("<circle") == 5 and "48 h" in html
    assert "L4" in html and "postal_mail" in html


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, None),
        ([7.0], 99, 7.0),
        ([1.0, 2.0, 3.0, 4.0, 10.0], 50, 3.0),
        ([1.0, 2.0, 3.0, 4.0, 10.0], 90, 10.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 75, 3.0),
    ],
)
def test_percentile_is_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


SUMMARY = (
    "4 missed a deadline (requests and review items together): 48 hours: 4 (3 requests and 1 review item); "
    "10 business days: 2 (1 request and 1 review item); one month: none."
)


def test_review_items_past_a_deadline_are_breaches_in_text_json_and_html(engine, settings, store, tmp_path):
    """A review item open past a due time is a breach of that deadline, counted the same way
    by the summary sentence, the per-deadline counts, the channel table, the JSON and the HTML."""
    report = compliance_report(engine, date(2026, 10, 30), FixedClock(at("2026-11-02T08:00:00")))
    assert report.summary() == SUMMARY
    counts = {name: (c.requests, c.review_items) for name, c in report.breach_counts().items()}
    assert counts == {HOURS_48: (3, 1), BUSINESS_DAYS_10: (1, 1), ONE_MONTH: (0, 0)}
    assert sum(s.breaches[HOURS_48] for s in report.channels.values()) == report.breach_counts()[HOURS_48].total
    paths = write_report(engine, settings, date(2026, 10, 30), tmp_path, FixedClock(at("2026-11-02T08:00:00")))
    data = json.loads(paths["json"].read_text())
    assert data["summary"] == SUMMARY and data["breach_total"] == 4
    assert data["breach_counts"][BUSINESS_DAYS_10] == {"requests": 1, "review_items": 1, "total": 2}
    assert [i["source_ref"] for i in data["review_breaches"]] == ["R1"]
    html = paths["html"].read_text()
    assert "No request" not in html and "<h2>Breaches (4)</h2>" in html
    assert "Review items open past a deadline (1)" in html


def test_a_review_item_accepted_later_counts_once_while_it_was_open(engine, settings, store, clock):
    """Accepting R1 on 3 Nov gives its record events; a report as of 30 Oct, when R1 was still
    in review, counts it once (as the review item), not also as an open request."""
    clock.at = at("2026-11-03T10:00:00")
    accept(engine, settings, clock, 1, ["r1@example.com"], "letter names r1@example.com", "test")
    report = compliance_report(engine, date(2026, 10, 30), FixedClock(at("2026-11-04T08:00:00")))
    assert report.summary() == SUMMARY
    assert "R1" not in by_ref(report.requests) and [i.source_ref for i in report.review_breaches] == ["R1"]
    after = compliance_report(engine, date(2026, 11, 3), FixedClock(at("2026-11-04T08:00:00")))
    assert after.review_breaches == [] and by_ref(after.breaches)["R1"].breached == [HOURS_48, BUSINESS_DAYS_10]


def test_no_breach_says_so_everywhere(engine, settings, store, tmp_path):
    """Before any clock ran out (10 Oct, as of its end) nothing breached: the sentence says so."""
    report = compliance_report(engine, date(2026, 10, 10), FixedClock(at("2026-11-02T08:00:00")))
    assert report.ok and report.summary() == "No request or review item missed a deadline."
    html = (write_report(engine, settings, date(2026, 10, 10), tmp_path, FixedClock(at("2026-11-02T08:00:00")))["html"]).read_text()
    assert "<h2>Breaches (0)</h2><p class='ok'>No request or review item missed a deadline.</p>" in html


@pytest.mark.parametrize(
    ("day", "now", "window", "capped"),
    [
        # a past day: as of its end
        (date(2026, 10, 10), "2026-11-02T08:00:00", ("2026-10-08T10:00:00+00:00", "2026-10-11T00:00:00+00:00"), False),
        # the day not yet ended: as of now
        (date(2026, 11, 2), "2026-11-02T08:00:00", ("2026-10-08T10:00:00+00:00", "2026-11-02T08:00:00+00:00"), True),
        # a day in the far future, and the last day there is: as of now
        (date(9000, 1, 1), "2026-11-02T08:00:00", ("2026-10-08T10:00:00+00:00", "2026-11-02T08:00:00+00:00"), True),
        (date.max, "2026-11-02T08:00:00", ("2026-10-08T10:00:00+00:00", "2026-11-02T08:00:00+00:00"), True),
        # before any request: the window holds none
        (date(1, 1, 1), "2026-11-02T08:00:00", (None, "0001-01-02T00:00:00+00:00"), False),
    ],
)
def test_the_report_says_which_window_it_covers(engine, store, day, now, window, capped):
    report = compliance_report(engine, day, FixedClock(at(now)))
    assert (report.window_from, report.window_to) == window and report.as_of == window[1]
    assert report.capped_at_now is capped
    data = report.as_dict()
    assert data["window"] == {"from": window[0], "to": window[1], "timezone": "UTC"}
    assert f"to {window[1]} (UTC)" in report.covers()
    if window[0] is None:
        assert report.requests == [] and report.ok
