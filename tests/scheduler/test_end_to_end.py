"""The end-to-end acceptance of the scheduler issue, through gRPC on the demo network (both
backends): an inference job with a 5 ms limit from Fuzhou lands in Fujian and says latency
decided it; a large training job with no latency limit lands where its policy's energy terms
say, and says why.

The energy expectations are checked against an oracle built here from the inventory file and
the live allocations the API reports, not against figures copied from the engine.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from computenet.config import Config
from computenet.v1 import inventory_pb2, inventory_pb2_grpc
from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc as pb_grpc
from inventory.document import load_demo
from scheduler.domain import JobKind, JobSpec, PendingReason, ReplicaSpec
from scheduler.energy import estimate_energy
from scheduler.testing import ThreadedServer, serve_in_thread
from tests.conftest import _postgres_schema_url

__all__: list[str] = []

_TIMEOUT = 20.0
FUZHOU = "regions/fujian-fuzhou"
TERM_NAMES = ("latency", "energy_cost", "carbon", "utilization")


class Timed:
    """A stub whose every call has a deadline."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub

    def __getattr__(self, method: str) -> Any:
        return functools.partial(getattr(self._stub, method), timeout=_TIMEOUT)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    """A real server loaded with the demo network, one per backend for this module."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'demo.db'}"])
    else:
        urls = _postgres_schema_url()
    url = next(urls)
    try:
        config = Config(port=0, database_url=url, demo=True, batch_interval_seconds=0)
        with serve_in_thread(config) as running:
            yield running
    finally:
        for _ in urls:  # drops the PostgreSQL schema
            pass


@pytest.fixture
def stubs(demo_server: ThreadedServer) -> Iterator[tuple[Any, Any]]:
    """(scheduler, inventory) stubs of the demo server."""
    with grpc.insecure_channel(demo_server.address) as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        yield (
            Timed(pb_grpc.SchedulerServiceStub(ch)),  # type: ignore[no-untyped-call]
            Timed(inventory_pb2_grpc.InventoryServiceStub(ch)),  # type: ignore[no-untyped-call]
        )


def _id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _score(c: Any) -> float:
    return float(sum(t.contribution for t in c.terms))


class TestLatencyBound:
    def test_inference_within_5ms_of_fuzhou_runs_in_fujian(self, stubs: tuple[Any, Any]) -> None:
        """The job lands in a data center whose province is Fujian, within 5 ms; the binding
        constraints name latency, every alternative ruled out by latency is farther than 5 ms
        and every feasible one nearer."""
        sched, inv = stubs
        spec = pb.JobSpec(
            kind=pb.JOB_KIND_INFERENCE,
            replicas=1,
            replica=pb.ReplicaSpec(accelerator_count=1, cpu_milli=4000, memory_mib=16_384),
            user_region=FUZHOU,
            max_rtt_ms=5.0,
        )
        job = sched.SubmitJob(pb.SubmitJobRequest(parent="tenants/e2e-infer", spec=spec)).job
        assert job.state == pb.Job.STATE_SCHEDULED
        site = inv.GetDataCenter(
            inventory_pb2.GetDataCenterRequest(name=job.placement.data_center)
        ).data_center
        assert site.province == "Fujian"
        assert job.placement.latency.rtt_ms <= 5.0
        x = job.explanation
        assert any("latency" in b for b in x.binding_constraints), x.binding_constraints
        ruled_out = [a for a in x.alternatives if a.infeasible_reason.startswith("latency")]
        assert ruled_out, "the demo network has data centers far from Fuzhou"
        assert all(a.latency.rtt_ms > 5.0 for a in ruled_out)
        assert all(a.latency.rtt_ms <= 5.0 for a in x.alternatives if not a.infeasible_reason)
        assert "latency" in x.summary or any("latency" in b for b in x.binding_constraints)


# --- the energy oracle --------------------------------------------------------------------------

TRAINING = JobSpec(
    kind=JobKind.TRAINING,
    replicas=16,
    replica=ReplicaSpec(accelerator_count=8, cpu_milli=64_000, memory_mib=512 * 1024),
)
"""A large training job: 16 nodes of 8 accelerators, 128 in all, one hour on the fastest."""


def _training_proto(policy: str) -> pb.JobSpec:
    r = TRAINING.replica
    return pb.JobSpec(
        kind=pb.JOB_KIND_TRAINING,
        replicas=TRAINING.replicas,
        replica=pb.ReplicaSpec(
            accelerator_count=r.accelerator_count, cpu_milli=r.cpu_milli, memory_mib=r.memory_mib
        ),
        policy=policy,
    )


def oracle(sched: Any) -> dict[tuple[str, str], tuple[float, float]]:
    """(cost CNY, carbon kg) of the training job in every (data center, model) that can take
    it now: enough nodes with 8 whole free accelerators and the CPU and memory, counting what
    the live jobs listed by the API hold; energy by the documented formula (hours stretched by
    the FP16 ratio to the fastest model), the data center's design PUE, price and grid."""
    doc = load_demo()
    models = {m.id: m for m in doc.accelerator_models}
    sites = {d.id: d for d in doc.data_centers}
    slot_used: Counter[tuple[str, int]] = Counter()
    cpu_used: Counter[str] = Counter()
    mem_used: Counter[str] = Counter()
    token = ""
    while True:
        page = sched.ListJobs(
            pb.ListJobsRequest(parent="tenants/-", page_size=1000, page_token=token)
        )
        for job in page.jobs:
            if job.state not in (pb.Job.STATE_SCHEDULED, pb.Job.STATE_RUNNING):
                continue
            for a in job.placement.allocations:
                node = a.node.removeprefix("dataCenters/").replace("/nodes/", "/")
                for slot in a.accelerator_indices:
                    slot_used[(node, slot)] += a.accelerator_milli
                cpu_used[node] += a.cpu_milli
                mem_used[node] += a.memory_mib
        token = page.next_page_token
        if not token:
            break
    r = TRAINING.replica
    fits: Counter[tuple[str, str]] = Counter()
    for n in doc.nodes:
        if not n.accelerator_model:
            continue
        key = f"{n.data_center}/{n.id}"
        whole = sum(1 for s in range(n.accelerator_count) if slot_used[(key, s)] == 0)
        if (
            whole >= r.accelerator_count
            and n.cpu_milli - cpu_used[key] >= r.cpu_milli
            and n.memory_mib - mem_used[key] >= r.memory_mib
        ):
            fits[(n.data_center, n.accelerator_model)] += 1
    fastest = max(m.fp16_tflops for m in models.values())
    out = {}
    for (dc, model), count in fits.items():
        if count < TRAINING.replicas:
            continue
        site, m = sites[dc], models[model]
        e = estimate_energy(
            TRAINING,
            board_power_w=m.board_power_w,
            pue=site.design_pue,
            pue_measured=False,
            price_cny_per_kwh=site.electricity_price_cny_per_kwh,
            grid_g_per_kwh=site.grid_carbon_g_per_kwh,
            duration_scale=fastest / m.fp16_tflops,
        )
        out[(dc, model)] = (e.cost_cny, e.carbon_kg)
    return out


