"""Helpers for bulk writers (an import of a million addresses).

`ahead`: a producer run ahead of its consumer, in a forked process.

A bulk writer spends about half its time building rows in Python (hashes, the chain, driver
parameters) and half waiting for the database to store them. A thread cannot overlap the two:
the driver takes the interpreter lock back after every row, so a busy producer thread makes
the writer wait for it instead. A forked child builds the next batches on the other core while
the parent stores this one; batches travel pickled through a pipe, which holds about one batch,
so memory stays bounded.

`ahead` hands on the child's exception as the consumer's own error, and stops the child when
the consumer stops early; the child also dies with its parent (killed, out of memory: on Linux).
Where fork is not available, or the system refuses the process, the items are produced
in-process.

`in_turn`: `map(function, items)` in order, computed by several forked children, each taking the
first item none has taken, and running ahead within a budget (the nightly ingest reads a night's
files so while it stores them)."""

from __future__ import annotations

import collections
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def can_fork() -> bool:
    """Fork workers only from a process with one Python thread (the CLI, a DAG task): a fork
    copies only the forking thread, so locks another thread held (the HTTP service's thread
    pool, the console's check threads) would stay held in the child for ever; nor from a
    daemonic process, which may not have children."""
    return ("fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon
            and threading.active_count() == 1)


class ProducerFailed(RuntimeError):
    """The background producer raised; the message is its traceback's last line."""


@contextmanager
def ahead(items: Iterable[T], *, weigh: Callable[[T], int] | None = None, budget: int = 0) -> Iterator[Iterator[T]]:
    """The items of `items`, in order, produced by a forked child while the caller uses them.

    The child runs one item ahead (the one waiting in the pipe); with a `budget`, it goes on
    making items while those made and not yet sent weigh (`weigh`, 1 each by default) less than
    it (see `_Buffered`), so a consumer that takes several quickly after a slow one never waits.

    A context manager, so the child is stopped and reaped when the block ends, however it ends
    (a consumer that stops early, or raises): a child left running would hold the parent's
    inherited pipes and sockets open."""
    with _forked(items, weigh, budget) as forked:
        yield iter(items) if forked is None else forked[0]


@contextmanager
def _forked(items: Iterable[T], weigh: Callable[[T], int] | None, budget: int) -> Iterator[tuple[Iterator[T], Any] | None]:
    """What `ahead`'s child produces, and the child; None where no child can be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    made = items if not budget else _Buffered(items, weigh or (lambda _: 1), budget)
    child = context.Process(target=_produce, args=(made, sending, receiving, os.getpid()), name="optout-ahead",
                            daemon=True)
    try:
        child.start()
    except OSError:  # the system refuses a process now (a limit, memory): the items are made here
        receiving.close()
        sending.close()
        yield None
        return
    sending.close()
    try:
        yield _received(receiving, child), child
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
            child.join(5)
        if child.is_alive():  # a SIGTERM that arrived before the child's own handlers were set
            child.kill()
        child.join()


@contextmanager
def in_turn(
    function: Callable[[T], R], items: Sequence[T], workers: int = 2, *, weigh: Callable[[R], int] | None = None, budget: int = 0,
) -> Iterator[Iterator[R]]:
    """`function` of each item, in the items' order, computed by `workers` forked children, each
    taking the first item no child has taken yet (one done with a quick item goes on to the next
    while another is still on a slow one), and running ahead of the consumer as `ahead` says.
    The children are stopped when the block ends, as with `ahead`; a child's failure is the
    consumer's `ProducerFailed`. Where a child cannot be forked, the items are computed here."""
    count = max(1, min(workers, len(items)))
    if not items or "fork" not in multiprocessing.get_all_start_methods():
        yield map(function, items)
        return
    context = multiprocessing.get_context("fork")
    claims = context.Value("q", 0)  # the first item no child has taken
    owners = context.Array("i", len(items), lock=False)  # 1 + the child that took each item; 0 until one does

    def taking(me: int) -> Iterator[R]:
        while True:
            with claims.get_lock():
                i = claims.value
                if i >= len(items):
                    return
                claims.value = i + 1
                owners[i] = me + 1
            yield function(items[i])

    with ExitStack() as stack:
        started: list[tuple[Iterator[R], Any]] = []
        for me in range(count):
            forked = stack.enter_context(_forked(taking(me), weigh, budget))
            if forked is None:
                stack.close()  # the children that did start are stopped before any item is computed here
                yield map(function, items)
                return
            started.append(forked)
        yield _in_order(started, owners, len(items))


