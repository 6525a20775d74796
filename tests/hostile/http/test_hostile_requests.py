"""Hostile requests against the real app on a real uvicorn server (SPEC §8): each file in
`cases/` is one raw HTTP/1.1 request and what must come back — status, security headers on
every answer, the body, and whether the click was logged, counted as rejected, or neither.

Requests are written on a plain socket, so a case can announce a body it never sends, send a
chunked body, or use any method. Paths and headers may name tokens as `{good}`, `{forged}`, …
(built below with the server's keys: a file cannot hold a token signed with a key made at test
time) and the API key as `{api_key}`. README.md lists every case in one line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from pipeline.http.headers import CSP
from pipeline.http.unsubscribe import DONE, NOT_A_LINK, confirmation_page
from pipeline.http.unsubscribe_page import PAGE_CSP, Branding, View, confirmed_page, mask_address, next_nightly
from pipeline.intake.tokens import BadToken, b64url, mint, verify
from pipeline.ledger.manual import add
from pipeline.store.db import make_engine, migrate

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
CASES = sorted((HERE / "cases").glob("*.json"))
KEYS = (("k2", "hostile-new-secret"), ("k1", "hostile-old-secret"))
API_KEY = "hostile-api-key"
NOW = datetime.now(UTC)


def _sig(payload_b64: str, secret: str = "not-our-key") -> str:
    return b64url(hmac.new(secret.encode(), payload_b64.encode(), hashlib.sha256).digest())


def _bump_last(text: str) -> str:
    """The same bytes spelled with stray low bits in the last character (non-canonical)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return text[:-1] + alphabet[alphabet.index(text[-1]) + 1]


def named_tokens() -> dict[str, str]:
    good = mint(KEYS, "alice@example.com", "oct-news", NOW)
    payload, sig = good.split(".")
    forged_payload = b64url(json.dumps({"v": 1, "kid": "k2", "e": "mallory@example.com", "c": "x", "s": "marketing", "iat": 1}).encode())
    return {
        "good": good,
        "good_old_key": mint(KEYS[1:], "bob@example.com", "sep-news", NOW),
        "forged": f"{forged_payload}.{sig}",
        "wrong_key": f"{payload}.{_sig(payload)}",
        "unknown_kid": mint((("k9", "retired"),), "carol@example.com", "aug", NOW),
        "truncated": good[:-3],
        "padded": good + "=",
        "noncanonical": f"{payload}.{_bump_last(sig)}",
        "deep_1000": b64url(b"[" * 1000) + "." + sig,
        "deep_3000": b64url(b"[" * 3000) + "." + sig,
        "nan": b64url(b'{"v":NaN,"kid":"k2","e":"a@example.com"}') + "." + sig,
        "huge_number": b64url(b'{"v":1,"kid":"k2","e":"a@example.com","iat":' + b"9" * 400 + b"}") + "." + sig,
        "huge": b64url(b"x" * 3000) + "." + sig,
        "standard_alphabet": base64.b64encode(b"\xfb\xef\xbe" * 10).decode().rstrip("=") + "." + sig,
        "api_key": API_KEY,
    }


TOKENS = named_tokens()


def fill(value: Any) -> Any:
    """`value` with every `{name}` replaced by its token."""
    if isinstance(value, str):
        for name, token in TOKENS.items():
            value = value.replace("{" + name + "}", token)
        return value
    if isinstance(value, list):
        return [fill(v) for v in value]
    if isinstance(value, dict):
        return {k: fill(v) for k, v in value.items()}
    return value


@dataclass
class Server:
    base: tuple[str, int]
    landing: Path

    def clicks(self) -> list[dict[str, Any]]:
        files = sorted((self.landing / "unsubscribe_link").glob("*/clicks-*.jsonl"))
        return [json.loads(line) for f in files for line in f.read_text().splitlines()]

    def rejected(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in (self.landing / "unsubscribe_link").glob("*/_rejected-*.json"):
            total.update(json.loads(f.read_text())["rejected"])
        return total


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("hostile-http")
    db = f"sqlite:///{root / 'optout.db'}"
    engine = make_engine(db)
    migrate(engine)
    settings = Settings(database_url=db, landing=root / "landing", output=root / "output", token_keys=KEYS,
                        api_keys=(("crm", API_KEY),), segment_lines=1)
    add(engine, settings, FixedClock(NOW), "listed@example.com", "postal_mail", "H1")  # a fresh list to check against
    engine.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = create_app(settings, FixedClock(NOW))  # fixed: the page's promised time is known
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if uv.started:
            break
        time.sleep(0.05)
    else:
        pytest.fail("uvicorn did not start")
    yield Server(("127.0.0.1", port), root / "landing")
    uv.should_exit = True
    thread.join(timeout=10)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def request_bytes(case: dict[str, Any]) -> tuple[bytes, list[bytes]]:
    """The request head and the body parts to send after it."""
    headers = {"Host": "optout.test", "Connection": "close", **case.get("headers", {})}
    body = _body(case)
    parts: list[bytes] = []
    if "chunks" in case or "chunked_repeat" in case:
        text, times, count = case.get("chunked_repeat", ["", 0, 0])
        chunks = [c.encode() for c in case.get("chunks", [])] + [text.encode() * times] * count
        headers["Transfer-Encoding"] = "chunked"
        parts = [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks] + [b"0\r\n\r\n"]
    elif "announce" in case:
        headers["Content-Length"] = str(case["announce"])  # and nothing sent after the head
    elif body is not None:
        headers["Content-Length"] = str(len(body))
        parts = [body]
    head = f"{case['method']} {case['path']} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1"), parts


