"""The `optout` command line (SPEC §7). Each command group lives in its own module and
registers on `app`; `main` turns user errors into one-line messages and SPEC's exit codes."""
from __future__ import annotations

import gc
import sys

import typer

from pipeline.cli import audit, compliance, pipeline_cmds, review, send, serve, tokens  # noqa: F401  (registration)
from pipeline.cli.app import app
from pipeline.core.errors import OptoutError


def main() -> None:
    # What the imports made lives as long as the process: keep the collector off it, during the
    # command and at exit (a third of a second of a short command was spent collecting it).
    gc.freeze()
    try:
        code = app(standalone_mode=False)
    except OptoutError as exc:
        print(f"optout: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: exit 2, one line
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            print(f"optout: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
