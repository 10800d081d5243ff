"""Scheduler domain types: jobs, what they ask for, where they run and why.

Pure: no I/O, no clock (times are passed in).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from computenet.errors import Violations
from inventory.domain import check_id

__all__ = [
    "DEFAULT_UTILIZATION",
    "FINISHED_STATES",
    "LIVE_STATES",
    "Allocation",
    "Candidate",
    "EnergyEstimate",
    "Explanation",
    "Job",
    "JobKind",
    "JobSpec",
    "JobState",
    "LatencyEstimate",
    "PendingReason",
    "Placement",
    "Policy",
    "QuotaLimit",
    "Quote",
    "ReplicaSpec",
    "Residency",
    "ScoreTerm",
    "TenantQuota",
    "validate_spec",
]

DEFAULT_UTILIZATION = 0.8
"""Accelerator utilization assumed while a job runs when it states none."""

MAX_PRIORITY = 1000
MAX_REPLICAS = 4096


class JobKind(enum.Enum):
    """Training or inference."""

    TRAINING = 1
    INFERENCE = 2


class JobState(enum.Enum):
    """Lifecycle state (AIP-216)."""

    PENDING = 1
    SCHEDULED = 2
    RUNNING = 3
    SUCCEEDED = 4
    FAILED = 5
    CANCELLED = 6
    PREEMPTED = 7


LIVE_STATES = frozenset({JobState.SCHEDULED, JobState.RUNNING})
"""States that hold capacity."""
FINISHED_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
"""States a job never leaves."""


class PendingReason(enum.Enum):
    """Why a job waits, most fundamental first."""

    NO_MODEL = "no data center has an accelerator model the job accepts"
    RESIDENCY = "no data center with the model is in the allowed provinces or regions"
    LATENCY = "no data center with the model meets the latency limit"
    QUOTA = "the tenant's quota for the model is used up"
    CAPACITY = "every eligible data center is full"
    PRIORITY = "waiting behind higher-priority work"


@dataclass(frozen=True, slots=True)
class ReplicaSpec:
    """What one replica needs."""

    accelerator_count: int = 0
    """Whole accelerators on one node (0 with ``accelerator_milli`` for a share of one)."""
    accelerator_milli: int = 0
    """A share of ONE accelerator in milli-units (1..999) when ``accelerator_count`` is 0."""
    accelerator_models: tuple[str, ...] = ()
    """Acceptable accelerator model ids; empty means any that meets the minima."""
    min_accelerator_memory_gib: float = 0.0
    """Minimum accelerator memory, GiB."""
    min_fp16_tflops: float = 0.0
    """Minimum accelerator FP16 TFLOPS."""
    cpu_milli: int = 0
    """CPU, milli-cores."""
    memory_mib: int = 0
    """Memory, MiB."""

    @property
    def accelerators(self) -> float:
        """Accelerators one replica takes, as a number (0.5 for a half share)."""
        return self.accelerator_count or self.accelerator_milli / 1000.0

    @property
    def milli(self) -> int:
        """Accelerator milli-units one replica takes."""
        return self.accelerator_count * 1000 or self.accelerator_milli


@dataclass(frozen=True, slots=True)
class Residency:
    """Where a job's data may be processed; empty lists allow anywhere."""

    allowed_provinces: tuple[str, ...] = ()
    """Provinces allowed, e.g. ``("Fujian",)``."""
    allowed_regions: tuple[str, ...] = ()
    """Region ids allowed."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What a job asks for."""

    kind: JobKind
    """Training or inference."""
    replicas: int
    """Gang size: all in one data center, or none."""
    replica: ReplicaSpec
    """Per-replica needs."""
    expected_duration: timedelta = timedelta(hours=1)
    """Expected run time."""
    deadline: datetime | None = None
    """Must finish by then, if set."""
    priority: int = 0
    """Higher runs first and may preempt lower preemptible work (0..1000)."""
    preemptible: bool = False
    """May be preempted by higher-priority work."""
    user_region: str = ""
    """Inference: region id of its users."""
    max_rtt_ms: float = 0.0
    """Inference: maximum RTT from ``user_region``, ms (0 = no limit)."""
    data_region: str = ""
    """Region id where its data is."""
    residency: Residency = field(default_factory=Residency)
    """Where it may run."""
    policy: str = ""
    """Placement policy name (empty = the server default)."""
    expected_utilization: float = 0.0
    """Accelerator utilization while running, 0..1 (0 = the default)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Free-form labels."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """One replica's share of one node."""

    data_center: str
    """Data center id."""
    node: str
    """Node id."""
    slots: tuple[int, ...]
    """Accelerator slots on the node."""
    milli: int
    """Milli-units on each slot."""
    cpu_milli: int
    """CPU, milli-cores."""
    memory_mib: int
    """Memory, MiB."""


