"""The bulk writer's helpers: a producer run ahead in a forked child, and the paused collector."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.core import bulk
from pipeline.core.bulk import ProducerFailed, ahead, collector_paused, full_collections_paused, in_turn

pytestmark = pytest.mark.unit


def numbers(n: int) -> Iterator[list[int]]:
    for i in range(n):
        yield list(range(i * 1000, (i + 1) * 1000))


def produced(items):
    with ahead(items) as got:
        return list(got)


def test_items_arrive_whole_and_in_order() -> None:
    assert produced(numbers(50)) == list(numbers(50))


def test_nothing_to_produce() -> None:
    assert produced(iter([])) == []


def failing() -> Iterator[int]:
    yield 1
    raise ValueError("row 2 cannot be built")


def test_the_producers_error_is_raised_where_the_consumer_is() -> None:
    got = []
    with pytest.raises(ProducerFailed, match="ValueError: row 2 cannot be built"):
        with ahead(failing()) as items:
            for item in items:
                got.append(item)
    assert got == [1]


def test_stopping_early_ends_the_child() -> None:
    before = set(multiprocessing.active_children())
    with ahead(numbers(10_000)) as items:
        for item in items:
            assert item[0] == 0
            break
    assert set(multiprocessing.active_children()) == before


def test_a_consumer_that_raises_ends_the_child() -> None:
    before = set(multiprocessing.active_children())
    with pytest.raises(RuntimeError, match="the database refused"), ahead(numbers(10_000)) as items:
        next(items)
        raise RuntimeError("the database refused")
    assert set(multiprocessing.active_children()) == before


def test_the_child_ends_even_when_the_parent_ignores_sigterm() -> None:
    import signal

    before = set(multiprocessing.active_children())
    old = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with ahead(numbers(10_000)) as items:
            next(items)
    finally:
        signal.signal(signal.SIGTERM, old)
    assert set(multiprocessing.active_children()) == before


def test_a_child_that_dies_is_an_error_not_a_short_list() -> None:
    def dies() -> Iterator[int]:
        yield 1
        import os

        os._exit(9)

    with pytest.raises(ProducerFailed, match="ended without finishing"):
        produced(dies())


def test_without_fork_the_items_are_produced_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert produced(numbers(3)) == list(numbers(3))


def test_collector_paused_restores_what_it_found() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collector_paused_restores_on_error() -> None:
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_full_collections_paused_keeps_young_collections_and_restores_the_thresholds() -> None:
    import weakref

    class Node:
        pass

    before = gc.get_threshold()
    with full_collections_paused():
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 1_000_000
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        gone = weakref.ref(a)
        del a, b
        kept = [[] for _ in range(20_000)]  # live allocations enough for young collections to run by themselves
        assert gone() is None, "a young cycle is still freed while full collections are paused"
        assert len(kept) == 20_000
    assert gc.get_threshold() == before


def squares_of(items: list[int], workers: int) -> list[tuple[int, int]]:
    with in_turn(lambda n: (n, os.getpid()), items, workers) as got:
        return list(got)


@pytest.mark.parametrize(("count", "workers"), [(0, 2), (1, 2), (2, 2), (7, 2), (7, 3), (2, 5)])
def test_in_turn_gives_every_result_in_order_from_several_children(count: int, workers: int) -> None:
    before = set(multiprocessing.active_children())
    got = squares_of(list(range(count)), workers)
    assert [n for n, _ in got] == list(range(count))
    pids = {pid for _, pid in got}
    assert os.getpid() not in pids and len(pids) <= min(count, workers) and bool(pids) == bool(count)
    assert set(multiprocessing.active_children()) == before


def test_in_turn_a_free_child_takes_the_next_items_while_another_is_on_a_slow_one() -> None:
    def slow_first(n: int) -> tuple[int, int]:
        if n == 0:
            time.sleep(1.5)
        return n, os.getpid()

    with in_turn(slow_first, list(range(8)), 2) as items:
        got = list(items)
    assert [n for n, _ in got] == list(range(8))
    slow, rest = got[0][1], {pid for _, pid in got[1:]}
    assert len(rest) == 1 and slow not in rest, "the other child took every item after the slow one"


def test_in_turn_runs_ahead_as_far_as_its_budget() -> None:
    """With a budget, a child goes on making items the consumer has not asked for yet."""
    made = multiprocessing.get_context("fork").Value("i", 0)

    def counted(n: int) -> int:
        with made.get_lock():
            made.value += 1
        return n

    with in_turn(counted, list(range(30)), 2, budget=100) as items:
        assert next(items) == 0
        deadline = time.monotonic() + 10
        while made.value < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert made.value == 30, "every item was made before the consumer took the second"
        assert list(items) == list(range(1, 30))


def test_a_child_holds_no_more_than_its_budget_and_the_item_it_made_last() -> None:
    made = multiprocessing.get_context("fork").Value("i", 0)

    def a_file(n: int) -> list[int]:
        with made.get_lock():
            made.value += 1
        return [n] * 30_000  # more than a pipe's buffer, pickled

    with in_turn(a_file, list(range(12)), 1, weigh=len, budget=40_000) as files:
        time.sleep(1.5)
        assert made.value <= 3, "one in the pipe, one below the budget, and the one made last"
        assert [f[0] for f in files] == list(range(12))


def test_a_child_killed_while_it_takes_an_item_fails_the_consumer_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """Killed while holding the counter's lock, as the out-of-memory killer may: the other child
    waits for the lock for ever, and the consumer must not wait with it."""
    from multiprocessing import context

    parent, made_value = os.getpid(), context.ForkContext.Value

    class DyingLock:
        def __init__(self, lock: Any) -> None:
            self.lock, self.taken = lock, 0

        def __enter__(self) -> None:
            self.lock.acquire()
            self.taken += 1
            if os.getpid() != parent and self.taken == 2:
                try:  # the first child to take its second item, and only it
                    os.close(os.open(tmp_path / "killed", os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    return
                os.kill(os.getpid(), signal.SIGKILL)

        def __exit__(self, *exc: object) -> None:
            self.lock.release()

    class Counter:
        def __init__(self, value: Any) -> None:
            self.inner, self.lock = value, DyingLock(value.get_lock())

        def get_lock(self) -> DyingLock:
            return self.lock

        value = property(lambda self: self.inner.value, lambda self, v: setattr(self.inner, "value", v))

    monkeypatch.setattr(context.ForkContext, "Value", lambda self, *a, **k: Counter(made_value(self, *a, **k)))
    before = set(multiprocessing.active_children())
    started = time.monotonic()
    with pytest.raises(ProducerFailed, match="ended before item"), in_turn(lambda n: (time.sleep(0.05), n)[1], list(range(40))) as items:
        for _ in items:
            pass
    assert time.monotonic() - started < 20
    assert set(multiprocessing.active_children()) == before


def test_in_turn_raises_a_childs_error_at_its_item() -> None:
    def fails_on_three(n: int) -> int:
        if n == 3:
            raise ValueError("item 3 cannot be read")
        return n

    got = []
    with pytest.raises(ProducerFailed, match="item 3 cannot be read"), in_turn(fails_on_three, list(range(6))) as items:
        for item in items:
            got.append(item)
    assert got == [0, 1, 2]


def test_in_turn_stopped_early_ends_every_child() -> None:
    before = set(multiprocessing.active_children())
    with in_turn(lambda n: [n] * 100_000, list(range(50))) as items:
        assert next(items)[0] == 0
    assert set(multiprocessing.active_children()) == before


KILLED = """
import os, signal, sys
from pipeline.core.bulk import in_turn
with in_turn(lambda i: b"x" * (1 << 20), list(range(8))) as results:  # each result over a pipe's buffer
    next(results)
    import multiprocessing
    print(" ".join(str(c.pid) for c in multiprocessing.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no finally runs: as the OOM killer or `kill -9` would
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="process states are read from /proc (Linux)")
def test_children_die_with_a_parent_that_is_killed() -> None:
    """A child left alive would keep the store's inherited sockets open (on PostgreSQL, a session
    holding the event chain's lock that a re-run could never take)."""
    done = subprocess.run([sys.executable, "-c", KILLED], capture_output=True, text=True, timeout=60)
    children = [int(p) for p in done.stdout.split()]
    assert done.returncode == -9 and len(children) == 2
    deadline = time.monotonic() + 5
    while any(alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in children if alive(p)]


def test_a_refused_fork_means_the_items_are_made_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    with in_turn(lambda i: i * 2, list(range(5))) as results:
        assert list(results) == [0, 2, 4, 6, 8]
    assert list(numbers(2)) == produced(numbers(2))
