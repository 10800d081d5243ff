"""Plain value types of the batch placement problem (`Problem`, `SolveConfig`) and its `Plan`.

Everything here is a frozen dataclass that checks its own invariants on construction, so a
`Problem` that exists is one the optimizer can solve: bad input raises `ValueError` here,
before any model is built. Units: accelerator capacity is in whole milli-accelerators
(1 accelerator = 1000 milli, see `scaling.MILLI_PER_ACCELERATOR`); costs are floats in
whatever unit the caller's policy weighted energy CNY, carbon kg and RTT ms into.

A replica asks either for a share of ONE accelerator (1..999 milli, GPU sharing) or for
whole accelerators on ONE node (a multiple of 1000 milli), as in ARCHITECTURE.md
"Capacity model". A job is a gang of `replicas` identical replicas, placed all-or-nothing
in one pool.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Assignment",
    "ClassPlan",
    "Eviction",
    "Option",
    "PendingClass",
    "Plan",
    "Pool",
    "Problem",
    "Quota",
    "RunningClass",
    "SolveConfig",
    "UnplacedReason",
]

_MILLI = 1000  # repeated from scaling.MILLI_PER_ACCELERATOR: scaling imports this module


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _check_replica_shape(owner: str, replicas: int, milli_per_replica: int) -> None:
    _require(replicas >= 1, f"{owner}: replicas must be >= 1, got {replicas}")
    _require(
        0 < milli_per_replica < _MILLI
        or (milli_per_replica > 0 and milli_per_replica % _MILLI == 0),
        f"{owner}: milli_per_replica must be a share of one accelerator (1..999) or whole "
        f"accelerators (a multiple of 1000), got {milli_per_replica}",
    )


def _unique(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        _require(i not in seen, f"duplicate {what} {i!r}")
        seen.add(i)


@dataclass(frozen=True, slots=True)
class Pool:
    """Free capacity of one (data center, accelerator model) pool of identical nodes."""

    pool_id: str
    """Unique id of the pool in this problem."""
    data_center: str
    """Data center the pool lives in (a gang never spans pools, so never data centers)."""
    accelerator_model: str
    """Accelerator model of every node in the pool; tenant quotas are per model."""
    free_milli: int
    """Free accelerator capacity in milli-accelerators, summed over the pool's nodes."""
    free_nodes_by_accelerators: tuple[int, ...] | None = None
    """Node-shape histogram: element k = number of nodes with exactly k whole free
    accelerators (k = 0, 1, …); None = unknown, then only `free_milli` limits the pool."""

    def __post_init__(self) -> None:
        _require(bool(self.pool_id), "pool_id must not be empty")
        _require(self.free_milli >= 0, f"pool {self.pool_id}: free_milli must be >= 0")
        if self.free_nodes_by_accelerators is not None:
            _require(
                all(n >= 0 for n in self.free_nodes_by_accelerators),
                f"pool {self.pool_id}: node counts must be >= 0",
            )

    def replica_slots(self, whole_accelerators: int) -> int | None:
        """Replicas of `whole_accelerators` accelerators that fit on the free nodes, each
        replica on one node: sum_k floor(k / g) * count_k (None when the shape is unknown)."""
        if self.free_nodes_by_accelerators is None:
            return None
        g = whole_accelerators
        return sum((k // g) * n for k, n in enumerate(self.free_nodes_by_accelerators))


@dataclass(frozen=True, slots=True)
class Option:
    """One eligible pool for a pending class, with the cost of placing one job there."""

    pool_id: str
    """The eligible pool (the caller has already applied latency SLO, residency, model set)."""
    cost: float
    """Cost of one job of the class in this pool: energy CNY, carbon kg and RTT ms already
    weighted into one non-negative float by the caller's policy."""

    def __post_init__(self) -> None:
        _require(
            math.isfinite(self.cost) and self.cost >= 0.0,
            f"option {self.pool_id}: cost must be finite and >= 0, got {self.cost}",
        )


@dataclass(frozen=True, slots=True)
class PendingClass:
    """`count` identical pending jobs: same shape, priority, tenant and eligible options."""

    class_id: str
    """Unique id of the class in this problem."""
    count: int
    """Number of identical jobs waiting in the class."""
    replicas: int
    """Replicas per job: a gang, all in ONE pool, all-or-nothing."""
    milli_per_replica: int
    """Accelerator milli per replica: 1..999 (share of one accelerator) or k*1000."""
    priority: int
    """Higher = more important; decides who may use capacity freed by evictions."""
    tenant: str
    """Tenant charged for the accelerators (quotas are per tenant and accelerator model)."""
    options: tuple[Option, ...]
    """Eligible pools with their per-job cost; empty = the class cannot be placed."""
    preemptible: bool = False
    """Whether the jobs may be evicted once running (part of the class identity only)."""

    def __post_init__(self) -> None:
        _require(bool(self.class_id), "class_id must not be empty")
        _require(self.count >= 0, f"class {self.class_id}: count must be >= 0")
        _check_replica_shape(f"class {self.class_id}", self.replicas, self.milli_per_replica)
        _unique((o.pool_id for o in self.options), f"option pool in class {self.class_id}:")

    @property
    def milli_per_job(self) -> int:
        """Accelerator milli one whole job (all its replicas) takes."""
        return self.replicas * self.milli_per_replica


@dataclass(frozen=True, slots=True)
class RunningClass:
    """`count` identical running jobs in one pool that the optimizer may evict."""

    class_id: str
    """Unique id among running classes in this problem."""
    pool_id: str
    """Pool the jobs run in."""
    count: int
    """Number of identical running jobs."""
    replicas: int
    """Replicas per job; each replica sits on one node."""
    milli_per_replica: int
    """Accelerator milli per replica: 1..999 or k*1000."""
    priority: int
    """Only pending classes of strictly higher priority may use the capacity it frees."""
    tenant: str
    """Owner; evicting its jobs gives its quota on the pool's model back."""
    preemptible: bool = False
    """Only preemptible work is ever evicted."""
    eviction_cost: float = 0.0
    """Extra cost of evicting one job (lost work, restart), in the same unit as `Option.cost`."""

    def __post_init__(self) -> None:
        _require(bool(self.class_id), "class_id must not be empty")
        _require(self.count >= 0, f"running class {self.class_id}: count must be >= 0")
        _check_replica_shape(
            f"running class {self.class_id}", self.replicas, self.milli_per_replica
        )
        _require(
            math.isfinite(self.eviction_cost) and self.eviction_cost >= 0.0,
            f"running class {self.class_id}: eviction_cost must be finite and >= 0",
        )

    @property
    def milli_per_job(self) -> int:
        """Accelerator milli one job frees when evicted."""
        return self.replicas * self.milli_per_replica


@dataclass(frozen=True, slots=True)
class Quota:
    """Accelerator milli a tenant may still take on one accelerator model."""

    tenant: str
    """The tenant."""
    accelerator_model: str
    """The accelerator model the quota counts."""
    remaining_milli: int
    """Milli still allowed (>= 0); a (tenant, model) without a Quota is unlimited."""

    def __post_init__(self) -> None:
        _require(
            self.remaining_milli >= 0,
            f"quota {self.tenant}/{self.accelerator_model}: remaining_milli must be >= 0",
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """One batch: the free pools, the pending queue as classes, evictable running work, quotas."""

    pools: tuple[Pool, ...]
    """Every pool an option or a running class refers to."""
    pending: tuple[PendingClass, ...]
    """The pending queue, aggregated into classes of identical jobs."""
    running: tuple[RunningClass, ...] = ()
    """Running work the optimizer may evict (only the preemptible ones ever are)."""
    quotas: tuple[Quota, ...] = ()
    """Remaining per-(tenant, accelerator model) quotas."""

    def __post_init__(self) -> None:
        _unique((p.pool_id for p in self.pools), "pool_id")
        _unique((c.class_id for c in self.pending), "pending class_id")
        _unique((r.class_id for r in self.running), "running class_id")
        _unique((f"{q.tenant}/{q.accelerator_model}" for q in self.quotas), "quota")
        pool_ids = {p.pool_id for p in self.pools}
        for c in self.pending:
            for o in c.options:
                _require(o.pool_id in pool_ids, f"class {c.class_id}: unknown pool {o.pool_id!r}")
        for r in self.running:
            _require(
                r.pool_id in pool_ids, f"running class {r.class_id}: unknown pool {r.pool_id!r}"
            )


@dataclass(frozen=True, slots=True)
class SolveConfig:
    """How long and how the CP-SAT search runs."""

    time_limit_seconds: float = 5.0
    """Wall-clock limit of the search; always set."""
    num_workers: int = 2
    """CP-SAT search workers; 1 with a fixed seed gives a reproducible search."""
    random_seed: int = 0
    """CP-SAT random seed."""
    deterministic_time_limit: float | None = None
    """Optional limit in CP-SAT's deterministic work units: unlike wall time it stops the
    search at the same point on every run, so 1 worker + seed + this = the same plan."""

    def __post_init__(self) -> None:
        _require(self.time_limit_seconds > 0.0, "time_limit_seconds must be > 0")
        _require(self.num_workers >= 1, "num_workers must be >= 1")
        if self.deterministic_time_limit is not None:
            _require(self.deterministic_time_limit > 0.0, "deterministic_time_limit must be > 0")


class UnplacedReason(enum.Enum):
    """Why jobs of a class stay pending after the batch (the constraint that would unlock them)."""

    NO_ELIGIBLE_POOL = "no_eligible_pool"
    """The class has no eligible pool at all."""
    QUOTA = "quota"
    """Some eligible pool has room, but the tenant's quota on its model does not."""
    PRIORITY_TOO_LOW = "priority_too_low"
    """Room would exist if preemptible running work were evicted, but the class's priority
    does not allow it (running work of equal or higher priority) or does not justify it
    (evicting enough lower-priority jobs loses more value than placing this job gains)."""
    NO_CAPACITY = "no_capacity"
    """No eligible pool has the room (aggregate or node shape), even evicting everything allowed."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """Jobs of one class sent to one pool."""

    pool_id: str
    """The pool."""
    count: int
    """How many jobs of the class go there (> 0)."""


@dataclass(frozen=True, slots=True)
class ClassPlan:
    """What the batch decided for one pending class."""

    class_id: str
    """The pending class."""
    assignments: tuple[Assignment, ...]
    """Pools and job counts, in the order of the class's options; only counts > 0."""
    unplaced: int
    """Jobs of the class that stay pending."""
    reason: UnplacedReason | None
    """Why they stay pending; None when `unplaced` is 0."""

    @property
    def placed(self) -> int:
        """Jobs of the class placed by this plan."""
        return sum(a.count for a in self.assignments)


@dataclass(frozen=True, slots=True)
class Eviction:
    """Jobs of one running class to evict so higher-priority work can use their room."""

    class_id: str
    """The running class."""
    count: int
    """How many of its jobs to evict (> 0)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """The batch's answer: placements per class, evictions, and how good the answer is."""

    classes: tuple[ClassPlan, ...]
    """One entry per pending class, in problem order."""
    evictions: tuple[Eviction, ...]
    """Running classes with at least one job to evict, in problem order."""
    objective: int
    """Scaled integer objective of this plan (see batch module docstring and scaling)."""
    best_bound: float | None
    """Proven upper bound on the objective (CP-SAT); None for the greedy plan."""
    gap: float | None
    """Relative gap |bound - objective| / max(1, |objective|); None for the greedy plan."""
    status: str
    """CP-SAT status name (OPTIMAL, FEASIBLE, UNKNOWN, ...) or GREEDY."""
    wall_seconds: float
    """CP-SAT's own wall time; 0.0 for greedy (the optimizer reads no clock)."""
    placed_jobs: int
    """Jobs placed, over all classes."""
    placed_value: int
    """Priority-weighted value: sum weight(class) * placed - sum weight(running) * evicted."""
    cost: float
    """Caller-unit cost of the plan: sum of option costs of placed jobs plus eviction costs."""
    model_variables: int = 0
    """Integer variables in the CP-SAT model (0 for greedy)."""
    model_constraints: int = 0
    """Constraints in the CP-SAT model (0 for greedy)."""

    @property
    def evicted_jobs(self) -> int:
        """Running jobs evicted, over all running classes."""
        return sum(e.count for e in self.evictions)
