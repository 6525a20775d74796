"""Console sign-in through the real app: sessions, roles, CSRF, the rate limit, `next=`, the
two halves of `create_app`, the console's upload rule and static files."""
from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.testclient import TestClient

from pipeline.access import users
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from pipeline.http.console import auth, pages
from pipeline.http.console.sessions import SESSION_COOKIE
from pipeline.store.schema import console_users

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"


def with_test_pages(app: FastAPI) -> FastAPI:
    """Pages standing in for the marketer and auditor ones."""

    @app.get("/console/")
    def dashboard(request: Request, user: auth.ConsoleUser = Depends(auth.require("marketer", "auditor"))) -> Response:
        return pages.render(request, "error.html", user, heading="Dashboard", message=f"hello {user.name}")

    @app.get("/console/audit/lookup")
    def audit(request: Request, user: auth.ConsoleUser = Depends(auth.require("auditor"))) -> Response:
        return pages.render(request, "error.html", user, heading="Audit lookup", message="evidence")

    @app.post("/console/echo", dependencies=[Depends(auth.require_csrf)])
    def echo(user: auth.ConsoleUser = Depends(auth.require())) -> Response:
        return PlainTextResponse(f"done by {user.name}")

    return app


@pytest.fixture
def console(engine: sa.Engine, settings: Settings, clock: FixedClock) -> tuple[FastAPI, FixedClock]:
    for name, role in (("mia", "marketer"), ("abe", "auditor"), ("ada", "admin")):
        users.add(engine, name, role, PASSWORD, clock.now())
    return with_test_pages(create_app(replace(settings, console_key="console-test-key"), clock, only="console")), clock


def client_for(app: FastAPI, https: bool = False) -> TestClient:
    return TestClient(app, base_url="https://testserver" if https else "http://testserver")


def login_token(client: TestClient, next_path: str = "/console/") -> str:
    page = client.get("/console/login", params={"next": next_path})
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "/console/") -> Response:
    token = login_token(client, next_path)
    return client.post("/console/login", data={"username": name, "password": password, "csrf_token": token, "next": next_path},
                       follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/").text)
    assert found
    return found.group(1)


def test_signed_out_pages_send_to_the_sign_in_form(console: tuple[FastAPI, FixedClock]) -> None:
    client = client_for(console[0])
    answer = client.get("/console/audit/lookup?address=a%40b.com", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/audit/lookup%3Faddress%3Da%2540b.com"
    form = client.get(answer.headers["location"])
    assert 'name="username"' in form.text and 'name="password"' in form.text
    assert 'value="/console/audit/lookup?address=a%40b.com"' in form.text
    assert client.post("/console/echo", follow_redirects=False).status_code == 401


def test_sign_in_sets_a_strict_cookie_and_follows_next(console: tuple[FastAPI, FixedClock]) -> None:
    client = client_for(console[0], https=True)
    answer = sign_in(client, "abe", next_path="/console/audit/lookup")
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/audit/lookup")
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path=/console", "samesite=strict"} <= flags
    page = client.get("/console/audit/lookup")
    assert page.status_code == 200 and "Signed in as <strong>abe</strong> (auditor)" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'; style-src 'self'")
    assert page.headers["cache-control"] == "no-store"
    plain = sign_in(client_for(console[0]), "abe")
    assert "secure" not in plain.headers["set-cookie"].lower()  # http (loopback): no Secure flag


def test_a_failed_sign_in_says_one_generic_line(console: tuple[FastAPI, FixedClock]) -> None:
    client = client_for(console[0])
    for name, password in (("mia", "wrong password!"), ("nobody", PASSWORD), ("mia\x00", PASSWORD), ("x" * 10_000, PASSWORD)):
        answer = sign_in(client, name, password)
        assert answer.status_code == 401
        assert "Wrong user name or password." in answer.text and SESSION_COOKIE + "=" not in answer.headers.get("set-cookie", "")
        assert "x" * 100 not in answer.text  # the hostile name is not echoed
    assert sign_in(client, "mia", "").status_code == 400


def test_roles(console: tuple[FastAPI, FixedClock]) -> None:
    app = console[0]
    marketer, admin = client_for(app), client_for(app)
    sign_in(marketer, "mia")
    refused = marketer.get("/console/audit/lookup")
    assert refused.status_code == 403 and "not open to your role" in refused.text
    assert 'href="/console/check"' in refused.text  # in the layout, with the marketer's links
    assert 'href="/console/audit/lookup"' not in refused.text
    sign_in(admin, "ada")
    assert admin.get("/console/audit/lookup").status_code == 200  # an admin passes every require
    assert admin.get("/console/").status_code == 200


def test_nav_by_role(console: tuple[FastAPI, FixedClock]) -> None:
    shown = {}
    for name in ("mia", "abe", "ada"):
        client = client_for(console[0])
        sign_in(client, name)
        shown[name] = re.findall(r'<li><a href="([^"]+)"', client.get("/console/").text)
    assert shown["mia"] == ["/console/", "/console/check", "/console/checks", "/console/lookup"]
    assert shown["abe"][:2] == ["/console/", "/console/lookup"] and "/console/check" not in shown["abe"]
    assert "/console/audit/access-log" in shown["abe"] and set(shown["ada"]) == set(shown["mia"]) | set(shown["abe"])


def _forge(cookie: str, **changes: object) -> str:
    body, mac = cookie.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**payload, **changes}).encode()).rstrip(b"=").decode()
    return f"{forged}.{mac}"


