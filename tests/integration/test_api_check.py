"""`POST /api/v1/check` is the enforcement `optout check` is: the freshness gate (409), a
`send_checks` row naming the API key, a receipt, the files kept, and answers that agree with
the check file row by row."""

from __future__ import annotations

import csv
import json
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.api import router
from pipeline.orchestration.nightly import run_nightly
from pipeline.store.schema import send_checks
from tests.conftest import land
from tests.integration.cli_runner import cli_runner

pytestmark = pytest.mark.integration
KEY = "crm-secret-key"
AUTH = {"X-API-Key": KEY}
LISTED = ["John.Doe@gmail.com", "=listed@example.com", "all@example.com"]


@pytest.fixture
def api_settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, api_keys=(("crm", KEY), ("shop", "shop-key")), output=tmp_path / "output")


def make_client(engine: sa.Engine, settings: Settings, clock: FixedClock) -> TestClient:
    app = FastAPI()
    app.state.settings, app.state.engine, app.state.clock = settings, engine, clock
    app.include_router(router)
    return TestClient(app)


@pytest.fixture
def client(engine: sa.Engine, api_settings: Settings, clock: FixedClock) -> TestClient:
    """List version 1, published at the clock's time: John and =listed by letter (marketing), all@
    by an account cancellation (scope all: service mail too)."""
    landing = api_settings.landing
    land(landing, "postal_mail", "2026-10-10", "letters.csv",
         f"letter_id,received_at,email,account_id\nL1,2026-10-10,{LISTED[0]},\nL2,2026-10-10,{LISTED[1]},\n")
    land(landing, "accounts", "2026-10-10", "accounts.csv",
         f"account_id,status,email,phone,role,updated_at\nA1,active,{LISTED[2]},,owner,\n")
    land(landing, "cancellation", "2026-10-10", "t.csv",
         "ticket_id,account_id,created_at,category,status\nT1,A1,2026-10-10T10:00:00Z,cancellation,open\n")
    run_nightly(engine, api_settings, date(2026, 10, 10), clock)
    return make_client(engine, api_settings, clock)


def checks(engine: sa.Engine) -> list[sa.RowMapping]:
    with engine.connect() as conn:
        return [r._mapping for r in conn.execute(sa.select(send_checks).order_by(send_checks.c.id))]


def api_folders(settings: Settings) -> list[Path]:
    root = settings.output / "checks" / "api"
    return sorted(root.iterdir()) if root.is_dir() else []


def post(client: TestClient, body: Any, headers: dict[str, str] = AUTH) -> Any:
    return client.post("/api/v1/check", json=body, headers=headers)


def test_a_stale_list_is_refused_and_nothing_is_recorded(client, engine, api_settings, clock):
    clock.at += timedelta(hours=37)
    answer = post(client, {"addresses": ["ann@example.com"]})
    assert answer.status_code == 409
    detail = answer.json()["detail"]
    assert "published 37.0 hours ago" in detail and "maximum age of 36 hours" in detail
    assert checks(engine) == [] and api_folders(api_settings) == []


def test_no_list_at_all_is_refused(engine, api_settings, clock):
    answer = post(make_client(engine, api_settings, clock), {"addresses": ["ann@example.com"]})
    assert answer.status_code == 409
    assert answer.json() == {"detail": "no suppression list has been published yet: run 'optout run' first"}
    assert checks(engine) == [] and api_folders(api_settings) == []


def test_max_age_hours_may_lower_the_limit_never_raise_it(client, engine, clock):
    clock.at += timedelta(hours=2)
    assert post(client, {"addresses": ["ann@example.com"], "max_age_hours": 1}).status_code == 409
    assert post(client, {"addresses": ["ann@example.com"], "max_age_hours": 3}).status_code == 200
    raised = post(client, {"addresses": ["ann@example.com"], "max_age_hours": 48})
    assert raised.status_code == 422
    error = raised.json()["detail"][0]
    assert error["loc"] == ["max_age_hours"] and "configured freshness limit of 36 hours" in error["msg"]
    for bad in (0, -1, "1", None, [1]):
        if bad is not None:
            assert post(client, {"addresses": ["a@example.com"], "max_age_hours": bad}).status_code == 422, bad
    assert len(checks(engine)) == 1


