"""The resources the client returns and takes: frozen dataclasses mirroring the API messages.

Every field has the name of its proto field, so ``clients.convert`` can map the two one to one.
Resource names are plain strings (``dataCenters/fj-ai``), enums are Python enums whose values
are the wire numbers (``UNSPECIFIED`` = 0 means "not set"), timestamps are aware UTC
``datetime`` and durations ``timedelta``; a message field that may be absent is ``None`` when
it is. All fields are keyword-only and default to the proto3 zero value, so a value for a
create call needs only the fields that matter (the server validates the rest).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

__all__ = [
    "AcceleratorModel",
    "Allocation",
    "BatchPlacementResult",
    "Candidate",
    "CityAverage",
    "ComplianceEntry",
    "ComplianceReport",
    "DataCenter",
    "DataCenterState",
    "EnergyEstimate",
    "Explanation",
    "HubClass",
    "ImportResult",
    "Interval",
    "InventoryFormat",
    "Job",
    "JobEvent",
    "JobKind",
    "JobSpec",
    "JobState",
    "LatencyEstimate",
    "Link",
    "Meter",
    "MeteringPoint",
    "Node",
    "NodeState",
    "Page",
    "Placement",
    "Policies",
    "Policy",
    "Pool",
    "PueBasis",
    "PueCategory",
    "PueValue",
    "PueWindowKind",
    "QuotaLimit",
    "Quote",
    "Rack",
    "Reading",
    "RecordResult",
    "Region",
    "ReplicaSpec",
    "Residency",
    "ScoreTerm",
    "TenantQuota",
    "UtilizationGroupBy",
    "UtilizationReport",
    "UtilizationRow",
    "Webhook",
    "WebhookDelivery",
]

T = TypeVar("T")

# --------------------------------------------------------------------------- enums


class HubClass(enum.Enum):
    """Position of a region in the national hub layout (sets the hub PUE target)."""

    UNSPECIFIED = 0
    NONE = 1
    EASTERN = 2
    WESTERN = 3


class DataCenterState(enum.Enum):
    """Whether a data center takes new work."""

    UNSPECIFIED = 0
    ACTIVE = 1
    MAINTENANCE = 2
    DECOMMISSIONED = 3


class NodeState(enum.Enum):
    """Whether new work may land on a node."""

    UNSPECIFIED = 0
    READY = 1
    CORDONED = 2


class InventoryFormat(enum.Enum):
    """Encoding of an inventory file."""

    UNSPECIFIED = 0
    YAML = 1
    JSON = 2


class PueBasis(enum.Enum):
    """Where the PUE of an energy estimate came from."""

    UNSPECIFIED = 0
    MEASURED = 1
    DESIGN = 2


class JobKind(enum.Enum):
    """Training or inference."""

    UNSPECIFIED = 0
    TRAINING = 1
    INFERENCE = 2


class JobState(enum.Enum):
    """Lifecycle state of a job (AIP-216)."""

    UNSPECIFIED = 0
    PENDING = 1
    SCHEDULED = 2
    RUNNING = 3
    SUCCEEDED = 4
    FAILED = 5
    CANCELLED = 6
    PREEMPTED = 7

    @property
    def terminal(self) -> bool:
        """True for the states a job never leaves."""
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class MeteringPoint(enum.Enum):
    """Where a meter measures; the IT metering point sets the PUE category."""

    UNSPECIFIED = 0
    UTILITY_INPUT = 1
    UPS_OUTPUT = 2
    PDU_OUTPUT = 3
    IT_INPUT = 4
    COOLING = 5
    LIGHTING = 6
    OTHER = 7


class PueCategory(enum.Enum):
    """ISO/IEC 30134-2 PUE category."""

    UNSPECIFIED = 0
    BASIC = 1
    INTERMEDIATE = 2
    ADVANCED = 3


class PueWindowKind(enum.Enum):
    """How the PUE window is chosen."""

    UNSPECIFIED = 0
    INTERVAL = 1
    ANNUALISED = 2


class UtilizationGroupBy(enum.Enum):
    """How utilization rows are grouped."""

    UNSPECIFIED = 0
    DATA_CENTER = 1
    POOL = 2
    ACCELERATOR_MODEL = 3
    TENANT = 4


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list call; iterate it for its items."""

    items: tuple[T, ...]
    """The items of this page, in the server's order."""
    next_page_token: str = ""
    """Token of the next page; empty on the last."""
    total_size: int | None = None
    """Items matching the query over all pages, when the call reports it."""

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# --------------------------------------------------------------------------- common


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    """A half-open time interval [start_time, end_time)."""

    start_time: datetime | None = None
    """Inclusive start."""
    end_time: datetime | None = None
    """Exclusive end."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyEstimate:
    """Energy, cost and carbon of some work in one data center."""

    energy_kwh: float = 0.0
    """Facility energy, kWh (IT energy times PUE)."""
    cost_cny: float = 0.0
    """Electricity cost, CNY."""
    carbon_kg: float = 0.0
    """Emissions, kg CO2."""
    pue: float = 0.0
    """The PUE applied."""
    pue_basis: PueBasis = PueBasis.UNSPECIFIED
    """Whether that PUE was measured or the design value."""
    it_energy_kwh: float = 0.0
    """IT energy before PUE, kWh."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyEstimate:
    """A round-trip time between a region and a data center."""

    rtt_ms: float = 0.0
    """Round-trip time, ms."""
    estimated: bool = False
    """True when estimated from great-circle distance (no link recorded)."""


