"""Signed cookies for the console: the session, the sign-in form's CSRF token, and the
in-memory sign-in rate limit.

A cookie value is `base64url(JSON payload).base64url(HMAC-SHA256(console_key, payload))`; it is
read only when the signature holds and the expiry lies ahead. Nothing is stored on the server
except, per process and in memory, recent failed sign-ins and the sessions signed out early."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

SESSION_COOKIE = "optout_console"
LOGIN_COOKIE = "optout_console_login"
SESSION_SECONDS = 8 * 3600
LOGIN_FORM_SECONDS = 3600
MAX_COOKIE = 4096


@dataclass(frozen=True)
class ConsoleUser:
    """Who is signed in; role is marketer | auditor | admin, as the store has it now."""

    name: str
    role: str


class SignInRequired(Exception):
    """Not signed in (or the session ended): GET pages go to the sign-in form, other methods get 401."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign-in required")
        self.next_path = next_path


class Forbidden(Exception):
    """Signed in, but this page or action is not for this role, or a POST lacks its CSRF token (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Session:
    user: str
    role: str
    issued_at: int
    expires_at: int
    sid: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, purpose: str, data: bytes) -> bytes:
    return hmac.new(key.encode("utf-8"), purpose.encode("ascii") + b"\x00" + data, hashlib.sha256).digest()


def sign(key: str, purpose: str, payload: dict[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return f"{_b64(data)}.{_b64(_mac(key, purpose, data))}"


def unsign(key: str, purpose: str, value: str | None, now: int) -> dict[str, Any] | None:
    """The payload of a cookie signed by `sign` for `purpose`, or None when it is missing,
    malformed, forged, signed under another key or purpose, or expired."""
    if not value or len(value) > MAX_COOKIE or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    try:
        data, given = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(_mac(key, purpose, data), given):
        return None
    try:
        payload = json.loads(data)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int) or payload["exp"] <= now:
        return None
    return payload


def new_session(key: str, user: str, role: str, now: int) -> tuple[Session, str]:
    session = Session(user=user, role=role, issued_at=now, expires_at=now + SESSION_SECONDS, sid=secrets.token_hex(16))
    cookie = sign(key, "session", {"u": user, "r": role, "iat": now, "exp": session.expires_at, "sid": session.sid})
    return session, cookie


def read_session(key: str, value: str | None, now: int) -> Session | None:
    payload = unsign(key, "session", value, now)
    if payload is None:
        return None
    user, role, iat, sid = payload.get("u"), payload.get("r"), payload.get("iat"), payload.get("sid")
    if not (isinstance(user, str) and isinstance(role, str) and isinstance(iat, int) and isinstance(sid, str)):
        return None
    if iat > now + 300:  # issued in the future: not ours
        return None
    return Session(user=user, role=role, issued_at=iat, expires_at=payload["exp"], sid=sid)


def csrf_token(key: str, sid: str) -> str:
    """The CSRF token of a session: HMAC(console_key, session id)."""
    return _b64(_mac(key, "csrf", sid.encode("ascii", errors="replace")))


def new_login_form(key: str, now: int) -> tuple[str, str]:
    """(cookie, token) for the sign-in form: the token is bound to a short-lived signed cookie."""
    nonce = secrets.token_hex(16)
    return sign(key, "login", {"n": nonce, "exp": now + LOGIN_FORM_SECONDS}), _b64(_mac(key, "login-csrf", nonce.encode("ascii")))


def login_token_ok(key: str, cookie: str | None, token: str, now: int) -> bool:
    payload = unsign(key, "login", cookie, now)
    if payload is None or not isinstance(payload.get("n"), str):
        return False
    expected = _b64(_mac(key, "login-csrf", payload["n"].encode("ascii", errors="replace")))
    return hmac.compare_digest(expected.encode("ascii"), token.encode("utf-8", errors="replace"))


def safe_next(value: str | None, default: str = "/console/") -> str:
    """`value` if it is a path inside the console on this site, else `default` (no open redirect:
    `//host`, `https://host`, `/\\host`, control characters are all refused)."""
    if not value or len(value) > 2000 or not value.startswith("/console/") and value != "/console":
        return default
    if "\\" in value or "//" in value or "/.." in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


class Revoked:
    """Session ids signed out before their expiry (per process, in memory, bounded)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._sids: OrderedDict[str, int] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, sid: str, expires_at: int) -> None:
        with self._lock:
            self._sids[sid] = expires_at
            while len(self._sids) > self._limit:
                self._sids.popitem(last=False)

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return sid in self._sids


class LoginLimiter:
    """At most `limit` failed sign-ins per `window` seconds per key (a client address, a user
    name). In memory and per process: a restart forgets, and each worker counts its own."""

    def __init__(self, limit: int = 5, window: int = 15 * 60, max_keys: int = 50_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, keys: list[str], now: float) -> int:
        """Seconds until a sign-in may be tried again under all of `keys` (0: now)."""
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._prune(key, now)
                if len(times) >= self.limit:
                    wait = max(wait, times[0] + self.window - now)
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def fail(self, keys: list[str], now: float) -> None:
        with self._lock:
            for key in keys:
                times = self._failures.setdefault(key, deque())
                times.append(now)
                self._failures.move_to_end(key)
                while len(times) > self.limit:
                    times.popleft()
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] + self.window <= now:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times


def epoch(at: datetime) -> int:
    return int(at.timestamp())
