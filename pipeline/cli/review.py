"""The operator's review queue: list, show, resolve (SPEC §7)."""

from __future__ import annotations

import getpass
import json

import typer

from pipeline.cli.app import app, emit_json, env
from pipeline.cli.options import REVIEW, AsJson, Scope, Status
from pipeline.core.errors import OptoutError

review_app = typer.Typer(help="What the pipeline could not decide: list, show and resolve items.", no_args_is_help=True)
app.add_typer(review_app, name="review", rich_help_panel=REVIEW)

SHOWN_MESSAGE_CHARS = 4000


@review_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Status = typer.Option(Status.OPEN, "--status", help="Which items: all for every one."),
    as_json: AsJson = False,
) -> None:
    """Review items, oldest first (open ones unless --status says otherwise)."""
    from pipeline.audit import review as queue  # here, not at import: `optout --help` stays light
    from pipeline.store.db import read_tx  # here, not at import: `optout --help` stays light

    with read_tx(env(ctx).engine(read_only=True)) as conn:
        items = queue.list_items(conn, None if status is Status.ALL else status.value)
    if as_json:
        emit_json([i.__dict__ for i in items])
        return
    if not items:
        typer.echo("no review items" if status is Status.ALL else f"no {status.value} review items")
        return
    for i in items:
        typer.echo(f"#{i.id:<5} {i.status:<9} {i.channel:<17} {i.reason:<22} {i.requested_at:%Y-%m-%d %H:%M}  {i.details[:100]}")


@review_app.command("show")
def show_cmd(ctx: typer.Context, item_id: int = typer.Argument(..., metavar="ID"), as_json: AsJson = False) -> None:
    """One item with its record's evidence."""
    from pipeline.audit import review as queue  # here, not at import: `optout --help` stays light
    from pipeline.store.db import read_tx  # here, not at import: `optout --help` stays light

    with read_tx(env(ctx).engine(read_only=True)) as conn:
        item = queue.get_item(conn, item_id)
    raw = dict(item.raw or {})
    for key in ("message", "message_latin1"):
        if isinstance(raw.get(key), str) and len(raw[key]) > SHOWN_MESSAGE_CHARS:
            raw[key] = raw[key][:SHOWN_MESSAGE_CHARS] + f"… ({len(raw[key])} characters)"
    if as_json:
        emit_json(item.__dict__ | {"raw": raw})
        return
    typer.echo(f"review item #{item.id}: {item.status} — {item.reason}")
    typer.echo(f"  why:       {item.details}")
    typer.echo(f"  record:    {item.channel} {item.source_ref} (record {item.record_id}, outcome {item.record_outcome})")
    typer.echo(f"  source:    {item.file or 'entered by hand'} {item.locator}")
    typer.echo(f"  requested: {item.requested_at.isoformat()}   queued: {item.created_at.isoformat()}")
    if item.resolved_at:
        typer.echo(f"  resolved:  {item.resolved_at.isoformat()} by {item.resolved_by}: {item.resolution}")
    own_text = raw.pop("own_text", None)
    if isinstance(own_text, str):
        typer.echo("  own text (quotes and signature removed):")
        for line in own_text.splitlines():
            typer.echo("    | " + line)
    message = raw.pop("message", None) or raw.pop("message_latin1", None)
    typer.echo("  evidence:")
    for line in json.dumps(raw, indent=2, ensure_ascii=False, default=str).splitlines():
        typer.echo("    " + line)
    if isinstance(message, str):
        typer.echo("  message:")
        for line in message.splitlines():
            typer.echo("    | " + line)


@review_app.command("resolve")
def resolve_cmd(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., metavar="ID"),
    accept: list[str] | None = typer.Option(None, "--accept", help="Opt this address out (repeat for several)."),
    dismiss: bool = typer.Option(False, "--dismiss", help="Close the item without an opt-out."),
    note: str = typer.Option(..., "--note", help="Why: what the operator saw and decided (kept as evidence)."),
    scope: Scope | None = typer.Option(None, "--scope", help="What the opt-out covers (default: all for a cancellation, else marketing)."),
) -> None:
    """Resolve an item: --accept ADDRESS… creates the opt-outs and publishes; --dismiss records why not."""
    from pipeline.audit import review as queue  # here, not at import: `optout --help` stays light

    if bool(accept) == dismiss:
        raise OptoutError("give --accept ADDRESS (one or more) or --dismiss, not both or neither")
    e = env(ctx)
    who = getpass.getuser()
    if dismiss:
        queue.dismiss(e.engine(), e.clock, item_id, note, who)
        typer.echo(f"review item {item_id} dismissed")
        return
    version = queue.accept(e.engine(), e.settings, e.clock, item_id, list(accept or []), note, who, None if scope is None else scope.value)
    typer.echo(
        f"review item {item_id} accepted: {len(set(accept or []))} address(es) opted out; "
        f"list version {version.version if version else '-'}"
    )
