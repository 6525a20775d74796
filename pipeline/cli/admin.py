"""Administration of the store: init, add, lift, erase, verify.

`erase` is here rather than with the audit commands: like `add` and `lift` it changes what the
store holds (it appends an erasure event and redacts rows and files); the audit commands only read."""
from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pipeline.cli.app import app, emit_json, env, parse_timestamp
from pipeline.cli.options import ADMIN, AsJson

if TYPE_CHECKING:
    from pipeline.audit.erase import ErasureResult


@app.command(rich_help_panel=ADMIN)
def init(ctx: typer.Context) -> None:
    """Create the store, or migrate it to the newest schema."""
    from pipeline.store.db import migrate  # here, not at import: `optout --help` stays light

    e = env(ctx)
    revision = migrate(e.engine(initialised=False))
    typer.echo(f"store ready at schema {revision}: {e.settings.database_url}")


@app.command(rich_help_panel=ADMIN)
def add(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="The address that asked to opt out."),
    channel: str = typer.Option(..., "--channel", help="postal_mail or manual."),
    ref: str = typer.Option(..., "--ref", help="The request's own reference (letter id, ticket)."),
    requested_at: str | None = typer.Option(None, "--requested-at", help="When the person asked (ISO 8601)."),
) -> None:
    """Record an opt-out by hand and publish it at once."""
    from pipeline.ledger import manual  # here, not at import: `optout --help` stays light

    e = env(ctx)
    at = parse_timestamp(requested_at, "--requested-at") if requested_at else None
    version = manual.add(e.engine(), e.settings, e.clock, address, channel, ref, at)
    typer.echo(f"recorded; list version {version.version if version else '-'} suppresses it")


@app.command(rich_help_panel=ADMIN)
def lift(
    ctx: typer.Context,
    address: str = typer.Argument(...),
    evidence: str = typer.Option(..., "--evidence", help="What proves the re-consent."),
) -> None:
    """Lift a suppression after an explicit re-consent (recorded as an event, never a deletion)."""
    from pipeline.ledger import manual  # here, not at import: `optout --help` stays light

    e = env(ctx)
    version = manual.lift(e.engine(), e.settings, e.clock, address, evidence)
    typer.echo(f"lift recorded; list version {version.version if version else '-'}")


@app.command(rich_help_panel=ADMIN)
def erase(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="The address to erase (every address with its match key)."),
    ref: str = typer.Option(..., "--ref", help="The erasure request's reference (ticket, letter)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List everything erasure would touch; change nothing."),
    as_json: AsJson = False,
) -> None:
    """GDPR erasure: the address leaves the store, the landing zone and the output folder (or
    each file left is listed with what to do); it stays suppressed as a keyed hash. Exit 1 when
    anything still holds the address (a file listed for manual action, space not reclaimed)."""
    e = env(ctx)
    from pipeline.audit.erase import erase as erase_address  # here, not at import: redaction + sqlite3, ~0.1 s

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


@app.command("verify", rich_help_panel=ADMIN)
def verify_cmd(ctx: typer.Context) -> None:
    """Recompute the event chain and the list digests; exit 1 on any break."""
    from pipeline.audit.verify import verify  # here, not at import: `optout --help` stays light
    from pipeline.store.db import read_tx  # here, not at import: `optout --help` stays light

    e = env(ctx)
    with read_tx(e.engine(read_only=True)) as conn:
        result = verify(conn, e.settings.hash_key)
    if result.ok:
        typer.echo(f"ok: {result.events} event(s) chained, {result.versions} list version(s) consistent")
        return
    for problem in result.problems[:20]:
        typer.echo(f"BROKEN: {problem}")
    if len(result.problems) > 20:
        typer.echo(f"… and {len(result.problems) - 20} more")
    raise typer.Exit(1)
