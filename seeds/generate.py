"""Generate the demo landing zone under seeds/landing (deterministic: same files every time).

Three nights, 2026-10-08 (Thu) to 2026-10-10 (Sat), with the messiness real exports have:
typed addresses with typos, phone numbers written every which way, the same person asking on
two channels, a resent export, a withdrawn cancellation, a re-consent, a Windows-1252 letters
file from a spreadsheet, an unclear preference value, a shared phone, and a call log that lands
late in an earlier day's folder (seeds/late.json says which night first sees it).

Run: python seeds/generate.py   (rewrites seeds/landing, seeds/late.json, seeds/campaign.csv)
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

HERE = Path(__file__).parent
LANDING = HERE / "landing"
DAYS = ("2026-10-08", "2026-10-09", "2026-10-10")
FIRST = [
    "Alice",
    "Bruno",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farah",
    "Gustavo",
    "Hana",
    "Ian",
    "Júlia",
    "Kofi",
    "Lena",
    "Marta",
    "Noah",
    "Olga",
    "Pierre",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Yusuf",
    "Zoë",
]
LAST = [
    "Smith",
    "Müller",
    "García",
    "Dubois",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Rossi",
    "Silva",
    "Tanaka",
    "Johansson",
    "Lefèvre",
    "Muñoz",
    "O'Brien",
    "Novak",
    "Haddad",
]
DOMAINS = [
    "example.com",
    "example.org",
    "mail.example.net",
    "gmail.com",
    "googlemail.com",
    "outlook.example",
    "hosting-customer.example",
    "bücher.example",
]


def person(rng: random.Random, i: int) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = DOMAINS[i % len(DOMAINS)]
    local = f"{first}.{last}".lower().replace("'", "")
    local = local.encode("ascii", "ignore").decode() or f"user{i}"
    if domain in ("gmail.com", "googlemail.com") and i % 3 == 0:
        local = local.replace(".", "")
    return first, last, f"{local}{i}@{domain}"


def phone_style(rng: random.Random, digits: str) -> str:
    area, mid, end = digits[:3], digits[3:6], digits[6:]
    styles = [
        f"({area}) {mid}-{end}",
        f"+1 {area} {mid} {end}",
        f"{area}.{mid}.{end}",
        f"1-{area}-{mid}-{end}",
        f"{area}{mid}{end}",
        f"+1{area}{mid}{end}",
        f"{area}-{mid}-{end} ext 12",
        f"tel:+1-{area}-{mid}-{end}",
    ]
    return rng.choice(styles)


def accounts(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for n in range(1, 121):
        account_id = f"AC{n:04d}"
        digits = f"212555{n:04d}"
        contacts = 1 + (n % 3 == 0) + (n % 10 == 0)
        for c in range(contacts):
            first, last, email = person(rng, n * 10 + c)
            role = ("owner", "billing", "technical")[c]
            phone = digits if c == 0 else ""
            rows.append(
                {
                    "account_id": account_id,
                    "status": "active" if n % 17 else "suspended",
                    "email": email,
                    "phone": phone_style(rng, phone) if phone else "",
                    "role": role,
                    "updated_at": "2026-09-30T12:00:00Z",
                }
            )
    # Two accounts of one household share a phone number: a call from it cannot be resolved alone.
    rows.append(
        {
            "account_id": "AC0121",
            "status": "active",
            "email": "pat.household@example.org",
            "phone": "(646) 555-0188",
            "role": "owner",
            "updated_at": "2026-09-30T12:00:00Z",
        }
    )
    rows.append(
        {
            "account_id": "AC0122",
            "status": "active",
            "email": "sam.household@example.org",
            "phone": "646-555-0188",
            "role": "owner",
            "updated_at": "2026-09-30T12:00:00Z",
        }
    )
    rows.append(
        {
            "account_id": "AC0123",
            "status": "active",
            "email": "josé.núñez@correo.example",
            "phone": "+34 912 345 678",
            "role": "owner",
            "updated_at": "2026-09-30T12:00:00Z",
        }
    )
    return rows


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def typo(rng: random.Random, email: str) -> str:
    local, _, domain = email.partition("@")
    kind = rng.randrange(4)
    if kind == 0:
        return f"{local}@@{domain}"  # invalid: resolved through the account instead
    if kind == 1:
        return f" {local.upper()}@{domain} "  # case and whitespace: still the same key
    if kind == 2:
        return f"{local}+support@{domain}"  # a tag: same match key
    return f"<{local}@{domain}>"


def calls(rng: random.Random, acc: list[dict[str, str]], day: str, start: int, n: int) -> list[dict[str, str]]:
    owners = [r for r in acc if r["role"] == "owner" and r["phone"]]
    rows = []
    for i in range(n):
        who = rng.choice(owners)
        disposition = rng.choices(["OPT_OUT", "opt_out", "CANCEL_ACCOUNT", "BILLING", "TECH_SUPPORT"], [5, 2, 1, 3, 3])[0]
        how = rng.randrange(4)
        row = {
            "call_id": f"CALL-{day.replace('-', '')}-{start + i:04d}",
            "started_at": f"{day} {8 + i % 10:02d}:{(7 * i) % 60:02d}",
            "caller_number": who["phone"],
            "account_id": "",
            "email": "",
            "disposition": disposition,
            "agent_id": f"agent{1 + i % 6}",
            "notes": "",
        }
        if how == 0:
            row["account_id"] = who["account_id"]
        elif how == 1:
            row["email"] = typo(rng, who["email"])
        elif how == 2:
            row["email"] = who["email"]
            row["notes"] = "customer spelled the address"
        rows.append(row)
    return rows


HEADERS = {
    "phone": ["call_id", "started_at", "caller_number", "account_id", "email", "disposition", "agent_id", "notes"],
    "cancellation": ["ticket_id", "account_id", "created_at", "category", "status", "subject"],
    "preference_center": ["change_id", "user_id", "account_id", "email", "marketing_opt_in", "changed_at"],
    "postal_mail": ["letter_id", "received_at", "email", "account_id", "name", "reference"],
}


def main() -> None:
    rng = random.Random(20261008)
    if LANDING.exists():
        shutil.rmtree(LANDING)
    acc = accounts(rng)
    write_csv(LANDING / "accounts" / DAYS[0] / "accounts.csv", ["account_id", "status", "email", "phone", "role", "updated_at"], acc)
    by_account = {}
    for r in acc:
        by_account.setdefault(r["account_id"], []).append(r)
    emails = [r["email"] for r in acc]

    # phone: ~40 calls a night; night 2 resends night 1's last five calls (duplicates); special cases.
    day1 = calls(rng, acc, DAYS[0], 1, 40)
    day1.append(
        {
            "call_id": "CALL-20261008-0900",
            "started_at": "2026-10-08 17:45",
            "caller_number": "(646) 555-0188",
            "account_id": "",
            "email": "",
            "disposition": "OPT_OUT",
            "agent_id": "agent2",
            "notes": "shared household line",
        }
    )
    day1.append(
        {
            "call_id": "CALL-20261008-0901",
            "started_at": "not recorded",
            "caller_number": "+44 20 7946 0958",
            "account_id": "",
            "email": "",
            "disposition": "OPT_OUT",
            "agent_id": "agent3",
            "notes": "caller from abroad, no account",
        }
    )
    day2 = calls(rng, acc, DAYS[1], 1, 38) + day1[35:40]
    day3 = calls(rng, acc, DAYS[2], 1, 30)
    for day, rows in zip(DAYS, (day1, day2, day3), strict=True):
        write_csv(LANDING / "phone" / day / f"calls_{day}.csv", HEADERS["phone"], rows)
    late = calls(rng, acc, DAYS[0], 500, 6)  # the evening shift's log, exported a day late
    write_csv(LANDING / "phone" / DAYS[0] / "calls_evening_shift.csv", HEADERS["phone"], late)

    # cancellation tickets: most are not cancellations; one cancellation is withdrawn, one rejected.
    for d, day in enumerate(DAYS):
        rows = []
        for i in range(1, 21):
            n = 1 + (d * 20 + i * 7) % 120
            category = rng.choices(["cancellation", "billing", "technical", "domain_transfer"], [3, 4, 4, 1])[0]
            status = "open" if category != "cancellation" else rng.choice(["open", "closed", "open"])
            rows.append(
                {
                    "ticket_id": f"TKT-{d + 1}{i:03d}",
                    "account_id": f"AC{n:04d}",
                    "created_at": f"{day}T{9 + i % 9:02d}:15:00-04:00",
                    "category": category.upper() if i % 5 == 0 else category,
                    "status": status,
                    "subject": "Please close my hosting account" if category == "cancellation" else f"{category} question",
                }
            )
        rows[0].update(category="cancellation", status="withdrawn", subject="Cancel my account (changed my mind, see follow-up)")
        rows[1].update(category="Cancellation", status="rejected", subject="cancel account (not the account holder)")
        rows[2].update(category="cancellation", status="open", account_id="AC9999", subject="cancel, account not in snapshot")
        write_csv(LANDING / "cancellation" / day / f"tickets_{day}.csv", HEADERS["cancellation"], rows)

    # preference center: opt-outs in every spelling, an unclear value, and a re-consent on night 3
    # by someone who opted out on night 1.
    reconsent = emails[7]
    for d, day in enumerate(DAYS):
        rows = []
        for i in range(1, 26):
            email = emails[(d * 31 + i * 11) % len(emails)]
            value = rng.choice(["false", "0", "no", "N", "FALSE", "true", "yes"])
            rows.append(
                {
                    "change_id": f"PC-{d + 1}-{i:03d}",
                    "user_id": f"U{1000 + i}",
                    "account_id": "",
                    "email": email,
                    "marketing_opt_in": value,
                    "changed_at": f"{day}T{10 + i % 12:02d}:{i:02d}:00Z",
                }
            )
        if d == 0:
            rows.append(
                {
                    "change_id": "PC-1-900",
                    "user_id": "U900",
                    "account_id": "",
                    "email": reconsent,
                    "marketing_opt_in": "false",
                    "changed_at": f"{day}T07:00:00Z",
                }
            )
            rows.append(
                {
                    "change_id": "PC-1-901",
                    "user_id": "U901",
                    "account_id": "",
                    "email": emails[9],
                    "marketing_opt_in": "maybe",
                    "changed_at": f"{day}T07:30:00Z",
                }
            )
        if d == 2:
            rows.append(
                {
                    "change_id": "PC-3-900",
                    "user_id": "U900",
                    "account_id": "",
                    "email": reconsent,
                    "marketing_opt_in": "true",
                    "changed_at": f"{day}T08:00:00Z",
                }
            )
        write_csv(LANDING / "preference_center" / day / f"changes_{day}.csv", HEADERS["preference_center"], rows)

    # postal mail: typed by the privacy team; night 2's file comes from a spreadsheet in Windows-1252.
    for d, day in enumerate(DAYS):
        rows = []
        for i in range(1, 9):
            n = 1 + (d * 13 + i * 17) % 120
            contact = by_account[f"AC{n:04d}"][0]
            has_email = i % 3 != 0
            rows.append(
                {
                    "letter_id": f"LTR-{d + 1}{i:02d}",
                    "received_at": f"{day}",
                    "email": contact["email"] if has_email else "",
                    "account_id": "" if has_email and i % 2 else f"AC{n:04d}",
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "reference": "Customer Privacy Department",
                }
            )
        rows.append(
            {
                "letter_id": f"LTR-{d + 1}99",
                "received_at": f"{day}",
                "email": "",
                "account_id": "",
                "name": "Zoë Lefèvre-Muñoz",
                "reference": "handwritten, no address legible",
            }
        )
        if d == 2:  # a typed address nobody can use, and no account to fall back on
            rows.append(
                {
                    "letter_id": "LTR-3-077",
                    "received_at": day,
                    "email": "jane.doe@@example",
                    "account_id": "",
                    "name": "Jane Doe",
                    "reference": "typed from a scanned letter",
                }
            )
            rows.append(
                {
                    "letter_id": "LTR-3-078",
                    "received_at": day,
                    "email": "JOSÉ.NÚÑEZ@correo.example",
                    "account_id": "",
                    "name": "José Núñez",
                    "reference": "Carta en español",
                }
            )
        # The same person who called on night 1 also writes in (two channels, one suppression).
        if d == 1:
            rows.append(
                {
                    "letter_id": "LTR-2-050",
                    "received_at": day,
                    "email": day1[3]["email"].strip(" <>").replace("@@", "@") or by_account[day1[3]["account_id"] or "AC0001"][0]["email"],
                    "account_id": "",
                    "name": "François Dubois",
                    "reference": "also phoned",
                }
            )
        encoding = "cp1252" if d == 1 else "utf-8"
        write_csv(LANDING / "postal_mail" / day / f"letters_{day}.csv", HEADERS["postal_mail"], rows, encoding)

    (HERE / "late.json").write_text(
        json.dumps({"phone/2026-10-08/calls_evening_shift.csv": "2026-10-09"}, indent=2) + "\n", encoding="utf-8"
    )
    write_campaign(rng, acc)


def write_campaign(rng: random.Random, acc: list[dict[str, str]]) -> None:
    """A campaign list: customers (some written differently from the accounts file) and prospects."""
    rows = []
    for i, r in enumerate(acc):
        email = r["email"]
        local, _, domain = email.partition("@")
        variant = i % 6
        if variant == 1:
            email = email.upper()
        elif variant == 2:
            email = f"{local}+newsletter@{domain}"
        elif variant == 3 and domain == "gmail.com":
            email = f"{local[:2]}.{local[2:]}@googlemail.com"
        rows.append({"customer_id": f"C{i:04d}", "first_name": r["email"].split(".")[0].title(), "email": email, "segment": "customer"})
    for i in range(60):
        rows.append(
            {
                "customer_id": f"P{i:04d}",
                "first_name": rng.choice(FIRST),
                "email": f"prospect{i}@{rng.choice(DOMAINS)}",
                "segment": "prospect",
            }
        )
    rows.append({"customer_id": "P9998", "first_name": "Broken", "email": "not an address", "segment": "prospect"})
    rows.append({"customer_id": "P9999", "first_name": '=HYPERLINK("http://x")', "email": "formula@example.com", "segment": "prospect"})
    write_csv(HERE / "campaign.csv", ["customer_id", "first_name", "email", "segment"], rows)


if __name__ == "__main__":
    main()
