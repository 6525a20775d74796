"""Block splitting of CSV text: rows end at newlines outside quotes; blocks are whole rows."""
from __future__ import annotations

import io

import pytest

from pipeline.check.csvstream import chunks, split_rows

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
    from pipeline.check.csvstream import IrregularCsv

    text = b'id,email\n1,5" screen\n' + b"2,a@b.com\n" * 2000
    with pytest.raises(IrregularCsv):
        list(chunks(io.BytesIO(text), block_size=64))


def _plain_block(rng, ncols: int, eol: bytes) -> bytes:
    cells = ["", "a@b.com", " Zoë <z@ë.nl> ", "x y", "用户@例子.广告", "+tag@x.com", "ends with space "]
    rows = []
    for _ in range(rng.randrange(1, 60)):
        rows.append(",".join(rng.choice(cells) for _ in range(ncols)).encode())
        if rng.random() < 0.1:
            rows.append(b"")  # a blank line
    return eol.join(rows) + (eol if rng.random() < 0.7 else b"")


@pytest.mark.parametrize("ncols", [1, 2, 5])
@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_plain_cells_equal_arrows_reading(ncols: int, eol: bytes) -> None:
    import random

    from pipeline.check.csvstream import parse_cells, plain_cells

    rng = random.Random(ncols * 10 + len(eol))
    for _ in range(200):
        data = _plain_block(rng, ncols, eol)
        starts, ends, _, _ = split_rows(data, final=True)
        if not len(starts):
            continue
        for col in range(ncols):
            cells = plain_cells(data, starts, ends, ncols, col)
            assert cells is not None
            assert cells.to_pylist() == parse_cells(data, ncols, col, len(starts)).to_pylist()


@pytest.mark.parametrize(
    "data",
    [
        b'a,b\n"q",c\n',  # quotes: Arrow reads it
        b"a,b\nc\n",  # ragged: Arrow rejects it
        b"a,b\nc,d,e\nf\n",  # right comma count, wrong rows
        b"a,b\r\nc\r,d\r\n",  # a CR inside a row
        b"a,b\r\nc,d\r",  # a CR at the very end
    ],
)
def test_blocks_that_are_not_plain_go_to_arrow(data: bytes) -> None:
    from pipeline.check.csvstream import plain_cells

    starts, ends, _, _ = split_rows(data, final=True)
    assert plain_cells(data, starts, ends, 2, 1) is None
