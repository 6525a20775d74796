"""Match keys (SPEC §4.2) of a list with many internationalised addresses, against the floor.

Times `pipeline.check.keys.match_keys_with_stats` on `--rows` cells (BENCH_KEYS_ROWS, default
2,000,000) of the benchmark mix with `--idn-share` (BENCH_IDN_SHARE, default 0.3) of them
internationalised (IDN domains and Unicode local parts, as for a German, Chinese or Brazilian
customer base), with the internationalised path and with it off (every such cell through
email_validator), against the floor: as many cells of the mix with no internationalised address
at all, keyed by the ASCII fast path. The plain mix (0.4 % internationalised) is timed too;
medians of three runs (the run without the path: one). The one-off cost of building the
internationalised pattern is printed apart. Prints JSON with the seconds and each ratio to the
floor (target: at most 4). Both runs must give the same keys, or it fails.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from typing import Any

import pyarrow as pa

from benchmarks.generate import IDN_SHARE, address
from pipeline.check import keys as keys_module
from pipeline.check import rowkeys

TARGET_RATIO = 4.0


def cells(rows: int, idn_share: float, seed: int = 7) -> pa.Array:
    """`rows` addresses of the benchmark mix with `idn_share` of them internationalised."""
    rng = random.Random(seed)
    return pa.array([address(rng, i, idn_share) for i in range(rows)], pa.string())


def _clear_caches() -> None:
    """Forget what an earlier run memoised, so each timed run starts cold."""
    rowkeys.reference_key.cache_clear()
    keys_module.memoize_domain_validation()
    keys_module.email_domain_validator().cache_clear()  # type: ignore[attr-defined]


def timed(values: pa.Array, *, international: bool) -> tuple[float, pa.Array, keys_module.KeyStats]:
    _clear_caches()
    start = time.perf_counter()
    result, stats = keys_module.match_keys_with_stats(values, international=international)
    return time.perf_counter() - start, result, stats


def measure(rows: int, idn_share: float, repeat: int = 3) -> dict[str, Any]:
    ascii_only, plain, mix = cells(rows, 0.0), cells(rows, IDN_SHARE), cells(rows, idn_share)
    start = time.perf_counter()
    keys_module.international_pattern()  # once per process, on the first internationalised cell
    setup = time.perf_counter() - start
    timed(ascii_only[:10_000], international=True)  # warm-up: first-call costs of the kernels
    floor = statistics.median(timed(ascii_only, international=True)[0] for _ in range(repeat))
    plain_seconds = statistics.median(timed(plain, international=True)[0] for _ in range(repeat))
    runs = [timed(mix, international=True) for _ in range(repeat)]
    fast, (_, fast_keys, stats) = statistics.median(run[0] for run in runs), runs[-1]
    slow, slow_keys, slow_stats = timed(mix, international=False)
    if not fast_keys.equals(slow_keys):
        raise AssertionError("the internationalised fast path gives other keys than the reference")
    return {
        "rows": rows, "idn_share": idn_share, "floor_seconds": floor, "pattern_setup_seconds": setup,
        "plain_mix_seconds": plain_seconds, "plain_mix_over_floor": plain_seconds / floor,
        "fast_seconds": fast, "fast_over_floor": fast / floor,
        "reference_seconds": slow, "reference_over_floor": slow / floor,
        "fast_rows": stats.fast, "international_rows": stats.international, "reference_rows": stats.reference,
        "reference_rows_without_fast_path": slow_stats.reference, "invalid_rows": stats.invalid,
        "target_ratio": TARGET_RATIO, "meets": fast / floor <= TARGET_RATIO,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_KEYS_ROWS", "2000000")))
    parser.add_argument("--idn-share", type=float, default=float(os.environ.get("BENCH_IDN_SHARE", "0.3")))
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.idn_share), indent=2))


if __name__ == "__main__":
    main()
