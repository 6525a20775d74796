"""Rendering console pages. INTERFACE ONLY until the sign-in work lands.

- `render(request, template, user, status_code=200, **context) -> HTMLResponse`: the template
  (from `templates/`, Jinja2 with autoescape) inside the shared layout: navigation by the
  user's role, `csrf_token` in the context for forms, the console's CSP and no-store headers.
"""
from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from pipeline.http.console.auth import ConsoleUser


def render(request: Request, template: str, user: ConsoleUser, status_code: int = 200, **context: Any) -> HTMLResponse:
    raise NotImplementedError("console pages are not built yet")
