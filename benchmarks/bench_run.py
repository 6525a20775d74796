"""Benchmark `optout run`: a night of 100,000 mixed records, and one of 100,000 letters of one channel.

Generates a landing zone with the given number of records: a fifth e-mail (support@ mboxes and
cancel@ mail), a twentieth unsubscribe clicks, the rest spread over the CSV channels; runs the nightly
pipeline once on a fresh SQLite store, and prints records/s as JSON, with the ratio to the
target of 20,000 records/s and the machine's load.

With `--night postal_mail` the landing zone holds the accounts snapshot and one postal_mail
file of that many letters only: the single-channel figure.

    python benchmarks/bench_run.py [--records 100000] [--night mixed|postal_mail|both] [--db URL]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.core.clock import FixedClock  # noqa: E402
from pipeline.core.config import Settings  # noqa: E402
from pipeline.orchestration.nightly import run_nightly  # noqa: E402
from pipeline.store.db import make_engine, migrate  # noqa: E402

DAY = "2026-10-10"


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


MAIL_BODIES = (  # {name} and {n}: every message its own signature, some their own numbers, as people write
    ("Unsubscribe", "Please unsubscribe me from your newsletter.\n\nThanks,\n{name}"),
    ("Re: October deals", "Where is my invoice for order {n}?\n\nOn Tue, 6 Oct 2026, ProGiga News wrote:\n> Big sale\n> Unsubscribe: https://x/u/1"),
    ("Automatic reply: October deals", "I am out of the office until Monday."),
    ("Désabonnement", "Bonjour,\n\nMerci de me désabonner de votre lettre d'information.\n\nCordialement,\n{name}"),
    ("Frage", "Bitte melden Sie mich vom Newsletter ab.\n\nMit freundlichen Grüßen\n{name}"),
)
FIRST = ("Sam", "Anne", "Jan", "Maria", "Chen", "Olu", "Priya", "Lars", "Ines", "Tomás")
LAST = ("Lee", "Dubois", "Müller", "Silva", "Wang", "Okafor", "Patel", "Berg", "García", "Novak")


def signature(i: int) -> str:
    """A name no other message in the night signs with."""
    return f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}-{i}"


def mail_and_clicks(root: Path, n_mail: int, n_clicks: int, rng: random.Random) -> None:
    """support@ mboxes (1,000 messages each), cancel@ messages (a fifth of the mail), click logs."""
    from pipeline.core.config import DEV_TOKEN_KEYS, parse_token_keys
    from pipeline.intake.tokens import mint

    n_cancel = n_mail // 5
    for start in range(0, n_mail - n_cancel, 1000):
        chunks = []
        for i in range(start, min(start + 1000, n_mail - n_cancel)):
            subject, body = MAIL_BODIES[i % len(MAIL_BODIES)]
            chunks.append(
                f"From x Sat Oct 10 10:00:00 2026\nFrom: Person {i} <person{i}@example.net>\nTo: support@progiga.example\n"
                f"Subject: {subject}\nDate: Sat, 10 Oct 2026 10:00:00 +0000\nMessage-ID: <m{i}@example.net>\n"
                f"Content-Type: text/plain; charset=utf-8\n\n{body.format(name=signature(i), n=40000 + i)}\n\n"
            )
        (root / "support_inbox" / DAY).mkdir(parents=True, exist_ok=True)
        (root / "support_inbox" / DAY / f"support_{start:06d}.mbox").write_text("".join(chunks), encoding="utf-8")
    cancel = [
        f"From x Sat Oct 10 10:00:00 2026\nFrom: owner{rng.randrange(20000)}@example.com\nTo: cancel@progiga.example\n"
        f"Subject: Cancel\nDate: Sat, 10 Oct 2026 10:00:00 +0000\nMessage-ID: <c{i}@example.com>\n\nPlease close my account.\n\n"
        for i in range(n_cancel)
    ]
    (root / "cancellation" / DAY).mkdir(parents=True, exist_ok=True)
    (root / "cancellation" / DAY / "cancel.mbox").write_text("".join(cancel), encoding="utf-8")
    keys = parse_token_keys(DEV_TOKEN_KEYS)
    issued = datetime(2026, 10, 1, tzinfo=UTC)
    lines = [
        json.dumps(
            {
                "event_id": f"k{i}",
                "occurred_at": f"{DAY}T10:00:00Z",
                "token": mint(keys, f"reader{i}@example.org", "c", issued),
                "method": "POST" if i % 4 else "GET",
                "one_click": True,
                "ip": "192.0.2.1",
                "user_agent": "bench",
            }
        )
        for i in range(n_clicks)
    ]
    (root / "unsubscribe_link" / DAY).mkdir(parents=True, exist_ok=True)
    (root / "unsubscribe_link" / DAY / "clicks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_accounts(root: Path) -> None:
    accounts = [[f"AC{i:06d}", "active", f"owner{i}@example.com", f"+1212{i:07d}", "owner", ""] for i in range(20000)]
    write(root / "accounts" / DAY / "accounts.csv", ["account_id", "status", "email", "phone", "role", "updated_at"], accounts)


def write_letters(root: Path, count: int) -> None:
    letters = [
        [f"L{i}", DAY, f"writer{i}@bücher.example" if i % 10 == 0 else f"writer{i}@example.org", "", "Name", "ref"] for i in range(count)
    ]
    write(root / "postal_mail" / DAY / "letters.csv", ["letter_id", "received_at", "email", "account_id", "name", "reference"], letters)


def generate_letters(root: Path, records: int, rng: random.Random) -> int:
    """A night of one channel: the accounts snapshot and `records` postal_mail letters."""
    write_accounts(root)
    write_letters(root, records)
    return records


def generate(root: Path, records: int, rng: random.Random) -> int:
    write_accounts(root)
    n_mail, n_clicks = records // 5, records // 20  # SPEC §9: 100,000 records of which 20,000 e-mails
    mail_and_clicks(root, n_mail, n_clicks, rng)
    records_csv = records - n_mail - n_clicks
    share = records_csv // 4
    phone = []
    for i in range(share):
        n = rng.randrange(20000)
        how = i % 3
        phone.append(
            [
                f"CALL{i}",
                f"{DAY} 10:00",
                f"(212) {n // 10000:03d}-{n % 10000:04d}" if how == 2 else "",
                f"AC{n:06d}" if how == 0 else "",
                f"Caller{i}@Example.com" if how == 1 else "",
                rng.choice(["OPT_OUT", "BILLING", "CANCEL_ACCOUNT"]),
                "agent",
                "",
            ]
        )
    write(
        root / "phone" / DAY / "calls.csv",
        ["call_id", "started_at", "caller_number", "account_id", "email", "disposition", "agent_id", "notes"],
        phone,
    )
    tickets = [
        [f"T{i}", f"AC{rng.randrange(20000):06d}", f"{DAY}T10:00:00Z", rng.choice(["cancellation", "billing"]), "open", "s"]
        for i in range(share)
    ]
    write(root / "cancellation" / DAY / "tickets.csv", ["ticket_id", "account_id", "created_at", "category", "status", "subject"], tickets)
    prefs = [[f"P{i}", f"U{i}", "", f"user{i}+x@gmail.com", rng.choice(["false", "no", "true"]), f"{DAY}T10:00:00Z"] for i in range(share)]
    write(
        root / "preference_center" / DAY / "changes.csv",
        ["change_id", "user_id", "account_id", "email", "marketing_opt_in", "changed_at"],
        prefs,
    )
    write_letters(root, records_csv - 3 * share)
    return records


NIGHTS = {"mixed": generate, "postal_mail": generate_letters}
TARGET = 20_000  # records/s of one nightly ingest (docs/benchmarks.md)


def measure(night: str, records: int, db: str | None) -> dict[str, object]:
    """One nightly run of a generated night on a fresh store (SQLite unless `db`): its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "landing"
        count = NIGHTS[night](root, records, random.Random(7))
        url = db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        settings = Settings(database_url=url, landing=root)
        start = time.perf_counter()
        summary = run_nightly(engine, settings, date.fromisoformat(DAY), FixedClock(datetime(2026, 10, 11, 2, tzinfo=UTC)))
        seconds = time.perf_counter() - start
        engine.dispose()
    return {
        "night": night,
        "records": count,
        "seconds": round(seconds, 2),
        "records_per_second": round(count / seconds),
        "ratio_to_target": round(count / seconds / TARGET, 3),
        "meets_target": count / seconds >= TARGET,
        "status": summary.status,
        "entries": summary.entries,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--night", choices=[*sorted(NIGHTS), "both"], default="both",
                        help="mixed channels, postal_mail only, or both one after the other")
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    load = os.getloadavg()
    nights = sorted(NIGHTS) if args.night == "both" else [args.night]
    runs = [measure(night, args.records, args.db) for night in nights]
    result = {
        "benchmark": "optout run",
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "load_average_at_start": load},
        "target_records_per_second": TARGET,
        "runs": runs,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
