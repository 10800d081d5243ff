"""The server's limits through real servers: the per-tenant rate limit (RESOURCE_EXHAUSTED with
a QuotaFailure naming the tenant, other tenants unaffected), the message-size limit, page sizes
capped at 1000, the bounded lifetime of a WatchJobs stream and the cap on concurrent RPCs.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from computenet.auth import Role, TokenStore
from computenet.config import Config
from computenet.errors import ResourceExhausted
from computenet.service import MAX_PAGE_SIZE, RateLimiter
from computenet.v1 import inventory_pb2 as ipb
from computenet.v1 import inventory_pb2_grpc as ipb_grpc
from computenet.v1 import scheduler_pb2 as spb
from computenet.v1 import scheduler_pb2_grpc as spb_grpc
from scheduler.testing import ThreadedServer, serve_in_thread

__all__: list[str] = []

TIMEOUT = 20.0
RATE = 4.0
"""Calls per second per tenant on the rate-limited server (slow enough to exhaust in a test)."""
BURST = 5
"""Calls a tenant may make at once there."""
MAX_MESSAGE = 512 * 1024
"""The message-size limit of the limits server (a page of 1000 nodes fits)."""
NODES = MAX_PAGE_SIZE + 100
"""Nodes in the limits server's network: more than one maximal page."""

NETWORK: dict[str, Any] = {
    "version": 1,
    "accelerator_models": [
        {"id": "gpu", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0}
    ],
    "regions": [{"id": "east", "province": "Fujian", "latitude": 26.0, "longitude": 119.3}],
    "data_centers": [
        {
            "id": "dc-a",
            "region": "east",
            "province": "Fujian",
            "latitude": 26.0,
            "longitude": 119.3,
            "grid_carbon_g_per_kwh": 500.0,
            "electricity_price_cny_per_kwh": 0.5,
            "design_pue": 1.2,
            "pue_target": 1.3,
        }
    ],
    "pools": [
        {
            "data_center": "dc-a",
            "id": "gpu-pool",
            "accelerator_model": "gpu",
            "accelerators_per_node": 8,
            "cpu_milli_per_node": 256_000,
            "memory_mib_per_node": 1_048_576,
            "node_count": 2,
        }
    ],
}


def _import(channel: grpc.Channel, network: dict[str, Any], metadata: Any = ()) -> None:
    stub = ipb_grpc.InventoryServiceStub(channel)  # type: ignore[no-untyped-call]
    stub.ImportInventory(
        ipb.ImportInventoryRequest(
            content=json.dumps(network).encode(), format=ipb.INVENTORY_FORMAT_JSON
        ),
        metadata=metadata,
        timeout=TIMEOUT,
    )


def _spec() -> spb.JobSpec:
    return spb.JobSpec(
        kind=spb.JOB_KIND_TRAINING,
        replicas=1,
        replica=spb.ReplicaSpec(accelerator_count=1, cpu_milli=1000, memory_mib=1024),
        expected_duration=duration_pb2.Duration(seconds=3600),
    )


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


class TestRateLimiterClock:
    def test_bucket_refills_at_the_rate(self) -> None:
        """A bucket allows ``burst`` calls at once, then one per 1/rate seconds; keys are
        independent."""
        now = [100.0]
        limiter = RateLimiter(2.0, 3.0, clock=lambda: now[0])
        for _ in range(3):
            limiter.take("tenants/a")
        with pytest.raises(ResourceExhausted) as info:
            limiter.take("tenants/a")
        assert [v.subject for v in info.value.violations] == ["tenants/a"]
        limiter.take("tenants/b")
        now[0] += 0.49
        with pytest.raises(ResourceExhausted):
            limiter.take("tenants/a")
        now[0] += 0.02
        limiter.take("tenants/a")
        # A long pause refills the bucket only up to the burst.
        now[0] += 3600.0
        for _ in range(3):
            limiter.take("tenants/a")
        with pytest.raises(ResourceExhausted):
            limiter.take("tenants/a")


