"""Tests for scheduler/service.py through a real in-process gRPC server on both backends:
submission with placement, energy and explanation, idempotency, quotes, reads and lists,
cancel and state reports, the watch stream, pending reasons and the drain, quotas, policies,
and bad input (INVALID_ARGUMENT with field violations, nothing created, never INTERNAL).

Each test imports a small two-data-center network into the empty per-test server (the demo
network is exercised by test_end_to_end.py).
"""

from __future__ import annotations

import functools
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from computenet.v1 import inventory_pb2, inventory_pb2_grpc
from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc as pb_grpc
from scheduler.domain import PendingReason

__all__: list[str] = []

_TIMEOUT = 20.0
SCHEDULED = pb.Job.STATE_SCHEDULED
PENDING = pb.Job.STATE_PENDING


class Timed:
    """A stub whose every call has a deadline, so a hung server fails the test."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub

    def __getattr__(self, method: str) -> Any:
        return functools.partial(getattr(self._stub, method), timeout=_TIMEOUT)


# --- the small network --------------------------------------------------------------------------


def _dc(
    dc_id: str, region: str, lat: float, lon: float, carbon: float, price: float
) -> dict[str, Any]:
    return {
        "id": dc_id,
        "region": region,
        "province": {"north": "Hebei", "south": "Fujian"}[region],
        "latitude": lat,
        "longitude": lon,
        "grid_carbon_g_per_kwh": carbon,
        "electricity_price_cny_per_kwh": price,
        "design_pue": 1.2,
        "pue_target": 1.3,
    }


def _pool(dc_id: str, model: str, per_node: int, count: int) -> dict[str, Any]:
    return {
        "data_center": dc_id,
        "id": f"{model}-pool",
        "accelerator_model": model,
        "accelerators_per_node": per_node,
        "cpu_milli_per_node": 64_000,
        "memory_mib_per_node": 512 * 1024,
        "node_count": count,
    }


# dc-north: clean and dear, 2 nodes of 8 gpu-big. dc-south: dirty and cheap, 1 ms from the
# south, 2 nodes of 8 gpu-big. 32 accelerators in all.
SMALL = {
    "version": 1,
    "accelerator_models": [
        {"id": "gpu-big", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0},
    ],
    "regions": [
        {"id": "north", "province": "Hebei", "latitude": 40.0, "longitude": 116.0},
        {"id": "south", "province": "Fujian", "latitude": 26.0, "longitude": 119.3},
    ],
    "data_centers": [
        _dc("dc-north", "north", 40.0, 116.0, 100.0, 0.9),
        _dc("dc-south", "south", 26.0, 119.3, 800.0, 0.3),
    ],
    "pools": [_pool("dc-north", "gpu-big", 8, 2), _pool("dc-south", "gpu-big", 8, 2)],
    "links": [
        {"id": "s-s", "region": "south", "data_center": "dc-south", "rtt_ms": 1.0},
        {"id": "s-n", "region": "south", "data_center": "dc-north", "rtt_ms": 30.0},
    ],
}


class Api:
    """The scheduler and inventory stubs of one server."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.sched = Timed(pb_grpc.SchedulerServiceStub(channel))  # type: ignore[no-untyped-call]
        self.inv = Timed(inventory_pb2_grpc.InventoryServiceStub(channel))  # type: ignore[no-untyped-call]

    def submit(self, spec: pb.JobSpec, tenant: str = "acme", **kw: Any) -> pb.Job:
        reply: pb.SubmitJobResponse = self.sched.SubmitJob(
            pb.SubmitJobRequest(parent=f"tenants/{tenant}", spec=spec, **kw)
        )
        return reply.job

    def get(self, name: str) -> pb.Job:
        reply: pb.GetJobResponse = self.sched.GetJob(pb.GetJobRequest(name=name))
        return reply.job

    def list(self, parent: str = "tenants/acme", **kw: Any) -> pb.ListJobsResponse:
        reply: pb.ListJobsResponse = self.sched.ListJobs(pb.ListJobsRequest(parent=parent, **kw))
        return reply

    def used(self, tenant: str = "acme") -> dict[str, float]:
        quota = self.sched.GetTenantQuota(pb.GetTenantQuotaRequest(name=f"tenants/{tenant}/quota"))
        return {q.accelerator_model: q.used for q in quota.quota.limits}

    def wait_state(self, name: str, state: int, within: float = 10.0) -> pb.Job:
        deadline = time.monotonic() + within
        while True:
            job = self.get(name)
            if job.state == state or time.monotonic() > deadline:
                return job
            time.sleep(0.02)


