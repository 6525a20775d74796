"""`optout reconcile FILE --esp NAME [--adopt]`: a provider's own suppression list against ours
(docs/esp.md, "Reconciling"). Exit 1 when someone on our list is missing from the provider's."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.cli.app import app, emit_json, env
from pipeline.cli.options import AUDIT, AsJson

if TYPE_CHECKING:
    from pipeline.audit.reconcile import Reconciliation

SHOWN = 20


class Esp(StrEnum):
    """The providers `--esp` and `export --format` take (any other is refused before the command runs)."""

    SENDGRID = "sendgrid"
    SES = "ses"
    MAILGUN = "mailgun"
    POSTMARK = "postmark"
    MAILCHIMP = "mailchimp"


@app.command("reconcile", rich_help_panel=AUDIT)
def reconcile_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The provider's export of its suppression list (CSV, or its JSON)."),
    esp: Esp = typer.Option(..., "--esp", help="The provider whose export FILE is."),
    adopt: bool = typer.Option(False, "--adopt", help="Land the provider-only opt-outs (not bounces) as esp_events for the next run."),
    output: Path | None = typer.Option(None, "--output", help="Folder for the ours-only import file (default: the folder of FILE)."),
    as_json: AsJson = False,
) -> None:
    """Compare a provider's suppression list with ours: on the provider only, ours only, both.
    Exit 1 when ours-only is not empty (the provider could mail them today)."""
    from pipeline.audit.reconcile import reconcile  # here, not at import: `optout --help` stays light

    e = env(ctx)
    result = reconcile(e.engine(read_only=True), e.settings, e.clock, file, esp.value, output if output is not None else file.parent, adopt)
    if as_json:
        emit_json(result.as_dict())
    else:
        print_reconciliation(result)
    raise typer.Exit(0 if result.ok else 1)


def print_reconciliation(r: Reconciliation) -> None:
    c = r.counts()
    typer.echo(f"{r.provider} export {r.file} ({c['rows']} rows) against list version {r.list_version}:")
    typer.echo(f"  on {r.provider} only: {c['esp_only']} ({c['esp_only_adoptable']} opt-outs, {c['esp_only_bounces']} bounces)")
    for item in r.esp_only[:SHOWN]:
        typer.echo(f"    line {item.line}: {item.address} ({item.reason or item.kind})")
    typer.echo(
        f"  on our list only: {c['ours_only']} ({c['ours_only_addresses']} addresses, {c['ours_only_erased']} erased) -> {r.ours_only_file}"
    )
    for address in r.ours_only[:SHOWN]:
        typer.echo(f"    {address}")
    typer.echo(f"  on both: {c['both']}")
    if r.invalid:
        shown = ", ".join(str(n) for n, _ in r.invalid[:SHOWN])
        typer.echo(f"  invalid addresses: {len(r.invalid)} (lines {shown}{' …' if len(r.invalid) > SHOWN else ''})")
    if r.adopted_file is not None:
        typer.echo(f"  adopted: {len(r.esp_only)} landed as {r.adopted_file} (evidence {r.evidence_file})")
