"""The in-memory capacity ledger: what every node and accelerator has free, in milli-units.

The ledger keeps, per data center, numpy arrays with one row per node (free CPU, free
memory, accelerator model id, and free milli per accelerator slot) so that a placement
looks only at that data center's rows.  Packing policies (``scheduler.optimizer.packing``)
read the arrays; only the ledger writes them.  Alongside, it keeps per-(data center,
model) summaries (total accelerators, free whole accelerators, free milli, node count)
and per-data-center free CPU and memory for the data-center-level scorer.

For the default ``computenet`` policy, whose verdict on a node row depends on that row alone,
it also keeps each data center's per-row verdicts per task shape and stamps every row it
changes, so that a placement rescores only the rows changed since the shape was last placed
there (``scheduler.optimizer.rowkeys``); the choice is the one the policy would make afresh.

Errors form one small tree::

    LedgerError (ValueError)
    ├── UnknownNodeError        a node id the ledger does not hold
    ├── UnknownDataCenterError  a data center with no nodes ever added
    ├── DuplicateNodeError      add_node with an id already present
    ├── NodeBusyError           remove_node while something is allocated on it
    └── CapacityError           apply/release that does not fit the recorded state

The ledger is not thread-safe: the engine calls it from one placer at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from scheduler.optimizer.packing import (
    DEFAULT_POLICY,
    MILLI,
    PAD,
    Choice,
    NodeArrays,
    TaskMix,
    TaskShape,
    allowed_mask,
    compile_mix,
    get_policy,
)
from scheduler.optimizer.rowkeys import RowMix, row_key, row_keys, verdict_choice

__all__ = [
    "MAX_ACCELERATORS",
    "Allocation",
    "CapacityError",
    "CapacityTable",
    "DcSummary",
    "DuplicateNodeError",
    "Ledger",
    "LedgerError",
    "ModelSummary",
    "NodeBusyError",
    "NodeState",
    "UnknownDataCenterError",
    "UnknownNodeError",
]

MAX_ACCELERATORS: Final = 16
"""Most accelerators one node may have."""

_INITIAL_ROWS: Final = 16
_MIX_CACHE: Final = 32
_VERDICT_CACHE: Final = 256  # task shapes whose per-row verdicts one data center keeps
_SCALAR_ROWS: Final = 6  # changed rows rescored one by one; more go through numpy at once
_ROW_KEYED: Final = "computenet"  # the policy whose verdicts are per row (optimizer.rowkeys)


class LedgerError(ValueError):
    """A ledger operation was refused; the ledger is unchanged."""


class UnknownNodeError(LedgerError):
    """The node id is not in the ledger."""


class UnknownDataCenterError(LedgerError):
    """The data center has never had a node."""


class DuplicateNodeError(LedgerError):
    """A node with this id is already in the ledger."""


class NodeBusyError(LedgerError):
    """The node still has allocations."""


class CapacityError(LedgerError):
    """The allocations do not fit (apply) or were never made (release)."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """One task's share of one node: what ``try_place`` took and ``release`` gives back."""

    node_id: str
    """The node's id."""
    dc: str
    """The node's data center."""
    node_index: int
    """The node's row in its data center's arrays (stable while the node exists)."""
    slots: tuple[int, ...]
    """Accelerator slots taken (empty for a CPU-only task)."""
    milli: int
    """Milli-units taken on each slot."""
    cpu_milli: int
    """CPU milli-cores taken."""
    memory_mib: int
    """Memory MiB taken."""


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """Accelerators of one model in one data center."""

    total: int
    """Accelerators installed."""
    free_whole: int
    """Accelerators with nothing allocated."""
    free_milli: int
    """Free milli-units summed over all of them."""
    nodes: int
    """Nodes carrying this model."""


@dataclass(frozen=True, slots=True)
class DcSummary:
    """Capacity of one data center."""

    nodes: int
    """Nodes in the data center."""
    cap_cpu: int
    """CPU milli-cores installed."""
    free_cpu: int
    """CPU milli-cores free."""
    cap_mem: int
    """Memory MiB installed."""
    free_mem: int
    """Memory MiB free."""
    models: Mapping[str, ModelSummary]
    """Accelerator summaries by model name (models with at least one node)."""