def job_spec(
    accelerators: int = 1,
    *,
    replicas: int = 1,
    cpu: int = 1000,
    memory: int = 1024,
    **kw: Any,
) -> pb.JobSpec:
    """A training spec unless ``kind`` says otherwise."""
    kw.setdefault("kind", pb.JOB_KIND_TRAINING)
    return pb.JobSpec(
        replicas=replicas,
        replica=pb.ReplicaSpec(accelerator_count=accelerators, cpu_milli=cpu, memory_mib=memory),
        **kw,
    )


@pytest.fixture
def api(channel: grpc.Channel) -> Api:
    """Stubs of the per-test server (both backends), with the small network imported."""
    a = Api(channel)
    a.inv.ImportInventory(
        inventory_pb2.ImportInventoryRequest(
            content=json.dumps(SMALL).encode(), format=inventory_pb2.INVENTORY_FORMAT_JSON
        )
    )
    return a


def _outcome(call: Callable[[], Any]) -> tuple[grpc.StatusCode | None, dict[str, str]]:
    """The code and field violations (field → description) of a call's error, or (None, {})
    when it succeeded."""
    try:
        call()
    except grpc.RpcError as err:
        status = rpc_status.from_call(err)
        fields: dict[str, str] = {}
        if status is not None:
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    fields.update({v.field: v.description for v in bad.field_violations})
        code: grpc.StatusCode = err.code()
        return code, fields
    return None, {}


def fail(call: Callable[[], Any]) -> tuple[grpc.StatusCode, dict[str, str]]:
    """Run a call that must fail; its code and field violations."""
    code, fields = _outcome(call)
    assert code is not None, "the call succeeded"
    return code, fields


# --- tests --------------------------------------------------------------------------------------


class TestSubmit:
    def test_submit_answers_placement_energy_and_explanation(self, api: Api) -> None:
        """A placed job comes back SCHEDULED with one allocation per replica on the chosen
        data center's nodes, energy figures that follow its PUE, price and grid factor, and an
        explanation with the four terms, the runner-up and why it lost."""
        job = api.submit(job_spec(4, replicas=2, policy="green"), job_id="first")
        assert job.name == "tenants/acme/jobs/first"
        assert job.tenant == "tenants/acme"
        assert job.state == SCHEDULED
        p = job.placement
        assert p.data_center == "dataCenters/dc-north"
        assert p.accelerator_model == "acceleratorModels/gpu-big"
        assert len(p.allocations) == 2
        for a in p.allocations:
            assert a.node.startswith("dataCenters/dc-north/nodes/")
            assert len(a.accelerator_indices) == 4
            assert a.accelerator_milli == 1000
            assert (a.cpu_milli, a.memory_mib) == (1000, 1024)
        site = api.inv.GetDataCenter(inventory_pb2.GetDataCenterRequest(name=p.data_center))
        site = getattr(site, "data_center", site)
        e = p.energy
        assert e.it_energy_kwh > 0
        assert e.energy_kwh == pytest.approx(e.it_energy_kwh * e.pue)
        assert e.pue == pytest.approx(site.design_pue)
        assert e.cost_cny == pytest.approx(e.energy_kwh * site.electricity_price_cny_per_kwh)
        assert e.carbon_kg == pytest.approx(e.energy_kwh * site.grid_carbon_g_per_kwh / 1000)
        x = job.explanation
        assert x.policy == "green"
        assert x.decided_by == "online"
        assert [t.name for t in x.terms] == ["latency", "energy_cost", "carbon", "utilization"]
        for t in x.terms:
            assert t.contribution == pytest.approx(t.weight * t.normalized)
            assert 0.0 <= t.normalized <= 1.0
        assert x.runner_up == "dataCenters/dc-south"
        assert "carbon" in x.runner_up_reason
        assert "dc-north" in x.summary
        assert job.HasField("create_time")
        assert p.HasField("place_time")
        assert api.get(job.name) == job

    def test_binding_constraint_names_the_latency_limit(self, api: Api) -> None:
        """An inference job limited to 5 ms from the south runs there and says why."""
        job = api.submit(
            job_spec(
                1,
                kind=pb.JOB_KIND_INFERENCE,
                user_region="regions/south",
                max_rtt_ms=5.0,
                policy="green",
            )
        )
        assert job.placement.data_center == "dataCenters/dc-south"
        assert job.placement.latency.rtt_ms <= 5.0
        assert any("latency" in b for b in job.explanation.binding_constraints)
        assert job.spec.user_region == "regions/south"

    def test_request_id_retry_returns_the_same_job_once(self, api: Api) -> None:
        """The same request_id gives back the first job and nothing more is allocated; a
        taken job id is ALREADY_EXISTS."""
        first = api.submit(job_spec(2), request_id="abc")
        used = api.used()
        again = api.submit(job_spec(2), request_id="abc")
        assert again == first
        assert api.used() == used == {"acceleratorModels/gpu-big": 2.0, "*": 2.0}
        assert api.list().total_size == 1
        api.submit(job_spec(1), job_id="mine")
        code, _ = fail(lambda: api.submit(job_spec(1), job_id="mine"))
        assert code == grpc.StatusCode.ALREADY_EXISTS
        assert api.used()["*"] == 3.0


