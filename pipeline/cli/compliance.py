"""Compliance commands: report, export, erase, and `audit campaign`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.audit.campaign import CampaignAudit, Recipient, audit_campaign
from pipeline.cli.app import app, emit_json, env, parse_date
from pipeline.core.errors import OptoutError
from pipeline.store.db import read_tx

if TYPE_CHECKING:
    from pipeline.audit.erase import ErasureResult
    from pipeline.audit.report import ComplianceReport

audit_app = typer.Typer(
    help="Audit what was done: `audit campaign ID` for a recorded send check.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
SHOWN = 20


@app.command()
def report(
    ctx: typer.Context,
    date_: str | None = typer.Option(
        None, "--date", help="Report as of the end of this day (UTC); default: now."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    html: Path | None = typer.Option(None, "--html", help="Also write the HTML report (with chart) here."),
) -> None:
    """Time from request to effect against 48 hours, 10 business days and one month; exit 1 on any breach."""
    e = env(ctx)
    from pipeline.audit.report import compliance_report  # holiday calendars load only for reports
    from pipeline.audit.report_html import render_html

    result = compliance_report(e.engine(), parse_date(date_, "--date") if date_ else None, e.clock)
    if html is not None:
        try:
            html.write_text(render_html(result), encoding="utf-8")
        except OSError as exc:
            raise OptoutError(f"--html {html}: cannot write ({exc.strerror})") from None
    if as_json:
        emit_json(result.as_dict())
    else:
        print_report(result)
    raise typer.Exit(0 if result.ok else 1)


def print_report(r: ComplianceReport) -> None:
    typer.echo(f"compliance report for {r.date}, as of {r.as_of}")
    typer.echo(
        f"  {'channel':<18} {'requests':>8} {'open':>5} {'p50 h':>8} {'p90 h':>8} {'max h':>8}"
        f" {'>48h':>5} {'>10bd':>5} {'>1mo':>5}"
    )
    for name, s in r.channels.items():
        h = {k: "-" if v is None else f"{v:g}" for k, v in s.hours.items()}
        b = list(s.breaches.values())
        typer.echo(
            f"  {name:<18} {s.requests:>8} {s.open:>5} {h['p50']:>8} {h['p90']:>8} {h['max']:>8}"
            f" {b[0]:>5} {b[1]:>5} {b[2]:>5}"
        )
    typer.echo(f"breaches: {len(r.breaches)}")
    for c in r.breaches[:SHOWN]:
        typer.echo(
            f"  {c.channel} {c.source_ref}: requested {c.requested_at}, "
            f"effective {c.effective_at or 'not yet'} "
            f"({c.hours_to_effect} h), breached {', '.join(c.breached)}"
        )
    typer.echo(
        f"at risk: {len(r.at_risk)} received but not yet effective, "
        f"{len(r.reviews_at_risk)} review item(s) open over a day"
    )
    for c in r.at_risk[:SHOWN]:
        typer.echo(f"  {c.channel} {c.source_ref}: requested {c.requested_at}, waiting {c.hours_to_effect} h")
    for i in r.reviews_at_risk[:SHOWN]:
        typer.echo(
            f"  review item {i.item_id} ({i.channel} {i.source_ref}, {i.reason}): open {i.hours_open} h"
        )


@app.command()
def export(
    ctx: typer.Context,
    output: Path = typer.Option(..., "--output", help="Directory for the CSV and its manifest.json."),
    hashed: bool = typer.Option(
        False, "--hashed", help="HMAC-SHA256 of each match key (OPTOUT_EXPORT_KEY) instead of clear text."
    ),
) -> None:
    """Write the current list: clear CSV safe to open in a spreadsheet, or hashed for third parties."""
    e = env(ctx)
    from pipeline.audit.export import export_list

    manifest = export_list(e.engine(), e.settings, e.clock, output, hashed=hashed)
    typer.echo(
        f"list version {manifest.list_version}: {manifest.rows} row(s) to {output / manifest.file} "
        f"(manifest {output / 'manifest.json'})"
    )
    for warning in manifest.warnings:
        typer.echo(f"warning: {warning}", err=True)


@app.command()
def erase(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="The address to erase (every address with its match key)."),
    ref: str = typer.Option(..., "--ref", help="The erasure request's reference (ticket, letter)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List everything erasure would touch; change nothing."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """GDPR erasure: the address leaves the store, the landing zone and the output folder (or
    each file left is listed with what to do); it stays suppressed as a keyed hash. Exit 1 when
    anything still holds the address (a file listed for manual action, space not reclaimed)."""
    e = env(ctx)
    from pipeline.audit.erase import erase as erase_address

    result = erase_address(e.engine(), e.settings, e.clock, address, ref, dry_run=dry_run)
    if as_json:
        emit_json(result.as_dict())
    else:
        print_erasure(result)
    if not dry_run and not result.complete:
        if not as_json:
            typer.echo("warning: the address is still held where listed above: see each line", err=True)
        raise typer.Exit(1)


def print_erasure(r: ErasureResult) -> None:
    would = "would " if r.dry_run else ""
    changed = sum(n for table, n in r.redacted.items() if table != "optout_events")
    if r.dry_run:
        typer.echo(
            f"dry run: nothing changed; erasure would clear {r.events_cleared} event(s) and redact {changed} "
            f"other row(s); the address would stay suppressed as key {r.key_hash[:12]}… in list version {r.list_version}"
        )
    else:
        typer.echo(
            f"erased: {r.events_cleared} event(s) cleared, {changed} other row(s) redacted; "
            f"still suppressed as key {r.key_hash[:12]}… in list version {r.list_version}"
        )
    typer.echo(f"  {would}append: 1 erasure event (channel erasure), list version {r.list_version}")
    tables = ", ".join(f"{table} {n}" for table, n in sorted(r.redacted.items()) if n)
    typer.echo(f"  tables ({'rows it would change' if r.dry_run else 'rows changed'}): {tables or 'none'}")
    for f in r.rewritten:
        moved = f", ingested_files row(s) moved to the new hash: {f.ingested_rows}" if f.ingested_rows else ""
        renamed = f", renamed to {f.new_path}" if f.new_path else ""
        note = f" ({f.note})" if f.note else ""
        typer.echo(f"  {would}rewrite {f.area} file {f.path}{renamed}: sha256 {f.old_sha256[:12]}… -> "
                   f"{f.new_sha256[:12]}…{moved}{note}")
    for f in r.manual:
        typer.echo(f"  MANUAL {f.area} file {f.path}: {f.note}")
    typer.echo(f"  space: {r.vacuum}")


@audit_app.command("campaign")
def campaign(
    ctx: typer.Context,
    ident: str = typer.Argument(
        ..., metavar="ID", help="The check id `optout check` printed, or a campaign with one check."
    ),
    column: str | None = typer.Option(
        None, "--column", help="The address column, if the check used --column."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Replay a send check: who was suppressed, sent while suppressed, missing from the list, opted out after.
    Exit 0 when proven clean, 1 when a suppressed row was kept or the files cannot be verified."""
    e = env(ctx)
    with read_tx(e.engine()) as conn:
        result = audit_campaign(conn, e.settings.hash_key, ident, column)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print_audit(result)
    raise typer.Exit(0 if result.ok else 1)


