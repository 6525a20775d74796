"""The `optout` command line (SPEC §7). One module per command group, each registering on `app`
under its panel of `optout --help`: `run` (run, demo), `check`, `lookup` (lookup, history),
`audit` (audit campaign, report, export), `esp` (reconcile), `review`, `tokens` (token mint/verify), `serve`, `admin`
(init, add, lift, erase, verify), `users` (user add/list/disable: the console's users).
`options` holds what they share. `main` turns user errors into
one-line messages and SPEC's exit codes; a library error that names a field is shown with the
flag that sets it."""
from __future__ import annotations

import gc
import sys

import typer

from pipeline.cli.app import app
from pipeline.cli.options import with_flag
from pipeline.core.errors import OptoutError

# Registration; this order is the order of the panels in `optout --help`.
# isort: off
from pipeline.cli import run, check, lookup, audit, esp, review, admin, imports, serve, tokens, users  # noqa: F401, E402
# isort: on


def main() -> None:
    # What the imports made lives as long as the process: keep the collector off it, during the
    # command and at exit (a third of a second of a short command was spent collecting it).
    gc.freeze()
    try:
        code = app(standalone_mode=False)
    except OptoutError as exc:
        print(f"optout: {with_flag(str(exc), exc.field)}", file=sys.stderr)
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
    finally:
        # And what the command made lives until exit (its imports above all: SQLAlchemy, pydantic):
        # frozen too, the interpreter's last collections at exit skip it (about 0.05 s of a check).
        gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)
