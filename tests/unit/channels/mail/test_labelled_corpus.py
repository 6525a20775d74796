"""The labelled support@ corpus (tests/unit/channels/mail/corpus.py) through the support_inbox channel:
every message's outcome, reason and opt-out addresses; precision and recall for `accepted`.
Fails below 100% recall on opt-outs or on any false accept."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pipeline.channels import support_inbox
from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile
from tests.unit.channels.mail.corpus import UNSUBSCRIBE_MAILBOX, Case, cases

pytestmark = pytest.mark.unit

CASES = cases()
SETTINGS = Settings(unsubscribe_mailboxes=(UNSUBSCRIBE_MAILBOX,))


def run(tmp_path: Path, case: Case):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{case.id}.eml"
    path.write_bytes(case.data)
    ctx = ChannelContext(SETTINGS, AccountIndex(), LandedFile("support_inbox", path, date(2026, 10, 9), "0" * 64, len(case.data)))
    records = list(support_inbox.read(path, ctx))
    assert len(records) == 1
    return records[0]


def test_corpus_is_big_and_varied() -> None:
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)
    outcomes = Counter(c.outcome for c in CASES)
    assert outcomes["accepted"] >= 60 and outcomes["ignored"] >= 60 and outcomes["needs_review"] >= 5


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_message(tmp_path: Path, case: Case) -> None:
    record = run(tmp_path, case)
    got = (str(record.outcome), record.reason, frozenset(r.address.lower() for r in record.requests))
    assert got == (case.outcome, case.reason, case.addresses), record.details


def _group(case: Case) -> str:
    return case.id.split("-", 1)[0] if case.id.startswith(("relayed-", "hostile-")) else "generated"


def test_precision_and_recall_of_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Over the whole corpus and over each part of it: the generated support@ mail, the mail
    relayed by lists and bulk senders (relayed.py), and the hostile files."""
    counts: dict[str, Counter[str]] = {}
    wrong: list[str] = []
    for case in CASES:
        record = run(tmp_path, case)
        expected = case.outcome == "accepted"
        accepted = str(record.outcome) == "accepted"
        addresses_ok = frozenset(r.address.lower() for r in record.requests) == case.addresses
        verdict = "tp" if expected and accepted and addresses_ok else "fp" if accepted and not expected else "fn" if expected else "tn"
        for group in ("all", _group(case)):
            counts.setdefault(group, Counter())[verdict] += 1
        if verdict == "fp":
            wrong.append(f"false accept {case.id}: {record.details}")
        elif verdict == "fn":
            wrong.append(f"missed {case.id}: {record.outcome}/{record.reason}: {record.details}")
    with capsys.disabled():
        print()
        for group, c in counts.items():
            precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
            recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
            print(
                f"labelled corpus ({group}): {sum(c.values())} messages, accepted precision {precision:.1%}, recall {recall:.1%}"
                f" (tp {c['tp']}, fp {c['fp']}, fn {c['fn']})"
            )
    assert counts["relayed"]["tp"] >= 20 and counts["relayed"]["tn"] >= 10 and counts["hostile"]["tp"] >= 10
    assert counts["all"]["fp"] == 0 and counts["all"]["fn"] == 0, "\n".join(wrong)
