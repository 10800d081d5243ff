"""The ``computenet`` command: the client commands of ``clients.cli`` plus the server's own
(``serve``; ``simulate`` when the trace replay is installed).

Server commands import the server packages only when run, so the client-only install works.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from clients.cli import app
from computenet.config import Config, default_data_dir

__all__ = ["app", "main"]


@app.command(rich_help_panel="Server")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind [env COMPUTENET_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="gRPC port; 0 picks one [env COMPUTENET_PORT].")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL [env COMPUTENET_DATABASE_URL]; default SQLite in the data dir."),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo compute network when the inventory is empty.")
    ] = False,
    metrics_port: Annotated[
        int | None, typer.Option(help="Prometheus /metrics port; 0 = off [env COMPUTENET_METRICS_PORT].")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning or error.")] = None,
    log_json: Annotated[bool | None, typer.Option("--log-json/--log-console", help="Log format.")] = None,
) -> None:
    """Run the computenet gRPC server until SIGTERM or Ctrl-C."""
    try:
        config = Config.from_env(
            host=host,
            port=port,
            database_url=database_url,
            demo=demo or None,
            metrics_port=metrics_port,
            log_level=log_level,
            log_json=log_json,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    from computenet.logging import configure_logging
    from scheduler.server import Running, serve as run_server

    configure_logging(config.log_level, config.log_json)

    def ready(running: Running) -> None:
        address = running.address
        where = config.database_url
        if where.startswith("sqlite:///"):
            where = f"SQLite at {where.removeprefix('sqlite:///')}"
        typer.echo(f"computenet is serving on {address} ({where}).", err=True)
        typer.echo(f"  CLI:     computenet --address {address} inventory list data-centers", err=True)
        typer.echo(f"  grpcurl: grpcurl -plaintext {address} list", err=True)
        if config.metrics_port:
            typer.echo(f"  metrics: curl http://{config.metrics_host}:{config.metrics_port}/metrics", err=True)
        typer.echo("Stop with Ctrl-C (or SIGTERM).", err=True)

    try:
        asyncio.run(run_server(config, ready=ready))
    except OSError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("data-dir", rich_help_panel="Server")
def data_dir() -> None:
    """Print where the embedded SQLite database lives."""
    typer.echo(Path(default_data_dir()) / "computenet.db")


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
