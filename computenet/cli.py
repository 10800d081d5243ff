"""The ``computenet`` command: the client commands of ``clients.cli`` plus the server's own
(``serve``, ``admin``, ``data-dir``; ``simulate`` when the trace replay is installed).

Server commands import the server packages only when run, so the client-only install works.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from clients.cli import app
from computenet.config import Config, default_data_dir

__all__ = ["app", "main"]

admin = typer.Typer(
    help="Administer the server's database directly (tokens).", no_args_is_help=True
)
tokens = typer.Typer(help="Create, list and revoke API bearer tokens.", no_args_is_help=True)
admin.add_typer(tokens, name="token")
app.add_typer(admin, name="admin", rich_help_panel="Server")


@app.command(rich_help_panel="Server")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (env COMPUTENET_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(help="gRPC port; 0 picks one (env COMPUTENET_PORT).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL (env COMPUTENET_DATABASE_URL); default SQLite in the data dir."
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Load the demo compute network when the inventory is empty."),
    ] = False,
    auth: Annotated[
        bool | None,
        typer.Option(
            "--auth/--no-auth",
            help="Require bearer tokens (env COMPUTENET_AUTH); on unless --demo.",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Prometheus /metrics port; 0 = off (env COMPUTENET_METRICS_PORT)."),
    ] = None,
    tls_cert: Annotated[
        str | None, typer.Option(help="PEM server certificate (env COMPUTENET_TLS_CERT_FILE).")
    ] = None,
    tls_key: Annotated[
        str | None, typer.Option(help="PEM server key (env COMPUTENET_TLS_KEY_FILE).")
    ] = None,
    tls_client_ca: Annotated[
        str | None,
        typer.Option(help="PEM CA that client certificates must chain to (mTLS)."),
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning or error.")] = None,
    log_json: Annotated[
        bool | None, typer.Option("--log-json/--log-console", help="Log format.")
    ] = None,
) -> None:
    """Run the computenet gRPC server until SIGTERM or Ctrl-C."""
    import os

    if auth is None and "COMPUTENET_AUTH" not in os.environ:
        auth = not demo
    try:
        config = Config.from_env(
            host=host,
            port=port,
            database_url=database_url,
            demo=demo or None,
            auth=auth,
            metrics_port=metrics_port,
            tls_cert_file=tls_cert,
            tls_key_file=tls_key,
            tls_client_ca_file=tls_client_ca,
            log_level=log_level,
            log_json=log_json,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    from computenet.logging import configure_logging
    from scheduler.server import Running
    from scheduler.server import serve as run_server

    configure_logging(config.log_level, config.log_json)

    def ready(running: Running) -> None:
        address = running.address
        where = config.database_url
        if where.startswith("sqlite:///"):
            where = f"SQLite at {where.removeprefix('sqlite:///')}"
        say = lambda line: typer.echo(line, err=True)  # noqa: E731
        say(f"computenet is serving on {address} ({where}).")
        say(f"  CLI:     computenet --address {address} inventory list data-centers")
        say(f"  grpcurl: grpcurl -plaintext {address} list")
        if config.metrics_port:
            say(f"  metrics: curl http://{config.metrics_host}:{config.metrics_port}/metrics")
        if config.auth:
            say("  auth:    on; create a token with: computenet admin token create --help")
        else:
            say("  auth:    OFF (every caller is an admin); for development only")
        say("Stop with Ctrl-C (or SIGTERM).")

    try:
        asyncio.run(run_server(config, ready=ready))
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("data-dir", rich_help_panel="Server")
def data_dir() -> None:
    """Print where the embedded SQLite database lives."""
    typer.echo(Path(default_data_dir()) / "computenet.db")


def _token_store(database_url: str | None):  # type: ignore[no-untyped-def]
    from computenet import db
    from computenet.auth import TokenStore

    config = Config.from_env(database_url=database_url)
    engine = db.create_engine(config.database_url)
    db.migrate(engine)
    return TokenStore(engine)


DatabaseOption = Annotated[
    str | None, typer.Option(help="Database URL (env COMPUTENET_DATABASE_URL).")
]


@tokens.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="A label: who or what uses the token.")],
    role: Annotated[str, typer.Option(help="tenant, operator or admin.")] = "tenant",
    tenant: Annotated[str, typer.Option(help="The tenant id (tenant tokens only).")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from computenet.auth import parse_role
    from computenet.errors import ComputenetError, InvalidArgument

    try:
        info, token = _token_store(database_url).create(
            name=name, role=parse_role(role), tenant=tenant
        )
    except InvalidArgument as exc:
        for v in exc.violations:
            typer.echo(f"error: {v.field}: {v.description}", err=True)
        raise typer.Exit(2) from None
    except ComputenetError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"token id {info.id} ({info.role.name.lower()} {info.tenant or info.name}):")
    typer.echo(token)
    typer.echo("Keep it secret: it is not shown again. Use it as COMPUTENET_TOKEN.", err=True)


@tokens.command("list")
def token_list(database_url: DatabaseOption = None) -> None:
    """List tokens (ids, names, roles; never the secrets)."""
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "role": t.role.name.lower(),
            "tenant": t.tenant,
            "created": t.create_time.isoformat(),
            "revoked": t.revoke_time.isoformat() if t.revoke_time else "",
        }
        for t in _token_store(database_url).list()
    ]
    typer.echo(json.dumps(rows, indent=2))


@tokens.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (from create or list).")],
    database_url: DatabaseOption = None,
) -> None:
    """Revoke a token; servers refuse it within a few seconds (their cache time)."""
    from computenet.errors import NotFound

    try:
        info = _token_store(database_url).revoke(token_id)
    except NotFound as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked token {info.id} ({info.name})")


def _register_optional() -> None:
    try:
        from scheduler.simcli import register
    except ImportError:  # the trace replay needs the server extra
        return
    register(app)


def main() -> None:
    """Console-script entry point."""
    _register_optional()
    app()