# --------------------------------------------------------------------------- inventory


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceleratorModel:
    """A kind of GPU/NPU board. Name: ``acceleratorModels/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    display_name: str = ""
    """Human name, e.g. ``NVIDIA H100 SXM5 80GB``."""
    vendor: str = ""
    """Maker."""
    memory_gib: float = 0.0
    """On-board memory, GiB."""
    fp16_tflops: float = 0.0
    """Dense FP16 tensor throughput, TFLOPS."""
    board_power_w: float = 0.0
    """Maximum board power, W."""
    source: str = ""
    """Where the figures come from, or ``estimate``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Region:
    """A city or hub cluster where users and data centers are. Name: ``regions/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    display_name: str = ""
    """Human name."""
    province: str = ""
    """Province or municipality."""
    latitude: float = 0.0
    """Degrees north."""
    longitude: float = 0.0
    """Degrees east."""
    hub: str = ""
    """National hub node it belongs to, empty if none."""
    hub_class: HubClass = HubClass.UNSPECIFIED
    """Eastern or western hub, or none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DataCenter:
    """A data center site. Name: ``dataCenters/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    display_name: str = ""
    """Human name."""
    region: str = ""
    """Region it stands in: ``regions/{id}``."""
    province: str = ""
    """Province; residency rules are checked against it."""
    latitude: float = 0.0
    """Degrees north."""
    longitude: float = 0.0
    """Degrees east."""
    grid_carbon_g_per_kwh: float = 0.0
    """Grid emission factor, gCO2/kWh."""
    electricity_price_cny_per_kwh: float = 0.0
    """Electricity price, CNY/kWh."""
    design_pue: float = 0.0
    """PUE by design."""
    pue_target: float = 0.0
    """PUE target it must meet."""
    commissioned_year: int = 0
    """Year of commissioning, 0 if unknown."""
    state: DataCenterState = DataCenterState.UNSPECIFIED
    """Whether it takes new work (unspecified on create means active)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Free-form labels."""
    source: str = ""
    """Where the figures come from, or ``estimate``."""
    node_count: int = 0
    """Output only: nodes in the data center."""
    accelerator_count: int = 0
    """Output only: accelerators in the data center."""
    fp16_pflops: float = 0.0
    """Output only: FP16 compute of its accelerators, PFLOPS."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rack:
    """A rack. Name: ``dataCenters/{dc}/racks/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    room: str = ""
    """Room or hall."""
    u_height: int = 0
    """Height in rack units."""
    power_capacity_kw: float = 0.0
    """Power it may draw, kW."""
    cooling_kw: float = 0.0
    """Heat it may reject, kW."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """Identical nodes in one data center. Name: ``dataCenters/{dc}/pools/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    display_name: str = ""
    """Human name."""
    accelerator_model: str = ""
    """Accelerator model of every node: ``acceleratorModels/{id}``; empty for CPU-only pools."""
    accelerators_per_node: int = 0
    """Accelerators per node."""
    cpu_milli_per_node: int = 0
    """CPU per node, milli-cores."""
    memory_mib_per_node: int = 0
    """Memory per node, MiB."""
    node_count: int = 0
    """Output only: nodes in the pool."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One server. Name: ``dataCenters/{dc}/nodes/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    pool: str = ""
    """Its pool: ``dataCenters/{dc}/pools/{id}``."""
    rack: str = ""
    """Its rack: ``dataCenters/{dc}/racks/{id}``; empty if not recorded."""
    rack_position_u: int = 0
    """Lowest rack unit it occupies, 0 if not recorded."""
    accelerator_model: str = ""
    """Accelerator model: ``acceleratorModels/{id}``; empty when it has none."""
    accelerator_count: int = 0
    """Number of accelerators."""
    cpu_milli: int = 0
    """CPU, milli-cores."""
    memory_mib: int = 0
    """Memory, MiB."""
    state: NodeState = NodeState.UNSPECIFIED
    """Whether new work may land on it (unspecified on create means ready)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A round-trip time between a region and a data center. Name: ``links/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    region: str = ""
    """Region: ``regions/{id}``."""
    data_center: str = ""
    """Data center: ``dataCenters/{id}``."""
    rtt_ms: float = 0.0
    """Round-trip time, ms."""
    source: str = ""
    """Where the figure comes from, or ``estimate``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    """What an inventory import created (or would create, when only validating)."""

    accelerator_models: int = 0
    """Accelerator models created."""
    regions: int = 0
    """Regions created."""
    data_centers: int = 0
    """Data centers created."""
    racks: int = 0
    """Racks created."""
    pools: int = 0
    """Pools created."""
    nodes: int = 0
    """Nodes created."""
    links: int = 0
    """Links created."""


# --------------------------------------------------------------------------- scheduler


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaSpec:
    """What one replica of a job needs."""

    accelerator_count: int = 0
    """Whole accelerators on one node (0 with accelerator_milli for a share of one)."""
    accelerator_milli: int = 0
    """A share of ONE accelerator in milli-units (1..999), when accelerator_count is 0."""
    accelerator_models: tuple[str, ...] = ()
    """Acceptable models (``acceleratorModels/{id}``); empty means any meeting the minima."""
    min_accelerator_memory_gib: float = 0.0
    """Minimum accelerator memory, GiB."""
    min_fp16_tflops: float = 0.0
    """Minimum accelerator FP16 TFLOPS."""
    cpu_milli: int = 0
    """CPU, milli-cores."""
    memory_mib: int = 0
    """Memory, MiB."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Residency:
    """Where a job's data may be processed."""

    allowed_provinces: tuple[str, ...] = ()
    """Provinces allowed (e.g. ``Fujian``); empty means any."""
    allowed_regions: tuple[str, ...] = ()
    """Regions allowed (``regions/{id}``); empty means any."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSpec:
    """What a job asks for."""

    kind: JobKind = JobKind.UNSPECIFIED
    """Training or inference."""
    replicas: int = 0
    """Number of replicas: a gang, all placed in one data center or none."""
    replica: ReplicaSpec = field(default_factory=ReplicaSpec)
    """Per-replica needs."""
    expected_duration: timedelta | None = None
    """Expected run time."""
    deadline: datetime | None = None
    """Must finish by then, if set."""
    priority: int = 0
    """Higher runs first and may preempt lower preemptible work (0..1000)."""
    preemptible: bool = False
    """May be preempted by higher-priority work."""
    user_region: str = ""
    """Inference: region of its users (``regions/{id}``)."""
    max_rtt_ms: float = 0.0
    """Inference: maximum round-trip time from user_region, ms (0 = no limit)."""
    data_region: str = ""
    """Region where its data is (``regions/{id}``), if any."""
    residency: Residency = field(default_factory=Residency)
    """Where it may run."""
    policy: str = ""
    """Placement policy: balanced, green, latency or cost (empty = server default)."""
    expected_utilization: float = 0.0
    """Expected accelerator utilization while running, 0..1 (0 = the server default)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Free-form labels."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """One replica's share of one node."""

    node: str = ""
    """``dataCenters/{dc}/nodes/{node}``."""
    accelerator_indices: tuple[int, ...] = ()
    """Accelerator slots on the node."""
    accelerator_milli: int = 0
    """Milli-units taken on each of those slots."""
    cpu_milli: int = 0
    """CPU, milli-cores."""
    memory_mib: int = 0
    """Memory, MiB."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreTerm:
    """One term of a data center's placement score (lower total is better)."""

    name: str = ""
    """latency, energy_cost, carbon or utilization."""
    value: float = 0.0
    """The raw value in its unit."""
    unit: str = ""
    """Its unit, e.g. ms, CNY, kg CO2, fraction."""
    normalized: float = 0.0
    """The value normalised over the candidates, 0..1."""
    weight: float = 0.0
    """The policy's weight."""
    contribution: float = 0.0
    """weight × normalized."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A data center that could have taken the job (or could not, and why)."""

    data_center: str = ""
    """``dataCenters/{dc}``."""
    accelerator_model: str = ""
    """Accelerator model it would use."""
    score: float = 0.0
    """Total score (lower is better); 0 when infeasible."""
    terms: tuple[ScoreTerm, ...] = ()
    """The score's terms."""
    energy: EnergyEstimate | None = None
    """Energy, cost and carbon there."""
    latency: LatencyEstimate | None = None
    """Round trip from the job's user region."""
    infeasible_reason: str = ""
    """Empty when feasible; else the constraint that rules it out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """Why a job was placed where it was, or why it waits."""

    policy: str = ""
    """The policy used."""
    terms: tuple[ScoreTerm, ...] = ()
    """The chosen data center's score terms."""
    binding_constraints: tuple[str, ...] = ()
    """Constraints that decided the outcome."""
    runner_up: str = ""
    """The best other data center."""
    runner_up_reason: str = ""
    """Why it lost."""
    pending_reason: str = ""
    """For a pending job: why it waits."""
    summary: str = ""
    """A one-sentence summary."""
    alternatives: tuple[Candidate, ...] = ()
    """Other candidates considered, best first."""
    decided_by: str = ""
    """online or batch."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """Where a job runs."""

    data_center: str = ""
    """``dataCenters/{dc}``."""
    accelerator_model: str = ""
    """Accelerator model used."""
    allocations: tuple[Allocation, ...] = ()
    """Node shares, one per replica."""
    energy: EnergyEstimate | None = None
    """Energy, cost and carbon predicted for the whole run."""
    latency: LatencyEstimate | None = None
    """Round trip from the user region."""
    place_time: datetime | None = None
    """When it was placed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A job. Name: ``tenants/{tenant}/jobs/{job}``."""

    name: str = ""
    """Resource name."""
    tenant: str = ""
    """Tenant: ``tenants/{tenant}``."""
    spec: JobSpec = field(default_factory=JobSpec)
    """What it asks for."""
    state: JobState = JobState.UNSPECIFIED
    """Lifecycle state."""
    placement: Placement | None = None
    """Where it runs, once placed."""
    explanation: Explanation | None = None
    """Why it runs there or waits."""
    create_time: datetime | None = None
    """When it was submitted."""
    update_time: datetime | None = None
    """Last change."""
    start_time: datetime | None = None
    """When it started running."""
    end_time: datetime | None = None
    """When it finished, was cancelled or failed."""
    preemption_count: int = 0
    """Times it was preempted."""
    state_message: str = ""
    """Message of the last state change."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobEvent:
    """One state change seen by a job watch."""

    job: Job = field(default_factory=Job)
    """The job after the change."""
    previous_state: JobState = JobState.UNSPECIFIED
    """The state before it."""
    initial: bool = False
    """True for the initial snapshot, false for a live change."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """Where and when a job would run, and at what energy, cost and carbon."""

    placeable: bool = False
    """True when it could be placed now."""
    placement: Placement | None = None
    """Where it would run."""
    predicted_start_time: datetime | None = None
    """Predicted start (now when placeable; else an estimate)."""
    explanation: Explanation | None = None
    """Why there, and the alternatives."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchPlacementResult:
    """What a run of the batch optimizer did."""

    pending_jobs: int = 0
    """Pending jobs considered."""
    placed_jobs: int = 0
    """Jobs placed by the plan."""
    preempted_jobs: int = 0
    """Running jobs preempted."""
    objective: float = 0.0
    """Objective value."""
    best_bound: float = 0.0
    """Best bound."""
    gap: float = 0.0
    """Relative gap between objective and bound."""
    status: str = ""
    """Solver status, e.g. OPTIMAL or FEASIBLE."""
    solve_time: timedelta | None = None
    """Wall time of the solve."""
    job_classes: int = 0
    """Job classes after aggregation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """A placement policy's weights."""

    name: str = ""
    """Name."""
    description: str = ""
    """What it favours."""
    latency_weight: float = 0.0
    """Weight of round-trip time."""
    energy_cost_weight: float = 0.0
    """Weight of electricity cost."""
    carbon_weight: float = 0.0
    """Weight of carbon."""
    utilization_weight: float = 0.0
    """Weight of utilization."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Policies:
    """The placement policies and the server's default."""

    policies: tuple[Policy, ...] = ()
    """The policies."""
    default_policy: str = ""
    """Name of the policy used when a job names none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaLimit:
    """A hard limit on a tenant's accelerators of one model."""

    accelerator_model: str = ""
    """``acceleratorModels/{id}``, or ``*`` for every model together."""
    limit: float = 0.0
    """Maximum accelerators allocated at once."""
    used: float = 0.0
    """Output only: allocated now."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantQuota:
    """A tenant's quotas. Name: ``tenants/{tenant}/quota``."""

    name: str = ""
    """Resource name."""
    limits: tuple[QuotaLimit, ...] = ()
    """The limits; a model with no limit is unlimited."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """A URL that receives a tenant's job events. Name: ``tenants/{t}/webhooks/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    url: str = ""
    """http(s) URL to POST events to."""
    states: tuple[JobState, ...] = ()
    """Job states that trigger a delivery; empty means all."""
    secret: str = ""
    """Input only: the HMAC-SHA256 signing secret (never returned)."""
    create_time: datetime | None = None
    """When it was registered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDelivery:
    """One attempt to deliver an event to a webhook."""

    job: str = ""
    """The job the event is about."""
    state: JobState = JobState.UNSPECIFIED
    """The job state announced."""
    attempt_time: datetime | None = None
    """When it was attempted."""
    attempt: int = 0
    """Attempt number, from 1."""
    http_status: int = 0
    """HTTP status, 0 when no answer came."""
    error: str = ""
    """Error text when it failed."""
    delivered: bool = False
    """True when the receiver answered 2xx."""


# --------------------------------------------------------------------------- telemetry


@dataclass(frozen=True, slots=True, kw_only=True)
class Meter:
    """A power or energy meter. Name: ``dataCenters/{dc}/meters/{id}``."""

    name: str = ""
    """Resource name (ignored on create)."""
    metering_point: MeteringPoint = MeteringPoint.UNSPECIFIED
    """Where it measures."""
    description: str = ""
    """Free text."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One meter reading: a cumulative energy counter, an instantaneous power, or both."""

    meter: str = ""
    """``dataCenters/{dc}/meters/{meter}``."""
    read_time: datetime | None = None
    """When it was read (aware)."""
    energy_kwh: float | None = None
    """Cumulative energy, kWh, if read."""
    power_kw: float | None = None
    """Power, kW, if read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordResult:
    """What recording readings did."""

    accepted: int = 0
    """Readings stored."""
    duplicates: int = 0
    """Readings already stored (same meter and time), ignored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PueValue:
    """A PUE value with everything needed to judge it."""

    data_center: str = ""
    """The data center."""
    value: float = 0.0
    """PUE (or partial PUE)."""
    interval: Interval | None = None
    """The window it covers."""
    category: PueCategory = PueCategory.UNSPECIFIED
    """Category by the IT metering point."""
    coverage: float = 0.0
    """Share of the window covered by readings, 0..1."""
    facility_energy_kwh: float = 0.0
    """Facility energy over the window, kWh."""
    it_energy_kwh: float = 0.0
    """IT energy over the window, kWh."""
    gaps: tuple[Interval, ...] = ()
    """Gaps in the readings longer than the allowed interval."""
    counter_resets: int = 0
    """Counter resets handled."""
    cue_kg_per_kwh: float = 0.0
    """CUE = PUE × grid factor, kg CO2 per IT kWh."""
    partial: bool = False
    """True for a partial PUE."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplianceEntry:
    """One data center's compliance with its PUE targets."""

    data_center: str = ""
    """The data center."""
    pue: float = 0.0
    """The PUE used: measured over the window, or design."""
    basis: PueBasis = PueBasis.UNSPECIFIED
    """Measured or design."""
    own_target: float = 0.0
    """Its own target."""
    policy_target: float = 0.0
    """The strictest policy target that applies."""
    policy_target_source: str = ""
    """Which policy target, in words."""
    compliant: bool = False
    """True when the PUE meets both targets."""
    excess: float = 0.0
    """PUE minus the stricter target (positive = out of bounds)."""
    coverage: float = 0.0
    """Coverage of the measurement, 0..1."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CityAverage:
    """An energy-weighted average PUE of one city against its target."""

    region: str = ""
    """The region (city)."""
    pue: float = 0.0
    """Facility energy / IT energy summed over the city's data centers."""
    target: float = 0.0
    """The target."""
    compliant: bool = False
    """True when below the target."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplianceReport:
    """Compliance of every data center and city with the PUE targets."""

    entries: tuple[ComplianceEntry, ...] = ()
    """Every data center."""
    city_averages: tuple[CityAverage, ...] = ()
    """Energy-weighted average PUE of each city with a city target."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UtilizationRow:
    """Utilization of one group."""

    key: str = ""
    """The group's key (a resource name or tenant)."""
    allocated_accelerators: float = 0.0
    """Accelerators allocated."""
    total_accelerators: float = 0.0
    """Accelerators in total."""
    utilization: float = 0.0
    """allocated / total, 0..1."""
    allocated_pflops: float = 0.0
    """FP16 compute allocated, PFLOPS."""
    total_pflops: float = 0.0
    """FP16 compute in total, PFLOPS."""
    energy_kwh: float = 0.0
    """Energy of running and finished jobs, kWh."""
    cost_cny: float = 0.0
    """Their cost, CNY."""
    carbon_kg: float = 0.0
    """Their carbon, kg CO2."""
    running_jobs: int = 0
    """Running jobs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UtilizationReport:
    """Utilization and compute scale by group and for the whole network."""

    rows: tuple[UtilizationRow, ...] = ()
    """One row per group."""
    total: UtilizationRow | None = None
    """The whole network."""
    ai_compute_share: float = 0.0
    """Share of the network's FP16 compute that is AI accelerators, 0..1."""
