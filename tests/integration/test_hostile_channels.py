"""Hostile channel files (tests/hostile/channels/README.md) through the real ingest path, on
SQLite and PostgreSQL: whatever one record holds, the good records beside it are suppressed,
every record is accounted for, the file is recorded, and a re-run ingests nothing new."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from pipeline.channels import REGISTRY
from pipeline.core.addresses import try_parse
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.intake.accounts import load_accounts
from pipeline.ledger.ingest import ingest_channel
from pipeline.ledger.publish import publish
from pipeline.store.schema import ingested_files, intake_records, suppressions
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
CORPUS = ROOT / "tests" / "hostile" / "channels"
DAY = date(2026, 10, 9)
OUTCOMES = ("accepted", "ignored", "rejected", "needs_review", "duplicate")


@dataclass(frozen=True)
class Case:
    path: str
    expected: str

    @property
    def channel(self) -> str:
        return self.path.split("/")[0]


def cases() -> list[Case]:
    """The README's table: one row per file, its expected outcome in the last column."""
    found = []
    for line in (CORPUS / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\| `([^`]+)` \| .* \| ([^|]+) \|", line)
        if match:
            found.append(Case(match.group(1), match.group(2).strip()))
    return found


CASES = cases()


def expected_counts(expected: str) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for name, n in re.findall(r"(\w+) (\d+)", expected):
        if name != "read":
            assert name in counts, f"unknown outcome {name!r} in the README"
            counts[name] = int(n)
    return counts


def good_keys(data: bytes) -> set[str]:
    """Match keys of the addresses the corpus marks good: typed at ok.example, named in a
    token's payload, or a contact of an account OKn (accounts.csv: okn@ok.example)."""
    text = data.decode("latin-1")
    addresses = set(re.findall(r"(?<![a-z0-9])[a-z0-9]{1,64}@ok\.example", text))  # linear on long runs
    addresses |= {f"ok{n}@ok.example" for n in re.findall(r"\bOK(\d)\b", text)}
    for payload in re.findall(r'"token": "([A-Za-z0-9_-]+)\.', text):
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError):
            continue
        if claims["e"].endswith("@ok.example"):
            addresses.add(claims["e"])
    keys = set()
    for a in addresses:
        parsed = try_parse(a)
        assert parsed is not None, a
        keys.add(parsed.key)
    return keys


def test_the_corpus_covers_every_channel_with_forty_files() -> None:
    assert len(CASES) >= 40
    assert {c.channel for c in CASES} == {
        "phone", "cancellation", "preference_center", "postal_mail", "support_inbox", "unsubscribe_link", "esp_events"
    }
    listed = {c.path for c in CASES}
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*")}
    assert listed == on_disk


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_hostile_file(case: Case, engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    source = CORPUS / case.path
    landed = settings.landing / case.channel / DAY.isoformat() / source.name
    landed.parent.mkdir(parents=True)
    shutil.copyfile(source, landed)
    (settings.landing / "accounts" / DAY.isoformat()).mkdir(parents=True)
    shutil.copyfile(CORPUS / "accounts.csv", settings.landing / "accounts" / DAY.isoformat() / "accounts.csv")
    accounts = load_accounts(settings.landing, DAY, settings.phone_region)

    result = ingest_channel(engine, settings, REGISTRY[case.channel], DAY, None, clock, accounts)

    assert len(result.files) == 1, "the file is recorded"
    with engine.connect() as conn:
        row = conn.execute(sa.select(ingested_files)).one()
        records = conn.execute(sa.select(sa.func.count()).select_from(intake_records)).scalar_one()
    counts = {name: getattr(row, name) for name in OUTCOMES}
    assert row.records == sum(counts.values()), "read = accepted + ignored + rejected + needs_review + duplicate"
    assert records == row.records - row.duplicate
    if case.expected.startswith("quarantined"):
        assert row.quarantine_error and case.expected.split(": ", 1)[1] in row.quarantine_error
        assert str(landed) in row.quarantine_error, "the message names the file"
        assert row.records == 0
    else:
        assert row.quarantine_error is None
        assert counts == expected_counts(case.expected)
        publish(engine, clock)
        with engine.connect() as conn:
            listed = set(conn.execute(sa.select(suppressions.c.match_key)).scalars())
        assert good_keys(source.read_bytes()) <= listed, "the good records are suppressed"
        assert not any("bad.example" in key for key in listed)

    again = ingest_channel(engine, settings, REGISTRY[case.channel], DAY, None, clock, accounts)
    assert again.files == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(intake_records)).scalar_one() == records


def test_no_nul_or_surrogate_reaches_the_store(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    """NUL and lone surrogates (PostgreSQL stores neither) are replaced in evidence and refs."""
    for name in ("nul-byte.jsonl", "lone-surrogates.jsonl"):
        folder = settings.landing / "unsubscribe_link" / DAY.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / "unsubscribe_link" / name, folder / name)
    ingest_channel(engine, settings, REGISTRY["unsubscribe_link"], DAY, None, clock, load_accounts(settings.landing, DAY, "US"))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(intake_records.c.source_ref, intake_records.c.raw)).all()
    by_ref = {r.source_ref: r.raw for r in rows}
    assert by_ref["e4"]["user_agent"] == "a\ufffdb"
    assert by_ref["e\ufffd"]["user_agent"] == "\ufffdx\ufffd"  # event_id "e\ud83d"
    assert not any("\x00" in json.dumps(raw) or "\\u0000" in json.dumps(raw) for raw in by_ref.values())


def test_a_file_name_that_is_not_utf8_is_recorded(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    """Such a name reads as lone surrogates, which PostgreSQL cannot store as they are."""
    folder = settings.landing / "support_inbox" / DAY.isoformat()
    folder.mkdir(parents=True)
    name = os.fsdecode(b"inbox-\xff.mbox")
    shutil.copyfile(CORPUS / "support_inbox" / "bom.mbox", folder / name)
    result = ingest_channel(engine, settings, REGISTRY["support_inbox"], DAY, None, clock, load_accounts(settings.landing, DAY, "US"))
    assert [f.counts.accepted for f in result.files] == [2]
    with engine.connect() as conn:
        assert conn.execute(sa.select(ingested_files.c.path)).scalar_one().endswith("inbox-\ufffd.mbox")
