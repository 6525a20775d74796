"""The pre-send check: `check` a recipient list, or verify a receipt it wrote."""
from __future__ import annotations

import getpass
from pathlib import Path

import typer

from pipeline.cli.app import app, emit_json, env
from pipeline.cli.options import CHECK, AsJson, Kind
from pipeline.core.errors import OptoutError


@app.command(rich_help_panel=CHECK)
def check(
    ctx: typer.Context,
    input_path: Path | None = typer.Argument(
        None, metavar="INPUT", help="Recipient list: CSV (any line ends; , ; tab or |; also .csv.gz, UTF-16), Parquet or Excel .xlsx.",
    ),
    output: Path | None = typer.Option(None, "--output", help="Where the rows that may be sent go."),
    column: str | None = typer.Option(
        None, "--column", help="The address column, if not Email / E-mail / Email Address / email_address / recipient.",
    ),
    campaign: str | None = typer.Option(None, "--campaign", help="Campaign id recorded with the check."),
    kind: Kind = typer.Option(
        Kind.MARKETING, "--kind", help="marketing honours every opt-out; service (announcements) only scope all (account cancellations).",
    ),
    removed: Path | None = typer.Option(
        None, "--removed", help="Where removed rows go, with reason, channel, since, match key, scope, first request, detail.",
    ),
    max_age: float | None = typer.Option(None, "--max-age", help="Refuse (exit 3) if the list is older than this many hours (default 36)."),
    as_json: AsJson = False,
    in_database: bool = typer.Option(
        False, "--in-database", help="Let the database do the anti-join (lists larger than memory; best on PostgreSQL).",
    ),
    verify_file: Path | None = typer.Option(None, "--verify-receipt", help="Check a receipt's signature; exit 1 if altered."),
) -> None:
    """Check a recipient list against the current suppression list before a send."""
    from pipeline.check.nopandas import no_pandas  # here, not at import: `optout --help` stays light
    from pipeline.check.prefetch import prefetch, worth_it  # here, not at import: `optout --help` stays light
    from pipeline.check.receipts import verify_receipt  # here, not at import: `optout --help` stays light
    from pipeline.check.run import run_check  # here, not at import: `optout --help` stays light

    e = env(ctx)
    if verify_file is not None:
        valid, body = verify_receipt(verify_file, e.settings.receipt_key)
        typer.echo(f"{'valid' if valid else 'ALTERED'}: receipt {verify_file} (check {body.get('check_id', '?')})")
        raise typer.Exit(0 if valid else 1)
    if input_path is None or output is None:
        raise OptoutError("check needs INPUT and --output (or --verify-receipt FILE)")
    if not input_path.is_file():
        raise OptoutError(f"{input_path}: no such file")
    store = worth_it(input_path, e.settings.database_url, in_database)
    # This process ends with the check: pyarrow need not import pandas, and a child may read the list meanwhile.
    with no_pandas(), prefetch(store, e.settings.hash_key) as prefetched:
        result = run_check(
            e.engine(), e.settings, e.clock, input_path, output,
            column=column, campaign=campaign, kind=kind.value, removed=removed, max_age_hours=max_age,
            in_database=in_database, checked_by=f"cli:{os_user()}", prefetched=prefetched,
        )
    if as_json:
        emit_json({k: v for k, v in result.as_dict().items() if k != "receipt"} | {"receipt": result.receipt})
    else:
        typer.echo(
            f"checked {result.input_rows} row(s) against list version {result.list_version}: "
            f"{result.kept} kept, {result.suppressed} suppressed, {result.invalid} invalid, "
            f"{result.duplicates} duplicate(s) (check {result.check_id}, receipt {result.receipt})"
        )


def os_user() -> str:
    """Who runs the command, as the operating system names them (recorded with the check)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers) and no LOGNAME/USER
        return "unknown"
