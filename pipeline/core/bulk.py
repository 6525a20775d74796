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

`in_turn`: `map(function, items)` in order, computed by several forked children that take the
items in turn (the nightly ingest reads a night's files so while it stores them)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
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
def ahead(items: Iterable[T]) -> Iterator[Iterator[T]]:
    """The items of `items`, in order, produced by a forked child while the caller uses them.

    A context manager, so the child is stopped and reaped when the block ends, however it ends
    (a consumer that stops early, or raises): a child left running would hold the parent's
    inherited pipes and sockets open."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield iter(items)
        return
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(items, sending, receiving, os.getpid()), name="optout-ahead",
                            daemon=True)
    try:
        child.start()
    except OSError:  # the system refuses a process now (a limit, memory): the items are made here
        receiving.close()
        sending.close()
        yield iter(items)
        return
    sending.close()
    try:
        yield _received(receiving, child)
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
            child.join(5)
        if child.is_alive():  # a SIGTERM that arrived before the child's own handlers were set
            child.kill()
        child.join()


@contextmanager
def in_turn(function: Callable[[T], R], items: Sequence[T], workers: int = 2) -> Iterator[Iterator[R]]:
    """`function` of each item, in the items' order, computed by `workers` forked children: the
    first takes items 0, k, 2k…, the second 1, k+1…, each one result ahead of the consumer (a
    result waits in its child's pipe until it is taken). The children are stopped when the block
    ends, as with `ahead`; a child's failure is the consumer's `ProducerFailed`."""
    count = max(1, min(workers, len(items)))
    with ExitStack() as stack:
        streams = [stack.enter_context(ahead(map(function, items[i::count]))) for i in range(count)]
        yield (next(streams[i % count]) for i in range(len(items)))


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
