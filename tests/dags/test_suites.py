"""One source for the channel suites: each file in expectations/ is what the template writes
from the reason codes, the outcomes and the registry; a new reason reaches every suite and a
new channel gets one. The other suites' sets are the code's."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipeline.channels import REGISTRY
from pipeline.intake.records import REASONS, Outcome, Scope
from pipeline.orchestration import quality, suites

pytestmark = pytest.mark.dags


def value_set(suite: dict, column: str) -> list[str]:
    (found,) = [
        e["kwargs"]["value_set"] for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == column
    ]
    return found


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of expectations/ that both the writer and the gates read."""
    copy = tmp_path / "expectations"
    shutil.copytree(quality.SUITES, copy)
    monkeypatch.setattr(quality, "SUITES", copy)
    monkeypatch.setattr(suites, "SUITES", copy)
    return copy


@pytest.mark.parametrize("channel", sorted(REGISTRY))
def test_each_channel_suite_file_is_what_the_template_writes(channel: str) -> None:
    assert quality.suite_path(channel).read_text(encoding="utf-8") == suites.suite_text(channel)


def test_the_check_command_passes_on_the_repository() -> None:
    assert suites.stale() == []
    assert suites.main(["--check"]) == 0


def test_template_takes_every_reason_and_outcome() -> None:
    suite = suites.channel_suite("phone")
    assert value_set(suite, "reason") == sorted(set().union(*REASONS.values()))
    assert value_set(suite, "outcome") == [str(o) for o in Outcome]
    assert value_set(suite, "channel") == ["phone"]


def test_a_new_reason_reaches_every_suite(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REASONS, Outcome.IGNORED, REASONS[Outcome.IGNORED] | {"out_of_office"})
    assert sorted(suites.stale()) == sorted(REGISTRY)  # the files in the repository are now behind
    assert suites.main(["--check"]) == 1
    assert suites.main([]) == 0
    assert suites.stale() == []
    for channel in REGISTRY:
        loaded = quality.read_suite(channel)
        in_sets = [e for e in loaded.expectations if type(e).__name__ == "ExpectColumnValuesToBeInSet"]
        (reasons,) = [e.value_set for e in in_sets if e.column == "reason"]
        assert "out_of_office" in reasons, channel


def test_a_channel_added_to_the_registry_gets_a_suite(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "fax", REGISTRY["phone"])
    assert suites.stale() == ["fax"]
    with pytest.raises(quality.SuiteError, match="no expectation suite"):
        quality.records_gate("fax", date(2026, 10, 9), lambda result: None)
    assert suites.write() == ["fax"]
    spec = json.loads((folder / "fax.json").read_text(encoding="utf-8"))
    assert spec["name"] == "fax" and value_set(spec, "channel") == ["fax"]
    assert len(quality.read_suite("fax").expectations) == len(spec["expectations"]) == 11
    quality.records_gate("fax", date(2026, 10, 9), lambda result: None)  # the gate now builds


def test_writing_leaves_a_current_file_alone(folder: Path) -> None:
    before = (folder / "phone.json").stat().st_mtime_ns
    assert suites.write() == []
    assert (folder / "phone.json").stat().st_mtime_ns == before


def test_a_hand_edited_channel_suite_is_stale(folder: Path) -> None:
    path = folder / "phone.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"bounce",\n', ""), encoding="utf-8")
    assert suites.stale() == ["phone"]
    assert suites.write() == ["phone"]
    assert path.read_text(encoding="utf-8") == suites.suite_text("phone")


def test_list_suite_scopes_are_the_code_scopes() -> None:
    spec = json.loads(quality.suite_path(quality.LIST_SUITE).read_text(encoding="utf-8"))
    assert value_set(spec, "scope") == [str(s) for s in Scope]