class TestQuote:
    def test_quote_commits_nothing_and_gives_alternatives(self, api: Api) -> None:
        """A quote leaves jobs and usage unchanged, lists the other data center with its
        score, and a submission then lands where it said; a quote that cannot be placed says
        why."""
        api.submit(job_spec(1))
        before = (api.list().total_size, api.used())
        spec = job_spec(8, policy="cost")
        quote = api.sched.QuoteJob(pb.QuoteJobRequest(parent="tenants/acme", spec=spec))
        assert quote.placeable
        assert quote.placement.data_center == "dataCenters/dc-south"
        assert quote.HasField("predicted_start_time")
        alts = {a.data_center: a for a in quote.explanation.alternatives}
        assert "dataCenters/dc-north" in alts
        north = alts["dataCenters/dc-north"]
        assert not north.infeasible_reason
        assert north.energy.cost_cny > quote.placement.energy.cost_cny
        assert (api.list().total_size, api.used()) == before
        job = api.submit(spec)
        assert job.placement.data_center == quote.placement.data_center
        assert job.placement.energy == quote.placement.energy
        quote = api.sched.QuoteJob(
            pb.QuoteJobRequest(parent="tenants/acme", spec=job_spec(8, replicas=3))
        )
        assert not quote.placeable
        assert not quote.HasField("placement")
        assert quote.explanation.pending_reason == PendingReason.CAPACITY.value


class TestReadAndList:
    def test_list_filters_pages_newest_first(self, api: Api) -> None:
        """Pages of two walk every job once, newest first; filters by state, kind and data
        center select exactly the matching jobs; other tenants' jobs stay out; an unknown job
        is NOT_FOUND."""
        names = []
        for i in range(5):
            kind = pb.JOB_KIND_INFERENCE if i % 2 else pb.JOB_KIND_TRAINING
            names.append(api.submit(job_spec(1, kind=kind, policy="green"), job_id=f"j{i}").name)
        api.sched.CancelJob(pb.CancelJobRequest(name=names[0]))
        api.submit(job_spec(1), tenant="other")
        api.submit(job_spec(8, policy="cost"), job_id="south")

        seen: list[str] = []
        token = ""
        while True:
            page = api.list(page_size=2, page_token=token)
            assert len(page.jobs) <= 2
            assert page.total_size == 6
            seen += [j.name for j in page.jobs]
            token = page.next_page_token
            if not token:
                break
        assert seen == ["tenants/acme/jobs/south", *reversed(names)]

        def listed(f: str, parent: str = "tenants/acme") -> set[str]:
            return {j.name.rsplit("/", 1)[1] for j in api.list(parent, filter=f).jobs}

        assert listed('state = "CANCELLED"') == {"j0"}
        assert listed("state = STATE_SCHEDULED") == {"j1", "j2", "j3", "j4", "south"}
        assert listed("kind = INFERENCE") == {"j1", "j3"}
        assert listed('data_center = "dataCenters/dc-south"') == {"south"}
        assert listed('kind = TRAINING AND data_center = "dc-north"') == {"j0", "j2", "j4"}
        assert len(api.list("tenants/-").jobs) == 7
        code, _ = fail(lambda: api.get("tenants/acme/jobs/nope"))
        assert code == grpc.StatusCode.NOT_FOUND


