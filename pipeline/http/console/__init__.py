"""The console (SPEC §8): HTML pages under `/console/` for marketers, auditors and admins.

`auth` signs people in (session cookies, CSRF tokens, rate limits) and gives the routes their
`ConsoleUser`; `pages` renders templates in the shared layout; `marketer` and `auditor` are
the two sets of pages. Every view or download of personal data goes to the access log
(`pipeline.access.log`)."""
from __future__ import annotations

from fastapi import APIRouter

from pipeline.http.console import auditor, auth, marketer


def router() -> APIRouter:
    r = APIRouter(prefix="/console")
    r.include_router(auth.router)
    r.include_router(marketer.router)
    r.include_router(auditor.router)
    return r
