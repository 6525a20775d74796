"""`optout report`: deadline figures on a small store, checked against a hand computation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipeline.audit.deadlines import BUSINESS_DAYS_10, HOURS_48, ONE_MONTH
from pipeline.audit.report import compliance_report, percentile, write_report
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
    assert stats.breaches == {HOURS_48: 3, BUSINESS_DAYS_10: 1, ONE_MONTH: 0}
    assert [r.source_ref for r in report.at_risk] == ["L5"]
    (review,) = report.reviews_at_risk
    assert (review.source_ref, review.hours_open, review.breached) == (
        "R1",
        430.0,
        [HOURS_48, BUSINESS_DAYS_10],
    )


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
    assert data["channels"]["postal_mail"]["breaches"][HOURS_48] == 3
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
