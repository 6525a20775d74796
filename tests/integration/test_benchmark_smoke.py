"""`make bench` end to end on a tiny list, so the benchmark cannot rot between real runs: every
approach runs, our output equals the plain approach's, the fast keys equal the reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runs_every_approach_and_prints_its_figures(tmp_path):
    args = ["--rows", "3000", "--suppressions", "600", "--sample", "1000", "--diff-rows", "2000",
            "--http-requests", "40", "--repeat", "1", "--keep", str(tmp_path)]
    done = subprocess.run([sys.executable, "-m", "benchmarks.run", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    check = report["check"]
    for name in ("floor", "ours", "ours_with_removed", "ours_without_snapshot"):
        assert check[name]["seconds"] > 0 and check[name]["peak_gib"] > 0, name
    assert check["ours"]["summary"]["input_rows"] == 3000
    assert check["plain"]["identical_output_on_sample"] is True
    assert report["differential"]["mismatches"] == 0 and report["differential"]["rows"] == 2000
    assert report["http_lookup"]["requests"] == 40 and report["http_lookup"]["failed"] == 0
    for mix in ("realistic", "international"):
        figures = report["lists"][mix]
        assert figures["summary"]["input_rows"] == 3000 and figures["ours_over_floor"] > 0, mix
    assert report["lists"]["international"]["internationalised_share"] == 0.3
    assert set(report["meets"]) == {"rows_per_second", "within_floor_ratio", "plain_speedup", "peak_memory", "lookup_p99",
                                    "list_realistic_within_floor_ratio", "list_international_within_floor_ratio"}


def test_publish_benchmark_prints_both_stores() -> None:
    args = ["-m", "benchmarks.bench_publish", "--suppressions", "500", "--new", "3"]
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    empty, big = report["publish_empty_store"], report["publish_big_store"]
    assert (empty["existing"], empty["new"], empty["version"]) == (0, 3, 1)
    assert (big["existing"], big["new"], big["version"]) == (500, 3, 2)
    assert big["total_seconds"] > 0 and big["bytes_written_total"] > 0 and report["ratio_to_empty_store"] > 0


def test_the_peak_sampler_adds_no_thread_and_counts_forked_children(tmp_path) -> None:
    """`benchmarks.peak` samples from a process of its own: the measured code runs with one
    Python thread (so `optout check` forks its workers there as for a user), and a child it forks
    is in the tree's peak."""
    code = ("import os, threading, time; print(threading.active_count()); pid = os.fork()\n"
            "if pid == 0:\n    block = bytearray(300 << 20); time.sleep(0.3); os._exit(0)\n"
            "os.waitpid(pid, 0)")
    peak = tmp_path / "peak"
    done = subprocess.run([sys.executable, "-m", "benchmarks.peak", str(peak), "-c", code], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=True)
    assert done.stdout.split() == ["1"]
    own, tree = (int(v) for v in peak.read_text().split())
    assert tree - own > 250 << 10  # the child's 300 MiB, in kB
