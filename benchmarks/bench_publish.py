"""What publishing a few new opt-outs costs on a big list: 20 opt-outs published (version,
digest, entries) and the list snapshot a check loads stored, on a store holding
`--suppressions` (default 2,000,000) and, as the baseline in the same run, on an empty store.
Prints seconds and bytes written as JSON, and the size of the stored snapshot and whether it is
whole or a delta over the seeded version's (pipeline/check/deltas.py).

    python -m benchmarks.bench_publish [--suppressions 2000000] [--new 20]

The 20 opt-outs arrive as an intraday run's would (`optout import` of a 20-address file: one
event each, published in the same transaction); the store is SQLite, and the bytes written are
what this process handed to write() meanwhile (`wchar` of /proc/self/io)."""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.run import machine


def _written() -> int:
    """Bytes this process has passed to write() so far (database pages, WAL frames, files)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def measure(work: Path, existing: int, new: int) -> dict[str, Any]:
    """Seed `existing` suppressions (written directly), then publish `new` opt-outs and store the
    snapshot, each timed."""
    from benchmarks.seed import seed_store
    from pipeline.audit.adopt import adopt_file
    from pipeline.check import snapshots
    from pipeline.core.clock import SystemClock
    from pipeline.core.config import Settings
    from pipeline.store.db import make_engine, migrate
    from pipeline.store.schema import list_snapshots

    db = work / "optout.db"
    settings = Settings(database_url=f"sqlite:///{db}", landing=work / "landing")
    engine = make_engine(settings.database_url)
    if existing:
        seed_store(settings, (f"listed{i}@example{i % 97}.com" for i in range(existing)), datetime.now(UTC))
    else:
        migrate(engine)
    fresh = work / "new.csv"
    fresh.write_text("email\n" + "".join(f"new{i}@example.org\n" for i in range(new)), encoding="utf-8")
    before = _written()
    start = time.perf_counter()
    report = adopt_file(engine, settings, SystemClock(), fresh, "intraday benchmark")
    published = time.perf_counter() - start
    written_publish = _written() - before
    start = time.perf_counter()
    snapshots.refresh(engine, settings.hash_key)
    snapshot = time.perf_counter() - start
    with engine.connect() as conn:
        row = conn.execute(sa.select(list_snapshots.c.size, list_snapshots.c.base)
                           .order_by(list_snapshots.c.version.desc()).limit(1)).one()
    engine.dispose()
    return {"existing": existing, "new": report.imported, "version": report.version,
            "publish_seconds": round(published, 3), "snapshot_seconds": round(snapshot, 3),
            "total_seconds": round(published + snapshot, 3), "snapshot_bytes": row.size,
            "snapshot_stored_as": "whole" if row.base is None else f"delta over version {row.base}",
            "bytes_written_publish": written_publish, "bytes_written_total": _written() - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppressions", type=int, default=int(os.environ.get("BENCH_SUPPRESSIONS", 2_000_000)))
    parser.add_argument("--new", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="optout-publish-") as a, tempfile.TemporaryDirectory(prefix="optout-publish-") as b:
        baseline = measure(Path(a), 0, args.new)
        big = measure(Path(b), args.suppressions, args.new)
    print(json.dumps({"machine": machine(), "publish_empty_store": baseline, "publish_big_store": big,
                      "ratio_to_empty_store": round(big["total_seconds"] / max(baseline["total_seconds"], 1e-6), 1),
                      "target": "well under a second, kilobytes written"}, indent=2))


if __name__ == "__main__":
    main()
