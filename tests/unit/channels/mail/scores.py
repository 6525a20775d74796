"""Precision and recall per language and per label over the labelled corpus of
tests/unit/channels/mail/languages.py, each message read by the support_inbox channel as a night's
landing file would be. `python -m tests.unit.channels.mail.scores` prints the table that
docs/email-classification.md quotes; tests/unit/channels/mail/test_languages.py holds it to its
thresholds (precision of `accepted` 100%, recall at least 95%, per language)."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.channels import support_inbox
from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile
from tests.unit.channels.mail.corpus import UNSUBSCRIBE_MAILBOX, Case
from tests.unit.channels.mail.languages import LANGS, cases, label_of, language_of

SETTINGS = Settings(unsubscribe_mailboxes=(UNSUBSCRIBE_MAILBOX,))


@dataclass(frozen=True)
class Result:
    case: Case
    language: str
    expected: str  # outcome/reason
    got: str
    addresses: frozenset[str]
    details: str

    @property
    def right(self) -> bool:
        return self.expected == self.got and (self.addresses == self.case.addresses or not self.got.startswith("accepted"))


def read(case: Case, folder: Path) -> tuple[str, frozenset[str], str]:
    path = folder / f"{case.id}.eml"
    path.write_bytes(case.data)
    ctx = ChannelContext(SETTINGS, AccountIndex(), LandedFile("support_inbox", path, date(2026, 10, 9), "0" * 64, len(case.data)))
    (record,) = list(support_inbox.read(path, ctx))
    return label_of(str(record.outcome), record.reason), frozenset(r.address.lower() for r in record.requests), record.details


def results(corpus: Iterable[Case] | None = None) -> list[Result]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases() if corpus is None else corpus:
            got, addresses, details = read(case, Path(tmp))
            out.append(Result(case, language_of(case), label_of(case.outcome, case.reason), got, addresses, details))
    return out


@dataclass(frozen=True)
class Score:
    n: int
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(rs: list[Result], label: str) -> Score:
    """For one label (an outcome, "accepted", or an outcome/reason): a hit is a message whose
    expected and actual label both match (and, for accepted, opting out the right addresses)."""

    def has(value: str) -> bool:
        return value == label or value.split("/")[0] == label

    c: Counter[str] = Counter()
    for r in rs:
        want, got = has(r.expected), has(r.got)
        hit = want and got and (r.addresses == r.case.addresses or label != "accepted")
        c["tp" if hit else "fp" if got and not want else "fn" if want else "tn"] += 1
        if want and got and not hit:  # accepted, but the wrong addresses: a miss and a false accept
            c["fp"] += 1
    return Score(len(rs), c["tp"], c["fp"], c["fn"])


def table(rs: list[Result]) -> str:
    labels = sorted({r.expected for r in rs} | {r.got for r in rs})
    lines = ["| language | messages | accepted precision | accepted recall | all labels right |", "| --- | --- | --- | --- | --- |"]
    for lang in (*LANGS, "all"):
        part = [r for r in rs if lang in ("all", r.language)]
        s = score(part, "accepted")
        right = sum(r.right for r in part)
        lines.append(f"| {lang} | {len(part)} | {s.precision:.1%} | {s.recall:.1%} | {right}/{len(part)} |")
    lines += ["", "| label | messages | precision | recall |", "| --- | --- | --- | --- |"]
    for label in labels:
        s = score(rs, label)
        lines.append(f"| {label} | {s.tp + s.fn} | {s.precision:.1%} | {s.recall:.1%} |")
    return "\n".join(lines)


def main() -> None:
    rs = results()
    print(table(rs))
    wrong = [r for r in rs if not r.right]
    for r in wrong:
        print(f"\n{r.case.id}: expected {r.expected}, got {r.got}: {r.details}")


if __name__ == "__main__":
    main()
