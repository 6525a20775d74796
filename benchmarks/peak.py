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
import select
import sys
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


def _tree_rss(root: int, skip: int = 0) -> int:
    """Resident kB of `root` and its descendants but `skip`, from /proc (statm: resident pages)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid == skip:
            continue
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
        except OSError:
            continue
        todo += _children(pid)
    return total


def _sample(root: int, done: int, path: str) -> None:
    """In the sampler process: the peak of `root`'s tree (itself left out) every 20 ms, until the
    pipe `done` closes (`root` is ending); then both figures into `path`."""
    me, peak = os.getpid(), 0
    while True:
        peak = max(peak, _tree_rss(root, skip=me))
        ready, _, _ = select.select([done], [], [], 0.02)
        if ready:
            break
    own = int(os.read(done, 64) or b"0")
    Path(path).write_text(f"{own} {max(own, peak)}")


def _finish(sampler: int, done: int) -> None:
    """At exit: hand the sampler this process's own peak and wait for it to write the file."""
    os.write(done, str(_own_peak()).encode())
    os.close(done)
    os.waitpid(sampler, 0)


def main() -> None:
    """The sampler is a process, not a thread: `optout check` forks its workers and its list
    reader only from a process with one Python thread (a thread here made it judge on threads)."""
    path, how, target, *rest = sys.argv[1:]
    read_end, write_end = os.pipe()
    root = os.getpid()
    sampler = os.fork()
    if sampler == 0:
        os.close(write_end)
        try:
            _sample(root, read_end, path)
        finally:
            os._exit(0)
    os.close(read_end)
    atexit.register(_finish, sampler, write_end)
    if how == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *rest]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})


if __name__ == "__main__":
    main()
