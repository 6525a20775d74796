"""Benchmark `optout run` (SPEC §9: a night of 100,000 mixed records at >= 5,000 records/s).

Generates a landing zone with the given number of records spread over every registered CSV
channel (and the mail/link channels when their generators are available), runs the nightly
pipeline once on a fresh SQLite store, and prints records/s as JSON.

    python benchmarks/bench_run.py [--records 100000] [--db URL]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.clock import FixedClock  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.runner import run_nightly  # noqa: E402
from pipeline.store.db import make_engine, migrate  # noqa: E402

DAY = "2026-10-10"


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def generate(root: Path, records: int, rng: random.Random) -> int:
    accounts = [[f"AC{i:06d}", "active", f"owner{i}@example.com", f"+1212{i:07d}", "owner", ""] for i in range(20000)]
    write(root / "accounts" / DAY / "accounts.csv", ["account_id", "status", "email", "phone", "role", "updated_at"], accounts)
    share = records // 4
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
    rest = records - 3 * share
    letters = [
        [f"L{i}", DAY, f"writer{i}@bücher.example" if i % 10 == 0 else f"writer{i}@example.org", "", "Name", "ref"] for i in range(rest)
    ]
    write(root / "postal_mail" / DAY / "letters.csv", ["letter_id", "received_at", "email", "account_id", "name", "reference"], letters)
    return records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "landing"
        count = generate(root, args.records, random.Random(7))
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        settings = Settings(database_url=url, landing=root)
        start = time.perf_counter()
        summary = run_nightly(engine, settings, date.fromisoformat(DAY), FixedClock(datetime(2026, 10, 11, 2, tzinfo=UTC)))
        seconds = time.perf_counter() - start
    result = {
        "benchmark": "optout run",
        "records": count,
        "seconds": round(seconds, 2),
        "records_per_second": round(count / seconds),
        "target_records_per_second": 5000,
        "meets_target": count / seconds >= 5000,
        "status": summary.status,
        "entries": summary.entries,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