class RateEnv:
    """A rate-limited auth server and tokens of two tenants (two tokens for acme)."""

    def __init__(self, server: ThreadedServer, channel: grpc.Channel) -> None:
        self.server = server
        self.channel = channel
        store = TokenStore(server.running.engine)
        self.acme = store.create(name="acme-1", role=Role.TENANT, tenant="acme")[1]
        self.acme2 = store.create(name="acme-2", role=Role.TENANT, tenant="acme")[1]
        self.globex = store.create(name="globex", role=Role.TENANT, tenant="globex")[1]
        self.stub = spb_grpc.SchedulerServiceStub(channel)  # type: ignore[no-untyped-call]

    def call(self, token: str) -> grpc.StatusCode | grpc.RpcError:
        """One cheap call as ``token``: OK, or the error."""
        try:
            self.stub.ListPolicies(
                spb.ListPoliciesRequest(), metadata=_bearer(token), timeout=TIMEOUT
            )
        except grpc.RpcError as exc:
            return exc
        return grpc.StatusCode.OK

    def exhaust(self, token: str) -> grpc.RpcError:
        """Call as ``token`` until refused; the bucket must run dry within the burst."""
        for _ in range(BURST + 2):
            result = self.call(token)
            if isinstance(result, grpc.RpcError):
                return result
        raise AssertionError(f"{BURST + 2} calls at once were all allowed")


@pytest.fixture
def rate(tmp_path: Path) -> Iterator[RateEnv]:
    """A server with auth and a per-tenant rate limit of RATE/s, bursts of BURST."""
    config = Config(
        port=0,
        database_url=f"sqlite:///{tmp_path / 'computenet.db'}",
        auth=True,
        rate_limit_per_second=RATE,
        rate_limit_burst=BURST,
        batch_interval_seconds=0,
    )
    with serve_in_thread(config) as server, grpc.insecure_channel(server.address) as channel:
        yield RateEnv(server, channel)


class TestRateLimit:
    def test_exhausted_tenant_gets_a_quota_failure_naming_it(self, rate: RateEnv) -> None:
        """Past its burst a tenant gets RESOURCE_EXHAUSTED with a QuotaFailure whose subject
        is the tenant and an ErrorInfo; after 1/rate seconds it may call again."""
        err = rate.exhaust(rate.acme)
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        status = rpc_status.from_call(err)
        assert status is not None
        failures = []
        infos = []
        for detail in status.details:
            if detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
                failure = error_details_pb2.QuotaFailure()
                detail.Unpack(failure)
                failures.append(failure)
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                infos.append(info)
        assert [v.subject for f in failures for v in f.violations] == ["tenants/acme"]
        assert [i.domain for i in infos] == ["computenet.v1"]
        time.sleep(1.0 / RATE + 0.1)
        assert rate.call(rate.acme) == grpc.StatusCode.OK

    def test_the_limit_is_per_tenant(self, rate: RateEnv) -> None:
        """An exhausted tenant does not slow another; its tenant's other tokens share its
        budget; health checks are never limited."""
        rate.exhaust(rate.acme)
        assert rate.call(rate.globex) == grpc.StatusCode.OK
        second = rate.call(rate.acme2)
        assert isinstance(second, grpc.RpcError)
        assert second.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        health = health_pb2_grpc.HealthStub(rate.channel)
        for _ in range(2 * BURST):
            health.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)

    def test_rate_limited_calls_are_counted(self, rate: RateEnv) -> None:
        """Calls refused by the rate limit show in ``computenet_rpc_total`` with their code."""
        telemetry = rate.server.running.telemetry
        assert telemetry is not None
        assert telemetry.metrics is not None
        registry = telemetry.metrics.registry
        labels = {"method": "ListPolicies", "code": "RESOURCE_EXHAUSTED"}
        before = registry.get_sample_value("computenet_rpc_total", labels) or 0.0
        rate.exhaust(rate.globex)
        assert registry.get_sample_value("computenet_rpc_total", labels) == before + 1

    def test_refused_calls_change_nothing(self, rate: RateEnv) -> None:
        """A SubmitJob refused by the rate limit creates no job."""
        rate.exhaust(rate.acme)
        with pytest.raises(grpc.RpcError) as info:
            rate.stub.SubmitJob(
                spb.SubmitJobRequest(parent="tenants/acme", spec=_spec(), request_id="r1"),
                metadata=_bearer(rate.acme),
                timeout=TIMEOUT,
            )
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        time.sleep(1.0 / RATE + 0.1)
        jobs = rate.stub.ListJobs(
            spb.ListJobsRequest(parent="tenants/acme"), metadata=_bearer(rate.acme), timeout=20
        )
        assert list(jobs.jobs) == []


