"""Block splitting of CSV text: rows end at newlines outside quotes; blocks are whole rows."""
from __future__ import annotations

import io

import pytest

from pipeline.csvstream import chunks, split_rows

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        (b"a,b\nc,d\n", [b"a,b", b"c,d"]),
        (b"a,b\r\nc,d\r\n", [b"a,b", b"c,d"]),
        (b"a,b\nc,d", [b"a,b", b"c,d"]),
        (b'a,"x\ny"\nc,d\n', [b'a,"x\ny"', b"c,d"]),
        (b'a,"say ""hi""\n"\n\nc,d\n', [b'a,"say ""hi""\n"', b"c,d"]),
        (b"\n\na,b\n\n", [b"a,b"]),
    ],
)
def test_split_rows(text: bytes, rows: list[bytes]) -> None:
    starts, ends, stops, used = split_rows(text, final=True)
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == rows
    assert used == len(text)


def test_chunks_are_whole_rows_and_lose_nothing() -> None:
    text = b"".join(b'%d,"line\nbreak",x\n' % i for i in range(1000))
    parts = list(chunks(io.BytesIO(text), block_size=97))
    assert b"".join(parts) == text
    assert all(p.endswith(b'x\n') for p in parts)


def test_an_unbalanced_quote_is_irregular_not_a_memory_hog() -> None:
    from pipeline.csvstream import IrregularCsv

    text = b'id,email\n1,5" screen\n' + b"2,a@b.com\n" * 2000
    with pytest.raises(IrregularCsv):
        list(chunks(io.BytesIO(text), block_size=64))
