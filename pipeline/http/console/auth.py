"""Sign-in for the console: the session, role checks, CSRF tokens and the sign-in form.

- `ConsoleUser(name, role)`: role is marketer | auditor | admin.
- `require(*roles)`: a FastAPI dependency giving the signed-in `ConsoleUser`. The user is read
  from the store on every request, so disabling a user ends their sessions and a changed role
  applies at once. Not signed in: GET (and HEAD) 303 to `/console/login?next=<path>`, other
  methods a 401 page. Signed in with a role not listed: 403 page. An admin passes every
  `require`; no roles listed means any signed-in user.
- `require_csrf`: a dependency for every POST: the header `X-CSRF-Token` (fetch calls) or the
  form field `csrf_token` must equal HMAC(console_key, session id), else 403. The form is read
  through Starlette's `request.form()`, which keeps it, so the route's own `Form`/`File`
  parameters read the same parsed body.
- `GET/POST /console/login` (fields `username`, `password`, `csrf_token`, `next`) and
  `POST /console/logout`.
Failed sign-ins are limited per client address and per user name (5 per 15 minutes, then 429
with Retry-After), in memory and per process.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from pipeline.access import users
from pipeline.http.console import pages
from pipeline.http.console.sessions import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    ConsoleUser,
    Forbidden,
    LoginLimiter,
    Revoked,
    Session,
    SignInRequired,
    csrf_token,
    epoch,
    login_token_ok,
    new_login_form,
    new_session,
    read_session,
    safe_next,
)

ROLES = users.ROLES
GENERIC_FAILURE = "wrong user name or password"
__all__ = ["ROLES", "ConsoleUser", "Forbidden", "SignInRequired", "current_user", "has_session", "require", "require_csrf", "router"]

router = APIRouter()


def _now(request: Request) -> int:
    return epoch(request.app.state.clock.now())


def _key(request: Request) -> str:
    return str(request.app.state.settings.console_key)


def _state(request: Request, name: str, factory: Callable[[], Any]) -> Any:
    """A per-app object (the rate limiter, the revoked sessions), made on first use."""
    found = getattr(request.app.state, name, None)
    if found is None:
        found = factory()
        setattr(request.app.state, name, found)
    return found


def limiter(request: Request) -> LoginLimiter:
    return _state(request, "console_login_limiter", LoginLimiter)  # type: ignore[no-any-return]


def _revoked(request: Request) -> Revoked:
    return _state(request, "console_revoked", Revoked)  # type: ignore[no-any-return]


def current_session(request: Request) -> Session | None:
    """The request's valid session (signature, expiry, not signed out), or None."""
    session = read_session(_key(request), request.cookies.get(SESSION_COOKIE), _now(request))
    if session is None or session.sid in _revoked(request):
        return None
    return session


def has_session(app: Any, headers: Headers) -> bool:
    """Whether a request's headers carry a valid session cookie (signature, expiry, not signed
    out), without the store: the body-limits middleware asks before reading an upload."""
    value = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
    session = read_session(str(app.state.settings.console_key), value, epoch(app.state.clock.now()))
    revoked = getattr(app.state, "console_revoked", None)
    return session is not None and (revoked is None or session.sid not in revoked)


def current_user(request: Request) -> ConsoleUser | None:
    """The signed-in user as the store has them now (None: signed out, unknown or disabled).
    Sets `request.state.csrf_token` for the pages' forms. Reads the store: call it off the event loop."""
    if hasattr(request.state, "console_user"):
        return request.state.console_user  # type: ignore[no-any-return]
    session, user = current_session(request), None
    if session is not None:
        stored = users.get(request.app.state.engine, session.user)
        if stored is not None and stored.active:
            user = ConsoleUser(stored.name, stored.role)
            request.state.csrf_token = csrf_token(_key(request), session.sid)
            request.state.console_sid = session.sid
    request.state.console_user = user
    return user


def _next_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def require(*roles: str) -> Callable[[Request], ConsoleUser]:
    """The dependency for a page open to `roles` (and admins); see the module docstring."""
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(f"unknown console roles {unknown}")

    def dependency(request: Request) -> ConsoleUser:  # sync: FastAPI runs it in a thread (it reads the store)
        user = current_user(request)
        if user is None:
            raise SignInRequired(_next_path(request))
        if roles and user.role not in roles and user.role != "admin":
            raise Forbidden("This page is not open to your role.")
        return user

    return dependency


async def require_csrf(request: Request) -> None:
    """403 unless the request carries the session's CSRF token (header or form field)."""
    user = await run_in_threadpool(current_user, request)
    if user is None:
        raise SignInRequired(_next_path(request))
    given = request.headers.get("x-csrf-token")
    if given is None and _is_form(request):
        value = (await request.form()).get("csrf_token")
        given = value if isinstance(value, str) else None
    expected = str(request.state.csrf_token)
    if not given or not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", errors="replace")):
        raise Forbidden("This form is missing its security token or it has expired. Reload the page and try again.")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request, status_code: int = 200, message: str = "", next_path: str = "/console/",
                username: str = "", headers: dict[str, str] | None = None) -> Response:
    cookie, token = new_login_form(_key(request), _now(request))
    response = pages.render(request, "login.html", None, status_code=status_code, login_token=token, message=message,
                            next_path=safe_next(next_path), username=username)
    response.set_cookie(LOGIN_COOKIE, cookie, max_age=3600, path="/console/login", secure=_https(request), httponly=True, samesite="strict")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/console/") -> Response:  # noqa: A002 - the query parameter's name
    if current_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=next)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    fields = {name: form.get(name) for name in ("username", "password", "csrf_token", "next")}
    text = {name: value if isinstance(value, str) else "" for name, value in fields.items()}
    username, password, next_path = text["username"], text["password"], safe_next(text["next"])
    shown = username if users.valid_name(username) else ""
    if not login_token_ok(_key(request), request.cookies.get(LOGIN_COOKIE), text["csrf_token"], _now(request)):
        return _login_page(request, 403, "The sign-in form expired or was not sent from this page. Please try again.", next_path, shown)
    if not username or not password:
        return _login_page(request, 400, "Enter your user name and your password.", next_path, shown)
    keys = [f"client:{request.client.host if request.client else 'unknown'}", f"name:{username[:64].lower()}"]
    now = request.app.state.clock.now().timestamp()
    wait = limiter(request).retry_after(keys, now)
    if wait:
        minutes = max(1, (wait + 59) // 60)
        return _login_page(request, 429, f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                           next_path, shown, headers={"Retry-After": str(wait)})
    user = await run_in_threadpool(users.authenticate, request.app.state.engine, username, password)
    if user is None:
        limiter(request).fail(keys, now)
        return _login_page(request, 401, GENERIC_FAILURE[0].upper() + GENERIC_FAILURE[1:] + ".", next_path, shown)
    limiter(request).clear(keys[1])
    _, cookie = new_session(_key(request), user.name, user.role, _now(request))
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, path="/console", secure=_https(request),
                        httponly=True, samesite="strict")
    response.delete_cookie(LOGIN_COOKIE, path="/console/login", secure=_https(request), httponly=True, samesite="strict")
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    session = current_session(request)
    if session is not None:
        _revoked(request).add(session.sid, session.expires_at)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console", secure=_https(request), httponly=True, samesite="strict")
    return response