def test_a_fresh_check_is_recorded_signed_and_kept(client, engine, api_settings, monkeypatch, capsys):
    answer = post(client, {"addresses": ["johndoe@gmail.com", "ann@example.com", "junk"], "campaign": "oct-news"})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert (data["total"], data["suppressed"], data["invalid"], data["list_version"]) == (3, 1, 1, 1)
    assert data["list_published_at"].startswith("2026-10-11T02:00")
    [row] = checks(engine)
    assert data["check_id"] == row["id"] and row["checked_by"] == "api:crm" and row["campaign"] == "oct-news"
    assert (row["rows_in"], row["kept"], row["suppressed"], row["invalid"]) == (3, 1, 1, 1)
    [folder] = api_folders(api_settings)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {p.name for p in folder.iterdir()} == {"input.csv", "send.csv", "removed.csv", "send.csv.receipt.json"}
    for name in ("input_path", "output_path", "removed_path", "receipt_path"):
        assert Path(row[name]).is_absolute() and Path(row[name]).parent == folder, name
    assert data["receipt"] == row["receipt_path"]
    assert (folder / "input.csv").read_text() == '"email"\n"johndoe@gmail.com"\n"ann@example.com"\n"junk"\n'
    assert (folder / "send.csv").read_text() == '"email"\n"ann@example.com"\n'
    receipt = json.loads(Path(data["receipt"]).read_text())
    assert receipt["checked_by"] == "api:crm" and receipt["check_id"] == row["id"]
    optout = cli_runner(api_settings.database_url, monkeypatch, capsys)
    verified = optout("check", "--verify-receipt", data["receipt"])
    assert verified.returncode == 0 and verified.stdout.startswith("valid: receipt")
    receipt["kept"] = 3
    Path(data["receipt"]).write_text(json.dumps(receipt))
    assert optout("check", "--verify-receipt", data["receipt"]).returncode == 1


def test_the_key_name_is_who_checked(client, engine):
    assert post(client, {"addresses": ["a@example.com"]}, {"Authorization": "Bearer shop-key"}).status_code == 200
    assert [r["checked_by"] for r in checks(engine)] == ["api:shop"]


def test_the_api_check_appears_in_audit_campaign_from_anywhere(client, api_settings, tmp_path, monkeypatch, capsys):
    data = post(client, {"addresses": ["John.Doe@gmail.com", "ann@example.com"], "campaign": "winter"}).json()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    optout = cli_runner(api_settings.database_url, monkeypatch, capsys)
    for ident in (str(data["check_id"]), "winter"):
        done = optout("audit", "campaign", ident)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"check {data['check_id']} (campaign winter, marketing) by api:crm" in done.stdout
        assert "input " in done.stdout and done.stdout.count(": verified by SHA-256") == 2
        assert "suppressed at check time (must have been removed): 1\n    row 1: John.Doe@gmail.com" in done.stdout
    report = json.loads(optout("audit", "campaign", "winter", "--json").stdout)
    assert report["ok"] and report["checked_by"] == "api:crm" and report["input_verified"] and report["output_verified"]


HOSTILE = [
    "johndoe@gmail.com", "JOHN.DOE+promo@googlemail.com", "ann@example.com", "ann@example.com", "junk", "", "   ",
    "a,b@example.com", 'q"uote@example.com', '"quoted"@example.com', "new\nline@example.com", "line@example.com\n",
    "cr\r@example.com", "nul\x00@example.com", "\x00", "bell\x07@example.com", "\x1fann@example.com",
    '=HYPERLINK("http://evil.example","click")', "=listed@example.com", "'=listed@example.com", "+plus@example.com",
    "-minus@example.com", "@at@example.com", "\ttab@example.com", "Ann <all@example.com>", "J\x01 <all@example.com>",
    "\ufeffbom@example.com", "mailto:all@example.com?subject=x", "ünï@exämple.com", "x" * 300 + "@example.com",
    "all@example.com",
]


def expected(address: str) -> tuple[bool, bool]:
    """(valid, suppressed for marketing) of each hostile address, written out by hand."""
    suppressed = {"johndoe@gmail.com", "JOHN.DOE+promo@googlemail.com", "=listed@example.com", "Ann <all@example.com>",
                  "J\x01 <all@example.com>", "mailto:all@example.com?subject=x", "all@example.com"}
    valid = suppressed | {"ann@example.com", "\x1fann@example.com", "'=listed@example.com", "+plus@example.com",
                          "-minus@example.com", "\ttab@example.com", "ünï@exämple.com", "line@example.com\n"}
    return address in valid, address in suppressed


def test_hostile_addresses_come_back_in_order(client, engine):
    data = post(client, {"addresses": HOSTILE, "campaign": "hostile"}).json()
    results = data["results"]
    assert [r["address"] for r in results] == HOSTILE
    assert [(r["valid"], r["suppressed"]) for r in results] == [expected(a) for a in HOSTILE]
    by_address = {r["address"]: r for r in results}
    john = by_address["JOHN.DOE+promo@googlemail.com"]
    assert (john["match_key"], john["channel"], john["scope"]) == ("johndoe@gmail.com", "postal_mail", "marketing")
    assert john["since"].startswith("2026-10-11T02:00") and john["list_version"] == 1
    assert by_address["all@example.com"]["scope"] == "all" and by_address["all@example.com"]["channel"] == "cancellation"
    assert by_address["ann@example.com"]["channel"] is None and by_address["junk"]["match_key"] is None
    [row] = checks(engine)
    assert (row["rows_in"], row["suppressed"], row["invalid"]) == (len(HOSTILE), data["suppressed"], data["invalid"])


def test_the_service_kind_honours_only_scope_all(client):
    data = post(client, {"addresses": HOSTILE, "kind": "service"}).json()
    suppressed = [r["address"] for r in data["results"] if r["suppressed"]]
    assert suppressed == ["Ann <all@example.com>", "J\x01 <all@example.com>", "mailto:all@example.com?subject=x", "all@example.com"]