def _quote(sched: Any, policy: str) -> Any:
    return sched.QuoteJob(
        pb.QuoteJobRequest(parent="tenants/e2e-train", spec=_training_proto(policy))
    )


class TestEnergyPolicy:
    def test_large_training_job_lands_where_the_energy_terms_say(
        self, stubs: tuple[Any, Any]
    ) -> None:
        """Under "green" and under "cost" the chosen data center has the lowest weighted score
        of the alternatives, with the policy's weights; its cost and carbon are the oracle's,
        and no data center that could take the job is both cheaper and cleaner; "green" emits
        no more than "cost" and costs no less; the submitted job lands where the quote said
        and its explanation says why in terms of the score."""
        sched, _ = stubs
        policies = {p.name: p for p in sched.ListPolicies(pb.ListPoliciesRequest()).policies}
        table = oracle(sched)
        assert len(table) >= 5, "the demo network has several places for 128 accelerators"
        chosen: dict[str, tuple[float, float]] = {}
        for policy in ("green", "cost"):
            quote = _quote(sched, policy)
            assert quote.placeable
            x = quote.explanation
            assert x.policy == policy
            p = policies[policy]
            weights = dict(
                zip(
                    TERM_NAMES,
                    (p.latency_weight, p.energy_cost_weight, p.carbon_weight, p.utilization_weight),
                    strict=True,
                )
            )
            assert {t.name: t.weight for t in x.terms} == weights
            mine = _score(x)
            feasible = [a for a in x.alternatives if not a.infeasible_reason]
            assert feasible
            for a in feasible:
                assert a.score == pytest.approx(_score(a))
                assert {t.name: t.weight for t in a.terms} == weights
                assert mine <= a.score + 1e-9, (policy, a.data_center)
            key = (_id(quote.placement.data_center), _id(quote.placement.accelerator_model))
            assert key in table, f"{key} cannot take the job by the inventory"
            cost, carbon = table[key]
            assert quote.placement.energy.cost_cny == pytest.approx(cost)
            assert quote.placement.energy.carbon_kg == pytest.approx(carbon)
            dominating = [
                other for other, (c, k) in table.items() if c < cost - 1e-9 and k < carbon - 1e-9
            ]
            assert dominating == [], f"{policy}: {key} is beaten on cost and carbon"
            chosen[policy] = (cost, carbon)
        assert chosen["green"][1] <= chosen["cost"][1] + 1e-9
        assert chosen["cost"][0] <= chosen["green"][0] + 1e-9

        quote = _quote(sched, "green")
        job = sched.SubmitJob(
            pb.SubmitJobRequest(parent="tenants/e2e-train", spec=_training_proto("green"))
        ).job
        assert job.state == pb.Job.STATE_SCHEDULED
        assert job.placement.data_center == quote.placement.data_center
        assert len(job.placement.allocations) == TRAINING.replicas
        assert len({a.node for a in job.placement.allocations}) == TRAINING.replicas
        assert all(
            a.node.startswith(job.placement.data_center + "/") for a in job.placement.allocations
        )
        x = job.explanation
        assert "green" in x.summary
        assert "kg CO2" in x.summary
        assert "CNY" in x.summary
        assert x.runner_up
        assert x.runner_up != job.placement.data_center
        assert any(name in x.runner_up_reason for name in TERM_NAMES), x.runner_up_reason
        assert "lower wins" in x.runner_up_reason or "score" in x.runner_up_reason


