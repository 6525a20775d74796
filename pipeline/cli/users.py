"""`optout user add|list|disable`: who may sign in to the console, and with which role (SPEC §7)."""

from __future__ import annotations

import getpass
import sys

import typer

from pipeline.cli.app import app, emit_json, env
from pipeline.cli.options import CONSOLE, AsJson, Role
from pipeline.core.errors import OptoutError

user_app = typer.Typer(help="Console users: add one (password on standard input), list them, disable one.", no_args_is_help=True)
app.add_typer(user_app, name="user", rich_help_panel=CONSOLE)


def read_password() -> str:
    """The new password: typed twice without echo on a terminal, else one line of standard
    input (its line ending stripped)."""
    from pipeline.access import users  # here, not at import: `optout --help` stays light

    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise OptoutError("the two passwords differ", field="password")
        return first
    line = sys.stdin.buffer.readline(users.MAX_PASSWORD * 4 + 3)
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise OptoutError("password: standard input is not UTF-8 text", field="password") from None
    return text.removesuffix("\n").removesuffix("\r")


@user_app.command("add")
def add_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="1-64 letters, digits, '.', '_', '-' or '@'."),
    role: Role = typer.Option(..., "--role", help="marketer: checks; auditor: evidence and reports; admin: both, and resolves reviews."),
) -> None:
    """Add a console user; the password (at least 12 characters) is read from standard input."""
    from pipeline.access import users  # here, not at import: `optout --help` stays light

    users.check_name(name)
    e = env(ctx)
    password = read_password()
    user = users.add(e.engine(), name, role.value, password, e.clock.now())
    typer.echo(f"console user {user.name} added ({user.role})")


@user_app.command("list")
def list_cmd(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every console user: name, role, when added, when disabled."""
    from pipeline.access import users  # here, not at import: `optout --help` stays light

    found = users.list_users(env(ctx).engine(read_only=True))
    if as_json:
        emit_json([{"name": u.name, "role": u.role, "created": u.created_at.isoformat(),
                    "disabled": u.disabled_at.isoformat() if u.disabled_at else None} for u in found])
        return
    if not found:
        typer.echo("no console users (add one with: optout user add NAME --role marketer|auditor|admin)")
        return
    for u in found:
        state = f"disabled {u.disabled_at.isoformat()}" if u.disabled_at else "active"
        typer.echo(f"{u.name:<24} {u.role:<9} added {u.created_at.isoformat()}  {state}")


@user_app.command("disable")
def disable_cmd(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME")) -> None:
    """Disable a console user: they can no longer sign in, and their open sessions stop working."""
    from pipeline.access import users  # here, not at import: `optout --help` stays light

    e = env(ctx)
    user = users.disable(e.engine(), name, e.clock.now())
    typer.echo(f"console user {user.name} disabled ({user.disabled_at.isoformat() if user.disabled_at else ''})")
