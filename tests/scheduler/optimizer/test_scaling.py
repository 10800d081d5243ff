"""Tests for scheduler/optimizer/scaling.py: milli units, priority weights, cost steps, budget."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.optimizer import (
    COST_RESOLUTION,
    EVICTION_STEP,
    EXACT_LIMIT,
    Option,
    PendingClass,
    Pool,
    Problem,
    RunningClass,
    make_scale,
    priority_weights,
    to_milli,
)


def _problem(costs: list[float], count: int = 1, priorities: tuple[int, ...] = (0,)) -> Problem:
    pools = tuple(Pool(f"p{i}", "dc", "H100", 8000) for i in range(len(costs)))
    pending = tuple(
        PendingClass(
            f"c{j}",
            count,
            1,
            1000,
            prio,
            "t",
            tuple(Option(p.pool_id, cost) for p, cost in zip(pools, costs, strict=True)),
        )
        for j, prio in enumerate(priorities)
    )
    return Problem(pools, pending)


class TestToMilli:
    def test_whole_and_shares(self) -> None:
        """Whole accelerators and quarter shares become exact milli counts."""
        assert to_milli(8) == 8000
        assert to_milli(0.25) == 250

    def test_negative_is_rejected(self) -> None:
        """Negative or non-finite capacity is a caller bug."""
        with pytest.raises(ValueError, match="accelerators"):
            to_milli(-1.0)
        with pytest.raises(ValueError, match="accelerators"):
            to_milli(float("nan"))


class TestPriorityWeights:
    def test_weights_double_per_level(self) -> None:
        """Distinct priorities weigh 1, 2, 4, … from the lowest, whatever their raw values."""
        assert priority_weights({100, -5, 7}) == {-5: 1, 7: 2, 100: 4}

    @given(st.sets(st.integers(-1000, 1000), min_size=1, max_size=12))
    def test_one_job_beats_one_of_any_lower_priority(self, priorities: set[int]) -> None:
        """A higher priority always weighs strictly more, so a one-for-one eviction gains."""
        w = priority_weights(priorities)
        ordered = sorted(priorities)
        assert all(w[a] < w[b] for a, b in itertools.pairwise(ordered))


class TestMakeScale:
    @settings(max_examples=50)
    @given(
        st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=4),
        st.integers(1, 50),
    )
    def test_value_unit_exceeds_any_total_cost(self, costs: list[float], count: int) -> None:
        """The value unit is larger than the dearest possible total cost, so one more unit
        of value always beats any cost saving."""
        problem = _problem(costs, count)
        scale = make_scale(problem)
        dearest = sum(
            c.count * max(scale.cost_to_int(o.cost) for o in c.options) for c in problem.pending
        )
        assert scale.value_unit > dearest
        assert all(scale.cost_to_int(cost) >= 0 for cost in costs)

    @settings(max_examples=50)
    @given(st.lists(st.floats(0.001, 1e6, allow_nan=False), min_size=1, max_size=4))
    def test_cost_steps_are_fine(self, costs: list[float]) -> None:
        """Each cost is represented within half a step, a step being max cost / resolution."""
        scale = make_scale(_problem(costs))
        assert scale.cost_resolution == COST_RESOLUTION
        for cost in costs:
            assert (
                abs(scale.cost_to_int(cost) * scale.cost_quantum - cost) <= scale.cost_quantum / 2
            )
        assert scale.cost_to_int(max(costs)) == COST_RESOLUTION

    def test_zero_costs(self) -> None:
        """All-zero costs need no steps and leave the value unit at 1."""
        scale = make_scale(_problem([0.0, 0.0], 3))
        assert scale.value_unit == 1
        assert scale.cost_to_int(0.0) == 0

    def test_resolution_shrinks_to_stay_exact(self) -> None:
        """Many jobs over many levels lower the cost resolution so objectives stay below 2**53."""
        problem = _problem([1.0, 2.0], count=50_000, priorities=tuple(range(12)))
        scale = make_scale(problem)
        assert 1 <= scale.cost_resolution < COST_RESOLUTION
        max_value = sum(c.count * scale.weights[c.priority] for c in problem.pending)
        assert scale.value_unit * max_value + scale.value_unit <= EXACT_LIMIT

    def test_too_many_levels_is_rejected(self) -> None:
        """When not even one cost step fits the budget, the problem is refused with a hint."""
        with pytest.raises(ValueError, match="fewer levels"):
            make_scale(_problem([1.0], count=100_000, priorities=tuple(range(40))))

    def test_eviction_outweighs_its_cost_only_through_value(self) -> None:
        """Evicting a job costs its full value, its eviction cost and one more step."""
        pool = Pool("p", "dc", "H100", 0)
        running = RunningClass("r", "p", 2, 1, 1000, 0, "t", True, 3.0)
        pending = PendingClass("c", 1, 1, 1000, 1, "t", (Option("p", 6.0),))
        scale = make_scale(Problem((pool,), (pending,), (running,)))
        assert scale.eviction_coefficient(running) == (
            scale.value_unit * 1 + scale.cost_to_int(3.0) + EVICTION_STEP
        )
        assert scale.placement_coefficient(pending, 6.0) == scale.value_unit * 2 - COST_RESOLUTION
