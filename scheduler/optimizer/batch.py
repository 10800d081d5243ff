"""Batch placement of the whole pending queue with CP-SAT: `solve(problem, config) -> Plan`,
and the greedy plan it starts from, `greedy(problem) -> Plan` (ARCHITECTURE.md "Placement").

Pure: reads no database, environment or clock, never mutates `problem`. The model is built in
the same order every time — data, variables, constraints, objective, solve, extract — one
function per step (`_build_data`, `_add_variables`, `_add_constraints`, `_add_objective`,
`_run_solver` after `_add_hint`, `_extract_plan`).

Data
----
- c ∈ C: pending classes. n_c jobs; a job is a gang of r_c replicas of m_c milli each,
  a_c = r_c·m_c milli per job; g_c = m_c / 1000 whole accelerators per replica (none when
  the replica is a share of one accelerator); priority π_c; tenant t_c; eligible pools O_c
  with a per-job cost κ_cp ≥ 0 (the caller's weighting of CNY, kg CO2 and RTT ms).
- p ∈ P: pools (data center, accelerator model μ_p) with F_p free milli and, optionally,
  h_pk = nodes with k whole free accelerators. S_p(g) = Σ_k ⌊k/g⌋·h_pk is how many
  g-accelerator replicas fit one per node.
- ρ ∈ R: running classes in pool p_ρ: n_ρ jobs of a_ρ milli, r_ρ replicas of g_ρ whole
  accelerators (0 for shares), priority π_ρ, tenant t_ρ, eviction cost κ_ρ.
- Q_tμ: remaining milli of tenant t on model μ (no entry = unlimited).

Variables
---------
- x_cp ∈ [0, n_c] for p ∈ O_c: jobs of class c placed in pool p. Each job is a whole gang in
  ONE pool, so gangs never span data centers and are all-or-nothing.
- e_ρ ∈ [0, n_ρ]: jobs of running class ρ to evict; only for preemptible ρ that some row
  below credits, i.e. some class of strictly higher priority could use its room or quota.
  What becomes of evicted jobs (requeued, checkpointed) is the engine's business.

Constraints
-----------
- count:    Σ_p x_cp ≤ n_c.
- capacity: for each pool p and each level q among the priorities of classes eligible in p,
            Σ_{c: π_c ≤ q} a_c·x_cp  ≤  F_p + Σ_{ρ in p: π_ρ < q} a_ρ·e_ρ.
- slots:    for each pool p with a histogram, each slot size g among the whole-accelerator
            replica sizes eligible in p (and g = 1), and each level q,
            Σ_{c: π_c ≤ q} r_c·⌊g_c/g⌋·x_cp  ≤  S_p(g) + Σ_{ρ in p: π_ρ < q} r_ρ·⌊g_ρ/g⌋·e_ρ.
- quota:    for each Q_tμ,
            and each level q among the priorities of the tenant's classes on model μ,
            Σ_{c: t_c = t, π_c ≤ q} Σ_{p: μ_p = μ} a_c·x_cp
                ≤  Q_tμ + Σ_{ρ: t_ρ = t, μ_{p_ρ} = μ, π_ρ < q} a_ρ·e_ρ
            (evicting a tenant's job gives its quota back).

Why the capacity rows are exactly "evicted room only for strictly higher priority": the
room in pool p is a set of supplies — F_p, usable by every class, and a_ρ·e_ρ, usable only
by classes with π_c > π_ρ — and the demands d_c = a_c·x_cp must be split over supplies each
class may use. By the supply–demand (Gale/Hall) theorem such a split exists iff every set D
of classes demands no more than the supplies usable by some member of D. Those supplies are
F_p plus the evictions below max_{c∈D} π_c, so for a fixed maximum q the tightest D is
"every class with π_c ≤ q": the rows above, one per level, are necessary and sufficient.
A level whose evictable set equals that of the next level up is implied by it and dropped.
The slot rows apply the same argument to g-slots (a replica of g_c accelerators takes
⌊g_c/g⌋ of them), and the quota rows to the tenant's quota, which an eviction gives back
only to the tenant's work of strictly higher priority.

The slot rows are honest but not exact about nodes. Replicas h_i sharing a node with k free
accelerators satisfy Σ_i ⌊h_i/g⌋ ≤ ⌊Σ_i h_i / g⌋ ≤ ⌊k/g⌋, so every real packing satisfies
every row (they are necessary conditions); for a pool that only receives one replica size
they are also sufficient. Replicas smaller than g that break up a node's g-slot count 0
there, so with several sizes in one pool the rows stay necessary only. An evicted replica of
g_ρ accelerators opens at least ⌊g_ρ/g⌋ g-slots on its node, and only that guaranteed amount
is credited, so the optimizer never evicts hoping that scattered holes line up. Shares of
one accelerator (m_c < 1000) have no slot term: the histogram counts whole accelerators.
The final node packing happens afterwards, in the engine; a job that does not pack there
stays pending for the next round.

Objective (maximize; integers from `scaling.make_scale`)
--------------------------------------------------------
    U·(Σ w(π_c)·x_cp − Σ w(π_ρ)·e_ρ)  −  (Σ k_cp·x_cp + Σ k_ρ·e_ρ)

w(π) = 2^rank(π) (per job), k = costs in integer steps (an eviction adds one), U = 1 + the
largest possible total cost. The value term dominates (scaling's docstring has the
argument): one more job of any priority beats any cost saving, and cost only chooses among
plans of equal value. An evicted job loses its own value and costs at least one step, so
eviction happens only when the room it frees places more value: one job for one job of
higher priority always, two for one of the next level never (a tie on value, lost on cost).

Solve and extract
-----------------
`greedy` (highest priority first, larger jobs first, cheapest eligible pool first; then
evictions of the lowest-priority preemptible work when they gain value) gives a feasible
plan that is passed to CP-SAT as a hint. CP-SAT always runs with a time limit. From its
answer, evictions nothing needs are undone (so every kept eviction is necessary: undoing
any one of them breaks a row), and any room still free is topped up greedily (only matters
after a time-limited stop); the result is never worse than greedy. Each class left with
pending jobs gets the constraint that would unlock it (`UnplacedReason`).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.optimizer.problem import (
    Assignment,
    ClassPlan,
    Eviction,
    Plan,
    Problem,
    SolveConfig,
    UnplacedReason,
)
from scheduler.optimizer.scaling import MILLI_PER_ACCELERATOR, Scale, make_scale

__all__ = ["greedy", "solve"]

_DEFAULT_CONFIG = SolveConfig()


class _Kind(enum.Enum):
    """Which family a constraint row belongs to (decides the unplaced reason)."""

    COUNT = "count"
    CAPACITY = "capacity"
    SLOTS = "slots"
    QUOTA = "quota"


@dataclass(frozen=True, slots=True)
class _Row:
    """One linear row: Σ coef·x[v] over x_terms ≤ rhs + Σ coef·e[ρ] over e_terms."""

    kind: _Kind
    """Constraint family."""
    pool: int
    """Pool index for capacity and slot rows, -1 otherwise."""
    size: int
    """Slot size g (whole accelerators) for slot rows, 0 otherwise."""
    rhs: int
    """Constant right-hand side."""
    x_terms: tuple[tuple[int, int], ...]
    """(placement variable, coefficient) pairs."""
    e_terms: tuple[tuple[int, int], ...]
    """(running class, credit per evicted job) pairs."""


@dataclass(frozen=True, slots=True)
class _Data:
    """The problem in index form, shared by greedy, the CP-SAT model and extraction."""

    problem: Problem
    """The input, never modified."""
    scale: Scale
    """Integer weights and cost steps."""
    x_class: tuple[int, ...]
    """Class index of each placement variable."""
    x_pool: tuple[int, ...]
    """Pool index of each placement variable."""
    x_cost: tuple[float, ...]
    """Caller-unit cost of one job for each placement variable."""
    x_gain: tuple[int, ...]
    """Objective gain of one job for each placement variable."""
    x_upper: tuple[int, ...]
    """Upper bound of each placement variable."""
    x_rows: tuple[tuple[tuple[int, int], ...], ...]
    """(row, coefficient) pairs of each placement variable."""
    class_vars_by_cost: tuple[tuple[int, ...], ...]
    """Placement variables of each class, cheapest first."""
    greedy_order: tuple[int, ...]
    """Class indices: highest priority first, then larger jobs, then input order."""
    e_loss: tuple[int, ...]
    """Objective loss of evicting one job of each running class."""
    e_upper: tuple[int, ...]
    """Evictable jobs of each running class (0 = no eviction variable)."""
    e_rows: tuple[tuple[tuple[int, int], ...], ...]
    """(row, credit) pairs of each running class."""
    evictable: tuple[int, ...]
    """Running classes with an eviction variable, in input order."""
    pool_evictable: tuple[tuple[int, ...], ...]
    """Evictable running classes of each pool, lowest priority and cheapest loss first."""
    rows: tuple[_Row, ...]
    """All constraint rows."""


def _whole(milli_per_replica: int) -> int:
    """Whole accelerators per replica, 0 for a share of one accelerator."""
    return milli_per_replica // MILLI_PER_ACCELERATOR


def _kept_levels(pending_priorities: set[int], evictable_priorities: list[int]) -> list[int]:
    """Levels q needing a row: the top one, and each q with an evictable priority in [q, next)."""
    levels = sorted(pending_priorities)
    return [
        q
        for i, q in enumerate(levels)
        if i == len(levels) - 1 or any(q <= rho < levels[i + 1] for rho in evictable_priorities)
    ]


def _build_data(problem: Problem) -> _Data:
    """Step 1, data: index the problem, derive rows, bounds and integer coefficients."""
    scale = make_scale(problem)
    pools, pending, running = problem.pools, problem.pending, problem.running
    pool_index = {p.pool_id: i for i, p in enumerate(pools)}

    x_class: list[int] = []
    x_pool: list[int] = []
    x_cost: list[float] = []
    x_gain: list[int] = []
    class_vars: list[list[int]] = [[] for _ in pending]
    for ci, c in enumerate(pending):
        if c.count == 0:
            continue
        for option in c.options:
            class_vars[ci].append(len(x_class))
            x_class.append(ci)
            x_pool.append(pool_index[option.pool_id])
            x_cost.append(option.cost)
            x_gain.append(scale.placement_coefficient(c, option.cost))
    pool_vars: list[list[int]] = [[] for _ in pools]
    for v, pi in enumerate(x_pool):
        pool_vars[pi].append(v)

    # Every preemptible running job may be credited; those credited by no row (no class of
    # strictly higher priority could use their room or quota) get no eviction variable.
    preemptible = [ri for ri, r in enumerate(running) if r.preemptible and r.count > 0]
    rows: list[_Row] = []
    for ci, vs in enumerate(class_vars):
        if vs:
            rows.append(_Row(_Kind.COUNT, -1, 0, pending[ci].count, tuple((v, 1) for v in vs), ()))
    for pi, pool in enumerate(pools):
        vs = pool_vars[pi]
        if not vs:
            continue
        in_pool = [ri for ri in preemptible if pool_index[running[ri].pool_id] == pi]
        rows.extend(_capacity_rows(problem, pi, vs, x_class, in_pool))
        if pool.free_nodes_by_accelerators is not None:
            rows.extend(_slot_rows(problem, pi, vs, x_class, in_pool))
    rows.extend(_quota_rows(problem, pool_index, x_class, x_pool, preemptible))
    credited = {ri for row in rows for ri, _ in row.e_terms}
    evictable = tuple(ri for ri in preemptible if ri in credited)
    e_upper = [running[ri].count if ri in credited else 0 for ri in range(len(running))]
    e_loss = tuple(scale.eviction_coefficient(r) for r in running)

    x_rows_l: list[list[tuple[int, int]]] = [[] for _ in x_class]
    e_rows_l: list[list[tuple[int, int]]] = [[] for _ in running]
    for k, row in enumerate(rows):
        for v, coef in row.x_terms:
            x_rows_l[v].append((k, coef))
        for ri, coef in row.e_terms:
            e_rows_l[ri].append((k, coef))
    x_upper = tuple(
        min(
            (rows[k].rhs + sum(c * e_upper[ri] for ri, c in rows[k].e_terms)) // coef
            for k, coef in x_rows_l[v]
        )
        for v in range(len(x_class))
    )
    class_vars_by_cost = tuple(tuple(sorted(vs, key=lambda v: (x_cost[v], v))) for vs in class_vars)
    greedy_order = tuple(
        sorted(
            range(len(pending)),
            key=lambda ci: (-pending[ci].priority, -pending[ci].milli_per_job, ci),
        )
    )
    pool_evictable = tuple(
        tuple(
            sorted(
                (ri for ri in evictable if pool_index[running[ri].pool_id] == pi),
                key=lambda ri: (running[ri].priority, e_loss[ri], ri),
            )
        )
        for pi in range(len(pools))
    )
    return _Data(
        problem=problem,
        scale=scale,
        x_class=tuple(x_class),
        x_pool=tuple(x_pool),
        x_cost=tuple(x_cost),
        x_gain=tuple(x_gain),
        x_upper=x_upper,
        x_rows=tuple(tuple(r) for r in x_rows_l),
        class_vars_by_cost=class_vars_by_cost,
        greedy_order=greedy_order,
        e_loss=e_loss,
        e_upper=tuple(e_upper),
        e_rows=tuple(tuple(r) for r in e_rows_l),
        evictable=evictable,
        pool_evictable=pool_evictable,
        rows=tuple(rows),
    )


def _capacity_rows(
    problem: Problem, pi: int, vs: list[int], x_class: list[int], in_pool: list[int]
) -> list[_Row]:
    """Priority-level capacity rows of one pool (see the module docstring)."""
    pending, running = problem.pending, problem.running
    priorities = {pending[x_class[v]].priority for v in vs}
    rows = []
    for q in _kept_levels(priorities, [running[ri].priority for ri in in_pool]):
        x_terms = tuple(
            (v, pending[x_class[v]].milli_per_job) for v in vs if pending[x_class[v]].priority <= q
        )
        e_terms = tuple(
            (ri, running[ri].milli_per_job) for ri in in_pool if running[ri].priority < q
        )
        rows.append(_Row(_Kind.CAPACITY, pi, 0, problem.pools[pi].free_milli, x_terms, e_terms))
    return rows


def _slot_rows(
    problem: Problem, pi: int, vs: list[int], x_class: list[int], in_pool: list[int]
) -> list[_Row]:
    """Priority-level replica-slot rows of one pool, one family per slot size g."""
    pending, running, pool = problem.pending, problem.running, problem.pools[pi]
    whole = [v for v in vs if _whole(pending[x_class[v]].milli_per_replica) > 0]
    sizes = {_whole(pending[x_class[v]].milli_per_replica) for v in whole}
    rows = []
    for g in sorted(sizes | {1} if sizes else set()):
        users = [
            (v, pending[x_class[v]].replicas * (_whole(pending[x_class[v]].milli_per_replica) // g))
            for v in whole
        ]
        users = [(v, coef) for v, coef in users if coef > 0]
        credits = [
            (ri, running[ri].replicas * (_whole(running[ri].milli_per_replica) // g))
            for ri in in_pool
        ]
        credits = [(ri, credit) for ri, credit in credits if credit > 0]
        slots = pool.replica_slots(g)
        assert slots is not None  # only called for pools with a histogram
        priorities = {pending[x_class[v]].priority for v, _ in users}
        for q in _kept_levels(priorities, [running[ri].priority for ri, _ in credits]):
            x_terms = tuple((v, coef) for v, coef in users if pending[x_class[v]].priority <= q)
            e_terms = tuple((ri, credit) for ri, credit in credits if running[ri].priority < q)
            rows.append(_Row(_Kind.SLOTS, pi, g, slots, x_terms, e_terms))
    return rows


def _quota_rows(
    problem: Problem,
    pool_index: dict[str, int],
    x_class: list[int],
    x_pool: list[int],
    preemptible: list[int],
) -> list[_Row]:
    """Priority-level rows of each (tenant, model) quota that some placement variable touches."""
    pending, running, pools = problem.pending, problem.running, problem.pools
    x_by_key: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for v, (ci, pi) in enumerate(zip(x_class, x_pool, strict=True)):
        x_by_key[pending[ci].tenant, pools[pi].accelerator_model].append(v)
    e_by_key: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for ri in preemptible:
        r = running[ri]
        e_by_key[r.tenant, pools[pool_index[r.pool_id]].accelerator_model].append(ri)
    rows = []
    for quota in problem.quotas:
        key = (quota.tenant, quota.accelerator_model)
        vs, ris = x_by_key.get(key, []), e_by_key.get(key, [])
        priorities = {pending[x_class[v]].priority for v in vs}
        for q in _kept_levels(priorities, [running[ri].priority for ri in ris]):
            x_terms = tuple(
                (v, pending[x_class[v]].milli_per_job)
                for v in vs
                if pending[x_class[v]].priority <= q
            )
            e_terms = tuple(
                (ri, running[ri].milli_per_job) for ri in ris if running[ri].priority < q
            )
            rows.append(_Row(_Kind.QUOTA, -1, 0, quota.remaining_milli, x_terms, e_terms))
    return rows


# --- the working state shared by greedy, trimming, top-up and reasons ---------------------


def _slack(data: _Data, x: list[int], e: list[int]) -> list[int]:
    """rhs + credits - usage of every row; a choice is feasible iff all are >= 0."""
    return [
        row.rhs
        + sum(coef * e[ri] for ri, coef in row.e_terms)
        - sum(coef * x[v] for v, coef in row.x_terms)
        for row in data.rows
    ]


def _fit(data: _Data, slack: list[int], v: int) -> int:
    """How many more jobs variable v can take without new evictions."""
    return min(slack[k] // coef for k, coef in data.x_rows[v])


def _place(data: _Data, slack: list[int], x: list[int], v: int, jobs: int) -> None:
    """Add jobs to variable v and charge its rows."""
    x[v] += jobs
    for k, coef in data.x_rows[v]:
        slack[k] -= coef * jobs


def _evict(data: _Data, slack: list[int], e: list[int], ri: int, jobs: int) -> None:
    """Evict (or, with negative jobs, keep) jobs of running class ri and credit its rows."""
    e[ri] += jobs
    for k, coef in data.e_rows[ri]:
        slack[k] += coef * jobs


def _try_eviction(
    data: _Data, slack: list[int], x: list[int], e: list[int], v: int, ri: int
) -> None:
    """Evict the fewest jobs of ri that lets v place as many jobs as it can, if that gains."""
    available = data.e_upper[ri] - e[ri]
    if available <= 0:
        return
    credit = dict(data.e_rows[ri])
    jobs = min((slack[k] + credit.get(k, 0) * available) // coef for k, coef in data.x_rows[v])
    if jobs <= 0:
        return
    needed = max(
        [-((slack[k] - coef * jobs) // credit[k]) for k, coef in data.x_rows[v] if k in credit],
        default=0,
    )
    needed = max(needed, 0)
    if jobs * data.x_gain[v] - needed * data.e_loss[ri] <= 0:
        return
    _evict(data, slack, e, ri, needed)
    _place(data, slack, x, v, jobs)


def _fill(data: _Data, x: list[int], e: list[int], *, allow_evictions: bool) -> None:
    """Greedy placement into x and e (local lists): priority order, cheapest pool first."""
    slack = _slack(data, x, e)
    pending = data.problem.pending
    running = data.problem.running
    for ci in data.greedy_order:
        options = data.class_vars_by_cost[ci]
        for v in options:
            jobs = _fit(data, slack, v)
            if jobs > 0:
                _place(data, slack, x, v, jobs)
        if not allow_evictions:
            continue
        for v in options:
            for ri in data.pool_evictable[data.x_pool[v]]:
                if running[ri].priority >= pending[ci].priority:
                    break
                _try_eviction(data, slack, x, e, v, ri)


def _trim_evictions(data: _Data, x: list[int], e: list[int]) -> None:
    """Undo evictions no row needs, dearest first, so every kept eviction is necessary."""
    slack = _slack(data, x, e)
    for ri in sorted(
        (ri for ri in data.evictable if e[ri] > 0), key=lambda ri: (-data.e_loss[ri], ri)
    ):
        spare = min(slack[k] // coef for k, coef in data.e_rows[ri])
        drop = min(e[ri], spare)
        if drop > 0:
            _evict(data, slack, e, ri, -drop)


def _greedy_choice(data: _Data) -> tuple[list[int], list[int]]:
    """The greedy plan as (x, e) lists: fill with evictions, then drop needless ones."""
    x = [0] * len(data.x_class)
    e = [0] * len(data.problem.running)
    _fill(data, x, e, allow_evictions=True)
    _trim_evictions(data, x, e)
    return x, e


def _objective(data: _Data, x: list[int], e: list[int]) -> int:
    """The scaled integer objective of a choice, exactly as the CP-SAT model scores it."""
    return sum(g * n for g, n in zip(data.x_gain, x, strict=True)) - sum(
        loss * n for loss, n in zip(data.e_loss, e, strict=True)
    )


def _reasons(data: _Data, x: list[int], e: list[int]) -> dict[int, UnplacedReason]:
    """The constraint that would unlock each class with pending jobs left."""
    problem = data.problem
    slack = _slack(data, x, e)
    placed = [0] * len(problem.pending)
    for v, n in enumerate(x):
        placed[data.x_class[v]] += n
    pool_index = {p.pool_id: i for i, p in enumerate(problem.pools)}
    # Room that evicting every remaining preemptible job (any priority) would free, per pool.
    spare_milli = [0] * len(problem.pools)
    spare_running: list[list[tuple[int, int, int]]] = [[] for _ in problem.pools]
    for ri, r in enumerate(problem.running):
        if r.preemptible:
            left = r.count - e[ri]
            pi = pool_index[r.pool_id]
            spare_milli[pi] += left * r.milli_per_job
            spare_running[pi].append((left, r.replicas, _whole(r.milli_per_replica)))

    def spare(row: _Row) -> int:
        if row.kind is _Kind.CAPACITY:
            return spare_milli[row.pool]
        return sum(left * reps * (g // row.size) for left, reps, g in spare_running[row.pool])

    # Rows of a family are built lowest level first, so the last one is the top level: the
    # row a class would face if its priority were the highest in the pool.
    top_row = {(row.kind, row.pool, row.size): k for k, row in enumerate(data.rows)}

    reasons: dict[int, UnplacedReason] = {}
    for ci, c in enumerate(problem.pending):
        if placed[ci] >= c.count:
            continue
        options = data.class_vars_by_cost[ci]
        if not options:
            reasons[ci] = UnplacedReason.NO_ELIGIBLE_POOL
            continue
        reason = UnplacedReason.NO_CAPACITY
        for v in options:
            blocking = [
                (k, coef)
                for k, coef in data.x_rows[v]
                if slack[k] < coef and data.rows[k].kind is not _Kind.COUNT
            ]
            quota = any(data.rows[k].kind is _Kind.QUOTA for k, _ in blocking)
            room = [(k, coef) for k, coef in blocking if data.rows[k].kind is not _Kind.QUOTA]
            if quota and not room:
                reason = UnplacedReason.QUOTA
                break
            if (room and not quota) and all(
                slack[top_row[row.kind, row.pool, row.size]] + spare(row) >= coef
                for row, coef in ((data.rows[k], coef) for k, coef in room)
            ):
                reason = UnplacedReason.PRIORITY_TOO_LOW
        reasons[ci] = reason
    return reasons


def _plan(
    data: _Data,
    x: list[int],
    e: list[int],
    *,
    status: str,
    best_bound: float | None,
    wall_seconds: float,
    model_variables: int = 0,
    model_constraints: int = 0,
) -> Plan:
    """Turn a feasible choice into the public Plan."""
    problem = data.problem
    reasons = _reasons(data, x, e)
    classes = []
    for ci, c in enumerate(problem.pending):
        by_option = {v: x[v] for v in data.class_vars_by_cost[ci] if x[v] > 0}
        assignments = tuple(
            Assignment(problem.pools[data.x_pool[v]].pool_id, n)
            for v, n in sorted(by_option.items())
        )
        placed = sum(by_option.values())
        classes.append(ClassPlan(c.class_id, assignments, c.count - placed, reasons.get(ci)))
    evictions = tuple(
        Eviction(r.class_id, e[ri]) for ri, r in enumerate(problem.running) if e[ri] > 0
    )
    weights = data.scale.weights
    value = sum(weights[problem.pending[data.x_class[v]].priority] * n for v, n in enumerate(x))
    value -= sum(weights[r.priority] * e[ri] for ri, r in enumerate(problem.running))
    cost = sum(data.x_cost[v] * n for v, n in enumerate(x))
    cost += sum(r.eviction_cost * e[ri] for ri, r in enumerate(problem.running))
    objective = _objective(data, x, e)
    gap = None if best_bound is None else abs(best_bound - objective) / max(1.0, abs(objective))
    return Plan(
        classes=tuple(classes),
        evictions=evictions,
        objective=objective,
        best_bound=best_bound,
        gap=gap,
        status=status,
        wall_seconds=wall_seconds,
        placed_jobs=sum(x),
        placed_value=value,
        cost=cost,
        model_variables=model_variables,
        model_constraints=model_constraints,
    )


def greedy(problem: Problem) -> Plan:
    """A feasible plan without a solver: highest priority first, cheapest eligible pool first,
    then evictions of lower-priority preemptible work where they gain value."""
    data = _build_data(problem)
    x, e = _greedy_choice(data)
    return _plan(data, x, e, status="GREEDY", best_bound=None, wall_seconds=0.0)


# --- the CP-SAT model, one step per function ----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Variables:
    """CP-SAT variables of the model."""

    x: tuple[cp_model.IntVar, ...]
    """Jobs per placement variable index."""
    e: dict[int, cp_model.IntVar]
    """Evicted jobs per evictable running class index."""


def _add_variables(model: cp_model.CpModel, data: _Data) -> _Variables:
    """Step 2, variables: x per (class, eligible pool), e per evictable running class."""
    x = tuple(model.new_int_var(0, ub, f"x{v}") for v, ub in enumerate(data.x_upper))
    e = {ri: model.new_int_var(0, data.e_upper[ri], f"e{ri}") for ri in data.evictable}
    return _Variables(x, e)


def _add_constraints(model: cp_model.CpModel, data: _Data, variables: _Variables) -> int:
    """Step 3, constraints: every count, capacity, slot and quota row; returns how many."""
    for row in data.rows:
        terms = [variables.x[v] for v, _ in row.x_terms] + [
            variables.e[ri] for ri, _ in row.e_terms
        ]
        coefs = [coef for _, coef in row.x_terms] + [-coef for _, coef in row.e_terms]
        model.add(cp_model.LinearExpr.weighted_sum(terms, coefs) <= row.rhs)
    return len(data.rows)


def _add_objective(model: cp_model.CpModel, data: _Data, variables: _Variables) -> None:
    """Step 4, objective: value first (scaled by U), cost second, as integers."""
    terms = list(variables.x) + [variables.e[ri] for ri in data.evictable]
    coefs = list(data.x_gain) + [-data.e_loss[ri] for ri in data.evictable]
    model.maximize(cp_model.LinearExpr.weighted_sum(terms, coefs))


def _add_hint(
    model: cp_model.CpModel, data: _Data, variables: _Variables, x: list[int], e: list[int]
) -> None:
    """Warm start from the greedy plan."""
    for var, n in zip(variables.x, x, strict=True):
        model.add_hint(var, n)
    for ri in data.evictable:
        model.add_hint(variables.e[ri], e[ri])


def _run_solver(
    model: cp_model.CpModel, config: SolveConfig
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """Step 5, solve: always under a time limit."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = config.time_limit_seconds
    if config.deterministic_time_limit is not None:
        solver.parameters.max_deterministic_time = config.deterministic_time_limit
    solver.parameters.num_workers = config.num_workers
    solver.parameters.random_seed = config.random_seed
    return solver, solver.solve(model)