class TestLifecycle:
    def test_cancel_frees_capacity_at_once_and_places_the_waiting_job(self, api: Api) -> None:
        """With every accelerator taken the next job waits on capacity; cancelling one job
        frees its capacity at once, the waiting job is placed, and a second cancel is
        FAILED_PRECONDITION."""
        big = [api.submit(job_spec(8, replicas=2)) for _ in range(2)]
        assert all(j.state == SCHEDULED for j in big)
        waiting = api.submit(job_spec(8))
        assert waiting.state == PENDING
        assert waiting.explanation.pending_reason == PendingReason.CAPACITY.value
        cancelled = api.sched.CancelJob(pb.CancelJobRequest(name=big[0].name, reason="oops")).job
        assert cancelled.state == pb.Job.STATE_CANCELLED
        assert cancelled.state_message == "oops"
        assert cancelled.HasField("end_time")
        placed = api.wait_state(waiting.name, SCHEDULED)
        assert placed.state == SCHEDULED
        assert placed.placement.data_center == big[0].placement.data_center
        assert api.used()["*"] == 24.0
        code, _ = fail(lambda: api.sched.CancelJob(pb.CancelJobRequest(name=big[0].name)))
        assert code == grpc.StatusCode.FAILED_PRECONDITION

    def test_state_reports_follow_the_lifecycle(self, api: Api) -> None:
        """RUNNING then SUCCEEDED is accepted and frees the capacity; anything after a final
        state is FAILED_PRECONDITION; a state other than RUNNING, SUCCEEDED or FAILED is
        INVALID_ARGUMENT."""
        job = api.submit(job_spec(4))

        def report(state: Any, name: str = job.name) -> pb.Job:
            reply: pb.SetJobStateResponse = api.sched.SetJobState(
                pb.SetJobStateRequest(name=name, state=state)
            )
            return reply.job

        running = report(pb.Job.STATE_RUNNING)
        assert running.state == pb.Job.STATE_RUNNING
        assert running.HasField("start_time")
        for state in (pb.Job.STATE_CANCELLED, pb.Job.STATE_PENDING, pb.Job.STATE_UNSPECIFIED, 42):
            code, fields = fail(lambda s=state: report(s))  # type: ignore[misc]
            assert code == grpc.StatusCode.INVALID_ARGUMENT
            assert "state" in fields
        done = report(pb.Job.STATE_SUCCEEDED)
        assert done.state == pb.Job.STATE_SUCCEEDED
        assert api.used().get("*", 0.0) == 0.0
        for state in (pb.Job.STATE_RUNNING, pb.Job.STATE_FAILED):
            code, _ = fail(lambda s=state: report(s))  # type: ignore[misc]
            assert code == grpc.StatusCode.FAILED_PRECONDITION
        waiting = api.submit(job_spec(8, replicas=5))
        code, _ = fail(lambda: report(pb.Job.STATE_RUNNING, waiting.name))
        assert code == grpc.StatusCode.FAILED_PRECONDITION
        code, _ = fail(lambda: report(pb.Job.STATE_RUNNING, "tenants/acme/jobs/nope"))
        assert code == grpc.StatusCode.NOT_FOUND


