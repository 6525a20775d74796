"""The check's invariant over generated CSV dialects (hypothesis): whatever the delimiter,
quoting, line ends, BOM, encoding, header spelling, blank lines, embedded newlines and block
size, when the check succeeds no row whose reference match key (SPEC §4.2) is suppressed is in
OUT, and every input row is either in OUT (as it was) or in --removed (neutralised)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.check.blocks import REMOVED_COLUMNS
from pipeline.check.loaded_list import SuppressedSet
from pipeline.check.run import filter_file
from pipeline.core.addresses import try_parse
from pipeline.core.errors import OptoutError
from pipeline.core.formulas import neutralise
from tests.integration.lists import marketing_list

pytestmark = pytest.mark.integration

LISTED = ["bob@example.com", "john.doe@gmail.com", "zoë@ëxample.nl", "=x@example.com"]
ADDRESSES = [
    "bob@example.com", "BOB@Example.com", " bob+news@example.com ", "Bob <bob@example.com>", "johndoe@googlemail.com",
    "J.O.H.N.DOE@gmail.com", "zoë@ëxample.nl", "=x@example.com", "ann@example.com", "ann+x@example.com",
    "dan@example.org", "not an address", "", "a..b@example.com", "x@localhost", "@example.com", "+1@example.com",
    "Doe, Ann <ann@example.com>", 'say "hi" <eve@example.com>',
]
HEADERS = ["email", "Email", "E-mail", "Email Address", "email_address", "EMAIL ADDRESS", "recipient", "e_mail", "E-Mail-Address"]
TEXT = st.lists(st.sampled_from([*"ab ,;|\t\"'=+-@\n\ré", "\r\n"]), max_size=12).map("".join)


@pytest.fixture
def lst(engine, settings, clock) -> SuppressedSet:
    return marketing_list(engine, settings, clock, LISTED)


@st.composite
def recipient_files(draw: st.DrawFn) -> tuple[bytes, str, list[list[str]], int]:
    """(file bytes, delimiter, records, address column) of a generated recipient CSV."""
    ncols = draw(st.integers(1, 4))
    delimiter = "," if ncols == 1 else draw(st.sampled_from([",", ";", "\t", "|"]))
    col = draw(st.integers(0, ncols - 1))
    header = [f"col{i}" for i in range(ncols)]
    header[col] = draw(st.sampled_from(HEADERS))
    records = draw(st.lists(st.lists(TEXT, min_size=ncols, max_size=ncols), max_size=30))
    for record in records:
        record[col] = draw(st.sampled_from(ADDRESSES))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter, lineterminator=eol, quoting=quoting)
    writer.writerow(header)
    for record in records:
        if draw(st.integers(0, 9)) == 0:
            text.write(eol)  # a blank line: not a recipient for any reader
        writer.writerow(record)
    body = text.getvalue()
    if records and draw(st.booleans()):
        body = body[: -len(eol)]  # no line end after the last row
    if encoding == "cp1252":
        body = body.replace("ë", "e")  # the listed IDN address cannot be written in Windows-1252
    return body.encode(encoding), delimiter, [[c.replace("ë", "e") if encoding == "cp1252" else c for c in r] for r in records], col


def encoding_of(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def read_rows(path: Path, delimiter: str) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh, delimiter=delimiter) if r]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=recipient_files(), block_size=st.sampled_from([64, 512, 1 << 20]), workers=st.sampled_from([1, 2]))
def test_no_suppressed_row_in_out_and_every_row_accounted_for(lst, tmp_path, case, block_size, workers) -> None:
    data, delimiter, records, col = case
    src, out, rem = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "removed.csv"
    src.write_bytes(data)
    listed_keys = {p.key for p in (try_parse(a) for a in LISTED) if p is not None}
    try:
        tally = filter_file(src, out, rem, None, lst, workers=workers, block_size=block_size)
    except OptoutError as exc:
        assert not [r for r in records if any(r)], f"a valid file was refused: {exc}"  # no recipient rows
        return
    # The reference rows: what the `csv` module reads from the bytes (a value the writer left
    # unquoted can hold a line end, which every reader takes for one).
    with src.open(encoding="cp1252" if encoding_of(data) == "cp1252" else "utf-8-sig", newline="") as fh:
        header, *records = [r for r in csv.reader(fh, delimiter=delimiter) if r]
    expected_kept, expected_removed = [], []
    for record in records:
        parsed = try_parse(record[col] if col < len(record) else "")
        if parsed is not None and parsed.key not in listed_keys:
            expected_kept.append(record)
        else:
            expected_removed.append([neutralise(c) for c in record])
    kept = read_rows(out, delimiter)[1:]
    removed = [r[: -len(REMOVED_COLUMNS)] for r in read_rows(rem, delimiter)[1:]]
    assert not [r for r in kept if (p := try_parse(r[col] if col < len(r) else "")) is not None and p.key in listed_keys]
    assert kept == expected_kept
    assert removed == expected_removed
    assert tally.rows_in == len(records) == len(kept) + len(removed)
    assert src.read_bytes() == data
