"""unsubscribe_link (SPEC §2.1): POST opts out, GET is a page view, bad tokens are rejected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.channels import REGISTRY
from pipeline.core.config import Settings, parse_token_keys
from pipeline.core.errors import QuarantineError
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile
from pipeline.intake.tokens import mint

pytestmark = pytest.mark.unit

KEYS = parse_token_keys("k2:new-secret,k1:old-secret")
AT = datetime(2026, 10, 9, 9, 0, tzinfo=UTC)
GOOD = mint(KEYS, "alice@example.com", "oct", AT)
OLD = mint(parse_token_keys("k1:old-secret"), "bob@example.com", "sep", AT)
UNKNOWN_KID = mint(parse_token_keys("k9:gone"), "carol@example.com", "aug", AT)


def line(event_id: str, token: str, method: str = "POST", **extra: object) -> str:
    row = {
        "event_id": event_id,
        "occurred_at": "2026-10-09T09:30:00Z",
        "token": token,
        "method": method,
        "one_click": method == "POST",
        "ip": "192.0.2.1",
        "user_agent": "Mail/1.0",
    } | extra
    return json.dumps(row)


def read(tmp_path: Path, text: str | bytes) -> list:  # type: ignore[type-arg]
    path = tmp_path / "clicks.jsonl"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    landed = LandedFile("unsubscribe_link", path, date(2026, 10, 9), "0" * 64, path.stat().st_size)
    return list(REGISTRY["unsubscribe_link"].read(path, ChannelContext(Settings(token_keys=KEYS), AccountIndex(), landed)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (line("e1", GOOD), ("accepted", "optout", ["alice@example.com"])),
        (line("e2", OLD), ("accepted", "optout", ["bob@example.com"])),  # rotated-out key still listed
        (line("e3", GOOD, "GET"), ("ignored", "page_view", [])),
        (line("e4", GOOD, "get"), ("ignored", "page_view", [])),
        (line("e5", GOOD[:-2]), ("rejected", "bad_token", [])),  # truncated signature
        (line("e6", "x" + GOOD[1:]), ("rejected", "bad_token", [])),  # tampered payload
        (line("e7", UNKNOWN_KID), ("rejected", "bad_token", [])),
        (line("e8", ""), ("rejected", "missing_field", [])),
        (line("e8b", GOOD, "GET") + '\n{"event_id": "e9", "occurred_at": "2026-10-09T09:30:00Z"', ("rejected", "unparseable", [])),
        (line("e8c", GOOD, "GET") + "\n[1, 2, 3]", ("rejected", "unparseable", [])),
    ],
)
def test_each_request(tmp_path: Path, text: str, expected: tuple[str, str, list[str]]) -> None:
    record = read(tmp_path, text)[-1]
    assert (str(record.outcome), record.reason, [r.address for r in record.requests]) == expected
    assert all(str(r.scope) == "marketing" for r in record.requests)


def test_file_keeps_order_ids_and_times(tmp_path: Path) -> None:
    records = read(tmp_path, "\n".join([line("e1", GOOD), "", "not json", line("e2", GOOD, "GET", occurred_at="garbage")]) + "\n")
    assert [r.source_ref for r in records][0] == "e1" and records[2].source_ref == "e2"
    assert [r.locator for r in records] == ["line 1", "line 3", "line 4"]
    assert records[0].requested_at == datetime(2026, 10, 9, 9, 30, tzinfo=UTC)
    assert records[2].requested_at == datetime(2026, 10, 9, tzinfo=UTC)  # arrival stands in
    assert records[1].source_ref.startswith("sha256:")


@pytest.mark.parametrize("text", [b"event_id,token\ne1,abc\n", b"\x00\x01binary", b"not json at all\n"])
def test_a_file_that_is_not_json_lines_is_quarantined(tmp_path: Path, text: bytes) -> None:
    with pytest.raises(QuarantineError):
        read(tmp_path, text)
