"""A user-facing error is one line, whatever its message quotes."""

from __future__ import annotations

import pytest

from pipeline.core.errors import OptoutError, StaleListError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("cls", [OptoutError, StaleListError])
def test_line_breaks_in_a_message_are_written_as_escapes(cls: type[OptoutError]) -> None:
    exc = cls("list.csv: no column named 'e\nmail\r\u2028x'", field="column")
    assert str(exc).splitlines() == ["list.csv: no column named 'e\\nmail\\r\\u2028x'"]
    assert exc.field == "column"
