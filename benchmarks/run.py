"""`make bench`: SPEC §9 figures in one run on one machine, printed as JSON.

    python -m benchmarks.run [--rows 10000000] [--suppressions 2000000] [--sample 100000]
                             [--diff-rows 1000000] [--keys-rows 2000000] [--idn-share 0.3]
                             [--list-rows 2000000]
                             [--http-requests 5000] [--repeat 3] [--keep DIR]

Steps: generate the recipients and the list (into a temporary folder), time the floor (read and
write the same CSV, no work) and our `optout check` end to end (the CLI, list load included),
alternately, three times each (medians compared), the
plain approach on a sample (extrapolated), DuckDB for reference; check that our output equals the
plain approach's on the sample; run the 1,000,000-row differential test of the fast keys; load
the HTTP lookup at 500 requests per second; time the match keys of a 2,000,000-cell mix with 30 %
internationalised addresses (benchmarks.bench_keys); check a 2,000,000-row realistic list and one with
30 % internationalised addresses end to end against the floor on each (LIST_MIXES). Every timed step is its own process, so its peak
memory (max RSS) is its own.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"rows_per_second": 1_000_000, "floor_ratio_max": 1.75, "plain_speedup_min": 30, "peak_gib_max": 4.0,
           "lookup_p99_ms_max": 10.0}
# The common list size, end to end (the CLI, list load included) against the floor on the same file.
LIST_MIXES = {"realistic": (0.004, 2.5), "international": (0.3, 4.0)}  # name: (internationalised share, max ratio)


def run_child(cmd: list[str]) -> tuple[float, float, str]:
    """(seconds, peak resident GiB, stdout) of `python …` run under benchmarks.peak: the peak of
    the process and every worker it started, together."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        wrapped = [cmd[0], "-m", "benchmarks.peak", peak.name, *cmd[1:]]
        start = time.perf_counter()
        child = subprocess.run(wrapped, capture_output=True, env=env, text=True)
        seconds = time.perf_counter() - start
        if child.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:6])} failed ({child.returncode}): {child.stderr[-2000:]}")
        _own, tree = (int(v) for v in (Path(peak.name).read_text() or "0 0").split())
        return seconds, tree / (1024 * 1024), child.stdout


def startup_seconds(db: str) -> float:
    """What `optout` costs before it reads a row: the interpreter, imports, the store check."""
    start = time.perf_counter()
    subprocess.run(optout(db, "check", "--help"), capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


def py(*args: str) -> list[str]:
    return [sys.executable, *args]


def optout(db: str, *args: str) -> list[str]:
    return py("-c", "from pipeline.cli import main; main()", "--db", db, *args)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.reader(fh) if row]


def prepare(work: Path, rows: int, suppressions: int, sample: int) -> dict[str, Any]:
    from benchmarks.generate import suppressed_addresses, write_recipients
    from benchmarks.seed import seed_store
    from pipeline.core.config import Settings

    start = time.perf_counter()
    write_recipients(work / "recipients.csv", rows)
    with (work / "recipients.csv").open(encoding="utf-8") as src, (work / "sample.csv").open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i > sample:
                break
            dst.write(line)
    settings = Settings(database_url=f"sqlite:///{work / 'optout.db'}")
    entries = seed_store(settings, suppressed_addresses(rows, suppressions), datetime.now(UTC))
    _export_keys(settings.database_url, work / "keys.parquet")
    return {"database_url": settings.database_url, "entries": entries, "prepare_seconds": time.perf_counter() - start,
            "input_bytes": (work / "recipients.csv").stat().st_size}