@dataclass(frozen=True, slots=True)
class EnergyEstimate:
    """Energy, cost and carbon of a run in one data center."""

    it_energy_kwh: float
    """IT energy before PUE."""
    energy_kwh: float
    """Facility energy: IT energy × PUE."""
    cost_cny: float
    """Electricity cost."""
    carbon_kg: float
    """Emissions, kg CO2."""
    pue: float
    """The PUE applied."""
    pue_measured: bool
    """True when the PUE is the measured trailing value, False for the design value."""


@dataclass(frozen=True, slots=True)
class LatencyEstimate:
    """A round-trip time."""

    rtt_ms: float
    """Milliseconds."""
    estimated: bool
    """True when estimated from distance rather than a recorded link."""


@dataclass(frozen=True, slots=True)
class ScoreTerm:
    """One term of a data center's score (lower total is better)."""

    name: str
    """``latency``, ``energy_cost``, ``carbon`` or ``utilization``."""
    value: float
    """Raw value in ``unit``."""
    unit: str
    """Unit of ``value``."""
    normalized: float
    """Value normalised over the feasible candidates, 0..1."""
    weight: float
    """The policy's weight."""

    @property
    def contribution(self) -> float:
        return self.weight * self.normalized


@dataclass(frozen=True, slots=True)
class Candidate:
    """A (data center, model) that was considered."""

    data_center: str
    """Data center id."""
    accelerator_model: str
    """Model id ('' for CPU-only jobs)."""
    score: float
    """Total score, lower is better (NaN when infeasible)."""
    terms: tuple[ScoreTerm, ...]
    """Score terms."""
    energy: EnergyEstimate | None
    """Energy there."""
    latency: LatencyEstimate | None
    """RTT from the user region."""
    infeasible_reason: str = ""
    """Empty when feasible."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a job runs where it does, or why it waits."""

    policy: str
    """Policy used."""
    terms: tuple[ScoreTerm, ...] = ()
    """The chosen candidate's terms."""
    binding_constraints: tuple[str, ...] = ()
    """Constraints that decided the outcome."""
    runner_up: str = ""
    """Best other data center."""
    runner_up_reason: str = ""
    """Why it lost."""
    pending_reason: str = ""
    """Why the job waits, for a pending job."""
    summary: str = ""
    """One sentence."""
    alternatives: tuple[Candidate, ...] = ()
    """Other candidates, best first (a few)."""
    decided_by: str = "online"
    """``online`` or ``batch``."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a job runs."""

    data_center: str
    """Data center id."""
    accelerator_model: str
    """Model id ('' for CPU-only)."""
    allocations: tuple[Allocation, ...]
    """One per replica."""
    energy: EnergyEstimate
    """Predicted for the whole run."""
    latency: LatencyEstimate | None
    """RTT from the user region, if it has one."""
    place_time: datetime
    """When it was placed."""


@dataclass(frozen=True, slots=True)
class Job:
    """A job and its lifecycle."""

    tenant: str
    """Tenant id."""
    id: str
    """Job id, unique in the tenant."""
    spec: JobSpec
    """What it asks for."""
    state: JobState
    """Lifecycle state."""
    create_time: datetime
    """Submitted at."""
    update_time: datetime
    """Last change."""
    placement: Placement | None = None
    """Where it runs (SCHEDULED/RUNNING, and kept after it finishes)."""
    explanation: Explanation | None = None
    """Why."""
    start_time: datetime | None = None
    """Reported running at."""
    end_time: datetime | None = None
    """Finished at."""
    preemption_count: int = 0
    """Times preempted."""
    state_message: str = ""
    """Message of the last change."""
    request_id: str = ""
    """Idempotency key of its submission."""
    seq: int = 0
    """Submission order (ties of priority are served first come, first served)."""

    @property
    def name(self) -> str:
        return f"tenants/{self.tenant}/jobs/{self.id}"


