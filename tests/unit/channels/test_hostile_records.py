"""Record-level isolation in every channel reader (SPEC §3, hostile input): whatever one
row, line or message holds, it becomes that record's outcome and never fails its file; the
fuzzers feed each reader arbitrary bytes."""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.channels import REGISTRY, jsonlines, unsubscribe_link
from pipeline.channels.base import csv_records, guarded
from pipeline.channels.mail.intake import date_header_time
from pipeline.core.config import Settings
from pipeline.core.errors import QuarantineError
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.csvfiles import CsvRow
from pipeline.intake.landing import LandedFile
from pipeline.intake.records import MAX_REF, IntakeRecord, Outcome, storable, storable_ref, storable_text
from pipeline.intake.tokens import mint
from pipeline.ledger.ingest import read_file

pytestmark = pytest.mark.unit
DAY = date(2026, 10, 9)
ARRIVAL = datetime(2026, 10, 9, tzinfo=UTC)
KEYS = Settings().token_keys
GOOD_TOKEN = mint(KEYS, "alice@example.com", "oct", datetime(2026, 10, 8, tzinfo=UTC))
HEADERS = {
    "phone": "call_id,started_at,caller_number,account_id,email,disposition",
    "cancellation": "ticket_id,account_id,created_at,category,status",
    "preference_center": "change_id,account_id,email,marketing_opt_in,changed_at",
    "postal_mail": "letter_id,received_at,email,account_id",
}


def landed(path: Path, channel: str) -> LandedFile:
    return LandedFile(channel, path, DAY, "0" * 64, path.stat().st_size)


def context(path: Path, channel: str) -> ChannelContext:
    accounts = AccountIndex()
    accounts.add("A1", "mary@example.com", "+12125550001", "US")
    return ChannelContext(Settings(), accounts, landed(path, channel))


def read(path: Path, channel: str) -> list[IntakeRecord]:
    return list(REGISTRY[channel].read(path, context(path, channel)))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def click(event_id: str, **extra: object) -> str:
    row = {"event_id": event_id, "occurred_at": "2026-10-08T09:30:00Z", "token": GOOD_TOKEN, "method": "POST"} | extra
    return json.dumps(row)


def assert_storable(record: IntakeRecord) -> None:
    text = json.dumps(record.raw, ensure_ascii=False) + record.source_ref + record.details + record.locator
    assert "\x00" not in text
    text.encode("utf-8")  # no lone surrogate: UTF-8 (and PostgreSQL) can hold it
    assert len(record.source_ref) <= MAX_REF


# --- the safety net -----------------------------------------------------------------------


def test_guarded_turns_any_exception_into_an_unreadable_record() -> None:
    def broken() -> IntakeRecord:
        raise KeyError("no such column\nsecond line")

    record = guarded("phone", ARRIVAL, "line 7", lambda: {"call_id": "C1", "notes": "n" * 10_000}, broken)
    assert (record.outcome, record.reason, record.locator) == (Outcome.REJECTED, "unreadable_record", "line 7")
    assert record.details == "the record could not be read: KeyError: 'no such column\\nsecond line'"
    assert record.raw["call_id"] == "C1" and len(record.raw["notes"]) < 4100  # bounded evidence
    assert record.requested_at == ARRIVAL and record.source_ref.startswith("sha256:")


def test_guarded_survives_evidence_that_cannot_be_listed() -> None:
    def fails() -> Any:
        raise RuntimeError("boom")

    record = guarded("phone", ARRIVAL, "line 2", fails, fails)
    assert record.reason == "unreadable_record" and record.raw["locator"] == "line 2"


