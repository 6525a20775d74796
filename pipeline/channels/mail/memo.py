"""What the rules ask of one message (or part) again and again, worked out once and kept on it:
a message read from a file is never changed after (`reader.ReadMessage`)."""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from typing import Any, TypeVar

T = TypeVar("T")


def kept(msg: Message, name: str, make: Callable[[], T]) -> T:
    """`make()` the first time `name` is asked of `msg`, the same value after."""
    store: dict[str, Any] = msg.__dict__
    if name not in store:
        store[name] = make()
    return store[name]  # type: ignore[no-any-return]
