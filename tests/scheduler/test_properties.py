"""Property tests of the scheduling engine: random small inventories and random streams of
submissions, cancellations, state reports and quota changes, with the invariants checked
after every step against a model kept here from the inventory document alone:

* no accelerator slot over 1000 milli, no node over its CPU or memory, and the ledger holds
  exactly what the live jobs' placements say (``ledger.check`` and ``snapshot``);
* a gang is placed whole, one allocation per replica, in one active data center, on nodes of
  one acceptable model, or not at all;
* a placement never breaks its latency limit or its residency;
* cancelling or finishing a job gives back exactly what it held;
* no tenant ever holds more than its quota;
* a fresh engine over the same database rebuilds the same ledger.

Each example runs on its own SQLite file, copied from one migrated template.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from computenet import db
from inventory.document import parse_document
from inventory.store import InventoryStore
from scheduler.domain import (
    Job,
    JobKind,
    JobSpec,
    JobState,
    QuotaLimit,
    ReplicaSpec,
    Residency,
    TenantQuota,
)
from scheduler.engine import POLICIES, Engine
from scheduler.latency import estimate_rtt_ms
from scheduler.store import JobStore

__all__: list[str] = []

MODELS = {
    "gpu-big": {"memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0},
    "gpu-small": {"memory_gib": 24.0, "fp16_tflops": 100.0, "board_power_w": 150.0},
}
REGIONS = {
    "north": ("Hebei", 40.0, 116.0),
    "south": ("Fujian", 26.0, 119.3),
    "west": ("Sichuan", 30.6, 104.0),
}
TENANTS = ("ten-a", "ten-b")
LIVE = (JobState.SCHEDULED, JobState.RUNNING)


# --- strategies -------------------------------------------------------------------------------


@st.composite
def inventories(draw: st.DrawFn) -> dict[str, Any]:
    """1-3 data centers, each with 1-2 pools of 1-3 nodes, some links, maybe a cordon."""
    dcs, pools, nodes = [], [], []
    for i in range(draw(st.integers(1, 3))):
        region = draw(st.sampled_from(sorted(REGIONS)))
        province, lat, lon = REGIONS[region]
        dc_id = f"dc-{i}"
        dcs.append(
            {
                "id": dc_id,
                "region": region,
                "province": province,
                # A little off the region's centre, so that estimated RTTs differ.
                "latitude": lat + draw(st.sampled_from([0.0, 0.3, 1.5])),
                "longitude": lon,
                "grid_carbon_g_per_kwh": draw(st.sampled_from([100.0, 500.0, 900.0])),
                "electricity_price_cny_per_kwh": draw(st.sampled_from([0.3, 0.6, 0.9])),
                "design_pue": draw(st.sampled_from([1.1, 1.3, 1.5])),
                "pue_target": 1.3,
                "state": draw(st.sampled_from(["ACTIVE"] * 4 + ["MAINTENANCE"])),
            }
        )
        for j, model in enumerate(draw(st.sets(st.sampled_from(sorted(MODELS)), min_size=1))):
            per_node = draw(st.sampled_from([1, 2, 4, 8]))
            pool_id = f"p{j}"
            pools.append(
                {
                    "data_center": dc_id,
                    "id": pool_id,
                    "accelerator_model": model,
                    "accelerators_per_node": per_node,
                    "cpu_milli_per_node": draw(st.sampled_from([8_000, 64_000])),
                    "memory_mib_per_node": draw(st.sampled_from([65_536, 524_288])),
                }
            )
            for k in range(draw(st.integers(1, 3))):
                nodes.append(
                    {
                        "data_center": dc_id,
                        "id": f"{pool_id}-n{k}",
                        "pool": pool_id,
                        "state": draw(st.sampled_from(["READY"] * 5 + ["CORDONED"])),
                    }
                )
    links = [
        {
            "id": f"l-{region}-{dc['id']}",
            "region": region,
            "data_center": dc["id"],
            "rtt_ms": draw(st.sampled_from([0.5, 2.0, 8.0, 40.0])),
        }
        for dc in dcs
        for region in sorted(REGIONS)
        if draw(st.booleans())
    ]
    return {
        "version": 1,
        "accelerator_models": [{"id": m, **f} for m, f in MODELS.items()],
        "regions": [
            {"id": r, "province": p, "latitude": la, "longitude": lo}
            for r, (p, la, lo) in REGIONS.items()
        ],
        "data_centers": dcs,
        "pools": pools,
        "nodes": nodes,
        "links": links,
    }


@st.composite
def specs(draw: st.DrawFn) -> JobSpec:
    """A job: whole accelerators, a share of one, or none; maybe a latency limit, a residency
    rule, a model or memory requirement, any policy."""
    shape = draw(st.sampled_from(["whole", "whole", "share", "cpu"]))
    count = draw(st.sampled_from([1, 2, 4, 8])) if shape == "whole" else 0
    milli = draw(st.sampled_from([250, 500, 700])) if shape == "share" else 0
    models: tuple[str, ...] = ()
    if shape != "cpu" and draw(st.booleans()):
        models = tuple(sorted(draw(st.sets(st.sampled_from(sorted(MODELS)), min_size=1))))
    kind = draw(st.sampled_from([JobKind.TRAINING, JobKind.INFERENCE]))
    user_region, max_rtt = "", 0.0
    if kind is JobKind.INFERENCE and draw(st.booleans()):
        user_region = draw(st.sampled_from(sorted(REGIONS)))
        max_rtt = draw(st.sampled_from([0.0, 1.0, 5.0, 20.0]))
    residency = Residency()
    if draw(st.integers(0, 3)) == 0:
        residency = Residency(
            allowed_provinces=tuple(
                sorted(draw(st.sets(st.sampled_from([p for p, _, _ in REGIONS.values()]))))
            )
        )
    return JobSpec(
        kind=kind,
        replicas=draw(st.integers(1, 3)),
        replica=ReplicaSpec(
            accelerator_count=count,
            accelerator_milli=milli,
            accelerator_models=models,
            min_accelerator_memory_gib=draw(st.sampled_from([0.0, 0.0, 40.0])) if count else 0.0,
            cpu_milli=draw(st.sampled_from([500, 4_000, 32_000])),
            memory_mib=draw(st.sampled_from([1_024, 32_768, 262_144])),
        ),
        user_region=user_region,
        max_rtt_ms=max_rtt,
        residency=residency,
        policy=draw(st.sampled_from(["", *POLICIES])),
        priority=draw(st.sampled_from([0, 10, 500])),
    )


@dataclass(frozen=True)
class Submit:
    tenant: str
    spec: JobSpec


@dataclass(frozen=True)
class Cancel:
    pick: int


@dataclass(frozen=True)
class Report:
    pick: int
    state: JobState


@dataclass(frozen=True)
class SetQuota:
    tenant: str
    limits: tuple[QuotaLimit, ...]


@dataclass(frozen=True)
class Settle:
    """Let the engine's background drain run."""