@dataclass(frozen=True, slots=True)
class Quote:
    """What SubmitJob would do now, without doing it."""

    placeable: bool
    """Whether it could be placed now."""
    placement: Placement | None
    """Where."""
    predicted_start: datetime
    """When it would start."""
    explanation: Explanation
    """Why, with the alternatives."""


@dataclass(frozen=True, slots=True)
class Policy:
    """Weights of the normalised score terms (each 0..1 over the candidates; lower is better)."""

    name: str
    """Name."""
    description: str
    """What it favours."""
    latency: float
    """Weight of RTT (ms) from the user or data region."""
    energy_cost: float
    """Weight of electricity cost (CNY) of the whole run."""
    carbon: float
    """Weight of emissions (kg CO2) of the whole run."""
    utilization: float
    """Weight of the share of the data center's accelerators left idle after placing."""


@dataclass(frozen=True, slots=True)
class QuotaLimit:
    """A hard limit on a tenant's accelerators of one model (``*`` = all models together)."""

    accelerator_model: str
    """Model id or ``*``."""
    limit: float
    """Accelerators allocated at once."""


@dataclass(frozen=True, slots=True)
class TenantQuota:
    """A tenant's limits."""

    tenant: str
    """Tenant id."""
    limits: tuple[QuotaLimit, ...]
    """The limits; models without one are unlimited."""


def _finite(v: Violations, path: str, value: float, lo: float, hi: float) -> None:
    if not math.isfinite(value) or not lo <= value <= hi:
        v.add(path, f"must be between {lo:g} and {hi:g}, got {value!r}")


def validate_spec(spec: JobSpec, prefix: str = "spec.") -> Violations:
    """All violations of a job spec's own fields (references are checked by the engine)."""
    v = Violations()
    r = spec.replica
    p = f"{prefix}replica."
    v.check(1 <= spec.replicas <= MAX_REPLICAS, f"{prefix}replicas", f"must be 1..{MAX_REPLICAS}")
    v.check(0 <= r.accelerator_count <= 16, f"{p}accelerator_count", "must be 0..16")
    v.check(0 <= r.accelerator_milli <= 999, f"{p}accelerator_milli", "must be 0..999")
    if r.accelerator_count and r.accelerator_milli:
        v.add(
            f"{p}accelerator_milli", "set either accelerator_count or accelerator_milli, not both"
        )
    if not r.accelerator_count and not r.accelerator_milli and r.accelerator_models:
        v.add(f"{p}accelerator_models", "a job without accelerators cannot name models")
    for i, m in enumerate(r.accelerator_models):
        check_id(v, f"{p}accelerator_models[{i}]", m)
    _finite(v, f"{p}min_accelerator_memory_gib", r.min_accelerator_memory_gib, 0, 10_000)
    _finite(v, f"{p}min_fp16_tflops", r.min_fp16_tflops, 0, 1_000_000)
    v.check(0 < r.cpu_milli <= 10_000_000, f"{p}cpu_milli", "must be between 1 and 10000000")
    v.check(
        0 < r.memory_mib <= 64 * 1024 * 1024, f"{p}memory_mib", "must be between 1 and 67108864"
    )
    seconds = spec.expected_duration.total_seconds()
    v.check(
        0 < seconds <= 366 * 86400, f"{prefix}expected_duration", "must be > 0 and at most 366 days"
    )
    v.check(0 <= spec.priority <= MAX_PRIORITY, f"{prefix}priority", f"must be 0..{MAX_PRIORITY}")
    _finite(v, f"{prefix}max_rtt_ms", spec.max_rtt_ms, 0, 10_000)
    if spec.max_rtt_ms and not spec.user_region:
        v.add(f"{prefix}user_region", "is required when max_rtt_ms is set")
    if spec.user_region:
        check_id(v, f"{prefix}user_region", spec.user_region)
    if spec.data_region:
        check_id(v, f"{prefix}data_region", spec.data_region)
    for i, region in enumerate(spec.residency.allowed_regions):
        check_id(v, f"{prefix}residency.allowed_regions[{i}]", region)
    _finite(v, f"{prefix}expected_utilization", spec.expected_utilization, 0, 1)
    return v
