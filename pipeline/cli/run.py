"""The nightly pipeline without a scheduler: `run` for one date, and `demo`.

`demo` lives here, not under administration: it is the nightly pipeline end to end (seeds,
three nightly runs, a pre-send check) on a store of its own, and it reuses this module's
summary of each run."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.cli.app import app, emit_json, env, parse_date
from pipeline.cli.options import NIGHTLY, AsJson

if TYPE_CHECKING:
    from pipeline.orchestration.nightly import RunSummary


@app.command(rich_help_panel=NIGHTLY)
def run(
    ctx: typer.Context,
    date_: str = typer.Option(..., "--date", help="Logical date D: ingest folders dated on or before D."),
    channel: list[str] = typer.Option(
        [], "--channel", help="Only this channel (repeatable), as the intraday run takes the fast ones; default: all."),
    as_json: AsJson = False,
) -> None:
    """Run the nightly pipeline for one date, without a scheduler. Exit 1 if the run failed."""
    e = env(ctx)
    from pipeline.orchestration.nightly import run_nightly  # here, not at import: the channels, ~0.35 s

    summary = run_nightly(e.engine(), e.settings, parse_date(date_, "--date"), e.clock, channel)
    if as_json:
        emit_json(summary.as_dict())
    else:
        print_summary(summary)
    if summary.status != "success":
        raise typer.Exit(1)


def print_summary(summary: RunSummary) -> None:
    only = f" of {', '.join(summary.scope)} only" if summary.scope else ""
    typer.echo(f"run {summary.logical_date}{only}: {summary.status} ({summary.new_files} new file(s))")
    for line in summary.report_lines():
        typer.echo(line)


@app.command(rich_help_panel=NIGHTLY)
def demo(
    ctx: typer.Context,
    directory: str = typer.Option("demo", "--dir", help="Where the demo's landing zone and store go (replaced)."),
) -> None:
    """Seeds -> three nightly runs -> a pre-send check -> a summary, on a fresh SQLite store."""
    from pipeline.orchestration.demo import run_demo  # here, not at import: channels + holidays, ~0.8 s

    run_demo(Path(directory), env(ctx).settings, typer.echo)
