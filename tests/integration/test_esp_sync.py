"""The nightly `esp_sync` step (pipeline/audit/esp_sync.py), on SQLite and PostgreSQL: per provider
of OPTOUT_ESP_SYNC the whole list the first time, then only what each night added, remembered in
`<output>/esp_sync.json`; a night whose sync failed is carried by the next night's delta, and a
damaged state file stops the step before any file is written."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.audit import esp_sync
from pipeline.audit.esp_files import PROVIDERS
from pipeline.audit.esp_sync import STATE_FILE, SyncState, read_state, sync_providers, write_state
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from tests.integration.audit_helpers import land_letters, run_at

pytestmark = pytest.mark.integration

NIGHTS = {  # logical date -> the opt-outs its letters bring
    "2026-10-09": ["ann@example.com", "bob@example.org", "=1+2@example.com"],
    "2026-10-10": ["cat@example.net", "dan@example.com"],
    "2026-10-11": ["eve@example.com"],
    "2026-10-12": ["fay@example.com", "gus@example.org"],
}
BOTH = ("sendgrid", "mailchimp")


def night(engine: sa.Engine, settings: Settings, clock: FixedClock, logical: str) -> date:
    """The letters of `logical` landed and its nightly run (which publishes a version) done."""
    land_letters(settings.landing, logical, f"{logical}.csv",
                 [(f"{logical}-{i}", f"{logical}T09:00:00Z", a, "") for i, a in enumerate(NIGHTS[logical])])
    day = date.fromisoformat(logical)
    run_at(engine, settings, clock, logical, f"{day + timedelta(days=1)}T02:00:00")
    return day


def sync(engine: sa.Engine, settings: Settings, clock: FixedClock, out: Path, day: date,
         providers: tuple[str, ...] = BOTH) -> dict[str, Path]:
    written = sync_providers(engine, settings.with_overrides(esp_sync=providers), clock, out, day)
    assert [e.provider for e in written] == list(providers)
    return {e.provider: e.path for e in written}


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def addresses(path: Path) -> list[str]:
    """The file's addresses as the provider takes them, formula-safe prefix removed, in file order."""
    return [row[0].removeprefix("'") for row in rows(path)[1:]]


def state_json(out: Path) -> dict[str, object]:
    """The state file, each entry's digest checked to be a SHA-256 in hex and then left out."""
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    for entry in state.values():
        digest = entry.pop("digest")
        assert digest is None or (len(digest) == 64 and int(digest, 16) >= 0)
    return state


def listed(*logicals: str) -> list[str]:
    return sorted(a for d in logicals for a in NIGHTS[d])


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def test_nothing_configured_or_nothing_published_writes_nothing(engine, settings, clock, out: Path) -> None:
    assert sync_providers(engine, settings.with_overrides(esp_sync=BOTH), clock, out, date(2026, 10, 9)) == []
    day = night(engine, settings, clock, "2026-10-09")
    assert settings.esp_sync == ()
    assert sync_providers(engine, settings, clock, out, day) == []
    assert not out.exists()  # no file, no state file, not even the folder


def test_first_sync_hands_each_provider_the_whole_list_in_its_layout(engine, settings, clock, out: Path) -> None:
    day = night(engine, settings, clock, "2026-10-09")
    files = sync(engine, settings, clock, out, day)
    assert files == {p: out / "2026-10-09" / "esp" / f"{p}-suppressions-v1.csv" for p in BOTH}
    for provider, path in files.items():
        assert tuple(rows(path)[0]) == PROVIDERS[provider].header
        assert addresses(path) == listed("2026-10-09")
        assert (out / "2026-10-09" / "esp" / f"{provider}-suppressions-v1.manifest.json").is_file()
    assert rows(files["sendgrid"])[0] == ["email"] and rows(files["mailchimp"])[0] == ["Email Address", "Status"]
    assert {r[1] for r in rows(files["mailchimp"])[1:]} == {"unsubscribed"}
    assert "'=1+2@example.com" in {r[0] for r in rows(files["sendgrid"])}  # formula-safe in a spreadsheet
    assert state_json(out) == {p: {"version": 1, "since": None} for p in BOTH}
    digest = read_state(out / STATE_FILE)["sendgrid"].digest
    assert read_state(out / STATE_FILE) == {p: SyncState(1, None, digest) for p in BOTH}