class TestWaiting:
    def test_jobs_the_demo_network_cannot_serve_wait_with_the_reason(
        self, stubs: tuple[Any, Any]
    ) -> None:
        """No demo accelerator has 200 GiB (NO_MODEL); nothing is within 0.1 ms of Fuzhou
        (LATENCY): both wait, hold nothing and say why."""
        sched, _ = stubs
        memory = pb.JobSpec(
            kind=pb.JOB_KIND_TRAINING,
            replicas=1,
            replica=pb.ReplicaSpec(
                accelerator_count=1, min_accelerator_memory_gib=200, cpu_milli=1, memory_mib=1
            ),
        )
        near = pb.JobSpec(
            kind=pb.JOB_KIND_INFERENCE,
            replicas=1,
            replica=pb.ReplicaSpec(accelerator_count=1, cpu_milli=1000, memory_mib=1024),
            user_region=FUZHOU,
            max_rtt_ms=0.1,
        )
        for spec, reason in ((memory, PendingReason.NO_MODEL), (near, PendingReason.LATENCY)):
            job = sched.SubmitJob(pb.SubmitJobRequest(parent="tenants/e2e-wait", spec=spec)).job
            assert job.state == pb.Job.STATE_PENDING
            assert job.explanation.pending_reason == reason.value
            assert not job.HasField("placement")
        assert any("latency" in b for b in job.explanation.binding_constraints)
        quota = sched.GetTenantQuota(pb.GetTenantQuotaRequest(name="tenants/e2e-wait/quota"))
        assert not quota.quota.limits  # no limits set, nothing used
