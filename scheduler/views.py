"""Read models of the scheduler for the telemetry side: utilization by data center, pool,
accelerator model or tenant; the data center directory; and the metrics snapshot.

``pue`` may not import ``scheduler`` or ``inventory``; these functions are built here and
injected into it by the composition root, returning ``pue.views`` types.

Utilization, as reported:

* Allocated accelerators are the ledger's live allocations (milli-units / 1000, so a half
  share counts 0.5); installed ones are the inventory's nodes. FP16 compute is the model's
  dense FP16 TFLOPS × accelerators / 1000, in PFLOPS.
* A tenant row's "installed" is the whole (filtered) network's, so its utilization is the
  tenant's share of the network.
* Energy, cost and carbon are of running and finished jobs *so far*: a placed job is taken
  to draw its estimated IT power (``scheduler.energy.it_power_kw``) from its start (its
  placement when it never reported RUNNING) until it ended (or now), at the PUE, price and
  grid factor its placement was priced with. Finished jobs are read from the job store,
  all of them at each call: simple, and O(finished jobs).
* The AI share of compute is accelerator FP16 PFLOPS over accelerator plus CPU FP16 PFLOPS,
  CPUs counted at ``CPU_FP16_TFLOPS_PER_CORE``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import numpy as np

from computenet.errors import NotFound
from computenet.metrics import Snapshot
from inventory.domain import AcceleratorModel, DataCenter, HubClass, Node, Region
from inventory.store import DATA_CENTERS, NODES, REGIONS, InventoryStore
from pue.views import (
    DataCenterDirectory,
    DataCenterInfo,
    UtilizationGroup,
    UtilizationReport,
    UtilizationRow,
)
from pue.views import HubClass as PueHubClass
from scheduler.domain import FINISHED_STATES, LIVE_STATES, Job, JobState
from scheduler.energy import it_power_kw
from scheduler.engine import Engine, PueLookup
from scheduler.store import JobStore

__all__ = [
    "CPU_FP16_TFLOPS_PER_CORE",
    "CPU_ONLY_KEY",
    "NETWORK_KEY",
    "UtilizationView",
    "data_center_directory",
    "energy_so_far",
    "metrics_snapshot",
    "utilization_report",
]

CPU_FP16_TFLOPS_PER_CORE = 0.128
"""FP16 TFLOPS of one server CPU core (estimate: 2 AVX-512 FMA units × 16 FP32 lanes × 2 flop
× 2.0 GHz; CPUs without AVX512-FP16 run FP16 at the FP32 rate)."""

CPU_ONLY_KEY = "cpu"
"""Row key of CPU-only nodes and jobs when grouping by accelerator model."""

NETWORK_KEY = "network"
"""Key of the total row."""

_PAGE = 1000


def _now() -> datetime:
    return datetime.now(UTC)


def energy_so_far(
    job: Job, board_power_w: float | None, now: datetime
) -> tuple[float, float, float]:
    """(kWh, CNY, kg CO2) a placed job has used by ``now`` (or by its end), estimated.

    IT power × hours since it started (or was placed), scaled by the facility/IT ratio,
    price and grid factor of its placement's estimate. With the board power unknown (the
    model was deleted since) the run's share of its expected duration is used instead.
    """
    p = job.placement
    if p is None or p.energy.it_energy_kwh <= 0:
        return 0.0, 0.0, 0.0
    start = job.start_time or p.place_time
    end = job.end_time or now
    hours = max(0.0, (end - start).total_seconds() / 3600.0)
    if board_power_w is not None:
        scale = it_power_kw(job.spec, board_power_w) * hours / p.energy.it_energy_kwh
    else:
        scale = hours / max(job.spec.expected_duration.total_seconds() / 3600.0, 1e-9)
    e = p.energy
    return e.energy_kwh * scale, e.cost_cny * scale, e.carbon_kg * scale


@dataclass(slots=True)
class _Acc:
    allocated: float = 0.0
    total: float = 0.0
    allocated_pflops: float = 0.0
    total_pflops: float = 0.0
    energy: float = 0.0
    cost: float = 0.0
    carbon: float = 0.0
    jobs: int = 0

    def row(self, key: str) -> UtilizationRow:
        return UtilizationRow(
            key=key,
            allocated_accelerators=self.allocated,
            total_accelerators=self.total,
            allocated_pflops=self.allocated_pflops,
            total_pflops=self.total_pflops,
            energy_kwh=self.energy,
            cost_cny=self.cost,
            carbon_kg=self.carbon,
            running_jobs=self.jobs,
        )


def utilization_report(
    group: UtilizationGroup,
    *,
    nodes: Sequence[Node],
    models: Mapping[str, AcceleratorModel],
    jobs: Iterable[Job],
    data_centers: set[str] | None,
    now: datetime,
) -> UtilizationReport:
    """Utilization rows of ``group`` from the nodes installed and the jobs (live ones hold
    their placement's allocations; finished ones only add energy). ``data_centers`` limits
    everything to those ids (None: all)."""
    node_at: dict[tuple[str, str], Node] = {}
    for n in nodes:
        if data_centers is None or n.data_center in data_centers:
            node_at[(n.data_center, n.id)] = n

    def tflops(model: str) -> float:
        m = models.get(model)
        return m.fp16_tflops if m is not None else 0.0

    def key_of(dc: str, node: Node | None, model: str) -> str:
        if group is UtilizationGroup.DATA_CENTER:
            return f"dataCenters/{dc}"
        if group is UtilizationGroup.POOL:
            return f"dataCenters/{dc}/pools/{node.pool if node else '-'}"
        return f"acceleratorModels/{model}" if model else CPU_ONLY_KEY

    rows: dict[str, _Acc] = defaultdict(_Acc)
    total = _Acc()
    cpu_cores = 0.0
    for n in node_at.values():
        pflops = n.accelerator_count * tflops(n.accelerator_model) / 1000.0
        total.total += n.accelerator_count
        total.total_pflops += pflops
        cpu_cores += n.cpu_milli / 1000.0
        if group is not UtilizationGroup.TENANT:
            acc = rows[key_of(n.data_center, n, n.accelerator_model)]
            acc.total += n.accelerator_count
            acc.total_pflops += pflops

    for job in jobs:
        p = job.placement
        if p is None or (data_centers is not None and p.data_center not in data_centers):
            continue
        live = job.state in LIVE_STATES
        if not live and job.state not in FINISHED_STATES and job.state is not JobState.PREEMPTED:
            continue
        model = models.get(p.accelerator_model)
        kwh, cny, kg = energy_so_far(
            job, model.board_power_w if model else (None if p.accelerator_model else 0.0), now
        )
        # Each allocation's share of the job, by accelerators (or by replica for CPU jobs).
        weights = [len(a.slots) * a.milli / 1000.0 for a in p.allocations]
        whole = sum(weights)
        shares = (
            [w / whole for w in weights]
            if whole > 0
            else [1.0 / len(p.allocations)] * len(p.allocations)
            if p.allocations
            else []
        )
        touched: set[str] = set()
        for a, w, share in zip(p.allocations, weights, shares, strict=True):
            if group is UtilizationGroup.TENANT:
                key = f"tenants/{job.tenant}"
            else:
                key = key_of(
                    a.data_center, node_at.get((a.data_center, a.node)), p.accelerator_model
                )
            acc = rows[key]
            if live:
                acc.allocated += w
                acc.allocated_pflops += w * tflops(p.accelerator_model) / 1000.0
                total.allocated += w
                total.allocated_pflops += w * tflops(p.accelerator_model) / 1000.0
            acc.energy += kwh * share
            acc.cost += cny * share
            acc.carbon += kg * share
            touched.add(key)
        if not p.allocations:
            continue
        total.energy += kwh
        total.cost += cny
        total.carbon += kg
        if live:
            total.jobs += 1
            for key in touched:
                rows[key].jobs += 1

    if group is UtilizationGroup.TENANT:
        for acc in rows.values():
            acc.total = total.total
            acc.total_pflops = total.total_pflops
    cpu_pflops = cpu_cores * CPU_FP16_TFLOPS_PER_CORE / 1000.0
    compute = total.total_pflops + cpu_pflops
    return UtilizationReport(
        rows=tuple(rows[k].row(k) for k in sorted(rows)),
        total=total.row(NETWORK_KEY),
        ai_compute_share=total.total_pflops / compute if compute > 0 else 0.0,
    )


class UtilizationView:
    """Answers utilization questions from the engine's memory, the inventory and the job
    store; its ``report`` is a ``pue.views.UtilizationSource``."""

    def __init__(
        self,
        engine: Engine,
        inventory: InventoryStore,
        jobs: JobStore,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._engine = engine
        self._inventory = inventory
        self._jobs = jobs
        self._clock = clock

    def _finished(self) -> list[Job]:
        out: list[Job] = []
        for state in (*FINISHED_STATES, JobState.PREEMPTED):
            before: int | None = None
            while True:
                page = self._jobs.list(
                    None, filters={"state": state.name}, page_size=_PAGE, before_seq=before
                )
                out.extend(j for j in page.jobs if j.placement is not None)
                if page.next_seq is None:
                    break
                before = page.next_seq
        return out

    def _load(self) -> tuple[list[Node], list[DataCenter], list[Job]]:
        return (
            self._inventory.all(NODES),
            self._inventory.all(DATA_CENTERS),
            self._finished(),
        )

    async def report(
        self, group: UtilizationGroup, filters: Mapping[str, str]
    ) -> UtilizationReport:
        """Utilization grouped by ``group`` over the data centers matching ``filters``
        (equality on ``region``, ``province``)."""
        nodes, dcs, finished = await asyncio.to_thread(self._load)
        region = filters.get("region", "").removeprefix("regions/")
        province = filters.get("province", "")
        chosen = (
            {
                dc.id
                for dc in dcs
                if (not region or dc.region == region) and (not province or dc.province == province)
            }
            if region or province
            else None
        )
        # Live jobs come from memory, where the allocations are current; a job finished
        # meanwhile may also be in the store's list: memory wins.
        live = {j.name: j for j in self._engine.jobs_in_memory().values() if j.state in LIVE_STATES}
        jobs = [*live.values(), *(j for j in finished if j.name not in live)]
        return utilization_report(
            group,
            nodes=nodes,
            models=self._engine.models(),
            jobs=jobs,
            data_centers=chosen,
            now=self._clock(),
        )


_HUBS = {
    HubClass.NONE: PueHubClass.NONE,
    HubClass.EASTERN: PueHubClass.EASTERN,
    HubClass.WESTERN: PueHubClass.WESTERN,
}


def data_center_directory(inventory: InventoryStore) -> DataCenterDirectory:
    """A ``pue.views.DataCenterDirectory`` reading the inventory at each call."""

    def directory() -> list[DataCenterInfo]:
        # InventoryStore.list shadows the builtin in its annotations; say what all() returns.
        regions = {r.id: r for r in cast("list[Region]", inventory.all(REGIONS))}
        out = []
        for dc in cast("list[DataCenter]", inventory.all(DATA_CENTERS)):
            region = regions.get(dc.region)
            out.append(
                DataCenterInfo(
                    id=dc.id,
                    region=dc.region,
                    province=dc.province,
                    design_pue=dc.design_pue,
                    pue_target=dc.pue_target,
                    grid_carbon_g_per_kwh=dc.grid_carbon_g_per_kwh,
                    commissioned_year=dc.commissioned_year,
                    hub_class=_HUBS[region.hub_class] if region else PueHubClass.NONE,
                    hub=region.hub if region else "",
                )
            )
        return out

    return directory


def metrics_snapshot(engine: Engine, pue: PueLookup, also: Iterable[str] = ()) -> Snapshot:
    """The metrics gauges from the engine's memory; call it on the event loop thread.

    PUE is shown for every data center with nodes and for those in ``also`` (e.g. those
    with meters); accelerators for every data center with nodes.
    """
    table = engine.ledger.capacity_table()
    installed = table.total.sum(axis=1) if table.total.size else np.zeros(len(table.dcs))
    free = table.free_milli.sum(axis=1) if table.free_milli.size else np.zeros(len(table.dcs))
    accelerators = {
        dc: ((float(installed[i]) * 1000.0 - float(free[i])) / 1000.0, float(installed[i]))
        for i, dc in enumerate(table.dcs)
    }
    values: dict[str, tuple[float, bool]] = {}
    for dc_id in sorted({*table.dcs, *also}):
        try:
            values[dc_id] = pue(engine.data_center(dc_id))
        except NotFound:
            continue
    pending = sum(1 for j in engine.jobs_in_memory().values() if j.state is JobState.PENDING)
    plan = engine.last_batch
    return Snapshot(
        pending_jobs=pending,
        placements=engine.placements,
        pue=values,
        accelerators=accelerators,
        solver_seconds=plan.wall_seconds if plan is not None else None,
        solver_gap=plan.gap if plan is not None else None,
    )
