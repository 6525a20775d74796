"""The accounts reference snapshot: which snapshot a run reads, who holds which account by
address and phone, and what a run is told when snapshots are missing or broken."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from pipeline.core.addresses import Address, try_parse
from pipeline.intake.accounts import AccountIndex, load_accounts, snapshot_path

pytestmark = pytest.mark.unit

DAY = date(2026, 10, 9)
HEADER = "account_id,status,email,phone,role,updated_at\n"


def snapshot(root: Path, day: str, body: str, header: str = HEADER) -> Path:
    path = root / "accounts" / day / "accounts.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((header + body).encode())
    return path


def address(text: str) -> Address:
    parsed = try_parse(text)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize(
    ("days", "on_or_before", "expected"),
    [
        (["2026-10-01", "2026-10-08"], DAY, "2026-10-08"),
        (["2026-10-08", "2026-10-09"], DAY, "2026-10-09"),
        (["2026-10-08", "2026-10-10"], DAY, "2026-10-08"),  # a snapshot dated later waits for its day
        (["2026-10-10"], DAY, None),
        ([], DAY, None),
    ],
    ids=["newest", "same-day", "future-skipped", "only-future", "none"],
)
def test_snapshot_path(tmp_path: Path, days: list[str], on_or_before: date, expected: str | None) -> None:
    for day in days:
        snapshot(tmp_path, day, "A1,active,a@example.com,,owner,\n")
    found = snapshot_path(tmp_path, on_or_before)
    assert (found.parent.name if found else None) == expected


def test_load_accounts_indexes_addresses_and_phones(tmp_path: Path) -> None:
    path = snapshot(
        tmp_path,
        "2026-10-08",
        "A1,active,Jane.Roe@Example.com,+44 20 7946 0001,owner,\n"
        "A1,active,Jane.Roe@Example.com,,billing,\n"  # the same address twice: once
        "A1,active,jane.roe@example.com,,billing,\n"  # another spelling: kept, same key
        "A2,active,shared@example.com,020 7946 0001,owner,\n"  # the same phone in national form
        "A3,closed,not an address,,owner,\n"
        ",active,orphan@example.com,,owner,\n",  # no account id: left out
    )
    index = load_accounts(tmp_path, DAY, "GB")
    assert (index.snapshot, index.warnings, index.problem) == (str(path), [], "")
    assert index.contacts_of("A1") == [address("Jane.Roe@Example.com"), address("jane.roe@example.com")]
    assert index.accounts_of(address("JANE.ROE@example.com")) == {"A1"}
    assert index.accounts_by_phone("+442079460001") == {"A1", "A2"}
    assert index.accounts_by_phone("+442079460002") == set()
    assert (index.known("A3"), index.contacts_of("A3")) == (True, [])  # on file, with no usable address
    assert (index.known(""), index.known("A9")) == (False, False)
    assert index.accounts_of(address("orphan@example.com")) == set()


def test_the_phone_index_follows_later_additions() -> None:
    index = AccountIndex()
    index.add("A1", "a@example.com", "+44 20 7946 0001", "GB")
    assert index.accounts_by_phone("+442079460001") == {"A1"}
    index.add("A2", "", "+44 20 7946 0001", "GB")
    assert index.accounts_by_phone("+442079460001") == {"A1", "A2"}
    assert index.known("A2")


def test_lookups_hand_out_copies() -> None:
    index = AccountIndex()
    index.add("A1", "a@example.com", "", "GB")
    index.accounts_of(address("a@example.com")).add("A9")
    index.contacts_of("A1").clear()
    assert index.accounts_of(address("a@example.com")) == {"A1"}
    assert len(index.contacts_of("A1")) == 1


def test_no_snapshot_is_a_warning_not_a_problem(tmp_path: Path) -> None:
    index = load_accounts(tmp_path, DAY, "GB")
    assert index.problem == ""
    assert [str(w) for w in index.warnings] == [
        f"{tmp_path}/accounts: no accounts snapshot dated on or before 2026-10-09: records naming only an account wait in review"
    ]


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (lambda p: p.write_bytes(b"id;mail\nA1;a@example.com\n"), "missing column(s) account_id, email"),
        (lambda p: p.write_bytes(b""), "empty file, no header row"),
        (lambda p: os.link(p, p.parent.parent / "copy.csv"), "a file with 2 hard links: not read"),
    ],
    ids=["wrong-columns", "empty", "hard-link"],
)
def test_a_broken_newer_snapshot_is_passed_over(tmp_path: Path, broken: object, reason: str) -> None:
    older = snapshot(tmp_path, "2026-10-07", "A1,active,a@example.com,,owner,\n")
    newer = snapshot(tmp_path, "2026-10-08", "A2,active,b@example.com,,owner,\n")
    broken(newer)  # type: ignore[operator]
    index = load_accounts(tmp_path, DAY, "GB")
    assert (index.snapshot, index.problem) == (str(older), "")
    assert index.known("A1") and not index.known("A2")
    assert len(index.warnings) == 1
    assert index.warnings[0].path == str(newer)
    assert index.warnings[0].reason.startswith(f"unreadable accounts snapshot: {reason}")
    assert index.warnings[0].reason.endswith(f"; the older snapshot {older} is used")
    assert str(newer) not in index.warnings[0].reason  # the path is said once, as the warning's path


def test_no_readable_snapshot_is_a_problem(tmp_path: Path) -> None:
    path = snapshot(tmp_path, "2026-10-08", "", header="nothing,useful\n")
    index = load_accounts(tmp_path, DAY, "GB")
    assert index.contacts == {}
    assert index.problem.startswith(f"no readable accounts snapshot dated on or before 2026-10-09: {path}: unreadable")
    assert [w.path for w in index.warnings] == [str(path)]


def test_a_linked_snapshot_is_not_read(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.csv"
    real.write_text(HEADER + "A1,active,a@example.com,,owner,\n")
    (tmp_path / "accounts/2026-10-08").mkdir(parents=True)
    (tmp_path / "accounts/2026-10-08/accounts.csv").symlink_to(real)
    index = load_accounts(tmp_path, DAY, "GB")
    assert not index.known("A1")
    assert index.snapshot == ""
