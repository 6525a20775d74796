"""The authenticated JSON API: single lookups and batch checks against the newest list.

Every route needs an API key from `OPTOUT_API_KEYS` (Settings.api_keys, named: `crm:KEY`), sent
as `Authorization: Bearer KEY` or `X-API-Key: KEY`. Without one the answer is 401 and nothing
else: no hint whether the address exists or even whether it is valid. Lookups go to
`suppressions` by the keyed hash of the match key (its primary key), so erased entries answer
too. A batch check is the same enforcement as `optout check` (`pipeline.check.batch`, through
`run_check`): a stale list answers 409, a check is a `send_checks` row (`checked_by` is
`api:<key name>`) with a receipt and its files under `<OPTOUT_OUTPUT>/checks/api/`.
"""
from __future__ import annotations

import hmac
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError, field_validator
from starlette.datastructures import Headers

from pipeline.check.batch import BatchCheck, BatchMismatch, check_addresses, new_check_folder, remove_folder
from pipeline.core import safejson
from pipeline.core.addresses import try_parse
from pipeline.core.clock import Clock, SystemClock, as_utc
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.http.bodies import API_BODY_CAP
from pipeline.intake.records import Scope
from pipeline.ledger.chain import keyed_hash

MAX_BATCH = 10_000
BODY_LIMITS = safejson.Limits(max_bytes=API_BODY_CAP, max_depth=4, max_number_chars=20)


def given_api_key(headers: Headers) -> str:
    """The key a request presents: `X-API-Key`, else `Authorization: Bearer KEY`."""
    given = headers.get("x-api-key") or ""
    auth = headers.get("authorization") or ""
    if not given and auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    return given


def api_key_name(api_keys: tuple[tuple[str, str], ...], headers: Headers) -> str | None:
    """The name of the key the request presents, or None; compared with every key in constant
    time (the body-limits middleware asks this before reading a body; the routes ask it again)."""
    given = given_api_key(headers).encode("utf-8", errors="surrogateescape")
    found: str | None = None
    for name, key in api_keys:
        if hmac.compare_digest(given, key.encode("utf-8")) and found is None:
            found = name
    return found if given else None


async def require_api_key(request: Request) -> str:
    """The name of the caller's API key, or 401 (the same answer whatever is wrong with it).

    `async` (pure CPU, microseconds) so it runs on the event loop, not via the thread pool."""
    settings: Settings = request.app.state.settings
    name = api_key_name(settings.api_keys, request.headers)
    if name is None:
        raise HTTPException(status_code=401, detail="unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return name


router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_api_key)])


class Suppression(BaseModel):
    address: str
    match_key: str | None
    valid: bool
    suppressed: bool
    scope: str | None = None
    channel: str | None = None
    since: datetime | None = None
    list_version: int | None = None


