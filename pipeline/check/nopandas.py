"""A check in its own process, without pandas.

The first Arrow array a process builds by inferring a type makes pyarrow import pandas (to
recognise pandas objects and values among what it is given); with pandas installed, as the
data-quality suites need it, that import is about 0.14 s of a big check's start-up on the
benchmark machine, and a check never hands Arrow a pandas object. `optout check` runs in a
process of its own that ends with the check, so while it runs pandas is not found: pyarrow
records that and converts as it does where pandas is not installed (the same arrays:
tests/unit/check/test_nopandas.py checks the readers' output with and without it).

Only for a process that does nothing else meanwhile (the CLI command): a service's other
threads might need pandas during the check, and pyarrow keeps the answer for the life of the
process (afterwards, a call that needs pandas itself, such as `to_pandas`, imports it as usual).
"""
from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["no_pandas"]


class _NoPandas:
    """A finder, first on `sys.meta_path`, that does not find pandas."""

    @staticmethod
    def find_spec(name: str, path: Sequence[str] | None = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(f"{name} is not imported during a check", name=name)
        return None


@contextmanager
def no_pandas() -> Iterator[None]:
    """While the block runs, `import pandas` fails (unless pandas is imported already)."""
    if "pandas" in sys.modules:
        yield
        return
    sys.meta_path.insert(0, _NoPandas)  # type: ignore[arg-type]
    try:
        yield
    finally:
        sys.meta_path.remove(_NoPandas)  # type: ignore[arg-type]
