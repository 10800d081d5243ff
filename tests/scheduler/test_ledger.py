"""Tests for scheduler.ledger: capacity bookkeeping, gangs, release/apply, and invariants."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.ledger import (
    Allocation,
    CapacityError,
    DuplicateNodeError,
    Ledger,
    LedgerError,
    NodeBusyError,
    UnknownDataCenterError,
    UnknownNodeError,
)
from scheduler.optimizer.packing import POLICIES, TaskMix, TaskShape

GPU1 = TaskShape(4000, 1024, 1, 1000)


def small_ledger() -> Ledger:
    """dc-a: two 2-GPU model-A nodes; dc-b: one 8-GPU model-B node and a CPU node."""
    ledger = Ledger()
    ledger.add_node("a0", "dc-a", model="A", accelerators=2, cpu_milli=16000, memory_mib=65536)
    ledger.add_node("a1", "dc-a", model="A", accelerators=2, cpu_milli=16000, memory_mib=65536)
    ledger.add_node("b0", "dc-b", model="B", accelerators=8, cpu_milli=96000, memory_mib=1 << 19)
    ledger.add_node("c0", "dc-b", model="", accelerators=0, cpu_milli=64000, memory_mib=1 << 18)
    return ledger


class TestInventory:
    def test_add_and_summaries(self) -> None:
        """Summaries count accelerators, whole free ones, free milli and nodes per (DC, model)."""
        ledger = small_ledger()
        a = ledger.summary("dc-a")
        assert (a.nodes, a.cap_cpu, a.free_cpu) == (2, 32000, 32000)
        assert a.models["A"].total == 4
        assert a.models["A"].free_whole == 4
        assert ledger.model_summary("dc-b", "B").free_milli == 8000
        assert ledger.model_summary("dc-b", "A").total == 0
        table = ledger.capacity_table()
        assert table.dcs == ("dc-a", "dc-b")
        assert table.models == ("A", "B")
        assert table.total.tolist() == [[4, 0], [0, 8]]
        assert table.free_cpu.tolist() == [32000, 160000]
        ledger.check()

    def test_refuses_duplicates_and_unknowns(self) -> None:
        """A repeated id, an unknown node and an unknown data center are refused by name."""
        ledger = small_ledger()
        with pytest.raises(DuplicateNodeError):
            ledger.add_node("a0", "dc-a", model="A", accelerators=1, cpu_milli=1, memory_mib=1)
        with pytest.raises(UnknownNodeError):
            ledger.remove_node("zz")
        with pytest.raises(UnknownDataCenterError):
            ledger.try_place("dc-z", GPU1)
        with pytest.raises(LedgerError):
            ledger.add_node("x", "dc-a", model="A", accelerators=17, cpu_milli=1, memory_mib=1)
        with pytest.raises(KeyError):
            ledger.try_place("dc-a", GPU1, policy="nope")

    def test_remove_only_when_idle_and_rows_are_reused(self) -> None:
        """A busy node cannot be removed; an idle one can, and its row serves the next node."""
        ledger = small_ledger()
        allocs = ledger.try_place("dc-a", TaskShape(1000, 0, 2, 1000), policy="bestfit")
        assert allocs is not None
        busy = allocs[0].node_id
        with pytest.raises(NodeBusyError):
            ledger.remove_node(busy)
        idle = "a1" if busy == "a0" else "a0"
        count = len(ledger)
        ledger.remove_node(idle)
        assert idle not in ledger
        assert ledger.summary("dc-a").models["A"].total == 2
        new_row = ledger.add_node(
            "a2", "dc-a", model="A", accelerators=4, cpu_milli=8000, memory_mib=8192
        )
        assert ledger.node_id("dc-a", new_row) == "a2"
        assert len(ledger) == count
        ledger.check()

    def test_wider_node_grows_the_slot_matrix(self) -> None:
        """A 16-accelerator node added after 2-accelerator ones keeps every node intact."""
        ledger = small_ledger()
        ledger.add_node("big", "dc-a", model="A", accelerators=16, cpu_milli=1, memory_mib=1)
        assert ledger.node_arrays("dc-a").free_milli.shape[1] == 16
        assert ledger.snapshot()["a0"].free_milli == (1000, 1000)
        ledger.check()


class TestPlacement:
    def test_gang_is_all_or_nothing(self) -> None:
        """Five 1-GPU replicas do not fit on dc-a's four GPUs: nothing is taken; four do."""
        ledger = small_ledger()
        before = ledger.snapshot()
        assert ledger.try_place("dc-a", GPU1, replicas=5) is None
        assert ledger.snapshot() == before
        allocs = ledger.try_place("dc-a", GPU1, replicas=4)
        assert allocs is not None
        assert len(allocs) == 4
        assert {(a.node_id, a.slots) for a in allocs} == {
            ("a0", (0,)),
            ("a0", (1,)),
            ("a1", (0,)),
            ("a1", (1,)),
        }
        ledger.check()

    def test_a_failing_policy_leaves_nothing_taken(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """If the policy raises on replica 3, replicas 1 and 2 are given back."""
        ledger = small_ledger()
        before = ledger.snapshot()
        real = POLICIES["bestfit"]
        calls = []

        def flaky(*args: object, **kwargs: object) -> object:
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("policy bug")
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setitem(POLICIES, "bestfit", flaky)  # type: ignore[arg-type]
        with pytest.raises(RuntimeError):
            ledger.try_place("dc-b", GPU1, replicas=4, policy="bestfit")
        assert ledger.snapshot() == before

    def test_release_returns_capacity_exactly(self) -> None:
        """Placing and releasing leaves every node and summary as it was."""
        ledger = small_ledger()
        before, table = ledger.snapshot(), ledger.capacity_table()
        allocs = ledger.try_place("dc-b", TaskShape(3000, 2048, 1, 470), replicas=3)
        assert allocs is not None
        assert ledger.snapshot() != before
        ledger.release(allocs)
        assert ledger.snapshot() == before
        after = ledger.capacity_table()
        assert np.array_equal(after.free_whole, table.free_whole)
        assert np.array_equal(after.free_milli, table.free_milli)
        assert np.array_equal(after.free_cpu, table.free_cpu)

    def test_release_of_what_was_never_taken_is_refused(self) -> None:
        """Releasing more than is allocated raises and changes nothing."""
        ledger = small_ledger()
        allocs = ledger.try_place("dc-a", GPU1)
        assert allocs is not None
        before = ledger.snapshot()
        with pytest.raises(CapacityError):
            ledger.release([*allocs, allocs[0]])
        assert ledger.snapshot() == before

    def test_shares_fit_inside_one_accelerator(self) -> None:
        """Two 600 shares never share a GPU; a third 400 share fills one of the 400 gaps."""
        ledger = Ledger()
        ledger.add_node("n", "dc", model="A", accelerators=2, cpu_milli=8000, memory_mib=8192)
        s600 = TaskShape(0, 0, 1, 600)
        first, second = ledger.try_place("dc", s600), ledger.try_place("dc", s600)
        assert first
        assert second
        assert first[0].slots != second[0].slots
        assert ledger.try_place("dc", s600) is None
        assert ledger.try_place("dc", TaskShape(0, 0, 1, 400)) is not None
        assert sorted(ledger.snapshot()["n"].free_milli) == [0, 400]

    def test_gpu_spec_is_honoured(self) -> None:
        """A task asking for model B lands only on B, and fails where only A exists."""
        ledger = small_ledger()
        on_b = TaskShape(1000, 0, 1, 1000, frozenset({"B"}))
        assert ledger.try_place("dc-a", on_b) is None
        allocs = ledger.try_place("dc-b", on_b)
        assert allocs is not None
        assert allocs[0].node_id == "b0"
        either = TaskShape(1000, 0, 1, 1000, frozenset({"A", "B"}))
        assert ledger.try_place("dc-a", either) is not None

    def test_placement_stays_in_its_data_center(self) -> None:
        """Filling dc-b's CPU never touches dc-a."""
        ledger = small_ledger()
        before = ledger.snapshot()
        while ledger.try_place("dc-b", TaskShape(8000, 0)) is not None:
            pass
        after = ledger.snapshot()
        assert after["a0"] == before["a0"]
        assert after["a1"] == before["a1"]
        assert after["b0"].free_cpu < 8000
        assert after["c0"].free_cpu < 8000

    def test_apply_rebuilds_and_refuses_what_does_not_fit(self) -> None:
        """Allocations re-applied to a fresh ledger reproduce its state; an overfull set is
        refused as a whole."""
        ledger = small_ledger()
        allocs = ledger.try_place("dc-b", TaskShape(2000, 100, 1, 810), replicas=6)
        assert allocs is not None
        rebuilt = small_ledger()
        rebuilt.apply(allocs)
        assert rebuilt.snapshot() == ledger.snapshot()
        rebuilt.check()
        before = rebuilt.snapshot()
        too_much = replace(allocs[0], milli=300)  # 190 free on that slot
        with pytest.raises(CapacityError):
            rebuilt.apply([Allocation("a0", "dc-a", 0, (0,), 1000, 0, 0), too_much])
        assert rebuilt.snapshot() == before
        with pytest.raises(CapacityError):
            rebuilt.apply([replace(allocs[0], node_index=allocs[0].node_index + 1)])


nodes_strategy = st.lists(
    st.tuples(
        st.sampled_from(["dc-a", "dc-b"]),
        st.sampled_from(["A", "B"]),
        st.integers(0, 8),
        st.integers(0, 64000),
        st.integers(0, 65536),
    ),
    min_size=1,
    max_size=6,
)
shape_strategy = st.one_of(
    st.builds(TaskShape, st.integers(0, 20000), st.integers(0, 20000)),
    st.builds(
        TaskShape,
        st.integers(0, 20000),
        st.integers(0, 20000),
        st.just(1),
        st.integers(1, 1000),
        st.sampled_from([frozenset(), frozenset({"A"}), frozenset({"B"})]),
    ),
    st.builds(
        TaskShape, st.integers(0, 20000), st.integers(0, 20000), st.integers(1, 4), st.just(1000)
    ),
)


@dataclass(frozen=True)
class Place:
    dc: str
    shape: TaskShape
    replicas: int
    policy: str


@dataclass(frozen=True)
class Release:
    index: int


op_strategy = st.lists(
    st.one_of(
        st.builds(
            Place,
            st.sampled_from(["dc-a", "dc-b"]),
            shape_strategy,
            st.integers(1, 3),
            st.sampled_from(sorted(POLICIES)),
        ),
        st.builds(Release, st.integers(0, 50)),
    ),
    max_size=25,
)


class TestInvariants:
    @settings(max_examples=60, deadline=None)
    @given(nodes=nodes_strategy, ops=op_strategy)
    def test_capacity_is_never_exceeded(
        self,
        nodes: list[tuple[str, str, int, int, int]],
        ops: list[Place | Release],
    ) -> None:
        """Under any stream of gang placements (every policy) and releases, free + allocated
        equals capacity, nothing goes negative, failed gangs change nothing, and releasing
        everything restores the empty ledger."""
        ledger = Ledger()
        for i, (dc, model, acc, cpu, mem) in enumerate(nodes):
            ledger.add_node(
                f"n{i}", dc, model=model, accelerators=acc, cpu_milli=cpu, memory_mib=mem
            )
        empty = ledger.snapshot()
        live: list[tuple[Allocation, ...]] = []
        rng = np.random.default_rng(0)
        for op in ops:
            if isinstance(op, Place):
                if op.dc not in ledger.data_centers:
                    continue
                before = ledger.snapshot()
                mix = TaskMix((op.shape,), (1.0,))
                allocs = ledger.try_place(op.dc, op.shape, op.replicas, op.policy, mix, rng)
                if allocs is None:
                    assert ledger.snapshot() == before
                else:
                    assert len(allocs) == op.replicas
                    live.append(allocs)
            elif live:
                ledger.release(live.pop(op.index % len(live)))
            ledger.check()
        for allocs in live:
            ledger.release(allocs)
        assert ledger.snapshot() == empty
