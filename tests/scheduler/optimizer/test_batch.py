"""Tests for scheduler/optimizer/batch.py: feasibility, optimality against brute force, greedy.

The feasibility checker here is written independently of the model: instead of the
per-priority-level rows of the batch docstring it simulates handing out capacity, lowest
priority first, from the sources each class may use (free room for everyone, an evicted
job's room only for strictly higher priority). Because those sources are nested, the
simulation is exact, so agreement with the model is a real check of the level rows.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.optimizer import (
    Option,
    PendingClass,
    Plan,
    Pool,
    Problem,
    Quota,
    RunningClass,
    SolveConfig,
    UnplacedReason,
    greedy,
    make_scale,
    solve,
)

CONFIG = SolveConfig(time_limit_seconds=5.0, num_workers=1, random_seed=7)

X = Mapping[tuple[str, str], int]
E = Mapping[str, int]


# --- an independent checker and brute force ------------------------------------------------


def _fits(demands: list[tuple[int, int]], base: int, credits: list[tuple[int, int]]) -> bool:
    """Can (priority, amount) demands be served from `base` (anyone) and credits (priority,
    amount) usable only by strictly higher priority? Lowest priority first is exact here."""
    left = [[rho, amount] for rho, amount in credits]
    for priority, amount in sorted(demands):
        take = min(base, amount)
        base -= take
        amount -= take
        for source in left:
            if source[0] < priority and amount > 0:
                take = min(source[1], amount)
                source[1] -= take
                amount -= take
        if amount > 0:
            return False
    return True


def _whole(milli: int) -> int:
    return milli // 1000


def violations(problem: Problem, x: X, e: E) -> list[str]:
    """Every rule of the batch model that placement x and evictions e break."""
    found: list[str] = []
    for c in problem.pending:
        options = {o.pool_id for o in c.options}
        placed = sum(n for (cid, _), n in x.items() if cid == c.class_id)
        if placed > c.count:
            found.append(f"class {c.class_id} over count")
        found += [
            f"class {c.class_id} in ineligible {pid}"
            for (cid, pid), n in x.items()
            if cid == c.class_id and n > 0 and pid not in options
        ]
    for r in problem.running:
        n = e.get(r.class_id, 0)
        if n > r.count or (n > 0 and not r.preemptible):
            found.append(f"bad eviction of {r.class_id}")
    by_id = {c.class_id: c for c in problem.pending}
    for pool in problem.pools:
        here = [(by_id[cid], n) for (cid, pid), n in x.items() if pid == pool.pool_id and n > 0]
        gone = [(r, e.get(r.class_id, 0)) for r in problem.running if r.pool_id == pool.pool_id]
        if not _fits(
            [(c.priority, c.milli_per_job * n) for c, n in here],
            pool.free_milli,
            [(r.priority, r.milli_per_job * n) for r, n in gone],
        ):
            found.append(f"pool {pool.pool_id} over capacity")
        if pool.free_nodes_by_accelerators is None:
            continue
        eligible = [
            c
            for c in problem.pending
            if c.count > 0 and any(o.pool_id == pool.pool_id for o in c.options)
        ]
        sizes = {_whole(c.milli_per_replica) for c in eligible} - {0}
        for g in sizes | ({1} if sizes else set()):
            slots = pool.replica_slots(g)
            assert slots is not None
            demands = [
                (c.priority, c.replicas * (_whole(c.milli_per_replica) // g) * n) for c, n in here
            ]
            credits = [
                (r.priority, r.replicas * (_whole(r.milli_per_replica) // g) * n) for r, n in gone
            ]
            if not _fits(demands, slots, credits):
                found.append(f"pool {pool.pool_id} over {g}-slots")
    for q in problem.quotas:
        on_model = {p.pool_id for p in problem.pools if p.accelerator_model == q.accelerator_model}
        demands = [
            (by_id[cid].priority, by_id[cid].milli_per_job * n)
            for (cid, pid), n in x.items()
            if pid in on_model and by_id[cid].tenant == q.tenant
        ]
        credits = [
            (r.priority, r.milli_per_job * e.get(r.class_id, 0))
            for r in problem.running
            if r.pool_id in on_model and r.tenant == q.tenant
        ]
        if not _fits(demands, q.remaining_milli, credits):
            found.append(f"quota {q.tenant}/{q.accelerator_model} exceeded")
    return found


def objective_of(problem: Problem, x: X, e: E) -> int:
    """The scaled objective of a choice, from the public scaling API."""
    scale = make_scale(problem)
    total = 0
    for c in problem.pending:
        for o in c.options:
            total += x.get((c.class_id, o.pool_id), 0) * scale.placement_coefficient(c, o.cost)
    for r in problem.running:
        total -= e.get(r.class_id, 0) * scale.eviction_coefficient(r)
    return total


def value_of(problem: Problem, x: X, e: E) -> int:
    """Priority-weighted value: what the objective puts first."""
    weights = make_scale(problem).weights
    by_id = {c.class_id: c for c in problem.pending}
    value = sum(weights[by_id[cid].priority] * n for (cid, _), n in x.items())
    return value - sum(weights[r.priority] * e.get(r.class_id, 0) for r in problem.running)


def choice_of(plan: Plan) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    x = {(cp.class_id, a.pool_id): a.count for cp in plan.classes for a in cp.assignments}
    return x, {ev.class_id: ev.count for ev in plan.evictions}


def _splits(count: int, pools: list[str]) -> Iterator[dict[str, int]]:
    for counts in itertools.product(range(count + 1), repeat=len(pools)):
        if sum(counts) <= count:
            yield dict(zip(pools, counts, strict=True))


def brute_force(problem: Problem) -> tuple[int, int]:
    """(best objective, best value) over every feasible assignment and eviction."""
    per_class = [
        [
            {(c.class_id, pid): n for pid, n in split.items()}
            for split in _splits(c.count, [o.pool_id for o in c.options])
        ]
        for c in problem.pending
    ]
    per_running = [
        [{r.class_id: n} for n in range(r.count + 1 if r.preemptible else 1)]
        for r in problem.running
    ]
    best = (-(2**63), -(2**63))
    for xs in itertools.product(*per_class):
        x = {k: v for part in xs for k, v in part.items()}
        for es in itertools.product(*per_running):
            e = {k: v for part in es for k, v in part.items()}
            if not violations(problem, x, e):
                best = max(best, (objective_of(problem, x, e), value_of(problem, x, e)))
    return best


def assert_sound(problem: Problem, plan: Plan) -> None:
    """The plan is feasible, self-consistent, and every eviction is needed."""
    x, e = choice_of(plan)
    assert violations(problem, x, e) == []
    assert plan.objective == objective_of(problem, x, e)
    assert plan.placed_value == value_of(problem, x, e)
    assert plan.placed_jobs == sum(x.values())
    assert [cp.class_id for cp in plan.classes] == [c.class_id for c in problem.pending]
    for c, cp in zip(problem.pending, plan.classes, strict=True):
        assert cp.placed + cp.unplaced == c.count
        assert (cp.reason is None) == (cp.unplaced == 0)
        assert all(a.count > 0 for a in cp.assignments)
    for rid, n in e.items():
        assert n > 0
        fewer = {**e, rid: n - 1}
        assert violations(problem, x, fewer), f"eviction of {rid} was not needed"


# --- random small problems ---------------------------------------------------------------


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n_pools = draw(st.integers(2, 3))
    pools = []
    for i in range(n_pools):
        model = draw(st.sampled_from(["H100", "A100"]))
        if draw(st.booleans()):
            nodes = draw(st.lists(st.integers(0, 4), min_size=1, max_size=2))
            hist = tuple(sum(1 for k in nodes if k == size) for size in range(5))
            free = 1000 * sum(nodes) + draw(st.sampled_from([0, 500]))
            pools.append(Pool(f"p{i}", f"dc{i}", model, free, hist))
        else:
            pools.append(Pool(f"p{i}", f"dc{i}", model, 500 * draw(st.integers(0, 8))))
    pool_ids = [p.pool_id for p in pools]
    pending = []
    for i in range(draw(st.integers(2, 3))):
        chosen = draw(
            st.lists(st.sampled_from(pool_ids), unique=True, min_size=1, max_size=n_pools)
        )
        options = tuple(Option(pid, draw(st.integers(0, 20)) / 2) for pid in chosen)
        pending.append(
            PendingClass(
                class_id=f"c{i}",
                count=draw(st.integers(1, 2)),
                replicas=draw(st.integers(1, 2)),
                milli_per_replica=draw(st.sampled_from([500, 1000, 2000])),
                priority=draw(st.integers(0, 2)),
                tenant=draw(st.sampled_from(["t0", "t1"])),
                options=options,
            )
        )
    running = [
        RunningClass(
            class_id=f"r{i}",
            pool_id=draw(st.sampled_from(pool_ids)),
            count=draw(st.integers(1, 2)),
            replicas=1,
            milli_per_replica=draw(st.sampled_from([1000, 2000])),
            priority=draw(st.integers(0, 2)),
            tenant=draw(st.sampled_from(["t0", "t1", "t2"])),
            preemptible=draw(st.sampled_from([True, True, False])),
            eviction_cost=draw(st.integers(0, 4)) / 2,
        )
        for i in range(draw(st.sampled_from([0, 1, 2, 2])))
    ]
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(["t0", "t1"]), st.sampled_from(["H100", "A100"])),
            unique=True,
            max_size=2,
        )
    )
    quotas = [Quota(t, m, 1000 * draw(st.integers(0, 4))) for t, m in keys]
    return Problem(tuple(pools), tuple(pending), tuple(running), tuple(quotas))


class TestAgainstBruteForce:
    @settings(max_examples=40, deadline=None)
    @given(problems())
    def test_solve_reaches_the_brute_force_optimum(self, problem: Problem) -> None:
        """On small instances CP-SAT proves optimality and its objective and value equal the
        best over every assignment and eviction."""
        plan = solve(problem, CONFIG)
        best_objective, best_value = brute_force(problem)
        assert plan.status == "OPTIMAL"
        assert plan.objective == best_objective
        assert plan.placed_value == best_value
        assert plan.best_bound == pytest.approx(best_objective, abs=0.5)

    @settings(max_examples=40, deadline=None)
    @given(problems())
    def test_plans_are_feasible_and_greedy_never_wins(self, problem: Problem) -> None:
        """Both plans break no rule, keep only needed evictions, and greedy <= CP-SAT."""
        before = copy.deepcopy(problem)
        plan = solve(problem, CONFIG)
        baseline = greedy(problem)
        assert problem == before
        assert_sound(problem, plan)
        assert_sound(problem, baseline)
        assert baseline.objective <= plan.objective
        assert baseline.status == "GREEDY"
        assert baseline.best_bound is None


# --- hand-built cases --------------------------------------------------------------------


def _pool(pid: str, whole: int, nodes: tuple[int, ...] | None = None, model: str = "H100") -> Pool:
    return Pool(pid, f"dc-{pid}", model, 1000 * whole, nodes)


def _job(
    cid: str,
    count: int,
    gpus: int,
    priority: int,
    options: dict[str, float],
    *,
    replicas: int = 1,
    tenant: str = "t",
) -> PendingClass:
    return PendingClass(
        class_id=cid,
        count=count,
        replicas=replicas,
        milli_per_replica=1000 * gpus,
        priority=priority,
        tenant=tenant,
        options=tuple(Option(pid, cost) for pid, cost in options.items()),
    )


def _running(
    rid: str, pool: str, count: int, gpus: int, priority: int, *, preemptible: bool = True
) -> RunningClass:
    return RunningClass(rid, pool, count, 1, 1000 * gpus, priority, "old", preemptible, 1.0)


def _plan_of(plan: Plan, cid: str) -> tuple[int, UnplacedReason | None]:
    cp = next(cp for cp in plan.classes if cp.class_id == cid)
    return cp.placed, cp.reason


class TestPlacement:
    def test_cheapest_pool_first_and_placing_beats_cost(self) -> None:
        """Jobs fill the cheap pool, and the rest still go to the dear one rather than wait."""
        problem = Problem(
            (_pool("cheap", 2), _pool("dear", 8)),
            (_job("a", 5, 1, 0, {"cheap": 1.0, "dear": 1000.0}),),
        )
        plan = solve(problem, CONFIG)
        assert plan.placed_jobs == 5
        assert plan.cost == pytest.approx(2 * 1.0 + 3 * 1000.0)
        assert_sound(problem, plan)

    def test_a_gang_never_spans_pools(self) -> None:
        """A 4x2-GPU gang does not fit in two pools of 4 free GPUs each, so it waits."""
        problem = Problem(
            (_pool("a", 4), _pool("b", 4)),
            (_job("gang", 1, 2, 0, {"a": 1.0, "b": 1.0}, replicas=4),),
        )
        plan = solve(problem, CONFIG)
        assert plan.placed_jobs == 0
        assert _plan_of(plan, "gang") == (0, UnplacedReason.NO_CAPACITY)

    def test_node_shape_limits_replicas(self) -> None:
        """Eight nodes with one free GPU each hold no 2-GPU replica, though 8 GPUs are free."""
        problem = Problem(
            (_pool("p", 8, (0, 8)),),
            (_job("pair", 2, 2, 0, {"p": 1.0}), _job("single", 3, 1, 0, {"p": 1.0})),
        )
        plan = solve(problem, CONFIG)
        assert _plan_of(plan, "pair") == (0, UnplacedReason.NO_CAPACITY)
        assert _plan_of(plan, "single") == (3, None)

    def test_mixed_sizes_share_node_slots(self) -> None:
        """One node with 4 free GPUs takes a 2-GPU replica or a 4-GPU one, not both."""
        problem = Problem(
            (_pool("p", 4, (0, 0, 0, 0, 1)),),
            (_job("big", 1, 4, 1, {"p": 1.0}), _job("small", 1, 2, 0, {"p": 1.0})),
        )
        plan = solve(problem, CONFIG)
        assert plan.placed_jobs == 1
        assert _plan_of(plan, "big")[0] == 1

    def test_quota_binds(self) -> None:
        """A tenant with 2 GPUs of H100 quota places two 1-GPU jobs and no more."""
        problem = Problem(
            (_pool("p", 8),),
            (_job("a", 4, 1, 0, {"p": 1.0}),),
            quotas=(Quota("t", "H100", 2000),),
        )
        plan = solve(problem, CONFIG)
        assert _plan_of(plan, "a") == (2, UnplacedReason.QUOTA)

    def test_quota_is_per_model(self) -> None:
        """An exhausted H100 quota does not stop the tenant on A100."""
        problem = Problem(
            (_pool("h", 8), _pool("a", 8, model="A100")),
            (_job("j", 3, 1, 0, {"h": 1.0, "a": 5.0}),),
            quotas=(Quota("t", "H100", 0),),
        )
        plan = solve(problem, CONFIG)
        assert plan.placed_jobs == 3
        assert all(a.pool_id == "a" for a in plan.classes[0].assignments)

    def test_no_eligible_pool(self) -> None:
        """A class with no options waits with the reason saying so."""
        problem = Problem((_pool("p", 8),), (_job("lonely", 2, 1, 5, {}),))
        plan = solve(problem, CONFIG)
        assert _plan_of(plan, "lonely") == (0, UnplacedReason.NO_ELIGIBLE_POOL)

    def test_empty_problem(self) -> None:
        """No pools and no jobs is a valid, empty plan."""
        plan = solve(Problem((), ()), CONFIG)
        assert plan.classes == ()
        assert plan.objective == 0


class TestPreemption:
    def test_higher_priority_evicts_lower(self) -> None:
        """A full pool gives an 8-GPU job of priority 5 the room of one evicted priority-1 job."""
        problem = Problem(
            (_pool("p", 0, (1,)),),
            (_job("urgent", 1, 8, 5, {"p": 1.0}),),
            (_running("low", "p", 1, 8, 1),),
        )
        plan = solve(problem, CONFIG)
        assert _plan_of(plan, "urgent") == (1, None)
        assert [(ev.class_id, ev.count) for ev in plan.evictions] == [("low", 1)]
        assert_sound(problem, plan)

    def test_equal_priority_is_not_evicted(self) -> None:
        """Running work of the same priority stays; the job waits, its priority too low."""
        problem = Problem(
            (_pool("p", 0, (1,)),),
            (_job("peer", 1, 8, 1, {"p": 1.0}),),
            (_running("low", "p", 1, 8, 1),),
        )
        plan = solve(problem, CONFIG)
        assert plan.evictions == ()
        assert _plan_of(plan, "peer") == (0, UnplacedReason.PRIORITY_TOO_LOW)

    def test_non_preemptible_work_is_never_evicted(self) -> None:
        """Non-preemptible running work stays whatever the priority of the waiting job."""
        problem = Problem(
            (_pool("p", 0),),
            (_job("urgent", 1, 8, 9, {"p": 1.0}),),
            (_running("fixed", "p", 1, 8, 0, preemptible=False),),
        )
        plan = solve(problem, CONFIG)
        assert plan.evictions == ()
        assert _plan_of(plan, "urgent") == (0, UnplacedReason.NO_CAPACITY)

    def test_evicted_room_is_only_for_strictly_higher_priority(self) -> None:
        """After evicting a priority-1 job for a priority-5 job, its spare half is not given
        to a priority-0 job, which waits for lack of priority."""
        problem = Problem(
            (_pool("p", 0),),
            (_job("high", 1, 4, 5, {"p": 1.0}), _job("low", 1, 4, 0, {"p": 1.0})),
            (_running("mid", "p", 1, 8, 1),),
        )
        plan = solve(problem, CONFIG)
        assert _plan_of(plan, "high") == (1, None)
        assert _plan_of(plan, "low") == (0, UnplacedReason.PRIORITY_TOO_LOW)
        assert plan.evicted_jobs == 1
        assert_sound(problem, plan)

    def test_no_eviction_without_a_gain(self) -> None:
        """Evicting two priority-0 jobs for one of the next level is not worth it."""
        problem = Problem(
            (_pool("p", 0),),
            (_job("next", 1, 8, 1, {"p": 1.0}),),
            (_running("pair", "p", 2, 4, 0),),
        )
        plan = solve(problem, CONFIG)
        assert plan.evictions == ()
        assert _plan_of(plan, "next") == (0, UnplacedReason.PRIORITY_TOO_LOW)

    def test_a_value_tie_never_evicts_even_at_zero_cost(self) -> None:
        """With every cost zero, the two-for-one swap ties on value and still does not happen."""
        pair = RunningClass("pair", "p", 2, 1, 4000, 0, "old", True, 0.0)
        problem = Problem((_pool("p", 0),), (_job("next", 1, 8, 1, {"p": 0.0}),), (pair,))
        plan = solve(problem, CONFIG)
        assert plan.evictions == ()
        assert greedy(problem).evictions == ()

    def test_free_room_is_used_before_evicting(self) -> None:
        """With a free pool available, nothing is evicted even if the free pool costs more."""
        problem = Problem(
            (_pool("full", 0), _pool("free", 8)),
            (_job("j", 1, 8, 5, {"full": 1.0, "free": 50.0}),),
            (_running("low", "full", 1, 8, 0),),
        )
        plan = solve(problem, CONFIG)
        assert plan.evictions == ()
        assert plan.placed_jobs == 1

    def test_eviction_returns_quota_to_its_tenant(self) -> None:
        """A tenant at its quota may evict its own lower-priority job to run a higher one."""
        own = RunningClass("mine", "p", 1, 1, 4000, 0, "t", True, 0.0)
        problem = Problem(
            (_pool("p", 4),),
            (_job("important", 1, 4, 3, {"p": 1.0}),),
            (own,),
            (Quota("t", "H100", 0),),
        )
        plan = solve(problem, CONFIG)
        assert _plan_of(plan, "important") == (1, None)
        assert plan.evicted_jobs == 1
        assert_sound(problem, plan)


class TestSolve:
    def test_input_is_not_mutated(self) -> None:
        """solve and greedy leave the problem equal to a deep copy taken before."""
        problem = Problem(
            (_pool("p", 4, (0, 0, 0, 0, 1)),),
            (_job("a", 2, 2, 1, {"p": 1.0}),),
            (_running("r", "p", 1, 4, 0),),
            (Quota("t", "H100", 4000),),
        )
        before = copy.deepcopy(problem)
        solve(problem, CONFIG)
        greedy(problem)
        assert problem == before

    def test_deterministic_with_one_worker_and_a_seed(self) -> None:
        """The same problem, seed and one worker give the same plan twice."""
        problem = Problem(
            (_pool("a", 6), _pool("b", 6)),
            tuple(_job(f"j{i}", 3, 1 + i % 2, i % 3, {"a": 1.0 + i, "b": 2.0}) for i in range(5)),
        )
        first, second = solve(problem, CONFIG), solve(problem, CONFIG)
        assert first.classes == second.classes
        assert first.objective == second.objective

    def test_reports_model_size_bound_and_gap(self) -> None:
        """An optimal solve reports its variables, constraints, bound and a zero gap."""
        problem = Problem((_pool("p", 4),), (_job("a", 6, 1, 0, {"p": 1.0}),))
        plan = solve(problem, CONFIG)
        assert plan.status == "OPTIMAL"
        assert plan.model_variables == 1
        assert plan.model_constraints >= 2
        assert plan.gap == pytest.approx(0.0)
        assert 0.0 <= plan.wall_seconds < CONFIG.time_limit_seconds


class TestValidation:
    def test_unknown_pool_is_rejected(self) -> None:
        """An option naming a pool the problem lacks is a ValueError at construction."""
        with pytest.raises(ValueError, match="unknown pool"):
            Problem((_pool("p", 1),), (_job("a", 1, 1, 0, {"q": 1.0}),))

    def test_odd_milli_is_rejected(self) -> None:
        """A replica of 1.5 accelerators is neither a share of one nor whole ones."""
        with pytest.raises(ValueError, match="milli_per_replica"):
            PendingClass("a", 1, 1, 1500, 0, "t", ())

    def test_negative_cost_is_rejected(self) -> None:
        """Costs must be non-negative for the value-over-cost argument to hold."""
        with pytest.raises(ValueError, match="cost"):
            Option("p", -1.0)

    def test_duplicate_ids_are_rejected(self) -> None:
        """Two classes with one id would make the plan ambiguous."""
        with pytest.raises(ValueError, match="duplicate"):
            Problem((_pool("p", 1),), (_job("a", 1, 1, 0, {}), _job("a", 1, 1, 0, {})))