def test_next_nights_hand_only_the_delta_and_a_rerun_the_same_file(engine, settings, clock, out: Path) -> None:
    sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-09"))
    day = night(engine, settings, clock, "2026-10-10")
    files = sync(engine, settings, clock, out, day)
    assert files == {p: out / "2026-10-10" / "esp" / f"{p}-suppressions-v2-since-v1.csv" for p in BOTH}
    for provider, path in files.items():
        assert tuple(rows(path)[0]) == PROVIDERS[provider].header
        assert addresses(path) == listed("2026-10-10")
    assert state_json(out) == {p: {"version": 2, "since": 1} for p in BOTH}
    before = {p: path.read_bytes() for p, path in files.items()}
    state_before = (out / STATE_FILE).read_bytes()

    assert sync(engine, settings, clock, out, day) == files  # the same night again, no new version
    assert {p: path.read_bytes() for p, path in files.items()} == before
    assert (out / STATE_FILE).read_bytes() == state_before
    assert sorted(p.name for p in (out / "2026-10-10" / "esp").glob("*.csv")) == sorted(f.name for f in files.values())

    files = sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-11"))
    assert {p: addresses(path) for p, path in files.items()} == {p: listed("2026-10-11") for p in BOTH}
    assert {p: path.name for p, path in files.items()} == {p: f"{p}-suppressions-v3-since-v2.csv" for p in BOTH}


def test_a_provider_added_later_gets_the_whole_list_the_others_the_delta(engine, settings, clock, out: Path) -> None:
    sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-09"), ("sendgrid",))
    day = night(engine, settings, clock, "2026-10-10")
    files = sync(engine, settings, clock, out, day, ("sendgrid", "mailchimp"))
    assert files["sendgrid"].name == "sendgrid-suppressions-v2-since-v1.csv"
    assert addresses(files["sendgrid"]) == listed("2026-10-10")
    assert files["mailchimp"].name == "mailchimp-suppressions-v2.csv"
    assert addresses(files["mailchimp"]) == listed("2026-10-09", "2026-10-10")
    assert tuple(rows(files["mailchimp"])[0]) == PROVIDERS["mailchimp"].header
    assert state_json(out) == {"mailchimp": {"version": 2, "since": None}, "sendgrid": {"version": 2, "since": 1}}


@pytest.mark.parametrize("when", ["before its file", "after its file"])
def test_a_failed_night_is_carried_by_the_next_nights_delta(
    engine, settings, clock, out: Path, monkeypatch: pytest.MonkeyPatch, when: str,
) -> None:
    """The most important property: what a provider was not handed on a failed night is in the
    next file it gets, whether the failure came before its file or while finishing it."""
    sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-09"))
    real = esp_sync.export_for_esp

    def failing(engine, settings, clock, folder, provider, **kw):
        if provider == "mailchimp":
            if when == "after its file":
                real(engine, settings, clock, folder, provider, **kw)
            raise OptoutError("disk full")
        return real(engine, settings, clock, folder, provider, **kw)

    monkeypatch.setattr(esp_sync, "export_for_esp", failing)
    failed_day = night(engine, settings, clock, "2026-10-10")
    with pytest.raises(OptoutError, match="disk full"):
        sync(engine, settings, clock, out, failed_day)
    assert state_json(out) == {"mailchimp": {"version": 1, "since": None}, "sendgrid": {"version": 2, "since": 1}}
    assert addresses(out / "2026-10-10" / "esp" / "sendgrid-suppressions-v2-since-v1.csv") == listed("2026-10-10")
    monkeypatch.setattr(esp_sync, "export_for_esp", real)

    files = sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-11"))
    assert files["mailchimp"].name == "mailchimp-suppressions-v3-since-v1.csv"
    assert addresses(files["mailchimp"]) == listed("2026-10-10", "2026-10-11")  # nothing lost
    assert files["sendgrid"].name == "sendgrid-suppressions-v3-since-v2.csv"
    assert addresses(files["sendgrid"]) == listed("2026-10-11")
    assert state_json(out) == {"mailchimp": {"version": 3, "since": 1}, "sendgrid": {"version": 3, "since": 2}}

    files = sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-12"))
    assert {p: addresses(path) for p, path in files.items()} == {p: listed("2026-10-12") for p in BOTH}
    handed = {p: {a for d in ("2026-10-09", "2026-10-10", "2026-10-11", "2026-10-12")
                  for f in (out / d / "esp").glob(f"{p}-*.csv") for a in addresses(f)} for p in BOTH}
    assert handed == {p: set(listed(*NIGHTS)) for p in BOTH}


