"""Auditor lookup and history: one person's status and whole timeline with its evidence (as
of a time or a list version), and every event over a period as a table or a CSV download
(the columns and formula-safe cells of `optout history --format csv`)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from pipeline.audit.export import neutralise
from pipeline.channels import REGISTRY
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.http.console.auditor_data import event_records
from pipeline.http.console.auditor_forms import (
    AUDITORS,
    PAGE_SIZE,
    FieldError,
    address_field,
    choice_field,
    date_field,
    int_field,
    log_access,
    store,
    timestamp_field,
)
from pipeline.http.console.auth import ConsoleUser
from pipeline.http.console.pages import render
from pipeline.intake.records import Action
from pipeline.ledger.chain import keyed_hash
from pipeline.ledger.history import EventView, history, lookup
from pipeline.store.db import read_tx

router = APIRouter(prefix="/audit")
CHANNELS = (*REGISTRY, "manual", "erasure")
ACTIONS = tuple(a.value for a in Action)
COLUMNS = [f.name for f in fields(EventView)]


@router.get("/lookup", response_class=HTMLResponse)
def lookup_page(request: Request, user: ConsoleUser = Depends(AUDITORS), address: str | None = None,
                as_of: str | None = None, version: str | None = None) -> HTMLResponse:
    form = {"address": address or "", "as_of": as_of or "", "version": version or ""}
    if address is None and not as_of and not version:
        log_access(request, user, "audit lookup (form)")
        return render(request, "auditor_lookup.html", user, form=form, answer=None, error=None)
    s = store(request)
    try:
        text = address_field(address)
        at = timestamp_field(as_of, "as_of")
        number = int_field(version, "version")
        if at is not None and number is not None:
            raise FieldError("as_of", "give as_of or version, not both")
        with read_tx(s.engine) as conn:
            try:
                answer = lookup(conn, s.settings.hash_key, text, as_of=at, version=number)
            except NotFoundError as exc:
                raise FieldError("version", str(exc)) from None
            except OptoutError as exc:
                raise FieldError("address", str(exc)) from None
            records = event_records(conn, keyed_hash(s.settings.hash_key, answer.match_key))
    except FieldError as exc:
        log_access(request, user, "audit lookup (refused)", detail=str(exc))
        return render(request, "auditor_lookup.html", user, status_code=400, form=form, answer=None, error=exc)
    log_access(request, user, "audit lookup", address=answer.address,
               detail=f"as_of={answer.as_of or '-'} version={answer.list_version or '-'}")
    return render(request, "auditor_lookup.html", user, form=form, answer=answer, records=records, error=None)


@dataclass(frozen=True)
class HistoryFilters:
    start: date | None
    end: date | None
    channel: str | None
    action: str | None

    def query(self) -> str:
        """The filters as a query string (for the CSV link and the pager), fields in form order."""
        pairs = {"from": self.start, "to": self.end, "channel": self.channel, "action": self.action}
        return urlencode({k: str(v) for k, v in pairs.items() if v})

    def detail(self) -> str:
        return self.query() or "all events"


def history_filters(start: str | None, end: str | None, channel: str | None, action: str | None) -> HistoryFilters:
    first, last = date_field(start, "from"), date_field(end, "to")
    if first and last and first > last:
        raise FieldError("from", f"{first} is after to ({last}): the period must start before it ends")
    return HistoryFilters(first, last, choice_field(channel, "channel", CHANNELS), choice_field(action, "action", ACTIONS))


def _events(request: Request, f: HistoryFilters) -> list[EventView]:
    with read_tx(store(request).engine) as conn:
        events = history(conn, start=f.start, end=f.end, channel=f.channel)
    return [e for e in events if f.action is None or e.action == f.action]


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, user: ConsoleUser = Depends(AUDITORS), start: str | None = Query(None, alias="from"),
                 end: str | None = Query(None, alias="to"), channel: str | None = None, action: str | None = None,
                 page: str | None = None) -> HTMLResponse:
    form = {"from": start or "", "to": end or "", "channel": channel or "", "action": action or ""}
    try:
        filters = history_filters(start, end, channel, action)
        number = int_field(page, "page") or 1
    except FieldError as exc:
        log_access(request, user, "audit history (refused)", detail=str(exc))
        return render(request, "auditor_history.html", user, status_code=400, form=form, error=exc, events=[],
                      channels=CHANNELS, actions=ACTIONS)
    events = _events(request, filters)
    pages = max(1, -(-len(events) // PAGE_SIZE))
    number = min(number, pages)
    shown = events[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    log_access(request, user, "audit history", detail=f"{filters.detail()} page {number}: {len(shown)} of {len(events)} event(s)")
    return render(request, "auditor_history.html", user, form=form, error=None, events=shown, total=len(events),
                  page=number, pages=pages, query=filters.query(), channels=CHANNELS, actions=ACTIONS)


def csv_lines(events: list[EventView]) -> Iterator[str]:
    """The CSV `optout history --format csv` writes: its columns, cells a spreadsheet never evaluates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for ev in events:
        writer.writerow([neutralise(str(getattr(ev, n))) if getattr(ev, n) is not None else "" for n in COLUMNS])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get("/history.csv", response_model=None)
def history_csv(request: Request, user: ConsoleUser = Depends(AUDITORS), start: str | None = Query(None, alias="from"),
                end: str | None = Query(None, alias="to"), channel: str | None = None,
                action: str | None = None) -> HTMLResponse | StreamingResponse:
    try:
        filters = history_filters(start, end, channel, action)
    except FieldError as exc:
        log_access(request, user, "audit history.csv (refused)", action="download", detail=str(exc))
        form = {"from": start or "", "to": end or "", "channel": channel or "", "action": action or ""}
        return render(request, "auditor_history.html", user, status_code=400, form=form, error=exc, events=[],
                      channels=CHANNELS, actions=ACTIONS)
    events = _events(request, filters)
    log_access(request, user, "audit history.csv", action="download", detail=f"{filters.detail()}: {len(events)} event(s)")
    name = "history" + "".join(f"_{v}" for v in (filters.start, filters.end) if v) + ".csv"
    return StreamingResponse(csv_lines(events), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
