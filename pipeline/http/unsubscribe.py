"""One-click unsubscribe (SPEC §8, RFC 8058): `POST /u/{token}` records the opt-out,
`GET /u/{token}` shows a page whose button POSTs. No cookies, no redirects.

The endpoint verifies each token (`pipeline.intake.tokens.verify`, the same check the nightly run
repeats on every logged line): a request whose token verifies is appended to the landing log;
one whose token does not is only counted (a per-day counter file), so junk traffic cannot fill
the disk. The answer is the same either way — same status, same body, an fsync on both paths —
so nobody can probe which tokens or addresses are real.

The page's form posts to `/u/<token>` built only from a token that passed the syntax check
(canonical base64url, size-limited: nothing in it can break out of an attribute or become a
`javascript:` URL); any other path gets one fixed "not a valid link" page, the same for every
such path. HEAD answers like GET without a body and is neither logged nor counted: link
checkers send it, and it says nothing about the person."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from pipeline.http.bodies import BODY_READ
from pipeline.http.clicklog import ClickLog
from pipeline.http.headers import PAGE_STYLE
from pipeline.intake.tokens import BadToken, is_token_shaped, verify

ONE_CLICK = "List-Unsubscribe=One-Click"
DONE = "You are unsubscribed. You will receive no more newsletters or promotions from us.\n"
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

_HEAD = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Unsubscribe</title>
<style>{PAGE_STYLE}</style></head>
<body>
<h1>Unsubscribe</h1>
"""
PAGE = _HEAD + """<p>Press the button to stop receiving newsletters and promotions from us.</p>
<form method="post" action="{action}">
<input type="hidden" name="confirm" value="1">
<button type="submit">Unsubscribe</button>
</form>
</body></html>
"""
NOT_A_LINK = _HEAD + """<p>This unsubscribe link is not complete or not valid. Open the link from the
message again (the whole link), or reply to the message asking to be unsubscribed.</p>
</body></html>
"""

Keys = tuple[tuple[str, str], ...]


def router(log: ClickLog, keys: Keys) -> APIRouter:
    r = APIRouter()

    @r.post("/u/{token}", response_class=PlainTextResponse)
    async def one_click(token: str, request: Request) -> PlainTextResponse:
        body = await _form_text(request)
        await _record(log, keys, token, "POST", ONE_CLICK in body, request)
        return PlainTextResponse(DONE, headers=NO_STORE)

    @r.api_route("/u/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    async def confirm_page(token: str, request: Request) -> HTMLResponse:
        # A GET is logged as a page view: scanners prefetch links, so it never opts anyone out.
        if request.method == "GET":
            await _record(log, keys, token, "GET", False, request)
        return HTMLResponse(confirmation_page(token), headers=NO_STORE)

    return r


def confirmation_page(token: str) -> str:
    """The page for `token`: a form posting back to `/u/<token>` when the token is shaped as a
    token, the fixed not-a-link page otherwise."""
    if not is_token_shaped(token):
        return NOT_A_LINK
    return PAGE.replace("{action}", html.escape("/u/" + token, quote=True))


async def _record(log: ClickLog, keys: Keys, token: str, method: str, one_click: bool, request: Request) -> None:
    """Log a request whose token verifies, count one that does not (both durably, off the
    event loop: each ends in an fsync)."""
    try:
        verify(keys, token)
    except BadToken:
        await run_in_threadpool(log.count_rejected, method)
        return
    ip = request.client.host if request.client else ""
    await run_in_threadpool(log.record, token, method, one_click, ip, request.headers.get("user-agent", ""))


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
