"""Tests for scheduler.optimizer.packing: feasibility and every policy on tiny hand-made inputs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from scheduler.optimizer.packing import (
    DEFAULT_POLICY,
    PAD,
    POLICIES,
    Choice,
    NodeArrays,
    TaskMix,
    TaskShape,
    allowed_mask,
    bestfit,
    compile_mix,
    computenet,
    dotprod,
    feasible,
    fgd,
    fragmentation,
    get_policy,
    gpupacking,
    random_fit,
)

MODELS = {"A": 0, "B": 1}


def node_arrays(
    rows: Sequence[tuple[Sequence[int], int]],
    *,
    models: Sequence[int] | None = None,
    mem: int = 1 << 20,
    cap_cpu: int | None = None,
) -> NodeArrays:
    """Arrays for nodes given as (free milli per slot, free CPU); model A unless told."""
    width = max(1, max(len(s) for s, _ in rows))
    free = np.full((len(rows), width), PAD, dtype=np.int32)
    for i, (slots, _) in enumerate(rows):
        free[i, : len(slots)] = slots
    cpu = np.array([c for _, c in rows], dtype=np.int64)
    model = np.array(
        models if models is not None else [0 if s else -1 for s, _ in rows], dtype=np.int16
    )
    return NodeArrays(
        free_milli=free,
        free_cpu=cpu,
        free_mem=np.full(len(rows), mem, dtype=np.int64),
        model=model,
        cap_cpu=np.full(len(rows), cap_cpu if cap_cpu is not None else int(cpu.max()), np.int64),
        cap_mem=np.full(len(rows), mem, dtype=np.int64),
        n_slots=np.array([len(s) for s, _ in rows], dtype=np.int8),
    )


def frozen_copy(nodes: NodeArrays) -> list[np.ndarray]:
    return [np.copy(getattr(nodes, f)) for f in NodeArrays.__dataclass_fields__]


class TestTaskShape:
    def test_rejects_inconsistent_requests(self) -> None:
        """Shapes the trace cannot express are refused at construction."""
        with pytest.raises(ValueError, match="CPU-only"):
            TaskShape(1000, 0, 0, 500)
        with pytest.raises(ValueError, match="whole"):
            TaskShape(1000, 0, 2, 500)
        with pytest.raises(ValueError, match=r"1\.\.1000"):
            TaskShape(1000, 0, 1, 1500)
        with pytest.raises(ValueError, match="models"):
            TaskShape(1000, 0, 0, 0, frozenset({"A"}))

    def test_share_and_total(self) -> None:
        """A share is one accelerator below 1000 milli; totals multiply out."""
        assert TaskShape(0, 0, 1, 470).shares_accel
        assert not TaskShape(0, 0, 1, 1000).shares_accel
        assert TaskShape(0, 0, 4, 1000).total_milli == 4000


class TestTaskMix:
    def test_keeps_most_popular_until_coverage(self) -> None:
        """Shapes are kept in popularity order until they cover the threshold, then renormalised."""
        a, b, c = TaskShape(1000, 5, 1, 1000), TaskShape(2000, 0, 1, 500), TaskShape(0, 0)
        mix = TaskMix.from_shapes([a] * 6 + [b] * 3 + [c], coverage=0.9)
        assert mix.shapes == (TaskShape(1000, 0, 1, 1000), b)  # memory left out
        assert mix.weights == pytest.approx((6 / 9, 3 / 9))

    def test_weights_must_sum_to_one(self) -> None:
        """A hand-made mix must be a probability distribution."""
        with pytest.raises(ValueError, match="sum to 1"):
            TaskMix((TaskShape(0, 0),), (0.5,))


class TestFeasible:
    def test_share_must_fit_in_one_slot(self) -> None:
        """800 milli do not fit on two slots of 600 free each, though 1200 are free."""
        nodes = node_arrays([([600, 600], 8000), ([800, 0], 8000)])
        assert feasible(TaskShape(0, 0, 1, 800), nodes).tolist() == [False, True]

    def test_whole_accelerators_must_be_entirely_free(self) -> None:
        """Two whole accelerators need two slots with nothing allocated."""
        nodes = node_arrays([([1000, 990], 8000), ([1000, 1000, 0], 8000)])
        assert feasible(TaskShape(0, 0, 2, 1000), nodes).tolist() == [False, True]

    def test_cpu_memory_and_model_are_honoured(self) -> None:
        """CPU and memory must fit, and an accelerator task needs an allowed model."""
        nodes = node_arrays(
            [([1000], 4000), ([1000], 1000), ([1000], 4000), ([], 4000)], models=[0, 0, 1, -1]
        )
        only_a = allowed_mask(frozenset({"A"}), MODELS)
        assert feasible(TaskShape(2000, 0, 1, 500), nodes).tolist() == [True, False, True, False]
        assert feasible(TaskShape(2000, 0, 1, 500), nodes, only_a).tolist() == [
            True,
            False,
            False,
            False,
        ]
        assert feasible(TaskShape(2000, 0), nodes).tolist() == [True, False, True, True]
        assert not feasible(TaskShape(0, 2 << 20), nodes).any()


class TestBaselines:
    def test_bestfit_takes_the_node_left_with_least(self) -> None:
        """0.5*cpu_left/32000 + 0.5*gpu_left/2000: node 0 leaves 0.6875, node 1 0.0625."""
        nodes = node_arrays([([1000, 1000], 32000), ([1000, 0], 8000)])
        assert bestfit(TaskShape(4000, 0, 1, 1000), nodes) == Choice(1, (0,))

    def test_bestfit_puts_a_share_on_the_fullest_fitting_slot(self) -> None:
        """Among slots with 300, 900 and 1000 free, a 250 share goes to the 300 one."""
        nodes = node_arrays([([900, 300, 1000], 8000)])
        assert bestfit(TaskShape(0, 0, 1, 250), nodes) == Choice(0, (1,))

    def test_dotprod_minimises_alignment(self) -> None:
        """Dot products 0.25+0.5 and 0.125+0.25 score 62 and 81: node 1 wins."""
        nodes = node_arrays([([1000, 1000], 32000), ([1000, 0], 16000)], cap_cpu=32000)
        assert dotprod(TaskShape(8000, 0, 1, 1000), nodes) == Choice(1, (0,))

    def test_gpupacking_prefers_shared_then_used_then_idle(self) -> None:
        """A share goes to a partly used slot (95) over a used node (49) and an idle one (31);
        a whole accelerator goes to the used node (49) over the idle one (31)."""
        nodes = node_arrays([([1000, 1000], 8000), ([500, 1000], 8000), ([200, 1000], 8000)])
        assert gpupacking(TaskShape(0, 0, 1, 300), nodes) == Choice(1, (0,))
        assert gpupacking(TaskShape(0, 0, 1, 1000), nodes) == Choice(1, (1,))

    def test_random_picks_only_feasible_nodes(self) -> None:
        """With a generator every pick fits; without one it is first fit."""
        nodes = node_arrays([([100], 8000), ([1000], 8000), ([700, 900], 8000)])
        shape = TaskShape(0, 0, 1, 600)
        rng = np.random.default_rng(7)
        picks = {random_fit(shape, nodes, rng=rng) for _ in range(50)}
        assert {c.node for c in picks if c} == {1, 2}
        assert all(c is not None and nodes.free_milli[c.node, c.slots[0]] >= 600 for c in picks)
        assert random_fit(shape, nodes) == Choice(1, (0,))

    def test_nothing_fits_gives_none(self) -> None:
        """Every policy answers None when no node can take the task."""
        nodes = node_arrays([([500], 8000)])
        mix = compile_mix(TaskMix((TaskShape(0, 0, 1, 1000),), (1.0,)), MODELS)
        for policy in POLICIES.values():
            assert policy(TaskShape(0, 0, 1, 1000), nodes, mix=mix) is None


# A mix for hand computation: a 500 share (p=0.5), one whole GPU (0.25), CPU-only (0.25).
HAND_MIX = TaskMix(
    (TaskShape(1000, 0, 1, 500), TaskShape(1000, 0, 1, 1000), TaskShape(1000, 0)),
    (0.5, 0.25, 0.25),
)


class TestFragmentation:
    def test_matches_hand_computation(self) -> None:
        """[1000,300]: 0.5*300 + 0.25*300 + 0.25*1300 = 550; [400,400]: nothing but CPU-only
        can run so all 800 count; [1000,1000] without CPU: all 2000 count."""
        nodes = node_arrays([([1000, 300], 4000), ([400, 400], 4000), ([1000, 1000], 500)])
        frag = fragmentation(nodes, compile_mix(HAND_MIX, MODELS))
        assert frag.tolist() == pytest.approx([550.0, 800.0, 2000.0])


class TestFgd:
    def test_takes_the_least_fragmenting_slot(self) -> None:
        """A 500 share: node 0 (empty) and node 1's 1000 slot leave F unchanged (score 50);
        node 1's 600 slot lowers F from 550 to 350 (score 54), so FGD takes it."""
        nodes = node_arrays([([1000, 1000], 8000), ([1000, 600], 8000)])
        mix = compile_mix(HAND_MIX, MODELS)
        assert fgd(TaskShape(1000, 0, 1, 500), nodes, mix=mix) == Choice(1, (1,))

    def test_without_a_mix_is_best_fit(self) -> None:
        """With no workload mix there is no gradient; FGD and computenet fall back to best fit."""
        nodes = node_arrays([([1000, 1000], 32000), ([1000, 0], 8000)])
        shape = TaskShape(4000, 0, 1, 1000)
        assert fgd(shape, nodes) == computenet(shape, nodes) == bestfit(shape, nodes)