@pytest.fixture(scope="module")
def limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    """A server without auth, with a 512 KiB message limit and 1 s WatchJobs streams, over a
    network of NODES nodes."""
    path = tmp_path_factory.mktemp("limits") / "computenet.db"
    config = Config(
        port=0,
        database_url=f"sqlite:///{path}",
        max_message_bytes=MAX_MESSAGE,
        max_watch_seconds=1.0,
        batch_interval_seconds=0,
    )
    network = copy.deepcopy(NETWORK)
    network["pools"][0]["node_count"] = NODES
    with serve_in_thread(config) as server, grpc.insecure_channel(server.address) as channel:
        _import(channel, network)
        yield server


@pytest.fixture
def channel(limits: ThreadedServer) -> Iterator[grpc.Channel]:
    """A channel to the limits server."""
    with grpc.insecure_channel(limits.address) as ch:
        yield ch


class TestMessageSize:
    def test_oversized_request_is_refused_and_the_server_carries_on(
        self, channel: grpc.Channel
    ) -> None:
        """A request larger than max_message_bytes is RESOURCE_EXHAUSTED, changes nothing,
        and the next call is served."""
        inventory = ipb_grpc.InventoryServiceStub(channel)  # type: ignore[no-untyped-call]
        before = inventory.ExportInventory(ipb.ExportInventoryRequest(), timeout=TIMEOUT).content
        huge = ipb.CreateRegionRequest(
            region_id="huge",
            region=ipb.Region(
                display_name="x" * (MAX_MESSAGE + 1), province="Fujian", latitude=26, longitude=119
            ),
        )
        assert huge.ByteSize() > MAX_MESSAGE
        with pytest.raises(grpc.RpcError) as info:
            inventory.CreateRegion(huge, timeout=TIMEOUT)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        after = inventory.ExportInventory(ipb.ExportInventoryRequest(), timeout=TIMEOUT).content
        assert after == before
        small = ipb.CreateRegionRequest(
            region_id="small",
            region=ipb.Region(
                display_name="x" * 1000, province="Fujian", latitude=26, longitude=119
            ),
        )
        assert inventory.CreateRegion(small, timeout=TIMEOUT).region.name == "regions/small"
        inventory.DeleteRegion(ipb.DeleteRegionRequest(name="regions/small"), timeout=TIMEOUT)


