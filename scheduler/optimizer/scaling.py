"""Integer scaling for the batch optimizer, in one place: CP-SAT takes integer coefficients only.

Three kinds of number reach the model and each becomes an integer here:

* **Accelerators** → milli-accelerators, `MILLI_PER_ACCELERATOR` = 1000 per accelerator, so
  a quarter GPU share is 250 and an 8-GPU replica is 8000 (`to_milli`).
* **Priorities** → per-job weights. The distinct priorities of one problem (pending and
  running) are ranked from the lowest, rank 0, and weigh `PRIORITY_BASE ** rank`: with
  base 2 one job of the next level is worth two of this one, so evicting one running job
  to place one job of higher priority always gains value, and evicting two to place one
  of the next level does not (`priority_weights`).
* **Costs** (the caller's one float per job, already weighting CNY, kg CO2 and RTT ms) →
  integer steps of `quantum = max_cost / resolution`, rounded to nearest. The caller's
  unit does not matter: the largest per-job cost of the problem is `resolution` steps, so
  each cost is exact to 1 / (2 * resolution) of the largest. `resolution` is
  `COST_RESOLUTION` = 10,000 unless the exactness budget below forces it lower. An
  eviction costs `EVICTION_STEP` = 1 step on top of its own cost, so a plan that ties on
  value never evicts (two jobs evicted for one of the next level is such a tie).

Placing dominates cost: the objective is `value_unit * V - C` where V is the integer
priority-weighted value of the plan and C >= 0 the integer cost, and
`value_unit = 1 + max C` over all plans (every job at its dearest option and every
evictable job evicted). Two plans with V1 > V2 have V1 - V2 >= 1, so their objectives
differ by at least value_unit - max C = 1 > 0 whatever their costs: one more job of any
priority always beats any cost saving.

Exactness budget: every objective value must stay below `EXACT_LIMIT` = 2**53 so that
CP-SAT's double-valued objective and bound are exact integers. With N costed jobs, N_r of
them running, and W the largest total weight (of all pending or all running jobs), the
largest cost is at most resolution * N + N_r, and value_unit * W + max cost stays below
the limit when resolution <= (2**53 - W - N_r * (W + 1)) / (N * (W + 1)); the resolution
is lowered to fit, and a
problem where even 1 step does not fit (tens of distinct priority levels over very
many jobs) is rejected: map priorities to a handful of levels first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scheduler.optimizer.problem import PendingClass, Problem, RunningClass

__all__ = [
    "COST_RESOLUTION",
    "EVICTION_STEP",
    "EXACT_LIMIT",
    "MILLI_PER_ACCELERATOR",
    "PRIORITY_BASE",
    "Scale",
    "make_scale",
    "priority_weights",
    "to_milli",
]

MILLI_PER_ACCELERATOR = 1000
"""Integer capacity units per accelerator."""
PRIORITY_BASE = 2
"""Weight ratio between consecutive priority levels."""
COST_RESOLUTION = 10_000
"""Integer steps given to the largest per-job cost of a problem (unless the budget forbids)."""
EVICTION_STEP = 1
"""Integer cost steps every eviction adds to its own cost: value ties never evict."""
EXACT_LIMIT = 2**53
"""Largest magnitude an objective value may take (doubles are exact integers below it)."""


def to_milli(accelerators: float) -> int:
    """Accelerators (possibly fractional, e.g. 0.25) as whole milli-accelerators, rounded."""
    if not math.isfinite(accelerators) or accelerators < 0:
        raise ValueError(f"accelerators must be finite and >= 0, got {accelerators}")
    return round(accelerators * MILLI_PER_ACCELERATOR)


def priority_weights(priorities: set[int] | frozenset[int]) -> dict[int, int]:
    """Weight of each distinct priority: PRIORITY_BASE ** rank, rank 0 = the lowest."""
    return {p: PRIORITY_BASE**rank for rank, p in enumerate(sorted(priorities))}


@dataclass(frozen=True, slots=True)
class Scale:
    """The integer view of one problem's objective: weights, cost steps and the value unit."""

    weights: dict[int, int]
    """Priority → per-job weight (`priority_weights` over the problem's priorities)."""
    cost_quantum: float
    """Caller cost units per integer cost step."""
    cost_resolution: int
    """Integer steps of the largest per-job cost."""
    value_unit: int
    """Objective units per unit of priority-weighted value: 1 + the largest total cost."""

    def cost_to_int(self, cost: float) -> int:
        """A caller cost (>= 0) in integer steps."""
        return round(cost / self.cost_quantum)

    def placement_coefficient(self, pending: PendingClass, cost: float) -> int:
        """Objective gain of placing one job of `pending` at an option of cost `cost`."""
        return self.value_unit * self.weights[pending.priority] - self.cost_to_int(cost)

    def eviction_coefficient(self, running: RunningClass) -> int:
        """Objective loss of evicting one job of `running`: its value plus its eviction cost."""
        return self.value_unit * self.weights[running.priority] + self.eviction_steps(running)

    def eviction_steps(self, running: RunningClass) -> int:
        """Integer cost of evicting one job of `running`: its cost plus `EVICTION_STEP`."""
        return self.cost_to_int(running.eviction_cost) + EVICTION_STEP


def make_scale(problem: Problem) -> Scale:
    """The scale of `problem`'s objective; raises ValueError if it cannot be exact below 2**53."""
    weights = priority_weights(
        {c.priority for c in problem.pending} | {r.priority for r in problem.running}
    )
    costs = [o.cost for c in problem.pending for o in c.options]
    costs += [r.eviction_cost for r in problem.running]
    max_cost = max(costs, default=0.0)
    running_jobs = sum(r.count for r in problem.running)
    costed_jobs = sum(c.count for c in problem.pending) + running_jobs
    max_weight = max(
        sum(c.count * weights[c.priority] for c in problem.pending),
        sum(r.count * weights[r.priority] for r in problem.running),
    )
    resolution = COST_RESOLUTION
    if costed_jobs > 0:
        headroom = EXACT_LIMIT - max_weight - EVICTION_STEP * running_jobs * (max_weight + 1)
        resolution = min(resolution, headroom // (costed_jobs * (max_weight + 1)))
    if resolution < 1:
        raise ValueError(
            f"objective cannot be exact below 2**53: {costed_jobs} jobs over {len(weights)} "
            "priority levels; map priorities to fewer levels"
        )
    quantum = max_cost / resolution
    if quantum == 0.0:  # all costs zero, or so tiny (subnormal) that a step underflows
        quantum = 1.0
    scale = Scale(weights=weights, cost_quantum=quantum, cost_resolution=resolution, value_unit=1)
    max_total_cost = sum(
        c.count * max((scale.cost_to_int(o.cost) for o in c.options), default=0)
        for c in problem.pending
    ) + sum(r.count * scale.eviction_steps(r) for r in problem.running)
    return Scale(
        weights=weights,
        cost_quantum=quantum,
        cost_resolution=resolution,
        value_unit=max_total_cost + 1,
    )
