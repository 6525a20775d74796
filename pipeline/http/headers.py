"""Security headers on every response (SPEC §8), as a pure ASGI middleware.

Every answer — pages, the API, 401, 404, 405, 413, 422 — carries a Content-Security-Policy that
allows nothing to load and only forms posting to this origin (pages set their own), refuses
framing, and sends no referrer (the URL holds a token that names an address).
The 500 answer is built by Starlette outside every middleware, so the app's 500 handler adds
the same headers (`SECURITY_HEADERS`). The middleware adds each header only where the response
lacks it: the console's pages set their own, wider policy (`CONSOLE_CSP`) and cache headers.
A HEAD answer keeps the GET's headers and drops the body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Answers that are not pages (the API, errors, plain text) may load nothing; the unsubscribe
# pages and the console's pages set their own policy.
CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
# The console's pages: scripts, styles and images from this origin only (the files under
# /console/static/), no inline script or style, fetch calls only back to this origin.
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}
_DEFAULTS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}  # answers name people: never cached
_RAW_DEFAULTS = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in _DEFAULTS.items()]


class SecurityHeaders:
    """Adds the security headers to each response that lacks them; empties HEAD bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in _RAW_DEFAULTS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_with_headers)
