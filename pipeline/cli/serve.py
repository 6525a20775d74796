"""`optout serve`: the HTTP service (SPEC §8)."""

from __future__ import annotations

import typer

from pipeline.cli.app import app, env


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
) -> None:
    """Serve one-click unsubscribe (POST /u/TOKEN) and its confirmation page (GET /u/TOKEN);
    every request is appended to today's unsubscribe_link landing file."""
    import uvicorn

    from pipeline.http.app import create_app

    e = env(ctx)
    typer.echo(f"optout serve: http://{host}:{port}/u/<token>; clicks land in {e.settings.landing / 'unsubscribe_link'}", err=True)
    uvicorn.run(create_app(e.settings, e.clock), host=host, port=port, log_level="info", access_log=False)