class TestWatch:
    def test_watch_streams_initial_state_then_changes(self, api: Api) -> None:
        """A watcher gets the unfinished jobs first (initial), then each change of its
        tenant's jobs with the state before it; other tenants' changes are not sent."""
        existing = api.submit(job_spec(1))
        stream = api.sched._stub.WatchJobs(
            pb.WatchJobsRequest(parent="tenants/acme", send_initial=True), timeout=_TIMEOUT
        )
        got: queue.Queue[pb.WatchJobsResponse] = queue.Queue()

        def consume() -> None:
            try:
                for item in stream:
                    got.put(item)
            except grpc.RpcError:
                pass  # cancelled at the end of the test

        reader = threading.Thread(target=consume, daemon=True)
        reader.start()
        try:
            first = got.get(timeout=_TIMEOUT)
            assert first.initial
            assert first.job.name == existing.name
            api.submit(job_spec(1), tenant="other")
            new = api.submit(job_spec(2))
            api.sched.CancelJob(pb.CancelJobRequest(name=new.name))
            changes = [got.get(timeout=_TIMEOUT) for _ in range(2)]
            assert [(c.job.name, c.previous_state, c.job.state, c.initial) for c in changes] == [
                (new.name, pb.Job.STATE_UNSPECIFIED, SCHEDULED, False),
                (new.name, SCHEDULED, pb.Job.STATE_CANCELLED, False),
            ]
        finally:
            stream.cancel()
            reader.join(timeout=_TIMEOUT)
        assert not reader.is_alive()

    def test_watch_filter_selects_states(self, api: Api) -> None:
        """A watcher filtering on CANCELLED sees only cancellations."""
        stream = api.sched._stub.WatchJobs(
            pb.WatchJobsRequest(parent="tenants/-", filter='state = "CANCELLED"'),
            timeout=_TIMEOUT,
        )
        got: queue.Queue[pb.WatchJobsResponse] = queue.Queue()

        def consume() -> None:
            for item in _quietly(stream):
                got.put(item)

        reader = threading.Thread(target=consume, daemon=True)
        reader.start()
        try:
            time.sleep(0.2)  # the watch subscribes when its first message is pulled
            job = api.submit(job_spec(1), tenant="zed")
            api.sched.CancelJob(pb.CancelJobRequest(name=job.name))
            item = got.get(timeout=_TIMEOUT)
            assert item.job.name == job.name
            assert item.job.state == pb.Job.STATE_CANCELLED
            assert got.empty()
        finally:
            stream.cancel()
            reader.join(timeout=_TIMEOUT)


def _quietly(stream: Any) -> Iterator[Any]:
    try:
        yield from stream
    except grpc.RpcError:
        return


PENDING_CASES: list[tuple[pb.JobSpec, PendingReason]] = [
    (
        pb.JobSpec(
            kind=pb.JOB_KIND_TRAINING,
            replicas=1,
            replica=pb.ReplicaSpec(
                accelerator_count=1, min_accelerator_memory_gib=200, cpu_milli=1, memory_mib=1
            ),
        ),
        PendingReason.NO_MODEL,
    ),
    (
        job_spec(1, kind=pb.JOB_KIND_INFERENCE, user_region="regions/south", max_rtt_ms=0.2),
        PendingReason.LATENCY,
    ),
    (job_spec(1, residency=pb.Residency(allowed_provinces=["Tibet"])), PendingReason.RESIDENCY),
    (job_spec(8, replicas=3), PendingReason.CAPACITY),
]
"""Jobs the small network cannot place, and why."""


class TestPending:
    def test_each_reason(self, api: Api) -> None:
        """A job that cannot be placed is PENDING with the reason (no accelerator with the
        memory, latency unmet, residency, capacity), no placement and no usage."""
        for spec, reason in PENDING_CASES:
            job = api.submit(spec)
            assert job.state == PENDING, reason
            assert job.explanation.pending_reason == reason.value
            assert job.explanation.summary
            assert not job.HasField("placement")
            assert api.get(job.name).explanation.pending_reason == reason.value
        assert api.used().get("*", 0.0) == 0.0

    def test_quota_then_raise(self, api: Api) -> None:
        """A job over the tenant's quota waits on it and is placed once the quota is raised."""
        api.sched.SetTenantQuota(
            pb.SetTenantQuotaRequest(
                quota=pb.TenantQuota(
                    name="tenants/acme/quota",
                    limits=[pb.QuotaLimit(accelerator_model="acceleratorModels/gpu-big", limit=4)],
                )
            )
        )
        ok = api.submit(job_spec(4))
        over = api.submit(job_spec(1))
        assert ok.state == SCHEDULED
        assert over.state == PENDING
        assert over.explanation.pending_reason == PendingReason.QUOTA.value
        api.sched.SetTenantQuota(
            pb.SetTenantQuotaRequest(
                quota=pb.TenantQuota(
                    name="tenants/acme/quota",
                    limits=[pb.QuotaLimit(accelerator_model="*", limit=5)],
                )
            )
        )
        assert api.wait_state(over.name, SCHEDULED).state == SCHEDULED