def _extract_plan(
    data: _Data,
    variables: _Variables,
    solver: cp_model.CpSolver,
    status: cp_model.CpSolverStatus,
    hint: tuple[list[int], list[int]],
    model_constraints: int,
) -> Plan:
    """Step 6, extract: read the answer, drop needless evictions, top up, never below greedy."""
    status_name = solver.status_name(status)
    if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        # x = 0, e = 0 satisfies every row, so this is a bug in the model, not in the input.
        raise RuntimeError(f"batch model unexpectedly {status_name}")
    x, e = list(hint[0]), list(hint[1])
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sx = [int(solver.value(var)) for var in variables.x]
        se = [0] * len(e)
        for ri, var in variables.e.items():
            se[ri] = int(solver.value(var))
        _trim_evictions(data, sx, se)
        _fill(data, sx, se, allow_evictions=False)
        if _objective(data, sx, se) >= _objective(data, x, e):
            x, e = sx, se
    return _plan(
        data,
        x,
        e,
        status=status_name,
        best_bound=float(solver.best_objective_bound),
        wall_seconds=float(solver.wall_time),
        model_variables=len(variables.x) + len(variables.e),
        model_constraints=model_constraints,
    )


def solve(problem: Problem, config: SolveConfig = _DEFAULT_CONFIG) -> Plan:
    """The best plan CP-SAT finds within `config`'s limits, never worse than `greedy`."""
    data = _build_data(problem)
    hint = _greedy_choice(data)
    model = cp_model.CpModel()
    variables = _add_variables(model, data)
    constraints = _add_constraints(model, data, variables)
    _add_objective(model, data, variables)
    _add_hint(model, data, variables, *hint)
    solver, status = _run_solver(model, config)
    return _extract_plan(data, variables, solver, status, hint, constraints)
