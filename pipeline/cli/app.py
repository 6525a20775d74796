"""The root Typer app, global options, and what every command needs (settings, store, clock).

The root callback runs before every command: it loads and checks every setting (a bad one
stops the command with exit 2 and one line naming the variable, before any work) and warns on
stderr, one line, while a development key is in use (stdout stays clean for `--json`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipeline.core.clock import Clock, FixedClock, SystemClock
from pipeline.core.config import Settings, check_database_url, development_keys, load_settings
from pipeline.core.errors import OptoutError
from pipeline.intake.timestamps import parse_time

if TYPE_CHECKING:
    import sqlalchemy as sa

app = typer.Typer(
    name="optout",
    help="Opt-out enforcement: ingest every channel, publish the suppression list, check sends against it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class Env:
    settings: Settings
    clock: Clock

    def engine(self, *, initialised: bool = True, read_only: bool = False) -> sa.Engine:
        """The store's engine, checked to be at the code's schema. Commands that only read pass
        `read_only=True`: a store that does not exist is then refused (exit 2, one line) and
        nothing is created; commands that write create a SQLite store's folder as before."""
        from pipeline.store.db import make_engine, open_existing, require_current  # here, not at import: SQLAlchemy, ~0.1 s

        engine = open_existing(self.settings.database_url) if read_only else make_engine(self.settings.database_url)
        if initialised:
            require_current(engine)
        return engine


@app.callback()
def _root(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help="Store URL (env OPTOUT_DATABASE_URL)."),
    landing: Path | None = typer.Option(None, "--landing", help="Landing zone root (env OPTOUT_LANDING)."),
    now: str | None = typer.Option(None, "--now", hidden=True, help="Fix the clock (replays, tests)."),
) -> None:
    settings = load_settings().with_overrides(database_url=None if db is None else check_database_url(db, "--db"), landing=landing)
    warn_development_keys(settings)
    clock: Clock = SystemClock()
    if now:
        at = parse_time(now)
        if at is None:
            raise OptoutError(f"--now: not a timestamp: {now!r}")
        clock = FixedClock(at)
    ctx.obj = Env(settings, clock)


def warn_development_keys(settings: Settings) -> None:
    names = development_keys(settings)
    if names:
        typer.echo(f"optout: warning: development keys in use ({', '.join(names)}); set real keys outside development", err=True)


def env(ctx: typer.Context) -> Env:
    obj = ctx.obj
    assert isinstance(obj, Env)
    return obj


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OptoutError(f"{option}: not a date (YYYY-MM-DD): {text!r}") from None


def parse_date_range(start: str | None, end: str | None, options: tuple[str, str] = ("--from", "--to")) -> tuple[date | None, date | None]:
    """The days of a `--from`/`--to` pair (either may be left out); a range that runs backwards
    is refused in one line naming both options. Equal days are a range of one day."""
    first = parse_date(start, options[0]) if start is not None else None
    last = parse_date(end, options[1]) if end is not None else None
    if first and last and first > last:
        raise OptoutError(f"{options[0]} {first} is after {options[1]} {last}: give {options[0]} on or before {options[1]}")
    return first, last


def parse_timestamp(text: str, option: str) -> datetime:
    at = parse_time(text)
    if at is None:
        raise OptoutError(f"{option}: not a timestamp (ISO 8601): {text!r}")
    return at  # parse_time gives UTC


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
