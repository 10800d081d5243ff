"""Prometheus metrics of one server: RPCs by method and code, the queue, placements, the batch
solver, and PUE and accelerator utilization per data center, on a registry of its own.

The composition root builds one ``Metrics`` per server (never the library's global default
registry, so that two servers in one process, as in the tests, do not mix) and serves it with
``serve_metrics``. RPC counts come from the ``computenet.service`` call-observer hook; the
per-data-center gauges are read at scrape time from a ``Snapshot`` source the root provides,
which reads the scheduler's in-memory state on the event loop thread (``on_loop``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server

from computenet.service import add_call_observer

__all__ = [
    "RPC_BUCKETS",
    "Metrics",
    "MetricsServer",
    "Snapshot",
    "SnapshotSource",
    "on_loop",
    "serve_metrics",
]

RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Latency buckets, seconds: a placement takes about a millisecond, a batch import seconds."""

_log = structlog.get_logger("computenet.metrics")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The scheduler's state the gauges show, read at one instant."""

    pending_jobs: int = 0
    """Jobs waiting for capacity."""
    placements: int = 0
    """Jobs placed since the server started."""
    pue: Mapping[str, tuple[float, bool]] = field(default_factory=dict)
    """PUE the scheduler prices energy with, and whether it is measured, by data center."""
    accelerators: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """(allocated, installed) accelerators by data center."""
    solver_seconds: float | None = None
    """Wall time of the last batch solve, if one ran (sets the solver gauge)."""
    solver_gap: float | None = None
    """Relative optimality gap of the last batch solve, if it has one (sets the gauge)."""


SnapshotSource = Callable[[], Snapshot]
"""Reads a ``Snapshot``; called from the HTTP server's thread at every scrape."""


def on_loop(
    loop: asyncio.AbstractEventLoop, read: Callable[[], Snapshot], timeout: float = 5.0
) -> SnapshotSource:
    """A source that runs ``read`` on ``loop``'s thread (the scheduler's state is only
    touched there) and waits up to ``timeout`` seconds for it."""

    def source() -> Snapshot:
        try:
            if asyncio.get_running_loop() is loop:
                return read()
        except RuntimeError:
            pass
        future: concurrent.futures.Future[Snapshot] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(read())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout)

    return source


class _SnapshotCollector:
    """Yields the snapshot gauges at each scrape."""

    def __init__(self, source: SnapshotSource | None) -> None:
        self._source = source
        self._last = Snapshot()

    def describe(self) -> list[Metric]:
        # Names only; never call the source at registration (it may block on the loop).
        return list(self._families(Snapshot()))

    def collect(self) -> Iterator[Metric]:
        if self._source is not None:
            try:
                self._last = self._source()
            except Exception as exc:
                # A busy or stopped loop must not fail the scrape: show the last values.
                _log.warning("metrics.snapshot_failed", error=repr(exc))
        yield from self._families(self._last)

    @staticmethod
    def _families(s: Snapshot) -> Iterator[Metric]:
        pending = GaugeMetricFamily("computenet_pending_jobs", "Jobs waiting for capacity.")
        pending.add_metric([], s.pending_jobs)
        yield pending
        placements = CounterMetricFamily(
            "computenet_placements", "Jobs placed since the server started."
        )
        placements.add_metric([], s.placements)
        yield placements
        pue = GaugeMetricFamily(
            "computenet_pue",
            "PUE the scheduler prices energy with: the trailing 24 h measured PUE when its "
            "coverage is at least 80 %, else the design PUE (label basis).",
            labels=["data_center", "basis"],
        )
        for dc, (value, measured) in sorted(s.pue.items()):
            pue.add_metric([dc, "measured" if measured else "design"], value)
        yield pue
        allocated = GaugeMetricFamily(
            "computenet_accelerators_allocated",
            "Accelerators allocated (fractional shares included).",
            labels=["data_center"],
        )
        total = GaugeMetricFamily(
            "computenet_accelerators", "Accelerators installed.", labels=["data_center"]
        )
        utilization = GaugeMetricFamily(
            "computenet_accelerator_utilization",
            "Allocated / installed accelerators, 0..1.",
            labels=["data_center"],
        )
        for dc, (used, installed) in sorted(s.accelerators.items()):
            allocated.add_metric([dc], used)
            total.add_metric([dc], installed)
            utilization.add_metric([dc], used / installed if installed else 0.0)
        yield allocated
        yield total
        yield utilization


