"""The marketer's console pages through FastAPI's TestClient, signed in with the real sign-in
(a user made with pipeline.access.users, the login form posted): the dashboard, the check from
upload to downloads (the send file byte for byte what `optout check` writes), past checks, the
lookup, the access log, and hostile uploads, names, fields, roles and paths."""
from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from pipeline.access import users
from pipeline.access.log import entries, subject_hash
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http import bodies
from pipeline.http.app import create_app
from pipeline.http.console import marketer_jobs as jobs
from pipeline.ledger.manual import add
from pipeline.store.schema import send_checks
from tests.integration.test_check_hostile import run_cli

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = ROOT / "seeds" / "campaign.csv"
PASSWORD = "correct horse battery staple"
SUPPRESSED = "jlia.mller10@mail.example.net"


@pytest.fixture
def console(settings: Settings, engine: sa.Engine, clock: FixedClock, tmp_path: Path) -> Settings:
    """Settings with an output folder, a published list and three users."""
    settings = dataclasses.replace(settings, output=tmp_path / "output")
    settings.output.mkdir()
    add(engine, settings, clock, SUPPRESSED, "postal_mail", "L1")
    for name, role in (("mara", "marketer"), ("otto", "marketer"), ("aud", "auditor"), ("root", "admin")):
        users.add(engine, name, role, PASSWORD, clock.now())
    return settings


def client_for(settings: Settings, clock: FixedClock, name: str | None) -> TestClient:
    client = TestClient(create_app(settings, clock), follow_redirects=False)
    if name is not None:
        form = client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        signed = client.post("/console/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1),
                                                     "next": "/console/"})
        assert signed.status_code == 303, signed.text
    return client


def csrf(client: TestClient, path: str = "/console/check") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def upload(client: TestClient, content: bytes, name: str = "campaign.csv", **fields: str) -> object:
    data = {"csrf_token": csrf(client), "campaign": "oct", "kind": "marketing", **fields}
    return client.post("/console/check", data=data, files={"file": (name, content, "text/csv")})


def run_to_end(client: TestClient, job_url: str, column: str | None = None) -> dict[str, object]:
    data = {"csrf_token": csrf(client, job_url)}
    if column is not None:
        data["column"] = column
    started = client.post(f"{job_url}/run", data=data)
    assert started.status_code == 303
    for _ in range(600):
        status = client.get(f"{job_url}/status").json()
        if status["state"] != "running":
            return status  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the check did not end")


def test_dashboard_shows_the_list_its_freshness_and_the_last_run(console: Settings, clock: FixedClock) -> None:
    page = client_for(console, clock, "mara").get("/console/")
    assert page.status_code == 200
    assert "Newest list version" in page.text and "1 entries" in page.text and "Fresh" in page.text
    assert "No nightly run has been recorded yet." in page.text
    later = FixedClock(clock.now().replace(day=14))
    stale = client_for(console, later, "aud").get("/console/")
    assert "Stale: checks are refused." in stale.text and "Check a recipient list" not in stale.text


