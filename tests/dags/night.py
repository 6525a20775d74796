"""A small landing zone for DAG tests: two nights of phone, cancellation, preference-center
and postal-mail exports plus an accounts snapshot (the same shape as seeds/landing)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"

ACCOUNTS = """account_id,status,email,phone,role,updated_at
A100,active,ann@example.com,+1 212 555 0100,owner,2026-09-01T00:00:00Z
A200,active,bob@example.org,+1 212 555 0200,owner,2026-09-01T00:00:00Z
A200,active,billing@example.org,,billing,2026-09-01T00:00:00Z
A300,active,cy@example.net,+1 212 555 0300,owner,2026-09-01T00:00:00Z
"""
PHONE = """call_id,started_at,caller_number,account_id,email,disposition,agent_id,notes
C-1,2026-10-08 09:15:00,+1 212 555 0100,,,OPT_OUT,ag1,wants no more offers
C-2,2026-10-08 10:00:00,+1 646 555 9999,,,BILLING,ag2,question about an invoice
"""
TICKETS = """ticket_id,account_id,created_at,category,status,subject
T-1,A200,2026-10-08T11:00:00Z,cancellation,open,Please close my account
"""
PREFERENCES = """change_id,user_id,account_id,email,marketing_opt_in,changed_at
P-1,u1,,dee@example.com,false,2026-10-09T08:00:00Z
"""
LETTERS = """letter_id,received_at,email,account_id,name,reference
L-1,2026-10-09T12:00:00Z,eve@example.com,,Eve,REF-1
"""
# Addresses the two nights suppress (ann by her phone's account; A200's two contacts).
SUPPRESSED = {"ann@example.com", "bob@example.org", "billing@example.org", "dee@example.com", "eve@example.com"}
CORRUPT_PHONE = "this is not,a call log\n1,2\n"


def write(root: Path, channel: str, day: str, name: str, text: str) -> Path:
    folder = root / channel / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def land_night(root: Path) -> Path:
    """Land the exports of 2026-10-08 and 2026-10-09 under `root`."""
    write(root, "accounts", "2026-10-01", "accounts.csv", ACCOUNTS)
    write(root, "phone", "2026-10-08", "calls.csv", PHONE)
    write(root, "cancellation", "2026-10-08", "tickets.csv", TICKETS)
    write(root, "preference_center", "2026-10-09", "changes.csv", PREFERENCES)
    write(root, "postal_mail", "2026-10-09", "letters.csv", LETTERS)
    return root
