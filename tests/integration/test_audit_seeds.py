"""The auditor's answers on the demo seeds, against a hand computation: every night runs at
02:00 UTC the next morning, and letters carry only a date (midnight UTC), so each letter takes
effect 26 hours after it was requested. LTR-201 was requested on Friday 2026-10-09, the
working day before Columbus Day (Monday 12 October)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.audit.campaign import audit_campaign
from pipeline.audit.report import compliance_report
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.ledger.history import lookup
from pipeline.orchestration.demo import run_demo
from pipeline.store.db import make_engine, read_tx

pytestmark = pytest.mark.integration
CHECKED_AT = datetime(2026, 10, 11, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("seeds") / "demo"
    run_demo(directory, Settings(), lambda line: None)
    engine = make_engine(f"sqlite:///{directory / 'optout.db'}")
    yield directory, engine
    engine.dispose()


def test_demo_writes_the_report(demo):
    directory, _ = demo
    assert "<svg" in (directory / "compliance_2026-10-11.html").read_text(encoding="utf-8")


def test_letters_take_effect_in_26_hours_and_the_friday_letter_is_due_after_columbus_day(demo):
    _, engine = demo
    report = compliance_report(engine, CHECKED_AT.date(), FixedClock(CHECKED_AT))
    letters = [r for r in report.requests if r.channel == "postal_mail"]
    assert letters and {r.hours_to_effect for r in letters} == {26.0}
    (friday,) = [r for r in letters if r.source_ref == "LTR-201"]
    assert (friday.requested_at, friday.effective_at) == ("2026-10-09T00:00:00+00:00", "2026-10-10T02:00:00+00:00")
    assert friday.due == {
        "48h": "2026-10-11T00:00:00+00:00",
        "10_business_days": "2026-10-26T23:59:59.999999+00:00",
        "1_month": "2026-11-09T23:59:59.999999+00:00",
    }
    assert report.breaches == [] and report.channels["postal_mail"].hours["p50"] == 26.0


def test_the_demo_report_counts_the_review_items_past_48_hours_as_breaches(demo):
    """As of the demo's check, seven review items have been open since before their request's
    48 hours ran out (six from 8 October, letter LTR-299 from 9 October): the report's sentence,
    its counts and its HTML page say seven breaches, not "no request missed a deadline"."""
    directory, engine = demo
    report = compliance_report(engine, CHECKED_AT.date(), FixedClock(CHECKED_AT))
    assert report.breaches == []
    assert sorted(i.item_id for i in report.review_breaches) == [1, 2, 3, 4, 5, 6, 10]
    assert {i.source_ref: i.breached for i in report.review_breaches}["LTR-299"] == ["48h"]
    assert report.summary() == (
        "7 missed a deadline (requests and review items together): 48 hours: 7 (7 review items); "
        "10 business days: none; one month: none."
    )
    assert sum(s.breaches["48h"] for s in report.channels.values()) == 7 and not report.ok
    html = (directory / "compliance_2026-10-11.html").read_text(encoding="utf-8")
    assert "No request missed a deadline" not in html and "<h2>Breaches (7)</h2>" in html
    assert (report.window_from, report.window_to) == ("2026-10-08T00:00:00+00:00", "2026-10-11T03:00:00+00:00")


def test_the_demo_check_audits_clean(demo):
    _, engine = demo
    with read_tx(engine) as conn:
        audit = audit_campaign(conn, Settings().hash_key, "demo-newsletter")
    assert audit.ok and audit.used_newest and audit.sent_while_suppressed == []
    assert len(audit.suppressed_at_check) == audit.suppressed


def test_lookup_as_of_before_and_after_on_the_seeds(demo):
    _, engine = demo
    address = "Zo.Johansson820@googlemail.com"  # letter LTR-204 of Friday 9 October, in list version 2
    with read_tx(engine) as conn:
        answers = [
            lookup(conn, Settings().hash_key, address, as_of=at)
            for at in (
                datetime(2026, 10, 9, 12, tzinfo=UTC),  # asked, not yet published: not suppressed then
                datetime(2026, 10, 10, 3, tzinfo=UTC),  # after version 2
                None,
            )
        ]
    assert [a.suppressed for a in answers] == [False, True, True]
    (event,) = answers[-1].events
    assert (event.source_ref, event.evidence_locator, event.effective_version) == ("LTR-204", "line 5", 2)
    assert Path(event.evidence_file or "").name == "letters_2026-10-09.csv"


def test_a_date_only_letter_is_not_lifted_by_an_opt_in_the_same_day(demo):
    """LTR-201 carries only its date; the person opted in at 15:17 that day. Which came first is
    unknown, so the letter stands (docs/design.md, "Date-only times")."""
    _, engine = demo
    with read_tx(engine) as conn:
        answer = lookup(conn, Settings().hash_key, "ian.okafor310@hosting-customer.example")
    assert answer.suppressed and sorted(e.action for e in answer.events) == ["lift", "suppress"]
