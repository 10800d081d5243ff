"""The telemetry side of a running server, built by the composition root from one ``Config``:
store, ingest, the PUE questions, the trailing-PUE cache the engine prices energy with, the
utilization view, and the background work (cache refresh, demo simulator, meter collector,
``/metrics`` endpoint), with one ``stop``.

Two steps because the engine needs the PUE lookup when it is built and the rest needs the
started engine: ``TelemetryRuntime.create`` (no I/O), then ``start``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy.engine import Engine as DbEngine

from computenet.config import Config
from computenet.metrics import Metrics, MetricsServer, on_loop, serve_metrics
from inventory.domain import DataCenter
from inventory.store import InventoryStore
from pue.collect import Collector
from pue.domain import Reading
from pue.ingest import Ingest
from pue.store import TelemetryStore
from pue.targets import load_targets
from pue.telemetry import PueCache, Telemetry
from pue.views import UtilizationSource
from scheduler.engine import Engine
from scheduler.store import JobStore
from scheduler.telemetry_sim import SimulatorConfig, TelemetrySimulator
from scheduler.views import UtilizationView, data_center_directory, metrics_snapshot

__all__ = ["TelemetryRuntime"]

_log = structlog.get_logger("computenet.telemetry")


@dataclass
class TelemetryRuntime:
    """Everything the telemetry side runs, and how to stop it."""

    config: Config
    store: TelemetryStore
    ingest: Ingest
    telemetry: Telemetry
    pue_cache: PueCache
    utilization: UtilizationView | None = None
    metrics: Metrics | None = None
    metrics_server: MetricsServer | None = None
    simulator: TelemetrySimulator | None = None
    collector: Collector | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _http: httpx.AsyncClient | None = None

    @classmethod
    def create(
        cls, config: Config, engine: DbEngine, inventory: InventoryStore
    ) -> TelemetryRuntime:
        """The parts the engine needs before it starts (nothing runs yet)."""
        store = TelemetryStore(engine)
        ingest = Ingest(store)
        telemetry = Telemetry(store, data_center_directory(inventory))
        cache = PueCache(telemetry, refresh=timedelta(seconds=config.pue_refresh_seconds))
        ingest.subscribe(cache.on_ingest)
        return cls(config, store, ingest, telemetry, cache)

    def pue_lookup(self, dc: DataCenter) -> tuple[float, bool]:
        """The engine's ``PueLookup``: measured trailing PUE when good enough, else design."""
        return self.pue_cache.lookup(dc.id, dc.design_pue)

    @property
    def utilization_source(self) -> UtilizationSource | None:
        """The servicer's GetUtilization source (after ``start``)."""
        return self.utilization.report if self.utilization is not None else None

    async def start(self, engine: Engine, jobs: JobStore, inventory: InventoryStore) -> None:
        """Compute the cached PUEs, then start the background work the config asks for."""
        config = self.config
        self.utilization = UtilizationView(engine, inventory, jobs)
        await self.pue_cache.refresh()
        self._spawn(self.pue_cache.run(self._stop), "pue-cache")
        if config.demo and config.telemetry_simulator:
            self.simulator = TelemetrySimulator(
                engine,
                self.store,
                self.ingest,
                SimulatorConfig(
                    interval=timedelta(seconds=config.telemetry_simulator_interval_seconds),
                    seed=config.telemetry_simulator_seed,
                    backfill=timedelta(days=config.telemetry_simulator_backfill_days),
                ),
            )
            self._spawn(self.simulator.run(self._stop), "telemetry-simulator")
        if config.collector_targets:
            self._http = httpx.AsyncClient()
            self.collector = Collector(
                load_targets(config.collector_targets), self._http, self._collected
            )
            self._spawn(self.collector.run(self._stop), "meter-collector")
        self.metrics = Metrics(
            on_loop(
                asyncio.get_running_loop(),
                lambda: metrics_snapshot(engine, self.pue_lookup, self.pue_cache.values()),
            )
        )
        self.metrics.attach()
        if config.metrics_port:
            self.metrics_server = serve_metrics(
                self.metrics, config.metrics_host, config.metrics_port
            )
            _log.info("metrics serving", port=self.metrics_server.port)

    async def _collected(self, readings: Sequence[Reading]) -> None:
        await self.ingest.record_readings(readings)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    async def stop(self) -> None:
        """Stop the background work (5 s to finish, then cancelled), the metrics endpoint and
        the HTTP client."""
        self._stop.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=5.0)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.metrics_server is not None:
            await asyncio.to_thread(self.metrics_server.close)
        if self.metrics is not None:
            self.metrics.detach()
        if self._http is not None:
            await self._http.aclose()
