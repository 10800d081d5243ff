"""What the telemetry side is told about the rest of the network, as plain pue-side types.

``pue`` may not import ``inventory`` or ``scheduler`` (ARCHITECTURE.md, layering rule 3), yet
PUE targets, grid factors and utilization live there. The composition root therefore injects
two callables built on the other side and returning these types: a ``DataCenterDirectory``
(each data center's design PUE, targets, grid factor, place and year) and a
``UtilizationSource`` (accelerators, compute, energy, cost and carbon by group). Pure.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DataCenterDirectory",
    "DataCenterInfo",
    "HubClass",
    "UtilizationGroup",
    "UtilizationReport",
    "UtilizationRow",
    "UtilizationSource",
]


class HubClass(enum.Enum):
    """Position of a data center's region in the national 东数西算 hub layout."""

    NONE = 1
    """Not in a national hub cluster."""
    EASTERN = 2
    """Eastern hub cluster (NDRC 2022: PUE ≤ 1.25)."""
    WESTERN = 3
    """Western hub cluster (NDRC 2022: PUE ≤ 1.2)."""


@dataclass(frozen=True, slots=True)
class DataCenterInfo:
    """The facts about one data center that PUE reporting and compliance need."""

    id: str
    """Data center id."""
    region: str
    """Region id it stands in, e.g. ``fujian-changle``."""
    province: str
    """Province, e.g. ``Fujian``."""
    design_pue: float
    """PUE by design, used when no measurement covers enough of the window."""
    pue_target: float
    """The data center's own PUE target."""
    grid_carbon_g_per_kwh: float
    """Grid emission factor of the electricity it buys, gCO2/kWh (for CUE)."""
    commissioned_year: int = 0
    """Year it went into service; 0 when unknown (then treated as existing)."""
    hub_class: HubClass = HubClass.NONE
    """Whether its region is an eastern or western national hub cluster."""
    hub: str = ""
    """Name of the hub node, e.g. ``长三角``; empty when none."""


DataCenterDirectory = Callable[[], Sequence[DataCenterInfo]]
"""Returns every data center of the inventory (called in a worker thread)."""


class UtilizationGroup(enum.Enum):
    """How utilization rows are grouped."""

    DATA_CENTER = 1
    """One row per data center: ``dataCenters/{dc}``."""
    POOL = 2
    """One row per pool: ``dataCenters/{dc}/pools/{pool}``."""
    ACCELERATOR_MODEL = 3
    """One row per accelerator model: ``acceleratorModels/{model}``."""
    TENANT = 4
    """One row per tenant: ``tenants/{tenant}``."""


@dataclass(frozen=True, slots=True)
class UtilizationRow:
    """Allocation, compute scale and the energy of the work in one group."""

    key: str
    """The group's resource name (or ``cpu`` for CPU-only nodes and jobs by model)."""
    allocated_accelerators: float
    """Accelerators allocated, fractional shares included (milli / 1000)."""
    total_accelerators: float
    """Accelerators installed (for a tenant: in the whole, filtered network)."""
    allocated_pflops: float
    """FP16 compute allocated, PFLOPS."""
    total_pflops: float
    """FP16 compute installed, PFLOPS."""
    energy_kwh: float = 0.0
    """Facility energy of its running and finished jobs so far, kWh (estimate)."""
    cost_cny: float = 0.0
    """Electricity cost of that energy, CNY."""
    carbon_kg: float = 0.0
    """Emissions of that energy, kg CO2."""
    running_jobs: int = 0
    """Jobs holding capacity now (scheduled or running)."""

    @property
    def utilization(self) -> float:
        """allocated / total accelerators, 0 when the group has none."""
        if self.total_accelerators <= 0:
            return 0.0
        return self.allocated_accelerators / self.total_accelerators


@dataclass(frozen=True, slots=True)
class UtilizationReport:
    """Utilization rows, the network total and the AI share of compute."""

    rows: tuple[UtilizationRow, ...]
    """One row per group, ordered by key."""
    total: UtilizationRow
    """The whole (filtered) network."""
    ai_compute_share: float
    """Accelerator FP16 compute / (accelerator + CPU FP16 compute), 0..1."""


UtilizationSource = Callable[[UtilizationGroup, Mapping[str, str]], Awaitable[UtilizationReport]]
"""Answers a utilization question: group, and equality filters on ``region``/``province``."""
