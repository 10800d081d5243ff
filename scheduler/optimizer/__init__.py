"""The placement optimizer, a pure leaf (stdlib, numpy, ortools): a `Problem` in, a `Plan` out.

It never mutates its input and never reads a database, the environment or the clock.
"""

from __future__ import annotations

# --- batch path: problem, scaling, batch --------------------------------------------------
from scheduler.optimizer.batch import greedy, solve
from scheduler.optimizer.problem import (
    Assignment,
    ClassPlan,
    Eviction,
    Option,
    PendingClass,
    Plan,
    Pool,
    Problem,
    Quota,
    RunningClass,
    SolveConfig,
    UnplacedReason,
)
from scheduler.optimizer.scaling import (
    COST_RESOLUTION,
    EVICTION_STEP,
    EXACT_LIMIT,
    MILLI_PER_ACCELERATOR,
    PRIORITY_BASE,
    Scale,
    make_scale,
    priority_weights,
    to_milli,
)

# --- node packing: packing (exports added by its owner) -----------------------------------

__all__ = [
    # batch path
    "COST_RESOLUTION",
    "EVICTION_STEP",
    "EXACT_LIMIT",
    "MILLI_PER_ACCELERATOR",
    "PRIORITY_BASE",
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
    "Scale",
    "SolveConfig",
    "UnplacedReason",
    "greedy",
    "make_scale",
    "priority_weights",
    "solve",
    "to_milli",
    # node packing
]
