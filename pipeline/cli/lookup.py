"""What the ledger says of one address (`lookup`) and of every opt-out event (`history`)."""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.cli.app import app, emit_json, env, parse_date_range, parse_timestamp
from pipeline.cli.options import AUDIT, AsJson, Format
from pipeline.core.errors import OptoutError

if TYPE_CHECKING:
    from pipeline.ledger.history import EventView


@app.command(rich_help_panel=AUDIT)
def lookup(
    ctx: typer.Context,
    address: str = typer.Argument(...),
    as_of: str | None = typer.Option(None, "--as-of", help="Answer for the list in force at this time."),
    version: int | None = typer.Option(None, "--version", help="Answer for this list version."),
    as_json: AsJson = False,
) -> None:
    """Exit 0 if the address is suppressed (now, at --as-of, or in --version), 1 if not; with its history."""
    from pipeline.ledger.history import lookup as lookup_query  # here, not at import: `optout --help` stays light
    from pipeline.store.db import read_tx  # here, not at import: `optout --help` stays light

    if as_of is not None and version is not None:
        raise OptoutError("give --as-of or --version, not both")
    e = env(ctx)
    at = parse_timestamp(as_of, "--as-of") if as_of is not None else None
    with read_tx(e.engine(read_only=True)) as conn:
        answer = lookup_query(conn, e.settings.hash_key, address, as_of=at, version=version)
    if as_json:
        emit_json(answer.as_dict())
    else:
        when = f" in list version {answer.list_version}" if answer.list_version else " (no list published)"
        since = f", since {answer.since}" if answer.since else ""
        status = f"SUPPRESSED (scope {answer.scope}{since})" if answer.suppressed else "not suppressed"
        at_text = f", as of {answer.as_of}" if answer.as_of else ""
        typer.echo(f"{answer.address} (key {answer.match_key}): {status}{when}{at_text}")
        if answer.after_as_of:
            typer.echo(
                f"  {len(answer.after_as_of)} event(s) recorded after {answer.as_of}: shown marked "
                "[after as-of], not counted in the status"
            )
        for ev in answer.events:
            mark = "[after as-of] " if answer.is_after_as_of(ev) else ""
            typer.echo("  " + mark + describe(ev))
    raise typer.Exit(0 if answer.suppressed else 1)


def describe(ev: EventView) -> str:
    where = f"{ev.evidence_file} {ev.evidence_locator}" if ev.evidence_file else (ev.evidence or ev.evidence_locator or "")
    effect = f"effective v{ev.effective_version} {ev.effective_at}" if ev.effective_version else "not yet published"
    return (
        f"#{ev.event_id} {ev.action} {ev.scope} via {ev.channel} ref {ev.source_ref or '-'}; requested {ev.requested_at}; "
        f"recorded {ev.recorded_at}; {effect}; evidence: {where}"
    )


@app.command(rich_help_panel=AUDIT)
def history(
    ctx: typer.Context,
    start: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD) of requested_at."),
    end: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD) of requested_at."),
    channel: str | None = typer.Option(None, "--channel"),
    fmt: Format = typer.Option(Format.CSV, "--format", help="Output format."),
    output: Path | None = typer.Option(None, "--output", help="Write here instead of standard output."),
) -> None:
    """Every opt-out event with its channel, source reference, times, effect and evidence."""
    from pipeline.audit.export import neutralise  # here, not at import: `optout --help` stays light
    from pipeline.channels import REGISTRY  # here, not at import: the channels, ~0.35 s
    from pipeline.ledger.history import EventView  # here, not at import: `optout --help` stays light
    from pipeline.ledger.history import history as history_query  # here, not at import: `optout --help` stays light
    from pipeline.store.db import read_tx  # here, not at import: `optout --help` stays light

    if channel and channel not in REGISTRY and channel not in ("manual", "erasure"):
        raise OptoutError(f"--channel: unknown channel {channel!r}")
    first, last = parse_date_range(start, end)
    e = env(ctx)
    with read_tx(e.engine(read_only=True)) as conn:
        events = history_query(conn, start=first, end=last, channel=channel)
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt is Format.JSON:
            out.write(json.dumps([asdict(ev) for ev in events], indent=2, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(out, lineterminator="\n")
            names = [f.name for f in fields(EventView)]
            writer.writerow(names)
            for ev in events:
                # Formula-injection safe, like `optout export` (docs/audit.md): `=x@example.com` is a valid address.
                writer.writerow([neutralise(str(getattr(ev, n))) if getattr(ev, n) is not None else "" for n in names])
    finally:
        if output:
            out.close()
    if output:
        typer.echo(f"{len(events)} event(s) written to {output}", err=True)
