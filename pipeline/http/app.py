"""The HTTP application factory. Features are routers added here, in two halves:
- public: one-click unsubscribe and its confirmation page (`/u/...`) and the ESPs' webhook
  receivers (`/hooks/...`), meant to face the internet;
- console: the authenticated JSON API (`/api/v1/...`) and the console's pages (`/console/...`),
  meant to stay inside.
`create_app(settings, only="public" | "console")` serves one half alone (`optout serve --only`);
by default both. A half that is not served answers 404 for all its paths.

Two pure ASGI middlewares wrap every route: `SecurityHeaders` (outermost, so even the
middleware's own 401 and 413 carry CSP and friends) and `BodyLimits` (caps bodies, checks the
API key before an API body is read). Unhandled errors answer a plain 500 with the same headers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import Headers

from pipeline.core.clock import Clock, SystemClock
from pipeline.core.config import Settings
from pipeline.http import api, console, hooks, unsubscribe
from pipeline.http.bodies import BodyLimits
from pipeline.http.clicklog import ClickLog
from pipeline.http.headers import SECURITY_HEADERS, SecurityHeaders
from pipeline.store.db import make_engine

HALVES = ("public", "console")


def create_app(settings: Settings, clock: Clock | None = None, only: str | None = None) -> FastAPI:
    if only is not None and only not in HALVES:
        raise ValueError(f"only must be one of {HALVES} or None, not {only!r}")
    app = FastAPI(title="optout", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = make_engine(settings.database_url)  # shared by the API's and the console's requests
    if only in (None, "public"):
        app.include_router(unsubscribe.router(ClickLog(settings.landing, app.state.clock), settings))
        app.include_router(hooks.router(settings, app.state.clock))  # /hooks/<provider>: the ESPs' webhooks
    if only in (None, "console"):
        app.include_router(api.router)
        console.install(app)
    app.add_exception_handler(Exception, _server_error)

    def authorised(headers: Headers) -> bool:
        return api.api_key_name(settings.api_keys, headers) is not None

    def signed_in(headers: Headers) -> bool:
        return console.auth.has_session(app, headers)

    public_only = only == "public"  # then /api/ and /console/ are plain 404s, key or not
    app.add_middleware(BodyLimits, authorised=None if public_only else authorised, signed_in=None if public_only else signed_in)
    app.add_middleware(SecurityHeaders)  # added last: outermost
    return app


async def _server_error(request: Request, exc: Exception) -> PlainTextResponse:
    """The 500 answer: nothing about the error (it is in the server log), the security headers."""
    return PlainTextResponse("internal server error\n", status_code=500, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
