"""Node-level packing: choose the node and accelerator slots for one task inside one data center.

Everything here is pure (stdlib and numpy only): a policy reads the data center's capacity
arrays (:class:`NodeArrays`) and returns a :class:`Choice`, never mutating its inputs.
The capacity ledger (``scheduler.ledger``) owns the arrays and applies the choice.

Units: CPU in milli-cores, memory in MiB, accelerators in milli-units (1000 = one whole
accelerator).  The free-milli matrix has one row per node and one column per accelerator
slot; slots a node does not have hold :data:`PAD`.  Arrays indexed by model id carry one
extra trailing entry for "no accelerator" (model id ``-1``), which is always ``False``.

A task is one of three kinds, as in the Alibaba openb trace (Weng et al., ATC'23):
CPU-only (``num_accel == 0``); a share of ONE accelerator (``num_accel == 1`` and
``accel_milli < 1000``), which must fit in a single slot's remaining share; or whole
accelerators (``accel_milli == 1000``), all on one node.

Policies (registry :data:`POLICIES`), each a function
``policy(shape, nodes, *, allowed=None, mix=None, rng=None) -> Choice | None``:

=============  =====================================================================
``random``     uniform over feasible nodes (needs ``rng``)
``bestfit``    least CPU + accelerator left after placing (0.5/0.5 weights)
``gpupacking`` partially used accelerators first, then used nodes, then idle nodes
``dotprod``    Tetris: least alignment between the task and the node's free resources
``fgd``        Fragmentation Gradient Descent (Weng et al., USENIX ATC 2023)
``computenet`` our default: FGD's gradient, made stranding- and volume-aware
=============  =====================================================================

Ties: the lowest node row (then the lowest slot) wins; when a ``numpy.random.Generator``
is passed, the baselines break node ties uniformly at random instead, as kube-scheduler's
``selectHost`` does under the simulator the published baselines ran in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_POLICY",
    "MILLI",
    "PAD",
    "POLICIES",
    "Choice",
    "MixArrays",
    "NodeArrays",
    "Policy",
    "TaskMix",
    "TaskShape",
    "allowed_mask",
    "bestfit",
    "compile_mix",
    "computenet",
    "dotprod",
    "feasible",
    "fgd",
    "fragmentation",
    "get_policy",
    "gpupacking",
    "random_fit",
]

MILLI: Final = 1000
"""Milli-units in one whole accelerator."""

PAD: Final = -1
"""Free milli recorded in a slot the node does not have."""

DEFAULT_POLICY: Final = "computenet"
"""The policy the service uses when a request names none."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_TIE_RTOL: Final = 1e-9


@dataclass(frozen=True, slots=True)
class TaskShape:
    """The resources one task (one replica of a job) asks for."""

    cpu_milli: int
    """CPU in milli-cores."""
    memory_mib: int
    """Memory in MiB."""
    num_accel: int = 0
    """Accelerators: 0 for a CPU-only task, 1 for a share or one whole, >1 whole ones."""
    accel_milli: int = 0
    """Milli-units per accelerator: 1..1000 (1000 = whole); 0 when ``num_accel`` is 0."""
    models: frozenset[str] = frozenset()
    """Acceptable accelerator models; empty means any."""

    def __post_init__(self) -> None:
        if self.cpu_milli < 0 or self.memory_mib < 0:
            raise ValueError(f"cpu_milli and memory_mib must be >= 0, got {self}")
        if self.num_accel < 0:
            raise ValueError(f"num_accel must be >= 0, got {self.num_accel}")
        if self.num_accel == 0:
            if self.accel_milli != 0:
                raise ValueError("accel_milli must be 0 for a CPU-only task")
            if self.models:
                raise ValueError("a CPU-only task cannot ask for accelerator models")
        elif not 0 < self.accel_milli <= MILLI:
            raise ValueError(f"accel_milli must be in 1..{MILLI}, got {self.accel_milli}")
        elif self.num_accel > 1 and self.accel_milli != MILLI:
            raise ValueError("a task with several accelerators takes each one whole")

    @property
    def total_milli(self) -> int:
        """Accelerator milli-units the task takes in all."""
        return self.num_accel * self.accel_milli

    @property
    def shares_accel(self) -> bool:
        """Whether the task takes a fraction of one accelerator."""
        return self.num_accel == 1 and self.accel_milli < MILLI


