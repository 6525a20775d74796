"""The accounts reference snapshot (SPEC §2): who holds which account, by address and phone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.core.addresses import Address, try_parse
from pipeline.core.errors import QuarantineError
from pipeline.intake.csvfiles import read_rows
from pipeline.intake.landing import ACCOUNTS, ACCOUNTS_FILE, LandingWarning, Refused, checked_path, walk_channel
from pipeline.intake.phones import to_e164

COLUMNS = ("account_id", "status", "email", "phone", "role", "updated_at")


@dataclass
class AccountIndex:
    """Contacts of every account, and the accounts behind an address key or a phone number."""

    snapshot: str = ""  # path of the snapshot read, for the run's record
    contacts: dict[str, list[Address]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # Contact phones as written; read to E.164 only when a call first needs them.
    phones: list[tuple[str, str, str]] = field(default_factory=list)
    _by_phone: dict[str, set[str]] | None = None
    # What a run should know about the snapshot chosen: newer ones passed over, or none at all;
    # `problem` when snapshots exist and none can be read.
    warnings: list[LandingWarning] = field(default_factory=list)
    problem: str = ""

    def add(self, account_id: str, email: str, phone: str, region: str) -> None:
        address = try_parse(email)
        if address is not None and address not in self.contacts[account_id]:
            self.contacts[account_id].append(address)
            self.by_key[address.key].add(account_id)
        else:
            self.contacts.setdefault(account_id, [])
        if phone.strip():
            self.phones.append((phone, region, account_id))
            self._by_phone = None

    @property
    def by_phone(self) -> dict[str, set[str]]:
        if self._by_phone is None:
            index: dict[str, set[str]] = defaultdict(set)
            for phone, region, account_id in self.phones:
                e164 = to_e164(phone, region)
                if e164:
                    index[e164].add(account_id)
            self._by_phone = index
        return self._by_phone

    def known(self, account_id: str) -> bool:
        return account_id in self.contacts

    def contacts_of(self, account_id: str) -> list[Address]:
        return list(self.contacts.get(account_id, ()))

    def accounts_of(self, address: Address) -> set[str]:
        return set(self.by_key.get(address.key, ()))

    def accounts_by_phone(self, e164: str) -> set[str]:
        return set(self.by_phone.get(e164, ()))


def snapshot_candidates(landing: Path, on_or_before: date) -> list[tuple[date, Path]]:
    """Every `accounts/<date>/accounts.csv` dated on or before the day, newest first."""
    return list(reversed(walk_channel(landing, ACCOUNTS, (ACCOUNTS_FILE,), on_or_before).files))


def snapshot_path(landing: Path, on_or_before: date) -> Path | None:
    """The newest `accounts/<date>/accounts.csv` dated on or before the given day."""
    candidates = snapshot_candidates(landing, on_or_before)
    return candidates[0][1] if candidates else None


def load_accounts(landing: Path, on_or_before: date, region: str) -> AccountIndex:
    """The newest readable snapshot dated on or before the day. A newer one that cannot be read
    (not opened, wrong columns, binary, truncated) is passed over with a warning; when there is
    no snapshot the index is empty with a warning, and when none can be read the index is
    empty and `problem` says so (the run then ends failed)."""
    broken: list[LandingWarning] = []
    for _day, path in snapshot_candidates(landing, on_or_before):
        try:
            index = read_snapshot(landing, path, region)
        except (Refused, QuarantineError) as exc:
            broken.append(LandingWarning(str(path), f"unreadable accounts snapshot: {_without_path(str(exc), path)}"))
            continue
        index.warnings = [LandingWarning(w.path, f"{w.reason}; the older snapshot {path} is used") for w in broken]
        return index
    if broken:
        return AccountIndex(warnings=broken, problem=f"no readable accounts snapshot dated on or before {on_or_before}: {broken[0]}")
    reason = f"no accounts snapshot dated on or before {on_or_before}: records naming only an account wait in review"
    return AccountIndex(warnings=[LandingWarning(str(landing / ACCOUNTS), reason)])


def read_snapshot(landing: Path, path: Path, region: str) -> AccountIndex:
    """Every contact row of one snapshot, read from the file as checked (`pipeline.intake.landing`)."""
    index = AccountIndex(snapshot=str(path))
    for row in read_rows(checked_path(landing, path), ("account_id", "email")):
        account_id = row.values["account_id"]
        if account_id:
            index.add(account_id, row.values.get("email", ""), row.values.get("phone", ""), region)
    return index


def _without_path(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