@pytest.mark.parametrize("error", [RuntimeError("verify broke"), TypeError("bad type"), RecursionError("deep")])
def test_a_token_check_that_raises_costs_only_its_click(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def verify(keys: object, token: str) -> object:
        if "e2" in calls:
            raise error
        return real(keys, token)  # type: ignore[arg-type]

    calls: list[str] = []
    real = unsubscribe_link.verify
    monkeypatch.setattr(unsubscribe_link, "verify", verify)
    original = unsubscribe_link.request_record

    def spy(raw: dict[str, Any], locator: str, ctx: ChannelContext) -> IntakeRecord:
        calls[:] = [str(raw.get("event_id"))]
        return original(raw, locator, ctx)

    monkeypatch.setattr(unsubscribe_link, "request_record", spy)
    path = write(tmp_path, "clicks.jsonl", "\n".join([click("e1"), click("e2"), click("e3")]).encode())
    records = read(path, "unsubscribe_link")
    assert [(r.outcome.value, r.reason) for r in records] == [
        ("accepted", "optout"), ("rejected", "unreadable_record"), ("accepted", "optout")
    ]
    assert type(error).__name__ in records[1].details and records[1].raw["line"].startswith('{"event_id": "e2"')


@pytest.mark.parametrize(("channel", "decide"), [("phone", "call_record"), ("postal_mail", "letter_record")])
def test_a_csv_decision_that_raises_costs_only_its_row(tmp_path: Path, channel: str, decide: str) -> None:
    module = importlib.import_module(f"pipeline.channels.{channel}")
    real = getattr(module, decide)

    def flaky(row: CsvRow, ctx: ChannelContext) -> IntakeRecord:
        if row.line == 3:
            raise ZeroDivisionError("division by zero")
        return real(row, ctx)  # type: ignore[no-any-return]

    row = {"phone": "C{n},2026-10-08 10:00,,,a{n}@example.com,OPT_OUT", "postal_mail": "L{n},2026-10-08,a{n}@example.com,"}[channel]
    path = write(tmp_path, "f.csv", "\n".join([HEADERS[channel], *(row.format(n=n) for n in range(1, 4))]).encode())
    records = list(csv_records(channel, path, context(path, channel), module.COLUMNS, flaky))
    assert [(str(r.outcome), r.reason) for r in records] == [
        ("accepted", "optout"), ("rejected", "unreadable_record"), ("accepted", "optout")
    ]
    assert records[1].raw["_error"] == "ZeroDivisionError: division by zero" and records[1].locator == "line 3"


def test_a_reader_that_fails_outside_its_records_quarantines_the_named_file(tmp_path: Path) -> None:
    path = write(tmp_path, "calls.csv", b"x")

    def broken(path: Path, ctx: ChannelContext) -> Iterator[IntakeRecord]:
        raise ValueError("splitting went wrong")
        yield  # pragma: no cover

    ch = REGISTRY["phone"].__class__("phone", ("*.csv",), broken)
    records, error = read_file(ch, landed(path, "phone"), context(path, "phone"))
    assert records == [] and error == f"{path}: cannot be read: ValueError: splitting went wrong"


def test_an_mbox_error_names_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, "inbox.mbox", b"hello, not mail\n")
    records, error = read_file(REGISTRY["support_inbox"], landed(path, "support_inbox"), context(path, "support_inbox"))
    assert records == [] and error is not None and error.startswith(f"{path}: not an mbox file")


# --- storable text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [("plain", "plain"), ("a\x00b", "a\ufffdb"), ("é\x00", "é\ufffd"), ("\ud800x\udfff", "\ufffdx\ufffd"), ("😀", "😀")],
)
def test_storable_text(text: str, stored: str) -> None:
    assert storable_text(text) == stored


def test_storable_keeps_clean_values_as_they_are_and_cleans_keys() -> None:
    clean = {"a": ["b", {"c": 1}], "d": None}
    assert storable(clean) is clean
    assert storable({"k\x00": ["v\x00", ("\udc80",)]}) == {"k\ufffd": ["v\ufffd", ("\ufffd",)]}


def test_a_long_or_dirty_ref_is_stored_as_a_hash_or_cleaned() -> None:
    assert storable_ref("x" * (MAX_REF + 1)).startswith("sha256:")
    assert storable_ref("x" * (MAX_REF + 1)) != storable_ref("x" * (MAX_REF + 2))
    assert storable_ref("id\x00") == "id\ufffd"


# --- times, BOMs, encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Fri, 31 Dec 9999 23:00:00 -0500", None),
        ("Mon, 01 Jan 0001 00:00:00 +0500", None),
        ("31 Dec 99999 99:99:99 +9999", None),
        ("", None),
        ("Thu, 08 Oct 2026 10:00:00 +0200", datetime(2026, 10, 8, 8, 0, tzinfo=UTC)),
        ("Thu, 08 Oct 2026 10:00:00", datetime(2026, 10, 8, 10, 0, tzinfo=UTC)),
    ],
)
def test_date_header_time_never_overflows(header: str, expected: datetime | None) -> None:
    assert date_header_time(header) == expected


