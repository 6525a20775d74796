"""Rendering console pages in the shared layout, and the console's static files.

`render(request, template, user, status_code=200, **context)` renders `templates/<template>`
(Jinja2, autoescape on) with the context a page's template can count on: `user` (a
`ConsoleUser` or None), `nav` (the links the user's role may follow, `current` marked),
`csrf_token` (for every form: `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`),
`product`, `static_url(name)` and `path`, plus the page's own `**context`. A page template
`{% extends "base.html" %}` and fills `title`, `content` and, for its own CSS or JS, `head`.
The answer carries the console's Content-Security-Policy (files from this origin only, nothing
inline) and `Cache-Control: no-store`.

`GET /console/static/<name>` serves the files under `static/` (no sub-folders, no other
names); their URLs carry a hash of the content (`static_url`), so they are cached for a year.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipeline.http.console.sessions import ConsoleUser
from pipeline.http.headers import CONSOLE_CSP

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
PRODUCT = "optout console"
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
_STATIC_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\.[a-z0-9]{1,5}")
PAGE_HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store"}


@dataclass(frozen=True)
class Link:
    label: str
    href: str


MARKETER_NAV = (
    Link("Dashboard", "/console/"),
    Link("Check", "/console/check"),
    Link("Past checks", "/console/checks"),
    Link("Lookup", "/console/lookup"),
)
AUDITOR_NAV = (
    Link("Audit lookup", "/console/audit/lookup"),
    Link("History", "/console/audit/history"),
    Link("Campaigns", "/console/audit/campaigns"),
    Link("Report", "/console/audit/report"),
    Link("Review", "/console/audit/review"),
    Link("Verify", "/console/audit/verify"),
    Link("Access log", "/console/audit/access-log"),
)
# Auditors see the marketer pages that show no upload or download (dashboard, lookup).
NAV: dict[str, tuple[Link, ...]] = {
    "marketer": MARKETER_NAV,
    "auditor": (MARKETER_NAV[0], MARKETER_NAV[3], *AUDITOR_NAV),
    "admin": (*MARKETER_NAV, *AUDITOR_NAV),
}


def navigation(user: ConsoleUser | None, path: str) -> list[dict[str, Any]]:
    """The user's links, the one whose page this is marked `current` (the longest match)."""
    links = NAV.get(user.role, ()) if user is not None else ()
    matches = [link.href for link in links if path == link.href or (link.href != "/console/" and path.startswith(link.href + "/"))]
    current = max(matches, key=len) if matches else None
    return [{"label": link.label, "href": link.href, "current": link.href == current} for link in links]


@lru_cache(maxsize=64)
def _static_file(name: str) -> tuple[bytes, str] | None:
    """The bytes and media type of a static file, None for any name that is not one."""
    if not _STATIC_NAME.fullmatch(name):
        return None
    kind = STATIC_TYPES.get(Path(name).suffix)
    path = STATIC / name
    if kind is None or not path.is_file():
        return None
    return path.read_bytes(), kind


def static_url(name: str) -> str:
    """The URL of a static file, with a hash of its content so a long cache never serves an old one."""
    found = _static_file(name)
    if found is None:
        raise ValueError(f"no console static file {name!r}")
    return f"/console/static/{name}?v={hashlib.sha256(found[0]).hexdigest()[:12]}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.globals["product"] = PRODUCT
    return env


def render(request: Request, template: str, user: ConsoleUser | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the shared layout; see the module docstring for what its template receives."""
    path = request.url.path
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "nav": navigation(user, path),
        "csrf_token": getattr(request.state, "csrf_token", "") if user is not None else "",
        "path": path,
        **context,
    }
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=dict(PAGE_HEADERS))


router = APIRouter()


@router.get("/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    found = _static_file(name)
    if found is None:
        return PlainTextResponse("not found\n", status_code=404)
    body, kind = found
    return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=31536000, immutable"})