Op = Submit | Cancel | Report | SetQuota | Settle

ops = st.one_of(
    st.builds(Submit, st.sampled_from(TENANTS), specs()),
    st.builds(Submit, st.sampled_from(TENANTS), specs()),
    st.builds(Cancel, st.integers(0, 50)),
    st.builds(
        Report,
        st.integers(0, 50),
        st.sampled_from([JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED]),
    ),
    st.builds(
        SetQuota,
        st.sampled_from(TENANTS),
        st.lists(
            st.builds(
                QuotaLimit,
                st.sampled_from(["*", *sorted(MODELS)]),
                st.sampled_from([0.0, 1.5, 4.0, 12.0]),
            ),
            max_size=2,
            unique_by=lambda q: q.accelerator_model,
        ).map(tuple),
    ),
    st.just(Settle()),
)


# --- the model --------------------------------------------------------------------------------


class Model:
    """What the inventory document alone says, to judge the engine's placements by."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.dcs = {d["id"]: d for d in doc["data_centers"]}
        self.regions = {r["id"]: r for r in doc["regions"]}
        self.links = {(x["region"], x["data_center"]): x["rtt_ms"] for x in doc["links"]}
        pools = {(p["data_center"], p["id"]): p for p in doc["pools"]}
        self.nodes: dict[str, dict[str, Any]] = {}
        for n in doc["nodes"]:
            p = pools[(n["data_center"], n["pool"])]
            self.nodes[f"{n['data_center']}/{n['id']}"] = {
                "model": p["accelerator_model"],
                "slots": p["accelerators_per_node"],
                "cpu": p["cpu_milli_per_node"],
                "mem": p["memory_mib_per_node"],
                "cordoned": n["state"] == "CORDONED",
            }

    def rtt(self, region: str, dc_id: str) -> float:
        if (region, dc_id) in self.links:
            return float(self.links[(region, dc_id)])
        r, dc = self.regions[region], self.dcs[dc_id]
        return estimate_rtt_ms(r["latitude"], r["longitude"], dc["latitude"], dc["longitude"])


def holdings(jobs: list[Job]) -> tuple[Counter[tuple[str, int]], Counter[str], Counter[str]]:
    """Milli per (node, slot), CPU per node and memory per node held by the live jobs."""
    slots: Counter[tuple[str, int]] = Counter()
    cpu: Counter[str] = Counter()
    mem: Counter[str] = Counter()
    for job in jobs:
        if job.state not in LIVE or job.placement is None:
            continue
        for a in job.placement.allocations:
            key = f"{a.data_center}/{a.node}"
            for s in a.slots:
                slots[(key, s)] += a.milli
            cpu[key] += a.cpu_milli
            mem[key] += a.memory_mib
    return slots, cpu, mem


def ledger_usage(sched: Engine) -> tuple[Counter[tuple[str, int]], Counter[str], Counter[str]]:
    slots: Counter[tuple[str, int]] = Counter()
    cpu: Counter[str] = Counter()
    mem: Counter[str] = Counter()
    for node, state in sched.ledger.snapshot().items():
        for s, milli in enumerate(state.used_milli):
            if milli:
                slots[(node, s)] = milli
        if state.used_cpu:
            cpu[node] = state.used_cpu
        if state.used_mem:
            mem[node] = state.used_mem
    return slots, cpu, mem


def usage(sched: Engine) -> Counter[tuple[str, str]]:
    """Milli held per (tenant, model) and (tenant, "*") by the live jobs."""
    out: Counter[tuple[str, str]] = Counter()
    for job in sched.jobs_in_memory().values():
        if job.state in LIVE:
            assert job.placement is not None
            milli = job.spec.replicas * job.spec.replica.milli
            out[(job.tenant, job.placement.accelerator_model)] += milli
            out[(job.tenant, "*")] += milli
    return out


Usage = tuple[Counter[tuple[str, int]], Counter[str], Counter[str]]


def plus(a: Usage, b: Usage) -> Usage:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def minus(a: Usage, b: Usage) -> Usage:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def live_names(sched: Engine) -> set[str]:
    return {n for n, j in sched.jobs_in_memory().items() if j.state in LIVE}


def placed_since(sched: Engine, live_before: set[str]) -> Usage:
    """What the jobs that became live since ``live_before`` hold."""
    jobs = sched.jobs_in_memory()
    return holdings([j for n, j in jobs.items() if j.state in LIVE and n not in live_before])


def check_invariants(sched: Engine, model: Model) -> None:
    """The ledger adds up, equals the live jobs' holdings, and no node is over capacity."""
    sched.ledger.check()
    jobs = list(sched.jobs_in_memory().values())
    assert all(j.state in (*LIVE, JobState.PENDING) for j in jobs)
    held = holdings(jobs)
    assert ledger_usage(sched) == held
    slots, cpu, mem = held
    assert all(m <= 1000 for m in slots.values())
    for key, node in model.nodes.items():
        assert cpu[key] <= node["cpu"]
        assert mem[key] <= node["mem"]