@pytest.mark.parametrize(
    ("channel", "name", "data", "reasons"),
    [
        ("unsubscribe_link", "c.jsonl", b"\xef\xbb\xbf" + click("e1").encode() + b"\n" + click("e2").encode(), ["optout", "optout"]),
        ("postal_mail", "l.csv", b"\xef\xbb\xbfletter_id,received_at,email,account_id\nL1,2026-10-08,a@example.com,\n", ["optout"]),
        ("postal_mail", "l.csv", b"\xef\xbb\xbfletter_id,received_at,email,account_id,name\nL1,2026-10-08,a@example.com,,M\xfcller\n",
         ["optout"]),
        ("support_inbox", "m.eml", b"\xef\xbb\xbfFrom: a@example.com\nSubject: Unsubscribe\n\nPlease unsubscribe me.\n", ["optout"]),
        ("support_inbox", "m.mbox", b"\xef\xbb\xbfFrom x Thu Oct  8 10:00:00 2026\nFrom: a@example.com\nSubject: Unsubscribe\n\n"
         b"Please unsubscribe me.\n", ["optout"]),
    ],
)
def test_a_bom_never_costs_the_first_record(tmp_path: Path, channel: str, name: str, data: bytes, reasons: list[str]) -> None:
    assert [r.reason for r in read(write(tmp_path, name, data), channel)] == reasons


def test_a_nul_in_one_click_costs_only_that_line(tmp_path: Path) -> None:
    data = "\n".join([click("e1"), click("e2")[:-1] + ', "x": "\x00"}', click("e3", user_agent="a\x00b")]).encode()
    records = read(write(tmp_path, "c.jsonl", data), "unsubscribe_link")
    assert [r.reason for r in records] == ["optout", "unparseable", "optout"]
    assert records[2].raw["user_agent"] == "a\ufffdb"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("null", "not a JSON object (a JSON null)"),
        ("[1]", "not a JSON object (a JSON array)"),
        ('{"a": NaN}', "NaN is not a JSON value"),
        ('{"a": ' + "1" * 5000 + "}", "a number of 5000 characters (limit 40)"),
        ('{"a": ' + "[" * 50 + "]" * 50 + "}", "nested 51 levels deep (limit 32)"),
        ('{"a": "' + "x" * (unsubscribe_link.MAX_LINE + 10) + '"}', "a line of 1,048,595 bytes (limit 1,048,576)"),
    ],
)
def test_a_hostile_json_line_is_rejected_with_its_reason(tmp_path: Path, line: str, why: str) -> None:
    records = read(write(tmp_path, "c.jsonl", (click("e1") + "\n" + line + "\n").encode()), "unsubscribe_link")
    assert [(r.reason, r.details) for r in records][1] == ("unparseable", why)
    assert len(records[1].raw["line"]) <= 4000


def test_a_huge_line_keeps_a_bounded_prefix_and_the_hash_of_all_of_it(tmp_path: Path) -> None:
    one = '{"a": "' + "x" * 3_000_000 + '1"}'
    two = '{"a": "' + "x" * 3_000_000 + '2"}'
    records = read(write(tmp_path, "c.jsonl", "\n".join([click("e1"), one, two]).encode()), "unsubscribe_link")
    assert records[1].raw["line_bytes"] == len(one) and len(records[1].raw["line"]) == 4000
    assert records[1].source_ref != records[2].source_ref  # same start, two records


@pytest.mark.parametrize("block", [1, 2, 3, 7])
def test_file_lines_splits_every_line_end_across_blocks(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(jsonlines, "_BLOCK", block)
    data = b"\xef\xbb\xbfab\r\ncd\ref\n\ngh\r\r\nij"
    lines = list(jsonlines.file_lines(io.BytesIO(data), limit=3))
    assert [(line.number, line.data, line.size) for line in lines] == [
        (1, b"ab", 2), (2, b"cd", 2), (3, b"ef", 2), (4, b"", 0), (5, b"gh", 2), (6, b"", 0), (7, b"ij", 2)
    ]
    cut = list(jsonlines.file_lines(io.BytesIO(b"abcdefgh\nx"), limit=3))
    assert (cut[0].data, cut[0].size, cut[0].cut, len(cut[0].sha256)) == (b"abcd", 8, True, 64)
    huge = list(jsonlines.file_lines(io.BytesIO(b"y" * 100_000 + b"\nx"), limit=50_000))
    assert (len(huge[0].data), huge[0].size, huge[0].cut) == (16_000, 100_000, True)


# --- fuzzers --------------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
OUTCOMES = set(Outcome)


def fuzz_read(tmp_path: Path, channel: str, name: str, data: bytes) -> None:
    path = write(tmp_path, name, data)
    try:
        records = read(path, channel)
    except QuarantineError as exc:
        assert str(path) in str(exc)  # a whole-file problem names the file
        return
    for record in records:
        assert record.outcome in OUTCOMES
        assert_storable(record)


CELL = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "9" * 400, "NaN", "\x00", '"', "OPT_OUT", "false", "a@example.com", "A1"]
)


