"""`optout import` of N addresses (BENCH_IMPORT_ROWS, default 1,000,000) into a fresh SQLite store,
ingested and published; prints the seconds as JSON (target: under 60 s for 1,000,000)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with (work / "list.csv").open("w", encoding="utf-8") as fh:
            fh.write("email\n")
            fh.writelines(f"user{i}@example{i % 97}.com\n" for i in range(rows))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OPTOUT_LANDING": str(work / "landing")}
        db = f"sqlite:///{work / 'optout.db'}"
        cli = [sys.executable, "-c", "from pipeline.cli import main; main()", "--db", db]
        subprocess.run([*cli, "init"], check=True, capture_output=True, env=env)
        start = time.perf_counter()
        subprocess.run([*cli, "import", str(work / "list.csv"), "--source", "benchmark"], check=True,
                       capture_output=True, env=env)
        seconds = time.perf_counter() - start
    print(json.dumps({"import_rows": rows, "import_seconds": round(seconds, 2), "import_target_seconds": 60}))


if __name__ == "__main__":
    main()