CAMPAIGN_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class CheckRequest(BaseModel):
    addresses: list[str] = Field(max_length=MAX_BATCH)
    kind: Literal["marketing", "service"] = "marketing"
    campaign: str | None = Field(default=None, min_length=1, max_length=CAMPAIGN_MAX)
    max_age_hours: float | None = Field(default=None, gt=0, allow_inf_nan=False, strict=True)

    @field_validator("addresses")
    @classmethod
    def _some_addresses(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("no addresses: send at least one")
        for i, address in enumerate(value):
            if _SURROGATE.search(address):  # JSON can spell one (\\ud800); no answer could echo it
                raise ValueError(f"address {i} holds an unpaired surrogate: not text")
        return value

    @field_validator("campaign")
    @classmethod
    def _printable_campaign(cls, value: str | None) -> str | None:
        if value is not None and _CONTROL.search(value):
            raise ValueError("the campaign holds a control character")
        return value


class CheckAnswer(BaseModel):
    list_version: int | None
    list_published_at: datetime | None
    kind: str
    total: int
    suppressed: int
    invalid: int
    results: list[Suppression]
    check_id: int
    receipt: str


def _engine(request: Request) -> sa.Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _answer(address: str, key: str | None, entry: tuple[str, str, datetime] | None, kind: str,
            version: int | None) -> Suppression:
    applies = entry is not None and (kind == "marketing" or entry[0] == str(Scope.ALL))
    return Suppression(
        address=address, match_key=key, valid=key is not None, suppressed=applies,
        scope=entry[0] if applies and entry else None, channel=entry[1] if applies and entry else None,
        since=entry[2] if applies and entry else None, list_version=version,
    )


_LOOKUP = sa.text(
    "SELECT v.version, s.scope, s.channels, s.effective_at"
    " FROM (SELECT max(version) AS version FROM list_versions) v"
    " LEFT JOIN suppressions s ON s.key_hash = :h"
)


@router.get("/suppressions/{address}", response_model=Suppression)
async def get_suppression(address: str, request: Request, kind: Literal["marketing", "service"] = "marketing") -> JSONResponse:
    """Is this address suppressed in the newest list (scope, channels, since, list version)?

    One indexed read (the newest version and the entry by primary key, in one statement, so in
    one snapshot) takes well under a millisecond, less than a hop to the thread pool, so it runs
    on the event loop; the answer is serialised directly (it is built from the model)."""
    settings: Settings = request.app.state.settings
    parsed = try_parse(address)
    if parsed is None:
        raise HTTPException(status_code=422, detail="not a valid e-mail address")
    with _engine(request).connect() as conn:
        row = conn.execute(_LOOKUP, {"h": keyed_hash(settings.hash_key, parsed.key)}).one()
    version = row.version
    entry = (row.scope, row.channels, as_utc(row.effective_at)) if row.scope is not None else None
    answer = _answer(address, parsed.key, entry, kind, version)
    return JSONResponse(answer.model_dump(mode="json"))


async def check_request(request: Request) -> CheckRequest:
    """The body of a batch check, read with `pipeline.core.safejson` limits (size, depth, number
    length, no NaN) and then validated; 415 unless it is JSON, 422 for what is not a check."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise HTTPException(status_code=415, detail="send the check as application/json")
    try:
        data = safejson.loads(await request.body(), BODY_LIMITS)
    except safejson.UnsafeJSON as exc:
        raise HTTPException(status_code=422, detail=f"body: {exc}") from None
    try:
        return CheckRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False, include_input=False)) from None


def _too_old(max_age: float | None, limit: float) -> RequestValidationError | None:
    """A freshness limit above the configured one is refused: a caller may only be stricter."""
    if max_age is None or max_age <= limit:
        return None
    return RequestValidationError([{
        "type": "less_than_equal", "loc": ("max_age_hours",),
        "msg": f"may only lower the configured freshness limit of {limit:g} hours, not raise it",
    }])


@router.post("/check", response_model=CheckAnswer)
def post_check(request: Request, body: CheckRequest = Depends(check_request),
               key_name: str = Depends(require_api_key)) -> JSONResponse | CheckAnswer:
    """Up to 10,000 addresses checked as `optout check` checks a file (`run_check`: freshness
    gate, `send_checks` row, receipt), answered in the order given. A plain `def`: FastAPI runs
    it in its thread pool, off the event loop (the check reads and writes files)."""
    settings: Settings = request.app.state.settings
    refused = _too_old(body.max_age_hours, settings.max_list_age_hours)
    if refused is not None:
        raise refused
    clock: Clock = getattr(request.app.state, "clock", None) or SystemClock()
    folder = new_check_folder(settings.output, "api", clock.now())
    try:
        batch = check_addresses(
            _engine(request), settings, clock, body.addresses, folder, kind=body.kind, campaign=body.campaign,
            max_age_hours=body.max_age_hours, checked_by=f"api:{key_name}",
        )
    except StaleListError as exc:
        remove_folder(folder)
        return JSONResponse({"detail": str(exc)}, status_code=409)
    except BatchMismatch:
        raise  # the check is recorded: its folder stays, the caller gets a server error
    except OptoutError as exc:
        remove_folder(folder)
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except Exception:
        remove_folder(folder)
        raise
    return _check_answer(batch, body.kind)


def _check_answer(batch: BatchCheck, kind: str) -> CheckAnswer:
    result = batch.result
    receipt = json.loads(Path(result.receipt).read_text(encoding="utf-8"))
    results = [
        Suppression(address=a.address, match_key=a.match_key, valid=a.match_key is not None, suppressed=a.suppressed,
                    scope=a.scope, channel=a.channel, since=a.since, list_version=result.list_version)
        for a in batch.answers
    ]
    return CheckAnswer(
        list_version=result.list_version, list_published_at=receipt["list_published_at"], kind=kind,
        total=len(results), suppressed=result.suppressed, invalid=result.invalid, results=results,
        check_id=result.check_id, receipt=result.receipt,
    )
