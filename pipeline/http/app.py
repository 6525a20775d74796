"""The HTTP application factory. Features are routers added here; the authenticated JSON
API (`/api/v1/...`) and the marketer and auditor pages join the same app."""

from __future__ import annotations

from fastapi import FastAPI

from pipeline.clock import Clock, SystemClock
from pipeline.config import Settings
from pipeline.http import api, unsubscribe
from pipeline.http.clicklog import ClickLog
from pipeline.store.db import make_engine


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(title="optout", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = make_engine(settings.database_url)  # shared by the JSON API's requests
    app.include_router(unsubscribe.router(ClickLog(settings.landing, app.state.clock)))
    app.include_router(api.router)
    return app
