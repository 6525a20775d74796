"""One row of the removed-rows file as text, in plain Python: the columns it adds, a CSV record
without a line end and a row's text with the cells a spreadsheet would evaluate neutralised.
The block reader applies the same to whole Arrow columns (`pipeline.check.blocks`)."""
from __future__ import annotations

import csv
import io
import re

from pipeline.core.formulas import neutralise

# What the removed-rows file adds to each removed row (SPEC §7): why it was removed; for a suppressed row the
# entry's channels and since when it applies, the row's match key, the entry's scope and when the
# person first asked; for an invalid one email_validator's reason (`detail`).
REMOVED_COLUMNS = ("reason", "channel", "since", "match_key", "scope", "first_requested_at", "detail")
FORMULA = r"[=+\-@\t\r]"
FIELD_LIMIT = 1 << 30  # characters a cell may hold; the csv module's own default, 131,072, refuses longer ones


def allow_long_fields() -> None:
    """Let the csv module read cells up to FIELD_LIMIT characters. The limit is the process's: it
    is only ever raised here (as the landing zone's readers raise it), never lowered."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)


def risky_row(text: str, delimiter: str) -> bool:
    """Whether a row's text may hold a cell a spreadsheet evaluates (a cell starting `=` `+` `-`
    `@` tab CR, quoted or not): the rows `neutralised_row` must parse and re-write."""
    return re.search(rf'(?:^|{re.escape(delimiter)})"?{FORMULA}', text) is not None


def neutralised_row(text: str, delimiter: str) -> str:
    """A row's text parsed and re-written with every cell neutralised (`pipeline.core.formulas`)."""
    allow_long_fields()
    cells = [cell for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in record]
    return csv_line([neutralise(c) for c in cells], delimiter)


def csv_line(cells: list[str], delimiter: str) -> str:
    """One CSV record, without a line end. The `csv` writer quotes a value holding CR or LF only
    when that character is in its line terminator, so it writes with CRLF and the CRLF is cut."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2]