class Metrics:
    """The metrics of one server on its own registry."""

    def __init__(self, snapshot: SnapshotSource | None = None) -> None:
        self.registry = CollectorRegistry()
        """The registry ``serve_metrics`` exposes."""
        self._source = snapshot
        # Registered first, so a scrape reads the snapshot (and sets the solver gauges from
        # it) before the gauges themselves are collected.
        self.registry.register(_SnapshotCollector(self._read if snapshot is not None else None))
        self.rpcs = Counter(
            "computenet_rpc",
            "RPCs finished, by method and status code.",
            ["method", "code"],
            registry=self.registry,
        )
        """RPC count (exposed as ``computenet_rpc_total``)."""
        self.rpc_seconds = Histogram(
            "computenet_rpc_duration_seconds",
            "RPC latency, by method and status code.",
            ["method", "code"],
            buckets=RPC_BUCKETS,
            registry=self.registry,
        )
        """RPC latency histogram."""
        self.solver_seconds = Gauge(
            "computenet_batch_solver_seconds",
            "Wall time of the last batch CP-SAT solve.",
            registry=self.registry,
        )
        """Set from the snapshot's last batch plan at each scrape, or by the batch optimizer."""
        self.solver_gap = Gauge(
            "computenet_batch_solver_gap",
            "Relative gap between the objective and the bound of the last batch solve.",
            registry=self.registry,
        )
        """Set like ``solver_seconds`` (0 = proven optimal)."""

    def _read(self) -> Snapshot:
        assert self._source is not None
        snap = self._source()
        if snap.solver_seconds is not None:
            self.solver_seconds.set(snap.solver_seconds)
        if snap.solver_gap is not None:
            self.solver_gap.set(snap.solver_gap)
        return snap

    def observe_rpc(self, method: str, code: str, seconds: float) -> None:
        """Count one finished RPC (a ``computenet.service.CallObserver``)."""
        self.rpcs.labels(method, code).inc()
        self.rpc_seconds.labels(method, code).observe(seconds)

    def attach(self) -> None:
        """Start counting the RPCs of this process."""
        _Dispatch.add(self)

    def detach(self) -> None:
        """Stop counting RPCs."""
        _Dispatch.remove(self)

    def exposition(self) -> bytes:
        """The text exposition of every metric (what ``/metrics`` answers)."""
        return bytes(generate_latest(self.registry))


class _Dispatch:
    """The one call observer of the process, fanning out to the attached ``Metrics``.

    ``computenet.service`` keeps observers for the life of the process and has no way to
    remove one, so ``Metrics`` objects attach here instead: a stopped server detaches and is
    neither kept alive nor counted into any more.
    """

    _targets: tuple[Metrics, ...] = ()
    _hooked = False
    _lock = threading.Lock()

    @classmethod
    def add(cls, metrics: Metrics) -> None:
        with cls._lock:
            if not cls._hooked:
                add_call_observer(cls.observe)
                cls._hooked = True
            if metrics not in cls._targets:
                cls._targets = (*cls._targets, metrics)

    @classmethod
    def remove(cls, metrics: Metrics) -> None:
        with cls._lock:
            cls._targets = tuple(m for m in cls._targets if m is not metrics)

    @classmethod
    def observe(cls, method: str, code: str, seconds: float) -> None:
        for metrics in cls._targets:
            metrics.observe_rpc(method, code, seconds)


@dataclass
class MetricsServer:
    """A running ``/metrics`` HTTP endpoint."""

    httpd: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def close(self) -> None:
        """Stop serving and release the port."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: Metrics, host: str, port: int) -> MetricsServer:
    """Serve ``metrics`` at ``http://host:port/metrics`` from a daemon thread."""
    httpd, thread = start_http_server(port, host, registry=metrics.registry)
    return MetricsServer(httpd, thread)
