"""Hostile-input corpora; each folder's README table says what every file must give."""

from __future__ import annotations

from pathlib import Path


def readme_table(folder: Path) -> list[dict[str, str]]:
    """The rows of the table in `folder`/README.md, each a dict by the table's header."""
    lines = [ln for ln in (folder / "README.md").read_text(encoding="utf-8").splitlines() if ln.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in ln.strip("|").split("|")), strict=True)) for ln in lines[1:]]
