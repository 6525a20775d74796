"""Unsubscribe tokens (SPEC §2.7): mint one for a link, verify one by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from pipeline.cli.app import app, emit_json, env
from pipeline.cli.options import SERVICE, AsJson

token_app = typer.Typer(help="Mint and verify unsubscribe tokens (keys from OPTOUT_TOKEN_KEYS).", no_args_is_help=True)
app.add_typer(token_app, name="token", rich_help_panel=SERVICE)


@token_app.command("mint")
def mint_cmd(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="The recipient the link unsubscribes."),
    campaign: str = typer.Option("", "--campaign", help="Campaign id carried in the token."),
) -> None:
    """Print a token for ADDRESS signed with the first key of OPTOUT_TOKEN_KEYS."""
    from pipeline.intake.tokens import mint  # here, not at import: `optout --help` stays light (email_validator)

    e = env(ctx)
    typer.echo(mint(e.settings.token_keys, address, campaign, e.clock.now()))


@token_app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    token: str = typer.Argument(...),
    as_json: AsJson = False,
) -> None:
    """Exit 0 and print the address if TOKEN verifies with any listed key; exit 1 if not."""
    from pipeline.intake.tokens import BadToken, verify  # here, not at import: `optout --help` stays light (email_validator)

    e = env(ctx)
    try:
        claims = verify(e.settings.token_keys, token)
    except BadToken as exc:
        if as_json:
            emit_json({"valid": False, "error": str(exc)})
        else:
            typer.echo(f"INVALID: {exc}")
        raise typer.Exit(1) from None
    issued = issued_at(claims.issued_at)
    if as_json:
        emit_json({"valid": True, "address": claims.address, "campaign": claims.campaign, "kid": claims.kid, "issued_at": issued})
    else:
        when = issued or "at an unknown time"
        typer.echo(f"valid: {claims.address} (campaign {claims.campaign or '-'}, key {claims.kid}, issued {when})")


def issued_at(seconds: int) -> str | None:
    """A token's issue time (seconds since the epoch in the token) as ISO 8601 in UTC; None when
    the token carries none (verify gives 0) or a time no calendar holds."""
    if seconds == 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None