class TestComputenet:
    # Shares of 650 (p=0.4), 320 (0.4) and 230 (0.2), no CPU: only the gaps matter.
    GAP_MIX = TaskMix(
        (TaskShape(0, 0, 1, 650), TaskShape(0, 0, 1, 320), TaskShape(0, 0, 1, 230)),
        (0.4, 0.4, 0.2),
    )

    def test_gap_waste_is_what_common_sizes_cannot_fill(self) -> None:
        """Sizes 650, 320, 230: 350 fills to 30 left, 470 (two 230s) to 10, 120 not at all."""
        waste = compile_mix(self.GAP_MIX, MODELS).gap_waste
        assert waste[[120, 240, 350, 470, 970, 1000]].tolist() == [120, 10, 30, 10, 0, 0]

    def test_pairs_shares_where_fgd_does_not(self) -> None:
        """A 230 share: FGD puts it in the 350 gap (delta -20 beats +4) and strands 120;
        computenet adds 10 * (waste(120) - waste(350)) = +900 there, so it uses the 470 gap,
        whose 240 left still fits a 230."""
        nodes = node_arrays([([350], 0), ([470], 0)], cap_cpu=1)
        mix = compile_mix(self.GAP_MIX, MODELS)
        shape = TaskShape(0, 0, 1, 230)
        assert fgd(shape, nodes, mix=mix) == Choice(0, (0,))
        assert computenet(shape, nodes, mix=mix) == Choice(1, (0,))

    def test_keeps_cpu_only_tasks_off_cpu_scarce_accelerator_nodes(self) -> None:
        """One whole GPU needs 1000 CPU (rho = 1).  A CPU-only task on the GPU node (2 GPUs,
        2500 CPU) leaves 1500 CPU for 2000 GPU milli: +500 stranded GPU, -500 surplus CPU,
        +250 in all; on the CPU node it removes 1000 surplus CPU, -500.  FGD sees no change
        on either (the GPU shape still fits) and takes the first node."""
        nodes = node_arrays([([1000, 1000], 2500), ([], 3000)], cap_cpu=3000)
        mix = compile_mix(
            TaskMix((TaskShape(1000, 0, 1, 1000), TaskShape(1000, 0)), (0.5, 0.5)), MODELS
        )
        shape = TaskShape(1000, 0)
        assert fgd(shape, nodes, mix=mix) == Choice(0, ())
        assert computenet(shape, nodes, mix=mix) == Choice(1, ())

    def test_honours_memory(self) -> None:
        """computenet never picks a node whose memory the task does not fit."""
        nodes = node_arrays([([1000], 8000), ([1000], 8000)])
        small = NodeArrays(
            nodes.free_milli,
            nodes.free_cpu,
            np.array([10, 1 << 20], dtype=np.int64),
            nodes.model,
            nodes.cap_cpu,
            nodes.cap_mem,
            nodes.n_slots,
        )
        mix = compile_mix(HAND_MIX, MODELS)
        assert computenet(TaskShape(1000, 100, 1, 500), small, mix=mix) == Choice(1, (0,))


class TestRegistry:
    def test_every_policy_is_pure(self) -> None:
        """No policy writes to the arrays it reads."""
        nodes = node_arrays([([1000, 300], 8000), ([600, 1000, 1000], 16000), ([], 8000)])
        before = frozen_copy(nodes)
        mix = compile_mix(HAND_MIX, MODELS)
        for shape in (TaskShape(1000, 0, 1, 250), TaskShape(1000, 0, 2, 1000), TaskShape(10, 0)):
            for policy in POLICIES.values():
                policy(shape, nodes, mix=mix, rng=np.random.default_rng(0))
        for a, b in zip(before, frozen_copy(nodes), strict=True):
            assert np.array_equal(a, b)

    def test_lookup(self) -> None:
        """The registry names all six policies, computenet is the default, and a typo names them."""
        assert set(POLICIES) == {"random", "bestfit", "gpupacking", "dotprod", "fgd", "computenet"}
        assert get_policy(DEFAULT_POLICY) is computenet
        with pytest.raises(KeyError, match="known: random"):
            get_policy("best-fit")