@dataclass(frozen=True, slots=True)
class TaskMix:
    """A workload's typical task shapes and how popular each is (FGD's "target workload")."""

    shapes: tuple[TaskShape, ...]
    """Distinct task shapes."""
    weights: tuple[float, ...]
    """Popularity of each shape; positive, summing to 1."""

    def __post_init__(self) -> None:
        if len(self.shapes) != len(self.weights):
            raise ValueError("shapes and weights differ in length")
        if any(w <= 0 for w in self.weights):
            raise ValueError("weights must be positive")
        if self.shapes and abs(sum(self.weights) - 1.0) > 1e-6:
            raise ValueError("weights must sum to 1")

    @classmethod
    def from_shapes(
        cls, shapes: Iterable[TaskShape], *, coverage: float = 0.95, memory: bool = False
    ) -> TaskMix:
        """Count identical shapes and keep the most popular ones until they cover ``coverage``.

        This is how the FGD simulator builds its typical pods (popularity threshold 95 %,
        CPU-only tasks included, memory left out of the shape unless ``memory`` is set).
        Equal counts are ordered by shape so the result does not depend on input order.
        """
        if not 0 < coverage <= 1:
            raise ValueError("coverage must be in (0, 1]")
        counts = Counter(s if memory else _without_memory(s) for s in shapes)
        total = sum(counts.values())
        if total == 0:
            return cls((), ())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], _shape_key(kv[0])))
        kept: list[tuple[TaskShape, int]] = []
        covered = 0
        for shape, count in ranked:
            if covered >= coverage * total:
                break
            kept.append((shape, count))
            covered += count
        return cls(tuple(s for s, _ in kept), tuple(c / covered for _, c in kept))


def _without_memory(shape: TaskShape) -> TaskShape:
    return TaskShape(shape.cpu_milli, 0, shape.num_accel, shape.accel_milli, shape.models)


def _shape_key(s: TaskShape) -> tuple[int, int, int, int, tuple[str, ...]]:
    return (s.num_accel, s.accel_milli, s.cpu_milli, s.memory_mib, tuple(sorted(s.models)))


@dataclass(frozen=True, slots=True, eq=False)
class NodeArrays:
    """Read-only capacity arrays of one data center's nodes, one row per node."""

    free_milli: npt.NDArray[np.int32]
    """Free milli per accelerator slot, shape (nodes, slots); :data:`PAD` where absent."""
    free_cpu: IntArray
    """Free CPU milli-cores; negative for a retired row, so nothing fits there."""
    free_mem: IntArray
    """Free memory MiB."""
    model: npt.NDArray[np.int16]
    """Accelerator model id, -1 for a node without accelerators."""
    cap_cpu: IntArray
    """CPU capacity, milli-cores."""
    cap_mem: IntArray
    """Memory capacity, MiB."""
    n_slots: npt.NDArray[np.int8]
    """Accelerators the node has."""

    def __len__(self) -> int:
        return int(self.free_cpu.shape[0])


@dataclass(frozen=True, slots=True)
class Choice:
    """Where one task goes: a node row and the accelerator slots it takes."""

    node: int
    """Row in :class:`NodeArrays`."""
    slots: tuple[int, ...]
    """Slot columns, ``num_accel`` of them (empty for a CPU-only task)."""


@dataclass(frozen=True, slots=True, eq=False)
class MixArrays:
    """A :class:`TaskMix` compiled against a ledger's model ids, ready for vector maths."""

    cpu: IntArray
    """CPU milli of each accelerator-using shape."""
    mem: IntArray
    """Memory MiB of each accelerator-using shape."""
    weight: FloatArray
    """Popularity of each accelerator-using shape."""
    model_ok: BoolArray
    """(shapes, models + 1): whether the shape may run on each model id."""
    thresholds: IntArray
    """Distinct per-accelerator milli asked for, ascending."""
    class_thr: npt.NDArray[np.intp]
    """For each (milli, count) class, its index into ``thresholds``."""
    class_num: IntArray
    """For each class, the accelerators its tasks take."""
    onehot: FloatArray
    """(shapes, classes): 1 where the shape belongs to the class."""
    volume: FloatArray
    """Accelerator milli of each shape (``num * milli``)."""
    cpu_only_weight: float
    """Total popularity of CPU-only shapes."""
    total_weight: float
    """Total popularity (1 for a normalised mix)."""

    @property
    def empty(self) -> bool:
        """Whether no accelerator-using shape is known."""
        return self.weight.shape[0] == 0


