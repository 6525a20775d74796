"""`optout check` without pandas (pipeline/check/nopandas.py): a big check's process never imports
pandas, writes what a process with pandas imported writes, and pandas is importable afterwards."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

# A check as the CLI runs it; with "pandas" as first argument pandas is imported before it.
PROBE = """
import json, sys
if sys.argv[1] == "pandas":
    import pandas
sys.argv = ["optout", *sys.argv[2:]]
from pipeline.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def optout(tmp_path: Path, *args: str, pandas: bool = False) -> tuple[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, "pandas" if pandas else "-", "--db",
                           f"sqlite:///{tmp_path / 'optout.db'}", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)
    return done.stdout, json.loads(done.stderr.splitlines()[-1])


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two opt-outs, and a CSV and a Parquet list too big for the small-file path."""
    tmp_path = tmp_path_factory.mktemp("nopandas")
    optout(tmp_path, "init")
    for address in ("gone@example.com", "zoë@exämple.com"):
        optout(tmp_path, "add", address, "--channel", "manual", "--ref", "t")
    rng = random.Random(7)
    cells = ["gone@example.com", "Gone <GONE@example.com>", "zoë@exämple.com", "nope", "", "a@b", "x@localhost",
             "ann+tag@gmail.com", "=1+1"]
    rows = [[rng.choice(cells) if i % 3 else f"user{i}@example.org", f"name {i}"] for i in range(12000)]
    (tmp_path / "big.csv").write_text("email,name\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    pq.write_table(pa.table({"email": [a for a, _ in rows], "name": [b for _, b in rows]}), tmp_path / "big.parquet")
    assert (tmp_path / "big.csv").stat().st_size > 256 * 1024
    return tmp_path


@pytest.mark.parametrize("name", ["big.csv", "big.parquet"])
def test_a_big_check_imports_no_pandas_and_writes_what_it_writes_with_pandas(lists: Path, name: str) -> None:
    outputs = {}
    for with_pandas in (False, True):
        out, removed = lists / f"out-{with_pandas}{Path(name).suffix}", lists / f"removed-{with_pandas}{Path(name).suffix}"
        stdout, modules = optout(lists, "check", str(lists / name), "--output", str(out), "--removed", str(removed),
                                 pandas=with_pandas)
        assert "suppressed" in stdout
        assert ("pandas" in modules) is with_pandas
        assert "pyarrow" in modules  # the big path: Arrow, not the small-file path
        outputs[with_pandas] = (out.read_bytes(), removed.read_bytes(), stdout.split(" (check")[0])
    assert outputs[False] == outputs[True]
    kept = pq.read_table(lists / "out-False.parquet").column("email").to_pylist() if name.endswith(".parquet") \
        else [line.split(",")[0] for line in outputs[False][0].decode("utf-8").splitlines()]
    assert "gone@example.com" not in kept and "user3@example.org" in kept


BLOCKED = """
import sys
from pipeline.check.nopandas import no_pandas
with no_pandas():
    import pyarrow as pa
    print(pa.array(["x", None]).null_count, pa.scalar(1).as_py())
    try:
        import pandas
    except ImportError as exc:
        print("blocked:", exc)
print("pandas" in sys.modules)
import pandas
print(type(pa.table({"a": [1, 2]}).to_pandas()).__name__, pa.array(pandas.Series([1.0, None])).null_count)
"""


def test_pandas_is_refused_during_the_check_only() -> None:
    done = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    assert done.stdout.splitlines() == ["1 1", "blocked: pandas is not imported during a check", "False", "DataFrame 1"]
