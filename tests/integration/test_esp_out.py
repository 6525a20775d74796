"""`optout export --format PROVIDER` and `optout reconcile FILE --esp NAME [--adopt]` through the
CLI: each provider's header, the since-version delta, erased entries left out, the three sets of
a reconciliation and its exit code, and adopted suppressions taking effect in the next run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pipeline.audit.erase import erase
from pipeline.audit.esp_files import PROVIDERS
from pipeline.cli.esp import Esp
from tests.integration.audit_helpers import land_letters, run_at
from tests.integration.cli_runner import Done, cli_runner

pytestmark = pytest.mark.integration

FIRST = ["ann@example.com", "=1+2@example.com", "bob@example.org", "cat@example.net", "dan@example.com", "gone@example.com"]
SECOND = ["eve@example.com", "fay@example.com"]
NOW = "2026-10-12T09:00:00Z"


@pytest.fixture
def cli(db_url, engine, settings, landing, clock, monkeypatch, capsys):
    land_letters(landing, "2026-10-09", "a.csv", [(f"L{i}", "2026-10-09T09:00:00Z", a, "") for i, a in enumerate(FIRST)])
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")
    erase(engine, settings, clock, "gone@example.com", "GDPR-5")  # list version 2; the second run publishes 3
    land_letters(landing, "2026-10-10", "b.csv", [(f"M{i}", "2026-10-10T09:00:00Z", a, "") for i, a in enumerate(SECOND)])
    run_at(engine, settings, clock, "2026-10-10", "2026-10-11T02:00:00")
    monkeypatch.setenv("OPTOUT_LANDING", str(landing))
    run = cli_runner(db_url, monkeypatch, capsys)
    return lambda *args: run("--now", NOW, *args)


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _addresses(path: Path) -> set[str]:
    return {row[0].lstrip("'") for row in _rows(path)[1:]}


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_export_format_has_the_provider_header_and_omits_erased(cli, tmp_path: Path, name: str) -> None:
    done = cli("export", "--output", str(tmp_path / "out"), "--format", name, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    path = Path(result["path"])
    assert path.name == f"{name}-suppressions-v{result['list_version']}.csv"
    rows = _rows(path)
    assert tuple(rows[0]) == PROVIDERS[name].header
    assert _addresses(path) == {a for a in FIRST + SECOND if a != "gone@example.com"}
    assert "'=1+2@example.com" in {r[0] for r in rows}  # formula-safe in a spreadsheet
    assert result["omitted_erased"] == 1 and result["entries"] == 8
    manifest = json.loads(Path(result["manifest"]).read_text())
    assert manifest["sha256"] == result["sha256"] and manifest["path"] == path.name


def test_export_since_version_is_the_delta(cli, tmp_path: Path) -> None:
    done = cli("export", "--output", str(tmp_path), "--format", "mailgun", "--since-version", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["path"]).name == "mailgun-suppressions-v3-since-v1.csv"
    assert _addresses(Path(result["path"])) == set(SECOND) and result["omitted_erased"] == 0
    assert cli("export", "--output", str(tmp_path), "--format", "mailgun", "--since-version", "3", "--json").returncode == 0
    assert cli("export", "--output", str(tmp_path), "--format", "mailgun", "--since-version", "4").returncode == 2


@pytest.mark.parametrize("args", [("--format", "sendgrid", "--hashed"), ("--since-version", "1")])
def test_export_bad_combinations_exit_2(cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    done = cli("export", "--output", str(tmp_path / "out"), *args)
    assert done.returncode == 2 and len(done.errors) == 1, done.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_provider_is_refused_before_the_command_runs(cli, tmp_path: Path) -> None:
    assert {e.value for e in Esp} == set(PROVIDERS)
    for args in (("export", "--output", str(tmp_path), "--format", "aol"), ("reconcile", str(tmp_path), "--esp", "aol")):
        done = cli(*args)
        assert done.returncode == 2 and "'aol' is not one of" in done.stderr


def _postmark_export(path: Path, present: list[str], extra: list[tuple[str, str]]) -> Path:
    entries = [
        {"EmailAddress": a, "SuppressionReason": "ManualSuppression", "Origin": "Customer", "CreatedAt": "2026-10-01T10:00:00-04:00"}
        for a in present
    ]
    entries += [{"EmailAddress": a, "SuppressionReason": r, "Origin": "Recipient", "CreatedAt": "2026-10-02T10:00:00Z"} for a, r in extra]
    path.write_text(json.dumps({"Suppressions": entries}), encoding="utf-8")
    return path


def test_reconcile_missing_three_exits_1_and_writes_those_three(cli, tmp_path: Path) -> None:
    ours = [a for a in FIRST + SECOND if a != "gone@example.com"]
    missing = {"ann@example.com", "eve@example.com", "=1+2@example.com"}
    export = _postmark_export(tmp_path / "pm.json", [a for a in ours if a not in missing], [])
    done = cli("reconcile", str(export), "--esp", "postmark", "--output", str(tmp_path / "out"), "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["counts"]["ours_only"] == 4  # the three, and the erased entry no address can match
    assert result["counts"]["ours_only_erased"] == 1 and result["counts"]["both"] == 4
    written = Path(result["ours_only_file"])
    assert written.parent == tmp_path / "out" and _addresses(written) == missing
    assert tuple(_rows(written)[0]) == PROVIDERS["postmark"].header


def test_reconcile_adopt_then_run_suppresses_the_providers_opt_outs(cli, tmp_path: Path, landing: Path) -> None:
    ours = [a for a in FIRST + SECOND if a != "gone@example.com"]
    extra = [
        ("new1@example.com", "ManualSuppression"),
        ("new2@example.com", "SpamComplaint"),
        ("dead@example.com", "HardBounce"),
        ("not an address", "ManualSuppression"),
    ]
    export = _postmark_export(tmp_path / "pm.json", ours, extra)
    done = cli("reconcile", str(export), "--esp", "postmark", "--adopt", "--json")
    result = json.loads(done.stdout)
    assert result["counts"]["ours_only"] == 1  # the erased entry only: exit 1, the provider may mail it
    assert done.returncode == 1
    assert [r["address"] for r in result["esp_only"]] == ["new1@example.com", "new2@example.com"]
    assert [r["address"] for r in result["esp_only_bounces"]] == ["dead@example.com"]
    assert [i["line"] for i in result["invalid"]] == [len(ours) + 4]
    adopted = Path(result["adopted_file"])
    assert adopted.parent == landing / "esp_events" / "2026-10-12" and adopted.name.startswith("postmark-adopted-")
    lines = [json.loads(line)["optout_adopted"] for line in adopted.read_text().splitlines()]
    assert {ln["line"] for ln in lines} == {len(ours) + 1, len(ours) + 2}
    assert all(ln["source_sha256"] == result["sha256"] and ln["source_file"] == "pm.json" for ln in lines)
    assert Path(result["evidence_file"]).read_bytes() == export.read_bytes()
    assert cli("run", "--date", "2026-10-12").returncode == 0
    for address in ("new1@example.com", "new2@example.com"):
        looked: Done = cli("lookup", address, "--json")
        assert looked.returncode == 0, looked.stdout
        assert result["sha256"] in looked.stdout
    assert cli("lookup", "dead@example.com").returncode == 1


def test_reconcile_clean_exits_0_and_human_output(cli, tmp_path: Path) -> None:
    csv_export = tmp_path / "unsubscribes.csv"
    csv_export.write_bytes(b"\xef\xbb\xbfEmail,Created\r\n" + b"".join(f"{a},2026-10-01 10:00:00\r\n".encode() for a in FIRST + SECOND))
    done = cli("reconcile", str(csv_export), "--esp", "sendgrid")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "on our list only: 0" in done.stdout and "on both: 8" in done.stdout


def test_since_version_has_a_new_spelling_of_a_listed_key(cli, engine, settings, landing, clock, tmp_path: Path) -> None:
    land_letters(landing, "2026-10-11", "c.csv", [("N1", "2026-10-11T09:00:00Z", "Ann+news@example.com", "")])
    run_at(engine, settings, clock, "2026-10-11", "2026-10-12T02:00:00")
    done = cli("export", "--output", str(tmp_path / "out"), "--format", "sendgrid", "--since-version", "3", "--json")
    assert done.returncode == 0, done.stderr
    # the key entered in version 1; the provider matches exact addresses, so the new spelling goes out
    assert _addresses(Path(json.loads(done.stdout)["path"])) == {"ann@example.com", "Ann+news@example.com"}


def test_human_output_names_the_files_and_warns_of_erased(cli, tmp_path: Path) -> None:
    done = cli("export", "--output", str(tmp_path / "out"), "--format", "ses")
    assert done.returncode == 0
    assert done.stdout.strip() == (
        f"list version 3: 7 row(s) for ses to {tmp_path / 'out' / 'ses-suppressions-v3.csv'} "
        f"(manifest {tmp_path / 'out' / 'ses-suppressions-v3.manifest.json'})"
    )
    assert "1 erased entr(y/ies) have no clear address" in done.stderr
    missing = cli("reconcile", str(tmp_path / "nope.csv"), "--esp", "ses")
    assert missing.returncode == 2 and missing.errors == [f"optout: {tmp_path / 'nope.csv'}: no such file"]


def test_reconcile_a_spelling_the_provider_lacks_is_ours_only(cli, engine, settings, landing, clock, tmp_path: Path) -> None:
    """The provider matches addresses, not our match keys: holding ann@ does not stop it mailing
    Ann+news@, so that spelling is ours-only (a different case alone is the same address)."""
    land_letters(landing, "2026-10-11", "c.csv", [("N1", "2026-10-11T09:00:00Z", "Ann+news@example.com", "")])
    run_at(engine, settings, clock, "2026-10-11", "2026-10-12T02:00:00")
    export = _postmark_export(tmp_path / "pm.json", [a.upper() for a in FIRST + SECOND], [])
    done = cli("reconcile", str(export), "--esp", "postmark", "--output", str(tmp_path / "out"), "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["ours_only"] == ["Ann+news@example.com"] and result["counts"]["ours_only"] == 1
