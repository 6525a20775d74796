"""`optout serve`: the HTTP service (SPEC §8)."""

from __future__ import annotations

import copy
import ipaddress

import typer

from pipeline.cli.app import app, env
from pipeline.cli.options import SERVICE, Half
from pipeline.core.config import development_keys
from pipeline.core.errors import OptoutError


def is_loopback(host: str) -> bool:
    """Whether `host` names only this machine (`localhost`, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


@app.command(rich_help_panel=SERVICE)
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (beyond loopback: real keys required)."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    only: Half | None = typer.Option(None, "--only", help="Serve one half alone: public (/u/...) or console (/api/v1/..., /console/)."),
) -> None:
    """Serve one-click unsubscribe (POST /u/TOKEN) and its confirmation page (GET /u/TOKEN),
    the JSON API and the console (/console/); requests whose token verifies are appended to
    today's unsubscribe_link landing file, the others counted. `--only public` serves the
    unsubscribe half alone (to face the internet), `--only console` the API and console."""
    e = env(ctx)
    dev = development_keys(e.settings)
    if dev and not is_loopback(host):
        # Anyone with the source could mint tokens for any address and forge receipts.
        raise OptoutError(f"serve: refusing --host {host} with development keys ({', '.join(dev)}); set real keys or serve on 127.0.0.1")

    import uvicorn.config  # here, not at import: ~0.4 s (binds uvicorn too)

    from pipeline.http.app import create_app  # here, not at import: FastAPI + pydantic, ~1.3 s

    half = only.value if only is not None else None
    base = f"http://{host}:{port}"
    if half in (None, "public"):
        typer.echo(f"optout serve: {base}/u/<token>; clicks land in {e.settings.landing / 'unsubscribe_link'}", err=True)
    if half in (None, "console"):
        typer.echo(f"optout serve: console at {base}/console/, JSON API at {base}/api/v1/", err=True)
    # The server's own messages (segments closed after a crash, intraday runs asked for) beside
    # uvicorn's, in its format.
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["loggers"]["pipeline"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    uvicorn.run(create_app(e.settings, e.clock, only=half), host=host, port=port, log_level="info", access_log=False,
                log_config=log_config)
