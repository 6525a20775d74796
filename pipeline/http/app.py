"""The HTTP application factory. Features are routers added here, in two halves:
- public: one-click unsubscribe and its confirmation page (`/u/...`) and the ESPs' webhook
  receivers (`/hooks/...`), meant to face the internet;
- console: the authenticated JSON API (`/api/v1/...`) and the console's pages (`/console/...`),
  meant to stay inside.
`create_app(settings, only="public" | "console")` serves one half alone (`optout serve --only`);
by default both. A half that is not served answers 404 for all its paths.

Two pure ASGI middlewares wrap every route: `SecurityHeaders` (outermost, so even the
middleware's own 401 and 413 carry CSP and friends) and `BodyLimits` (caps bodies, checks the
API key before an API body is read). Unhandled errors answer a plain 500 with the same headers.

The public half writes its logs as segments (`pipeline.http.segments`): on start-up the app
closes what a stopped server left open, while it runs it closes segments as they come due (every
second), and on shutdown it closes them all."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import Headers

from pipeline.core.clock import Clock, SystemClock
from pipeline.core.config import Settings
from pipeline.http import api, console, hooks, unsubscribe
from pipeline.http.bodies import BodyLimits
from pipeline.http.clicklog import ClickLog
from pipeline.http.headers import SECURITY_HEADERS, SecurityHeaders
from pipeline.http.segments import SegmentLog
from pipeline.http.trigger import DagTrigger
from pipeline.store.db import make_engine

HALVES = ("public", "console")
log = logging.getLogger("optout.segments")


def create_app(settings: Settings, clock: Clock | None = None, only: str | None = None) -> FastAPI:
    if only is not None and only not in HALVES:
        raise ValueError(f"only must be one of {HALVES} or None, not {only!r}")
    clock = clock or SystemClock()
    segments = SegmentLog(settings.landing, clock, max_seconds=settings.segment_seconds, max_lines=settings.segment_lines)
    app = FastAPI(title="optout", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_segment_lifespan if only in (None, "public") else None)
    app.state.settings = settings
    app.state.clock = clock
    app.state.segments = segments
    app.state.engine = make_engine(settings.database_url)  # shared by the API's and the console's requests
    if only in (None, "public"):
        app.include_router(unsubscribe.router(ClickLog(settings.landing, clock, segments), settings))
        app.include_router(hooks.router(settings, clock, segments))  # /hooks/<provider>: the ESPs' webhooks
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


@contextlib.asynccontextmanager
async def _segment_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close what a stopped server left open, close segments as they come due, close all at the
    end; where the Airflow API is configured, ask for an intraday run after closes (`trigger`)."""
    segments: SegmentLog = app.state.segments
    settings: Settings = app.state.settings
    runs = DagTrigger(settings.airflow_api_url, settings.airflow_credentials) if settings.airflow_api_url else None
    seen = 0

    async def ask_for_run(force: bool = False) -> None:
        nonlocal seen
        if runs is None:
            return
        runs.closed(segments.closes - seen)
        seen = segments.closes
        if force and runs.pending:
            runs.last = None  # shutting down: the last segments' run is asked for now
        await asyncio.to_thread(runs.tick)

    await asyncio.to_thread(segments.recover)

    async def closer() -> None:
        while True:
            await asyncio.sleep(min(1.0, segments.max_age.total_seconds() / 2))
            try:
                await asyncio.to_thread(segments.close_expired)
            except OSError:  # a full or failing disk: say so, and try again next time
                log.exception("closing log segments failed")

    async def asker() -> None:  # its own loop: an API that hangs never holds up a close
        while True:
            await asyncio.sleep(1.0)
            await ask_for_run()

    tasks = [asyncio.create_task(closer()), *([asyncio.create_task(asker())] if runs is not None else [])]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(segments.close_all)
        await ask_for_run(force=True)


async def _server_error(request: Request, exc: Exception) -> PlainTextResponse:
    """The 500 answer: nothing about the error (it is in the server log), the security headers."""
    return PlainTextResponse("internal server error\n", status_code=500, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
