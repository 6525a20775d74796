"""`optout erase` on disk: the hostile evidence under tests/hostile/erase/ is landed and run,
then erased; no spelling of the address is left in the store, the SQLite file, the landing zone
or the output folder, except in files erasure lists for manual action, and everyone else's data
in the same files is intact."""

from __future__ import annotations

import base64
import binascii
import codecs
import csv
import email
import email.errors
import email.policy
import gzip
import hashlib
import html
import json
import os
import quopri
import re
import shutil
import sys
import zipfile
from dataclasses import replace
from email.header import decode_header, make_header
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from pipeline.audit.erase import erase
from pipeline.audit.export import export_list
from pipeline.audit.report import write_report
from pipeline.audit.verify import verify
from pipeline.check.run import run_check
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.ledger.history import history, lookup
from pipeline.store.db import read_tx
from pipeline.store.schema import ingested_files
from tests.integration.audit_helpers import at, recipients_csv, run_at

pytestmark = pytest.mark.integration

HOSTILE = Path(__file__).resolve().parents[1] / "hostile" / "erase"
PERSON = "Erin.Target@gmail.com"
DAY, NEXT = "2026-10-09", "2026-10-10"
OTHERS = ("bob@example.org", "carol@example.net", "zoe@example.net")

# What erasure does with each committed case (the README says why).
REWRITTEN = {
    "support_inbox/qp_soft_break_inside_address.eml",
    "support_inbox/base64_body_of_another_person_naming_address.eml",
    "support_inbox/encoded_word_b_from.eml",
    "support_inbox/encoded_word_q_split_mid_address_cc.eml",
    "support_inbox/html_entity_address.eml",
    "support_inbox/percent_encoded_link.eml",
    "support_inbox/mbox_several_messages.mbox",
    "support_inbox/base64_binary_attachment_naming_address.eml",
    "postal_mail/letters_windows1252.csv",
    "postal_mail/quarantined_missing_column.csv",
    "postal_mail/erin.target@gmail.com.csv",
    "accounts/accounts.csv",
    "phone/calls_shared_account.csv",
    "unsubscribe_link/token_payload_names_address.jsonl",
    "preference_center/changes_utf16.csv",
}
MANUAL = {
    "postal_mail/letters_compressed.csv.gz": "gzip",
    "postal_mail/scan_binary.dat": "binary",
    "unsubscribe_link/_segment_in_flight.jsonl.part": "in-flight",
}


def test_every_committed_case_is_driven_and_described():
    committed = {p.relative_to(HOSTILE).as_posix() for p in hostile_cases()}
    assert committed == REWRITTEN | set(MANUAL) and len(committed) >= 15
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert all(f"`{case}`" in readme for case in committed)


def hostile_cases() -> list[Path]:
    """The committed case files (not the README, not .gitattributes)."""
    return sorted(p for p in HOSTILE.rglob("*") if p.is_file() and p.name != "README.md" and not p.name.startswith("."))


def landed_path(landing: Path, case: str) -> Path:
    channel, name = case.split("/", 1)
    return landing / channel / DAY / name


# -- an independent reader: every form the address may take, decoded with the standard library


def revealed(text: str) -> str:
    """The text and every decoding of it evidence may use, lower-cased, dots dropped (so any
    gmail-dot spelling reads `erintarget`)."""
    forms = [text, html.unescape(text), unquote(text)]
    forms.append(quopri.decodestring(text.encode("utf-8", "replace")).decode("latin-1"))
    for chunk in re.split(r"(?m)^From ", text):
        if ":" in chunk:
            forms.extend(_message_texts(chunk))
    for segment in re.findall(r"[A-Za-z0-9+/_\-]{16,}={0,2}", text):
        forms.append(_b64(segment))
    joined = "\n".join(forms)
    return "\n".join([joined, html.unescape(joined), unquote(joined)]).lower().replace(".", "")


def _message_texts(chunk: str) -> list[str]:
    texts = []
    msg = email.message_from_string(chunk, policy=email.policy.compat32)
    for part in msg.walk():
        texts.extend(f"{k}: {_header(v)}" for k, v in part.raw_items())
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            texts.append(payload.decode("latin-1"))
    return texts