def _export_keys(db_url: str, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        keys = [r[0] for r in conn.exec_driver_sql("SELECT match_key FROM suppressions WHERE match_key IS NOT NULL")]
    pq.write_table(pa.table({"match_key": pa.array(keys, pa.string())}), path)
    engine.dispose()


def measure_check(work: Path, db: str, rows: int, sample: int, repeat: int) -> dict[str, Any]:
    """Floor and ours (medians of `repeat` runs), ours with --removed, ours without a stored
    snapshot, plain on the sample, DuckDB; identical output on the sample."""
    src = work / "recipients.csv"
    result: dict[str, Any] = {}
    start = time.perf_counter()
    shutil.copyfile(src, work / "copy.csv")
    result["byte_copy_seconds"] = time.perf_counter() - start
    # Floor and ours alternate, `repeat` times each, and the medians are compared: writing 600 MB
    # to this kind of VM's disk alone varies by a second from one run to the next.
    floors, ours, out = [], [], ""
    for _ in range(repeat):
        seconds, floor_peak, _ = run_child(py("-m", "benchmarks.approaches", "floor", str(src), str(work / "floor.csv")))
        floors.append(seconds)
        seconds, peak, out = run_child(optout(db, "check", str(src), "--output", str(work / "ours.csv"), "--json"))
        ours.append(seconds)
    seconds = statistics.median(floors)
    result["floor"] = {"seconds": seconds, "runs": floors, "peak_gib": floor_peak, "rows_per_second": rows / seconds}
    seconds = statistics.median(ours)
    result["ours"] = {"seconds": seconds, "runs": ours, "peak_gib": peak, "rows_per_second": rows / seconds,
                      "summary": json.loads(out), "cli_startup_seconds": startup_seconds(db)}
    seconds, peak, _ = run_child(optout(db, "check", str(src), "--output", str(work / "ours2.csv"),
                                        "--removed", str(work / "removed.csv"), "--json"))
    result["ours_with_removed"] = {"seconds": seconds, "peak_gib": peak, "rows_per_second": rows / seconds}
    # The first check of a version that has no stored snapshot (published by `optout add`, or
    # after an erasure) builds it from `suppressions` and stores it.
    _drop_snapshots(db)
    seconds, peak, _ = run_child(optout(db, "check", str(src), "--output", str(work / "ours3.csv"), "--json"))
    result["ours_without_snapshot"] = {"seconds": seconds, "peak_gib": peak, "rows_per_second": rows / seconds}
    result["plain"] = measure_plain(work, db, rows, sample)
    try:
        seconds, peak, _ = run_child(py("-m", "benchmarks.approaches", "duckdb", str(src), str(work / "duck.csv"),
                                        str(work / "keys.parquet")))
        result["duckdb_reference"] = {"seconds": seconds, "peak_gib": peak, "rows_per_second": rows / seconds}
    except RuntimeError as exc:
        result["duckdb_reference"] = {"error": str(exc)[:300]}
    return result


def measure_lists(work: Path, db: str, rows: int, repeat: int) -> dict[str, Any]:
    """`optout check` of a `rows`-row list of each mix of LIST_MIXES against the floor on the
    same file, alternately, `repeat` times each; the ratio of the medians."""
    from benchmarks.generate import write_recipients

    result: dict[str, Any] = {"rows": rows}
    for name, (share, max_ratio) in LIST_MIXES.items():
        src = work / f"list-{name}.csv"
        write_recipients(src, rows, idn_share=share)
        floors, ours, out = [], [], "{}"
        for _ in range(repeat):
            floors.append(run_child(py("-m", "benchmarks.approaches", "floor", str(src), str(work / "floor.csv")))[0])
            seconds, _peak, out = run_child(optout(db, "check", str(src), "--output", str(work / "ours.csv"), "--json"))
            ours.append(seconds)
        ratio = statistics.median(ours) / statistics.median(floors)
        result[name] = {"internationalised_share": share, "floor_runs": floors, "ours_runs": ours, "summary": json.loads(out),
                        "ours_over_floor": ratio, "max_ratio": max_ratio, "meets": ratio <= max_ratio}
        src.unlink()
    return result


def _drop_snapshots(db_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM list_snapshots")
    engine.dispose()


def _migrated(db_url: str) -> None:
    """A store reused from an older run: bring its schema up and store the list snapshot."""
    from pipeline.check import snapshots
    from pipeline.core.config import Settings
    from pipeline.store.db import make_engine, migrate

    engine = make_engine(db_url)
    migrate(engine)
    snapshots.refresh(engine, Settings().hash_key)
    engine.dispose()


def measure_plain(work: Path, db: str, rows: int, sample: int) -> dict[str, Any]:
    seconds, peak, out = run_child(py("-m", "benchmarks.approaches", "plain", str(work / "sample.csv"),
                                      str(work / "plain_sample.csv"), db))
    phases = json.loads(out)
    run_child(optout(db, "check", str(work / "sample.csv"), "--output", str(work / "ours_sample.csv")))
    ours, theirs = csv_rows(work / "ours_sample.csv"), csv_rows(work / "plain_sample.csv")
    if ours != theirs:
        raise AssertionError(f"output differs from the plain approach on the sample ({len(ours)} vs {len(theirs)} rows)")
    # The list load is paid once; the per-row part scales with the rows.
    extrapolated = phases["list_seconds"] + phases["rows_seconds"] * rows / sample
    return {"sample_rows": sample, "sample_seconds": seconds, "sample_peak_gib": peak, **phases,
            "extrapolated_seconds": extrapolated, "rows_per_second": rows / extrapolated,
            "identical_output_on_sample": True,
            "byte_identical_on_sample": (work / "ours_sample.csv").read_bytes() == (work / "plain_sample.csv").read_bytes()}


def _reference_chunk(cells: list[str]) -> list[str | None]:
    from tests.unit.check.test_keys import reference

    return reference(list(cells))  # email_validator alone, no shortcut


def differential(rows: int) -> dict[str, Any]:
    """Fast keys == reference keys on `rows` generated addresses (the recipient mix plus the
    adversarial generator of the unit tests), the reference on every core."""
    import pyarrow as pa

    from benchmarks.generate import address
    from pipeline.check.keys import match_keys_with_stats
    sys.path.insert(0, str(ROOT))
    from tests.unit.check.test_keys import adversarial

    rng = random.Random(99)
    cells = [adversarial(rng) if i % 2 else address(rng, i) for i in range(rows)]
    start = time.perf_counter()
    fast, stats = match_keys_with_stats(pa.array(cells, pa.string()))
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with Pool(os.cpu_count() or 1) as pool:
        parts = pool.map(_reference_chunk, [cells[i : i + 20_000] for i in range(0, rows, 20_000)])
    reference = [k for part in parts for k in part]
    reference_seconds = time.perf_counter() - start
    mismatches = sum(1 for a, b in zip(fast.to_pylist(), reference, strict=True) if a != b)
    if mismatches:
        raise AssertionError(f"{mismatches} rows where the fast key differs from the reference")
    return {"rows": rows, "mismatches": 0, "fast_path_rows": stats.fast, "reference_rows": stats.reference,
            "invalid_rows": stats.invalid, "fast_seconds": fast_seconds, "reference_seconds": reference_seconds}


def ratios(check: dict[str, Any]) -> dict[str, Any]:
    ours, floor, plain = check["ours"]["seconds"], check["floor"]["seconds"], check["plain"]["extrapolated_seconds"]
    return {"ours_over_floor": ours / floor, "plain_over_ours": plain / ours,
            "ours_rows_per_second": check["ours"]["rows_per_second"], "ours_peak_gib": check["ours"]["peak_gib"]}


def verdict(r: dict[str, Any], http: dict[str, Any]) -> dict[str, bool]:
    return {
        "rows_per_second": r["ours_rows_per_second"] >= TARGETS["rows_per_second"],
        "within_floor_ratio": r["ours_over_floor"] <= TARGETS["floor_ratio_max"],
        "plain_speedup": r["plain_over_ours"] >= TARGETS["plain_speedup_min"],
        "peak_memory": r["ours_peak_gib"] <= TARGETS["peak_gib_max"],
        "lookup_p99": bool(http) and http.get("p99_ms", 1e9) <= TARGETS["lookup_p99_ms_max"],
    }


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(int(mem) / 1024**2, 1), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", 10_000_000)))
    parser.add_argument("--suppressions", type=int, default=int(os.environ.get("BENCH_SUPPRESSIONS", 2_000_000)))
    parser.add_argument("--sample", type=int, default=int(os.environ.get("BENCH_SAMPLE", 100_000)))
    parser.add_argument("--diff-rows", type=int, default=int(os.environ.get("BENCH_DIFF_ROWS", 1_000_000)))
    parser.add_argument("--keys-rows", type=int, default=int(os.environ.get("BENCH_KEYS_ROWS", -1)),
                        help="Cells of the internationalised key mix (benchmarks.bench_keys; default: 2,000,000 "
                             "or --rows if fewer); 0 skips it.")
    parser.add_argument("--list-rows", type=int, default=int(os.environ.get("BENCH_LIST_ROWS", -1)),
                        help="Rows of the realistic and the internationalised list checked end to end against "
                             "their floor (default: 2,000,000 or --rows if fewer); 0 skips them.")
    parser.add_argument("--idn-share", type=float, default=float(os.environ.get("BENCH_IDN_SHARE", 0.3)),
                        help="Share of internationalised addresses in that mix.")
    parser.add_argument("--http-requests", type=int, default=int(os.environ.get("BENCH_HTTP_REQUESTS", 5_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 3)),
                        help="Runs of the floor and of ours each; their medians are compared.")
    parser.add_argument("--keep", type=Path, default=None, help="Work here and keep the files.")
    parser.add_argument("--reuse", action="store_true", help="With --keep: reuse the data a previous run generated there.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="optout-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": machine(), "rows": args.rows, "suppressions": args.suppressions}
    try:
        if args.reuse and (work / "optout.db").exists() and (work / "keys.parquet").exists():
            report["data"] = {"database_url": f"sqlite:///{work / 'optout.db'}", "reused": str(work),
                              "input_bytes": (work / "recipients.csv").stat().st_size}
            _migrated(report["data"]["database_url"])
        else:
            report["data"] = prepare(work, args.rows, args.suppressions, min(args.sample, args.rows))
        db = report["data"]["database_url"]
        report["check"] = measure_check(work, db, args.rows, min(args.sample, args.rows), args.repeat)
        report["ratios"] = ratios(report["check"])
        list_rows = min(2_000_000, args.rows) if args.list_rows < 0 else args.list_rows
        if list_rows:
            report["lists"] = measure_lists(work, db, list_rows, args.repeat)
        from benchmarks.startup import measure as measure_startup

        report["startup"] = measure_startup()  # `optout --help` and a two-row check (benchmarks/startup.py)
        from benchmarks.http_load import measure
        from pipeline.core.addresses import try_parse

        # Valid addresses of the list (about a tenth of them suppressed), usable as a URL path segment.
        addresses = [row[1].strip() for row in csv_rows(work / "sample.csv")[1:5001]
                     if try_parse(row[1]) and "/" not in row[1]][:2000]
        report["http_lookup"] = measure(db, addresses, 500.0, args.http_requests) if args.http_requests else {}
        report["differential"] = differential(args.diff_rows) if args.diff_rows else {}
        keys_rows = min(2_000_000, args.rows) if args.keys_rows < 0 else args.keys_rows
        if keys_rows:
            keys_cmd = py("-m", "benchmarks.bench_keys", "--rows", str(keys_rows), "--idn-share", str(args.idn_share))
            report["international_keys"] = json.loads(run_child(keys_cmd)[2])
        report["targets"] = TARGETS
        report["meets"] = verdict(report["ratios"], report["http_lookup"])
        for name in LIST_MIXES:
            if name in report.get("lists", {}):
                report["meets"][f"list_{name}_within_floor_ratio"] = report["lists"][name]["meets"]
    finally:
        print(json.dumps(report, indent=2, default=str))
        (work / "results.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
