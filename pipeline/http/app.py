"""The HTTP application factory (SPEC §8). Minimal here: the JSON API only; the unsubscribe
routes (RFC 8058) and pages are added by their own modules."""
from __future__ import annotations

from fastapi import FastAPI

from pipeline.config import Settings
from pipeline.http.api import router as api_router
from pipeline.store.db import make_engine


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app bound to one store; the engine is created once and shared by requests."""
    app = FastAPI(title="optout", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.include_router(api_router)
    return app
