"""The accounts snapshot a run uses (SPEC §2): the newest readable one dated on or before D.
A newer snapshot that cannot be read is passed over with a warning naming it; none at all is
a warning; snapshots that all fail to read are the run's problem."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from pipeline.intake.accounts import load_accounts
from tests.hostile.landing.cases import SECRET

pytestmark = pytest.mark.unit
D = date(2026, 10, 10)
GOOD = "account_id,status,email,phone,role,updated_at\nAC1,active,ann@example.com,,owner,2026-10-01T00:00:00Z\n"


def snapshot(root: Path, day: str, content: bytes | str | None = None) -> Path:
    folder = root / "accounts" / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "accounts.csv"
    if content is not None:
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _linked_out(path: Path) -> None:
    secret = path.parents[3] / "secret_accounts.csv"
    secret.write_text(GOOD.replace("ann@", f"{SECRET}@"), encoding="utf-8")
    path.symlink_to(secret)


BROKEN: dict[str, Callable[[Path], None]] = {
    "bad_columns": lambda p: p.write_text("id;mail\nAC1;ann@example.com\n", encoding="utf-8"),
    "binary": lambda p: p.write_bytes(b"\x00\x01PK\x03\x04" * 20),
    "truncated": lambda p: p.write_text(GOOD + 'AC2,active,"bob@example.com,', encoding="utf-8"),
    "empty": lambda p: p.write_bytes(b""),
    "symlink_out_of_root": _linked_out,
    "folder_named_accounts_csv": lambda p: p.mkdir(),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_newest_broken_uses_the_older_one_with_a_warning(kind: str, tmp_path: Path) -> None:
    root = tmp_path / "landing"
    older = snapshot(root, "2026-10-01", GOOD)
    newest = snapshot(root, "2026-10-09")
    BROKEN[kind](newest)
    index = load_accounts(root, D, "US")
    assert index.snapshot == str(older) and index.known("AC1") and not index.problem
    if kind in ("symlink_out_of_root", "folder_named_accounts_csv"):
        assert index.warnings == []  # never a candidate: the landing survey lists it
    else:
        [warning] = index.warnings
        assert warning.path == str(newest)
        assert "unreadable accounts snapshot" in warning.reason and str(older) in warning.reason
    assert SECRET not in str(index.contacts)


def test_newest_with_bytes_no_encoding_defines_is_still_read(tmp_path: Path) -> None:
    """A line neither UTF-8 nor Windows-1252 costs only its odd bytes (read as U+FFFD): the
    snapshot's readable rows are still the newest facts about the accounts."""
    root = tmp_path / "landing"
    snapshot(root, "2026-10-01", GOOD)
    newest = snapshot(root, "2026-10-09", GOOD.encode() + b"AC2,active,b\x81\x8d@example.com,,owner,2026-10-01T00:00:00Z\n")
    index = load_accounts(root, D, "US")
    assert index.snapshot == str(newest) and index.known("AC1") and index.known("AC2") and not index.problem


def test_both_broken_is_a_problem_and_an_empty_index(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    first, second = snapshot(root, "2026-10-01"), snapshot(root, "2026-10-09")
    BROKEN["binary"](first)
    BROKEN["truncated"](second)
    index = load_accounts(root, D, "US")
    assert not index.snapshot and not index.contacts
    assert [w.path for w in index.warnings] == [str(second), str(first)]
    assert "no readable accounts snapshot" in index.problem and str(second) in index.problem


def test_no_snapshot_is_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    root.mkdir()
    index = load_accounts(root, D, "US")
    assert not index.problem and not index.contacts
    [warning] = index.warnings
    assert warning.path == str(root / "accounts") and "no accounts snapshot" in warning.reason


def test_a_future_snapshot_is_not_used_and_not_warned(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    used = snapshot(root, "2026-10-10", GOOD)
    BROKEN["binary"](snapshot(root, "2026-10-11"))
    index = load_accounts(root, D, "US")
    assert index.snapshot == str(used) and index.warnings == []


def test_an_iso_week_folder_is_not_a_snapshot_day(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    used = snapshot(root, "2026-10-01", GOOD)
    snapshot(root, "2026-W41-1", GOOD.replace("AC1", "AC2"))
    index = load_accounts(root, D, "US")
    assert index.snapshot == str(used) and not index.known("AC2")
