"""Writes every file of this folder but README.md (`python tests/hostile/import/generate.py`):
the corpus is committed, this script says how each file was made and remakes it."""
from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANN, BOB = "ann@example.com", "bob@example.org"
MANY = "".join(f"u{i}@example.com\n" for i in range(10_000)).encode()
TIMES = [  # (the `when` cell, whether it is a readable request time before the import at 2026-10-11T09:00Z)
    ("2024-01-02T03:04:05Z", True),
    ("0000-01-01T00:00:00Z", False),  # year 0
    ("99999-01-01T00:00:00Z", False),
    ("2026-13-45", False),
    ("2099-01-01T00:00:00Z", False),  # far in the future
    ("2026-10-11T09:00:01Z", False),  # a second after the import
    ("1700000000", True),  # unix seconds, 2023-11-14
    ("1700000000000", True),  # unix milliseconds
    ("9999999999", False),  # unix seconds of the year 2286
    ("", False),
    ("garbage", False),
    ("2024-01-01T00:00:00+25:00", False),  # no such offset
    ("2024-01-01T00:00:00-05:00", True),
    ("1989-12-31T23:59:59Z", False),  # before any e-mail suppression list: absurd
    ("0001-01-01T00:00:00+01:00", False),  # before year 1 in UTC
    ("12/31/2023 11:59 PM", True),
]


def csv_files() -> dict[str, bytes]:
    return {
        "bom_crlf.csv": b"\xef\xbb\xbfEmail,Name\r\nann@example.com,Ann\r\nBob@Example.ORG,Bob\r\n",
        "bare_cr.csv": b"email\rann@example.com\rbob@example.org",
        "semicolon.csv": b'Name;Email Address\n"Doe; Ann";ann@example.com\nBob;bob@example.org\n',
        "tab.tsv": b"id\temail\n1\tann@example.com\n2\tbob@example.org\n",
        "ragged.csv": b"email,name\nann@example.com\nbob@example.org,Bob,extra,cells\n",
        "quoted_newline.csv": b'email,note\nnot-an-address,"line one\nline two"\nann@example.com,x\nbob@example.org,y\n',
        "blank_before_header.csv": b"\n \r\nemail\n\nann@example.com\n\n\nbob@example.org\n",
        "header_only.csv": b"email\r\n",
        "named_column.csv": b"name,Contact,Backup Email\nAnn,ann@example.com,x@example.net\nBob,bob@example.org,\n",
        "formula.csv": (b'email\n"=HYPERLINK(""mailto:ann@example.com"",""ann@example.com"")"\n=1+2\n'
                        b"@SUM(A1)\n+cid@example.net\nbob@example.org\n"),
        "mixed_case_duplicates.csv": b"email\nAnn@Example.COM\nann@example.com\n ANN@EXAMPLE.COM \nbob@example.org\n",
        "huge_field.csv": b"email\nann@example.com\n" + b"x" * 200_000 + b"@example.com\nbob@example.org\n",
        "nul_after_sample.csv": (b"email,note\nann@example.com," + b"n" * 70_000 + b"\nb\x00b@example.org,x\n"
                                 b"bob@example.org,y\n"),
        "times.csv": b"email,when\n" + "".join(f"t{i}@example.com,{t}\n" for i, (t, _) in enumerate(TIMES)).encode(),
        "unclosed_quote.csv": b'email,name\nann@example.com,Ann\n"bob@example.org,Bob\ncid@example.net,Cid\n',
        "stray_quote.csv": b'email,name\n"ann@example.com"x,Ann\nbob@example.org,Bob\n',
        "empty.csv": b"",
        "blank_lines_only.csv": b"\n\r\n  \n\n",
        "missing_column.csv": b"name,phone\nAnn,123\n",
        "line_break_header.csv": b'name,"Contact\r\nInfo"\nAnn,ann@example.com\n',
        "duplicate_header.csv": b"Email,email\nann@example.com,bob@example.org\n",
        "latin1.csv": "email,name\nann@example.com,Jos\xe9\n".encode("latin-1"),
        "utf16.csv": "\ufeffemail,name\r\nann@example.com,Zoë\r\nbob@example.org,Bob\r\n".encode("utf-16-le"),
        "nul_bytes.csv": b"email\nann@exa\x00mple.com\n",
        "not_a_workbook.xlsx": b"PK\x03\x04" + b"\x00garbage" * 20,
        "old.xls": bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504,
    }


