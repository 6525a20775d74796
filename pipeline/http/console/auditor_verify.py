"""Verify and the access log: the store's checks (`verify_store`: the event chain, every
version's digest, the list, the snapshots) and the access log's own chain, each ok or its
breaks; and the access log itself, newest first, read-only (no route here changes it)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from pipeline.access import log
from pipeline.audit.verify import Verification, VerificationError, verify, verify_store
from pipeline.http.console.auditor_forms import AUDITORS, FieldError, address_field, clean, log_access, store
from pipeline.http.console.auth import ConsoleUser
from pipeline.http.console.pages import render
from pipeline.store.db import read_tx

router = APIRouter(prefix="/audit")
SHOWN = 500


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, user: ConsoleUser = Depends(AUDITORS)) -> HTMLResponse:
    s = store(request)
    try:
        result: Verification = verify_store(s.engine, s.settings)
    except VerificationError:
        with read_tx(s.engine) as conn:  # the same checks again, for every problem and not only the first
            result = verify(conn, s.settings.hash_key)
    access_breaks = log.verify(s.engine)
    log_access(request, user, "audit verify", detail=f"store ok={result.ok}, access log breaks={len(access_breaks)}")
    return render(request, "auditor_verify.html", user, result=result, access_breaks=access_breaks)


@router.get("/access-log", response_class=HTMLResponse)
def access_log_page(request: Request, user: ConsoleUser = Depends(AUDITORS), user_name: str | None = None,
                    address: str | None = None) -> HTMLResponse:
    s = store(request)
    form = {"user_name": user_name or "", "address": address or ""}
    try:
        who = clean(user_name, "user_name", 64) or None
        person = address_field(address, required=False) or None
        subject = log.subject_hash(s.settings.hash_key, person) if person else None
        if person and subject is None:
            raise FieldError("address", f"not a valid address: {person!r}")
    except FieldError as exc:
        log_access(request, user, "audit access log (refused)", detail=str(exc))
        return render(request, "auditor_access_log.html", user, status_code=400, form=form, error=exc, entries=[], shown=SHOWN)
    # Logged before reading, so the page shows its own row: the log is read like any page of personal data.
    log_access(request, user, "audit access log", address=person, detail=f"user={who or '-'}")
    entries = log.entries(s.engine, subject=subject, user_name=who, limit=SHOWN)
    return render(request, "auditor_access_log.html", user, form=form, error=None, entries=entries, shown=SHOWN)
