"""CSV exports: encodings, column order, extra columns, and whole-file quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import QuarantineError
from pipeline.intake.csvfiles import MAX_CELL, read_rows

pytestmark = pytest.mark.unit
REQUIRED = ("letter_id", "email")


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "letters.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("letter_id,email,name\nL1,a@example.com,Zoë Müller\n".encode(), "Zoë Müller"),
        (b"\xef\xbb\xbf" + "letter_id,email,name\nL1,a@example.com,Zoë Müller\n".encode(), "Zoë Müller"),
        ("letter_id,email,name\r\nL1,a@example.com,François “Frank”\r\n".encode("cp1252"), "François “Frank”"),
        ("name,EMAIL, Letter_ID \nZoë,a@example.com,L1\n".encode(), "Zoë"),
    ],
)
def test_encodings_and_column_order(tmp_path: Path, data: bytes, name: str) -> None:
    rows = list(read_rows(write(tmp_path, data), REQUIRED))
    assert len(rows) == 1
    assert rows[0].values["letter_id"] == "L1"
    assert rows[0].values["email"] == "a@example.com"
    assert rows[0].values["name"] == name


def test_extra_and_short_rows_are_kept(tmp_path: Path) -> None:
    rows = list(read_rows(write(tmp_path, b"letter_id,email\nL1,a@example.com,surplus\nL2\n\n"), REQUIRED))
    assert [r.values["letter_id"] for r in rows] == ["L1", "L2"]
    assert rows[0].raw["_extra_cells"] == "surplus"
    assert rows[1].values["email"] == ""
    assert rows[1].line == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"letter_id;email\nL1;a@example.com\n", "';'-separated"),
        (b"letter_id,name\nL1,x\n", "missing column(s) email"),
        (b"\x00\x01\x02PK\x03\x04binary", "binary data"),
        (b"", "empty file"),
        (b'letter_id,email\nL1,"a@example.com\n', "line"),
        (b"letter_id,email,email\nL1,a,b\n", "named twice"),
    ],
)
def test_unreadable_files_are_quarantined_with_the_file_and_problem(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(QuarantineError) as info:
        list(read_rows(path, REQUIRED))
    assert str(path) in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("data", "emails"),
    [
        (b'letter_id,email,name\nL1,a@example.com,O"Brien\nL2,b@example.com,x\n', ["a@example.com", "b@example.com"]),
        (b"\xef\xbb\xbf" + "letter_id,email,name\nL1,a@example.com,Zoë\n".encode("cp1252"), ["a@example.com"]),
        (b"letter_id,email,name\rL1,a@example.com,x\rL2,b@example.com,y", ["a@example.com", "b@example.com"]),
        (b"letter_id,email,name\nL1,a@example.com,x\x00y\n", ["a@example.com"]),
        (b"letter_id,email,name\nL1,a@example.com,\x81\x8d\n", ["a@example.com"]),
    ],
    ids=["literal-quote", "bom-then-cp1252", "cr-only", "nul-in-a-cell", "undefined-cp1252"],
)
def test_one_odd_row_or_line_never_fails_the_file(tmp_path: Path, data: bytes, emails: list[str]) -> None:
    assert [r.values["email"] for r in read_rows(write(tmp_path, data), REQUIRED)] == emails


def test_mixed_encodings_are_read_line_by_line(tmp_path: Path) -> None:
    data = "letter_id,email,name\nL1,a@example.com,Zoë\n".encode() + "L2,b@example.com,Zoë\n".encode("cp1252")
    assert [r.values["name"] for r in read_rows(write(tmp_path, data), REQUIRED)] == ["Zoë", "Zoë"]


def test_a_huge_cell_is_cut_and_the_row_says_so(tmp_path: Path) -> None:
    rows = list(read_rows(write(tmp_path, b"letter_id,email,name\nL1,a@example.com," + b"x" * (MAX_CELL + 5) + b"\n"), REQUIRED))
    assert len(rows[0].raw["name"]) == MAX_CELL
    assert rows[0].raw["_truncated"] == f"cut to their first {MAX_CELL:,} characters: name ({MAX_CELL + 5:,} characters)"


def test_rows_carry_their_first_line_and_unnamed_columns_their_place(tmp_path: Path) -> None:
    rows = list(read_rows(write(tmp_path, b'letter_id,email,,\nL1,"a@example.com\nstill",x,y\nL2,b@example.com,z,w\n'), REQUIRED))
    assert [r.line for r in rows] == [2, 4]
    assert rows[1].raw == {"letter_id": "L2", "email": "b@example.com", "_column_3": "z", "_column_4": "w"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'letter_id,email\nL1,a@example.com\nL2,"b@example.com\nL3,c@example.com\n', "line 3: unbalanced quote"),
        (b'letter_id,email,note\nL1,a@example.com,O"Brien\nL2,"b\n', "line 3: unbalanced quote"),
        (b'"letter_id,email\nL1,a@example.com\n', "line 1: unbalanced quote"),
        ("letter_id,email\nL1,a@example.com\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_truncated_and_utf16_files_are_quarantined_with_the_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(QuarantineError, match=message):
        list(read_rows(path, REQUIRED))


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"letter_id,email\nL1,a@example.com", [2]),  # no newline at the end
        (b"letter_id,email\r\n\r\n , \r\nL1,a@example.com\r\n", [4]),  # blank and whitespace-only rows
        (b"letter_id,email\n,,,\nL1,a@example.com\n\n", [3]),
        (b"letter_id,email\n", []),  # a header and no rows is an empty export, not a broken one
    ],
    ids=["no-final-newline", "blank-crlf-rows", "empty-cells-row", "header-only"],
)
def test_rows_without_content_are_skipped(tmp_path: Path, data: bytes, lines: list[int]) -> None:
    assert [r.line for r in read_rows(write(tmp_path, data), REQUIRED)] == lines


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"letter_id\temail\nL1\ta@example.com\n", "the header looks '\\t'-separated, expected ','"),
        (b"letter_id|email\nL1|a@example.com\n", "the header looks '|'-separated, expected ','"),
        (b" \r\n\t\n", "empty file, no header row"),
        (b"Email,EMAIL,letter_id\na,b,L1\n", "column(s) named twice: email"),
    ],
    ids=["tab", "pipe", "whitespace-only", "twice-in-other-case"],
)
def test_header_problems_say_what_was_found(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(QuarantineError) as info:
        list(read_rows(write(tmp_path, data), REQUIRED))
    assert str(info.value).endswith(message)


def test_extra_cells_beyond_the_limit_are_cut(tmp_path: Path) -> None:
    data = b"letter_id,email\nL1,a@example.com," + b"y" * MAX_CELL + b",z\n"
    (row,) = read_rows(write(tmp_path, data), REQUIRED)
    assert len(row.raw["_extra_cells"]) == MAX_CELL
    assert row.raw["_truncated"] == f"cut to their first {MAX_CELL:,} characters: _extra_cells ({MAX_CELL + 2:,} characters)"
