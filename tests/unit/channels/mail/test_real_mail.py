"""Real mail from other projects' test suites (../shared/corpora/mail, see each SOURCE.txt):
Sisimai's set-of-emails (BSD-2-Clause), flanker's fixtures (Apache-2.0), the Ruby mail gem's
multipart reports (MIT). Every message goes through the support_inbox reader and classifier
and must end in SPEC §2.2's outcome and reason; none may crash or be lost."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.channels import support_inbox
from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import ChannelContext
from pipeline.intake.landing import LandedFile

pytestmark = [pytest.mark.unit, pytest.mark.corpora]

# Sisimai's verdicts mapped to SPEC §2.2, where the mapping is not the family's default.
SISIMAI_EXCEPTIONS = {
    # RFC 5965 reports whose reported message is addressed to "undisclosed": no complaining
    # recipient can be named, so an operator decides.
    "arf-11.eml": ("needs_review", "unclear"),
    "arf-15.eml": ("needs_review", "unclear"),
    # Apple Mail's unsubscribe button: a message (Auto-Submitted, X-Apple-Unsubscribe: true,
    # subject "unsubscribe") to the List-Unsubscribe mailto. Not ARF by its content type, but a
    # person's opt-out: accepted for the sender.
    "arf-26.eml": ("accepted", "optout"),
    # An Amazon SES complaint notification relayed by SNS: the complained-of recipient.
    "lhost-amazonses-11.eml": ("accepted", "complaint"),
    # A person forwarding a bounce with "Forward the message.": not a DSN, not an opt-out.
    "lhost-sendmail-14.eml": ("ignored", "not_optout"),
}
FLANKER = {
    "bounce/mailbox-full.eml": ("ignored", "bounce"),
    "bounce/zed.eml": ("ignored", "bounce"),
    "bounce/delayed-broken.eml": ("ignored", "bounce"),
    "bounce/gmail-no-dns.eml": ("ignored", "bounce"),
    "bounce/broken-mime.eml": ("ignored", "bounce"),
    "bounce/gmail-invalid-address.eml": ("ignored", "bounce"),
    "bounce/delayed.eml": ("ignored", "bounce"),
    "bounce/no-mx.eml": ("ignored", "bounce"),
    "bounce/office365.eml": ("ignored", "bounce"),
    "complaints/aol.eml": ("accepted", "complaint"),
    "complaints/yahoo.eml": ("accepted", "complaint"),
    # A read receipt (RFC 8098) is machine-sent: ignored with the auto-reply reason.
    "disposition-notification.eml": ("ignored", "auto_reply"),
    "signed-regular-message.eml": ("ignored", "not_optout"),
}
COMPLAINANTS = {  # the complaining recipient named by each report (spot checks)
    "arf-02.eml": {"this-local-part-does-not-exist-on-yahoo@yahoo.com"},
    "arf-12.eml": {"user@example.com"},
    "arf-17.eml": {"kijitora@example.com", "sabatora@example.net"},
    "arf-22.eml": {"kijitora@example.com"},
    "arf-26.eml": {"example@icloud.com"},
    "lhost-amazonses-11.eml": {"complaint@simulator.amazonses.com"},
    "yahoo.eml": {"user@yahoo.com"},
}


def sisimai_expected(name: str) -> tuple[str, str]:
    if name in SISIMAI_EXCEPTIONS:
        return SISIMAI_EXCEPTIONS[name]
    if name.startswith("arf-"):
        return ("accepted", "complaint")
    if name.startswith("rfc3834-"):
        return ("ignored", "auto_reply")
    return ("ignored", "bounce")  # lhost-*, rhost-*, rfc3464-*


def read_one(path: Path):  # type: ignore[no-untyped-def]
    ctx = ChannelContext(Settings(), AccountIndex(), LandedFile("support_inbox", path, date(2026, 10, 9), "0" * 64, path.stat().st_size))
    records = list(support_inbox.read(path, ctx))
    assert len(records) == 1, f"{path.name}: {len(records)} records"
    return records[0]


def check(path: Path, expected: tuple[str, str], failures: list[str]) -> None:
    record = read_one(path)
    got = (str(record.outcome), record.reason)
    if got != expected:
        failures.append(f"{path.name}: expected {expected}, got {got}: {record.details}")
    want = COMPLAINANTS.get(path.name)
    if want is not None and {r.address for r in record.requests} != want:
        failures.append(f"{path.name}: opted out {[r.address for r in record.requests]}, expected {sorted(want)}")
    if got[0] == "accepted":
        reporter = {a.lower() for a in record.raw.get("senders", [])}
        if got[1] == "complaint" and reporter & {r.address.lower() for r in record.requests}:
            failures.append(f"{path.name}: the reporter, not the complaining recipient, was opted out")


def test_sisimai_maildir(corpora: Path) -> None:
    root = corpora / "mail" / "sisimai"
    expected = json.loads((root / "expected.json").read_text())
    files = sorted((root / "maildir-bsd").glob("*.eml"))
    assert len(files) == 589 and len(expected) >= 588
    failures: list[str] = []
    for path in files:
        check(path, sisimai_expected(path.name), failures)
    for path in sorted((root / "not-bounce").glob("*.eml")):
        check(path, ("ignored", "not_optout"), failures)
    assert not failures, f"{len(failures)} of {len(files)} wrong:\n" + "\n".join(failures)


@pytest.mark.parametrize(("name", "expected"), sorted(FLANKER.items()))
def test_flanker(corpora: Path, name: str, expected: tuple[str, str]) -> None:
    failures: list[str] = []
    check(corpora / "mail" / "flanker" / name, expected, failures)
    assert not failures, failures


@pytest.mark.parametrize(
    "name",
    ["multi_address_bounce1.eml", "multi_address_bounce2.eml", "multipart_report_multiple_status.eml", "report_422.eml", "report_530.eml"],
)
def test_ruby_mail_reports(corpora: Path, name: str) -> None:
    failures: list[str] = []
    check(corpora / "mail" / "ruby-mail" / name, ("ignored", "bounce"), failures)
    assert not failures, failures


def test_every_file_is_covered(corpora: Path) -> None:
    """A new file in the corpus must get an expectation here, not be skipped silently."""
    flanker = {str(p.relative_to(corpora / "mail" / "flanker")) for p in (corpora / "mail" / "flanker").rglob("*.eml")}
    assert flanker == set(FLANKER)
