"""Cells a spreadsheet shows but never evaluates (OWASP "CSV injection"), for every CSV a person
may open: `optout export`, audit files, and the rows `optout check --removed` writes."""
from __future__ import annotations

# A spreadsheet evaluates a cell that starts with one of these; a leading single quote makes
# it plain text. Tab and CR start formulas in some importers too.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet shows but never evaluates."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell
