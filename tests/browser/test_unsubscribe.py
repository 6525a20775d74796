"""The unsubscribe page in a real browser (the `browser` of conftest.py: Playwright driving
Debian's Chromium) against its own uvicorn server with branding set and a fixed clock: readable
at 375 px and 1280 px without sideways scrolling, branded (logo, colour), in the reader's
language, and usable with the keyboard alone — Tab to the button, Enter, and the HTML
confirmation. Screenshots go to test-artifacts/screenshots/ (`shot`)."""
from __future__ import annotations

import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from pipeline.intake.tokens import mint
from tests.browser.conftest import shot

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
KEYS = (("k1", "browser-secret"),)
BRAND = "#0b6e4f"
GOOD = mint(KEYS, "jane.doe@example.com", "dec", NOW)
LONG = mint(KEYS, "a" * 60 + "@" + "very-long-subdomain-" * 3 + "x." + "example-domain-" * 3 + "org.example", "dec", NOW)
PHONE, DESKTOP = {"width": 375, "height": 812}, {"width": 1280, "height": 800}


def png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid one-colour PNG, so the page's logo is a real image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("unsubscribe-browser")
    logo = root / "logo.png"
    logo.write_bytes(png(96, (11, 110, 79)))
    settings = Settings(
        database_url=f"sqlite:///{root / 'optout.db'}", landing=root / "landing", token_keys=KEYS,
        brand_name="Acme Outdoor", brand_logo=logo, brand_colour=BRAND,
        privacy_url="https://acme.example/privacy", support_contact="privacy@acme.example", segment_lines=1,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(create_app(settings, FixedClock(NOW), only="public"), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", root / "landing"
    uv.should_exit = True
    thread.join(timeout=10)


def open_page(browser: Any, url: str, viewport: dict[str, int], locale: str = "en-GB") -> Any:
    page = browser.new_context(viewport=viewport, locale=locale).new_page()
    answer = page.goto(url)
    assert answer is not None and answer.status == 200
    return page


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "375"), (DESKTOP, "1280")])
def test_the_page_reads_at_phone_and_desktop_widths(browser: Any, server: tuple[str, Path], viewport: dict[str, int], name: str) -> None:
    base, _ = server
    page = open_page(browser, f"{base}/u/{GOOD}", viewport)
    shot(page, f"unsubscribe-{name}")
    assert no_sideways_scroll(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Unsubscribe"
    assert [page.get_by_role(r).count() for r in ("banner", "main", "contentinfo")] == [1, 1, 1]  # landmarks
    assert "j***@example.com" in page.inner_text("main") and "jane.doe" not in page.content()
    assert page.evaluate("document.querySelector('header img').naturalWidth") == 96  # the logo, from the service
    assert page.get_by_role("img", name="Acme Outdoor").count() == 1
    button = page.get_by_role("button", name="Unsubscribe")
    box = button.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 110, 79)"  # the brand colour
    assert button.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    assert page.get_by_role("link", name="Privacy policy").get_attribute("href") == "https://acme.example/privacy"
    page.context.close()


def test_keyboard_only_tab_to_the_button_enter_and_the_confirmation(browser: Any, server: tuple[str, Path]) -> None:
    base, landing = server
    page = open_page(browser, f"{base}/u/{GOOD}", PHONE)
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["BUTTON", "Unsubscribe"]  # the first stop is the button
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    shot(page, "unsubscribe-375-focused")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Your request is recorded"
    text = page.inner_text("main")
    assert "j***@example.com will receive no more newsletters" in text
    assert "Thursday 3 December 2026 at 02:00 UTC" in text and "48 hours" in text
    assert page.get_by_role("link", name="privacy@acme.example").first.get_attribute("href") == "mailto:privacy@acme.example"
    assert no_sideways_scroll(page)
    shot(page, "unsubscribe-375-confirmed")
    rows = [json.loads(line) for f in sorted(landing.glob("unsubscribe_link/*/clicks-*.jsonl")) for line in f.read_text().splitlines()]
    assert [(r["method"], r["one_click"]) for r in rows if r["token"] == GOOD][-1] == ("POST", False)
    page.context.close()


@pytest.mark.parametrize(
    ("locale", "lang", "heading"), [("de-CH", "de", "Abmelden"), ("fr-FR", "fr", "Se désinscrire"), ("es-ES", "es", "Darse de baja")]
)
def test_the_page_in_the_browsers_language(browser: Any, server: tuple[str, Path], locale: str, lang: str, heading: str) -> None:
    base, _ = server
    page = open_page(browser, f"{base}/u/{GOOD}", PHONE, locale=locale)
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert no_sideways_scroll(page)
    shot(page, f"unsubscribe-375-{lang}")
    page.context.close()


def test_a_long_address_and_the_not_a_link_page_fit_a_phone(browser: Any, server: tuple[str, Path]) -> None:
    base, _ = server
    page = open_page(browser, f"{base}/u/{LONG}", PHONE)
    assert no_sideways_scroll(page)
    shot(page, "unsubscribe-375-long-address")
    page.goto(f"{base}/u/not-a-token")
    assert page.get_by_role("button").count() == 0 and "not complete or not valid" in page.inner_text("main")
    assert no_sideways_scroll(page)
    shot(page, "unsubscribe-375-not-a-link")
    page.context.close()