def allowed_mask(models: frozenset[str], model_ids: Mapping[str, int]) -> BoolArray | None:
    """Model ids a task may use (plus the trailing "no accelerator" entry), or None for any."""
    if not models:
        return None
    mask = np.zeros(len(model_ids) + 1, dtype=np.bool_)
    for name in models:
        idx = model_ids.get(name)
        if idx is not None:
            mask[idx] = True
    return mask


def compile_mix(mix: TaskMix, model_ids: Mapping[str, int]) -> MixArrays:
    """Turn a mix into arrays over ``model_ids`` (name -> id, ids dense from 0)."""
    gpu = [(s, w) for s, w in zip(mix.shapes, mix.weights, strict=True) if s.num_accel > 0]
    cpu_only = float(
        sum(w for s, w in zip(mix.shapes, mix.weights, strict=True) if not s.num_accel)
    )
    n_models = len(model_ids)
    model_ok = np.ones((len(gpu), n_models + 1), dtype=np.bool_)
    model_ok[:, -1] = False
    for i, (s, _) in enumerate(gpu):
        mask = allowed_mask(s.models, model_ids)
        if mask is not None:
            model_ok[i] = mask
    thresholds = np.array(sorted({s.accel_milli for s, _ in gpu}), dtype=np.int64)
    classes = sorted({(s.accel_milli, s.num_accel) for s, _ in gpu})
    class_index = {c: k for k, c in enumerate(classes)}
    onehot = np.zeros((len(gpu), len(classes)), dtype=np.float64)
    for i, (s, _) in enumerate(gpu):
        onehot[i, class_index[(s.accel_milli, s.num_accel)]] = 1.0
    return MixArrays(
        cpu=np.array([s.cpu_milli for s, _ in gpu], dtype=np.int64),
        mem=np.array([s.memory_mib for s, _ in gpu], dtype=np.int64),
        weight=np.array([w for _, w in gpu], dtype=np.float64),
        model_ok=model_ok,
        thresholds=thresholds,
        class_thr=np.searchsorted(thresholds, [m for m, _ in classes]).astype(np.intp),
        class_num=np.array([n for _, n in classes], dtype=np.int64),
        onehot=onehot,
        volume=np.array([s.total_milli for s, _ in gpu], dtype=np.float64),
        cpu_only_weight=cpu_only,
        total_weight=float(sum(mix.weights)),
    )


# --------------------------------------------------------------------------- feasibility


def feasible(shape: TaskShape, nodes: NodeArrays, allowed: BoolArray | None = None) -> BoolArray:
    """Rows where the task fits: CPU, memory, model, and enough accelerator share.

    A share must fit in one slot's remaining milli; whole accelerators must be entirely free.
    """
    ok = (nodes.free_cpu >= shape.cpu_milli) & (nodes.free_mem >= shape.memory_mib)
    if shape.num_accel == 0:
        return ok
    if allowed is not None:
        ok &= allowed[nodes.model]
    else:
        ok &= nodes.model >= 0
    fits = np.count_nonzero(nodes.free_milli >= shape.accel_milli, axis=1)
    return ok & (fits >= shape.num_accel)


def _whole_slots(row: npt.NDArray[np.int32], n: int) -> tuple[int, ...]:
    """The first ``n`` entirely free slots of a row."""
    return tuple(int(i) for i in np.flatnonzero(row == MILLI)[:n])


def _best_slot(row: npt.NDArray[np.int32], milli: int) -> int:
    """The slot with the least free share that still fits ``milli`` (lowest index on ties)."""
    masked = np.where(row >= milli, row, MILLI + 1)
    return int(np.argmin(masked))


def _pick(score: FloatArray, rows: npt.NDArray[np.intp], rng: np.random.Generator | None) -> int:
    """The row with the least score; ties go to the lowest row, or a random one with ``rng``."""
    best = score.min()
    tied = np.flatnonzero(score <= best + _TIE_RTOL * max(1.0, abs(float(best))))
    if rng is None or tied.shape[0] == 1:
        return int(rows[tied[0]])
    return int(rows[tied[rng.integers(tied.shape[0])]])


def _choice_with_best_slot(shape: TaskShape, nodes: NodeArrays, node: int) -> Choice:
    row = nodes.free_milli[node]
    if shape.num_accel == 0:
        return Choice(node, ())
    if shape.accel_milli == MILLI:
        return Choice(node, _whole_slots(row, shape.num_accel))
    return Choice(node, (_best_slot(row, shape.accel_milli),))