def _body(case: dict[str, Any]) -> bytes | None:
    """`body`, then `body_repeat` appended (text × times), or `body_file`; None for no body."""
    if "body_file" in case:
        return (HERE / case["body_file"]).read_bytes()
    if "body" not in case and "body_repeat" not in case:
        return None
    text, times = case.get("body_repeat", ["", 0])
    return str(case.get("body", "")).encode("utf-8") + str(text).encode("utf-8") * int(times)


def send(server: Server, case: dict[str, Any]) -> Answer:
    head, parts = request_bytes(case)
    started = time.monotonic()
    with socket.create_connection(server.base, timeout=10) as conn:
        conn.sendall(head)
        for part in parts:
            try:
                conn.sendall(part)
            except OSError:  # the server answered and closed without reading: what a cap does
                break
        return _read_answer(conn, case["method"], started)


def _read_answer(conn: socket.socket, method: str, started: float) -> Answer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = 0 if method == "HEAD" else int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(status, headers, body, time.monotonic() - started)


def expected_body(name: str, path: str) -> bytes:
    token = path.split("/u/", 1)[-1].split("?")[0]
    from urllib.parse import unquote

    token = unquote(token)
    try:
        address = mask_address(verify(KEYS, token).address)
    except BadToken:
        address = None
    view = View("en", Branding(), address, next_nightly(NOW), False)  # no Accept-Language: English
    return {
        "done": DONE.encode(),
        "not_a_link": NOT_A_LINK.encode(),
        "page": confirmation_page(token, view).encode(),
        "confirmed": confirmed_page(view).encode(),
        "empty": b"",
    }[name]


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_hostile_request(server: Server, case_file: Path) -> None:
    case = fill(json.loads(case_file.read_text()))
    expect = case["expect"]
    clicks_before, rejected_before = len(server.clicks()), server.rejected()
    answer = send(server, case)
    assert answer.status == expect["status"], answer.body[:300]
    # Every answer, whatever it is: the unsubscribe pages their own (a stylesheet and a logo from
    # this origin), every other answer the service's.
    html = answer.headers.get("content-type", "").startswith("text/html")
    assert answer.headers.get("content-security-policy") == (PAGE_CSP if html else CSP)
    assert "frame-ancestors 'none'" in PAGE_CSP and "default-src 'none'" in PAGE_CSP
    assert "frame-ancestors 'none'" in CSP and "default-src 'none'" in CSP
    assert answer.headers.get("referrer-policy") == "no-referrer"
    assert answer.headers.get("x-content-type-options") == "nosniff"
    assert "set-cookie" not in answer.headers and "location" not in answer.headers
    for name, value in expect.get("headers", {}).items():
        assert answer.headers.get(name.lower()) == value, name
    if "body" in expect:
        assert answer.body == expected_body(expect["body"], case["path"])
    for text in expect.get("body_contains", []):
        assert text.encode() in answer.body
    for text in expect.get("body_lacks", []):
        assert text.encode() not in answer.body
    if "within_seconds" in expect:
        assert answer.seconds < expect["within_seconds"]
    new_clicks = server.clicks()[clicks_before:]
    assert [{"method": c["method"], "one_click": c["one_click"]} for c in new_clicks] == expect.get("logged", [])
    assert all(c["token"] == case["path"].split("/u/", 1)[1] for c in new_clicks)
    assert server.rejected() - rejected_before == Counter(expect.get("rejected", {}))


def test_every_case_is_listed_in_the_readme() -> None:
    readme = (HERE / "README.md").read_text()
    assert len(CASES) >= 30
    assert [c.name for c in CASES if f"`{c.name}`" not in readme] == []
