"""Auditor campaign audits: every recorded send check (CLI, API and console alike), and one
check replayed by `audit_campaign` (who was sent to while suppressed, who opted out after,
who asked before but was missing from the list used, whether the files still verify)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from pipeline.audit.campaign import audit_campaign
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.http.console.auditor_data import send_checks
from pipeline.http.console.auditor_forms import AUDITORS, FieldError, clean, int_field, log_access, store
from pipeline.http.console.auth import ConsoleUser
from pipeline.http.console.pages import render
from pipeline.store.db import read_tx

router = APIRouter(prefix="/audit")


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, user: ConsoleUser = Depends(AUDITORS)) -> HTMLResponse:
    with read_tx(store(request).engine) as conn:
        checks = send_checks(conn)
    log_access(request, user, "audit campaigns", detail=f"{len(checks)} send check(s)")
    return render(request, "auditor_campaigns.html", user, checks=checks)


@router.get("/campaigns/{check_id}", response_class=HTMLResponse)
def campaign_page(request: Request, check_id: str, user: ConsoleUser = Depends(AUDITORS), column: str | None = None) -> HTMLResponse:
    """`column`: the address column, when the check was given one (the files are re-read with it)."""
    s = store(request)
    form = {"column": column or ""}
    try:
        number = int_field(check_id, "check id")
        if number is None:
            raise FieldError("check id", "give a send check's number")
        with read_tx(s.engine) as conn:
            audit = audit_campaign(conn, s.settings.hash_key, str(number), clean(column, "column") or None)
    except FieldError as exc:
        log_access(request, user, "audit campaign (refused)", detail=str(exc))
        return render(request, "auditor_campaign.html", user, status_code=400, audit=None, error=str(exc), form=form)
    except NotFoundError as exc:
        log_access(request, user, "audit campaign (not found)", detail=str(exc))
        return render(request, "auditor_campaign.html", user, status_code=404, audit=None, error=str(exc), form=form)
    except OptoutError as exc:
        message = f"column: {exc}" if exc.field == "column" else str(exc)
        log_access(request, user, "audit campaign (failed)", detail=message)
        return render(request, "auditor_campaign.html", user, status_code=409, audit=None, error=message, form=form,
                      ask_column=exc.field == "column", check_id=check_id)
    log_access(request, user, f"audit campaign {audit.check_id}", detail=f"check {audit.check_id}, ok={audit.ok}")
    sections = [
        ("sent-while-suppressed", "Sent while suppressed (kept although suppressed: must be none)", audit.sent_while_suppressed),
        ("suppressed-at-check", "Suppressed at check time (must have been removed)", audit.suppressed_at_check),
        ("missing-from-list", "Asked before the check but not yet in the list used", audit.missing_from_list),
        ("opted-out-after", "Opted out after the check", audit.opted_out_after_check),
    ]
    return render(request, "auditor_campaign.html", user, audit=audit, sections=sections, error=None)
