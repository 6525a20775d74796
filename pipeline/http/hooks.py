"""Webhook receivers for the e-mail service providers (public half of `optout serve`):
`POST /hooks/sendgrid`, `/hooks/mailgun`, `/hooks/postmark`, `/hooks/ses` and
`/hooks/mailchimp/{secret}` (plus Mailchimp's `GET` validation ping). How each is verified is
in `esp_verify`. A verified body is landed by `HookLog` exactly as posted (a JSON body's line
breaks, which JSON only allows as whitespace, become spaces so it fits one line; Mailchimp's
form fields become one flat JSON object) and fsynced before the 200. Anything refused (401 or
403 for a failed check, 400 for a body that is not what the provider sends, 404 when the
provider is not configured) lands nothing and is only counted. An SNS subscription
confirmation is verified and logged for an operator to confirm by hand; its URL is never
fetched."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pipeline.core import safejson
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.http import esp_verify
from pipeline.http.clicklog import HookLog
from pipeline.http.segments import SegmentLog

log = logging.getLogger("optout.hooks")
BODY_LIMITS = safejson.Limits(max_bytes=1024 * 1024, max_depth=32)
MAX_MAILCHIMP_FIELDS = 1000


class Tokens:
    """Mailgun tokens seen within the replay window (per process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, float] = {}

    def first_use(self, token: str, now: float) -> bool:
        with self.lock:
            self.seen = {t: at for t, at in self.seen.items() if now - at <= 2 * esp_verify.MAILGUN_WINDOW_SECONDS}
            if token in self.seen:
                return False
            self.seen[token] = now
            return True


def _answer(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers={"Cache-Control": "no-store"})


def _one_line(body: bytes) -> bytes:
    return body.replace(b"\r", b" ").replace(b"\n", b" ")


def _json(body: bytes) -> Any:
    try:
        return safejson.loads(body, BODY_LIMITS)
    except (safejson.UnsafeJSON, UnicodeDecodeError, ValueError):
        return None


def router(settings: Settings, clock: Clock, segments: SegmentLog) -> APIRouter:
    hooks = APIRouter(prefix="/hooks")
    landing = HookLog(settings.landing, clock, segments)
    tokens = Tokens()
    sendgrid_key = esp_verify.load_sendgrid_key(settings.sendgrid_public_key) if settings.sendgrid_public_key else None
    ses_key = (esp_verify.load_sns_certificate(settings.ses_certificate.read_bytes())
               if settings.ses_certificate is not None else None)

    async def refuse(provider: str, status: int, detail: str) -> JSONResponse:
        await run_in_threadpool(landing.count_rejected, provider)
        return _answer(status, detail)

    async def accept(provider: str, line: bytes) -> JSONResponse:
        await run_in_threadpool(landing.append, provider, line)
        return _answer(200, "ok")

    @hooks.post("/sendgrid")
    async def sendgrid(request: Request) -> Response:
        if sendgrid_key is None:
            return await refuse("sendgrid", 404, "not configured")
        body = await request.body()
        reason = esp_verify.sendgrid(sendgrid_key, body, request.headers.get("x-twilio-email-event-webhook-signature"),
                                     request.headers.get("x-twilio-email-event-webhook-timestamp"), clock.now())
        if reason:
            return await refuse("sendgrid", 403, reason)
        if not isinstance(_json(body), list):
            return await refuse("sendgrid", 400, "body: expected a JSON array of events")
        return await accept("sendgrid", _one_line(body))

    @hooks.post("/mailgun")
    async def mailgun(request: Request) -> Response:
        if not settings.mailgun_signing_key:
            return await refuse("mailgun", 404, "not configured")
        body = await request.body()
        parsed = _json(body)
        if not isinstance(parsed, dict):
            return await refuse("mailgun", 400, "body: expected a JSON object")
        reason, token = esp_verify.mailgun(settings.mailgun_signing_key, parsed, clock.now())
        if reason:
            return await refuse("mailgun", 403, reason)
        if not tokens.first_use(token, time.monotonic()):
            return await refuse("mailgun", 403, "replayed token")
        if not isinstance(parsed.get("event-data"), dict):
            return await refuse("mailgun", 400, "body: event-data missing")
        return await accept("mailgun", _one_line(body))

    @hooks.post("/postmark")
    async def postmark(request: Request) -> Response:
        if not settings.postmark_credentials:
            return await refuse("postmark", 404, "not configured")
        reason = esp_verify.basic_auth(settings.postmark_credentials, request.headers.get("authorization"))
        if reason:
            await run_in_threadpool(landing.count_rejected, "postmark")
            return JSONResponse({"detail": reason}, status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="optout"', "Cache-Control": "no-store"})
        body = await request.body()
        if not isinstance(_json(body), dict):
            return await refuse("postmark", 400, "body: expected a JSON object")
        return await accept("postmark", _one_line(body))

    @hooks.post("/ses")
    async def ses(request: Request) -> Response:
        if ses_key is None:
            return await refuse("ses", 404, "not configured")
        body = await request.body()
        message = _json(body)
        reason = esp_verify.ses(ses_key, message, settings.ses_topic_arns)
        if reason:
            return await refuse("ses", 403, reason)
        assert isinstance(message, dict)
        if message.get("Type") != "Notification":
            log.warning("SNS %s for topic %s: confirm it by visiting %s", message.get("Type"), message.get("TopicArn"),
                        message.get("SubscribeURL"))
            return _answer(200, "logged for an operator")
        return await accept("ses", _one_line(body))

    @hooks.get("/mailchimp/{secret}")
    async def mailchimp_ping(secret: str) -> Response:
        if not esp_verify.secret_matches(settings.mailchimp_secret, secret):
            return await refuse("mailchimp", 403, "wrong secret")
        return _answer(200, "ok")

    @hooks.post("/mailchimp/{secret}")
    async def mailchimp(secret: str, request: Request) -> Response:
        if not esp_verify.secret_matches(settings.mailchimp_secret, secret):
            return await refuse("mailchimp", 403, "wrong secret")
        body = await request.body()
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body),
                              max_num_fields=MAX_MAILCHIMP_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return await refuse("mailchimp", 400, "body: expected form fields in UTF-8")
        fields = dict(pairs)
        if len(fields) != len(pairs) or "type" not in fields:
            return await refuse("mailchimp", 400, "body: form fields with a type, each once")
        return await accept("mailchimp", json.dumps(fields, ensure_ascii=False).encode("utf-8"))

    return hooks