@dataclass(frozen=True, slots=True, eq=False)
class CapacityTable:
    """Summaries of every data center as arrays, for vectorised data-center scoring."""

    dcs: tuple[str, ...]
    """Data center names, the row order of every array."""
    models: tuple[str, ...]
    """Model names, the column order of the per-model arrays."""
    total: npt.NDArray[np.int64]
    """(dcs, models) accelerators installed."""
    free_whole: npt.NDArray[np.int64]
    """(dcs, models) accelerators with nothing allocated."""
    free_milli: npt.NDArray[np.int64]
    """(dcs, models) free milli-units."""
    nodes: npt.NDArray[np.int64]
    """(dcs, models) nodes carrying the model."""
    cap_cpu: npt.NDArray[np.int64]
    """(dcs,) CPU milli-cores installed."""
    free_cpu: npt.NDArray[np.int64]
    """(dcs,) CPU milli-cores free."""
    cap_mem: npt.NDArray[np.int64]
    """(dcs,) memory MiB installed."""
    free_mem: npt.NDArray[np.int64]
    """(dcs,) memory MiB free."""


@dataclass(frozen=True, slots=True)
class NodeState:
    """One node as the ledger sees it (for tests and inspection)."""

    dc: str
    """Data center."""
    model: str
    """Accelerator model ('' when the node has none)."""
    cap_cpu: int
    """CPU milli-cores installed."""
    free_cpu: int
    """CPU milli-cores free."""
    used_cpu: int
    """CPU milli-cores allocated."""
    cap_mem: int
    """Memory MiB installed."""
    free_mem: int
    """Memory MiB free."""
    used_mem: int
    """Memory MiB allocated."""
    free_milli: tuple[int, ...]
    """Free milli per accelerator."""
    used_milli: tuple[int, ...]
    """Allocated milli per accelerator."""


@dataclass(slots=True, eq=False)
class _Verdicts:
    """computenet's verdict on every row of one data center for one task shape
    (``scheduler.optimizer.rowkeys``), good for rows unchanged since ``tick``."""

    mix: RowMix
    """The compiled mix the verdicts were scored against."""
    allowed: npt.NDArray[np.bool_] | None
    """The shape's model mask they were scored with."""
    key: npt.NDArray[np.float64]
    """Per row, the key of its best placement; +inf where nothing fits."""
    slot: npt.NDArray[np.int64]
    """Per row, that placement's share slot."""
    tick: int
    """The data center's change count when they were last brought up to date."""


