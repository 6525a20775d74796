"""For tests of the snapshot a check loads: small files take the big path too (otherwise
`pipeline.check.small` would ask `suppressions` about their few keys instead)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from pipeline.check import small


@contextmanager
def small_path_off() -> Iterator[None]:
    saved, small.SMALL_BYTES = small.SMALL_BYTES, -1
    try:
        yield
    finally:
        small.SMALL_BYTES = saved


@pytest.fixture(autouse=True)
def big_path() -> Iterator[None]:
    """Every check of the module that imports this fixture goes the big path."""
    with small_path_off():
        yield
