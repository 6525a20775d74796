"""The accounts reference snapshot (SPEC §2): who holds which account, by address and phone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.addresses import Address, try_parse
from pipeline.csvfiles import read_rows
from pipeline.landing import dated_folders
from pipeline.phones import to_e164

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


def snapshot_path(landing: Path, on_or_before: date) -> Path | None:
    """The newest `accounts/<date>/accounts.csv` dated on or before the given day."""
    for _day, folder in reversed(dated_folders(landing / "accounts", on_or_before)):
        candidate = folder / "accounts.csv"
        if candidate.is_file():
            return candidate
    return None


def load_accounts(landing: Path, on_or_before: date, region: str) -> AccountIndex:
    """Read the snapshot for a run; an empty index when there is none."""
    path = snapshot_path(landing, on_or_before)
    index = AccountIndex()
    if path is None:
        return index
    index.snapshot = str(path)
    for row in read_rows(path, ("account_id", "email")):
        account_id = row.values["account_id"]
        if account_id:
            index.add(account_id, row.values.get("email", ""), row.values.get("phone", ""), region)
    return index
