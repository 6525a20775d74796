"""The auditor's console pages through the app, on the demo seeds (three nights and the sample
campaign's check): what each page shows, who may open it (marketers get 403, auditors read,
only admins resolve review items), CSRF, hostile form values answered with a message naming
the field, and an access-log row for every view."""

from __future__ import annotations

import csv
import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from pipeline.access import log, users
from pipeline.audit import review
from pipeline.audit.report import compliance_report
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.app import create_app
from pipeline.orchestration.demo import run_demo
from pipeline.store.db import make_engine, read_tx
from pipeline.store.schema import access_log

pytestmark = pytest.mark.integration
NOW = datetime(2026, 10, 11, 4, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
GET_ROUTES = [
    "/console/audit/lookup", "/console/audit/lookup?address=nobody@example.com", "/console/audit/history",
    "/console/audit/history.csv", "/console/audit/campaigns", "/console/audit/campaigns/1",
    "/console/audit/report?date=2026-10-11", "/console/audit/review", "/console/audit/review/1",
    "/console/audit/verify", "/console/audit/access-log",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("console") / "demo"
    run_demo(directory, Settings(), lambda line: None)
    settings = Settings().with_overrides(database_url=f"sqlite:///{directory / 'optout.db'}", landing=directory / "landing")
    engine = make_engine(settings.database_url)
    for name, role in (("mara", "marketer"), ("aude", "auditor"), ("adam", "admin")):
        users.add(engine, name, role, PASSWORD, NOW)
    yield directory, settings, engine
    engine.dispose()


@pytest.fixture(scope="module")
def app(demo):
    _, settings, _ = demo
    return create_app(settings, FixedClock(NOW), only="console")


def sign_in(app, name: str) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    form = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/console/login", data={"username": name, "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def log_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(access_log)).scalar_one())


def removed_person(directory: Path) -> str:
    with (directory / "campaign-removed.csv").open(encoding="utf-8", newline="") as fh:
        return next(row["email"] for row in csv.DictReader(fh) if row["reason"] == "suppressed")


@pytest.fixture(scope="module")
def auditor(app):
    return sign_in(app, "aude")


@pytest.fixture(scope="module")
def marketer(app):
    return sign_in(app, "mara")


@pytest.fixture(scope="module")
def admin(app):
    return sign_in(app, "adam")


@pytest.mark.parametrize("path", GET_ROUTES)
def test_marketers_are_refused_every_auditor_page(marketer, path):
    answer = marketer.get(path, follow_redirects=False)
    assert answer.status_code == 403 and "not open to your role" in answer.text


@pytest.mark.parametrize("path", GET_ROUTES)
def test_auditors_and_admins_open_every_page_and_each_view_is_logged(demo, auditor, admin, path):
    _, _, engine = demo
    for client in (auditor, admin):
        before = log_rows(engine)
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        assert log_rows(engine) == before + 1
    newest = log.entries(engine, limit=1)[0]
    assert newest["user_name"] == "adam" and newest["action"] == ("download" if path.endswith(".csv") else "view")


def test_signed_out_goes_to_the_sign_in_form(app):
    answer = TestClient(app).get("/console/audit/report", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login?next=/console/audit/report")


def test_lookup_of_a_removed_person_shows_the_evidence_and_logs_the_hash(demo, auditor):
    directory, settings, engine = demo
    person = removed_person(directory)
    page = auditor.get("/console/audit/lookup", params={"address": person})
    assert page.status_code == 200
    assert "suppressed" in page.text and "Raw record" in page.text
    assert re.search(r"<code>[^<]*\.csv</code> at (line|row|message)", page.text)
    entry = log.entries(engine, limit=1)[0]
    assert entry["page"] == "audit lookup" and entry["subject_hash"] == log.subject_hash(settings.hash_key, person)
    assert person.lower() not in str(dict(entry)).lower()


def test_lookup_as_of_before_the_letter_was_published(auditor):
    address = "Zo.Johansson820@googlemail.com"  # letter LTR-204 of 9 October, in list version 2
    before = auditor.get("/console/audit/lookup", params={"address": address, "as_of": "2026-10-09T12:00Z"})
    after = auditor.get("/console/audit/lookup", params={"address": address, "version": "2"})
    assert "not suppressed" in before.text and "LTR-204" in before.text
    assert "recorded after 2026-10-09T12:00:00+00:00: not in the answer" in before.text
    assert ">suppressed<" in after.text and "list version 2" in after.text


@pytest.mark.parametrize("params,field", [
    ({"address": "a@example.com", "as_of": "9999-99-99"}, "as_of"),
    ({"address": "a@example.com", "version": "-1"}, "version"),
    ({"address": "a@example.com", "version": "99999"}, "version"),
    ({"address": "a@example.com", "version": "１２"}, "version"),  # full-width digits
    ({"address": "a@example.com", "as_of": "2026-10-10", "version": "2"}, "as_of"),
    ({"address": "x" * 5000 + "@example.com"}, "address"),
    ({"address": "ann\x00@example.com"}, "address"),
    ({"address": "not an address"}, "address"),
    ({"address": ""}, "address"),
])
def test_hostile_lookup_values_are_refused_naming_the_field(demo, auditor, params, field):
    _, _, engine = demo
    before = log_rows(engine)
    answer = auditor.get("/console/audit/lookup", params=params)
    assert answer.status_code == 400
    assert f"{field}:" in answer.text and 'role="alert"' in answer.text
    assert log_rows(engine) == before + 1


def test_history_filters_pages_and_csv_matches_the_command(demo, auditor):
    page = auditor.get("/console/audit/history", params={"from": "2026-10-09", "to": "2026-10-09", "channel": "postal_mail"})
    assert page.status_code == 200 and "LTR-204" in page.text
    csv_answer = auditor.get("/console/audit/history.csv", params={"from": "2026-10-09", "to": "2026-10-09", "channel": "postal_mail"})
    assert csv_answer.headers["content-type"].startswith("text/csv") and "attachment" in csv_answer.headers["content-disposition"]
    rows = list(csv.reader(csv_answer.text.splitlines()))
    assert rows[0][:3] == ["event_id", "channel", "source_ref"]
    assert rows[1:] and {r[1] for r in rows[1:]} == {"postal_mail"}
    assert all(not cell.startswith(("=", "+", "@")) for r in rows[1:] for cell in r)


def test_history_csv_is_the_commands_csv(demo, auditor):
    from typer.testing import CliRunner  # here, not at import: only this test runs the command

    from pipeline.cli import app as cli

    _, settings, _ = demo
    out = CliRunner().invoke(cli, ["--db", settings.database_url, "history", "--format", "csv", "--channel", "phone"])
    assert out.exit_code == 0, out.output
    answer = auditor.get("/console/audit/history.csv", params={"channel": "phone"})
    assert answer.text == out.stdout


@pytest.mark.parametrize("params,field", [
    ({"from": "2026-10-10", "to": "2026-10-01"}, "from"),
    ({"from": "2026-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"channel": "../../etc/passwd"}, "channel"),
    ({"action": "delete"}, "action"),
    ({"page": "0"}, "page"),
])
def test_history_refuses_bad_filters(auditor, params, field):
    for path in ("/console/audit/history", "/console/audit/history.csv"):
        if path.endswith(".csv") and "page" in params:
            continue
        answer = auditor.get(path, params=params)
        assert answer.status_code == 400 and f"{field}:" in answer.text


def test_history_is_paged(auditor):
    first = auditor.get("/console/audit/history")
    assert "page 1 of" in first.text and 'rel="next"' in first.text
    last = auditor.get("/console/audit/history", params={"page": "999"})
    assert last.status_code == 200 and 'rel="prev"' in last.text


def test_campaign_audits_list_and_detail(auditor):
    listing = auditor.get("/console/audit/campaigns")
    assert "demo-newsletter" in listing.text and 'href="/console/audit/campaigns/1"' in listing.text
    detail = auditor.get("/console/audit/campaigns/1")
    assert "Proven clean" in detail.text and "Sent while suppressed" in detail.text and "verified (SHA-256)" in detail.text
    assert "Opted out after the check" in detail.text


@pytest.mark.parametrize("ident,status", [("999", 404), ("-1", 400), ("..%2F..%2Fetc", 404), ("1e3", 400)])
def test_campaign_audit_of_what_is_not_a_check(auditor, ident, status):
    assert auditor.get(f"/console/audit/campaigns/{ident}").status_code == status


def test_report_draws_four_charts_as_svg(demo, auditor):
    page = auditor.get("/console/audit/report", params={"date": "2026-10-11"})
    assert page.status_code == 200
    svgs = re.findall(r"<svg.*?</svg>", page.text, flags=re.S)
    assert len(svgs) == 4
    titles = [ET.fromstring(s).find("{http://www.w3.org/2000/svg}title").text for s in svgs]
    assert titles == ["Opt-outs per day by channel", "List size per version",
                      "Time to effect per channel against the deadlines", "Breaches over time"]
    report = compliance_report(demo[2], date(2026, 10, 11), FixedClock(NOW))
    assert "postal_mail" in page.text and html.escape(report.summary()) in page.text and html.escape(report.covers()) in page.text
    assert report.review_breaches and "Review items open past a deadline" in page.text
    assert "<script" not in "".join(svgs)


@pytest.mark.parametrize("date", ["9999-99-99", "9999-12-31", "0001-01-01", "2026-10-11'--"])
def test_report_refuses_bad_dates(auditor, date):
    answer = auditor.get("/console/audit/report", params={"date": date})
    assert answer.status_code == 400 and "date:" in answer.text


def test_verify_says_ok(auditor):
    page = auditor.get("/console/audit/verify")
    assert page.text.count('class="ok">ok<') == 2


def test_access_log_filters_by_user_and_by_address(demo, auditor):
    directory, _, _ = demo
    person = removed_person(directory)
    auditor.get("/console/audit/lookup", params={"address": person})
    by_person = auditor.get("/console/audit/access-log", params={"address": person.upper()})
    assert by_person.status_code == 200 and "audit lookup" in by_person.text
    assert person not in by_person.text.split("<tbody>")[1]  # the rows show the hash, not the address
    by_user = auditor.get("/console/audit/access-log", params={"user_name": "nobody-at-all"})
    assert "No entry matches." in by_user.text
    bad = auditor.get("/console/audit/access-log", params={"address": "not an address"})
    assert bad.status_code == 400 and "address:" in bad.text


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_the_access_log_has_no_route_that_changes_it(auditor, method):
    answer = getattr(auditor, method)("/console/audit/access-log")
    assert answer.status_code in (403, 405)


def open_item(engine: sa.Engine) -> int:
    with read_tx(engine) as conn:
        items = review.list_items(conn)
    assert items, "the seeds leave review items open"
    return items[-1].id


def test_review_queue_and_item_show_the_raw_record(demo, auditor):
    _, _, engine = demo
    item = open_item(engine)
    assert f'href="/console/audit/review/{item}"' in auditor.get("/console/audit/review").text
    page = auditor.get(f"/console/audit/review/{item}")
    assert page.status_code == 200 and "Raw record" in page.text and '<pre class="raw">' in page.text
    assert "<form method=\"post\" action=\"/console/audit/review" not in page.text  # auditors read only


def test_auditors_are_refused_the_resolve_post(demo, auditor):
    _, _, engine = demo
    item = open_item(engine)
    token = csrf(auditor.get(f"/console/audit/review/{item}").text)
    answer = auditor.post(f"/console/audit/review/{item}", data={"csrf_token": token, "decision": "dismiss", "note": "looked at it"})
    assert answer.status_code == 403
    with read_tx(engine) as conn:
        assert review.get_item(conn, item).status == "open"


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_resolve_without_a_valid_csrf_token_is_refused(demo, admin, token):
    _, _, engine = demo
    item = open_item(engine)
    data = {"decision": "dismiss", "note": "looked at it"} | ({"csrf_token": token} if token is not None else {})
    assert admin.post(f"/console/audit/review/{item}", data=data).status_code == 403
    with read_tx(engine) as conn:
        assert review.get_item(conn, item).status == "open"


@pytest.mark.parametrize("data,field", [
    ({"decision": "dismiss", "note": ""}, "note"),
    ({"decision": "dismiss", "note": "x" * 5000}, "note"),
    ({"decision": "maybe", "note": "looked at it"}, "decision"),
    ({"decision": "accept", "note": "looked at it", "addresses": ""}, "addresses"),
    ({"decision": "accept", "note": "looked at it", "addresses": "not-an-address"}, "not a valid address"),
])
def test_resolve_refuses_bad_input_and_leaves_the_item_open(demo, admin, data, field):
    _, _, engine = demo
    item = open_item(engine)
    token = csrf(admin.get(f"/console/audit/review/{item}").text)
    answer = admin.post(f"/console/audit/review/{item}", data={"csrf_token": token, **data})
    assert answer.status_code == 400 and field in answer.text
    with read_tx(engine) as conn:
        assert review.get_item(conn, item).status == "open"


def test_an_admin_dismisses_with_a_note(demo, admin):
    _, _, engine = demo
    item = open_item(engine)
    token = csrf(admin.get(f"/console/audit/review/{item}").text)
    data = {"csrf_token": token, "decision": "dismiss", "note": "a newsletter reply, no request"}
    answer = admin.post(f"/console/audit/review/{item}", data=data, follow_redirects=False)
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"])
    assert "dismissed" in page.text and "console:adam" in page.text
    with read_tx(engine) as conn:
        assert review.get_item(conn, item).resolved_by == "console:adam"


@pytest.mark.parametrize("query", ["address=%FF%FE%00", "address=%C0%AF..%2F..%2Fetc%2Fpasswd", "address=a%40b&version=%FF",
                                   "address=" + "%E2%80%AE" * 50 + "@example.com"])
def test_broken_encodings_in_the_query_are_refused_as_bad_values(auditor, query):
    answer = auditor.get(f"/console/audit/lookup?{query}")
    assert answer.status_code == 400 and re.search(r"(address|version):", answer.text)


def test_a_resolve_sent_as_json_is_not_a_form(demo, admin):
    _, _, engine = demo
    item = open_item(engine)
    token = csrf(admin.get(f"/console/audit/review/{item}").text)
    without = admin.post(f"/console/audit/review/{item}", json={"csrf_token": token, "decision": "dismiss", "note": "looked at it"})
    assert without.status_code == 403  # the token only counts as a form field or the header
    with_header = admin.post(f"/console/audit/review/{item}", headers={"X-CSRF-Token": token},
                             json={"decision": "dismiss", "note": "looked at it"})
    assert with_header.status_code == 400 and "decision:" in with_header.text
    with read_tx(engine) as conn:
        assert review.get_item(conn, item).status == "open"
