"""The authenticated JSON API (SPEC §8): single lookups and batch checks against the newest list.

Every route needs an API key from `OPTOUT_API_KEYS` (Settings.api_keys), sent as
`Authorization: Bearer KEY` or `X-API-Key: KEY`. Without one the answer is 401 and nothing else:
no hint whether the address exists or even whether it is valid. Lookups go to `suppressions` by
the keyed hash of the match key (its primary key), so erased entries answer too.
"""
from __future__ import annotations

import hmac
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import Headers

from pipeline.check.keys import match_keys
from pipeline.core import safejson
from pipeline.core.addresses import try_parse
from pipeline.core.clock import as_utc
from pipeline.core.config import Settings
from pipeline.http.bodies import API_BODY_CAP
from pipeline.intake.records import Scope
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.publish import ListVersion, latest_version
from pipeline.store.db import read_tx

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


class CheckRequest(BaseModel):
    addresses: list[str] = Field(max_length=MAX_BATCH)
    kind: Literal["marketing", "service"] = "marketing"


class CheckAnswer(BaseModel):
    list_version: int | None
    list_published_at: datetime | None
    kind: str
    total: int
    suppressed: int
    invalid: int
    results: list[Suppression]


def _engine(request: Request) -> sa.Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _entries(conn: sa.Connection, hashes: list[str]) -> dict[str, tuple[str, str, datetime]]:
    found: dict[str, tuple[str, str, datetime]] = {}
    for i in range(0, len(hashes), 500):
        part = hashes[i : i + 500]
        query = sa.text("SELECT key_hash, scope, channels, effective_at FROM suppressions WHERE key_hash IN :h")
        query = query.bindparams(sa.bindparam("h", expanding=True))
        for key_hash, scope, channels, since in conn.execute(query, {"h": part}):
            found[key_hash] = (scope, channels, as_utc(since))
    return found


def _answer(address: str, key: str | None, entry: tuple[str, str, datetime] | None, kind: str,
            version: ListVersion | None) -> Suppression:
    applies = entry is not None and (kind == "marketing" or entry[0] == str(Scope.ALL))
    return Suppression(
        address=address, match_key=key, valid=key is not None, suppressed=applies,
        scope=entry[0] if applies and entry else None, channel=entry[1] if applies and entry else None,
        since=entry[2] if applies and entry else None, list_version=version.version if version else None,
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
    answer = _answer(address, parsed.key, entry, kind, None)
    answer.list_version = version
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
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None


@router.post("/check", response_model=CheckAnswer)
def post_check(request: Request, body: CheckRequest = Depends(check_request)) -> CheckAnswer:
    """A batch of up to 10,000 addresses checked against the newest list, in the order given."""
    settings: Settings = request.app.state.settings
    keys = match_keys(body.addresses).to_pylist()
    hashes = {k: keyed_hash(settings.hash_key, k) for k in keys if k is not None}
    with read_tx(_engine(request)) as conn:
        version = latest_version(conn)
        entries = _entries(conn, sorted(set(hashes.values())))
    results = [
        _answer(a, k, entries.get(hashes[k]) if k is not None else None, body.kind, version)
        for a, k in zip(body.addresses, keys, strict=True)
    ]
    return CheckAnswer(
        list_version=version.version if version else None,
        list_published_at=version.published_at if version else None, kind=body.kind, total=len(results),
        suppressed=sum(r.suppressed for r in results), invalid=sum(not r.valid for r in results), results=results,
    )
