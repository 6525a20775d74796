"""Each provider's import file (header, rows, scope mapping, formula-safe cells) and the reader
of its own suppression export, on the shapes the providers document; a fuzzer of the readers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.audit.esp_files import BOUNCE, COMPLAINT, MANUAL, PROVIDERS, UNSUBSCRIBE, provider, read_bytes, write_import
from pipeline.core.errors import OptoutError

ENTRIES = [("ann@example.com", "marketing", "2026-10-01T10:00:00+00:00"), ("=2+3@example.com", "all", "2026-10-02T11:30:00+00:00")]


def _written(tmp_path: Path, name: str) -> list[list[str]]:
    path = tmp_path / f"{name}.csv"
    write_import(path, provider(name), ENTRIES)
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("sendgrid", [["email"], ["ann@example.com"], ["'=2+3@example.com"]]),
        ("ses", [["emailAddress", "reason"], ["ann@example.com", "COMPLAINT"], ["'=2+3@example.com", "COMPLAINT"]]),
        (
            "mailgun",
            [
                ["address", "tags", "created_at"],
                ["ann@example.com", "*", "Thu, 01 Oct 2026 10:00:00 GMT"],
                ["'=2+3@example.com", "*", "Fri, 02 Oct 2026 11:30:00 GMT"],
            ],
        ),
        (
            "postmark",
            [
                ["EmailAddress", "MessageStream"],
                ["ann@example.com", "broadcast"],
                ["'=2+3@example.com", "broadcast"],
                ["'=2+3@example.com", "outbound"],
            ],
        ),
        ("mailchimp", [["Email Address", "Status"], ["ann@example.com", "unsubscribed"], ["'=2+3@example.com", "unsubscribed"]]),
    ],
)
def test_import_file_layout(tmp_path: Path, name: str, rows: list[list[str]]) -> None:
    assert _written(tmp_path, name) == rows


def test_import_file_is_crlf_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    write_import(path, provider("sendgrid"), ENTRIES)
    assert path.read_bytes().startswith(b"email\r\nann@example.com\r\n")


def test_an_import_file_appears_only_whole(tmp_path: Path) -> None:
    def entries():
        yield "ann@example.com", "marketing", "2026-10-09T09:00:00+00:00"
        raise OSError(28, "No space left on device")

    path = tmp_path / "sendgrid.csv"
    with pytest.raises(OptoutError, match="cannot write"):
        write_import(path, provider("sendgrid"), entries())
    assert list(tmp_path.iterdir()) == []  # no cut-off file under the real name, no partial left
    assert write_import(path, provider("sendgrid"), [("ann@example.com", "marketing", "2026-10-09T09:00:00+00:00")]) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["sendgrid.csv"]


def test_unknown_provider() -> None:
    with pytest.raises(OptoutError, match="unknown provider 'aol'"):
        provider("aol")


def _read(name: str, data: str | bytes) -> list[tuple[int, str, str, str, str | None]]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return [(r.line, r.address, r.kind, r.reason, r.created) for r in read_bytes(raw, provider(name), "f")]


def test_sendgrid_unsubscribe_bounce_and_spam_exports() -> None:
    assert _read("sendgrid", "email,created\nann@example.com,2026-10-01 10:00:00\n") == [
        (2, "ann@example.com", UNSUBSCRIBE, "unsubscribe", "2026-10-01 10:00:00")
    ]
    bounces = _read("sendgrid", "status,reason,email,created\n5.1.1,550 no such user,dead@example.com,1727776800\n")
    assert bounces == [(2, "dead@example.com", BOUNCE, "550 no such user", "1727776800")]
    assert _read("sendgrid", "ip,email,created\n192.0.2.1,sp@example.com,x\n")[0][2:4] == (COMPLAINT, "spam report")


def test_ses_list_suppressed_destinations_json_and_csv() -> None:
    body = {
        "SuppressedDestinationSummaries": [
            {"EmailAddress": "c@example.com", "Reason": "COMPLAINT", "LastUpdateTime": "2026-10-01T10:00:00Z"},
            {"EmailAddress": "b@example.com", "Reason": "BOUNCE", "LastUpdateTime": 1727776800.5},
        ],
        "NextToken": "abc",
    }
    assert _read("ses", json.dumps(body)) == [
        (1, "c@example.com", COMPLAINT, "COMPLAINT", "2026-10-01T10:00:00Z"),
        (2, "b@example.com", BOUNCE, "BOUNCE", "1727776800.5"),
    ]
    assert _read("ses", "emailAddress,reason\nc@example.com,complaint\n")[0][2] == COMPLAINT


def test_mailgun_unsubscribes_bounces_and_complaints() -> None:
    assert _read("mailgun", 'address,tags,created_at\nu@example.com,*,"Thu, 01 Oct 2026 10:00:00 UTC"\n')[0][2:] == (
        UNSUBSCRIBE,
        "unsubscribed (tags *)",
        "Thu, 01 Oct 2026 10:00:00 UTC",
    )
    assert _read("mailgun", "address,code,error,created_at\nb@example.com,550,No such mailbox,x\n")[0][2:4] == (BOUNCE, "No such mailbox")
    assert _read("mailgun", "address,created_at\nc@example.com,x\n")[0][2] == COMPLAINT
    api = {"items": [{"address": "u@example.com", "tags": ["*"], "created_at": "Thu, 01 Oct 2026 10:00:00 UTC"}], "paging": {}}
    assert _read("mailgun", json.dumps(api))[0][1:4] == ("u@example.com", UNSUBSCRIBE, "unsubscribed (tags *)")


def test_postmark_dump_json_and_csv() -> None:
    body = {
        "Suppressions": [
            {
                "EmailAddress": "m@example.com",
                "SuppressionReason": "ManualSuppression",
                "Origin": "Customer",
                "CreatedAt": "2026-10-01T10:00:00-04:00",
            },
            {
                "EmailAddress": "s@example.com",
                "SuppressionReason": "SpamComplaint",
                "Origin": "Recipient",
                "CreatedAt": "2026-10-01T10:00:00Z",
            },
            {
                "EmailAddress": "h@example.com",
                "SuppressionReason": "HardBounce",
                "Origin": "Recipient",
                "CreatedAt": "2026-10-01T10:00:00Z",
            },
        ]
    }
    assert [r[2] for r in _read("postmark", json.dumps(body))] == [MANUAL, COMPLAINT, BOUNCE]
    assert (
        _read("postmark", "EmailAddress,SuppressionReason,Origin,CreatedAt\nm@example.com,ManualSuppression,Customer,x\n")[0][2] == MANUAL
    )


def test_mailchimp_unsubscribed_and_cleaned_exports() -> None:
    unsub = (
        "Email Address,First Name,OPTIN_TIME,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\n"
        "u@example.com,U,2024-01-01 00:00:00,2026-10-01 10:00:00,Oct,Too many\n"
    )
    assert _read("mailchimp", unsub) == [(2, "u@example.com", UNSUBSCRIBE, "Too many", "2026-10-01 10:00:00")]
    cleaned = "Email Address,OPTIN_TIME,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE\nc@example.com,2024-01-01 00:00:00,2026-10-01 10:00:00,Oct\n"
    assert _read("mailchimp", cleaned)[0][2:] == (BOUNCE, "cleaned", "2026-10-01 10:00:00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"email,email\nx@example.com,y\n", "f line 1: the column 'email' is named twice"),
        (b"name\nx\n", "f line 1: no address column"),
        (b'email\n"x@example.com\n', "f line 2: not readable as CSV"),
        (b"email\n\xff\n", "f: not UTF-8 text"),
        (b'{"a": 1}', "f: JSON without the list"),
    ],
)
def test_bad_files_name_file_and_line(data: bytes, message: str) -> None:
    with pytest.raises(OptoutError, match=message.replace("(", r"\(")):
        read_bytes(data, provider("sendgrid"), "f")


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CELL = st.text(alphabet=st.sampled_from(list("ab@.,;\"'\r\n\t =\x00é{}[]") + ["\ufeff"]), max_size=12)


@FUZZ
@given(name=st.sampled_from(sorted(PROVIDERS)), data=st.binary(max_size=300))
def test_fuzz_bytes_never_traceback(name: str, data: bytes) -> None:
    try:
        rows = read_bytes(data, provider(name), "f")
    except OptoutError as exc:
        assert str(exc).startswith("f")
        return
    assert all(r.line >= 1 for r in rows)


@FUZZ
@given(name=st.sampled_from(sorted(PROVIDERS)), cells=st.lists(st.lists(CELL, max_size=4), max_size=6), json_form=st.booleans())
def test_fuzz_structured_never_traceback(name: str, cells: list[list[str]], json_form: bool) -> None:
    p = provider(name)
    if json_form:
        data = json.dumps(
            {"Suppressions": [dict(zip(("EmailAddress", "SuppressionReason", "CreatedAt"), row, strict=False)) for row in cells]}
        ).encode()
    else:
        data = "\n".join([",".join(p.header), *(",".join(row) for row in cells)]).encode("utf-8")
    try:
        rows = read_bytes(data, p, "f")
    except OptoutError as exc:
        assert str(exc).startswith("f")
        return
    # At most a row per entry, or per line: a cell's own CR or LF, joined unquoted, starts a new line.
    lines = data.count(b"\n") + data.count(b"\r") + 1
    assert len(rows) <= (max(len(cells), 1) if json_form else lines)