class TestQuotasAndPolicies:
    def test_quota_set_get_list(self, api: Api) -> None:
        """Set replaces a tenant's limits; Get reports them with usage; List pages over the
        tenants that have limits."""
        for tenant in ("t-a", "t-b", "t-c"):
            reply = api.sched.SetTenantQuota(
                pb.SetTenantQuotaRequest(
                    quota=pb.TenantQuota(
                        name=f"tenants/{tenant}/quota",
                        limits=[
                            pb.QuotaLimit(accelerator_model="acceleratorModels/gpu-big", limit=8),
                            pb.QuotaLimit(accelerator_model="*", limit=10),
                        ],
                    )
                )
            )
            assert reply.quota.name == f"tenants/{tenant}/quota"
        api.submit(job_spec(3), tenant="t-b")
        got = api.sched.GetTenantQuota(pb.GetTenantQuotaRequest(name="tenants/t-b/quota")).quota
        assert {(q.accelerator_model, q.limit, q.used) for q in got.limits} == {
            ("acceleratorModels/gpu-big", 8.0, 3.0),
            ("*", 10.0, 3.0),
        }
        names: list[str] = []
        token = ""
        while True:
            page = api.sched.ListTenantQuotas(
                pb.ListTenantQuotasRequest(page_size=2, page_token=token)
            )
            names += [q.name for q in page.quotas]
            token = page.next_page_token
            if not token:
                break
        assert names == [f"tenants/{t}/quota" for t in ("t-a", "t-b", "t-c")]

    def test_list_policies(self, api: Api) -> None:
        """The four documented policies are listed with non-negative weights, and the default
        is one of them."""
        reply = api.sched.ListPolicies(pb.ListPoliciesRequest())
        policies = {p.name: p for p in reply.policies}
        assert {"balanced", "green", "latency", "cost"} <= set(policies)
        assert reply.default_policy in policies
        green, cost = policies["green"], policies["cost"]
        assert green.carbon_weight > green.energy_cost_weight
        assert cost.energy_cost_weight > cost.carbon_weight
        for p in policies.values():
            assert p.description
            weights = (
                p.latency_weight,
                p.energy_cost_weight,
                p.carbon_weight,
                p.utilization_weight,
            )
            assert all(w >= 0 for w in weights)
            assert sum(weights) > 0


def _spec_with(**changes: Any) -> pb.JobSpec:
    spec = job_spec(1)
    for path, value in changes.items():
        target: Any = spec
        *parents, leaf = path.split("__")
        for p in parents:
            target = getattr(target, p)
        if isinstance(value, list):
            getattr(target, leaf).extend(value)
        elif isinstance(value, dict):
            getattr(target, leaf).update(value)
        elif hasattr(value, "DESCRIPTOR"):
            getattr(target, leaf).CopyFrom(value)
        else:
            setattr(target, leaf, value)
    return spec


