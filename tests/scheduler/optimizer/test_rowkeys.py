"""Tests for scheduler.optimizer.rowkeys: per-row verdicts give computenet's own choice.

Mix weights here are exact binary fractions, so the plain-Python and numpy kernels must
agree bit for bit (the module docstring says why other weights may differ by an ulp).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.ledger import Allocation, Ledger
from scheduler.optimizer.packing import (
    PAD,
    Choice,
    NodeArrays,
    TaskMix,
    TaskShape,
    allowed_mask,
    compile_mix,
    computenet,
)
from scheduler.optimizer.rowkeys import NO_SLOT, RowMix, row_key, row_keys

MODELS = {"A": 0, "B": 1}

# Free shares drawn from values the mix's sizes leave behind, so rows tie and collide.
slot_values = st.sampled_from([PAD, 0, 100, 150, 250, 400, 500, 600, 750, 900, 1000])
row_strategy = st.tuples(
    st.lists(slot_values, min_size=1, max_size=8),
    st.integers(0, 24).map(lambda c: c * 1000),
    st.sampled_from([-1, 0, 1]),
    st.sampled_from([0, 4096, 1 << 20]),
)
shape_strategy = st.one_of(
    st.builds(
        TaskShape,
        st.sampled_from([0, 1000, 4000, 8000]),
        st.sampled_from([0, 2048]),
        st.just(1),
        st.sampled_from([100, 250, 500, 750]),
        st.sampled_from([frozenset(), frozenset({"A"}), frozenset({"B"})]),
    ),
    st.builds(
        TaskShape,
        st.sampled_from([0, 4000, 16000]),
        st.just(0),
        st.integers(1, 4),
        st.just(1000),
        st.sampled_from([frozenset(), frozenset({"A"})]),
    ),
    st.builds(TaskShape, st.sampled_from([1000, 8000]), st.just(0)),
)
# Dyadic weights: 1/2, 1/4, 1/8, 1/8 over four of these shapes (first ones most popular).
mix_shapes = st.lists(shape_strategy, min_size=4, max_size=4, unique=True)
DYADIC = (0.5, 0.25, 0.125, 0.125)


def arrays(rows: list[tuple[list[int], int, int, int]]) -> NodeArrays:
    width = max(len(s) for s, _, _, _ in rows)
    free = np.full((len(rows), width), PAD, dtype=np.int32)
    n_slots = []
    for i, (slots, _, model, _) in enumerate(rows):
        present = [v for v in slots if v != PAD] if model >= 0 else []
        free[i, : len(present)] = present
        n_slots.append(len(present))
    cpu = np.array([c for _, c, _, _ in rows], dtype=np.int64)
    mem = np.array([m for _, _, _, m in rows], dtype=np.int64)
    model = np.array(
        [m if n else -1 for (_, _, m, _), n in zip(rows, n_slots, strict=True)], dtype=np.int16
    )
    return NodeArrays(
        free_milli=free,
        free_cpu=cpu,
        free_mem=mem,
        model=model,
        cap_cpu=np.full(len(rows), 24000, dtype=np.int64),
        cap_mem=np.full(len(rows), 1 << 20, dtype=np.int64),
        n_slots=np.array(n_slots, dtype=np.int8),
    )


def choice_from(key: np.ndarray, slot: np.ndarray, shape: TaskShape, nodes: NodeArrays) -> Choice:
    row = int(key.argmin())
    if shape.shares_accel:
        return Choice(row, (int(slot[row]),))
    free = nodes.free_milli[row]
    return Choice(row, tuple(int(i) for i in np.flatnonzero(free == 1000)[: shape.num_accel]))


class TestRowKeys:
    @settings(max_examples=300, deadline=None)
    @given(
        rows=st.lists(row_strategy, min_size=1, max_size=12),
        shape=shape_strategy,
        shapes=mix_shapes,
    )
    def test_per_row_verdicts_give_the_policys_choice(
        self,
        rows: list[tuple[list[int], int, int, int]],
        shape: TaskShape,
        shapes: list[TaskShape],
    ) -> None:
        """The least row key (lowest row on ties) with its slot is computenet's choice, and
        the plain-Python verdict of every row equals the numpy one exactly."""
        nodes = arrays(rows)
        mixa = compile_mix(TaskMix(tuple(shapes), DYADIC), MODELS)
        if mixa.empty:
            return  # computenet is best fit then: not a per-row policy
        allowed = allowed_mask(shape.models, MODELS)
        key, slot = row_keys(shape, nodes, np.arange(len(rows)), allowed, mixa)
        rm = RowMix.of(mixa)
        for r in range(len(rows)):
            assert row_key(shape, nodes, r, allowed, rm) == (float(key[r]), int(slot[r]))
        expected = computenet(shape, nodes, allowed=allowed, mix=mixa)
        if expected is None:
            assert np.isinf(key).all()
        else:
            assert choice_from(key, slot, shape, nodes) == expected
        if not shape.shares_accel:
            assert (slot == NO_SLOT).all()

    def test_a_subset_of_rows_is_scored_as_in_the_whole(self) -> None:
        """Scoring rows 1 and 3 alone gives what scoring every row gives for them."""
        nodes = arrays(
            [
                ([1000, 1000], 8000, 0, 1 << 20),
                ([250, 1000], 8000, 0, 1 << 20),
                ([0, 0], 8000, 0, 1 << 20),
                ([750, 500], 1000, 0, 1 << 20),
            ]
        )
        shape = TaskShape(1000, 0, 1, 250)
        mixa = compile_mix(TaskMix((shape, TaskShape(1000, 0, 1, 1000)), (0.5, 0.5)), MODELS)
        whole = row_keys(shape, nodes, np.arange(4), None, mixa)
        part = row_keys(shape, nodes, np.array([1, 3]), None, mixa)
        assert part[0].tolist() == whole[0][[1, 3]].tolist()
        assert part[1].tolist() == whole[1][[1, 3]].tolist()
        assert np.isinf(whole[0][2])  # nothing free there


@st.composite
def ledger_ops(draw: st.DrawFn) -> list[tuple[str, TaskShape | int]]:
    ops: list[tuple[str, TaskShape | int]] = []
    for _ in range(draw(st.integers(1, 40))):
        if draw(st.integers(0, 3)) == 0:
            ops.append(("release", draw(st.integers(0, 100))))
        else:
            ops.append(("place", draw(shape_strategy)))
    return ops


class TestKeptVerdicts:
    @settings(max_examples=80, deadline=None)
    @given(
        nodes=st.lists(
            st.tuples(st.sampled_from(["A", "B", ""]), st.integers(1, 8), st.integers(4, 32)),
            min_size=1,
            max_size=10,
        ),
        shapes=mix_shapes,
        ops=ledger_ops(),
    )
    def test_ledger_places_where_the_policy_would(
        self,
        nodes: list[tuple[str, int, int]],
        shapes: list[TaskShape],
        ops: list[tuple[str, TaskShape | int]],
    ) -> None:
        """Through any stream of placements and releases, the ledger's kept verdicts (only
        changed rows rescored) choose exactly the node and slots computenet picks afresh."""
        ledger = Ledger()
        for i, (model, acc, cores) in enumerate(nodes):
            ledger.add_node(
                f"n{i}",
                "dc",
                model=model,
                accelerators=acc if model else 0,
                cpu_milli=cores * 1000,
                memory_mib=1 << 16,
            )
        mix = TaskMix(tuple(shapes), DYADIC)
        live: list[tuple[Allocation, ...]] = []
        for op, arg in ops:
            if op == "release":
                assert isinstance(arg, int)
                if live:
                    ledger.release(live.pop(arg % len(live)))
                continue
            assert isinstance(arg, TaskShape)
            ids = {m: i for i, m in enumerate(ledger.models)}
            mixa = compile_mix(mix, ids)
            expected = computenet(
                arg,
                ledger.node_arrays("dc"),
                allowed=allowed_mask(arg.models, ids),
                mix=mixa,
            )
            got = ledger.try_place("dc", arg, 1, "computenet", mix)
            if expected is None:
                assert got is None
                continue
            assert got is not None
            assert (got[0].node_index, got[0].slots) == (expected.node, expected.slots)
            live.append(got)
        ledger.check()
