"""Tests of scheduler/views.py: utilization by data center, pool, model and tenant from the
ledger's allocations and the inventory, the energy of running and finished jobs so far, the
data center directory the telemetry side gets, and the metrics snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine as SqlEngine

from inventory.document import parse_document
from inventory.domain import AcceleratorModel, Node
from inventory.store import InventoryStore
from pue.views import HubClass, UtilizationGroup
from scheduler.domain import (
    Allocation,
    EnergyEstimate,
    Job,
    JobKind,
    JobSpec,
    JobState,
    Placement,
    ReplicaSpec,
    Residency,
)
from scheduler.engine import Engine
from scheduler.store import JobStore
from scheduler.views import (
    CPU_FP16_TFLOPS_PER_CORE,
    CPU_ONLY_KEY,
    UtilizationView,
    data_center_directory,
    energy_so_far,
    metrics_snapshot,
    utilization_report,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)
GPU = AcceleratorModel("gpu", "GPU", "X", 80.0, 400.0, 500.0)
MODELS = {"gpu": GPU}


def node(dc: str, node_id: str, pool: str = "p", count: int = 8) -> Node:
    return Node(dc, node_id, pool, "gpu" if count else "", count, 64_000, 1024)


def job(
    name: str,
    state: JobState,
    allocations: list[tuple[str, str, int]],
    *,
    tenant: str = "acme",
    start: datetime | None = None,
    end: datetime | None = None,
    it_kwh: float = 10.0,
) -> Job:
    """A job of ``len(allocations)`` replicas, each (dc, node, accelerators), priced at PUE
    1.25, 0.6 CNY/kWh and 0.4 kg/kWh."""
    accelerators = allocations[0][2]
    spec = JobSpec(
        JobKind.TRAINING,
        replicas=len(allocations),
        replica=ReplicaSpec(accelerator_count=accelerators, cpu_milli=1000, memory_mib=1024),
        expected_duration=timedelta(hours=10),
    )
    placement = Placement(
        data_center=allocations[0][0],
        accelerator_model="gpu",
        allocations=tuple(
            Allocation(dc, n, tuple(range(k)), 1000, 1000, 1024) for dc, n, k in allocations
        ),
        energy=EnergyEstimate(
            it_energy_kwh=it_kwh,
            energy_kwh=it_kwh * 1.25,
            cost_cny=it_kwh * 1.25 * 0.6,
            carbon_kg=it_kwh * 1.25 * 0.4,
            pue=1.25,
            pue_measured=False,
        ),
        latency=None,
        place_time=T0,
    )
    return Job(
        tenant=tenant,
        id=name,
        spec=spec,
        state=state,
        create_time=T0,
        update_time=T0,
        placement=placement,
        start_time=start,
        end_time=end,
    )


def it_kw(accelerators: int, replicas: int = 1) -> float:
    """IT power of a job of ours: board 500 W × utilization 0.8 + 10 W for its one core."""
    return replicas * (accelerators * 500.0 * 0.8 + 10.0) / 1000.0


class TestEnergySoFar:
    def test_running_job_counts_hours_since_start(self) -> None:
        """A running job has used IT power × hours since its start, at its placement's PUE,
        price and grid factor."""
        j = job("a", JobState.RUNNING, [("dc", "n1", 2)], start=T0 + timedelta(hours=1))
        kwh, cny, kg = energy_so_far(j, 500.0, T0 + timedelta(hours=3))
        assert kwh == pytest.approx(it_kw(2) * 2 * 1.25)
        assert cny == pytest.approx(kwh * 0.6)
        assert kg == pytest.approx(kwh * 0.4)

    def test_placed_job_counts_from_placement_and_finished_stops_at_end(self) -> None:
        """A job that never reported RUNNING counts from its placement; a finished job stops
        counting at its end."""
        placed = job("a", JobState.SCHEDULED, [("dc", "n1", 1)])
        done = job("b", JobState.SUCCEEDED, [("dc", "n1", 1)], end=T0 + timedelta(hours=1))
        later = T0 + timedelta(hours=4)
        assert energy_so_far(placed, 500.0, later)[0] == pytest.approx(it_kw(1) * 4 * 1.25)
        assert energy_so_far(done, 500.0, later)[0] == pytest.approx(it_kw(1) * 1 * 1.25)

    def test_unknown_board_power_uses_the_share_of_the_expected_run(self) -> None:
        """Without the model's board power, the energy is the estimate × elapsed / expected."""
        j = job("a", JobState.RUNNING, [("dc", "n1", 1)], start=T0, it_kwh=10.0)
        kwh, _, _ = energy_so_far(j, None, T0 + timedelta(hours=5))
        assert kwh == pytest.approx(10.0 * 1.25 * 0.5)


