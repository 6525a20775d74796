"""Signing in to the console in a real browser, per role; a marketer refused an auditor page."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Console, shot, sign_in

NAV = {
    "marketer1": ["Dashboard", "Check", "Past checks", "Lookup"],
    "auditor1": ["Dashboard", "Lookup", "Audit lookup", "History", "Campaigns", "Report", "Review", "Verify", "Access log"],
    "admin1": ["Dashboard", "Check", "Past checks", "Lookup", "Audit lookup", "History", "Campaigns", "Report", "Review", "Verify",
               "Access log"],
}


def nav_labels(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("nav[aria-label=Console] a").all_inner_texts()]


def test_the_sign_in_page(page: Any, console: Console) -> None:
    answer = page.goto(f"{console.base_url}/console/")
    if answer is not None and answer.status != 404:  # the dashboard is there: signed out, it sends us to sign in
        assert page.url.endswith("/console/login?next=/console/")
    page.goto(f"{console.base_url}/console/login?next=/console/")
    assert page.get_by_label("User name").is_visible() and page.get_by_label("Password").is_visible()
    assert page.locator("main#main h1").inner_text() == "Sign in"
    shot(page, "console-login")
    page.get_by_label("User name").fill("marketer1")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong user name or password."
    assert page.get_by_label("User name").input_value() == "marketer1"
    shot(page, "console-login-failed")
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling on a phone
    shot(page, "console-login-375")


@pytest.mark.parametrize("name", ["marketer1", "auditor1", "admin1"])
def test_each_role_sees_its_navigation(page: Any, console: Console, name: str) -> None:
    sign_in(page, console, name, "/console/login")  # the sign-in form itself exists on every branch
    page.goto(f"{console.base_url}/console/no-such-page")
    assert page.locator("header").get_by_text(f"Signed in as {name}").is_visible()
    assert nav_labels(page) == NAV[name]
    assert page.get_by_role("button", name="Sign out").is_visible()
    shot(page, f"console-nav-{name}")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/login")
    page.goto(f"{console.base_url}/console/no-such-page")
    assert nav_labels(page) == []


def test_a_marketer_is_refused_auditor_pages(page: Any, console: Console) -> None:
    sign_in(page, console, "marketer1")
    answer = page.goto(f"{console.base_url}/console/audit/lookup")
    assert answer is not None
    if answer.status == 404:
        pytest.skip("the auditor pages are not on this branch yet")
    assert answer.status == 403
    assert page.locator("h1").inner_text() == "Not allowed"
    shot(page, "console-403")


def test_keyboard_reaches_the_skip_link_first(page: Any, console: Console) -> None:
    page.goto(f"{console.base_url}/console/login")
    assert page.evaluate("document.activeElement.id") == "username"  # the sign-in form's first field has the focus
    page.goto(f"{console.base_url}/console/no-such-page")  # a page without autofocus
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # a visible focus ring
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_a_form_without_its_csrf_token_is_refused(page: Any, console: Console) -> None:
    sign_in(page, console, "marketer1", "/console/login")
    page.goto(f"{console.base_url}/console/no-such-page")
    page.locator("form.signout input[name=csrf_token]").evaluate("field => field.remove()")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Not allowed"
    assert "security token" in page.get_by_role("alert").inner_text()
    shot(page, "console-403-csrf")
    page.goto(f"{console.base_url}/console/no-such-page")
    assert page.locator("header").get_by_text("Signed in as marketer1").is_visible()  # the sign-out did not happen
    shot(page, "console-404")