def _in_order(started: list[tuple[Iterator[Any], Any]], owners: Any, count: int) -> Iterator[Any]:
    """Item after item from the child that took it. A child takes the next item as soon as it
    has room, so waiting for one to be taken is short; and a child ends by itself only once
    every item is taken, so one that has ended while an item is not (killed, perhaps while it
    held the counter's lock) means the item never will be. A failure stops the other children
    at once: they would only go on reading what nobody takes."""
    try:
        for k in range(count):
            while not owners[k]:
                if not all(child.is_alive() for _, child in started):
                    raise ProducerFailed(f"a background producer ended before item {k} was taken (exit codes "
                                         f"{', '.join(str(child.exitcode) for _, child in started)})")
                time.sleep(0.0005)
            yield next(started[owners[k] - 1][0])
    except ProducerFailed:
        for _, child in started:
            if child.is_alive():
                child.terminate()
        raise


class _Buffered:
    """A child's items made by a thread of their own, run ahead of the pipe: the next item is
    taken only while those made and not yet sent (the one being sent included) weigh less than
    `budget`, so a child holds at most the budget and the one item it made last. The pipe holds
    only one, and a child waiting for the consumer to take it would leave its core idle.
    Iterated in the child (after the fork: a fork copies no thread)."""

    def __init__(self, items: Iterable[Any], weigh: Callable[[Any], int], budget: int) -> None:
        self.items, self.weigh, self.budget = items, weigh, budget

    def __iter__(self) -> Iterator[Any]:
        made: collections.deque[tuple[bool, Any, int]] = collections.deque()  # (an item?, it or the error, weight)
        weight = [0]
        changed = threading.Condition()

        def make() -> None:
            try:
                items = iter(self.items)
                while True:
                    with changed:
                        changed.wait_for(lambda: weight[0] < self.budget)  # room before the next is taken
                    try:
                        item = next(items)
                    except StopIteration:
                        break
                    w = self.weigh(item)
                    with changed:
                        made.append((True, item, w))
                        weight[0] += w
                        changed.notify_all()
            except BaseException as exc:  # raised where the item would have been: in the loop below
                with changed:
                    made.append((False, exc, 0))
                    changed.notify_all()
                return
            with changed:
                made.append((False, None, 0))
                changed.notify_all()

        threading.Thread(target=make, name="optout-ahead-maker", daemon=True).start()
        while True:
            with changed:
                changed.wait_for(lambda: bool(made))
                is_item, value, w = made.popleft()
            if not is_item:
                if value is not None:
                    raise value
                return
            yield value  # back here once it is sent
            with changed:
                weight[0] -= w
                changed.notify_all()


def _received(receiving: Connection, child: Any) -> Iterator[Any]:
    while True:
        try:
            kind, payload = receiving.recv()
        except EOFError:
            raise ProducerFailed(f"the background producer ended without finishing (exit code {child.exitcode})") from None
        if kind == "item":
            yield payload
        elif kind == "end":
            return
        else:
            raise ProducerFailed(payload)


def _produce(items: Iterable[Any], sending: Connection, receiving: Connection, parent: int) -> None:
    # The parent's handlers (a scheduler's, a test runner's) are not the child's: the default
    # actions let `terminate` and Ctrl-C end it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _die_with(parent)
    receiving.close()  # the parent's end: gone with the parent, a write here fails instead of waiting
    try:
        for item in items:
            sending.send(("item", item))
        sending.send(("end", None))
    except BaseException as exc:  # told to the parent, which raises it
        lines = traceback.format_exception_only(type(exc), exc)
        sending.send(("error", lines[-1].strip()))
    finally:
        sending.close()


def _die_with(parent: int) -> None:
    """Linux: the child is killed when the process that forked it dies, however it dies (killed,
    out of memory), with no chance to stop it. A child left alive would keep the sockets it
    inherited open: a PostgreSQL session holding the event chain's lock, which no re-run could
    take. Elsewhere (no `prctl`) only the pipe's closing tells the child."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # here, not at import: only a forked child asks for it

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while millions of rows are built: they hold no cycles, and
    each full collection would walk all of them again (a tenth of a million-address import)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


NO_FULL_COLLECTION = 1 << 30  # gen-1 collections before a full one: never, while paused


@contextmanager
def full_collections_paused() -> Iterator[None]:
    """Python's full collections (of the oldest generation) off while a channel's files are read
    and stored; the young generations are still collected, so what a message or row leaves in
    cycles is freed as before. A full collection walks every object alive, and the records a
    file builds up make the heap grow by the quarter that triggers one again and again: a third
    of a 100,000-letter night was spent so. Whatever reached the oldest generation waits for the
    next full collection after the block."""
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(young, middle, NO_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, oldest)