class _Dc:
    """The arrays of one data center; rows of removed nodes are retired and reused."""

    __slots__ = (
        "_view",
        "cap_cpu",
        "cap_mem",
        "free_cpu",
        "free_mem",
        "free_milli",
        "index",
        "model",
        "n_slots",
        "name",
        "node_ids",
        "rows",
        "spare",
        "stamp",
        "tick",
        "used_cpu",
        "used_mem",
        "used_milli",
        "verdicts",
    )

    def __init__(self, name: str, index: int, width: int) -> None:
        self.name = name
        self.index = index
        self.rows = 0
        self.node_ids: list[str | None] = []
        self.spare: list[int] = []
        self.tick = 0
        """Counts changes to any row; ``stamp[row]`` is the count at the row's last change."""
        self.verdicts: dict[TaskShape, _Verdicts] = {}
        self._alloc(_INITIAL_ROWS, width)
        self._view: NodeArrays | None = None

    def touch(self, row: int) -> None:
        """Record that ``row`` changed, so kept verdicts rescore it."""
        self.tick += 1
        self.stamp[row] = self.tick

    def _alloc(self, capacity: int, width: int) -> None:
        self.free_milli = np.full((capacity, width), PAD, dtype=np.int32)
        self.used_milli = np.zeros((capacity, width), dtype=np.int32)
        self.free_cpu = np.full(capacity, -1, dtype=np.int64)
        self.free_mem = np.full(capacity, -1, dtype=np.int64)
        self.used_cpu = np.zeros(capacity, dtype=np.int64)
        self.used_mem = np.zeros(capacity, dtype=np.int64)
        self.cap_cpu = np.zeros(capacity, dtype=np.int64)
        self.cap_mem = np.zeros(capacity, dtype=np.int64)
        self.model = np.full(capacity, -1, dtype=np.int16)
        self.n_slots = np.zeros(capacity, dtype=np.int8)
        self.stamp = np.zeros(capacity, dtype=np.int64)

    def grow(self, capacity: int, width: int) -> None:
        """Reallocate to at least ``capacity`` rows and ``width`` slots, keeping contents."""
        old: tuple[npt.NDArray[Any], ...] = (
            self.free_milli,
            self.used_milli,
            self.free_cpu,
            self.free_mem,
            self.used_cpu,
            self.used_mem,
            self.cap_cpu,
            self.cap_mem,
            self.model,
            self.n_slots,
            self.stamp,
        )
        n, w = self.rows, old[0].shape[1]
        self._alloc(capacity, width)
        self.free_milli[:n, :w] = old[0][:n]
        self.used_milli[:n, :w] = old[1][:n]
        new_arrays: tuple[npt.NDArray[Any], ...] = (
            self.free_cpu,
            self.free_mem,
            self.used_cpu,
            self.used_mem,
            self.cap_cpu,
            self.cap_mem,
            self.model,
            self.n_slots,
            self.stamp,
        )
        for new, prev in zip(new_arrays, old[2:], strict=True):
            new[:n] = prev[:n]
        self._view = None
        self.verdicts.clear()

    def view(self) -> NodeArrays:
        """Read-only views of the live rows (cached until the shape of the arrays changes)."""
        if self._view is None:
            n = self.rows
            parts: list[npt.NDArray[Any]] = [
                self.free_milli[:n],
                self.free_cpu[:n],
                self.free_mem[:n],
                self.model[:n],
                self.cap_cpu[:n],
                self.cap_mem[:n],
                self.n_slots[:n],
            ]
            for p in parts:
                p.flags.writeable = False
            self._view = NodeArrays(*parts)
        return self._view