class TestReport:
    NODES = (
        node("dc1", "n1", "big"),
        node("dc1", "n2", "big"),
        node("dc1", "c1", "cpu", count=0),
        node("dc2", "n1", "big"),
    )
    NOW = T0 + timedelta(hours=2)

    def report(self, group: UtilizationGroup, jobs: list[Job], dcs: set[str] | None = None) -> Any:
        return utilization_report(
            group, nodes=self.NODES, models=MODELS, jobs=jobs, data_centers=dcs, now=self.NOW
        )

    def jobs(self) -> list[Job]:
        return [
            job("a", JobState.RUNNING, [("dc1", "n1", 4), ("dc1", "n2", 4)], start=T0),
            job("b", JobState.SCHEDULED, [("dc2", "n1", 2)], tenant="beta"),
            job("c", JobState.SUCCEEDED, [("dc1", "n1", 8)], end=T0 + timedelta(hours=1)),
        ]

    def test_by_data_center(self) -> None:
        """Rows hold allocated/installed accelerators and PFLOPS, live jobs and the energy of
        live and finished jobs so far; the total sums them."""
        r = self.report(UtilizationGroup.DATA_CENTER, self.jobs())
        rows = {row.key: row for row in r.rows}
        one, two = rows["dataCenters/dc1"], rows["dataCenters/dc2"]
        assert (one.allocated_accelerators, one.total_accelerators) == (8.0, 16.0)
        assert one.utilization == 0.5
        assert one.allocated_pflops == pytest.approx(8 * 400.0 / 1000)
        assert one.total_pflops == pytest.approx(16 * 400.0 / 1000)
        assert one.running_jobs == 1
        expected = (it_kw(4, 2) * 2 + it_kw(8) * 1) * 1.25
        assert one.energy_kwh == pytest.approx(expected)
        assert (two.allocated_accelerators, two.running_jobs) == (2.0, 1)
        assert r.total.allocated_accelerators == 10.0
        assert r.total.total_accelerators == 24.0
        assert r.total.running_jobs == 2
        assert r.total.energy_kwh == pytest.approx(one.energy_kwh + two.energy_kwh)

    def test_by_pool_and_model(self) -> None:
        """Pools and models partition the same allocations; CPU-only nodes get their own row."""
        by_pool = {row.key: row for row in self.report(UtilizationGroup.POOL, self.jobs()).rows}
        assert by_pool["dataCenters/dc1/pools/big"].allocated_accelerators == 8.0
        assert by_pool["dataCenters/dc1/pools/cpu"].total_accelerators == 0.0
        assert by_pool["dataCenters/dc1/pools/cpu"].utilization == 0.0
        by_model = {
            row.key: row
            for row in self.report(UtilizationGroup.ACCELERATOR_MODEL, self.jobs()).rows
        }
        assert set(by_model) == {"acceleratorModels/gpu", CPU_ONLY_KEY}
        assert by_model["acceleratorModels/gpu"].allocated_accelerators == 10.0
        assert by_model["acceleratorModels/gpu"].total_accelerators == 24.0

    def test_by_tenant_shares_the_network(self) -> None:
        """A tenant's installed figure is the network's, so its utilization is its share."""
        rows = {row.key: row for row in self.report(UtilizationGroup.TENANT, self.jobs()).rows}
        assert rows["tenants/acme"].allocated_accelerators == 8.0
        assert rows["tenants/acme"].total_accelerators == 24.0
        assert rows["tenants/beta"].utilization == pytest.approx(2.0 / 24.0)

    def test_filter_limits_nodes_and_jobs(self) -> None:
        """Only the chosen data centers' nodes and jobs count."""
        r = self.report(UtilizationGroup.DATA_CENTER, self.jobs(), {"dc2"})
        assert [row.key for row in r.rows] == ["dataCenters/dc2"]
        assert (r.total.allocated_accelerators, r.total.total_accelerators) == (2.0, 8.0)

    def test_ai_compute_share_counts_cpus(self) -> None:
        """The AI share is accelerator PFLOPS over accelerator plus CPU PFLOPS."""
        r = self.report(UtilizationGroup.DATA_CENTER, [])
        ai = 24 * 400.0 / 1000
        cpu = 4 * 64 * CPU_FP16_TFLOPS_PER_CORE / 1000
        assert r.ai_compute_share == pytest.approx(ai / (ai + cpu))
        assert r.total.energy_kwh == 0.0


