"""Composition root of the server: builds the database, stores, engines and servicers from one
``Config``, serves them on grpc.aio with health and reflection, and stops gracefully."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy.engine import Engine as DbEngine

from computenet import db
from computenet.auth import TokenStore
from computenet.config import Config
from computenet.service import AuthInterceptor, RateLimiter
from computenet.v1 import (
    inventory_pb2,
    inventory_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from inventory.document import load_demo
from inventory.service import InventoryServicer
from inventory.store import InventoryStore
from pue.service import TelemetryServicer
from scheduler.domain import JobState
from scheduler.engine import Engine
from scheduler.replication import Coordinator
from scheduler.service import SchedulerServicer
from scheduler.store import JobStore
from scheduler.telemetry_runtime import TelemetryRuntime
from scheduler.webhooks import start_webhooks

__all__ = ["SERVICE_NAMES", "Running", "serve", "start", "tune_gc"]

SERVICE_NAMES = (
    inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name,
    scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name,
    telemetry_pb2.DESCRIPTOR.services_by_name["TelemetryService"].full_name,
)

_log = structlog.get_logger("computenet.server")


@dataclass
class Running:
    """A started server and what it is built from."""

    server: grpc.aio.Server
    port: int
    config: Config
    engine: DbEngine
    inventory: InventoryStore
    engine_: Engine
    health: health.HealthServicer
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _on_stop: list[Callable[[], None]] = field(default_factory=list)
    telemetry: TelemetryRuntime | None = None
    coordinator: Coordinator | None = None

    @property
    def address(self) -> str:
        return f"{self.config.host}:{self.port}"

    async def stop(self, grace: float | None = None) -> None:
        """Refuse new calls, let in-flight ones finish within ``grace`` seconds, release all."""
        self.health.enter_graceful_shutdown()
        await self.server.stop(self.config.grace_seconds if grace is None else grace)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.coordinator is not None:
            await self.coordinator.stop()
        if self.telemetry is not None:
            await self.telemetry.stop()
        for fn in reversed(self._on_stop):
            fn()
        self.engine.dispose()


async def start(config: Config, *, engine: DbEngine | None = None) -> Running:
    """Build everything from ``config`` and start serving; the caller owns ``stop()``."""
    # Bad TLS settings fail here, before anything starts that would need stopping.
    credentials = _server_credentials(config)
    engine = engine or db.create_engine(config.database_url)
    if config.migrate:
        await asyncio.to_thread(db.migrate, engine)
    inventory = InventoryStore(engine)
    if config.demo and await asyncio.to_thread(inventory.is_empty):
        counts = await asyncio.to_thread(inventory.import_document, load_demo())
        _log.info("demo network loaded", **counts)
    telemetry = TelemetryRuntime.create(config, engine, inventory)
    jobs = JobStore(engine)
    engine_ = Engine(
        jobs, inventory, default_policy=config.default_policy, pue=telemetry.pue_lookup
    )
    coordinator: Coordinator | None = None
    if not db.is_sqlite(engine):
        # Several replicas may share this database: one places, all accept and serve reads.
        coordinator = Coordinator(
            config.database_url, on_leader=engine_.become_leader, on_change=engine_.on_peer_change
        )
        engine_.enable_replication(coordinator.notify, lambda: coordinator.is_leader)
    # Subscribed before the engine starts, so no job change goes unannounced.
    webhooks, dispatcher = await start_webhooks(engine, engine_, config)
    await engine_.start()
    if coordinator is not None:
        await coordinator.start()
    await telemetry.start(engine_, jobs, inventory)
    tasks: list[asyncio.Task[None]] = [dispatcher]
    if config.batch_interval_seconds > 0:
        tasks.append(asyncio.create_task(_batch_loop(engine_, config), name="batch-placement"))

    options = [
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.max_receive_message_length", config.max_message_bytes),
    ]
    tokens = TokenStore(engine, cache_seconds=config.token_cache_seconds) if config.auth else None
    limiter = (
        RateLimiter(config.rate_limit_per_second, config.rate_limit_burst)
        if config.rate_limit_per_second > 0
        else None
    )
    if not config.auth:
        _log.warning("authentication is off: every caller is an admin (development only)")
    server = grpc.aio.server(
        options=options,
        maximum_concurrent_rpcs=config.max_concurrent_rpcs,
        interceptors=[AuthInterceptor(tokens, limiter)],
    )
    inventory_pb2_grpc.add_InventoryServiceServicer_to_server(InventoryServicer(inventory), server)
    scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server(
        SchedulerServicer(engine_, max_watch_seconds=config.max_watch_seconds, webhooks=webhooks),
        server,
    )
    telemetry_pb2_grpc.add_TelemetryServiceServicer_to_server(
        TelemetryServicer(telemetry.telemetry, telemetry.ingest, telemetry.utilization_source),
        server,
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in (*SERVICE_NAMES, ""):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        (
            *SERVICE_NAMES,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    address = f"{config.host}:{config.port}"
    port = (
        server.add_secure_port(address, credentials)
        if credentials is not None
        else server.add_insecure_port(address)
    )
    if port == 0:
        raise OSError(f"cannot bind {config.host}:{config.port}")
    await server.start()
    _log.info("serving", address=f"{config.host}:{port}", database=_redacted(config.database_url))
    return Running(
        server,
        port,
        config,
        engine,
        inventory,
        engine_,
        health_servicer,
        tasks,
        telemetry=telemetry,
        coordinator=coordinator,
    )


def _server_credentials(config: Config) -> grpc.ServerCredentials | None:
    """TLS (and mTLS with a client CA) from the configured PEM files, or None for plaintext."""
    if not config.tls_cert_file and not config.tls_key_file:
        if config.tls_client_ca_file:
            raise ValueError("tls_client_ca_file needs tls_cert_file and tls_key_file")
        return None
    if not (config.tls_cert_file and config.tls_key_file):
        raise ValueError("TLS needs both tls_cert_file and tls_key_file")
    cert = Path(config.tls_cert_file).read_bytes()
    key = Path(config.tls_key_file).read_bytes()
    ca = Path(config.tls_client_ca_file).read_bytes() if config.tls_client_ca_file else None
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=ca, require_client_auth=ca is not None
    )


async def _batch_loop(engine: Engine, config: Config) -> None:
    """Run the batch optimizer over the pending queue every interval while jobs wait."""
    while True:
        await asyncio.sleep(config.batch_interval_seconds)
        if not engine.is_leader or not any(
            j.state is JobState.PENDING for j in engine.unfinished()
        ):
            continue
        try:
            await engine.run_batch(time_limit=config.batch_time_limit_seconds)
        except Exception as exc:  # the loop must outlive one bad round; the log says why
            _log.error("batch placement failed", exc_info=exc)


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def tune_gc() -> None:
    """Set the garbage collector for a long-running server; call once start-up is done.

    The engine keeps every unfinished job with its placement and explanation in memory, and
    CPython's default thresholds (700, 10, 10) then make full collections of that heap a
    quarter of the CPU time under load, each pausing every call for up to a quarter of a
    second (see docs/BENCHMARKS.md). What start-up built (inventory, modules) is frozen out
    of the collector's view; the young generation collects every 10,000 net allocations and
    the middle one every 100 of those, i.e. every million net allocations (every 7,000 by
    default). A young collection walks every job accepted since the last one, so 10,000
    keeps each such pause at a few milliseconds (at 50,000 they took 20-40 ms, every call in
    flight waiting). Reference counting still frees everything that is not in a cycle at
    once.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 100, 10)


async def serve(config: Config, *, ready: Callable[[Running], None] | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully."""
    running = await start(config)
    tune_gc()
    if ready is not None:
        ready(running)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    _log.info("stopping", grace_seconds=config.grace_seconds)
    await running.stop()
    _log.info("stopped")