def test_a_quiet_night_moves_nothing_on_and_a_new_spelling_goes_out(engine, settings, clock, out: Path) -> None:
    """A night without a new version leaves the state where it was (its file is the last delta
    again, which a provider takes twice without harm); a new spelling of a listed address is in
    the next delta with the spelling the provider already has, as a provider matches addresses."""
    sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-09"))
    sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-10"))
    state = (out / STATE_FILE).read_bytes()
    run_at(engine, settings, clock, "2026-10-11", "2026-10-12T02:00:00")  # nothing landed
    quiet = sync(engine, settings, clock, out, date(2026, 10, 11))
    assert (out / STATE_FILE).read_bytes() == state
    assert {p: addresses(path) for p, path in quiet.items()} == {p: listed("2026-10-10") for p in BOTH}
    land_letters(settings.landing, "2026-10-12", "n.csv", [("N1", "2026-10-12T09:00:00Z", "Ann+news@example.com", "")])
    run_at(engine, settings, clock, "2026-10-12", "2026-10-13T02:00:00")
    files = sync(engine, settings, clock, out, date(2026, 10, 12))
    assert {p: path.name for p, path in files.items()} == {p: f"{p}-suppressions-v3-since-v2.csv" for p in BOTH}
    assert {p: addresses(path) for p, path in files.items()} == {p: ["Ann+news@example.com", "ann@example.com"] for p in BOTH}


DAMAGED = {
    "not JSON": b"{not json",
    "empty": b"",
    "a list": b"[]",
    "null": b"null",
    "a number per provider": b'{"sendgrid": 3}',
    "no since": b'{"sendgrid": {"version": 1}}',
    "no version": b'{"sendgrid": {"since": null}}',
    "a version in words": b'{"sendgrid": {"version": "one", "since": null}}',
    "a version true": b'{"sendgrid": {"version": true, "since": null}}',
    "a version with a fraction": b'{"sendgrid": {"version": 1.5, "since": null}}',
    "a negative version": b'{"sendgrid": {"version": -1, "since": null}}',
    "since after version": b'{"sendgrid": {"version": 1, "since": 4}}',
    "not UTF-8": b'{"sendgrid": {"version": 1, "since": null}, "\xff": 1}',
}


@pytest.mark.parametrize("content", list(DAMAGED.values()), ids=list(DAMAGED))
def test_a_damaged_state_file_is_an_error_naming_it_and_nothing_is_written(
    engine, settings, clock, out: Path, content: bytes,
) -> None:
    day = night(engine, settings, clock, "2026-10-09")
    out.mkdir()
    (out / STATE_FILE).write_bytes(content)
    with pytest.raises(OptoutError) as caught:
        sync(engine, settings, clock, out, day)
    assert str(out / STATE_FILE) in str(caught.value)
    assert sorted(p.name for p in out.iterdir()) == [STATE_FILE]  # no day folder, no provider file
    assert (out / STATE_FILE).read_bytes() == content


def test_a_state_ahead_of_the_store_is_an_error_naming_it_and_nothing_is_written(
    engine, settings, clock, out: Path,
) -> None:
    """A state file from another store (or before a restore) names versions this store never
    published: no delta can start there, so the step stops rather than guess."""
    day = night(engine, settings, clock, "2026-10-09")
    write_state(out / STATE_FILE, {"sendgrid": SyncState(1, None), "mailchimp": SyncState(7, 5)})
    with pytest.raises(OptoutError) as caught:
        sync(engine, settings, clock, out, day)
    assert str(out / STATE_FILE) in str(caught.value) and "mailchimp" in str(caught.value)
    assert sorted(p.name for p in out.iterdir()) == [STATE_FILE]