def check_quotas(
    before: Counter[tuple[str, str]],
    after: Counter[tuple[str, str]],
    limits: dict[str, dict[str, float]],
) -> None:
    """No placement takes a tenant over a limit in force (usage above a limit that was
    lowered under it may stay, but never grow)."""
    for tenant, by_model in limits.items():
        for m, limit in by_model.items():
            now = after[(tenant, m)]
            assert now <= max(limit * 1000, before[(tenant, m)]), (tenant, m, limit, now)


def check_placement(job: Job, model: Model) -> None:
    """A placed job's gang, model, data center, latency and residency rules hold."""
    p = job.placement
    assert p is not None
    spec, r = job.spec, job.spec.replica
    assert len(p.allocations) == spec.replicas
    assert {a.data_center for a in p.allocations} == {p.data_center}
    dc = model.dcs[p.data_center]
    assert dc["state"] == "ACTIVE"
    for a in p.allocations:
        node = model.nodes[f"{a.data_center}/{a.node}"]
        assert not node["cordoned"]
        assert (a.cpu_milli, a.memory_mib) == (r.cpu_milli, r.memory_mib)
        if r.accelerator_count:
            assert len(set(a.slots)) == r.accelerator_count
            assert a.milli == 1000
        elif r.accelerator_milli:
            assert len(a.slots) == 1
            assert a.milli == r.accelerator_milli
        else:
            assert a.slots == ()
        if a.slots:
            assert node["model"] == p.accelerator_model
    if r.milli:
        assert not r.accelerator_models or p.accelerator_model in r.accelerator_models
        assert MODELS[p.accelerator_model]["memory_gib"] >= r.min_accelerator_memory_gib
    else:
        assert p.accelerator_model == ""
    if spec.max_rtt_ms and spec.user_region:
        assert model.rtt(spec.user_region, p.data_center) <= spec.max_rtt_ms + 1e-9
    if spec.residency.allowed_provinces:
        assert dc["province"] in spec.residency.allowed_provinces


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database file to copy for each example."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.create_engine(f"sqlite:///{path}")
    db.migrate(engine)
    engine.dispose()
    return path


