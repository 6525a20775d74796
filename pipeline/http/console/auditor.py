"""The auditor's console pages (`/console/audit/...`), for the auditor and admin roles: lookup
with evidence, history and its CSV, campaign audits, the compliance report with charts, the
review queue (admins resolve), verify and the access log. Each page is a module of its own
(`auditor_*.py`); every view writes an access-log row."""
from __future__ import annotations

from fastapi import APIRouter

from pipeline.http.console import auditor_campaigns, auditor_lookup, auditor_report, auditor_review, auditor_verify

router = APIRouter()
for _pages in (auditor_lookup, auditor_campaigns, auditor_report, auditor_review, auditor_verify):
    router.include_router(_pages.router)
