"""The compliance report page: `compliance_report` for a day (default today) with its four
charts drawn on the server (opt-outs per day by channel, list size per version, time to
effect per channel against the deadlines, breaches over time) and the report's tables."""
from __future__ import annotations

from datetime import date as date_type
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from pipeline.audit.deadlines import DEADLINES
from pipeline.audit.report import compliance_report
from pipeline.core.clock import as_utc
from pipeline.http.console.auditor_data import list_sizes, report_charts
from pipeline.http.console.auditor_forms import AUDITORS, FieldError, date_field, log_access, store
from pipeline.http.console.auth import ConsoleUser
from pipeline.http.console.pages import render
from pipeline.store.db import read_tx

router = APIRouter(prefix="/audit")
FIRST_DAY, LAST_DAY = date_type(1990, 1, 1), date_type(9998, 12, 31)  # no opt-out predates 1990; the end leaves room to add days


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, user: ConsoleUser = Depends(AUDITORS), date: str | None = None) -> HTMLResponse:
    s = store(request)
    try:
        day = date_field(date, "date") or as_utc(s.clock.now()).date()
        if not FIRST_DAY <= day <= LAST_DAY:
            raise FieldError("date", f"must be from {FIRST_DAY} to {LAST_DAY}: {day}")
    except FieldError as exc:
        log_access(request, user, "audit report (refused)", detail=str(exc))
        return render(request, "auditor_report.html", user, status_code=400, form={"date": date or ""}, error=exc, report=None)
    report = compliance_report(s.engine, day, s.clock)
    with read_tx(s.engine) as conn:
        sizes = list_sizes(conn, datetime.fromisoformat(report.as_of))
    log_access(request, user, "audit report", detail=f"date {report.date}, as of {report.as_of}")
    return render(request, "auditor_report.html", user, form={"date": day.isoformat()}, error=None, report=report,
                  charts=report_charts(report, day, sizes), deadlines=DEADLINES)
