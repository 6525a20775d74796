"""One-click unsubscribe (SPEC §8, RFC 8058): `POST /u/{token}` records the opt-out,
`GET /u/{token}` shows a page whose button POSTs. No cookies, no redirects.

The endpoint verifies each token (`pipeline.intake.tokens.verify`, the same check the nightly run
repeats on every logged line): a request whose token verifies is appended to the landing log;
one whose token does not is only counted (a per-day counter file), so junk traffic cannot fill
the disk. A one-click POST gets the same plain-text answer either way — same status, same body,
an fsync on both paths — so nobody can probe which tokens or addresses are real.

The page (`unsubscribe_page`, in the reader's language) shows the address masked only when the
token verifies: only the token's holder sees it, and the token already carries the address in
clear base64. Its form posts `confirm=1` to `/u/<token>` built only from a token that passed the
syntax check (canonical base64url, size-limited: nothing in it can break out of an attribute or
become a `javascript:` URL), and that button's POST is answered with an HTML confirmation. Any
other path gets one fixed "not a valid link" page, the same for every such path. HEAD answers
like GET without a body and is neither logged nor counted: link checkers send it, and it says
nothing about the person. The stylesheet and the logo are served from `/u-assets/`."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from pipeline.core.config import Settings
from pipeline.http.bodies import BODY_READ
from pipeline.http.clicklog import ClickLog
from pipeline.http.unsubscribe_page import (
    CSS_PATH,
    LOGO_PATH,
    PAGE_CSP,
    Branding,
    View,
    confirmed_page,
    form_page,
    logo_available,
    mask_address,
    next_nightly,
    not_a_link_page,
    read_logo,
    stylesheet,
)
from pipeline.http.unsubscribe_texts import DEFAULT, choose_language
from pipeline.intake.tokens import BadToken, TokenClaims, is_token_shaped, verify

ONE_CLICK = "List-Unsubscribe=One-Click"
CONFIRM = "confirm=1"  # what the page's button posts
DONE = "You are unsubscribed. You will receive no more newsletters or promotions from us.\n"
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# An asset may be cached (it names nobody); a logo that is an SVG opened on its own runs nothing.
ASSET_CACHE = "public, max-age=3600"
LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

Keys = tuple[tuple[str, str], ...]


def router(log: ClickLog, settings: Settings) -> APIRouter:
    r = APIRouter()
    keys, brand = settings.token_keys, Branding.from_settings(settings)
    css = stylesheet(brand).encode("utf-8")

    async def view(request: Request, claims: TokenClaims | None) -> View:
        lang = choose_language(request.headers.get("accept-language"))
        address = mask_address(claims.address) if claims is not None else None
        logo = brand.logo is not None and await run_in_threadpool(logo_available, brand.logo)
        return View(lang, brand, address, next_nightly(log.clock.now()), logo)

    @r.post("/u/{token}", response_class=PlainTextResponse)
    async def one_click(token: str, request: Request) -> Response:
        body = await _form_text(request)
        one_click = ONE_CLICK in body
        claims = await _record(log, keys, token, "POST", one_click, request)
        if not one_click and CONFIRM in body.split("&"):
            done_view = await view(request, claims)
            return _page(confirmed_page(done_view), done_view.lang)
        return PlainTextResponse(DONE, headers=NO_STORE)

    @r.api_route("/u/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    async def confirm_page(token: str, request: Request) -> HTMLResponse:
        # A GET is logged as a page view: scanners prefetch links, so it never opts anyone out.
        if request.method == "GET":
            claims = await _record(log, keys, token, "GET", False, request)
        else:
            claims = _claims(keys, token)
        page_view = await view(request, claims)
        return _page(confirmation_page(token, page_view), page_view.lang)

    @r.api_route(CSS_PATH, methods=["GET", "HEAD"])
    async def page_css() -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"})

    @r.api_route(LOGO_PATH, methods=["GET", "HEAD"])
    async def logo() -> Response:
        found = await run_in_threadpool(read_logo, brand.logo)
        if found is None:
            return PlainTextResponse("no logo\n", status_code=404)
        data, kind = found
        headers = {"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff", "Content-Security-Policy": LOGO_CSP}
        return Response(data, media_type=kind, headers=headers)

    return r


def confirmation_page(token: str, view: View) -> str:
    """The page for `token`: a form posting back to `/u/<token>` when the token is shaped as a
    token, the fixed not-a-link page otherwise."""
    if not is_token_shaped(token):
        return not_a_link_page(view)
    return form_page(view, "/u/" + token)


# The English page without branding (it names no time: any will do).
NOT_A_LINK = not_a_link_page(View(DEFAULT, Branding(), None, datetime(2026, 1, 1, 2, tzinfo=UTC), False))


def _page(text: str, lang: str) -> HTMLResponse:
    headers = {**NO_STORE, "Content-Security-Policy": PAGE_CSP, "Vary": "Accept-Language", "Content-Language": lang}
    return HTMLResponse(text, headers=headers)


def _claims(keys: Keys, token: str) -> TokenClaims | None:
    try:
        return verify(keys, token)
    except BadToken:
        return None


async def _record(log: ClickLog, keys: Keys, token: str, method: str, one_click: bool, request: Request) -> TokenClaims | None:
    """Log a request whose token verifies, count one that does not (both durably, off the
    event loop: each ends in an fsync); the token's claims when it verifies."""
    claims = _claims(keys, token)
    if claims is None:
        await run_in_threadpool(log.count_rejected, method)
        return None
    ip = request.client.host if request.client else ""
    await run_in_threadpool(log.record, token, method, one_click, ip, request.headers.get("user-agent", ""))
    return claims


async def _form_text(request: Request) -> str:
    """The body as `name=value` pairs, whether form-urlencoded or multipart (RFC 8058 allows
    both); empty when the body-limits middleware left an oversized or slow body unread."""
    if not request.scope.get(BODY_READ, True):
        return ""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith(FORM_TYPES):
        try:
            form = await request.form(max_files=4, max_fields=32)
            return "&".join(f"{k}={v}" for k, v in form.multi_items() if isinstance(v, str))
        except Exception:  # a malformed body still counts as the click it is
            return ""
    return (await request.body()).decode("utf-8", errors="replace")
