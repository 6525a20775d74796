"""The landing zone as a boundary (SPEC §2, §3), case by case: what a run may not read is
never discovered and is listed as a warning naming the path and why; in-flight names and
future folders are skipped silently; the good file beside each case is still found."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.channels import REGISTRY
from pipeline.core.errors import QuarantineError
from pipeline.intake.landing import LandedPath, discover, folder_date, survey
from tests.hostile.landing.cases import CASES, SECRET, Case, build_landing

pytestmark = pytest.mark.unit
D = date(2026, 10, 10)
PATTERNS = {name: ch.patterns for name, ch in REGISTRY.items()}


def every_discovered(root: Path) -> list[Path]:
    return [f.path for name, patterns in PATTERNS.items() for f in discover(root, name, patterns, D)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case_is_warned_and_never_read(case: Case, tmp_path: Path) -> None:
    root = tmp_path / "landing"
    build_landing(root, tmp_path / "outside", [case])
    warnings = survey(root, PATTERNS, D)
    found = every_discovered(root)
    assert found == [root / "phone" / "2026-10-10" / "good.csv"]  # the good file, nothing else
    if case.warned is None:
        assert warnings == []
        return
    assert [w.path for w in warnings] == [str(root / case.warned)]
    assert case.reason in warnings[0].reason, warnings[0]
    assert SECRET not in str(warnings)


def test_all_cases_together_are_each_warned_once(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    build_landing(root, tmp_path / "outside", CASES)
    warned = [w.path for w in survey(root, PATTERNS, D)]
    assert sorted(warned) == sorted(str(root / c.warned) for c in CASES if c.warned)
    assert every_discovered(root) == [root / "phone" / "2026-10-10" / "good.csv"]


def test_a_file_that_cannot_be_opened_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, which chmod 000 does not stop: the refusal is simulated at os.open.
    root = tmp_path / "landing"
    build_landing(root, tmp_path / "outside", [])
    locked = root / "phone" / "2026-10-10" / "locked.csv"
    locked.write_text("call_id\n", encoding="utf-8")
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    assert [(w.path, w.reason) for w in survey(root, PATTERNS, D)] == [(str(locked), "cannot be opened: Permission denied")]
    assert every_discovered(root) == [root / "phone" / "2026-10-10" / "good.csv"]


def test_a_missing_landing_zone_is_a_warning(tmp_path: Path) -> None:
    [warning] = survey(tmp_path / "nowhere", PATTERNS, D)
    assert warning.path == str(tmp_path / "nowhere") and "does not exist" in warning.reason


def test_the_root_itself_may_be_a_link(tmp_path: Path) -> None:
    real = tmp_path / "volume"
    build_landing(real, tmp_path / "outside", [])
    (tmp_path / "landing").symlink_to(real, target_is_directory=True)
    root = tmp_path / "landing"
    assert survey(root, PATTERNS, D) == []
    assert every_discovered(root) == [root / "phone" / "2026-10-10" / "good.csv"]


@pytest.mark.parametrize("swap", ["symlink_to_secret", "other_file_renamed_over"])
def test_a_file_swapped_after_discovery_is_not_read(swap: str, tmp_path: Path) -> None:
    root = tmp_path / "landing"
    build_landing(root, tmp_path / "outside", [])
    [landed] = discover(root, "phone", PATTERNS["phone"], D)
    assert isinstance(landed.path, LandedPath)
    secret = tmp_path / "outside" / "secret.csv"
    secret.write_text(SECRET, encoding="utf-8")
    if swap == "symlink_to_secret":
        landed.path.unlink()
        landed.path.symlink_to(secret)
    else:
        other = landed.path.with_name("other.csv")
        other.write_text("call_id\nX\n", encoding="utf-8")
        os.replace(other, landed.path)
    with pytest.raises(QuarantineError, match="good.csv"):
        landed.path.read_bytes()
    with pytest.raises(QuarantineError):
        landed.path.open("rb", buffering=0)


def test_a_discovered_file_reads_as_usual(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    build_landing(root, tmp_path / "outside", [])
    [landed] = discover(root, "phone", PATTERNS["phone"], D)
    assert landed.path.read_text(encoding="utf-8").startswith("call_id,")
    with landed.path.open("rb", buffering=0) as fh:
        assert fh.read(7) == b"call_id"
    assert landed.size == landed.path.stat().st_size


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_real_day_is_a_date_folder(day: date) -> None:
    assert folder_date(day.isoformat()) == day


@given(st.text(alphabet=st.sampled_from("0123456789-W T:.+Z٢١٠ \n"), max_size=14))
def test_a_folder_is_a_date_only_when_named_exactly_as_one(name: str) -> None:
    day = folder_date(name)
    assert day is None or day.isoformat() == name


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.integers(min_value=0, max_value=3))
def test_iso_week_and_basic_forms_are_not_dates(day: date, form: int) -> None:
    year, week, weekday = day.isocalendar()
    names = [f"{year}-W{week:02d}-{weekday}", day.strftime("%Y%m%d"), f"{year}W{week:02d}{weekday}", f"{day.isoformat()}T00"]
    assert folder_date(names[form]) is None
