"""The SQL people read (SPEC STYLE: auditor views and report queries live in `sql/`), loaded
by the migrations and the report so the files are the single source."""

from __future__ import annotations

from pipeline.core.resources import data_dir

SQL_DIR = data_dir("sql")


def read_sql(name: str) -> str:
    """The text of `sql/<name>`."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def statements(text: str) -> list[str]:
    """The statements of a script: comment lines dropped, split at a `;` that ends a line."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    parts, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            parts.append("\n".join(current).strip().rstrip(";").strip())
            current = []
    tail = "\n".join(current).strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p]


AUDITOR_VIEWS = ("audit_event_history", "audit_request_clock", "audit_review_items", "audit_send_checks")
