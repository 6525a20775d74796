"""The labelled support@ corpus (tests/unit/mail/corpus.py) through the support_inbox channel:
every message's outcome, reason and opt-out addresses; precision and recall for `accepted`.
Fails below 100% recall on opt-outs or on any false accept."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pipeline.accounts import AccountIndex
from pipeline.channels import support_inbox
from pipeline.channels.base import ChannelContext
from pipeline.config import Settings
from pipeline.landing import LandedFile
from tests.unit.mail.corpus import UNSUBSCRIBE_MAILBOX, Case, cases

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


def test_precision_and_recall_of_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tp = fp = fn = 0
    wrong: list[str] = []
    for case in CASES:
        record = run(tmp_path, case)
        expected = case.outcome == "accepted"
        accepted = str(record.outcome) == "accepted"
        addresses_ok = frozenset(r.address.lower() for r in record.requests) == case.addresses
        if expected and accepted and addresses_ok:
            tp += 1
        elif accepted and not expected:
            fp += 1
            wrong.append(f"false accept {case.id}: {record.details}")
        elif expected:
            fn += 1
            wrong.append(f"missed {case.id}: {record.outcome}/{record.reason}: {record.details}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    with capsys.disabled():
        print(
            f"\nlabelled corpus: {len(CASES)} messages, accepted precision {precision:.1%}, recall {recall:.1%} (tp {tp}, fp {fp}, fn {fn})"
        )
    assert fp == 0 and recall == 1.0, "\n".join(wrong)
