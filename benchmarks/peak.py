"""Run a module or code and write this process's peak resident memory (VmHWM, kB) to a file.

`ru_maxrss` of a child carries over the parent's high-water mark across fork and exec, so the
benchmark asks each process for its own `VmHWM` (reset by exec) instead:

    python -m benchmarks.peak PEAK_FILE -m module args... | -c code args...
"""
from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def _dump(path: str) -> None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            Path(path).write_text(line.split()[1])


def main() -> None:
    path, how, target, *rest = sys.argv[1:]
    atexit.register(_dump, path)
    if how == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *rest]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})


if __name__ == "__main__":
    main()
