"""Request bodies capped before any route sees them (SPEC §8), as a pure ASGI middleware.

Each path prefix has a rule. The declared Content-Length is checked first and the bytes of a
streamed (chunked) body are counted as they arrive, so nothing past the cap is ever buffered:
- `/u/` (one-click): a POST's body is read here, at most CLICK_BODY_CAP bytes within
  CLICK_BODY_SECONDS. A body that is larger, slower or cut off is not read at all: the route
  sees an empty body and `scope["optout.body_read"]` False, and the POST still counts as the
  click it is (RFC 8058 clients send 26 bytes). No other method's body is read.
- `/api/` (JSON API): the API key is checked before a single byte of the body is read (401,
  the same answer as the route's own check); then a body over API_BODY_CAP is 413.
- `/console/check` (the console's upload): a body only with a valid session cookie, checked
  before a byte is read (303 to the sign-in form for a browser, 401 otherwise), then at most
  CONSOLE_UPLOAD_CAP bytes, streamed to the route as they arrive.
- `/hooks/` (the ESPs' webhooks): a body over HOOK_BODY_CAP is 413.
- anything else (the rest of `/console/` included): a body over OTHER_BODY_CAP is 413.
After the answer the server drops whatever the client still sends (uvicorn closes the
connection when a body was left unread), so an announced 20 MB is never held open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLICK_BODY_CAP = 4 * 1024
CLICK_BODY_SECONDS = 10.0
API_BODY_CAP = 4 * 1024 * 1024  # 10,000 addresses of up to 254 characters, quoted, fit
OTHER_BODY_CAP = 64 * 1024
HOOK_BODY_CAP = 1024 * 1024  # a provider's batch of events
CONSOLE_UPLOAD_PATH = "/console/check"
CONSOLE_UPLOAD_CAP = 1024 * 1024 * 1024  # 1 GiB: a recipient list of ten million rows and more
BODY_READ = "optout.body_read"


class BodyTooLarge(HTTPException):
    """A streamed body grew past its route's cap (413)."""

    def __init__(self, cap: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {cap} bytes")


@dataclass(frozen=True)
class BodyRule:
    prefix: str
    cap: int
    click: bool = False  # oversized: not read, the route still runs (one-click)
    api_key: bool = False  # authenticate before reading
    session: bool = False  # a console session before reading a body
    exact: bool = False  # the path itself, not a prefix


RULES = (
    BodyRule("/u/", CLICK_BODY_CAP, click=True),
    BodyRule("/api/", API_BODY_CAP, api_key=True),
    BodyRule(CONSOLE_UPLOAD_PATH, CONSOLE_UPLOAD_CAP, session=True, exact=True),
    BodyRule("/hooks/", HOOK_BODY_CAP),
    BodyRule("/", OTHER_BODY_CAP),
)
_NO_BODY = ("GET", "HEAD", "OPTIONS")


def rule_for(path: str) -> BodyRule:
    return next(rule for rule in RULES if (path == rule.prefix if rule.exact else path.startswith(rule.prefix)) or rule.prefix == "/")


def declared_length(headers: Headers) -> int | None:
    """The Content-Length as a number, None when absent (chunked), -1 when it is not a number."""
    values = headers.getlist("content-length")
    if not values:
        return None
    if len(set(values)) != 1 or not values[0].strip().isdigit() or len(values[0].strip()) > 18:
        return -1
    return int(values[0])


class BodyLimits:
    """The middleware; `authorised(headers)` says whether an API request carries a valid key,
    `signed_in(headers)` whether a console request carries a valid session cookie."""

    def __init__(self, app: ASGIApp, authorised: Callable[[Headers], bool] | None,
                 signed_in: Callable[[Headers], bool] | None = None) -> None:
        self.app = app
        self.authorised = authorised  # None: no API here (`serve --only public`)
        self.signed_in = signed_in  # None: no console here

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule, headers = rule_for(scope["path"]), Headers(scope=scope)
        if rule.api_key and self.authorised is not None and not self.authorised(headers):
            await _unauthorised(scope, receive, send)
            return
        if rule.session and self.signed_in is not None and scope["method"] not in _NO_BODY and not self.signed_in(headers):
            await _signed_out(scope, receive, send, headers)
            return
        length = declared_length(headers)
        if rule.click:
            await self._click(scope, receive, send, length)
            return
        if length == -1:
            await JSONResponse({"detail": "bad Content-Length"}, status_code=400)(scope, receive, send)
            return
        if length is not None and length > rule.cap:
            await JSONResponse({"detail": f"request body over {rule.cap} bytes"}, status_code=413)(scope, receive, send)
            return
        try:
            await self.app(scope, _counting(receive, rule.cap), send)
        except BodyTooLarge as exc:  # raised outside a route (a route's own is answered there)
            await JSONResponse({"detail": exc.detail}, status_code=413)(scope, receive, send)

    async def _click(self, scope: Scope, receive: Receive, send: Send, length: int | None) -> None:
        body: bytes | None = b""
        if scope["method"] == "POST" and length is not None and 0 <= length <= CLICK_BODY_CAP:
            body = await _read_small(receive, CLICK_BODY_CAP)
        elif scope["method"] == "POST" and length is None:
            body = await _read_small(receive, CLICK_BODY_CAP)  # chunked: counted as it comes
        elif scope["method"] == "POST":
            body = None  # announced too large, or unreadable length: not read at all
        scope[BODY_READ] = body is not None
        await self.app(scope, _replay(body or b"", receive), send)


async def _read_small(receive: Receive, cap: int) -> bytes | None:
    """The whole body if it is at most `cap` bytes and arrives in time; None otherwise (and
    then the rest is left unread)."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(CLICK_BODY_SECONDS):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return None  # the client went away mid-body
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > cap:
                    return None
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the route `body` as one complete message, then the real stream's
    later messages (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _counting(receive: Receive, cap: int) -> Receive:
    """A receive that raises BodyTooLarge once more than `cap` body bytes have arrived."""
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > cap:
                raise BodyTooLarge(cap)
        return message

    return counted


async def _signed_out(scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
    """A body for the console without a session: a browser is sent to sign in, anything else 401."""
    if "text/html" in headers.get("accept", ""):
        response: Response = RedirectResponse(f"/console/login?next={scope['path']}", status_code=303)
    else:
        response = JSONResponse({"detail": "sign in first"}, status_code=401)
    await response(scope, receive, send)


async def _unauthorised(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"detail": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    await response(scope, receive, send)