# --- over a real engine -----------------------------------------------------------------------

NETWORK: Mapping[str, Any] = {
    "version": 1,
    "accelerator_models": [
        {"id": "gpu", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 500.0}
    ],
    "regions": [
        {"id": "south", "province": "Fujian", "latitude": 26.0, "longitude": 119.3},
        {
            "id": "hub",
            "province": "Guizhou",
            "latitude": 26.4,
            "longitude": 106.4,
            "hub": "贵州",
            "hub_class": "WESTERN",
        },
    ],
    "data_centers": [
        {
            "id": f"dc-{r}",
            "region": r,
            "province": "Fujian" if r == "south" else "Guizhou",
            "latitude": 26.0,
            "longitude": 119.3,
            "grid_carbon_g_per_kwh": 400.0,
            "electricity_price_cny_per_kwh": 0.5,
            "design_pue": 1.2,
            "pue_target": 1.3,
            "commissioned_year": 2022,
        }
        for r in ("south", "hub")
    ],
    "pools": [
        {
            "data_center": f"dc-{r}",
            "id": "big",
            "accelerator_model": "gpu",
            "accelerators_per_node": 8,
            "cpu_milli_per_node": 64_000,
            "memory_mib_per_node": 512 * 1024,
            "node_count": 2,
        }
        for r in ("south", "hub")
    ],
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class TestOverEngine:
    def test_view_reads_live_and_finished_jobs(self, engine: SqlEngine) -> None:
        """Through the real engine and job store: a live job's allocation shows, a finished
        job adds the energy of the hours it held capacity, and the snapshot for metrics
        agrees with the ledger."""
        clock = Clock()
        inventory = InventoryStore(engine)
        inventory.import_document(parse_document(NETWORK))
        jobs = JobStore(engine)
        spec = JobSpec(
            JobKind.TRAINING,
            replicas=1,
            replica=ReplicaSpec(accelerator_count=4, cpu_milli=1000, memory_mib=1024),
            residency=Residency(allowed_regions=("south",)),
        )

        async def body() -> None:
            sched = Engine(jobs, inventory, clock=clock)
            await sched.start()
            view = UtilizationView(sched, inventory, jobs, clock=clock)
            live = await sched.submit("acme", spec, job_id="live")
            done = await sched.submit("acme", spec, job_id="done")
            assert live.placement is not None
            assert done.placement is not None
            clock.now = T0 + timedelta(hours=3)
            await sched.cancel("acme", "done")
            clock.now = T0 + timedelta(hours=5)
            report = await view.report(UtilizationGroup.DATA_CENTER, {})
            rows = {r.key: r for r in report.rows}
            south = rows["dataCenters/dc-south"]
            assert (south.allocated_accelerators, south.total_accelerators) == (4.0, 16.0)
            assert south.running_jobs == 1
            pue = live.placement.energy.pue
            assert south.energy_kwh == pytest.approx(it_kw(4) * (5 + 3) * pue)
            assert rows["dataCenters/dc-hub"].allocated_accelerators == 0.0
            only_hub = await view.report(UtilizationGroup.DATA_CENTER, {"region": "regions/hub"})
            assert [r.key for r in only_hub.rows] == ["dataCenters/dc-hub"]

            snap = metrics_snapshot(sched, lambda dc: (dc.design_pue, False))
            assert snap.accelerators["dc-south"] == (4.0, 16.0)
            assert snap.pue["dc-hub"] == (1.2, False)
            assert snap.placements == 2
            assert snap.pending_jobs == 0
            assert snap.solver_seconds is None  # no batch ran

        asyncio.run(body())

    def test_directory_carries_targets_and_hubs(self, engine: SqlEngine) -> None:
        """The directory gives each data center's PUE figures, year and hub class."""
        inventory = InventoryStore(engine)
        inventory.import_document(parse_document(NETWORK))
        infos = {d.id: d for d in data_center_directory(inventory)()}
        assert infos["dc-hub"].hub_class is HubClass.WESTERN
        assert infos["dc-hub"].hub == "贵州"
        assert infos["dc-south"].hub_class is HubClass.NONE
        assert (infos["dc-south"].design_pue, infos["dc-south"].commissioned_year) == (1.2, 2022)
