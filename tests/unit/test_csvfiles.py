"""CSV exports: encodings, column order, extra columns, and whole-file quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.csvfiles import read_rows
from pipeline.errors import QuarantineError

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
