"""Errors a user can hit; the CLI turns each into a one-line message and an exit code."""
from __future__ import annotations

# Every character `str.splitlines` breaks on, written as its escape: a message stays one line
# whatever it quotes (a header cell, a file name, a parser's own several-line text).
ONE_LINE = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


class OptoutError(Exception):
    """Bad usage or bad input (exit 2).

    `field` names the parameter or setting at fault (`max_age_hours`, `ref`, `output`), for a
    surface to point at its own spelling of it (the CLI shows its flag); the message names it in
    words, never as any one surface's flag."""

    exit_code = 2

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message.translate(ONE_LINE))
        self.field = field


class QuarantineError(OptoutError):
    """A whole file cannot be read; it is quarantined with this message and the run goes on."""


class StaleListError(OptoutError):
    """Refused for safety: the list is too old, or there is none (exit 3)."""

    exit_code = 3


class NotFoundError(OptoutError):
    """Something asked for (a review item, a check, a list version) does not exist."""
