"""The `optout` command with one function made to stop mid-write, for SIGKILL tests.

`OPTOUT_KILL_AT=module:function:N`: after the N-th call of that function returns — still
inside its write transaction, its rows written but not committed — the process writes the
marker file `OPTOUT_KILL_MARKER` and waits there, so the test's SIGKILL lands at exactly
that point instead of on a timer that may fire before any write."""
from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any


def arm(spec: str, marker: Path) -> None:
    module_name, name, count = spec.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, name)
    calls = {"n": 0}

    def stopping(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == int(count):
            marker.write_text(f"{os.getpid()} after {spec}\n")
            time.sleep(600)  # the test kills the process here
        return result

    setattr(module, name, stopping)


if __name__ == "__main__":
    arm(os.environ["OPTOUT_KILL_AT"], Path(os.environ["OPTOUT_KILL_MARKER"]))
    from pipeline.cli import main

    sys.argv = ["optout", *sys.argv[1:]]
    main()