def test_the_console_check_equals_optout_check_byte_for_byte(console: Settings, clock: FixedClock, engine: sa.Engine,
                                                             tmp_path: Path) -> None:
    client = client_for(console, clock, "mara")
    answer = upload(client, CAMPAIGN.read_bytes())
    assert answer.status_code == 303
    job_url = answer.headers["location"]
    preview = client.get(job_url)
    assert preview.status_code == 200 and "Run the check" in preview.text
    assert re.search(r'<option value="email" selected>', preview.text) and preview.text.count("<tr>") == 11
    status = run_to_end(client, job_url)
    assert status["state"] == "done", status
    assert status["bytes_total"] == CAMPAIGN.stat().st_size and status["bytes_written"] > 0
    check_id = status["check_id"]
    done = client.get(job_url)
    assert "Input rows" in done.text and f"/console/checks/{check_id}/send" in done.text
    files = {which: client.get(f"/console/checks/{check_id}/{which}") for which in ("send", "removed", "receipt")}
    assert all(r.status_code == 200 for r in files.values())
    for which, name in (("send", "send.csv"), ("removed", "removed.csv"), ("receipt", "receipt.json")):
        assert files[which].headers["content-disposition"] == f'attachment; filename="check-{check_id}-{name}"'
    assert files["receipt"].headers["content-type"].startswith("application/json")
    out = tmp_path / "cli.csv"
    code, stdout, stderr = run_cli("--db", console.database_url, "--now", clock.now().isoformat(), "check", str(CAMPAIGN),
                                   "--output", str(out), "--removed", str(tmp_path / "cli.removed.csv"), "--json")
    assert code == 0, stderr
    assert files["send"].content == out.read_bytes()
    assert files["removed"].content == (tmp_path / "cli.removed.csv").read_bytes()
    receipt = json.loads(files["receipt"].content)
    assert receipt["checked_by"] == "console:mara" and receipt["check_id"] == check_id
    with engine.connect() as conn:
        row = conn.execute(sa.select(send_checks).where(send_checks.c.id == check_id)).mappings().one()
    assert row["checked_by"] == "console:mara" and row["campaign"] == "oct" and row["suppressed"] == json.loads(stdout)["suppressed"]
    logged = [(e["action"], e["detail"]) for e in entries(engine, user_name="mara")]
    for which in ("send", "removed", "receipt"):
        assert ("download", f"check {check_id} {which}") in logged
    listing = client.get("/console/checks")
    assert "console:mara" in listing.text and f"/console/checks/{check_id}/receipt" in listing.text
    cli_id = json.loads(stdout)["check_id"]  # its removed rows have no recorded hash: not offered
    assert f"/console/checks/{cli_id}/send" in listing.text and f"/console/checks/{cli_id}/removed" not in listing.text
    unproven = client.get(f"/console/checks/{cli_id}/removed")
    assert unproven.status_code == 404 and "no recorded hash" in unproven.text
    assert client.get(f"/console/checks/{cli_id}/send").content == out.read_bytes()


def test_a_changed_column_is_used_and_a_missing_one_refused(console: Settings, clock: FixedClock) -> None:
    client = client_for(console, clock, "mara")
    job_url = upload(client, b"name,work,home\nAnn,ann@example.com,x@example.com\n").headers["location"]
    preview = client.get(job_url)
    assert preview.status_code == 422 and "no address column" in preview.text and "Choose a column" in preview.text
    bad = client.post(f"{job_url}/run", data={"csrf_token": csrf(client, job_url), "column": "nope"})
    assert bad.status_code == 422 and "There is no column" in bad.text
    assert run_to_end(client, job_url, column="work")["state"] == "done"


def test_a_stale_list_is_refused_on_the_page_with_no_files(console: Settings, clock: FixedClock) -> None:
    later = FixedClock(clock.now().replace(day=14))
    client = client_for(console, later, "mara")
    assert "Stale: checks are refused." in client.get("/console/check").text
    job_url = upload(client, CAMPAIGN.read_bytes()).headers["location"]
    assert run_to_end(client, job_url)["state"] == "refused"
    page = client.get(job_url)
    assert page.status_code == 409 and "refusing to check against a stale list" in page.text and "/send" not in page.text