BAD_SUBMISSIONS: list[tuple[str, pb.SubmitJobRequest, str]] = [
    (
        "missing-kind",
        pb.SubmitJobRequest(parent="tenants/acme", spec=_spec_with(kind=0)),
        "spec.kind",
    ),
    (
        "replicas-0",
        pb.SubmitJobRequest(parent="tenants/acme", spec=_spec_with(replicas=0)),
        "spec.replicas",
    ),
    (
        "negative-cpu",
        pb.SubmitJobRequest(parent="tenants/acme", spec=_spec_with(replica__cpu_milli=-1)),
        "spec.replica.cpu_milli",
    ),
    (
        "unknown-model",
        pb.SubmitJobRequest(
            parent="tenants/acme",
            spec=_spec_with(replica__accelerator_models=["acceleratorModels/tpu-v9"]),
        ),
        "spec.replica.accelerator_models[0]",
    ),
    (
        "malformed-model",
        pb.SubmitJobRequest(
            parent="tenants/acme", spec=_spec_with(replica__accelerator_models=["tpu-v9"])
        ),
        "spec.replica.accelerator_models[0]",
    ),
    (
        "unknown-region",
        pb.SubmitJobRequest(
            parent="tenants/acme",
            spec=_spec_with(user_region="regions/atlantis", max_rtt_ms=5.0),
        ),
        "spec.user_region",
    ),
    (
        "malformed-region",
        pb.SubmitJobRequest(parent="tenants/acme", spec=_spec_with(data_region="south")),
        "spec.data_region",
    ),
    (
        "bad-region-id",
        pb.SubmitJobRequest(parent="tenants/acme", spec=_spec_with(data_region="regions/South!")),
        "spec.data_region",
    ),
    (
        "unknown-residency-region",
        pb.SubmitJobRequest(
            parent="tenants/acme",
            spec=_spec_with(residency=pb.Residency(allowed_regions=["regions/atlantis"])),
        ),
        "spec.residency.allowed_regions[0]",
    ),
    (
        "unknown-policy",
        pb.SubmitJobRequest(parent="tenants/acme", spec=_spec_with(policy="fast")),
        "spec.policy",
    ),
    ("malformed-parent", pb.SubmitJobRequest(parent="acme", spec=job_spec(1)), "parent"),
    ("empty-parent", pb.SubmitJobRequest(parent="tenants/", spec=job_spec(1)), "parent"),
    ("all-tenants-parent", pb.SubmitJobRequest(parent="tenants/-", spec=job_spec(1)), "parent"),
    (
        "bad-job-id",
        pb.SubmitJobRequest(parent="tenants/acme", job_id="No_Caps", spec=job_spec(1)),
        "job_id",
    ),
    (
        "huge-duration",
        pb.SubmitJobRequest(
            parent="tenants/acme",
            spec=_spec_with(expected_duration=duration_pb2.Duration(seconds=315_576_000_000)),
        ),
        "spec.expected_duration",
    ),
    (
        "negative-duration",
        pb.SubmitJobRequest(
            parent="tenants/acme",
            spec=_spec_with(expected_duration=duration_pb2.Duration(seconds=-5)),
        ),
        "spec.expected_duration",
    ),
    (
        "nan-rtt",
        pb.SubmitJobRequest(
            parent="tenants/acme",
            spec=_spec_with(user_region="regions/south", max_rtt_ms=float("nan")),
        ),
        "spec.max_rtt_ms",
    ),
    (
        "inf-memory",
        pb.SubmitJobRequest(
            parent="tenants/acme",
            spec=_spec_with(replica__min_accelerator_memory_gib=float("inf")),
        ),
        "spec.replica.min_accelerator_memory_gib",
    ),
    (
        "share-and-count",
        pb.SubmitJobRequest(parent="tenants/acme", spec=_spec_with(replica__accelerator_milli=500)),
        "spec.replica.accelerator_milli",
    ),
    (
        "nul-in-request-id",
        pb.SubmitJobRequest(parent="tenants/acme", spec=job_spec(1), request_id="r\x00"),
        "request_id",
    ),
    ("upper-case-tenant", pb.SubmitJobRequest(parent="tenants/ACME", spec=job_spec(1)), "parent"),
    ("long-tenant", pb.SubmitJobRequest(parent=f"tenants/{'a' * 64}", spec=job_spec(1)), "parent"),
    ("nul-in-tenant", pb.SubmitJobRequest(parent="tenants/a\x00b", spec=job_spec(1)), "parent"),
]


