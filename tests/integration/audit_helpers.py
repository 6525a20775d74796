"""A small store for the audit tests: letters landed on chosen days, nightly runs at chosen
times, so every timestamp in the assertions can be computed by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.orchestration.nightly import run_nightly
from tests.conftest import land

LETTER_COLUMNS = ("letter_id", "received_at", "email", "account_id", "name", "reference")


def at(text: str) -> datetime:
    return (
        datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)
    )


def letters_csv(rows: list[tuple[str, str, str, str]]) -> str:
    """postal_mail CSV from (letter_id, received_at, email, name) rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LETTER_COLUMNS)
    for letter_id, received_at, email, name in rows:
        writer.writerow([letter_id, received_at, email, "", name, f"ref {letter_id}"])
    return out.getvalue()


def land_letters(landing: Path, day: str, name: str, rows: list[tuple[str, str, str, str]]) -> Path:
    return land(landing, "postal_mail", day, name, letters_csv(rows))


def run_at(engine: sa.Engine, settings: Settings, clock: FixedClock, logical: str, when: str) -> None:
    """The nightly run for a logical date, started at a given UTC time."""
    clock.at = at(when)
    run_nightly(engine, settings, date.fromisoformat(logical), clock)


def recipients_csv(path: Path, addresses: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["email", "first_name"])
        for i, a in enumerate(addresses):
            writer.writerow([a, f"n{i}"])
    return path


def all_text(engine: sa.Engine) -> str:
    """Every value of every table (views excluded), as one lower-cased text: what a scan for a
    clear address looks through."""
    parts = []
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                parts.extend(str(v) for v in row)
    return "\n".join(parts).lower()