def _scale(nodes: NodeArrays) -> tuple[float, float]:
    """Normalisers for CPU and accelerators: the largest node of the data center."""
    cpu = float(nodes.cap_cpu.max()) if len(nodes) else 1.0
    acc = float(nodes.n_slots.max()) * MILLI if len(nodes) else 1.0
    return max(cpu, 1.0), max(acc, 1.0)


def _free_accel(nodes: NodeArrays, rows: npt.NDArray[np.intp]) -> IntArray:
    return np.maximum(nodes.free_milli[rows], 0).sum(axis=1, dtype=np.int64)


class Policy(Protocol):
    """A packing policy: pick a node (and slots) for one task, or None if nothing fits."""

    def __call__(
        self,
        shape: TaskShape,
        nodes: NodeArrays,
        *,
        allowed: BoolArray | None = None,
        mix: MixArrays | None = None,
        rng: np.random.Generator | None = None,
    ) -> Choice | None: ...


# --------------------------------------------------------------------------- baselines


def random_fit(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """Random: a feasible node uniformly at random; a share goes to a random fitting slot.

    Without ``rng`` it degrades to first fit (the lowest feasible row, the lowest slot).
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if rng is None:
        node = int(rows[0])
        return (
            _choice_with_best_slot(shape, nodes, node)
            if shape.shares_accel
            else Choice(node, _whole_slots(nodes.free_milli[node], shape.num_accel))
        )
    node = int(rows[rng.integers(rows.shape[0])])
    if shape.shares_accel:
        slots = np.flatnonzero(nodes.free_milli[node] >= shape.accel_milli)
        return Choice(node, (int(slots[rng.integers(slots.shape[0])]),))
    return Choice(node, _whole_slots(nodes.free_milli[node], shape.num_accel))


def bestfit(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """BestFit: the node left with the least resources, ``0.5 * cpu_left / cpu_max +
    0.5 * accel_left / accel_max`` after placing (maxima over the data center's nodes);
    a share goes to the fitting slot with the least free share.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    cpu_max, acc_max = _scale(nodes)
    left_cpu = (nodes.free_cpu[rows] - shape.cpu_milli) / cpu_max
    left_acc = (_free_accel(nodes, rows) - shape.total_milli) / acc_max
    node = _pick(0.5 * left_cpu + 0.5 * left_acc, rows, rng)
    return _choice_with_best_slot(shape, nodes, node)


def dotprod(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """DotProd (Tetris, Grandl et al., SIGCOMM 2014, as configured in the FGD simulator):
    the node minimising the dot product of its free (CPU, accelerator total) vector and the
    task's demand vector, both normalised by the data center's largest node; a share goes
    to the fitting slot with the least free share.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    cpu_max, acc_max = _scale(nodes)
    dot = (nodes.free_cpu[rows] / cpu_max) * (shape.cpu_milli / cpu_max) + (
        _free_accel(nodes, rows) / acc_max
    ) * (shape.total_milli / acc_max)
    node = _pick(dot, rows, rng)
    return _choice_with_best_slot(shape, nodes, node)


def gpupacking(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """GpuPacking: keep idle accelerators and idle nodes whole.

    In order of preference: (1) a share that fits on an already partly used accelerator,
    the one with the least free share first; (2) a node already in use, taking as few
    entirely free accelerators as possible; (3) an idle node, the one with the fewest
    accelerators first.  CPU-only tasks tie everywhere (the simulator gives them all the
    minimum score).
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if shape.num_accel == 0:
        return Choice(_pick(np.zeros(rows.shape[0]), rows, rng), ())
    free = nodes.free_milli[rows]
    n_slots = nodes.n_slots[rows].astype(np.int64)
    idle_slots = np.count_nonzero(free == MILLI, axis=1)
    idle_node = idle_slots == n_slots
    if shape.shares_accel:
        partial = np.where((free >= shape.accel_milli) & (free < MILLI), free, MILLI + 1)
        best_partial = partial.min(axis=1)
        on_partial = best_partial <= MILLI
        whole_needed = np.where(on_partial, 0, 1)
    else:
        best_partial = np.full(rows.shape[0], MILLI + 1)
        on_partial = np.zeros(rows.shape[0], dtype=np.bool_)
        whole_needed = np.full(rows.shape[0], shape.num_accel)
    # Lower is better; the tiers are 3000 apart so they never overlap.
    score = np.where(
        on_partial,
        best_partial.astype(np.float64),
        np.where(idle_node, 4000.0 + n_slots, 2000.0 + whole_needed),
    )
    node = _pick(score, rows, rng)
    return _choice_with_best_slot(shape, nodes, node)


# --------------------------------------------------------------------------- fragmentation


@dataclass(frozen=True, slots=True, eq=False)
class _Frag:
    """Per-row pieces of the fragmentation measure for a set of rows."""

    total: FloatArray  # free accelerator milli, F
    count_ge: IntArray  # (rows, classes): slots with free >= class milli
    below: FloatArray  # (rows, classes): free milli in slots below class milli
    value: FloatArray  # fragmentation F_n(M)


def _class_weights(
    mix: MixArrays,
    cpu: IntArray,
    mem: IntArray | None,
    model: npt.NDArray[np.int16],
    weight: FloatArray,
) -> FloatArray:
    """(rows, classes): popularity of the shapes in each class whose CPU (and memory) fit."""
    ok = (cpu[:, None] >= mix.cpu[None, :]) & mix.model_ok[:, model].T
    if mem is not None:
        ok &= mem[:, None] >= mix.mem[None, :]
    return np.asarray((ok * weight) @ mix.onehot, dtype=np.float64)


def _frag_pieces(
    free: npt.NDArray[np.int32], mix: MixArrays
) -> tuple[FloatArray, IntArray, FloatArray]:
    thr = mix.thresholds[mix.class_thr]
    ge = free[:, :, None] >= thr[None, None, :]
    fz = np.maximum(free, 0).astype(np.float64)
    total = fz.sum(axis=1)
    count_ge = ge.sum(axis=1, dtype=np.int64)
    above = np.einsum("rs,rsk->rk", fz, ge)
    return total, count_ge, total[:, None] - above


def _frag_value(
    total: FloatArray,
    count_ge: IntArray,
    below: FloatArray,
    weights: FloatArray,
    mix: MixArrays,
) -> FloatArray:
    """F_n(M) = sum_m p_m * (F if m cannot run, else the free milli in slots too small for m).

    ``weights`` already holds, per class, the popularity of shapes whose CPU fits.
    CPU-only shapes and shapes that cannot run count all free milli (``total_weight``).
    """
    usable = (count_ge >= mix.class_num[None, :]) * weights
    return total * mix.total_weight - (usable * (total[:, None] - below)).sum(axis=1)


def fragmentation(nodes: NodeArrays, mix: MixArrays, *, memory: bool = False) -> FloatArray:
    """FGD's node fragmentation ``F_n(M)`` for every row (accelerator milli-units).

    For each shape m of the mix with popularity p_m: if m cannot run on the node (model,
    CPU, or not enough slots with at least m's milli), all the node's free accelerator milli
    is fragment; otherwise the free milli in slots too small for m is.  CPU-only shapes
    count all free milli.  ``memory`` adds memory to "can run" (FGD itself does not).
    """
    if mix.empty:
        fz = np.maximum(nodes.free_milli, 0).sum(axis=1).astype(np.float64)
        return fz * mix.total_weight
    total, count_ge, below = _frag_pieces(nodes.free_milli, mix)
    w = _class_weights(
        mix, nodes.free_cpu, nodes.free_mem if memory else None, nodes.model, mix.weight
    )
    return _frag_value(total, count_ge, below, w, mix)


def _frag_deltas(
    shape: TaskShape,
    nodes: NodeArrays,
    rows: npt.NDArray[np.intp],
    mix: MixArrays,
    weight: FloatArray,
    memory: bool,
) -> tuple[FloatArray, npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
    """Fragmentation growth for each candidate placement on ``rows``.

    Returns (delta, candidate row, candidate slot, fragmentation before per candidate).
    A share has one candidate per distinct free value among a row's fitting slots (equal
    slots give equal states); other tasks have one candidate per row.
    """
    free = nodes.free_milli[rows]
    cpu = nodes.free_cpu[rows]
    mem = nodes.free_mem[rows]
    model = nodes.model[rows]
    total, count_ge, below = _frag_pieces(free, mix)
    w_before = _class_weights(mix, cpu, mem if memory else None, model, weight)
    before = _frag_value(total, count_ge, below, w_before, mix)
    w_after = _class_weights(
        mix,
        cpu - shape.cpu_milli,
        (mem - shape.memory_mib) if memory else None,
        model,
        weight,
    )
    idx = np.arange(rows.shape[0])
    if not shape.shares_accel:
        n = shape.num_accel
        after = (
            _frag_value(total - n * MILLI, count_ge - n, below, w_after, mix)
            if n
            else _frag_value(total, count_ge, below, w_after, mix)
        )
        return after - before, idx, np.full(rows.shape[0], -1, dtype=np.intp), before
    d = shape.accel_milli
    # Distinct fitting values per row: sort each row, keep the first of each run.
    order = np.argsort(-free, axis=1, kind="stable")
    vals = np.take_along_axis(free, order, axis=1)
    first = np.ones_like(vals, dtype=np.bool_)
    first[:, 1:] = vals[:, 1:] != vals[:, :-1]
    cand_r, cand_c = np.nonzero(first & (vals >= d))
    v = vals[cand_r, cand_c].astype(np.int64)
    slot = order[cand_r, cand_c]
    thr = mix.thresholds[mix.class_thr][None, :]
    v2 = (v - d)[:, None]
    vv = v[:, None]
    d_count = (v2 >= thr).astype(np.int64) - (vv >= thr)
    d_below = np.where(v2 < thr, v2, 0) - np.where(vv < thr, vv, 0)
    after = _frag_value(
        total[cand_r] - d,
        count_ge[cand_r] + d_count,
        below[cand_r] + d_below,
        w_after[cand_r],
        mix,
    )
    return after - before[cand_r], cand_r, slot.astype(np.intp), before[cand_r]


def _slots_for(shape: TaskShape, row: npt.NDArray[np.int32], slot: int) -> tuple[int, ...]:
    if shape.num_accel == 0:
        return ()
    if shape.shares_accel:
        return (slot,)
    return _whole_slots(row, shape.num_accel)


def fgd(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """FGD: place where the node's fragmentation grows least.

    Q. Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with
    Fragmentation Gradient Descent", USENIX ATC 2023.  The fragmentation of a node
    measured against the workload's mix M is ``F_n(M) = sum_m p_m F_n(m)`` where ``F_n(m)``
    is all the node's free accelerator milli if task m cannot run there (model, CPU, or too
    few slots with m's share) and otherwise the free milli in slots too small for m.  For
    every feasible node and slot, FGD computes ``F_n(M)`` after the placement minus before
    and takes the least (exactly, where the simulator rounds a sigmoid of it to an
    integer score).  Without a mix it is best fit.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if mix is None or mix.empty:
        return bestfit(shape, nodes, allowed=allowed, rng=rng)
    delta, cand_r, cand_s, _ = _frag_deltas(shape, nodes, rows, mix, mix.weight, memory=False)
    # Best slot per row first (lowest slot on ties), then the best row.
    best = delta.min()
    tied = np.flatnonzero(delta <= best + _TIE_RTOL * max(1.0, abs(float(best))))
    tied_rows = np.unique(cand_r[tied])
    if rng is not None and tied_rows.shape[0] > 1:
        r = int(tied_rows[rng.integers(tied_rows.shape[0])])
    else:
        r = int(tied_rows[0])
    in_row = tied[cand_r[tied] == r]
    slot = int(cand_s[in_row].min()) if shape.shares_accel else -1
    node = int(rows[r])
    return Choice(node, _slots_for(shape, nodes.free_milli[node], slot))


def computenet(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """computenet: FGD's fragmentation gradient, aware of volume, memory and stranding.

    Placeholder: exact FGD with memory, refined below.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if mix is None or mix.empty:
        return bestfit(shape, nodes, allowed=allowed)
    delta, cand_r, cand_s, _ = _frag_deltas(shape, nodes, rows, mix, mix.weight, memory=True)
    best = delta.min()
    tied = np.flatnonzero(delta <= best + _TIE_RTOL * max(1.0, abs(float(best))))
    r = int(cand_r[tied[0]])
    in_row = tied[cand_r[tied] == r]
    slot = int(cand_s[in_row].min()) if shape.shares_accel else -1
    node = int(rows[r])
    return Choice(node, _slots_for(shape, nodes.free_milli[node], slot))


POLICIES: Final[Mapping[str, Policy]] = {
    "random": random_fit,
    "bestfit": bestfit,
    "gpupacking": gpupacking,
    "dotprod": dotprod,
    "fgd": fgd,
    "computenet": computenet,
}
"""Packing policies by name."""


def get_policy(name: str) -> Policy:
    """The policy called ``name``; KeyError naming the known ones otherwise."""
    try:
        return POLICIES[name]
    except KeyError:
        raise KeyError(f"unknown packing policy {name!r}; known: {', '.join(POLICIES)}") from None