class Ledger:
    """Free and allocated capacity of every node, grouped by data center.

    ``try_place`` places a gang all-or-nothing with a packing policy; ``release`` gives
    capacity back exactly; ``apply`` re-applies known allocations (rebuilding from the
    database after a restart).  Node rows are stable while the node exists.
    """

    def __init__(self) -> None:
        self._model_ids: dict[str, int] = {}
        self._model_names: list[str] = []
        self._dcs: dict[str, _Dc] = {}
        self._where: dict[str, tuple[_Dc, int]] = {}
        self._allowed: dict[frozenset[str], npt.NDArray[np.bool_] | None] = {}
        self._mixes: dict[int, tuple[TaskMix, RowMix]] = {}
        self._total = np.zeros((0, 0), dtype=np.int64)
        self._free_whole = np.zeros((0, 0), dtype=np.int64)
        self._free_milli = np.zeros((0, 0), dtype=np.int64)
        self._nodes = np.zeros((0, 0), dtype=np.int64)
        self._cap_cpu = np.zeros(0, dtype=np.int64)
        self._free_cpu = np.zeros(0, dtype=np.int64)
        self._cap_mem = np.zeros(0, dtype=np.int64)
        self._free_mem = np.zeros(0, dtype=np.int64)
        self._table_view: CapacityTable | None = None
        self.layout_version = 0
        """Bumped whenever a node is added or removed (installed capacity changed)."""

    # ------------------------------------------------------------------ inventory

    @property
    def data_centers(self) -> tuple[str, ...]:
        """Data centers that have (or had) nodes, in the order first seen."""
        return tuple(self._dcs)

    @property
    def models(self) -> tuple[str, ...]:
        """Accelerator model names, in id order."""
        return tuple(self._model_names)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._where

    def add_node(
        self,
        node_id: str,
        dc: str,
        *,
        model: str,
        accelerators: int,
        cpu_milli: int,
        memory_mib: int,
    ) -> int:
        """Add an empty node; returns its row in the data center's arrays."""
        if node_id in self._where:
            raise DuplicateNodeError(f"node {node_id!r} is already in the ledger")
        if not 0 <= accelerators <= MAX_ACCELERATORS:
            raise LedgerError(f"accelerators must be in 0..{MAX_ACCELERATORS}, got {accelerators}")
        if cpu_milli < 0 or memory_mib < 0:
            raise LedgerError("cpu_milli and memory_mib must be >= 0")
        if accelerators and not model:
            raise LedgerError("a node with accelerators needs a model name")
        d = self._dcs.get(dc)
        if d is None:
            d = _Dc(dc, len(self._dcs), max(accelerators, 1))
            self._dcs[dc] = d
            self._grow_stats()
        mid = self._model_id(model) if accelerators else -1
        if d.spare:
            row = d.spare.pop()
        else:
            row = d.rows
            if row >= d.free_cpu.shape[0]:
                d.grow(2 * d.free_cpu.shape[0], d.free_milli.shape[1])
            d.rows += 1
            d.node_ids.append(None)
            d._view = None
        if accelerators > d.free_milli.shape[1]:
            d.grow(d.free_cpu.shape[0], accelerators)
        d.free_milli[row] = PAD
        d.free_milli[row, :accelerators] = MILLI
        d.used_milli[row] = 0
        d.free_cpu[row] = cpu_milli
        d.free_mem[row] = memory_mib
        d.used_cpu[row] = 0
        d.used_mem[row] = 0
        d.cap_cpu[row] = cpu_milli
        d.cap_mem[row] = memory_mib
        d.model[row] = mid
        d.n_slots[row] = accelerators
        d.node_ids[row] = node_id
        d.touch(row)
        self._where[node_id] = (d, row)
        self.layout_version += 1
        i = d.index
        self._cap_cpu[i] += cpu_milli
        self._free_cpu[i] += cpu_milli
        self._cap_mem[i] += memory_mib
        self._free_mem[i] += memory_mib
        if mid >= 0:
            self._total[i, mid] += accelerators
            self._free_whole[i, mid] += accelerators
            self._free_milli[i, mid] += accelerators * MILLI
            self._nodes[i, mid] += 1
        return row

    def remove_node(self, node_id: str) -> None:
        """Remove a node that has nothing allocated; its row is retired for reuse."""
        d, row = self._locate(node_id)
        if d.used_cpu[row] or d.used_mem[row] or d.used_milli[row].any():
            raise NodeBusyError(f"node {node_id!r} still has allocations")
        i, mid, n = d.index, int(d.model[row]), int(d.n_slots[row])
        self._cap_cpu[i] -= d.cap_cpu[row]
        self._free_cpu[i] -= d.cap_cpu[row]
        self._cap_mem[i] -= d.cap_mem[row]
        self._free_mem[i] -= d.cap_mem[row]
        if mid >= 0:
            self._total[i, mid] -= n
            self._free_whole[i, mid] -= n
            self._free_milli[i, mid] -= n * MILLI
            self._nodes[i, mid] -= 1
        d.free_milli[row] = PAD
        d.free_cpu[row] = -1
        d.free_mem[row] = -1
        d.cap_cpu[row] = 0
        d.cap_mem[row] = 0
        d.model[row] = -1
        d.n_slots[row] = 0
        d.node_ids[row] = None
        d.touch(row)
        d.spare.append(row)
        del self._where[node_id]
        self.layout_version += 1

    def node_arrays(self, dc: str) -> NodeArrays:
        """The read-only arrays a policy sees for ``dc`` (retired rows can never fit)."""
        return self._dc(dc).view()

    def node_id(self, dc: str, row: int) -> str | None:
        """The node at ``row`` of ``dc``, or None for a retired row."""
        return self._dc(dc).node_ids[row]

    # ------------------------------------------------------------------ placement

    def try_place(
        self,
        dc: str,
        shape: TaskShape,
        replicas: int = 1,
        policy: str = DEFAULT_POLICY,
        mix: TaskMix | None = None,
        rng: np.random.Generator | None = None,
    ) -> tuple[Allocation, ...] | None:
        """Place ``replicas`` identical tasks in ``dc``, all or nothing.

        Replica k is placed seeing replicas 0..k-1 already taken.  Returns the allocations,
        or None (and the ledger unchanged) when any replica does not fit.
        """
        if replicas < 1:
            raise LedgerError(f"replicas must be >= 1, got {replicas}")
        d = self._dc(dc)
        fn = get_policy(policy)
        allowed = self._allowed_for(shape.models)
        rm = self._compiled(mix) if mix is not None else None
        mixa = rm.mix if rm is not None else None
        # computenet's verdicts are per row: keep them and rescore only rows that changed.
        kept = rm if policy == _ROW_KEYED and rm is not None and not rm.mix.empty else None
        nodes = d.view()
        taken: list[Allocation] = []
        try:
            for _ in range(replicas):
                if kept is not None:
                    choice = self._kept_choice(d, shape, allowed, kept)
                else:
                    choice = fn(shape, nodes, allowed=allowed, mix=mixa, rng=rng)
                if choice is None:
                    break
                taken.append(self._take_choice(d, shape, choice))
            else:
                return tuple(taken)
        except BaseException:
            self._undo(d, taken)
            raise
        self._undo(d, taken)
        return None

    def _kept_choice(
        self, d: _Dc, shape: TaskShape, allowed: npt.NDArray[np.bool_] | None, rm: RowMix
    ) -> Choice | None:
        """computenet's choice from the data center's kept per-row verdicts on ``shape``."""
        nodes = d.view()
        v = d.verdicts.get(shape)
        if v is None or v.mix is not rm or v.allowed is not allowed or v.key.shape[0] != d.rows:
            key, slot = row_keys(shape, nodes, np.arange(d.rows), allowed, rm.mix)
            if len(d.verdicts) >= _VERDICT_CACHE:
                d.verdicts.clear()
            v = d.verdicts[shape] = _Verdicts(rm, allowed, key, slot, d.tick)
        elif v.tick != d.tick:
            changed = np.flatnonzero(d.stamp[: d.rows] > v.tick)
            if changed.shape[0] <= _SCALAR_ROWS:
                for r in changed.tolist():
                    v.key[r], v.slot[r] = row_key(shape, nodes, r, allowed, rm)
            else:
                v.key[changed], v.slot[changed] = row_keys(shape, nodes, changed, allowed, rm.mix)
            v.tick = d.tick
        row = int(v.key.argmin())
        if v.key[row] == np.inf:
            return None
        return verdict_choice(shape, nodes, row, int(v.slot[row]))

    def _undo(self, d: _Dc, taken: list[Allocation]) -> None:
        for a in reversed(taken):
            self._give(d, a.node_index, a.slots, a.milli, a.cpu_milli, a.memory_mib)

    def _take_choice(self, d: _Dc, shape: TaskShape, choice: Choice) -> Allocation:
        row = choice.node
        node_id = d.node_ids[row] if 0 <= row < d.rows else None
        if node_id is None:
            raise CapacityError(f"policy chose row {row} of {d.name!r}, which holds no node")
        milli = shape.accel_milli if shape.num_accel else 0
        self._check_fits(d, row, choice.slots, milli, shape.cpu_milli, shape.memory_mib)
        self._take(d, row, choice.slots, milli, shape.cpu_milli, shape.memory_mib)
        return Allocation(
            node_id, d.name, row, choice.slots, milli, shape.cpu_milli, shape.memory_mib
        )

    def release(self, allocations: Iterable[Allocation]) -> None:
        """Give back exactly what the allocations took; refuses (changing nothing) if any
        was not recorded as allocated."""
        allocs = tuple(allocations)
        per_slot, per_node = self._aggregate(allocs)
        for (d, row, slot), milli in per_slot.items():
            if d.used_milli[row, slot] < milli:
                raise CapacityError(
                    f"release of {milli} milli on {d.node_ids[row]!r} slot {slot}: "
                    f"only {int(d.used_milli[row, slot])} allocated"
                )
        for (d, row), (cpu, mem) in per_node.items():
            if d.used_cpu[row] < cpu or d.used_mem[row] < mem:
                raise CapacityError(f"release on {d.node_ids[row]!r} exceeds what is allocated")
        for a in allocs:
            d, row = self._where[a.node_id]
            self._give(d, row, a.slots, a.milli, a.cpu_milli, a.memory_mib)

    def apply(self, allocations: Iterable[Allocation]) -> None:
        """Re-apply known allocations (e.g. from the database after a restart).

        Raises CapacityError, changing nothing, if together they do not fit.
        """
        allocs = tuple(allocations)
        per_slot, per_node = self._aggregate(allocs)
        for (d, row, slot), milli in per_slot.items():
            if d.free_milli[row, slot] < milli:
                raise CapacityError(
                    f"{milli} milli do not fit on {d.node_ids[row]!r} slot {slot} "
                    f"({int(d.free_milli[row, slot])} free)"
                )
        for (d, row), (cpu, mem) in per_node.items():
            if d.free_cpu[row] < cpu or d.free_mem[row] < mem:
                raise CapacityError(f"CPU or memory does not fit on {d.node_ids[row]!r}")
        for a in allocs:
            d, row = self._where[a.node_id]
            self._take(d, row, a.slots, a.milli, a.cpu_milli, a.memory_mib)

    def _aggregate(
        self, allocs: tuple[Allocation, ...]
    ) -> tuple[dict[tuple[_Dc, int, int], int], dict[tuple[_Dc, int], tuple[int, int]]]:
        per_slot: dict[tuple[_Dc, int, int], int] = defaultdict(int)
        per_node: dict[tuple[_Dc, int], tuple[int, int]] = {}
        for a in allocs:
            d, row = self._locate(a.node_id)
            if d.name != a.dc or row != a.node_index:
                raise CapacityError(
                    f"allocation names {a.dc!r} row {a.node_index} but node {a.node_id!r} "
                    f"is {d.name!r} row {row}"
                )
            if len(set(a.slots)) != len(a.slots):
                raise CapacityError(f"allocation on {a.node_id!r} repeats a slot")
            if a.milli < 0 or a.cpu_milli < 0 or a.memory_mib < 0 or a.milli > MILLI:
                raise CapacityError(f"allocation on {a.node_id!r} has out-of-range amounts")
            for s in a.slots:
                if not 0 <= s < d.n_slots[row]:
                    raise CapacityError(f"node {a.node_id!r} has no accelerator slot {s}")
                per_slot[(d, row, s)] += a.milli
            cpu, mem = per_node.get((d, row), (0, 0))
            per_node[(d, row)] = (cpu + a.cpu_milli, mem + a.memory_mib)
        return per_slot, per_node

    def _check_fits(
        self, d: _Dc, row: int, slots: tuple[int, ...], milli: int, cpu: int, mem: int
    ) -> None:
        if d.free_cpu[row] < cpu or d.free_mem[row] < mem:
            raise CapacityError(f"CPU or memory does not fit on {d.node_ids[row]!r}")
        if len(set(slots)) != len(slots):
            raise CapacityError("a placement repeats a slot")
        n = int(d.n_slots[row])
        for s in slots:
            if not 0 <= s < n or d.free_milli[row, s] < milli:
                raise CapacityError(f"{milli} milli do not fit on {d.node_ids[row]!r} slot {s}")

    def _take(
        self, d: _Dc, row: int, slots: tuple[int, ...], milli: int, cpu: int, mem: int
    ) -> None:
        i, mid = d.index, int(d.model[row])
        d.touch(row)
        d.free_cpu[row] -= cpu
        d.used_cpu[row] += cpu
        d.free_mem[row] -= mem
        d.used_mem[row] += mem
        self._free_cpu[i] -= cpu
        self._free_mem[i] -= mem
        if not slots:
            return
        free, used = d.free_milli, d.used_milli
        for s in slots:
            if free[row, s] == MILLI and milli:
                self._free_whole[i, mid] -= 1
            free[row, s] -= milli
            used[row, s] += milli
        self._free_milli[i, mid] -= milli * len(slots)

    def _give(
        self, d: _Dc, row: int, slots: tuple[int, ...], milli: int, cpu: int, mem: int
    ) -> None:
        i, mid = d.index, int(d.model[row])
        d.touch(row)
        d.free_cpu[row] += cpu
        d.used_cpu[row] -= cpu
        d.free_mem[row] += mem
        d.used_mem[row] -= mem
        self._free_cpu[i] += cpu
        self._free_mem[i] += mem
        if not slots:
            return
        free, used = d.free_milli, d.used_milli
        for s in slots:
            free[row, s] += milli
            used[row, s] -= milli
            if free[row, s] == MILLI and milli:
                self._free_whole[i, mid] += 1
        self._free_milli[i, mid] += milli * len(slots)

    # ------------------------------------------------------------------ summaries

    def summary(self, dc: str) -> DcSummary:
        """Capacity of one data center."""
        d = self._dc(dc)
        i = d.index
        models = {
            name: self.model_summary(dc, name)
            for name, mid in self._model_ids.items()
            if self._nodes[i, mid] > 0
        }
        return DcSummary(
            nodes=sum(1 for n in d.node_ids if n is not None),
            cap_cpu=int(self._cap_cpu[i]),
            free_cpu=int(self._free_cpu[i]),
            cap_mem=int(self._cap_mem[i]),
            free_mem=int(self._free_mem[i]),
            models=models,
        )

    def model_summary(self, dc: str, model: str) -> ModelSummary:
        """Accelerators of ``model`` in ``dc`` (all zero if it has none)."""
        i = self._dc(dc).index
        mid = self._model_ids.get(model)
        if mid is None:
            return ModelSummary(0, 0, 0, 0)
        return ModelSummary(
            total=int(self._total[i, mid]),
            free_whole=int(self._free_whole[i, mid]),
            free_milli=int(self._free_milli[i, mid]),
            nodes=int(self._nodes[i, mid]),
        )

    def capacity_table(self) -> CapacityTable:
        """All summaries as arrays (copies), one row per data center, one column per model."""
        return CapacityTable(
            dcs=self.data_centers,
            models=self.models,
            total=self._total.copy(),
            free_whole=self._free_whole.copy(),
            free_milli=self._free_milli.copy(),
            nodes=self._nodes.copy(),
            cap_cpu=self._cap_cpu.copy(),
            free_cpu=self._free_cpu.copy(),
            cap_mem=self._cap_mem.copy(),
            free_mem=self._free_mem.copy(),
        )

    def capacity_view(self) -> CapacityTable:
        """:meth:`capacity_table` without the copies: read-only views of the live arrays.

        They change as the ledger does, so read what you need at once (the placer does, once
        per decision); keep :meth:`capacity_table` for anything that must stay still.
        """
        if self._table_view is None:
            arrays = [
                a.view()
                for a in (
                    self._total,
                    self._free_whole,
                    self._free_milli,
                    self._nodes,
                    self._cap_cpu,
                    self._free_cpu,
                    self._cap_mem,
                    self._free_mem,
                )
            ]
            for a in arrays:
                a.flags.writeable = False
            self._table_view = CapacityTable(self.data_centers, self.models, *arrays)
        return self._table_view

    def snapshot(self) -> dict[str, NodeState]:
        """Every node's capacity, free and allocated amounts, by node id."""
        out: dict[str, NodeState] = {}
        for node_id, (d, row) in self._where.items():
            n = int(d.n_slots[row])
            mid = int(d.model[row])
            out[node_id] = NodeState(
                dc=d.name,
                model=self._model_names[mid] if mid >= 0 else "",
                cap_cpu=int(d.cap_cpu[row]),
                free_cpu=int(d.free_cpu[row]),
                used_cpu=int(d.used_cpu[row]),
                cap_mem=int(d.cap_mem[row]),
                free_mem=int(d.free_mem[row]),
                used_mem=int(d.used_mem[row]),
                free_milli=tuple(int(x) for x in d.free_milli[row, :n]),
                used_milli=tuple(int(x) for x in d.used_milli[row, :n]),
            )
        return out

    def check(self) -> None:
        """Raise LedgerError unless free + allocated == capacity everywhere, nothing is
        negative, padding is intact, and the summaries match the arrays."""
        problems: list[str] = []
        for d in self._dcs.values():
            n = d.rows
            live = np.array([x is not None for x in d.node_ids], dtype=np.bool_)
            width = d.free_milli.shape[1]
            present = np.arange(width)[None, :] < d.n_slots[:n, None]
            cap = np.where(present, MILLI, 0)
            free = d.free_milli[:n]
            used = d.used_milli[:n]
            bad = live[:, None] & present & ((free + used != cap) | (free < 0) | (used < 0))
            bad |= ~present & (free != PAD)
            bad |= ~present & (used != 0)
            for r, s in zip(*np.nonzero(bad), strict=True):
                problems.append(f"{d.name} row {r} slot {s}: free {free[r, s]} used {used[r, s]}")
            for what, f, u, c in (
                ("cpu", d.free_cpu[:n], d.used_cpu[:n], d.cap_cpu[:n]),
                ("mem", d.free_mem[:n], d.used_mem[:n], d.cap_mem[:n]),
            ):
                wrong = live & ((f + u != c) | (f < 0) | (u < 0))
                problems.extend(
                    f"{d.name} row {r}: {what} free {f[r]} used {u[r]} cap {c[r]}"
                    for r in np.flatnonzero(wrong)
                )
            i = d.index
            rows = np.flatnonzero(live)
            if (
                int(d.cap_cpu[rows].sum()) != self._cap_cpu[i]
                or int(d.free_cpu[rows].sum()) != self._free_cpu[i]
            ):
                problems.append(f"{d.name}: CPU summary differs from the nodes")
            if int(d.free_mem[rows].sum()) != self._free_mem[i]:
                problems.append(f"{d.name}: memory summary differs from the nodes")
            for mid in range(len(self._model_names)):
                on = rows[d.model[rows] == mid]
                f = free[on]
                expect = (
                    int(d.n_slots[on].sum()),
                    int((f == MILLI).sum()),
                    int(np.maximum(f, 0).sum()),
                    int(on.shape[0]),
                )
                got = (
                    int(self._total[i, mid]),
                    int(self._free_whole[i, mid]),
                    int(self._free_milli[i, mid]),
                    int(self._nodes[i, mid]),
                )
                if expect != got:
                    problems.append(
                        f"{d.name} {self._model_names[mid]}: summary {got} != nodes {expect}"
                    )
        if problems:
            raise LedgerError("ledger inconsistent: " + "; ".join(problems[:10]))

    # ------------------------------------------------------------------ internals

    def _dc(self, dc: str) -> _Dc:
        d = self._dcs.get(dc)
        if d is None:
            raise UnknownDataCenterError(f"no nodes in data center {dc!r}")
        return d

    def _locate(self, node_id: str) -> tuple[_Dc, int]:
        where = self._where.get(node_id)
        if where is None:
            raise UnknownNodeError(f"node {node_id!r} is not in the ledger")
        return where

    def _model_id(self, model: str) -> int:
        mid = self._model_ids.get(model)
        if mid is None:
            mid = len(self._model_names)
            if mid >= np.iinfo(np.int16).max:
                raise LedgerError("too many accelerator models")
            self._model_ids[model] = mid
            self._model_names.append(model)
            self._grow_stats()
            # Masks and compiled mixes are indexed by model id: rebuild them lazily.
            self._allowed.clear()
            self._mixes.clear()
            for d in self._dcs.values():
                d.verdicts.clear()
        return mid

    def _grow_stats(self) -> None:
        n_dc, n_m = len(self._dcs), len(self._model_names)

        def grown2(a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            out = np.zeros((n_dc, n_m), dtype=np.int64)
            out[: a.shape[0], : a.shape[1]] = a
            return out

        def grown1(a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            out = np.zeros(n_dc, dtype=np.int64)
            out[: a.shape[0]] = a
            return out

        self._total = grown2(self._total)
        self._free_whole = grown2(self._free_whole)
        self._free_milli = grown2(self._free_milli)
        self._nodes = grown2(self._nodes)
        self._cap_cpu = grown1(self._cap_cpu)
        self._free_cpu = grown1(self._free_cpu)
        self._cap_mem = grown1(self._cap_mem)
        self._free_mem = grown1(self._free_mem)
        self._table_view = None

    def _allowed_for(self, models: frozenset[str]) -> npt.NDArray[np.bool_] | None:
        if not models:
            return None
        if models not in self._allowed:
            self._allowed[models] = allowed_mask(models, self._model_ids)
        return self._allowed[models]

    def _compiled(self, mix: TaskMix) -> RowMix:
        hit = self._mixes.get(id(mix))
        if hit is not None and hit[0] is mix:
            return hit[1]
        compiled = RowMix.of(compile_mix(mix, self._model_ids))
        if len(self._mixes) >= _MIX_CACHE:
            self._mixes.clear()
        self._mixes[id(mix)] = (mix, compiled)
        return compiled