class TestPageSize:
    def test_page_size_is_capped_at_the_maximum(self, channel: grpc.Channel) -> None:
        """Asking for more than 1000 items gets 1000 and a token; the pages add up to all."""
        inventory = ipb_grpc.InventoryServiceStub(channel)  # type: ignore[no-untyped-call]
        first = inventory.ListNodes(
            ipb.ListNodesRequest(parent="dataCenters/-", page_size=2**31 - 1), timeout=TIMEOUT
        )
        assert len(first.nodes) == MAX_PAGE_SIZE
        assert first.total_size == NODES
        assert first.next_page_token
        second = inventory.ListNodes(
            ipb.ListNodesRequest(
                parent="dataCenters/-", page_size=5000, page_token=first.next_page_token
            ),
            timeout=TIMEOUT,
        )
        assert len(second.nodes) == NODES - MAX_PAGE_SIZE
        assert not second.next_page_token
        names = [n.name for n in (*first.nodes, *second.nodes)]
        assert len(set(names)) == NODES

    def test_default_and_negative_page_sizes(self, channel: grpc.Channel) -> None:
        """Page size 0 means the default of 50; a negative one is INVALID_ARGUMENT in every
        list of jobs and nodes."""
        inventory = ipb_grpc.InventoryServiceStub(channel)  # type: ignore[no-untyped-call]
        page = inventory.ListNodes(ipb.ListNodesRequest(parent="dataCenters/-"), timeout=TIMEOUT)
        assert len(page.nodes) == 50
        with pytest.raises(grpc.RpcError) as info:
            inventory.ListNodes(
                ipb.ListNodesRequest(parent="dataCenters/-", page_size=-1), timeout=TIMEOUT
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        scheduler = spb_grpc.SchedulerServiceStub(channel)  # type: ignore[no-untyped-call]
        with pytest.raises(grpc.RpcError) as info:
            scheduler.ListJobs(spb.ListJobsRequest(parent="tenants/-", page_size=-5), timeout=20)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


class TestWatchLifetime:
    def test_watch_stream_ends_after_max_watch_seconds(self, channel: grpc.Channel) -> None:
        """A WatchJobs stream ends by itself (status OK) once max_watch_seconds have passed,
        after delivering what happened meanwhile."""
        scheduler = spb_grpc.SchedulerServiceStub(channel)  # type: ignore[no-untyped-call]
        started = time.monotonic()
        stream = scheduler.WatchJobs(spb.WatchJobsRequest(parent="tenants/acme"), timeout=30)
        time.sleep(0.2)
        job = scheduler.SubmitJob(
            spb.SubmitJobRequest(parent="tenants/acme", spec=_spec()), timeout=TIMEOUT
        ).job
        events = list(stream)
        lasted = time.monotonic() - started
        assert stream.code() == grpc.StatusCode.OK
        assert 0.9 <= lasted < 5.0, lasted
        assert [e.job.name for e in events] == [job.name]
        scheduler.CancelJob(spb.CancelJobRequest(name=job.name), timeout=TIMEOUT)


class TestConcurrency:
    def test_calls_past_max_concurrent_rpcs_are_refused(self, tmp_path: Path) -> None:
        """With max_concurrent_rpcs in flight, one more call is RESOURCE_EXHAUSTED; once they
        end, calls are served again."""
        config = Config(
            port=0,
            database_url=f"sqlite:///{tmp_path / 'computenet.db'}",
            max_concurrent_rpcs=2,
            batch_interval_seconds=0,
        )
        with (
            serve_in_thread(config) as server,
            grpc.insecure_channel(server.address) as ch,
        ):
            _import(ch, NETWORK)
            scheduler = spb_grpc.SchedulerServiceStub(ch)  # type: ignore[no-untyped-call]
            scheduler.SubmitJob(
                spb.SubmitJobRequest(parent="tenants/acme", spec=_spec()), timeout=TIMEOUT
            )
            streams = [_open_watch(scheduler), _open_watch(scheduler)]
            with pytest.raises(grpc.RpcError) as info:
                scheduler.ListPolicies(spb.ListPoliciesRequest(), timeout=TIMEOUT)
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            for stream in streams:
                stream.cancel()
            deadline = time.monotonic() + 5
            # The server learns of the cancellations a moment later.
            while (code := _policies_code(scheduler)) != grpc.StatusCode.OK:
                assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert time.monotonic() < deadline
                time.sleep(0.05)


def _open_watch(scheduler: Any) -> Any:
    """A WatchJobs stream in flight on the server (its first message received). The calls
    just before may still count as in flight for a moment after their answer: retry then."""
    deadline = time.monotonic() + 5
    while True:
        stream = scheduler.WatchJobs(
            spb.WatchJobsRequest(parent="tenants/acme", send_initial=True), timeout=30
        )
        try:
            assert next(iter(stream)).initial
            return stream
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def _policies_code(scheduler: Any) -> grpc.StatusCode:
    try:
        scheduler.ListPolicies(spb.ListPoliciesRequest(), timeout=TIMEOUT)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK
