"""The auditor pages on SQLite and PostgreSQL, on a small store whose figures are known: two
letters (one of them from a hostile name), one taking effect late, one still waiting for
review. The raw record is shown pretty-printed and escaped; the breach is drawn and listed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from pipeline.access import log, users
from pipeline.check.run import run_check
from pipeline.http.app import create_app
from tests.integration.audit_helpers import at, land_letters, recipients_csv, run_at

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery staple"
HOSTILE_NAME = "<script>alert('x')</script> & \"Eve\""


@pytest.fixture
def client(engine, settings, landing, clock):
    land_letters(landing, "2026-10-09", "a.csv", [
        ("L1", "2026-10-09T16:30:00Z", "one@example.com", HOSTILE_NAME),
        ("R1", "2026-10-09T09:00:00Z", "", "nobody"),
    ])
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")  # L1 in 9.5 h; R1 to review
    land_letters(landing, "2026-10-12", "b.csv", [("L2", "2026-10-08T10:00:00Z", "two@example.com", "")])
    run_at(engine, settings, clock, "2026-10-12", "2026-10-13T02:00:00")  # L2 after 112 h: misses 48 h
    clock.at = at("2026-10-13T08:00:00")
    users.add(engine, "aude", "auditor", PASSWORD, clock.now())
    client = TestClient(create_app(settings, clock, only="console"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text).group(1)
    form = {"username": "aude", "password": PASSWORD, "csrf_token": token}
    assert client.post("/console/login", data=form, follow_redirects=False).status_code == 303
    return client


def test_lookup_shows_the_raw_record_escaped(client, engine, settings):
    page = client.get("/console/audit/lookup", params={"address": "One@Example.com"})
    assert page.status_code == 200 and ">suppressed<" in page.text
    raw = re.search(r'<pre class="raw">(.*?)</pre>', page.text, flags=re.S).group(1)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; \\&#34;Eve\\&#34;" in raw
    assert '"letter_id": "L1"' not in raw and "&#34;letter_id&#34;: &#34;L1&#34;" in raw  # indented JSON, escaped
    assert "<script>" not in page.text
    (entry,) = log.entries(engine, subject=log.subject_hash(settings.hash_key, "one@example.com"))
    assert entry["user_name"] == "aude" and entry["page"] == "audit lookup"


def test_history_and_its_csv(client):
    page = client.get("/console/audit/history", params={"from": "2026-10-08", "to": "2026-10-09"})
    assert "L1" in page.text and "L2" in page.text and "2 event(s)" in page.text
    text = client.get("/console/audit/history.csv", params={"channel": "postal_mail", "action": "suppress"}).text
    assert text.splitlines()[0].startswith("event_id,channel,source_ref") and len(text.splitlines()) == 3


def test_report_draws_and_lists_the_late_letter(client):
    page = client.get("/console/audit/report", params={"date": "2026-10-13"})
    assert page.status_code == 200 and "L2" in page.text
    svgs = {ET.fromstring(s).get("id"): ET.fromstring(s) for s in re.findall(r"<svg.*?</svg>", page.text, flags=re.S)}
    assert set(svgs) == {"optouts-per-day", "list-size", "time-to-effect", "breaches"}
    bars = [r for r in svgs["breaches"].iter("{http://www.w3.org/2000/svg}rect") if r.find("{http://www.w3.org/2000/svg}title") is not None]
    assert [b.find("{http://www.w3.org/2000/svg}title").text for b in bars] == [
        "2026-10-10 48 hours: 1",  # L2, requested 8 October 10:00, in effect only on the 13th
        "2026-10-11 48 hours: 1",  # R1, requested 9 October 09:00, still in review
    ]
    sizes = [c.find("{http://www.w3.org/2000/svg}title").text for c in svgs["list-size"].iter("{http://www.w3.org/2000/svg}circle")]
    assert sizes == ["v1: 1", "v2: 2"]


def test_review_verify_and_access_log(client):
    assert "nobody" in client.get("/console/audit/review").text or "R1" in client.get("/console/audit/review").text
    assert client.get("/console/audit/verify").text.count('class="ok">ok<') == 2
    page = client.get("/console/audit/access-log", params={"user_name": "aude"})
    assert page.text.count("<td>aude</td>") >= 4


def test_a_check_whose_send_file_changed_is_not_proven_clean(client, engine, settings, clock, tmp_path):
    recipients = recipients_csv(tmp_path / "list.csv", ["one@example.com", "three@example.com", "<b>x</b>@example.com"])
    out = tmp_path / "send.csv"
    result = run_check(engine, settings, clock, recipients, out, campaign="<script>autumn</script>", checked_by="console:aude")
    out.write_text(out.read_text(encoding="utf-8") + "one@example.com,n9\n", encoding="utf-8")  # someone edited it
    listing = client.get("/console/audit/campaigns")
    assert "&lt;script&gt;autumn&lt;/script&gt;" in listing.text and "console:aude" in listing.text
    page = client.get(f"/console/audit/campaigns/{result.check_id}")
    assert page.status_code == 200 and "Not proven clean" in page.text
    assert "changed since the check (SHA-256 differs)" in page.text and "<script>autumn" not in page.text


def test_an_admin_accepts_a_review_item_and_the_address_is_suppressed(client, engine, clock):
    users.add(engine, "adam", "admin", PASSWORD, clock.now())
    admin = TestClient(client.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/console/login").text).group(1)
    form = {"username": "adam", "password": PASSWORD, "csrf_token": token}
    assert admin.post("/console/login", data=form, follow_redirects=False).status_code == 303
    item = re.search(r'href="/console/audit/review/(\d+)"', admin.get("/console/audit/review").text).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get(f"/console/audit/review/{item}").text).group(1)
    answer = admin.post(f"/console/audit/review/{item}", follow_redirects=False, data={
        "csrf_token": token, "decision": "accept", "addresses": "Nobody@Example.com\n", "note": "the letter's signature names her address"})
    assert answer.status_code == 303
    assert "accepted" in admin.get(answer.headers["location"]).text
    looked = admin.get("/console/audit/lookup", params={"address": "nobody@example.com"})
    assert ">suppressed<" in looked.text and "the letter&#39;s signature names her address" in looked.text


def test_a_check_with_its_own_address_column_asks_for_it(client, engine, settings, clock, tmp_path):
    recipients = tmp_path / "list.csv"
    recipients.write_text("contact,name\none@example.com,a\nthree@example.com,b\n", encoding="utf-8")
    result = run_check(engine, settings, clock, recipients, tmp_path / "send.csv", column="contact")
    asked = client.get(f"/console/audit/campaigns/{result.check_id}")
    assert asked.status_code == 409 and "column:" in asked.text and 'name="column"' in asked.text
    page = client.get(f"/console/audit/campaigns/{result.check_id}", params={"column": "contact"})
    assert page.status_code == 200 and "Proven clean" in page.text
    assert client.get(f"/console/audit/campaigns/{result.check_id}", params={"column": "a\x00"}).status_code == 400
