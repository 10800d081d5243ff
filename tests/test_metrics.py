"""Tests of computenet/metrics.py: the exposition of one server's registry, and a real server
started with ``metrics_port`` answering ``GET /metrics`` with RPC counts and latencies by
method and code, the queue, placements, solver gauges, and PUE and utilization per data
center (the demo network with the telemetry simulator feeding measured PUE)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from computenet.config import Config
from computenet.metrics import Metrics, Snapshot, serve_metrics
from computenet.v1 import scheduler_pb2 as spb
from computenet.v1 import scheduler_pb2_grpc as spb_grpc
from computenet.v1 import telemetry_pb2 as pb
from computenet.v1 import telemetry_pb2_grpc as pb_grpc
from scheduler.testing import ThreadedServer, serve_in_thread


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by (name, sorted labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


class TestMetrics:
    def test_exposition_has_rpcs_and_snapshot_gauges(self) -> None:
        """Observed RPCs appear as counts and histograms by method and code, and the
        snapshot's queue, placements, PUE and accelerators as gauges."""
        snap = Snapshot(
            pending_jobs=3,
            placements=7,
            pue={"dc-a": (1.25, True), "dc-b": (1.4, False)},
            accelerators={"dc-a": (4.0, 16.0)},
        )
        m = Metrics(lambda: snap)
        m.observe_rpc("GetPue", "OK", 0.002)
        m.observe_rpc("GetPue", "OK", 0.004)
        m.observe_rpc("GetPue", "NOT_FOUND", 0.001)
        m.solver_seconds.set(1.5)
        got = samples(m.exposition().decode())
        assert got[("computenet_rpc_total", (("code", "OK"), ("method", "GetPue")))] == 2.0
        assert got[("computenet_rpc_total", (("code", "NOT_FOUND"), ("method", "GetPue")))] == 1.0
        count = ("computenet_rpc_duration_seconds_count", (("code", "OK"), ("method", "GetPue")))
        assert got[count] == 2.0
        assert got[("computenet_pending_jobs", ())] == 3.0
        assert got[("computenet_placements_total", ())] == 7.0
        assert got[("computenet_batch_solver_seconds", ())] == 1.5
        assert got[("computenet_pue", (("basis", "measured"), ("data_center", "dc-a")))] == 1.25
        assert got[("computenet_pue", (("basis", "design"), ("data_center", "dc-b")))] == 1.4
        assert got[("computenet_accelerator_utilization", (("data_center", "dc-a"),))] == 0.25

    def test_solver_gauges_follow_the_last_batch(self) -> None:
        """The snapshot's last batch solve sets the solver gauges in the same scrape."""
        m = Metrics(lambda: Snapshot(solver_seconds=2.5, solver_gap=0.01))
        got = samples(m.exposition().decode())
        assert got[("computenet_batch_solver_seconds", ())] == 2.5
        assert got[("computenet_batch_solver_gap", ())] == 0.01

    def test_failing_snapshot_keeps_the_last_values(self) -> None:
        """A snapshot source that fails does not fail the scrape: the last values stay."""
        calls = iter([Snapshot(pending_jobs=2)])

        def source() -> Snapshot:
            return next(calls)  # StopIteration on the second scrape

        m = Metrics(source)
        assert samples(m.exposition().decode())[("computenet_pending_jobs", ())] == 2.0
        assert samples(m.exposition().decode())[("computenet_pending_jobs", ())] == 2.0

    def test_registries_are_separate(self) -> None:
        """Two Metrics objects never share samples (no global default registry)."""
        a, b = Metrics(), Metrics()
        a.observe_rpc("X", "OK", 0.1)
        assert ("computenet_rpc_total", (("code", "OK"), ("method", "X"))) not in samples(
            b.exposition().decode()
        )

    def test_http_endpoint_serves_and_closes(self) -> None:
        """serve_metrics answers GET /metrics and releases the port on close."""
        m = Metrics(lambda: Snapshot(placements=1))
        server = serve_metrics(m, "127.0.0.1", free_port())
        try:
            reply = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5)
            assert reply.status_code == 200
            assert "computenet_placements_total 1.0" in reply.text
        finally:
            server.close()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=2)


@pytest.fixture
def metrics_server(sqlite_url: str) -> Iterator[tuple[ThreadedServer, int]]:
    """A demo server with the telemetry simulator (one day of history) and /metrics on."""
    port = free_port()
    config = Config(
        port=0,
        database_url=sqlite_url,
        demo=True,
        batch_interval_seconds=0,
        metrics_port=port,
        telemetry_simulator_backfill_days=1.0,
    )
    with serve_in_thread(config) as running:
        yield running, port


class TestServerMetrics:
    def test_get_metrics_shows_rpcs_pue_and_utilization(
        self, metrics_server: tuple[ThreadedServer, int]
    ) -> None:
        """After some calls, /metrics counts them by method and code, and shows the measured
        PUE and the accelerator utilization of every demo data center."""
        server, port = metrics_server
        with grpc.insecure_channel(server.address) as ch:
            tel = pb_grpc.TelemetryServiceStub(ch)
            sched = spb_grpc.SchedulerServiceStub(ch)
            spec = spb.JobSpec(
                kind=spb.JOB_KIND_TRAINING,
                replicas=1,
                replica=spb.ReplicaSpec(accelerator_count=8, cpu_milli=1000, memory_mib=1024),
            )
            sched.SubmitJob(spb.SubmitJobRequest(parent="tenants/acme", spec=spec), timeout=20)
            with pytest.raises(grpc.RpcError):
                tel.GetPue(pb.GetPueRequest(data_center="dataCenters/nowhere"), timeout=20)
            deadline = time.monotonic() + 30
            while True:
                got = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
                measured = {
                    dict(labels)["data_center"]
                    for (name, labels), _ in got.items()
                    if name == "computenet_pue" and ("basis", "measured") in labels
                }
                if "fj-ai-center" in measured or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        assert got[("computenet_rpc_total", (("code", "OK"), ("method", "SubmitJob")))] == 1.0
        assert got[("computenet_rpc_total", (("code", "NOT_FOUND"), ("method", "GetPue")))] == 1.0
        assert (
            "computenet_rpc_duration_seconds_count",
            (("code", "OK"), ("method", "SubmitJob")),
        ) in got
        assert "fj-ai-center" in measured
        pue = got[("computenet_pue", (("basis", "measured"), ("data_center", "fj-ai-center")))]
        assert 1.0 < pue < 2.0
        utilization = {
            dict(labels)["data_center"]: value
            for (name, labels), value in got.items()
            if name == "computenet_accelerator_utilization"
        }
        assert len(utilization) > 10
        assert sum(utilization.values()) > 0.0
        assert got[("computenet_placements_total", ())] == 1.0
        assert got[("computenet_pending_jobs", ())] == 0.0
        assert ("computenet_batch_solver_seconds", ()) in got
        assert ("computenet_batch_solver_gap", ()) in got
