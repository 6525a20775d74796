"""The auditor pages in a real browser, as an auditor would use them on the demo: look up a
person the sample campaign's check removed and read the evidence, open that check's audit,
read the report's charts; a marketer is refused. A screenshot of every auditor page is saved."""
from __future__ import annotations

import csv
import re

from tests.browser.conftest import shot, sign_in


def removed_person(console) -> str:
    with (console.directory / "campaign-removed.csv").open(encoding="utf-8", newline="") as fh:
        return next(row["email"] for row in csv.DictReader(fh) if row["reason"] == "suppressed")


def test_an_auditor_finds_the_evidence_the_campaign_audit_and_the_charts(console, page):
    sign_in(page, console, "auditor1", "/console/audit/lookup")
    person = removed_person(console)
    page.get_by_label("Address").fill(person)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_load_state()
    assert page.locator("#status").inner_text().endswith("suppressed")
    first = page.locator(".timeline .event").first
    assert re.search(r"\.csv at (line|row) \d+|message", first.inner_text())
    assert first.locator("pre.raw").is_visible()
    shot(page, "auditor-lookup")

    page.get_by_role("link", name="Campaigns").click()
    page.wait_for_load_state()
    assert "demo-newsletter" in page.locator("table.checks").inner_text()
    shot(page, "auditor-campaigns")
    page.get_by_role("link", name=re.compile(r"^check \d+$")).first.click()
    page.wait_for_load_state()
    assert "Proven clean" in page.locator(".verdict").inner_text()
    assert page.get_by_role("heading", name=re.compile("Sent while suppressed")).inner_text().endswith(": 0")
    shot(page, "auditor-campaign")

    page.goto(f"{console.base_url}/console/audit/report?date={console.now[:10]}")
    charts = page.locator("figure.chart-figure svg")
    assert charts.count() == 4 and all(charts.nth(i).is_visible() for i in range(4))
    assert page.locator("figure#figure-time-to-effect svg rect").count() > 0
    page.locator("figure#figure-list-size summary").click()
    figures = page.locator("figure#figure-list-size table")
    assert figures.is_visible() and re.search(r"v1\s+\d+", figures.inner_text())
    shot(page, "auditor-report")


def test_screenshots_of_the_other_auditor_pages(console, page):
    sign_in(page, console, "auditor1", "/console/audit/history")
    assert page.locator("table.history tbody tr").count() > 1
    shot(page, "auditor-history")
    page.goto(f"{console.base_url}/console/audit/review")
    shot(page, "auditor-review")
    item = page.locator("main table a").first
    if item.count():
        item.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Raw record").is_visible()
        assert page.locator("form[action^='/console/audit/review/']").count() == 0  # auditors read only
        shot(page, "auditor-review-item")
    page.goto(f"{console.base_url}/console/audit/verify")
    assert page.locator("main .ok").count() == 2
    shot(page, "auditor-verify")
    page.goto(f"{console.base_url}/console/audit/access-log")
    assert "audit verify" in page.locator("table.access-log").inner_text()
    shot(page, "auditor-access-log")
    page.goto(f"{console.base_url}/console/audit/lookup?address=x&as_of=9999-99-99")
    assert "as_of: not a date or time" in page.get_by_role("alert").inner_text()
    shot(page, "auditor-lookup-bad-input")


def test_an_admin_sees_the_resolve_form(console, page):
    sign_in(page, console, "admin1", "/console/audit/review")
    item = page.locator("main table a").first
    assert item.count() == 1
    item.click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name=re.compile("Resolve item")).is_visible()
    shot(page, "auditor-review-item-admin")


def test_a_marketer_is_refused(console, page):
    sign_in(page, console, "marketer1", "/console/audit/report")
    assert "not open to your role" in page.locator("main").inner_text()
