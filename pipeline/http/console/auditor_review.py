"""The review queue in the console: auditors and admins read the open items and each item's
raw record; only admins resolve one (accept addresses or dismiss, always with a note), through
the same `accept`/`dismiss` as `optout review resolve`, behind the CSRF check."""
from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.audit import review
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.http.console.auditor_data import pretty
from pipeline.http.console.auditor_forms import ADMINS, AUDITORS, FieldError, clean, int_field, log_access, store
from pipeline.http.console.auth import ConsoleUser, require_csrf
from pipeline.http.console.pages import render
from pipeline.store.db import read_tx

router = APIRouter(prefix="/audit")
DECISIONS = ("accept", "dismiss")
MAX_RAW = 200_000  # characters of a raw record shown; a mailbox message can be long
MAX_NOTE = 2_000
MAX_ADDRESSES = 50


@router.get("/review", response_class=HTMLResponse)
def queue_page(request: Request, user: ConsoleUser = Depends(AUDITORS)) -> HTMLResponse:
    with read_tx(store(request).engine) as conn:
        items = review.list_items(conn)
    log_access(request, user, "audit review queue", detail=f"{len(items)} open item(s)")
    return render(request, "auditor_review.html", user, items=items)


def _item_id(text: str) -> int:
    number = int_field(text, "item id")
    if number is None:
        raise FieldError("item id", "give a review item's number")
    return number


def _item_page(request: Request, user: ConsoleUser, item_id: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    try:
        number = _item_id(item_id)
        with read_tx(store(request).engine) as conn:
            item = review.get_item(conn, number)
    except FieldError as exc:
        log_access(request, user, "audit review item (refused)", detail=str(exc))
        return render(request, "auditor_review_item.html", user, status_code=400, item=None, error=str(exc))
    except NotFoundError as exc:
        log_access(request, user, "audit review item (not found)", detail=str(exc))
        return render(request, "auditor_review_item.html", user, status_code=404, item=None, error=str(exc))
    raw = pretty(item.raw)
    if raw is not None and len(raw) > MAX_RAW:
        raw = raw[:MAX_RAW] + f"\n… ({len(raw) - MAX_RAW} more characters)"
    log_access(request, user, f"audit review item {item.id}", detail=f"{item.channel} {item.source_ref}"[:500])
    context.setdefault("error", None)
    return render(request, "auditor_review_item.html", user, status_code=status_code, item=item, raw=raw,
                  decisions=DECISIONS, **context)


@router.get("/review/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: str, user: ConsoleUser = Depends(AUDITORS)) -> HTMLResponse:
    return _item_page(request, user, item_id)


def addresses_field(value: str | None) -> list[str]:
    """Addresses one per line (or separated by commas or spaces)."""
    text = clean((value or "").replace("\r\n", "\n").replace("\n", " "), "addresses", 320 * MAX_ADDRESSES)
    found = [a for a in re.split(r"[\s,;]+", text) if a]
    if len(found) > MAX_ADDRESSES:
        raise FieldError("addresses", f"at most {MAX_ADDRESSES} addresses at once, not {len(found)}")
    return found


@router.post("/review/{item_id}", response_model=None, dependencies=[Depends(require_csrf)])
def resolve(request: Request, item_id: str, user: ConsoleUser = Depends(ADMINS), decision: str = Form(""),
            addresses: str = Form(""), note: str = Form("")) -> Response:
    s = store(request)
    form = {"decision": decision, "addresses": addresses[:20_000], "note": note[:MAX_NOTE * 2]}
    try:
        number = _item_id(item_id)
        if decision not in DECISIONS:
            raise FieldError("decision", f"choose {' or '.join(DECISIONS)}")
        text = clean(note.replace("\r\n", "\n").replace("\n", " "), "note", MAX_NOTE)
        who = f"console:{user.name}"
        if decision == "dismiss":
            review.dismiss(s.engine, s.clock, number, text, who)
        else:
            review.accept(s.engine, s.settings, s.clock, number, addresses_field(addresses), text, who)
    except FieldError as exc:
        return _item_page(request, user, item_id, status_code=400, form=form, error=str(exc))
    except NotFoundError as exc:
        return _item_page(request, user, item_id, status_code=404, form=form, error=str(exc))
    except OptoutError as exc:
        message = f"{exc.field}: {exc}" if exc.field and not str(exc).startswith(exc.field) else str(exc)
        return _item_page(request, user, item_id, status_code=400, form=form, error=message)
    return RedirectResponse(f"/console/audit/review/{number}?resolved={decision}", status_code=303)
