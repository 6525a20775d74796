"""Run a module or code and write its peak resident memory (kB) to a file: this process's own
high-water mark and the peak of the sum over it and every process it started (the check's
worker processes), sampled every 20 ms.

`ru_maxrss` of a child carries over the parent's high-water mark across fork and exec, so the
benchmark asks each process for its own `VmHWM` (reset by exec) instead. Summing resident sizes
counts pages the workers share with the parent (the list, inherited by fork) once per process,
so the tree figure errs high, never low:

    python -m benchmarks.peak PEAK_FILE -m module args... | -c code args...
"""
from __future__ import annotations

import atexit
import os
import runpy
import sys
import threading
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _own_peak() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(task.path, "children").read_text().split()]
    except OSError:
        pass
    return found


def _tree_rss(root: int) -> int:
    """Resident kB of `root` and its descendants, from /proc (statm: resident pages)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
        except OSError:
            continue
        todo += _children(pid)
    return total


class TreeSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.root = os.getpid()

    def run(self) -> None:
        while True:
            self.peak = max(self.peak, _tree_rss(self.root))
            threading.Event().wait(0.02)


def _dump(path: str, sampler: TreeSampler) -> None:
    own = _own_peak()
    Path(path).write_text(f"{own} {max(own, sampler.peak)}")


def main() -> None:
    path, how, target, *rest = sys.argv[1:]
    sampler = TreeSampler()
    sampler.start()
    atexit.register(_dump, path, sampler)
    if how == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *rest]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})


if __name__ == "__main__":
    main()