def test_a_restored_store_with_other_contents_under_the_same_version_is_refused(
    engine, settings, clock, out: Path,
) -> None:
    """After a restore, version 1 may hold other addresses than the version 1 that was handed
    over: a delta after it would miss them, so the step stops, naming the provider."""
    day = night(engine, settings, clock, "2026-10-09")
    sync(engine, settings, clock, out, day)
    handed = read_state(out / STATE_FILE)
    assert handed["sendgrid"].digest is not None
    write_state(out / STATE_FILE, {**handed, "mailchimp": SyncState(1, None, "0" * 64)})
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(OptoutError) as caught:
        sync(engine, settings, clock, out, night(engine, settings, clock, "2026-10-10"))
    assert "mailchimp" in str(caught.value) and "sendgrid" not in str(caught.value) and "digest" in str(caught.value)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # nothing written


def test_a_state_without_digests_still_reads(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_text(json.dumps({"sendgrid": {"version": 3, "since": 1}}), encoding="utf-8")
    assert read_state(path) == {"sendgrid": SyncState(3, 1, None)}


def test_state_round_trips_and_a_missing_file_is_no_state(tmp_path: Path) -> None:
    path = tmp_path / "deep" / STATE_FILE
    assert read_state(path) == {}
    state = {"ses": SyncState(4, 2), "mailgun": SyncState(0, None), "postmark": SyncState(3, None)}
    write_state(path, state)
    assert read_state(path) == state
    assert list(json.loads(path.read_text(encoding="utf-8"))) == ["mailgun", "postmark", "ses"]
    assert [p.name for p in path.parent.iterdir()] == [STATE_FILE]  # no temporary file left behind


def test_the_orchestration_task_returns_the_summary(
    db_url: str, engine, settings, clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.sdk.exceptions import AirflowSkipException  # here, not at import: only this test needs Airflow

    from pipeline.orchestration import nightly
    from pipeline.orchestration import tasks as orchestration

    land_letters(settings.landing, "2026-10-09", "a.csv", [("L1", "2026-10-09T09:00:00Z", "ann@example.com", "")])
    run_id = nightly.run_nightly(engine, settings, date(2026, 10, 9), clock).run_id
    monkeypatch.delenv("OPTOUT_STORE_CONN_ID", raising=False)
    monkeypatch.setenv("OPTOUT_DATABASE_URL", db_url)
    monkeypatch.setenv("OPTOUT_LANDING", str(settings.landing))
    monkeypatch.setenv("OPTOUT_OUTPUT", str(tmp_path / "out"))
    monkeypatch.delenv("OPTOUT_ESP_SYNC", raising=False)
    with pytest.raises(AirflowSkipException):
        orchestration.esp_sync(run_id, "")
    monkeypatch.setenv("OPTOUT_ESP_SYNC", "SendGrid, ses")
    folder = tmp_path / "out" / "2026-10-09" / "esp"
    assert orchestration.esp_sync(run_id, "") == {
        "sendgrid": {"path": str(folder / "sendgrid-suppressions-v1.csv"), "rows": 1, "list_version": 1, "since_version": None},
        "ses": {"path": str(folder / "ses-suppressions-v1.csv"), "rows": 1, "list_version": 1, "since_version": None},
    }
    assert rows(folder / "ses-suppressions-v1.csv") == [list(PROVIDERS["ses"].header), ["ann@example.com", "COMPLAINT"]]
    elsewhere = orchestration.esp_sync(run_id, str(tmp_path / "other"))
    assert elsewhere["ses"]["path"] == str(tmp_path / "other" / "2026-10-09" / "esp" / "ses-suppressions-v1.csv")
    assert state_json(tmp_path / "out") == {p: {"version": 1, "since": None} for p in ("sendgrid", "ses")}