def test_forged_tampered_foreign_and_expired_sessions_are_signed_out(console: tuple[FastAPI, FixedClock], settings: Settings) -> None:
    app, clock = console
    client = client_for(app)
    sign_in(client, "mia")
    real = client.cookies[SESSION_COOKIE]
    other_app = with_test_pages(create_app(replace(settings, console_key="another-key"), clock, only="console"))
    other = client_for(other_app)
    sign_in(other, "mia")
    for value in ("", "garbage", "a.b", real + "x", _forge(real, r="admin"), _forge(real, u="ada"), other.cookies[SESSION_COOKIE],
                  "x" * 5000 + ".y", "%C3%A9.%00"):
        fresh = client_for(app)
        fresh.cookies.set(SESSION_COOKIE, value, path="/console")
        assert fresh.get("/console/", follow_redirects=False).status_code == 303, value
    assert client.get("/console/").status_code == 200
    clock.at += timedelta(hours=8, seconds=1)
    assert client.get("/console/", follow_redirects=False).status_code == 303  # expired


def test_the_store_decides_disabled_and_role(console: tuple[FastAPI, FixedClock], engine: sa.Engine) -> None:
    app, clock = console
    client = client_for(app)
    sign_in(client, "mia")
    assert client.get("/console/audit/lookup").status_code == 403
    with engine.begin() as conn:
        conn.execute(console_users.update().where(console_users.c.name == "mia").values(role="auditor"))
    assert client.get("/console/audit/lookup").status_code == 200  # the new role applies at once
    users.disable(engine, "mia", clock.now())
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_csrf(console: tuple[FastAPI, FixedClock]) -> None:
    app = console[0]
    ann, other = client_for(app), client_for(app)
    sign_in(ann, "mia")
    sign_in(other, "abe")
    token, other_token = csrf_of(ann), csrf_of(other)
    assert ann.post("/console/echo", data={"csrf_token": token}).text == "done by mia"
    assert ann.post("/console/echo", headers={"X-CSRF-Token": token}).status_code == 200
    multipart = ann.post("/console/echo", data={"csrf_token": token}, files={"file": ("a.csv", b"email\n")})
    assert multipart.status_code == 200
    for data, headers in (({}, {}), ({"csrf_token": ""}, {}), ({"csrf_token": "forged"}, {}), ({"csrf_token": other_token}, {}),
                          ({}, {"X-CSRF-Token": other_token}), ({"csrf_token": token + "x"}, {}), ({"csrf_token": "é" * 50}, {})):
        refused = ann.post("/console/echo", data=data, headers=headers)
        assert refused.status_code == 403 and "security token" in refused.text, (data, headers)
    as_json = ann.post("/console/echo", content=json.dumps({"csrf_token": token}), headers={"Content-Type": "application/json"})
    assert as_json.status_code == 403  # a token inside JSON is not read: header or form field only


