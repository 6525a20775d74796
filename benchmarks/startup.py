"""Start-up figures of the command line: median seconds of `optout --help` and of a check of a
two-row file, each against a `python -c pass` baseline, printed as JSON.

    python -m benchmarks.startup [--repeat 5]

The check runs against a fresh SQLite store holding one published opt-out (`optout init`, then
`optout add`), so it opens the store, asks the list about its two keys (a file this small takes
the small-file path, `pipeline.check.small`), writes OUT, records the check and signs its receipt
like any check. `benchmarks/run.py` calls `measure` so `make bench` prints these."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.3  # each figure's own cost, above the baseline


def _seconds(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[-4:])} failed ({done.returncode}): {done.stderr.decode()[-1000:]}")
    return seconds


def _median(cmd: list[str], env: dict[str, str], repeat: int) -> dict[str, Any]:
    runs = [_seconds(cmd, env) for _ in range(repeat)]
    return {"seconds": statistics.median(runs), "runs": runs}


def measure(repeat: int = 5) -> dict[str, Any]:
    """Medians of `repeat` runs of the baseline, `optout --help` and a two-row check; each
    command's own cost is its median less the baseline's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    optout = [sys.executable, "-c", "from pipeline.cli import main; main()"]
    with tempfile.TemporaryDirectory(prefix="optout-startup-") as tmp:
        work = Path(tmp)
        db = ["--db", f"sqlite:///{work / 'optout.db'}"]
        subprocess.run([*optout, *db, "init"], check=True, capture_output=True, env=env, cwd=ROOT)
        subprocess.run([*optout, *db, "add", "gone@example.com", "--channel", "manual", "--ref", "bench"],
                       check=True, capture_output=True, env=env, cwd=ROOT)
        (work / "two.csv").write_text("email,name\ngone@example.com,A\nkept@example.com,B\n", encoding="utf-8")
        check = [*optout, *db, "check", str(work / "two.csv"), "--output", str(work / "out.csv")]
        baseline = _median([sys.executable, "-c", "pass"], env, repeat)
        help_ = _median([*optout, "--help"], env, repeat)
        two_rows = _median(check, env, repeat)
    own = {"help": help_["seconds"] - baseline["seconds"], "two_row_check": two_rows["seconds"] - baseline["seconds"]}
    return {"repeat": repeat, "python_pass": baseline, "help": help_, "two_row_check": two_rows,
            "own_seconds": own, "target_own_seconds": TARGET_SECONDS,
            "meets": {name: seconds < TARGET_SECONDS for name, seconds in own.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="Runs of each command; their median is reported.")
    print(json.dumps(measure(parser.parse_args().repeat), indent=2))


if __name__ == "__main__":
    main()
