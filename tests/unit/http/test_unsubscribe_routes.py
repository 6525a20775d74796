"""The unsubscribe page through the app: each language, the branding (hostile values too), the
logo as it is at serve time, a CSP that lets nothing in from another host, and the one-click
answer exactly as RFC 8058 clients have always had it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from pipeline.http.unsubscribe import DONE
from pipeline.http.unsubscribe_page import MAX_LOGO_BYTES, PAGE_CSP
from pipeline.intake.tokens import mint

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # a Wednesday: the next run is Thursday 02:00 UTC
KEYS = (("k1", "secret-one"),)
GOOD = mint(KEYS, "jane.doe@example.com", "dec", NOW)
FORGED = GOOD[:-2] + "AA"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_client(tmp_path: Path, **brand: object) -> TestClient:
    settings = Settings(landing=tmp_path / "landing", token_keys=KEYS, database_url=f"sqlite:///{tmp_path / 'optout.db'}", **brand)  # type: ignore[arg-type]
    return TestClient(create_app(settings, FixedClock(NOW)), follow_redirects=False)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return make_client(tmp_path)


@pytest.mark.parametrize(
    ("accept", "lang", "title", "button", "when", "done"),
    [
        (None, "en", "Unsubscribe", "Unsubscribe", "Thursday 3 December 2026 at 02:00 UTC", "Your request is recorded"),
        ("en-GB,en;q=0.9", "en", "Unsubscribe", "Unsubscribe", "Thursday 3 December 2026 at 02:00 UTC", "Your request is recorded"),
        ("de-CH", "de", "Abmelden", "Abmelden", "Donnerstag, 3. Dezember 2026, um 02:00 Uhr UTC", "Ihr Wunsch ist gespeichert"),
        ("fr-FR,fr;q=0.9", "fr", "Se désinscrire", "Se désinscrire", "jeudi 3 décembre 2026 à 02:00 UTC", "Votre demande est enregistrée"),
        (
            "es-MX,es;q=0.8,en;q=0.5", "es", "Darse de baja", "Darse de baja",
            "jueves, 3 de diciembre de 2026, a las 02:00 UTC", "Su solicitud está registrada",
        ),
        ("ja,zh;q=0.8", "en", "Unsubscribe", "Unsubscribe", "Thursday 3 December 2026 at 02:00 UTC", "Your request is recorded"),
    ],
)
def test_the_page_and_its_confirmation_in_each_language(
    client: TestClient, accept: str | None, lang: str, title: str, button: str, when: str, done: str
) -> None:
    headers = {"accept-language": accept} if accept else {}
    page = client.get(f"/u/{GOOD}", headers=headers)
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text and page.headers["content-language"] == lang
    assert page.headers["vary"] == "Accept-Language"
    assert f"<title>{title}</title>" in page.text and f'<button type="submit">{button}</button>' in page.text
    assert when in page.text and "48" in page.text
    assert 'dir="ltr">j***@example.com</span>' in page.text
    confirmed = client.post(f"/u/{GOOD}", data={"confirm": "1"}, headers=headers)
    assert confirmed.headers["content-type"].startswith("text/html") and confirmed.headers["vary"] == "Accept-Language"
    assert f'<html lang="{lang}">' in confirmed.text and f"<h1>{done}</h1>" in confirmed.text and when in confirmed.text
    assert "j***@example.com" in confirmed.text and "jane.doe" not in confirmed.text


def test_a_token_that_does_not_verify_gets_the_page_without_an_address_and_a_working_button(client: TestClient) -> None:
    page = client.get(f"/u/{FORGED}", headers={"accept-language": "de"})
    assert "@" not in page.text and f'action="/u/{FORGED}"' in page.text and "<button" in page.text
    done = client.post(f"/u/{FORGED}", data={"confirm": "1"}, headers={"accept-language": "de"})
    assert "<h1>Ihr Wunsch ist gespeichert</h1>" in done.text and "@" not in done.text


@pytest.mark.parametrize("accept", [None, "de", "fr;q=0.9", "*;q=abc"])
@pytest.mark.parametrize("token", [GOOD, FORGED, "not-a-token"])
@pytest.mark.parametrize("data", [{"List-Unsubscribe": "One-Click"}, {"List-Unsubscribe": "One-Click", "confirm": "1"}, {}])
def test_a_one_click_post_keeps_its_plain_answer(client: TestClient, accept: str | None, token: str, data: dict[str, str]) -> None:
    answer = client.post(f"/u/{token}", data=data, headers={"accept-language": accept} if accept else {})
    assert answer.status_code == 200 and answer.text == DONE
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert "vary" not in answer.headers and "set-cookie" not in answer.headers and "location" not in answer.headers


def test_head_answers_like_get(client: TestClient) -> None:
    for token in (GOOD, FORGED, "x"):
        get, head = client.get(f"/u/{token}"), client.head(f"/u/{token}")
        assert head.content == b"" and head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.parametrize("path", ["/u/x", "/u/javascript:alert(1)", '/u/"><script>', "/u/" + "A" * 3000])
@pytest.mark.parametrize("accept", ["en", "es"])
def test_the_not_a_link_page_is_fixed_for_every_path(client: TestClient, path: str, accept: str) -> None:
    page = client.get(path, headers={"accept-language": accept})
    assert page.text == client.get("/u/other", headers={"accept-language": accept}).text
    assert "<form" not in page.text and f'lang="{accept}"' in page.text and page.headers["content-security-policy"] == PAGE_CSP


def test_the_csp_lets_nothing_in_from_another_host(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    client = make_client(tmp_path, brand_name="Acme", brand_logo=tmp_path / "logo.png", privacy_url="https://acme.example/privacy")
    directives = dict(d.strip().split(" ", 1) for d in PAGE_CSP.split(";"))
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert set(" ".join(directives.values()).split()) <= {"'none'", "'self'"}  # no host, no 'unsafe-*', no data:
    for answer in (client.get(f"/u/{GOOD}"), client.post(f"/u/{GOOD}", data={"confirm": "1"}), client.get("/u/x")):
        assert answer.headers["content-security-policy"] == PAGE_CSP
        assert "<script" not in answer.text and " style=" not in answer.text and "<style" not in answer.text
        assert re.findall(r'src="([^"]*)"', answer.text) in ([], ["/u-assets/logo"])
        assert re.findall(r'<link[^>]*href="([^"]*)"', answer.text) == ["/u-assets/page.css"]


def test_the_brand_is_escaped_everywhere(tmp_path: Path) -> None:
    client = make_client(
        tmp_path,
        brand_name='Acme <script>alert(1)</script> "&',
        support_contact="<img src=x onerror=alert(1)>",
        privacy_url='https://acme.example/p?a=1&b="2"',
    )
    for answer in (client.get(f"/u/{GOOD}"), client.post(f"/u/{GOOD}", data={"confirm": "1"}), client.get("/u/x")):
        assert "<script>" not in answer.text and "<img src=x" not in answer.text
        assert "Acme &lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;" in answer.text
    page = client.get(f"/u/{GOOD}").text
    assert 'href="https://acme.example/p?a=1&amp;b=&quot;2&quot;"' in page


@pytest.mark.parametrize(
    ("contact", "html"),
    [
        ("help@acme.example", '<a href="mailto:help@acme.example">help@acme.example</a>'),
        ("https://acme.example/help", '<a href="https://acme.example/help">https://acme.example/help</a>'),
        ("+1 555 0100", "+1 555 0100"),
        ("javascript:alert(1)", "javascript:alert(1)"),  # text, never a link
    ],
)
def test_the_support_contact(tmp_path: Path, contact: str, html: str) -> None:
    done = make_client(tmp_path, support_contact=contact).post(f"/u/{GOOD}", data={"confirm": "1"}).text
    assert html in done and 'href="javascript' not in done


def test_the_stylesheet_carries_the_brand_colour_with_readable_button_text(tmp_path: Path) -> None:
    light = make_client(tmp_path, brand_colour="#ffeb3b").get("/u-assets/page.css")
    assert light.headers["content-type"].startswith("text/css") and light.headers["x-content-type-options"] == "nosniff"
    assert "background:#ffeb3b;color:#000000" in light.text
    assert "a{color:#1a1a1a" in light.text  # too light for text on white: links stay dark
    dark = make_client(tmp_path, brand_colour="#1d4ed8").get("/u-assets/page.css").text
    assert "background:#1d4ed8;color:#ffffff" in dark and "a{color:#1d4ed8" in dark


def test_the_logo_is_served_by_the_service_itself(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    client = make_client(tmp_path, brand_name="Acme", brand_logo=logo)
    served = client.get("/u-assets/logo")
    assert served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff" and "sandbox" in served.headers["content-security-policy"]
    assert '<img src="/u-assets/logo" alt="Acme">' in client.get(f"/u/{GOOD}").text


@pytest.mark.parametrize("change", ["missing", "symlink", "huge", "not_an_image"])
def test_a_logo_that_changed_at_serve_time_is_left_out(tmp_path: Path, change: str) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    client = make_client(tmp_path, brand_name="Acme", brand_logo=logo)  # the setting was fine at start
    logo.unlink()
    if change == "symlink":
        (tmp_path / "secret").write_text("private")
        logo.symlink_to(tmp_path / "secret")
    elif change == "huge":
        logo.write_bytes(PNG + b"\x00" * MAX_LOGO_BYTES)
    elif change == "not_an_image":
        logo.write_bytes(b"<html>")
    assert client.get("/u-assets/logo").status_code == 404
    page = client.get(f"/u/{GOOD}")
    assert page.status_code == 200 and "<img" not in page.text and "Acme" in page.text


@pytest.mark.parametrize(
    "accept",
    [
        "x" * 200_000,
        ",".join(f"l{i};q=0.{i % 10}" for i in range(1000)) + ",de",
        "*;q=abc",
        "é,de".encode(),  # raw UTF-8 bytes in the header
        ";;;,,,=q",
    ],
)
def test_a_hostile_accept_language_gets_a_page(client: TestClient, accept: str | bytes) -> None:
    page = client.get(f"/u/{GOOD}", headers={"accept-language": accept})
    assert page.status_code == 200 and page.headers["content-language"] in ("en", "de")


def test_the_assets_belong_to_the_public_half(tmp_path: Path) -> None:
    settings = Settings(landing=tmp_path / "landing", token_keys=KEYS, database_url=f"sqlite:///{tmp_path / 'optout.db'}")
    public = TestClient(create_app(settings, FixedClock(NOW), only="public"))
    console = TestClient(create_app(settings, FixedClock(NOW), only="console"))
    assert public.get("/u-assets/page.css").status_code == 200 and public.get(f"/u/{GOOD}").status_code == 200
    assert console.get("/u-assets/page.css").status_code == 404 and console.get(f"/u/{GOOD}").status_code == 404