def test_the_sign_in_form_has_its_own_token(console: tuple[FastAPI, FixedClock]) -> None:
    client = client_for(console[0])
    login_token(client)
    for token in ("", "forged"):
        refused = client.post("/console/login", data={"username": "mia", "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 403 and SESSION_COOKIE + "=" not in refused.headers.get("set-cookie", "")
    stranger = client_for(console[0])  # a token from another browser's form, without its cookie
    assert stranger.post("/console/login", data={"username": "mia", "password": PASSWORD, "csrf_token": login_token(client)},
                         follow_redirects=False).status_code == 403


def test_sign_out_ends_the_session(console: tuple[FastAPI, FixedClock]) -> None:
    client = client_for(console[0])
    sign_in(client, "mia")
    kept = client.cookies[SESSION_COOKIE]
    assert client.post("/console/logout", follow_redirects=False).status_code == 403  # without its token
    answer = client.post("/console/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
    replay = client_for(console[0])
    replay.cookies.set(SESSION_COOKIE, kept, path="/console")
    assert replay.get("/console/", follow_redirects=False).status_code == 303  # a copy of the cookie is dead too


def test_the_sixth_failure_is_429(console: tuple[FastAPI, FixedClock]) -> None:
    app, clock = console
    client = client_for(app)
    for _ in range(5):
        assert sign_in(client, "mia", "wrong password!").status_code == 401
    limited = sign_in(client, "mia", PASSWORD)  # even the right password waits
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 15 * 60
    assert "Too many failed sign-ins" in limited.text
    assert sign_in(client, "abe").status_code == 429  # the same client address, another name
    clock.at += timedelta(minutes=15, seconds=1)
    assert sign_in(client, "mia").status_code == 303


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example", "https://evil.example", "/\\evil.example", "/console//evil.example", "/console/../u/x", "javascript:alert(1)",
     "/console/\r\nSet-Cookie:x=y", "http:/evil.example", "/consolex", " /console/"],
)
def test_next_never_leaves_the_console(console: tuple[FastAPI, FixedClock], next_path: str) -> None:
    client = client_for(console[0])
    assert sign_in(client, "mia", next_path=next_path).headers["location"] == "/console/"


@pytest.mark.parametrize("path", ["/console/check", "/console/checks", "/console/audit/lookup?x=1"])
def test_next_inside_the_console_is_kept(console: tuple[FastAPI, FixedClock], path: str) -> None:
    assert sign_in(client_for(console[0]), "abe", next_path=path).headers["location"] == path


def test_the_halves(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    public = TestClient(create_app(settings, clock, only="public"))
    console = TestClient(create_app(settings, clock, only="console"))
    both = TestClient(create_app(settings, clock))
    key = {"X-API-Key": "k"}
    for path in ("/console/login", "/console/static/console.css", "/api/v1/suppressions/a@b.com"):
        assert public.get(path, headers=key).status_code == 404, path
        assert both.get(path).status_code != 404 or path.startswith("/api/"), path
    assert public.post("/api/v1/check", json={"addresses": []}).status_code == 404  # not 401: there is no API here
    assert public.get("/u/not-a-token").status_code == 200
    assert console.get("/console/login").status_code == 200
    assert console.get("/u/not-a-token").status_code == 404 and console.post("/u/not-a-token").status_code == 404
    with pytest.raises(ValueError):
        create_app(settings, clock, only="all")


def test_console_bodies(console: tuple[FastAPI, FixedClock]) -> None:
    app = console[0]
    client = client_for(app)
    huge = {"Content-Length": str(2 * 1024**3), "Content-Type": "multipart/form-data; boundary=x"}
    assert client.post("/console/check", content=b"", headers=huge).status_code == 401  # no session: not a byte read
    browser = client.post("/console/check", content=b"", headers={**huge, "Accept": "text/html"}, follow_redirects=False)
    assert (browser.status_code, browser.headers["location"]) == (303, "/console/login?next=/console/check")
    sign_in(client, "mia")
    assert client.post("/console/check", content=b"", headers=huge).status_code == 413  # over 1 GiB
    assert client.post("/console/check", content=b"x" * (100 * 1024)).status_code != 413  # under 1 GiB: the route's answer
    assert client.post("/console/echo", content=b"x" * (65 * 1024)).status_code == 413  # other console bodies: 64 KiB


@pytest.mark.parametrize("name", ["../auth.py", "..%2Fauth.py", "auth.py", "CONSOLE.CSS", "console.css%00.js", "none.css"])
def test_static_files_are_only_the_static_files(console: tuple[FastAPI, FixedClock], name: str) -> None:
    client = client_for(console[0])
    css = client.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/console/static/console.js").headers["content-type"].startswith("text/javascript")
    assert client.get(f"/console/static/{name}").status_code == 404


def test_console_errors_are_pages(console: tuple[FastAPI, FixedClock]) -> None:
    client = client_for(console[0])
    missing = client.get("/console/no-such-page")
    assert missing.status_code == 404 and "Page not found" in missing.text and missing.headers["content-type"].startswith("text/html")
    assert client.put("/console/login").status_code == 405
    assert client.get("/api/v1/nothing").status_code in (401, 404)  # the API keeps its JSON answers


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"username=%ff%fe&password=\xff\xfe&csrf_token=x", "application/x-www-form-urlencoded", 403),  # broken encodings
        (b"\xff" * 1000, "application/x-www-form-urlencoded", 403),
        (b'--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nmia', "multipart/form-data; boundary=x", 403),  # cut off
        (b"garbage", "multipart/form-data", 400),  # no boundary
        (b'{"username": "mia"}', "application/json", 403),
        (b"username=" + b"a" * 60_000, "application/x-www-form-urlencoded", 403),
        (b"username=" + b"a" * 70_000, "application/x-www-form-urlencoded", 413),  # over the 64 KiB cap
        (b"", "text/plain", 403),
    ],
)
def test_hostile_sign_in_bodies_get_a_page(console: tuple[FastAPI, FixedClock], body: bytes, content_type: str, status: int) -> None:
    client = TestClient(console[0], raise_server_exceptions=False)
    answer = client.post("/console/login", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == status
    assert SESSION_COOKIE + "=" not in answer.headers.get("set-cookie", "")
