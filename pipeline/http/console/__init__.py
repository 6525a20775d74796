"""The console (SPEC §8): HTML pages under `/console/` for marketers, auditors and admins.

`auth` signs people in (session cookies, CSRF tokens, rate limits) and gives the routes their
`ConsoleUser`; `pages` renders templates in the shared layout and serves the static files;
`marketer` and `auditor` are the two sets of pages. Every view or download of personal data
goes to the access log (`pipeline.access.log`). `install(app)` adds the routes and the
console's answers for errors: signed out (303 to the sign-in form for GET, else 401), wrong
role or missing CSRF token (403), and any other error under `/console/` (404, 405, bad input)
as a page in the layout."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.http.console import auditor, auth, marketer, pages
from pipeline.http.console.sessions import Forbidden, SignInRequired

HEADINGS = {
    400: "Bad request", 401: "Please sign in", 403: "Not allowed", 404: "Page not found",
    405: "Not allowed here", 413: "Too large", 422: "Please check the form", 429: "Too many attempts",
}


def router() -> APIRouter:
    r = APIRouter(prefix="/console")
    r.include_router(pages.router)
    r.include_router(auth.router)
    r.include_router(marketer.router)
    r.include_router(auditor.router)
    return r


def install(app: FastAPI) -> None:
    """The console's routes and error answers on `app`."""
    app.include_router(router())
    app.add_exception_handler(SignInRequired, _sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(Forbidden, _forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _bad_input)  # type: ignore[arg-type]


def in_console(request: Request) -> bool:
    return request.url.path == "/console" or request.url.path.startswith("/console/")


async def error_page(request: Request, status_code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    user = await run_in_threadpool(auth.current_user, request)
    response = pages.render(request, "error.html", user, status_code=status_code,
                            heading=HEADINGS.get(status_code, "Something went wrong"), message=message)
    response.headers.update(headers or {})
    return response


async def _sign_in(request: Request, exc: SignInRequired) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(f"/console/login?next={quote(exc.next_path, safe='/')}", status_code=303)
    return await error_page(request, 401, "Your session has ended. Sign in again, then repeat what you were doing.")


async def _forbidden(request: Request, exc: Forbidden) -> Response:
    return await error_page(request, 403, exc.message)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if not in_console(request):
        return await http_exception_handler(request, exc)
    message = {404: "There is no such page in the console.", 405: "This page does not accept that kind of request."}
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code not in message else message.get(exc.status_code, "")
    shown = detail or HEADINGS.get(exc.status_code, "Something went wrong.")
    return await error_page(request, exc.status_code, shown, dict(exc.headers or {}))


async def _bad_input(request: Request, exc: RequestValidationError) -> Response:
    if not in_console(request):
        return await request_validation_exception_handler(request, exc)
    fields = sorted({str(error.get("loc", ("", "?"))[-1]) for error in exc.errors()})
    return await error_page(request, 422, f"These fields are missing or not valid: {', '.join(fields)}.")
