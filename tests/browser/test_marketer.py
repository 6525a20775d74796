"""The marketer's pages in a real browser over a real `optout serve` of the demo store: sign in,
upload seeds/campaign.csv, preview, run, wait for the end, download the three files, and the send
file is byte for byte what `optout check` writes for the same file. A screenshot of each page."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.conftest import Console, shot, sign_in
from tests.conftest import ROOT

CAMPAIGN = ROOT / "seeds" / "campaign.csv"


def test_a_marketer_checks_a_list_and_downloads_its_files(page: Any, console: Console, tmp_path: Path) -> None:
    sign_in(page, console, "marketer1")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("Fresh", exact=False).first.is_visible()
    shot(page, "marketer-dashboard")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Check", exact=True).click()
    page.get_by_label("Recipient list").set_input_files(str(CAMPAIGN))
    page.get_by_label("Campaign").fill("browser-oct")
    shot(page, "marketer-check-form")
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Preview of campaign.csv").is_visible()
    assert page.locator("tbody tr").count() == 10
    assert page.get_by_label("Address column").input_value() == "email"
    shot(page, "marketer-preview")

    page.get_by_role("button", name="Run the check").click()
    page.get_by_text("Done: check").wait_for(timeout=60_000)  # check.js reloads the page when the check ends
    shot(page, "marketer-done")

    saved = {}
    for label, which in (("Send file", "send"), ("Removed rows", "removed"), ("Receipt", "receipt")):
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        path = tmp_path / f"{which}.download"
        info.value.save_as(str(path))
        saved[which] = path
    receipt = json.loads(saved["receipt"].read_text(encoding="utf-8"))
    assert receipt["checked_by"] == "console:marketer1" and receipt["campaign"] == "browser-oct"

    out = tmp_path / "cli.csv"
    done = console.optout("check", str(CAMPAIGN), "--output", str(out), "--removed", str(tmp_path / "cli.removed.csv"), "--json")
    assert done.returncode == 0, done.stderr
    assert saved["send"].read_bytes() == out.read_bytes()
    assert saved["removed"].read_bytes() == (tmp_path / "cli.removed.csv").read_bytes()
    assert json.loads(done.stdout)["kept"] == receipt["kept"]

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Past checks").click()
    assert page.get_by_text("console:marketer1").first.is_visible()
    shot(page, "marketer-past-checks")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Lookup", exact=True).click()
    page.get_by_label("Address").fill("nobody@example.com")
    page.get_by_role("button", name="Look up").click()
    page.wait_for_load_state()
    assert page.get_by_text("is not suppressed").is_visible()
    shot(page, "marketer-lookup")


def test_the_progress_page_works_without_javascript(browser: Any, console: Console) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, console, "marketer1")
        page.goto(f"{console.base_url}/console/check")
        page.get_by_label("Recipient list").set_input_files(str(CAMPAIGN))
        page.get_by_role("button", name="Upload and preview").click()
        page.get_by_role("button", name="Run the check").click()
        page.wait_for_load_state()
        shot(page, "marketer-progress-no-js-375")  # "Checking…" with a Refresh link, or already done
        for _ in range(60):
            if page.get_by_text("Done: check").count():
                break
            page.get_by_role("link", name="Refresh").click()
            page.wait_for_load_state()
        assert page.get_by_text("Done: check").is_visible()
        shot(page, "marketer-done-no-js-375")
    finally:
        context.close()


def test_an_auditor_sees_the_dashboard_and_lookup_but_not_the_check(page: Any, console: Console) -> None:
    sign_in(page, console, "auditor1")
    nav = page.get_by_role("navigation", name="Console")
    assert nav.get_by_role("link", name="Dashboard").is_visible() and nav.get_by_role("link", name="Lookup", exact=True).is_visible()
    assert nav.get_by_role("link", name="Check", exact=True).count() == 0
    answer = page.goto(f"{console.base_url}/console/check")
    assert answer is not None and answer.status == 403
    assert page.get_by_text("This page is not open to your role.").is_visible()
    shot(page, "marketer-check-refused-to-auditor")
