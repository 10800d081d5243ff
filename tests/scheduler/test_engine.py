"""Tests for scheduler/engine.py, driven directly (no gRPC) over small hand-built inventories
on both database backends: placement, the hard constraints, explanations, pending reasons and
the pending drain, quotas, the lifecycle, idempotency, quotes and the ledger rebuilt at start.

Every test runs its coroutine with ``asyncio.run``; ``_until`` polls for what the engine does
in the background (the pending drain) with a deadline instead of sleeping a fixed time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import Engine as SqlEngine

from computenet.errors import FailedPrecondition, InvalidArgument, NotFound
from inventory.document import parse_document
from inventory.domain import Node
from inventory.store import DATA_CENTERS, NODES, InventoryStore
from scheduler.domain import (
    Job,
    JobKind,
    JobSpec,
    JobState,
    PendingReason,
    QuotaLimit,
    ReplicaSpec,
    Residency,
    TenantQuota,
)
from scheduler.engine import POLICIES, Engine, JobEvent
from scheduler.ledger import NodeState
from scheduler.store import JobStore, job_values
from scheduler.tables import JobRow

__all__: list[str] = []

T = TypeVar("T")

# --- a small network --------------------------------------------------------------------------

MODELS = [
    {"id": "gpu-big", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0},
    {"id": "gpu-small", "memory_gib": 24.0, "fp16_tflops": 100.0, "board_power_w": 150.0},
]
REGIONS = [
    {"id": "north", "province": "Hebei", "latitude": 40.0, "longitude": 116.0},
    {"id": "south", "province": "Fujian", "latitude": 26.0, "longitude": 119.3},
]
NODE_CPU = 64_000
NODE_MEM = 512 * 1024


def dc(
    dc_id: str,
    region: str,
    *,
    carbon: float = 500.0,
    price: float = 0.6,
    pue: float = 1.2,
    state: str = "ACTIVE",
) -> dict[str, Any]:
    """A data center record standing at its region's coordinates."""
    where = next(r for r in REGIONS if r["id"] == region)
    return {
        "id": dc_id,
        "region": region,
        "province": where["province"],
        "latitude": where["latitude"],
        "longitude": where["longitude"],
        "grid_carbon_g_per_kwh": carbon,
        "electricity_price_cny_per_kwh": price,
        "design_pue": pue,
        "pue_target": 1.3,
        "state": state,
    }


def pool(dc_id: str, pool_id: str, model: str, per_node: int, count: int) -> dict[str, Any]:
    """A pool of ``count`` identical nodes."""
    return {
        "data_center": dc_id,
        "id": pool_id,
        "accelerator_model": model,
        "accelerators_per_node": per_node,
        "cpu_milli_per_node": NODE_CPU,
        "memory_mib_per_node": NODE_MEM,
        "node_count": count,
    }