@pytest.mark.parametrize(("content", "name", "status", "message"), [
    (b"", "empty.csv", 400, "empty file (0 bytes)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 50, "junk.csv", 400, "binary file"),
    (b"PK\x03\x04" + b"\x00" * 200, "list.csv", 400, "damaged ZIP archive"),
    (b"email\n", "header.csv", 422, "no recipient rows"),
])
def test_bad_files_show_the_checks_own_message(console: Settings, clock: FixedClock, content: bytes, name: str, status: int,
                                               message: str) -> None:
    client = client_for(console, clock, "mara")
    answer = upload(client, content, name)
    if answer.status_code == 303:  # read at the preview, or only by the check itself
        job_url = answer.headers["location"]
        answer = client.get(job_url)
        if answer.status_code == 200:
            assert run_to_end(client, job_url)["state"] == "failed"
            answer = client.get(job_url)
    assert answer.status_code in (400, 422) and message in answer.text, answer.text[-800:]
    assert answer.status_code == status or message == "no recipient rows"


@pytest.mark.parametrize("name", ["../../etc/passwd", "a\x00b.csv", "line\nbreak.csv", "..\\..\\win.ini", "x" * 500 + ".csv"])
def test_a_hostile_file_name_is_only_shown_never_a_path(console: Settings, clock: FixedClock, name: str) -> None:
    client = client_for(console, clock, "mara")
    answer = upload(client, b"email\nann@example.com\n", name)
    assert answer.status_code == 303
    job = answer.headers["location"].rsplit("/", 1)[1]
    folder = console.output / "checks" / "console" / job
    assert sorted(p.name for p in folder.iterdir()) == ["input.csv", "job.json"]
    shown = json.loads((folder / "job.json").read_text(encoding="utf-8"))["shown_name"]
    assert "/" not in shown and "\\" not in shown and "\x00" not in shown and "\n" not in shown and len(shown) <= 120
    assert not (Path("/etc") / "passwd.csv").exists()


def test_hostile_form_fields(console: Settings, clock: FixedClock) -> None:
    client = client_for(console, clock, "mara")
    no_file = client.post("/console/check", data={"csrf_token": csrf(client), "kind": "marketing"})
    assert no_file.status_code == 400 and "Choose a file to check (field file)" in no_file.text
    wrong_kind = upload(client, b"email\nann@example.com\n", kind="spam")
    assert wrong_kind.status_code == 422 and "marketing or service" in wrong_kind.text
    long_campaign = upload(client, b"email\nann@example.com\n", campaign="c" * 201)
    assert long_campaign.status_code == 422 and "campaign id" in long_campaign.text
    no_csrf = client.post("/console/check", data={"kind": "marketing"}, files={"file": ("a.csv", b"email\na@example.com\n")})
    assert no_csrf.status_code == 403
    forged = client.post("/console/check", data={"csrf_token": "forged"}, files={"file": ("a.csv", b"email\na@example.com\n")})
    assert forged.status_code == 403
    saved = console.output / "checks" / "console"
    assert not saved.exists() or not list(saved.iterdir())  # nothing refused was kept


def test_an_upload_over_the_cap_is_refused(console: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tuple(dataclasses.replace(r, cap=1000) if r.prefix == bodies.CONSOLE_UPLOAD_PATH else r for r in bodies.RULES)
    monkeypatch.setattr(bodies, "RULES", rules)
    client = client_for(console, clock, "mara")
    answer = upload(client, b"email\n" + b"a@example.com\n" * 200)
    assert answer.status_code == 413


def test_roles_jobs_and_downloads_are_guarded(console: Settings, clock: FixedClock) -> None:
    mara = client_for(console, clock, "mara")
    job_url = upload(mara, b"email\nann@example.com\n").headers["location"]
    check_id = run_to_end(mara, job_url)["check_id"]
    otto = client_for(console, clock, "otto")
    assert otto.get(job_url).status_code == 404 and otto.get(f"{job_url}/status").status_code == 404
    assert client_for(console, clock, "root").get(job_url).status_code == 200
    auditor = client_for(console, clock, "aud")
    assert auditor.get("/console/check").status_code == 403 and auditor.get("/console/checks").status_code == 403
    assert auditor.get(f"/console/checks/{check_id}/send").status_code == 403
    assert auditor.get("/console/lookup").status_code == 200 and auditor.get("/console/").status_code == 200
    signed_out = client_for(console, clock, None)
    assert signed_out.get("/console/checks").status_code == 303
    for path in ("/console/checks/999/send", f"/console/checks/{check_id}/passwd", "/console/checks/-1/send"):
        assert mara.get(path).status_code == 404, path
    for path in (f"/console/checks/{check_id}/..%2f..%2fetc%2fpasswd", "/console/checks/1%2e%2e/send", "/console/checks/abc/send"):
        assert mara.get(path).status_code in (404, 422), path
    assert mara.get("/console/check/../../etc/passwd").status_code == 404
    assert mara.get("/console/check/" + "a" * 32).status_code == 404


def test_a_file_changed_after_the_check_is_not_offered(console: Settings, clock: FixedClock, engine: sa.Engine) -> None:
    client = client_for(console, clock, "mara")
    job_url = upload(client, CAMPAIGN.read_bytes()).headers["location"]
    check_id = run_to_end(client, job_url)["check_id"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(send_checks).where(send_checks.c.id == check_id)).mappings().one()
    Path(row["output_path"]).write_bytes(b"email\nsomeone@example.com\n")
    refused = client.get(f"/console/checks/{check_id}/send")
    assert refused.status_code == 409 and "was changed after the check" in refused.text
    Path(row["removed_path"]).write_bytes(b"x")
    assert client.get(f"/console/checks/{check_id}/removed").status_code == 409
    receipt = Path(row["receipt_path"])
    receipt.write_text(receipt.read_text(encoding="utf-8").replace('"kept": ', '"kept": 1'), encoding="utf-8")
    assert client.get(f"/console/checks/{check_id}/receipt").status_code == 409
    Path(row["output_path"]).unlink()
    listing = client.get("/console/checks")
    assert f"/console/checks/{check_id}/send" not in listing.text


def test_lookup_says_suppressed_since_and_scope_and_nothing_else(console: Settings, clock: FixedClock, engine: sa.Engine) -> None:
    client = client_for(console, clock, "mara")
    found = client.get("/console/lookup", params={"address": SUPPRESSED.upper()})
    assert found.status_code == 200 and "is suppressed" in found.text and "since 2026-10-11" in found.text
    assert "scope\n  marketing mail" in found.text and "L1" not in found.text and "postal_mail" not in found.text
    clear = client.get("/console/lookup", params={"address": "nobody@example.com"})
    assert "is not suppressed" in clear.text
    for bad in ("not an address", "", "a" * 400):
        answer = client.get("/console/lookup", params={"address": bad})
        assert answer.status_code == 422, bad
    views = [e for e in entries(engine, user_name="mara") if e["action"] == "view" and e["page"] == "lookup"]
    assert views and views[-1]["subject_hash"] == subject_hash(console.hash_key, SUPPRESSED)
    assert all(SUPPRESSED not in str(dict(e)) for e in entries(engine))


def test_a_workbook_uploads_previews_and_checks(console: Settings, clock: FixedClock) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Email Address", "name"])
    book.active.append([SUPPRESSED, "Julia"])
    book.active.append(["ann@example.com", "Ann"])
    path = console.output / "list.xlsx"
    book.save(path)
    client = client_for(console, clock, "mara")
    job_url = upload(client, path.read_bytes(), "list.xlsx").headers["location"]
    assert "ann@example.com" in client.get(job_url).text
    status = run_to_end(client, job_url)
    assert status["state"] == "done"
    send = client.get(f"/console/checks/{status['check_id']}/send")
    assert send.content == b"Email Address,name\nann@example.com,Ann\n"


def test_a_running_check_shows_progress_with_a_refresh_link_and_the_script(console: Settings, clock: FixedClock) -> None:
    client = client_for(console, clock, "mara")
    job_url = upload(client, b"email\nann@example.com\n").headers["location"]
    info = jobs.load(console, job_url.rsplit("/", 1)[1])
    assert info is not None
    info.state = "running"
    jobs.save(console, info)
    page = client.get(job_url)
    assert page.status_code == 200 and "Checking" in page.text and f'href="{job_url}">Refresh</a>' in page.text
    assert "/console/static/check.js" in page.text and "<script>" not in page.text
    status = client.get(f"{job_url}/status").json()
    assert status["state"] == "running" and status["bytes_total"] == info.size and status["bytes_written"] == 0
    again = client.post(f"{job_url}/run", data={"csrf_token": csrf(client, job_url)})
    assert again.status_code == 303 and jobs.load(console, info.job_id).state == "running"  # started once only
    assert client.get("/console/static/check.js").status_code == 200


def test_a_parquet_upload_gives_parquet_files(console: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "list.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "Email": [SUPPRESSED, "ann@example.com", "not an address"]}), src)
    client = client_for(console, clock, "mara")
    job_url = upload(client, src.read_bytes(), "list.parquet").headers["location"]
    preview = client.get(job_url)
    assert preview.status_code == 200 and "ann@example.com" in preview.text and '<option value="Email" selected>' in preview.text
    status = run_to_end(client, job_url)
    assert status["state"] == "done", status
    send = client.get(f"/console/checks/{status['check_id']}/send")
    assert send.status_code == 200 and send.headers["content-type"].startswith("application/vnd.apache.parquet")
    (tmp_path / "send.parquet").write_bytes(send.content)
    assert pq.read_table(tmp_path / "send.parquet").column("Email").to_pylist() == ["ann@example.com"]
    out = tmp_path / "cli.parquet"
    code, _, stderr = run_cli("--db", console.database_url, "--now", clock.now().isoformat(), "check", str(src), "--output", str(out))
    assert code == 0, stderr
    assert send.content == out.read_bytes()