def gzip_files() -> dict[str, bytes]:
    late = gzip.compress(b"email\n" + MANY, mtime=0)
    return {
        "list.csv.gz": gzip.compress(b"email\r\nann@example.com\r\nbob@example.org\r\n", mtime=0),
        "binary.csv.gz": gzip.compress(bytes(range(256)) * 40, mtime=0),
        "truncated_head.csv.gz": gzip.compress(b"email\nann@example.com\nbob@example.org\n", mtime=0)[:30],
        "truncated_late.csv.gz": late[: len(late) * 3 // 4],
    }


def write_parquet() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "Email Address": [ANN, None, "not-an-address", BOB],
        "when": pa.array([datetime(2024, 1, 2, tzinfo=UTC), None, None, datetime(2099, 1, 1, tzinfo=UTC)],
                         type=pa.timestamp("s", tz="UTC")),
    })
    pq.write_table(table, HERE / "list.parquet")
    good = (HERE / "list.parquet").read_bytes()
    (HERE / "truncated.parquet").write_bytes(good[: len(good) // 2])
    (HERE / "corrupt.parquet").write_bytes(b"PAR1" + b"\xff" * 64 + b"PAR1")
    twice = pa.Table.from_arrays([pa.array([ANN]), pa.array([BOB])], names=["email", "email"])
    pq.write_table(twice, HERE / "duplicate_columns.parquet")
    raw = pa.array([ANN.encode(), b"\xffbad@example.com", None, BOB.encode()], type=pa.binary())
    pq.write_table(pa.table({"email": raw}), HERE / "binary_column.parquet")


def write_xlsx() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email", "When"])
    sheet.append([ANN, datetime(2024, 1, 2, 3, 4, 5)])
    sheet.append(['=HYPERLINK("mailto:cid@example.net","cid@example.net")', "2024-01-03"])  # no saved value
    sheet.append([BOB, "2099-01-01"])
    book.properties.created = book.properties.modified = datetime(2026, 1, 1)
    book.save(HERE / "list.xlsx")

    gaps = openpyxl.Workbook()
    sheet = gaps.active
    for row, value in ((1, "Email"), (3, ANN), (6, "not-an-address"), (8, BOB), (9, "ANN@example.com")):
        sheet.cell(row=row, column=1, value=value)  # rows 2, 4, 5 and 7 stay blank
    gaps.properties.created = gaps.properties.modified = datetime(2026, 1, 1)
    gaps.save(HERE / "gaps.xlsx")

    spaces = openpyxl.Workbook()
    sheet = spaces.active
    for row, col, value in ((1, 1, " "), (3, 1, "Email"), (4, 1, ANN), (5, 1, " "), (5, 2, "\t"), (6, 1, "x@y"),
                            (7, 1, BOB)):
        sheet.cell(row=row, column=col, value=value)  # rows 1 and 5 hold only spaces: blank, as in a CSV
    spaces.properties.created = spaces.properties.modified = datetime(2026, 1, 1)
    spaces.save(HERE / "spaces.xlsx")


def main() -> None:
    for name, data in {**csv_files(), **gzip_files()}.items():
        (HERE / name).write_bytes(data)
    write_parquet()
    write_xlsx()
    link = HERE / "symlink.csv"
    link.unlink(missing_ok=True)
    os.symlink("bom_crlf.csv", link)


if __name__ == "__main__":
    main()