def test_the_answer_is_what_optout_check_removes(client, api_settings, tmp_path, monkeypatch, capsys):
    """The same addresses through `optout check`: the same rows kept and removed, byte for byte,
    and each removed row's reason, channel and since are the API's answer for that address."""
    data = post(client, {"addresses": HOSTILE}).json()
    [folder] = api_folders(api_settings)
    optout = cli_runner(api_settings.database_url, monkeypatch, capsys)
    out, removed = tmp_path / "cli.out.csv", tmp_path / "cli.removed.csv"
    done = optout("--now", "2026-10-11T03:00:00Z", "check", str(folder / "input.csv"), "--output", str(out),
                  "--removed", str(removed))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (folder / "send.csv").read_bytes()
    assert removed.read_bytes() == (folder / "removed.csv").read_bytes()
    with removed.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    gone = [r for r in data["results"] if not r["valid"] or r["suppressed"]]
    assert len(rows) == len(gone)
    for row, answer in zip(rows, gone, strict=True):
        assert row["reason"] == ("suppressed" if answer["suppressed"] else "invalid_address")
        assert (row["channel"] or None) == answer["channel"]
        if answer["since"]:
            assert row["since"].replace("+00:00", "Z") == answer["since"].replace("+00:00", "Z")


def test_ten_thousand_addresses(client, engine):
    addresses = [f"user{i}@example.com" if i % 3 else f"=bad,{i}\n" for i in range(9_997)] + LISTED
    data = post(client, {"addresses": addresses}).json()
    assert data["total"] == 10_000 and len(data["results"]) == 10_000
    assert data["invalid"] == len(range(0, 9_997, 3)) and data["suppressed"] == 3
    assert [r["address"] for r in data["results"][-3:]] == LISTED and all(r["suppressed"] for r in data["results"][-3:])
    assert checks(engine)[0]["rows_in"] == 10_000


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"addresses": []}, "addresses", "no addresses"),
    ({"addresses": ["a@example.com"], "campaign": "c" * 201}, "campaign", "at most 200"),
    ({"addresses": ["a@example.com"], "campaign": 42}, "campaign", "valid string"),
    ({"addresses": ["a@example.com"], "campaign": ["oct"]}, "campaign", "valid string"),
    ({"addresses": ["a@example.com"], "campaign": ""}, "campaign", "at least 1"),
    ({"addresses": ["a@example.com"], "campaign": "oct\x00news"}, "campaign", "control character"),
    ({"addresses": ["a@example.com"], "kind": "transactional"}, "kind", "marketing"),
    ({"addresses": [1, 2]}, "addresses", "valid string"),
    ({"addresses": "a@example.com"}, "addresses", "valid list"),
])
def test_bad_bodies_are_refused_naming_the_field(client, engine, api_settings, body, field, message):
    answer = post(client, body)
    assert answer.status_code == 422
    error = answer.json()["detail"][0]
    assert error["loc"][0] == field and message in error["msg"], error
    assert checks(engine) == [] and api_folders(api_settings) == []


def test_an_unpaired_surrogate_is_refused(client, engine):
    body = b'{"addresses": ["ann@example.com", "\\ud800@example.com"]}'
    answer = client.post("/api/v1/check", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == "Value error, address 1 holds an unpaired surrogate: not text"
    assert checks(engine) == []


def test_without_a_key_nothing_is_checked(client, engine, api_settings):
    assert post(client, {"addresses": ["a@example.com"]}, {"X-API-Key": "wrong"}).status_code == 401
    assert checks(engine) == [] and api_folders(api_settings) == []


def test_concurrent_checks_each_get_their_own_row_and_folder(client, engine, api_settings):
    bodies = [{"addresses": [f"user{i}@example.com", "johndoe@gmail.com"], "campaign": f"c{i}"} for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda b: post(client, b), bodies))
    assert [a.status_code for a in answers] == [200] * 6
    ids = [a.json()["check_id"] for a in answers]
    assert sorted(ids) == sorted(r["id"] for r in checks(engine)) and len(set(ids)) == 6
    assert len(api_folders(api_settings)) == 6
    for answer, body in zip(answers, bodies, strict=True):
        assert [r["address"] for r in answer.json()["results"]] == body["addresses"]
        assert [r["suppressed"] for r in answer.json()["results"]] == [False, True]


@pytest.mark.parametrize("kind", ["marketing", "service"])
def test_each_answer_means_what_the_lookup_says(client, kind):
    """Per address, the check's answer has the fields and meaning of `GET /api/v1/suppressions/…`."""
    addresses = ["JOHN.DOE+x@googlemail.com", "=listed@example.com", "all@example.com", "ann@example.com"]
    results = post(client, {"addresses": addresses, "kind": kind}).json()["results"]
    for address, result in zip(addresses, results, strict=True):
        looked_up = client.get(f"/api/v1/suppressions/{address}", params={"kind": kind}, headers=AUTH).json()
        assert result == looked_up, address