def network(
    dcs: list[dict[str, Any]],
    pools: list[dict[str, Any]],
    *,
    nodes: list[dict[str, Any]] | None = None,
    links: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A whole inventory document over the shared models and regions."""
    return {
        "version": 1,
        "accelerator_models": MODELS,
        "regions": REGIONS,
        "data_centers": dcs,
        "pools": pools,
        "nodes": nodes or [],
        "links": links or [],
    }


# Two data centers of the same gpu-big nodes: the northern one clean and dear, the southern
# one dirty and cheap; users in the south are 1 ms from the southern one.
TWO_DCS = network(
    [
        dc("dc-north", "north", carbon=100.0, price=0.9),
        dc("dc-south", "south", carbon=800.0, price=0.3),
    ],
    [pool("dc-north", "big", "gpu-big", 8, 2), pool("dc-south", "big", "gpu-big", 8, 4)],
    links=[
        {"id": "s-s", "region": "south", "data_center": "dc-south", "rtt_ms": 1.0},
        {"id": "s-n", "region": "south", "data_center": "dc-north", "rtt_ms": 30.0},
    ],
)


def spec(
    accelerators: int = 1,
    *,
    replicas: int = 1,
    milli: int = 0,
    kind: JobKind = JobKind.TRAINING,
    **changes: Any,
) -> JobSpec:
    """A job spec: ``accelerators`` whole ones per replica, or a ``milli`` share of one."""
    return JobSpec(
        kind=kind,
        replicas=replicas,
        replica=ReplicaSpec(
            accelerator_count=0 if milli else accelerators,
            accelerator_milli=milli,
            cpu_milli=1000,
            memory_mib=1024,
        ),
        **changes,
    )


# --- harness ----------------------------------------------------------------------------------


@contextmanager
def stores(engine: SqlEngine, doc: Mapping[str, Any] | None) -> Iterator[tuple[JobStore, Any]]:
    """A job store and an inventory store over the migrated database, the inventory imported."""
    inventory = InventoryStore(engine)
    if doc is not None:
        inventory.import_document(parse_document(doc))
    yield JobStore(engine), inventory


async def started(engine: SqlEngine, doc: Mapping[str, Any] | None = TWO_DCS, **kw: Any) -> Engine:
    """An engine started over ``engine``'s database (importing ``doc`` first when given)."""
    with stores(engine, doc) as (jobs, inventory):
        sched = Engine(jobs, inventory, **kw)
        await sched.start()
        return sched


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(fn())  # type: ignore[arg-type]


async def _until(what: Callable[[], bool], within: float = 5.0) -> None:
    """Yield to the loop until ``what()`` holds (the engine drains its queue in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not what():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def used(snapshot: Mapping[str, NodeState]) -> dict[tuple[str, int], int]:
    """Allocated milli per (node, slot) in a ledger snapshot, zeros left out."""
    return {
        (node, slot): milli
        for node, state in snapshot.items()
        for slot, milli in enumerate(state.used_milli)
        if milli
    }


def held(jobs: list[Job]) -> dict[tuple[str, int], int]:
    """Milli per (node, slot) the live jobs' placements hold, in the ledger's node ids."""
    out: Counter[tuple[str, int]] = Counter()
    for job in jobs:
        if job.state in (JobState.SCHEDULED, JobState.RUNNING) and job.placement:
            for a in job.placement.allocations:
                for slot in a.slots:
                    out[(f"{a.data_center}/{a.node}", slot)] += a.milli
    return dict(out)


def assert_consistent(sched: Engine) -> None:
    """The ledger adds up and holds exactly what the live jobs hold, no slot over 1000."""
    sched.ledger.check()
    snap = sched.ledger.snapshot()
    assert used(snap) == held(sched.unfinished())
    for state in snap.values():
        assert all(0 <= m <= 1000 for m in state.used_milli)


def reasons(exc: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in exc.value.violations}


# --- tests ------------------------------------------------------------------------------------


class TestPlacement:
    def test_gang_lands_whole_in_the_one_data_center_that_fits(self, engine: SqlEngine) -> None:
        """A 3-node gang goes whole to the data center with enough nodes, one node per replica."""

        async def body() -> None:
            sched = await started(engine)
            job = await sched.submit("acme", spec(8, replicas=3))
            assert job.state is JobState.SCHEDULED
            assert job.placement is not None
            assert job.placement.data_center == "dc-south"
            allocs = job.placement.allocations
            assert len(allocs) == 3
            assert {a.data_center for a in allocs} == {"dc-south"}
            assert len({a.node for a in allocs}) == 3
            assert all(sorted(a.slots) == list(range(8)) and a.milli == 1000 for a in allocs)
            assert_consistent(sched)

        run(body)

    def test_gang_bigger_than_every_data_center_waits_and_takes_nothing(
        self, engine: SqlEngine
    ) -> None:
        """Six free nodes in all but at most four in one place: a 5-node gang waits, and the
        ledger is exactly as before (all or nothing)."""

        async def body() -> None:
            sched = await started(engine)
            before = sched.ledger.snapshot()
            job = await sched.submit("acme", spec(8, replicas=5))
            assert job.state is JobState.PENDING
            assert job.placement is None
            assert job.explanation is not None
            assert job.explanation.pending_reason == PendingReason.CAPACITY.value
            assert sched.ledger.snapshot() == before
            assert_consistent(sched)

        run(body)

    def test_job_that_only_fits_in_sum_goes_to_the_next_data_center(
        self, engine: SqlEngine
    ) -> None:
        """Two 5-accelerator jobs leave 3 free on each northern node: 6 in sum, so a
        6-accelerator job passes the capacity check there and ranks first under "green", but no
        node holds it. It goes south, and the explanation says why the north lost."""

        async def body() -> None:
            sched = await started(engine)
            for _ in range(2):
                first = await sched.submit("acme", spec(5, policy="green"))
                assert first.placement is not None
                assert first.placement.data_center == "dc-north"
            job = await sched.submit("acme", spec(6, policy="green"))
            assert job.placement is not None
            assert job.placement.data_center == "dc-south"
            e = job.explanation
            assert e is not None
            fragmented = "capacity: no set of nodes fits the gang (fragmented)"
            assert e.runner_up == "dc-north"
            assert e.runner_up_reason == fragmented
            assert "capacity ruled out 1 data center(s)" in e.binding_constraints
            assert "among 1 feasible candidate(s)" in e.summary
            north = [a for a in e.alternatives if a.data_center == "dc-north"]
            assert len(north) == 1
            assert north[0].infeasible_reason == fragmented
            assert north[0].terms == ()
            assert_consistent(sched)

        run(body)

    def test_policy_weights_decide_between_clean_and_cheap(self, engine: SqlEngine) -> None:
        """With identical nodes, "green" picks the low-carbon data center and "cost" the cheap
        one; each explanation names the other as runner-up and why it lost."""

        async def body() -> None:
            sched = await started(engine)
            green = await sched.submit("acme", spec(1, policy="green"))
            cost = await sched.submit("acme", spec(1, policy="cost"))
            assert green.placement is not None
            assert cost.placement is not None
            assert green.placement.data_center == "dc-north"
            assert cost.placement.data_center == "dc-south"
            assert green.placement.energy.carbon_kg < cost.placement.energy.carbon_kg
            assert green.placement.energy.cost_cny > cost.placement.energy.cost_cny
            for job, other, term in ((green, "dc-south", "carbon"), (cost, "dc-north", "cost")):
                e = job.explanation
                assert e is not None
                assert e.policy == job.spec.policy
                assert e.runner_up == other
                assert term in e.runner_up_reason
                assert {t.name for t in e.terms} == {
                    "latency",
                    "energy_cost",
                    "carbon",
                    "utilization",
                }
                weights = POLICIES[job.spec.policy]
                assert {t.name: t.weight for t in e.terms} == {
                    "latency": weights.latency,
                    "energy_cost": weights.energy_cost,
                    "carbon": weights.carbon,
                    "utilization": weights.utilization,
                }
            assert_consistent(sched)

        run(body)

    def test_energy_follows_the_data_center_figures(self, engine: SqlEngine) -> None:
        """Placed energy is IT energy × PUE, cost is kWh × price and carbon kWh × grid factor
        of the data center chosen."""

        async def body() -> None:
            sched = await started(engine)
            job = await sched.submit("acme", spec(2, expected_duration=timedelta(hours=10)))
            assert job.placement is not None
            e = job.placement.energy
            site = sched.data_center(job.placement.data_center)
            assert e.it_energy_kwh > 0
            assert e.pue == pytest.approx(site.design_pue)
            assert e.energy_kwh == pytest.approx(e.it_energy_kwh * site.design_pue)
            assert e.cost_cny == pytest.approx(e.energy_kwh * site.electricity_price_cny_per_kwh)
            assert e.carbon_kg == pytest.approx(e.energy_kwh * site.grid_carbon_g_per_kwh / 1000)

        run(body)

    def test_latency_limit_keeps_an_inference_job_near_its_users(self, engine: SqlEngine) -> None:
        """Under "green" the clean north would win, but 5 ms from the south leaves only the
        southern data center; the explanation says latency bound the choice."""

        async def body() -> None:
            sched = await started(engine)
            job = await sched.submit(
                "acme",
                spec(
                    1,
                    kind=JobKind.INFERENCE,
                    user_region="south",
                    max_rtt_ms=5.0,
                    policy="green",
                ),
            )
            assert job.placement is not None
            assert job.placement.data_center == "dc-south"
            assert job.placement.latency is not None
            assert job.placement.latency.rtt_ms <= 5.0
            assert job.explanation is not None
            assert any("latency" in b for b in job.explanation.binding_constraints)

        run(body)

    def test_residency_overrides_the_policy(self, engine: SqlEngine) -> None:
        """A job whose data must stay in Fujian runs in Fujian even under "green"."""

        async def body() -> None:
            sched = await started(engine)
            job = await sched.submit(
                "acme", spec(1, policy="green", residency=Residency(allowed_provinces=("Fujian",)))
            )
            assert job.placement is not None
            assert sched.data_center(job.placement.data_center).province == "Fujian"
            regions = await sched.submit(
                "acme", spec(1, policy="cost", residency=Residency(allowed_regions=("north",)))
            )
            assert regions.placement is not None
            assert regions.placement.data_center == "dc-north"

        run(body)

    def test_a_data_center_not_active_takes_nothing(self, engine: SqlEngine) -> None:
        """A data center in maintenance is never chosen, whatever the policy says."""

        async def body() -> None:
            doc = network(
                [
                    dc("dc-north", "north", carbon=10.0, state="MAINTENANCE"),
                    dc("dc-south", "south"),
                ],
                [
                    pool("dc-north", "big", "gpu-big", 8, 2),
                    pool("dc-south", "big", "gpu-big", 8, 1),
                ],
            )
            sched = await started(engine, doc)
            job = await sched.submit("acme", spec(1, policy="green"))
            assert job.placement is not None
            assert job.placement.data_center == "dc-south"

        run(body)

    def test_cordoned_nodes_are_skipped_not_the_whole_data_center(self, engine: SqlEngine) -> None:
        """With the first node cordoned, a job still lands on the second node of the same
        (only) data center."""

        async def body() -> None:
            doc = network(
                [dc("dc-south", "south")],
                [],
                nodes=[
                    {
                        "data_center": "dc-south",
                        "id": f"n{i}",
                        "pool": "big",
                        "state": "CORDONED" if i == 0 else "READY",
                    }
                    for i in range(2)
                ],
            )
            doc["pools"] = [
                {
                    "data_center": "dc-south",
                    "id": "big",
                    "accelerator_model": "gpu-big",
                    "accelerators_per_node": 8,
                    "cpu_milli_per_node": NODE_CPU,
                    "memory_mib_per_node": NODE_MEM,
                }
            ]
            sched = await started(engine, doc)
            job = await sched.submit("acme", spec(4))
            assert job.state is JobState.SCHEDULED, job.explanation
            assert job.placement is not None
            assert {a.node for a in job.placement.allocations} == {"n1"}

        run(body)

    def test_repeated_job_class_sees_capacity_prices_and_new_nodes(self, engine: SqlEngine) -> None:
        """Identical jobs share what placement caches per job class, but not the free
        capacity: the second 8-GPU job on one 8-GPU node waits; a price change and a new node
        reach the next decision of the same class at once."""

        async def body() -> None:
            doc = network(
                [dc("dc-south", "south", price=0.5)], [pool("dc-south", "big", "gpu-big", 8, 1)]
            )
            with stores(engine, doc) as (jobs, inventory):
                sched = Engine(jobs, inventory)
                await sched.start()
                first = await sched.submit("acme", spec(8))
                assert first.placement is not None
                second = await sched.submit("acme", spec(8))
                assert second.state is JobState.PENDING
                assert second.explanation is not None
                assert second.explanation.pending_reason == PendingReason.CAPACITY.value

                inventory.update(
                    DATA_CENTERS, ("dc-south",), {"electricity_price_cny_per_kwh": 1.5}
                )
                await sched.cancel("acme", first.id)
                await _until(lambda: sched.jobs_in_memory()[second.name].placement is not None)
                placed = sched.jobs_in_memory()[second.name].placement
                assert placed is not None
                e = first.placement.energy
                assert placed.energy.cost_cny == pytest.approx(3 * e.cost_cny)

                inventory.create(
                    NODES,
                    Node(
                        data_center="dc-south",
                        id="extra",
                        pool="big",
                        accelerator_model="gpu-big",
                        accelerator_count=8,
                        cpu_milli=NODE_CPU,
                        memory_mib=NODE_MEM,
                    ),
                )
                await _until(lambda: "dc-south/extra" in sched.ledger)
                third = await sched.submit("acme", spec(8))
                assert third.placement is not None
                assert {a.node for a in third.placement.allocations} == {"extra"}
                assert_consistent(sched)

        run(body)

    def test_shares_of_one_accelerator_never_exceed_it(self, engine: SqlEngine) -> None:
        """On one single-accelerator node, two 400-milli shares fit and a third waits."""

        async def body() -> None:
            doc = network([dc("dc-south", "south")], [pool("dc-south", "one", "gpu-small", 1, 1)])
            sched = await started(engine, doc)
            first = await sched.submit("acme", spec(milli=400))
            second = await sched.submit("acme", spec(milli=400))
            third = await sched.submit("acme", spec(milli=400))
            assert [j.state for j in (first, second, third)] == [
                JobState.SCHEDULED,
                JobState.SCHEDULED,
                JobState.PENDING,
            ]
            (state,) = sched.ledger.snapshot().values()
            assert state.used_milli == (800,)
            assert_consistent(sched)

        run(body)

    def test_cpu_only_job_needs_no_accelerator(self, engine: SqlEngine) -> None:
        """A job without accelerators is placed by CPU and memory and holds no slot."""

        async def body() -> None:
            sched = await started(engine)
            job = await sched.submit("acme", spec(0))
            assert job.placement is not None
            assert job.placement.accelerator_model == ""
            assert all(a.slots == () for a in job.placement.allocations)
            assert_consistent(sched)

        run(body)


class TestPending:
    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"replica": ReplicaSpec(1, min_accelerator_memory_gib=100.0)}, PendingReason.NO_MODEL),
            ({"residency": Residency(allowed_provinces=("Tibet",))}, PendingReason.RESIDENCY),
            (
                {"kind": JobKind.INFERENCE, "user_region": "south", "max_rtt_ms": 0.5},
                PendingReason.LATENCY,
            ),
            ({"replicas": 7, "replica": ReplicaSpec(8, cpu_milli=1, memory_mib=1)}, None),
        ],
        ids=["no-model", "residency", "latency", "capacity"],
    )
    def test_each_reason_is_reported(
        self, engine: SqlEngine, changes: dict[str, Any], reason: PendingReason | None
    ) -> None:
        """A job that cannot be placed waits, with the reason that rules it out."""

        async def body() -> None:
            sched = await started(engine)
            before = sched.ledger.snapshot()
            job_spec = replace(spec(1), **changes)
            if "replica" in changes and not job_spec.replica.cpu_milli:
                job_spec = replace(
                    job_spec, replica=replace(job_spec.replica, cpu_milli=1, memory_mib=1)
                )
            job = await sched.submit("acme", job_spec)
            assert job.state is JobState.PENDING
            assert job.explanation is not None
            want = reason or PendingReason.CAPACITY
            assert job.explanation.pending_reason == want.value
            assert job.explanation.summary
            assert sched.ledger.snapshot() == before

        run(body)

    def test_quota_keeps_a_job_waiting_until_raised(self, engine: SqlEngine) -> None:
        """With 8 accelerators allowed, a second 8-GPU job waits on quota; raising the quota
        places it without another call."""

        async def body() -> None:
            sched = await started(engine)
            await sched.set_quota(TenantQuota("acme", (QuotaLimit("gpu-big", 8),)))
            first = await sched.submit("acme", spec(8))
            second = await sched.submit("acme", spec(8))
            other = await sched.submit("other", spec(8))
            assert first.state is JobState.SCHEDULED
            assert other.state is JobState.SCHEDULED  # quotas are per tenant
            assert second.state is JobState.PENDING
            assert second.explanation is not None
            assert second.explanation.pending_reason == PendingReason.QUOTA.value
            limits, usage = sched.quota("acme")
            assert limits.limits == (QuotaLimit("gpu-big", 8),)
            assert usage == {"gpu-big": 8.0, "*": 8.0}
            await sched.set_quota(TenantQuota("acme", (QuotaLimit("*", 16),)))
            await _until(lambda: sched.jobs_in_memory()[second.name].state is JobState.SCHEDULED)
            assert sched.quota("acme")[1]["*"] == 16.0
            assert_consistent(sched)

        run(body)

    def test_waiting_job_is_placed_when_capacity_frees(self, engine: SqlEngine) -> None:
        """Filling the only node makes the next job wait; cancelling the first places it at
        once, and the change is published and committed."""

        async def body() -> None:
            doc = network([dc("dc-south", "south")], [pool("dc-south", "big", "gpu-big", 8, 1)])
            sched = await started(engine, doc)
            events = sched.subscribe()
            first = await sched.submit("acme", spec(8))
            waiting = await sched.submit("acme", spec(4))
            assert waiting.state is JobState.PENDING
            await sched.cancel("acme", first.id)
            await _until(lambda: sched.jobs_in_memory()[waiting.name].state is JobState.SCHEDULED)
            seen: list[JobEvent] = []
            await _until(lambda: _drain_queue(events, seen) and len(seen) >= 4)
            assert [(e.job.id, e.previous, e.job.state) for e in seen] == [
                (first.id, None, JobState.SCHEDULED),
                (waiting.id, None, JobState.PENDING),
                (first.id, JobState.SCHEDULED, JobState.CANCELLED),
                (waiting.id, JobState.PENDING, JobState.SCHEDULED),
            ]
            await _until(lambda: sched._store.get("acme", waiting.id).state is JobState.SCHEDULED)
            assert_consistent(sched)

        run(body)

    def test_higher_priority_waits_less(self, engine: SqlEngine) -> None:
        """When capacity frees, the higher-priority waiting job is placed before an older one."""

        async def body() -> None:
            doc = network([dc("dc-south", "south")], [pool("dc-south", "big", "gpu-big", 8, 1)])
            sched = await started(engine, doc)
            first = await sched.submit("acme", spec(8))
            low = await sched.submit("acme", spec(8, priority=1))
            high = await sched.submit("acme", spec(8, priority=500))
            await sched.cancel("acme", first.id)
            jobs = sched.jobs_in_memory
            await _until(lambda: jobs()[high.name].state is JobState.SCHEDULED)
            assert jobs()[low.name].state is JobState.PENDING

        run(body)


def _drain_queue(queue: asyncio.Queue[JobEvent], into: list[JobEvent]) -> bool:
    while not queue.empty():
        into.append(queue.get_nowait())
    return True


class TestLifecycle:
    def test_cancel_gives_back_exactly_what_was_taken(self, engine: SqlEngine) -> None:
        """The ledger after submit then cancel equals the ledger before the submit."""

        async def body() -> None:
            sched = await started(engine)
            await sched.submit("acme", spec(3, replicas=2))
            before = sched.ledger.snapshot()
            job = await sched.submit("acme", spec(5, replicas=3))
            assert sched.ledger.snapshot() != before
            cancelled = await sched.cancel("acme", job.id, "changed my mind")
            assert cancelled.state is JobState.CANCELLED
            assert cancelled.state_message == "changed my mind"
            assert cancelled.end_time is not None
            assert sched.ledger.snapshot() == before
            assert sched.quota("acme")[1] == {"gpu-big": 6.0, "*": 6.0}
            stored = await sched.get("acme", job.id)
            assert stored.state is JobState.CANCELLED
            assert stored.placement == job.placement  # kept for the record
            assert_consistent(sched)

        run(body)

    def test_running_then_succeeded_releases_capacity(self, engine: SqlEngine) -> None:
        """SCHEDULED → RUNNING keeps the capacity and sets start_time; SUCCEEDED frees it."""

        async def body() -> None:
            sched = await started(engine)
            before = sched.ledger.snapshot()
            job = await sched.submit("acme", spec(2))
            running = await sched.set_state("acme", job.id, JobState.RUNNING)
            assert running.state is JobState.RUNNING
            assert running.start_time is not None
            assert sched.ledger.snapshot() != before
            again = await sched.set_state("acme", job.id, JobState.RUNNING)
            assert again.start_time == running.start_time
            done = await sched.set_state("acme", job.id, JobState.SUCCEEDED, "ok")
            assert done.state is JobState.SUCCEEDED
            assert done.end_time is not None
            assert sched.ledger.snapshot() == before
            assert sched.unfinished() == []

        run(body)

    def test_illegal_transitions_are_refused(self, engine: SqlEngine) -> None:
        """Finished jobs never change; a pending job cannot run; only RUNNING, SUCCEEDED and
        FAILED may be reported."""

        async def body() -> None:
            sched = await started(engine)
            job = await sched.submit("acme", spec(1))
            with pytest.raises(InvalidArgument):
                await sched.set_state("acme", job.id, JobState.CANCELLED)
            await sched.set_state("acme", job.id, JobState.SUCCEEDED)
            for state in (JobState.RUNNING, JobState.FAILED, JobState.SUCCEEDED):
                with pytest.raises(FailedPrecondition):
                    await sched.set_state("acme", job.id, state)
            with pytest.raises(FailedPrecondition):
                await sched.cancel("acme", job.id)
            waiting = await sched.submit("acme", spec(8, replicas=9))
            with pytest.raises(FailedPrecondition):
                await sched.set_state("acme", waiting.id, JobState.RUNNING)
            cancelled = await sched.cancel("acme", waiting.id)
            assert cancelled.state is JobState.CANCELLED
            with pytest.raises(NotFound):
                await sched.cancel("acme", "no-such-job")

        run(body)

    def test_concurrent_changes_to_one_job_apply_once(self, engine: SqlEngine) -> None:
        """Two cancels at once: one wins, the other is refused, and the capacity is freed
        once; a cancel racing a SUCCEEDED report leaves one final state everywhere."""

        async def body() -> None:
            sched = await started(engine)
            before = sched.ledger.snapshot()
            job = await sched.submit("acme", spec(2))
            results = await asyncio.gather(
                sched.cancel("acme", job.id), sched.cancel("acme", job.id), return_exceptions=True
            )
            assert sum(isinstance(r, Job) for r in results) == 1
            assert sum(isinstance(r, FailedPrecondition) for r in results) == 1
            assert sched.ledger.snapshot() == before

            job = await sched.submit("acme", spec(2))
            results = await asyncio.gather(
                sched.set_state("acme", job.id, JobState.RUNNING),
                sched.cancel("acme", job.id),
                return_exceptions=True,
            )
            assert not any(
                isinstance(r, BaseException) and not isinstance(r, FailedPrecondition)
                for r in results
            )
            final = await asyncio.to_thread(sched._store.get, "acme", job.id)
            in_memory = sched.jobs_in_memory().get(job.name)
            assert final.state is JobState.CANCELLED
            assert in_memory is None
            assert sched.ledger.snapshot() == before
            assert_consistent(sched)

        run(body)


class TestIdempotency:
    def test_repeated_request_id_returns_the_first_job(self, engine: SqlEngine) -> None:
        """A retry with the same request_id gets the same job and takes nothing more."""

        async def body() -> None:
            sched = await started(engine)
            first = await sched.submit("acme", spec(4), request_id="r-1")
            after_first = sched.ledger.snapshot()
            again = await sched.submit("acme", spec(4), request_id="r-1")
            assert again == first
            assert sched.ledger.snapshot() == after_first
            assert sched._store.count() == 1
            other_tenant = await sched.submit("other", spec(4), request_id="r-1")
            assert other_tenant.name != first.name

        run(body)

    def test_concurrent_retries_make_one_job(self, engine: SqlEngine) -> None:
        """Five submissions with one request_id at once commit one job."""

        async def body() -> None:
            sched = await started(engine)
            jobs = await asyncio.gather(
                *(sched.submit("acme", spec(1), request_id="same") for _ in range(5))
            )
            assert len({j.name for j in jobs}) == 1
            assert sched._store.count() == 1
            assert_consistent(sched)

        run(body)

    def test_request_id_survives_finish_and_restart(self, engine: SqlEngine) -> None:
        """After the job finished and the engine restarted, the retry still finds it."""

        async def body() -> None:
            sched = await started(engine)
            job = await sched.submit("acme", spec(1), request_id="r-9")
            await sched.cancel("acme", job.id)
            fresh = await started(engine, None)
            again = await fresh.submit("acme", spec(1), request_id="r-9")
            assert again.name == job.name
            assert again.state is JobState.CANCELLED
            assert fresh._store.count() == 1

        run(body)


class TestQuote:
    def test_quote_commits_nothing_and_matches_submit(self, engine: SqlEngine) -> None:
        """A quote leaves the ledger and the database as they were and answers the placement
        a submission then gets."""

        async def body() -> None:
            sched = await started(engine)
            await sched.submit("acme", spec(2))
            before, count = sched.ledger.snapshot(), sched._store.count()
            quote = await sched.quote("acme", spec(8, replicas=2, policy="cost"))
            assert quote.placeable
            assert quote.placement is not None
            assert sched.ledger.snapshot() == before
            assert sched._store.count() == count
            job = await sched.submit("acme", spec(8, replicas=2, policy="cost"))
            assert job.placement is not None
            assert job.placement.data_center == quote.placement.data_center
            assert job.placement.allocations == quote.placement.allocations
            assert job.placement.energy == quote.placement.energy

        run(body)

    def test_unplaceable_quote_predicts_a_later_start(self, engine: SqlEngine) -> None:
        """When the network is full, the quote is not placeable and predicts the start at the
        earliest expected end of running work."""

        async def body() -> None:
            sched = await started(engine)
            hour = timedelta(hours=1)
            await sched.submit("acme", spec(8, replicas=4, expected_duration=3 * hour))
            await sched.submit("acme", spec(8, replicas=2, expected_duration=2 * hour))
            quote = await sched.quote("acme", spec(8))
            assert not quote.placeable
            assert quote.placement is None
            assert quote.explanation.pending_reason == PendingReason.CAPACITY.value
            assert quote.predicted_start > sched._clock() + 1.5 * hour

        run(body)


class TestRestart:
    def test_ledger_is_rebuilt_from_committed_jobs(self, engine: SqlEngine) -> None:
        """A new engine over the same database holds exactly the live jobs' capacity, keeps
        the waiting ones waiting and places them when capacity frees."""

        async def body() -> None:
            sched = await started(engine)
            keep = await sched.submit("acme", spec(8, replicas=3))
            running = await sched.submit("acme", spec(milli=250, replicas=2))
            await sched.set_state("acme", running.id, JobState.RUNNING)
            gone = await sched.submit("acme", spec(8))
            await sched.cancel("acme", gone.id)
            waiting = await sched.submit("acme", spec(8, replicas=4))
            assert waiting.state is JobState.PENDING

            fresh = await started(engine, None)
            assert fresh.ledger.snapshot() == sched.ledger.snapshot()
            assert_consistent(fresh)
            assert {n: j.state for n, j in fresh.jobs_in_memory().items()} == {
                keep.name: JobState.SCHEDULED,
                running.name: JobState.RUNNING,
                waiting.name: JobState.PENDING,
            }
            await fresh.cancel("acme", keep.id)
            await fresh.set_state("acme", running.id, JobState.SUCCEEDED)
            await _until(lambda: fresh.jobs_in_memory()[waiting.name].state is JobState.SCHEDULED)
            assert_consistent(fresh)

        run(body)

    def test_committed_jobs_read_back_field_for_field(self, engine: SqlEngine) -> None:
        """What the store wrote (placement, explanation with its alternatives, times, state)
        is what a new engine reads back, for placed, waiting and updated jobs alike."""

        async def body() -> None:
            sched = await started(engine)
            placed = await sched.submit("acme", spec(milli=250, replicas=2), request_id="r-1")
            running = await sched.submit("acme", spec(8))
            await sched.set_state("acme", running.id, JobState.RUNNING)
            waiting = await sched.submit("acme", spec(8, replicas=4))
            assert placed.explanation is not None
            assert placed.explanation.alternatives
            fresh = await started(engine, None)
            mine, theirs = sched.jobs_in_memory(), fresh.jobs_in_memory()
            for name in (placed.name, running.name, waiting.name):
                # Compared as stored values: an infeasible alternative's score is NaN, which
                # equals nothing, not even itself.
                assert job_values(theirs[name]) == job_values(mine[name])
                assert theirs[name].placement == mine[name].placement
            assert sorted(job_values(mine[placed.name])) == sorted(
                c.name for c in JobRow.__table__.columns if c.name != "seq"
            )

        run(body)


BAD_SPECS: list[tuple[JobSpec, str]] = [
    (spec(1, replicas=0), "spec.replicas"),
    (
        replace(spec(1), replica=ReplicaSpec(1, cpu_milli=-5, memory_mib=1)),
        "spec.replica.cpu_milli",
    ),
    (
        replace(
            spec(1), replica=ReplicaSpec(1, accelerator_models=("nope",), cpu_milli=1, memory_mib=1)
        ),
        "spec.replica.accelerator_models[0]",
    ),
    (spec(1, user_region="atlantis", kind=JobKind.INFERENCE), "spec.user_region"),
    (spec(1, data_region="atlantis"), "spec.data_region"),
    (
        spec(1, residency=Residency(allowed_regions=("atlantis",))),
        "spec.residency.allowed_regions[0]",
    ),
    (spec(1, policy="fastest"), "spec.policy"),
    (spec(1, max_rtt_ms=5.0), "spec.user_region"),
    (spec(milli=1000), "spec.replica.accelerator_milli"),
    (spec(17), "spec.replica.accelerator_count"),
    (spec(1, expected_duration=timedelta(0)), "spec.expected_duration"),
    (spec(1, priority=1001), "spec.priority"),
    (spec(1, max_rtt_ms=float("nan"), user_region="south"), "spec.max_rtt_ms"),
    (spec(1, expected_utilization=1.5), "spec.expected_utilization"),
]
"""Specs with one bad field each, and the field."""


class TestValidation:
    def test_bad_spec_names_the_field_and_stores_nothing(self, engine: SqlEngine) -> None:
        """Submit and quote refuse every bad spec with its field named; no job is created."""

        async def body() -> None:
            sched = await started(engine)
            for job_spec, field in BAD_SPECS:
                with pytest.raises(InvalidArgument) as exc:
                    await sched.submit("acme", job_spec)
                assert field in reasons(exc), (field, reasons(exc))
                with pytest.raises(InvalidArgument):
                    await sched.quote("acme", job_spec)
            assert sched._store.count() == 0
            assert sched.unfinished() == []

        run(body)

    def test_bad_ids_and_quota_limits_are_refused(self, engine: SqlEngine) -> None:
        """A malformed job id or request id, an unknown quota model and a negative limit are
        INVALID_ARGUMENT."""

        async def body() -> None:
            sched = await started(engine)
            with pytest.raises(InvalidArgument) as exc:
                await sched.submit("acme", spec(1), job_id="Bad_Id")
            assert "job_id" in reasons(exc)
            with pytest.raises(InvalidArgument) as exc:
                await sched.submit("acme", spec(1), request_id="x" * 201)
            assert "request_id" in reasons(exc)
            with pytest.raises(InvalidArgument) as exc:
                await sched.set_quota(
                    TenantQuota("acme", (QuotaLimit("nope", 1), QuotaLimit("*", -1)))
                )
            assert set(reasons(exc)) == {
                "quota.limits[0].accelerator_model",
                "quota.limits[1].limit",
            }
            assert sched._store.count() == 0

        run(body)