def print_audit(a: CampaignAudit) -> None:
    newest = "the newest" if a.used_newest else f"NOT the newest (version {a.newest_version_at_check} was)"
    typer.echo(
        f"check {a.check_id} (campaign {a.campaign or '-'}, {a.kind}) at {a.checked_at}: list version "
        f"{a.list_version} published {a.list_published_at}, {newest}"
    )
    typer.echo(
        f"  replay of the events gives the recorded digest: {'yes' if a.replay_matches_digest else 'NO'}"
    )
    typer.echo(
        f"  input {a.input_path}: {'verified' if a.input_verified else 'NOT verified'}; "
        f"output {a.output_path}: {'verified' if a.output_verified else 'NOT verified'}"
    )
    typer.echo(f"  rows {a.rows_in}, kept {a.kept}, removed as suppressed {a.suppressed}")
    _section("suppressed at check time (must have been removed)", a.suppressed_at_check)
    _section("SENT WHILE SUPPRESSED (kept although suppressed)", a.sent_while_suppressed)
    _section("asked before the check but not yet in the list used", a.missing_from_list)
    _section("opted out after the check", a.opted_out_after_check)
    for problem in a.problems:
        typer.echo(f"  ! {problem}")


def _section(title: str, recipients: list[Recipient]) -> None:
    typer.echo(f"  {title}: {len(recipients)}")
    for r in recipients[:SHOWN]:
        since = (
            f" (asked {r.requested_at}{', via ' + r.channels if r.channels else ''})"
            if r.requested_at
            else ""
        )
        typer.echo(f"    row {r.row}: {r.address}{since}")
    if len(recipients) > SHOWN:
        typer.echo(f"    … and {len(recipients) - SHOWN} more (use --json)")
