"""The console's signed cookies, CSRF tokens, `next` paths and the sign-in rate limit, as pure functions."""
from __future__ import annotations

import pytest

from pipeline.http.console import sessions as s

pytestmark = pytest.mark.unit
KEY = "console-key"
NOW = 1_800_000_000


def test_a_session_round_trips_and_expires() -> None:
    session, cookie = s.new_session(KEY, "ann", "marketer", NOW)
    assert s.read_session(KEY, cookie, NOW) == session
    assert session.expires_at == NOW + 8 * 3600 and len(session.sid) == 32
    assert s.read_session(KEY, cookie, session.expires_at - 1) == session
    assert s.read_session(KEY, cookie, session.expires_at) is None
    assert s.read_session("other-key", cookie, NOW) is None
    assert s.read_session(KEY, cookie, NOW - 3600) is None  # issued an hour in the future: not ours


def test_a_cookie_signed_for_one_purpose_is_no_other() -> None:
    login_cookie, _ = s.new_login_form(KEY, NOW)
    assert s.read_session(KEY, login_cookie, NOW) is None
    forged = s.sign(KEY, "login", {"u": "ann", "r": "admin", "iat": NOW, "exp": NOW + 60, "sid": "x"})
    assert s.read_session(KEY, forged, NOW) is None
    made = s.sign(KEY, "session", {"u": "ann", "r": "admin", "iat": NOW, "exp": NOW + 60, "sid": "x"})
    assert s.read_session(KEY, made, NOW) is not None  # only the key makes a session


@pytest.mark.parametrize(
    "payload",
    [{"u": "ann", "r": "admin", "iat": NOW, "sid": "x"}, {"u": 1, "r": "admin", "iat": NOW, "exp": NOW + 60, "sid": "x"},
     {"u": "ann", "r": "admin", "iat": NOW, "exp": "later", "sid": "x"}, {"u": "ann", "r": "admin", "iat": NOW, "exp": NOW + 60}],
)
def test_a_signed_but_malformed_payload_is_refused(payload: dict[str, object]) -> None:
    assert s.read_session(KEY, s.sign(KEY, "session", payload), NOW) is None


@pytest.mark.parametrize("value", [None, "", ".", "a.b.c", "!!.!!", "e30.", "x" * 5000 + ".y", "\x00.\x00"])
def test_junk_cookies(value: str | None) -> None:
    assert s.read_session(KEY, value, NOW) is None


def test_csrf_tokens_belong_to_one_session() -> None:
    assert s.csrf_token(KEY, "a") == s.csrf_token(KEY, "a")
    assert s.csrf_token(KEY, "a") != s.csrf_token(KEY, "b") != s.csrf_token("other", "b")


def test_the_sign_in_token_needs_its_cookie() -> None:
    cookie, token = s.new_login_form(KEY, NOW)
    other_cookie, other_token = s.new_login_form(KEY, NOW)
    assert s.login_token_ok(KEY, cookie, token, NOW)
    assert not s.login_token_ok(KEY, cookie, other_token, NOW)
    assert not s.login_token_ok(KEY, None, token, NOW)
    assert not s.login_token_ok(KEY, cookie, token, NOW + 3600)  # the form lives an hour
    assert not s.login_token_ok(KEY, cookie, "é" * 43, NOW)


@pytest.mark.parametrize(
    ("given", "followed"),
    [
        ("/console/", "/console/"), ("/console/check", "/console/check"), ("/console/audit/lookup?address=a%40b.com", None),
        ("/console", "/console"), (None, "/console/"), ("", "/console/"), ("//evil.example", "/console/"),
        ("https://evil.example/console/", "/console/"), ("/\\evil.example", "/console/"), ("/console/\\evil", "/console/"),
        ("/console//evil.example", "/console/"), ("/console/../u/x", "/console/"), ("/u/token", "/console/"),
        ("javascript:alert(1)", "/console/"), ("/console/\nx", "/console/"), ("/console/\tx", "/console/"), ("/console/ x", "/console/"),
        ("/consolex", "/console/"), ("/console/" + "a" * 3000, "/console/"),
    ],
)
def test_safe_next(given: str | None, followed: str | None) -> None:
    assert s.safe_next(given) == (given if followed is None else followed)


def test_the_rate_limit() -> None:
    limiter = s.LoginLimiter(limit=5, window=900)
    keys = ["client:1.2.3.4", "name:ann"]
    for n in range(5):
        assert limiter.retry_after(keys, NOW + n) == 0
        limiter.fail(keys, NOW + n)
    assert limiter.retry_after(keys, NOW + 5) == 900 - 5  # until the first failure is 15 minutes old
    assert limiter.retry_after(["client:5.6.7.8", "name:ann"], NOW + 5) > 0  # the name is limited from anywhere
    assert limiter.retry_after(["client:5.6.7.8", "name:bob"], NOW + 5) == 0
    assert limiter.retry_after(keys, NOW + 899) == 1
    assert limiter.retry_after(keys, NOW + 900) == 0  # the first failure left the window: one more try
    limiter.fail(keys, NOW + 900)
    assert limiter.retry_after(keys, NOW + 900) == 1  # and then the second one's turn
    limiter.clear("name:ann")
    assert limiter.retry_after(["name:ann"], NOW + 5) == 0


def test_the_rate_limit_holds_a_bounded_number_of_keys() -> None:
    limiter = s.LoginLimiter(limit=5, window=900, max_keys=100)
    for n in range(10_000):
        limiter.fail([f"name:user{n}"], NOW)
    assert len(limiter._failures) == 100


def test_revoked_sessions_are_bounded() -> None:
    revoked = s.Revoked(limit=3)
    for sid in "abcd":
        revoked.add(sid, NOW)
    assert "a" not in revoked and all(sid in revoked for sid in "bcd")