def _fresh_db(template: Path, where: Path) -> str:
    target = where / "example.db"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


async def _settle(sched: Engine) -> None:
    """Yield until the drain has run and committed."""
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.005)


async def run_stream(url: str, doc: dict[str, Any], stream: list[Op]) -> None:
    engine = db.create_engine(url)
    try:
        inventory = InventoryStore(engine)
        inventory.import_document(parse_document(doc))
        sched = Engine(JobStore(engine), inventory)
        await sched.start()
        model = Model(doc)
        limits: dict[str, dict[str, float]] = {}
        names: list[str] = []
        for op in stream:
            held_before = usage(sched)
            live_before = live_names(sched)
            if isinstance(op, Submit):
                before = ledger_usage(sched)
                job = await sched.submit(op.tenant, op.spec)
                names.append(job.name)
                event(f"submit: {job.state.name}")
                if job.state is JobState.SCHEDULED:
                    check_placement(job, model)
                else:
                    assert job.placement is None
                    # All or nothing: only jobs the drain placed meanwhile took anything.
                    assert ledger_usage(sched) == plus(before, placed_since(sched, live_before))
            elif isinstance(op, Cancel | Report):
                live = [n for n in names if n in sched.jobs_in_memory()]
                if not live:
                    continue
                job = sched.jobs_in_memory()[live[op.pick % len(live)]]
                before = ledger_usage(sched)
                mine = holdings([job])
                if isinstance(op, Report):
                    if job.state is JobState.PENDING and op.state is not JobState.FAILED:
                        continue  # refused there; covered by the unit tests
                    await sched.set_state(job.tenant, job.id, op.state)
                else:
                    await sched.cancel(job.tenant, job.id)
                event(f"{type(op).__name__.lower()} of a {job.state.name} job")
                if op_finishes(op):
                    # Exactly what it held comes back (besides what a drain that ran during
                    # the commit placed).
                    expected = plus(minus(before, mine), placed_since(sched, live_before))
                    assert ledger_usage(sched) == expected
            elif isinstance(op, SetQuota):
                await sched.set_quota(TenantQuota(op.tenant, op.limits))
                limits[op.tenant] = {q.accelerator_model: q.limit for q in op.limits}
            else:
                await _settle(sched)
            check_invariants(sched, model)
            check_quotas(held_before, usage(sched), limits)
        held_before = usage(sched)
        await _settle(sched)
        live_at_end = sum(j.state in LIVE for j in sched.jobs_in_memory().values())
        event(f"live jobs at the end: {min(live_at_end, 3)}{'+' if live_at_end >= 3 else ''}")
        check_invariants(sched, model)
        check_quotas(held_before, usage(sched), limits)
        for job in sched.jobs_in_memory().values():
            if job.state in LIVE:
                check_placement(job, model)
        fresh = Engine(JobStore(engine), InventoryStore(engine))
        await fresh.start()
        assert fresh.ledger.snapshot() == sched.ledger.snapshot()
        assert {n: j.state for n, j in fresh.jobs_in_memory().items()} == {
            n: j.state for n, j in sched.jobs_in_memory().items()
        }
    finally:
        engine.dispose()


def op_finishes(op: Op) -> bool:
    return isinstance(op, Cancel) or (isinstance(op, Report) and op.state is not JobState.RUNNING)


class TestEngineProperties:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(doc=inventories(), stream=st.lists(ops, min_size=1, max_size=25))
    def test_invariants_hold_over_any_stream(
        self, template: Path, doc: dict[str, Any], stream: list[Op]
    ) -> None:
        """Capacity, gangs, latency, residency, exact release, quotas and the rebuilt ledger
        hold after every step of any stream of operations."""
        with tempfile.TemporaryDirectory() as where:
            asyncio.run(run_stream(_fresh_db(template, Path(where)), doc, stream))
