"""`optout ARGS…` run in this process, as the console script runs it: exit code and output
(the development-keys warning left out of stderr)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pipeline.cli import main

DEV_WARNING = "optout: warning: development keys in use"


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return self.stderr.splitlines()


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Done:
    """One `optout ARGS…` run with the environment as it is."""
    monkeypatch.setattr(sys, "argv", ["optout", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    err = "".join(line for line in out.err.splitlines(keepends=True) if not line.startswith(DEV_WARNING))
    return Done(int(exited.value.code or 0), out.out, err)


def cli_runner(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Done]:
    """`run_cli` on the store at `database_url`."""
    monkeypatch.setenv("OPTOUT_DATABASE_URL", database_url)
    return lambda *args: run_cli(monkeypatch, capsys, *args)