class TestBadInput:
    def test_bad_submission_is_invalid_argument_and_creates_nothing(self, api: Api) -> None:
        """SubmitJob (and QuoteJob, for the spec and parent) refuse each bad request as
        INVALID_ARGUMENT naming the field; no job exists afterwards."""
        problems = []
        for case, request, field in BAD_SUBMISSIONS:
            calls = [lambda r=request: api.sched.SubmitJob(r)]
            if field.startswith(("spec", "parent")):
                quote = pb.QuoteJobRequest(parent=request.parent, spec=request.spec)
                calls.append(lambda q=quote: api.sched.QuoteJob(q))
            for call in calls:
                outcome = _outcome(call)
                if outcome[0] != grpc.StatusCode.INVALID_ARGUMENT or field not in outcome[1]:
                    problems.append((case, outcome))
        assert not problems, "\n".join(map(str, problems))
        assert api.list("tenants/-").total_size == 0

    def test_bad_reads_and_lists_are_invalid_argument(self, api: Api) -> None:
        """Malformed names, filters, page tokens and page sizes are INVALID_ARGUMENT with the
        field named, on every read and list."""
        job = api.submit(job_spec(1))
        api.submit(job_spec(1))
        token = api.list(page_size=1).next_page_token
        assert token
        cases: list[tuple[Callable[[], Any], str]] = [
            (lambda: api.get("acme/jobs/x"), "name"),
            (lambda: api.get("tenants/acme/jobs"), "name"),
            (lambda: api.get("tenants/acme/jobs/x/y"), "name"),
            (lambda: api.get("tenants/acme/jobs/a\x00b"), "name"),
            (lambda: api.get(f"tenants/acme/jobs/{'x' * 64}"), "name"),
            (lambda: api.get("tenants/a\x00b/jobs/x"), "name"),
            (
                lambda: api.sched.CancelJob(pb.CancelJobRequest(name=job.name, reason="a\x00")),
                "reason",
            ),
            (
                lambda: api.sched.SetJobState(
                    pb.SetJobStateRequest(
                        name=job.name, state=pb.Job.STATE_RUNNING, message="a\x00"
                    )
                ),
                "message",
            ),
            (lambda: api.sched.CancelJob(pb.CancelJobRequest(name="jobs/x")), "name"),
            (
                lambda: api.sched.SetJobState(
                    pb.SetJobStateRequest(name="x", state=pb.Job.STATE_RUNNING)
                ),
                "name",
            ),
            (lambda: api.list("tenant/acme"), "parent"),
            (lambda: api.list(filter='color = "red"'), "filter"),
            (lambda: api.list(filter='state = "DONE"'), "filter"),
            (lambda: api.list(filter="kind = GPU"), "filter"),
            (lambda: api.list(filter="state ="), "filter"),
            (lambda: api.list(filter='state = "SCHEDULED" OR kind = TRAINING'), "filter"),
            (lambda: api.list(filter='data_center = "a\\u0000b"'), "filter"),
            (lambda: api.list(page_token="not-a-token"), "page_token"),
            (lambda: api.list(page_token=token, filter="kind = TRAINING"), "page_token"),
            (lambda: api.list(page_size=-1), "page_size"),
            (
                lambda: api.sched.GetTenantQuota(pb.GetTenantQuotaRequest(name="tenants/acme")),
                "name",
            ),
            (
                lambda: api.sched.SetTenantQuota(
                    pb.SetTenantQuotaRequest(
                        quota=pb.TenantQuota(
                            name="tenants/acme/quota",
                            limits=[
                                pb.QuotaLimit(accelerator_model="acceleratorModels/nope", limit=1)
                            ],
                        )
                    )
                ),
                "quota.limits[0].accelerator_model",
            ),
            (
                lambda: api.sched.SetTenantQuota(
                    pb.SetTenantQuotaRequest(
                        quota=pb.TenantQuota(
                            name="tenants/acme/quota",
                            limits=[pb.QuotaLimit(accelerator_model="*", limit=-1)],
                        )
                    )
                ),
                "quota.limits[0].limit",
            ),
            (
                lambda: api.sched.SetTenantQuota(
                    pb.SetTenantQuotaRequest(quota=pb.TenantQuota(name="quota"))
                ),
                "quota.name",
            ),
            (
                lambda: api.sched.ListTenantQuotas(pb.ListTenantQuotasRequest(page_token="zzz")),
                "page_token",
            ),
            (
                lambda: list(
                    api.sched.WatchJobs(pb.WatchJobsRequest(parent="tenants/acme", filter="x = 1"))
                ),
                "filter",
            ),
            (
                lambda: list(api.sched.WatchJobs(pb.WatchJobsRequest(parent="acme"))),
                "parent",
            ),
        ]
        problems = []
        for i, (call, field) in enumerate(cases):
            outcome = _outcome(call)
            if outcome[0] != grpc.StatusCode.INVALID_ARGUMENT or field not in outcome[1]:
                problems.append((i, field, outcome))
        assert not problems, "\n".join(map(str, problems))
        assert api.list().total_size == 2
        assert api.get(job.name) == job
