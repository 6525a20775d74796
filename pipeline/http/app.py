"""The HTTP application factory. Features are routers added here; the authenticated JSON
API (`/api/v1/...`) and the marketer and auditor pages join the same app."""

from __future__ import annotations

from fastapi import FastAPI

from pipeline.clock import Clock, SystemClock
from pipeline.config import Settings
from pipeline.http import unsubscribe
from pipeline.http.clicklog import ClickLog


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(title="optout", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.include_router(unsubscribe.router(ClickLog(settings.landing, app.state.clock)))
    return app
