"""The HTTP application factory. Features are routers added here; the authenticated JSON
API (`/api/v1/...`) and the marketer and auditor pages join the same app.

Two pure ASGI middlewares wrap every route: `SecurityHeaders` (outermost, so even the
middleware's own 401 and 413 carry CSP and friends) and `BodyLimits` (caps bodies, checks the
API key before an API body is read). Unhandled errors answer a plain 500 with the same headers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import Headers

from pipeline.core.clock import Clock, SystemClock
from pipeline.core.config import Settings
from pipeline.http import api, unsubscribe
from pipeline.http.bodies import BodyLimits
from pipeline.http.clicklog import ClickLog
from pipeline.http.headers import SECURITY_HEADERS, SecurityHeaders
from pipeline.store.db import make_engine


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(title="optout", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = make_engine(settings.database_url)  # shared by the JSON API's requests
    app.include_router(unsubscribe.router(ClickLog(settings.landing, app.state.clock), settings))
    app.include_router(api.router)
    app.add_exception_handler(Exception, _server_error)

    def authorised(headers: Headers) -> bool:
        return api.api_key_name(settings.api_keys, headers) is not None

    app.add_middleware(BodyLimits, authorised=authorised)
    app.add_middleware(SecurityHeaders)  # added last: outermost
    return app


async def _server_error(request: Request, exc: Exception) -> PlainTextResponse:
    """The 500 answer: nothing about the error (it is in the server log), the security headers."""
    return PlainTextResponse("internal server error\n", status_code=500, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