@FUZZ
@given(
    channel=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(CELL, max_size=8), max_size=6),
    tail=st.binary(max_size=200),
)
def test_fuzz_csv_rows_never_raise(tmp_path: Path, channel: str, rows: list[list[str]], tail: bytes) -> None:
    text = HEADERS[channel] + "\n" + "\n".join(",".join(row) for row in rows) + "\n"
    fuzz_read(tmp_path, channel, "f.csv", text.encode("utf-8") + tail)


@FUZZ
@given(channel=st.sampled_from(sorted(HEADERS)), data=st.binary(max_size=400))
def test_fuzz_csv_bytes_never_raise(tmp_path: Path, channel: str, data: bytes) -> None:
    fuzz_read(tmp_path, channel, "f.csv", data)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(st.characters(codec="utf-8"), max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)
CLICK_LINE = st.one_of(
    st.dictionaries(st.sampled_from(["event_id", "occurred_at", "token", "method", "x"]), JSON_VALUE).map(
        lambda extra: json.dumps(json.loads(click("e")) | extra)
    ),
    JSON_VALUE.map(json.dumps),
    st.text(max_size=60),
    st.sampled_from(["null", "NaN", '{"a": Infinity}', "[" * 40, '{"x": ' + "9" * 100 + "}", '{"u": "\\ud800"}', '{"n": "\\u0000"}']),
)


@FUZZ
@given(lines=st.lists(CLICK_LINE, max_size=6), ends=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans(), noise=st.binary(max_size=40))
def test_fuzz_jsonl_lines_never_raise(tmp_path: Path, lines: list[str], ends: str, bom: bool, noise: bytes) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + ends.join(lines).encode("utf-8", "surrogatepass") + noise
    fuzz_read(tmp_path, "unsubscribe_link", "c.jsonl", data)


HEADER_LINE = st.sampled_from([
    b"From: a@example.com", b"From: =?utf-8?B?////?= <b@example.com>", b"Subject: unsubscribe", b"Date: Fri, 31 Dec 9999 23:00:00 -0500",
    b"Date: Mon, 01 Jan 0001 00:00:00 +0500", b"Content-Type: multipart/mixed; boundary=x", b"Content-Type: text/plain; charset=x-unknown",
    b"Content-Transfer-Encoding: base64", b"Message-ID: <\x00@x>", b"Reply-To: \xff\xfe", b"Auto-Submitted: auto-replied",
])


@FUZZ
@given(
    channel=st.sampled_from(["support_inbox", "cancellation"]),
    messages=st.lists(st.tuples(st.lists(HEADER_LINE, max_size=5), st.binary(max_size=120)), max_size=4),
    suffix=st.sampled_from(["m.mbox", "m.eml"]),
    noise=st.binary(max_size=60),
)
def test_fuzz_mail_bytes_never_raise(
    tmp_path: Path, channel: str, messages: list[tuple[list[bytes], bytes]], suffix: str, noise: bytes
) -> None:
    parts = [b"\n".join(headers) + b"\n\n" + body for headers, body in messages]
    if suffix == "m.mbox":
        data = b"".join(b"From x Thu Oct  8 10:00:00 2026\n" + part + b"\n" for part in parts) + noise
    else:
        data = (parts[0] if parts else b"") + noise
    fuzz_read(tmp_path, channel, suffix, data)


def test_every_channel_suite_knows_every_reason_code() -> None:
    """A reason the data-quality suites do not list would quarantine its whole file in the DAG."""
    from pipeline.intake.records import REASONS
    from tests.conftest import ROOT

    every = set().union(*REASONS.values())
    for name in REGISTRY:
        suite = json.loads((ROOT / "expectations" / f"{name}.json").read_text(encoding="utf-8"))
        found = [
            set(e["kwargs"]["value_set"]) for e in suite["expectations"]
            if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "reason"
        ]
        assert found == [every], name


def test_an_exception_whose_message_fails_is_still_one_record() -> None:
    class Odd(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no message")

    def build() -> IntakeRecord:
        raise Odd()

    record = guarded("phone", ARRIVAL, "line 3", lambda: {"call_id": "C3"}, build)
    assert record.details == "the record could not be read: Odd: (message cannot be shown)"
