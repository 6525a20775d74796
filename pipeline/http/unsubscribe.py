"""One-click unsubscribe (SPEC §8, RFC 8058): `POST /u/{token}` records the opt-out,
`GET /u/{token}` shows a page whose button POSTs. Both only append to the landing log: the
token is verified by the nightly run, and every token gets the same 200 answer, so nobody
can probe which addresses or tokens are real. No cookies, no redirects."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from pipeline.http.clicklog import ClickLog

ONE_CLICK = "List-Unsubscribe=One-Click"
DONE = "You are unsubscribed. You will receive no more newsletters or promotions from us.\n"
MAX_BODY = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Unsubscribe</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<h1>Unsubscribe</h1>
<p>Press the button to stop receiving newsletters and promotions from us.</p>
<form method="post" action="{token}">
<input type="hidden" name="confirm" value="1">
<button type="submit">Unsubscribe</button>
</form>
</body></html>
"""


def router(log: ClickLog) -> APIRouter:
    r = APIRouter()

    @r.post("/u/{token}", response_class=PlainTextResponse)
    async def one_click(token: str, request: Request) -> PlainTextResponse:
        body = await _form_text(request)
        log.record(token, "POST", ONE_CLICK in body, _client_ip(request), request.headers.get("user-agent", ""))
        return PlainTextResponse(DONE, headers=NO_STORE)

    @r.get("/u/{token}", response_class=HTMLResponse)
    async def confirm_page(token: str, request: Request) -> HTMLResponse:
        # A GET is logged as a page view: scanners prefetch links, so it never opts anyone out.
        log.record(token, "GET", False, _client_ip(request), request.headers.get("user-agent", ""))
        return HTMLResponse(PAGE.replace("{token}", html.escape(token, quote=True)), headers=NO_STORE)

    return r


async def _form_text(request: Request) -> str:
    """The body as `name=value` pairs, whether form-urlencoded or multipart (RFC 8058 allows both)."""
    ctype = request.headers.get("content-type", "")
    if not request.headers.get("content-length", "0").isdigit() or int(request.headers.get("content-length", "0")) > MAX_BODY:
        return ""  # an oversized or chunked body is not read: the POST still counts as the click
    if ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            form = await request.form()
            return "&".join(f"{k}={v}" for k, v in form.multi_items() if isinstance(v, str))
        except Exception:  # a malformed body still counts as the click it is
            return ""
    return (await request.body())[:4096].decode("utf-8", errors="replace")


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
