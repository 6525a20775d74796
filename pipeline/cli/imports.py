"""`optout import FILE --source TEXT`: adopt a past suppression list as evidence-bearing opt-outs."""
from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app, env
from pipeline.cli.options import ADMIN


@app.command("import", rich_help_panel=ADMIN)
def import_list(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The past suppression list (CSV, .csv.gz, Excel or Parquet)."),
    source: str = typer.Option(..., "--source", help="Where the list comes from; kept with every opt-out."),
    column: str | None = typer.Option(None, "--column", help="The address column (default: found by its header)."),
    requested_at_column: str | None = typer.Option(
        None, "--requested-at-column", help="The column holding each opt-out's time (default: the import time)."),
) -> None:
    """Import a past suppression list: one opt-out per valid address, the file stored as evidence."""
    from pipeline.audit.adopt import adopt_file  # here, not at import: `optout --help` stays light

    e = env(ctx)
    report = adopt_file(e.engine(), e.settings, e.clock, file, source, column, requested_at_column)
    for line in report.lines():
        typer.echo(line)
