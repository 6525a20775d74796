"""Commands that build the store: init, run, add, lift, verify, demo."""
from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pipeline.audit.verify import verify
from pipeline.cli.app import app, emit_json, env, parse_date, parse_timestamp
from pipeline.ledger import manual
from pipeline.store.db import migrate, read_tx

if TYPE_CHECKING:
    from pipeline.orchestration.nightly import RunSummary


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the store, or migrate it to the newest schema."""
    e = env(ctx)
    revision = migrate(e.engine(initialised=False))
    typer.echo(f"store ready at schema {revision}: {e.settings.database_url}")


@app.command()
def run(
    ctx: typer.Context,
    date_: str = typer.Option(..., "--date", help="Logical date D: ingest folders dated on or before D."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run the nightly pipeline for one date, without a scheduler. Exit 1 if the run failed."""
    e = env(ctx)
    from pipeline.orchestration.nightly import run_nightly  # the channels load only for the commands that run them

    summary = run_nightly(e.engine(), e.settings, parse_date(date_, "--date"), e.clock)
    if as_json:
        emit_json(summary.as_dict())
    else:
        print_summary(summary)
    if summary.status != "success":
        raise typer.Exit(1)


def print_summary(summary: RunSummary) -> None:
    typer.echo(f"run {summary.logical_date}: {summary.status} ({summary.new_files} new file(s))")
    for line in summary.report_lines():
        typer.echo(line)


@app.command()
def add(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="The address that asked to opt out."),
    channel: str = typer.Option(..., "--channel", help="postal_mail or manual."),
    ref: str = typer.Option(..., "--ref", help="The request's own reference (letter id, ticket)."),
    requested_at: str | None = typer.Option(None, "--requested-at", help="When the person asked (ISO 8601)."),
) -> None:
    """Record an opt-out by hand and publish it at once."""
    e = env(ctx)
    at = parse_timestamp(requested_at, "--requested-at") if requested_at else None
    version = manual.add(e.engine(), e.settings, e.clock, address, channel, ref, at)
    typer.echo(f"recorded; list version {version.version if version else '-'} suppresses it")


@app.command()
def lift(
    ctx: typer.Context,
    address: str = typer.Argument(...),
    evidence: str = typer.Option(..., "--evidence", help="What proves the re-consent."),
) -> None:
    """Lift a suppression after an explicit re-consent (recorded as an event, never a deletion)."""
    e = env(ctx)
    version = manual.lift(e.engine(), e.settings, e.clock, address, evidence)
    typer.echo(f"lift recorded; list version {version.version if version else '-'}")


@app.command("verify")
def verify_cmd(ctx: typer.Context) -> None:
    """Recompute the event chain and the list digests; exit 1 on any break."""
    e = env(ctx)
    with read_tx(e.engine()) as conn:
        result = verify(conn, e.settings.hash_key)
    if result.ok:
        typer.echo(f"ok: {result.events} event(s) chained, {result.versions} list version(s) consistent")
        return
    for problem in result.problems[:20]:
        typer.echo(f"BROKEN: {problem}")
    if len(result.problems) > 20:
        typer.echo(f"… and {len(result.problems) - 20} more")
    raise typer.Exit(1)


@app.command()
def demo(
    ctx: typer.Context,
    directory: str = typer.Option("demo", "--dir", help="Where the demo's landing zone and store go (replaced)."),
) -> None:
    """Seeds -> three nightly runs -> a pre-send check -> a summary, on a fresh SQLite store."""
    from pathlib import Path

    from pipeline.orchestration.demo import run_demo

    run_demo(Path(directory), env(ctx).settings, typer.echo)
