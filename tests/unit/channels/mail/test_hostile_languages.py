"""The hostile messages under tests/hostile/mail-languages/ through the support_inbox channel,
each against its row in that folder's README.md."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from pipeline.channels import support_inbox
from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile

pytestmark = pytest.mark.unit

FOLDER = Path(__file__).resolve().parents[3] / "hostile" / "mail-languages"


def table() -> list[tuple[str, str, str, frozenset[str], str]]:
    rows = []
    for line in (FOLDER / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".eml"):
            name, outcome, reason, addresses, what = cells
            rows.append((name, outcome, reason, frozenset(a.lower() for a in re.split(r"[ ,]+", addresses) if "@" in a), what))
    return rows


TABLE = table()


def test_every_file_has_a_row_and_every_row_a_file() -> None:
    assert {row[0] for row in TABLE} == {p.name for p in FOLDER.glob("*.eml")}
    assert len(TABLE) >= 10


@pytest.mark.parametrize(("name", "outcome", "reason", "opted", "what"), TABLE, ids=[row[0] for row in TABLE])
def test_hostile_message(name: str, outcome: str, reason: str, opted: frozenset[str], what: str) -> None:
    path = FOLDER / name
    ctx = ChannelContext(Settings(), AccountIndex(), LandedFile("support_inbox", path, date(2026, 10, 9), "0" * 64, path.stat().st_size))
    (record,) = list(support_inbox.read(path, ctx))
    got = (str(record.outcome), record.reason, frozenset(r.address.lower() for r in record.requests))
    assert got == (outcome, reason, opted), f"{name} ({what}): {record.details}"