def _header(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (binascii.Error, LookupError, UnicodeDecodeError, email.errors.HeaderParseError):
        return value


def _b64(segment: str) -> str:
    padded = segment.rstrip("=") + "=" * (-len(segment.rstrip("=")) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/")).decode("latin-1")
    except (binascii.Error, ValueError):
        return ""


def names_person(text: str) -> bool:
    return "erintarget" in revealed(text)


def file_text(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data.startswith(codecs.BOM_UTF16_LE):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def files_naming_person(*roots: Path) -> set[Path]:
    return {
        p for root in roots for p in root.rglob("*") if p.is_file() and (names_person(file_text(p)) or names_person(p.name))
    }


def store_cells(engine: sa.Engine) -> list[str]:
    """Every value of every table, JSON walked to its strings (keys too)."""

    def leaves(value: object) -> list[str]:
        if isinstance(value, dict):
            return [s for k, v in value.items() for s in [str(k), *leaves(v)]]
        if isinstance(value, list):
            return [s for v in value for s in leaves(v)]
        if isinstance(value, str) and value[:1] in "{[":
            try:
                return leaves(json.loads(value))
            except ValueError:
                return [value]
        return [] if value is None else [str(value) if not isinstance(value, bytes) else value.decode("latin-1")]

    cells = []
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                for value in row:
                    cells.extend(leaves(value))
    return cells


def tree_digest(*roots: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for root in roots
        for p in sorted(root.rglob("*"))
    }


def store_bytes(engine: sa.Engine) -> bytes:
    database = Path(engine.url.database)
    return b"".join(p.read_bytes() for p in sorted(database.parent.glob(database.name + "*")) if p.is_file())


# -- the store: every hostile case landed, a nightly run, outputs written, a send check recorded


@pytest.fixture
def hostile(engine, settings, landing, clock, tmp_path):
    """Every committed case landed in its channel's folder for DAY (accounts as the snapshot),
    the nightly run, then what the project writes under OPTOUT_OUTPUT: exports, the compliance
    report, a history CSV and a send check with its removed list."""
    for source in hostile_cases():
        target = landed_path(landing, source.relative_to(HOSTILE).as_posix())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    run_at(engine, settings, clock, DAY, f"{NEXT}T02:00:00")
    out = settings.output / NEXT
    export_list(engine, settings, clock, out / "export")
    export_list(engine, settings, clock, out / "export_hashed", hashed=True)
    write_report(engine, settings, at(f"{DAY}T00:00:00").date(), out, clock)
    with read_tx(engine) as conn:
        views = history(conn)
    with (out / "history.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["event_id", "channel", "address", "source_ref"])
        writer.writerows([v.event_id, v.channel, v.address, v.source_ref] for v in views)
    checks = settings.output / "checks"
    checks.mkdir()
    send = recipients_csv(checks / "send.csv", ["erin.target+promo@gmail.com", *OTHERS])
    run_check(engine, settings, clock, send, checks / "send.out.csv", removed=checks / "removed.csv", campaign="fall")
    return tmp_path


@pytest.fixture
def settings(db_url: str, landing: Path, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, landing=landing, output=tmp_path / "output")


def test_the_fixture_lands_every_spelling_everywhere(engine, settings, landing, hostile):
    """Guards the other tests: before erasure the address is in every case and in the store."""
    assert {landed_path(landing, c) for c in REWRITTEN | set(MANUAL)} <= files_naming_person(landing)
    assert any(names_person(c) for c in store_cells(engine))
    assert files_naming_person(settings.output)
    with read_tx(engine) as conn:
        quarantined = conn.execute(sa.select(ingested_files.c.path).where(ingested_files.c.quarantine_error.is_not(None))).scalars().all()
    assert str(landed_path(landing, "postal_mail/quarantined_missing_column.csv")) in quarantined


def test_erase_leaves_the_address_only_in_files_listed_for_manual_action(engine, settings, landing, clock, hostile):
    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    manual = {Path(f.path) for f in result.manual}
    left = files_naming_person(landing, settings.output)
    assert left <= manual, sorted(map(str, left - manual))
    assert {landed_path(landing, c) for c in MANUAL} <= manual
    checks = settings.output / "checks"
    assert {checks / "send.csv", checks / "send.out.csv.receipt.json"} & manual == {checks / "send.csv"}
    assert all(f.note for f in result.manual)
    rewritten = {Path(f.path) for f in result.rewritten}
    assert {landed_path(landing, c) for c in REWRITTEN} <= rewritten
    assert not [c for c in store_cells(engine) if names_person(c)]
    if engine.dialect.name == "sqlite":
        assert b"erintarget" not in store_bytes(engine).lower().replace(b".", b"")
    assert not list(landing.rglob("*.erasing.tmp")) and not list(settings.output.rglob("*.erasing.tmp"))


@pytest.mark.parametrize("case", sorted(MANUAL))
def test_files_that_cannot_be_rewritten_safely_are_listed_untouched(engine, settings, landing, clock, hostile, case):
    path = landed_path(landing, case)
    before = path.read_bytes()
    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    (listed,) = [f for f in result.manual if f.path == str(path)]
    assert MANUAL[case] in listed.note and listed.area == "landing"
    assert path.read_bytes() == before


@pytest.mark.parametrize("case", sorted(REWRITTEN))
def test_each_rewritten_case_keeps_its_encoding_and_no_spelling(engine, settings, landing, clock, hostile, case):
    path = landed_path(landing, case)
    before = path.read_bytes()
    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    (change,) = [f for f in result.rewritten if f.path == str(path)]
    now = Path(change.new_path or change.path)
    assert now.is_file() and not names_person(file_text(now)) and not names_person(now.name)
    after = now.read_bytes()
    assert change.new_sha256 == hashlib.sha256(after).hexdigest()
    assert change.new_sha256 != change.old_sha256 or change.new_path  # rewritten, or only renamed
    assert change.old_sha256 == hashlib.sha256(before).hexdigest()
    if before.startswith(codecs.BOM_UTF16_LE):
        assert after.startswith(codecs.BOM_UTF16_LE)
    for other in OTHERS:  # everyone else stays, in the same encoding
        assert names(file_text(now), other) == names(file_text_of(before), other)


def file_text_of(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF16_LE):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def names(text: str, address: str) -> int:
    return revealed(text).count(address.replace(".", ""))


def test_other_peoples_messages_and_rows_stay_readable(engine, settings, landing, clock, hostile):
    mbox = landed_path(landing, "support_inbox/mbox_several_messages.mbox")
    bob_before = mbox.read_text().split("\n\nFrom ")[1]
    cp1252 = landed_path(landing, "postal_mail/letters_windows1252.csv")
    erase(engine, settings, clock, PERSON, "GDPR-101")
    assert mbox.read_text().split("\n\nFrom ")[1] == bob_before  # Bob's message: byte for byte
    assert len(mbox.read_text().split("\n\nFrom ")) == 3
    bob = email.message_from_bytes(
        landed_path(landing, "support_inbox/base64_body_of_another_person_naming_address.eml").read_bytes(),
        policy=email.policy.default,
    )
    body = bob.get_content()
    assert "Regards, Bob Other (account A-200)" in body and "My wife [erased] wants" in body
    assert bob["From"] == "Bob Other <bob@example.org>"
    rows = cp1252.read_bytes().decode("cp1252").splitlines()
    assert rows[2] == "W2,2026-10-09T09:05:00Z,zoe@example.net,,Zoë Müller – Café,letter W2 “quoted”"
    assert rows[1] == "W1,2026-10-09T09:00:00Z,[erased],,E. T.,letter W1"
    attachment = email.message_from_bytes(
        landed_path(landing, "support_inbox/base64_binary_attachment_naming_address.eml").read_bytes(),
        policy=email.policy.default,
    )
    pdf = [p for p in attachment.walk() if p.get_content_type() == "application/pdf"][0].get_content()
    assert pdf.startswith(b"%PDF-1.4\n\x00") and len(pdf) == 51 and b"erin" not in pdf
    clicks_file = landed_path(landing, "unsubscribe_link/token_payload_names_address.jsonl")
    clicks = [json.loads(line) for line in clicks_file.read_text().splitlines()]
    assert clicks[0]["token"].startswith("[erased].") and clicks[1] == json.loads(
        (HOSTILE / "unsubscribe_link" / "token_payload_names_address.jsonl").read_text().splitlines()[1]
    )
    link = landed_path(landing, "support_inbox/percent_encoded_link.eml").read_text()
    assert "https://example.com/unsub?e=[erased]&ref=carol%40example.net failed" in link
    carol = landed_path(landing, "support_inbox/encoded_word_q_split_mid_address_cc.eml").read_text()
    assert "From: Carol Third <carol@example.net>" in carol and "Cc: =?utf-8?Q?E=2E_T=2E_=3C=5Berased=5D=3E?=" in carol
    accounts = (landing / "accounts" / DAY / "accounts.csv").read_text().splitlines()
    assert accounts[2] == "A-200,active,bob@example.org,+1 212 555 0101,owner,2026-10-01"
    assert accounts[1] == "A-100,active,[erased],+1 212 555 0100,owner,2026-10-01"


def test_a_run_after_erasure_ingests_nothing_new(engine, settings, landing, clock, hostile):
    with read_tx(engine) as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(ingested_files)).scalar()
    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    assert sum(f.ingested_rows for f in result.rewritten) >= 12
    run_at(engine, settings, clock, "2026-10-11", "2026-10-12T02:00:00")
    with read_tx(engine) as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(ingested_files)).scalar()
        assert verify(conn, settings.hash_key).ok
        assert lookup(conn, settings.hash_key, "e.r.i.n.target+again@googlemail.com").suppressed
    assert after == before
    again = recipients_csv(hostile / "again.csv", ["E.R.I.N.Target+promo@googlemail.com", "bob.other@example.org"])
    checked = run_check(engine, settings, clock, again, hostile / "again.out.csv", max_age_hours=1000)
    assert (checked.suppressed, checked.kept) == (1, 1)  # the erased person is still removed
    assert "erin" not in (hostile / "again.out.csv").read_text().lower()


def test_send_check_files_are_listed_and_their_audit_still_verifies(engine, settings, clock, hostile):
    from pipeline.audit.campaign import audit_campaign

    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    (listed,) = [f for f in result.manual if f.path.endswith("send.csv")]
    assert listed.area == "send_check" and "receipt" in listed.note
    removed = [f for f in result.rewritten if f.path.endswith("removed.csv")]
    assert removed and removed[0].area == "output"  # not recorded by the check: rewritten
    with read_tx(engine) as conn:
        audit = audit_campaign(conn, settings.hash_key, "fall", None)
    assert audit.input_verified and audit.output_verified


def test_the_export_manifest_follows_its_rewritten_file(engine, settings, clock, hostile):
    export = settings.output / NEXT / "export"
    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256((export / manifest["file"]).read_bytes()).hexdigest()
    assert str(export / "manifest.json") in {f.path for f in result.rewritten}


def test_dry_run_lists_everything_and_changes_nothing(engine, settings, landing, clock, hostile):
    trees = tree_digest(landing, settings.output)
    cells = store_cells(engine)
    before = store_bytes(engine) if engine.dialect.name == "sqlite" else b""
    dry = erase(engine, settings, clock, PERSON, "GDPR-101", dry_run=True)
    assert dry.dry_run and tree_digest(landing, settings.output) == trees and store_cells(engine) == cells
    if engine.dialect.name == "sqlite":
        assert store_bytes(engine) == before
    real = erase(engine, settings, clock, PERSON, "GDPR-101")
    assert dry.redacted == real.redacted and dry.events_cleared == real.events_cleared
    assert [f.as_dict() for f in dry.files] == [f.as_dict() for f in real.files]
    assert dry.list_version == real.list_version


def test_erasing_again_finds_nothing_left_to_rewrite(engine, settings, clock, hostile):
    erase(engine, settings, clock, PERSON, "GDPR-101")
    again = erase(engine, settings, clock, "erin.target+later@googlemail.com", "GDPR-101b")
    assert again.events_cleared == 1  # only the new erasure event's own clear fields
    assert again.redacted["intake_records"] == 0 and again.redacted["review_queue"] == 0
    assert again.rewritten == [] and {f.path for f in again.manual} >= {
        str(Path(p)) for p in (settings.landing / "postal_mail" / DAY / "letters_compressed.csv.gz",)
    }


def test_a_file_that_cannot_be_written_or_is_a_link_is_listed(engine, settings, landing, clock, hostile, monkeypatch):
    letter = landed_path(landing, "postal_mail/letters_windows1252.csv")
    link = landing / "postal_mail" / DAY / "link_to_accounts.csv"
    os.symlink(landing / "accounts" / DAY / "accounts.csv", link)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == letter else real_access(p, mode))
    before = letter.read_bytes()
    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    notes = {Path(f.path): f.note for f in result.manual}
    assert "not writable" in notes[letter] and letter.read_bytes() == before
    assert "symbolic link" in notes[link] and link.is_symlink()


def test_a_refused_request_touches_no_file(engine, settings, landing, clock, hostile):
    trees = tree_digest(landing, settings.output)
    with pytest.raises(OptoutError, match="must not contain"):
        erase(engine, settings, clock, PERSON, "ticket of erin.target@gmail.com")
    assert tree_digest(landing, settings.output) == trees


def test_landing_moved_elsewhere_is_still_found_through_ingested_files(engine, settings, landing, clock, hostile):
    elsewhere = replace(settings, landing=landing.parent / "empty-landing", output=landing.parent / "no-output")
    result = erase(engine, elsewhere, clock, PERSON, "GDPR-101")
    assert str(landed_path(landing, "postal_mail/letters_windows1252.csv")) in {f.path for f in result.rewritten}



@pytest.fixture
def optout(settings, monkeypatch, capsys):
    """`optout ARGS…` in this process against the hostile store: exit code, stdout, stderr."""
    from pipeline.cli import main

    monkeypatch.setenv("OPTOUT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OPTOUT_LANDING", str(settings.landing))
    monkeypatch.setenv("OPTOUT_OUTPUT", str(settings.output))

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["optout", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out = capsys.readouterr()
        return int(exited.value.code or 0), out.out, out.err

    return run


def test_cli_dry_run_lists_what_the_real_run_then_does(engine, settings, landing, optout, hostile):
    trees = tree_digest(landing, settings.output)
    code, out, err = optout("erase", PERSON, "--ref", "GDPR-101", "--dry-run")
    assert code == 0, err
    assert out.startswith("dry run: nothing changed; erasure would clear") and tree_digest(landing, settings.output) == trees
    letters = landed_path(landing, "postal_mail/letters_windows1252.csv")
    assert f"would rewrite landing file {letters}: sha256" in out and "ingested_files row(s) moved" in out
    assert f"MANUAL landing file {landed_path(landing, 'postal_mail/scan_binary.dat')}: a binary file" in out
    assert "tables (rows it would change): " in out and "intake_records" in out
    assert "would append: 1 erasure event (channel erasure), list version 2" in out
    code, out, err = optout("erase", PERSON, "--ref", "GDPR-101", "--json")
    assert code == 1 and "still" not in err  # files left for manual action: exit 1
    data = json.loads(out)
    assert data["dry_run"] is False and data["reclaimed"] is True and data["complete"] is False
    assert str(letters) in {f["path"] for f in data["files"]["rewritten"]}
    assert {f["area"] for f in data["files"]["manual"]} == {"landing", "send_check"}
    assert optout("verify")[0] == 0
    assert optout("lookup", "erin.target+x@googlemail.com")[0] == 0  # still suppressed, by keyed hash


def test_a_parquet_or_xlsx_file_is_searched_inside_and_listed(engine, settings, clock, hostile):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = settings.output / NEXT
    pq.write_table(pa.table({"email": ["bob@example.org", "ERIN.TARGET@gmail.com"]}), folder / "list.parquet", compression="snappy")
    pq.write_table(pa.table({"email": ["bob@example.org"]}), folder / "bob.parquet")
    with zipfile.ZipFile(folder / "list.xlsx", "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/sharedStrings.xml", "<sst><si><t>erin.target+x@gmail.com</t></si></sst>")
    result = erase(engine, settings, clock, PERSON, "GDPR-101")
    notes = {Path(f.path).name: f.note for f in result.manual}
    assert notes["list.parquet"].startswith("a Parquet file") and notes["list.xlsx"].startswith("a zip file")
    assert "bob.parquet" not in {Path(f.path).name for f in result.files}
