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

==============  ====================================================================
``random``      uniform over feasible nodes (needs ``rng``; first fit without it)
``bestfit``     least CPU + accelerator left after placing (0.5/0.5 weights)
``gpupacking``  partly used accelerators first, then used nodes, then idle nodes
``dotprod``     Tetris: least alignment between the task and the node's free resources
``fgd``         Fragmentation Gradient Descent (Weng et al., USENIX ATC 2023)
``computenet``  our default: FGD's gradient plus CPU stranding and share-gap value
==============  ====================================================================

Ties go to the lowest node row (then the lowest slot), so every policy except ``random``
is deterministic.  This matches the simulator the published baselines ran in, which
visits nodes in name order and keeps the first of equal scores.
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
IndexArray = npt.NDArray[np.intp]

# computenet's weights, tuned on the openb trace (docs/BENCHMARKS.md, seeds 42..45) and
# checked on held-out seeds.  All terms are in accelerator milli-units.
_STRANDED: Final = 1.5  # accelerator milli the node's free CPU can no longer feed
_GAP_VALUE: Final = 10.0  # eventual waste of the slot's remaining share
_GAP_SIZES: Final = 0.03  # share sizes at least this common (among shares) fill gaps
_BAND: Final = 40.0  # scores this close are ties; the lowest row then wins


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
        return cls.from_counts(
            Counter(s if memory else _without_memory(s) for s in shapes), coverage=coverage
        )

    @classmethod
    def from_counts(cls, counts: Mapping[TaskShape, int], *, coverage: float = 0.95) -> TaskMix:
        """:meth:`from_shapes` from shapes already counted (a caller that keeps a rolling
        window counts as shapes come and go instead of recounting the window)."""
        if not 0 < coverage <= 1:
            raise ValueError("coverage must be in (0, 1]")
        counts = {k: v for k, v in counts.items() if v > 0}
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
    """A :class:`TaskMix` compiled against a ledger's model ids, ready for vector maths.

    Accelerator-using shapes are grouped in classes of equal (per-accelerator milli,
    count); the CPU a shape needs is looked up through ``cpu_grid``/``class_cum``.
    """

    thresholds: IntArray
    """Distinct per-accelerator milli the shapes ask for, ascending."""
    class_j: IntArray
    """For each (milli, count) class, the index of its milli in ``thresholds``."""
    class_num: IntArray
    """For each class, the accelerators its tasks take."""
    cpu_grid: IntArray
    """Distinct CPU milli the accelerator-using shapes ask for, ascending."""
    class_cum: FloatArray
    """(len(cpu_grid) + 1, classes): popularity of the class's shapes needing at most
    ``cpu_grid[u - 1]`` CPU (row 0: none); only used when ``model_free``."""
    model_free: bool
    """Whether no shape restricts models (then weights depend on CPU only)."""
    cpu: IntArray
    """CPU milli of each accelerator-using shape."""
    weight: FloatArray
    """Popularity of each accelerator-using shape."""
    model_ok: BoolArray
    """(shapes, models + 1): whether the shape may run on each model id."""
    onehot: FloatArray
    """(shapes, classes): 1 where the shape belongs to the class."""
    total_weight: float
    """Total popularity, CPU-only shapes included (1 for a normalised mix)."""
    cpu_per_milli: float
    """CPU milli-cores the accelerator-using shapes ask per accelerator milli-unit."""
    gap_waste: FloatArray
    """(1001,): milli of a slot with that much free share expected never to be used."""

    @property
    def empty(self) -> bool:
        """Whether no accelerator-using shape is known."""
        return bool(self.weight.shape[0] == 0)


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


def _gap_waste(mix: TaskMix) -> FloatArray:
    """Waste of a slot left with g free milli: g minus the best fill by common share sizes.

    Only share sizes that make up at least :data:`_GAP_SIZES` of the mix's shares count,
    because rare sizes are too few to fill the many gaps the common ones leave (810-milli
    tasks, for one, leave far more 190-milli gaps than 160-milli tasks can fill).  A whole
    free accelerator wastes nothing: whole-accelerator tasks take it.
    """
    shares: dict[int, float] = {}
    for s, w in zip(mix.shapes, mix.weights, strict=True):
        if s.shares_accel:
            shares[s.accel_milli] = shares.get(s.accel_milli, 0.0) + w
    total = sum(shares.values())
    sizes = sorted(m for m, w in shares.items() if w >= _GAP_SIZES * total)
    fill = [0] * (MILLI + 1)
    for g in range(1, MILLI + 1):
        best = fill[g - 1]
        for m in sizes:
            if m > g:
                break
            best = max(best, fill[g - m] + m)
        fill[g] = best
    waste = np.arange(MILLI + 1, dtype=np.float64) - np.array(fill, dtype=np.float64)
    waste[MILLI] = 0.0
    return waste


def compile_mix(mix: TaskMix, model_ids: Mapping[str, int]) -> MixArrays:
    """Turn a mix into arrays over ``model_ids`` (name -> id, ids dense from 0)."""
    pairs = tuple(zip(mix.shapes, mix.weights, strict=True))
    gpu = [(s, w) for s, w in pairs if s.num_accel > 0]
    model_ok = np.ones((len(gpu), len(model_ids) + 1), dtype=np.bool_)
    model_ok[:, -1] = False
    for i, (s, _) in enumerate(gpu):
        mask = allowed_mask(s.models, model_ids)
        if mask is not None:
            model_ok[i] = mask
    thresholds = sorted({s.accel_milli for s, _ in gpu})
    classes = sorted({(s.accel_milli, s.num_accel) for s, _ in gpu})
    class_index = {c: k for k, c in enumerate(classes)}
    onehot = np.zeros((len(gpu), len(classes)), dtype=np.float64)
    for i, (s, _) in enumerate(gpu):
        onehot[i, class_index[(s.accel_milli, s.num_accel)]] = 1.0
    weight = np.array([w for _, w in gpu], dtype=np.float64)
    cpu = np.array([s.cpu_milli for s, _ in gpu], dtype=np.int64)
    grid = np.unique(cpu)
    per_grid = np.zeros((grid.shape[0] + 1, len(classes)), dtype=np.float64)
    np.add.at(per_grid, np.searchsorted(grid, cpu) + 1, onehot * weight[:, None])
    gpu_milli = sum(w * s.total_milli for s, w in gpu)
    return MixArrays(
        thresholds=np.array(thresholds, dtype=np.int64),
        class_j=np.array([thresholds.index(m) for m, _ in classes], dtype=np.int64),
        class_num=np.array([n for _, n in classes], dtype=np.int64),
        cpu_grid=grid,
        class_cum=np.cumsum(per_grid, axis=0),
        model_free=not any(s.models for s, _ in gpu),
        cpu=cpu,
        weight=weight,
        model_ok=model_ok,
        onehot=onehot,
        total_weight=float(sum(mix.weights)),
        cpu_per_milli=sum(w * s.cpu_milli for s, w in gpu) / gpu_milli if gpu_milli else 0.0,
        gap_waste=_gap_waste(mix),
    )


# --------------------------------------------------------------------------- feasibility


def feasible(shape: TaskShape, nodes: NodeArrays, allowed: BoolArray | None = None) -> BoolArray:
    """Rows where the task fits: CPU, memory, model, and enough accelerator share.

    A share must fit in one slot's remaining milli; whole accelerators must be entirely free.
    """
    ok = (nodes.free_cpu >= shape.cpu_milli) & (nodes.free_mem >= shape.memory_mib)
    if shape.num_accel == 0:
        return ok
    model_ok: BoolArray = allowed[nodes.model] if allowed is not None else nodes.model >= 0
    fits = np.count_nonzero(nodes.free_milli >= shape.accel_milli, axis=1)
    result: BoolArray = ok & model_ok & (fits >= shape.num_accel)
    return result


def _whole_slots(row: npt.NDArray[np.int32], n: int) -> tuple[int, ...]:
    """The first ``n`` entirely free slots of a row."""
    return tuple(int(i) for i in np.flatnonzero(row == MILLI)[:n])


def _best_slot(row: npt.NDArray[np.int32], milli: int) -> int:
    """The slot with the least free share that still fits ``milli`` (lowest index on ties)."""
    return int(np.argmin(np.where(row >= milli, row, MILLI + 1)))


def _slots(shape: TaskShape, row: npt.NDArray[np.int32], share_slot: int) -> tuple[int, ...]:
    if shape.num_accel == 0:
        return ()
    if shape.shares_accel:
        return (share_slot,)
    return _whole_slots(row, shape.num_accel)


def _best_fit_choice(shape: TaskShape, nodes: NodeArrays, node: int) -> Choice:
    row = nodes.free_milli[node]
    share = _best_slot(row, shape.accel_milli) if shape.shares_accel else -1
    return Choice(node, _slots(shape, row, share))


def _scale(nodes: NodeArrays) -> tuple[float, float]:
    """Normalisers for CPU and accelerators: the largest node of the data center."""
    if len(nodes) == 0:
        return 1.0, 1.0
    return max(float(nodes.cap_cpu.max()), 1.0), max(float(nodes.n_slots.max()) * MILLI, 1.0)


def _free_accel(free: npt.NDArray[np.int32]) -> FloatArray:
    total: FloatArray = np.maximum(free, 0).sum(axis=1, dtype=np.float64)
    return total


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
    """Random: a feasible node uniformly at random, a share on a random fitting slot.

    Without ``rng`` it is first fit (the lowest feasible row, the best-fitting slot).
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if rng is None:
        return _best_fit_choice(shape, nodes, int(rows[0]))
    node = int(rows[rng.integers(rows.shape[0])])
    row = nodes.free_milli[node]
    if shape.shares_accel:
        fitting = np.flatnonzero(row >= shape.accel_milli)
        return Choice(node, (int(fitting[rng.integers(fitting.shape[0])]),))
    return Choice(node, _slots(shape, row, -1))


def bestfit(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """BestFit: the node left with the least, scored as the FGD simulator does:
    ``floor(100 * (1 - left))`` with ``left = 0.5 * cpu_left / cpu_max + 0.5 * accel_left /
    accel_max`` after placing (maxima over the data center's nodes), highest score first;
    a share goes to the fitting slot with the least free share.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    cpu_max, acc_max = _scale(nodes)
    left = (
        0.5 * (nodes.free_cpu[rows] - shape.cpu_milli) / cpu_max
        + 0.5 * (_free_accel(nodes.free_milli[rows]) - shape.total_milli) / acc_max
    )
    score = np.floor(100.0 * (1.0 - left))
    return _best_fit_choice(shape, nodes, int(rows[np.argmax(score)]))


def dotprod(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """DotProd (Tetris, Grandl et al., SIGCOMM 2014, as the FGD simulator configures it):
    the node whose free (CPU, accelerator total) vector has the least dot product with the
    task's demand vector, both normalised by the data center's largest node, scored
    ``floor(100 * (1 - dot / 2))``, highest first; a share goes to the fitting slot with the
    least free share.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    cpu_max, acc_max = _scale(nodes)
    dot = (nodes.free_cpu[rows] / cpu_max) * (shape.cpu_milli / cpu_max) + (
        _free_accel(nodes.free_milli[rows]) / acc_max
    ) * (shape.total_milli / acc_max)
    score = np.floor(100.0 * (1.0 - dot / 2.0))
    return _best_fit_choice(shape, nodes, int(rows[np.argmax(score)]))


def gpupacking(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """GpuPacking: keep idle accelerators and idle nodes whole (the FGD simulator's scores).

    (1) A share that fits on an already partly used accelerator scores
    ``max(100 - free // 100, 50)`` for the one with the least free share; (2) a node in use
    that must give up k entirely free accelerators scores ``max(50 - k, 33)``; (3) an idle
    node with n accelerators scores ``max(33 - n, n)``.  Highest first; CPU-only tasks score
    the same everywhere (first fit).
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if shape.num_accel == 0:
        return Choice(int(rows[0]), ())
    free = nodes.free_milli[rows].astype(np.int64)
    n_slots = nodes.n_slots[rows].astype(np.int64)
    idle_node = np.count_nonzero(free == MILLI, axis=1) == n_slots
    if shape.shares_accel:
        partial = np.where((free >= shape.accel_milli) & (free < MILLI), free, 2 * MILLI)
        least = partial.min(axis=1)
        on_partial = least < MILLI
        shared = np.maximum(100 - least // 100, 50)
        used = 49
    else:
        on_partial = np.zeros(rows.shape[0], dtype=np.bool_)
        shared = np.zeros(rows.shape[0], dtype=np.int64)
        used = max(50 - shape.num_accel, 33)
    score = np.where(
        idle_node, np.maximum(33 - n_slots, n_slots), np.where(on_partial, shared, used)
    )
    return _best_fit_choice(shape, nodes, int(rows[np.argmax(score)]))


# --------------------------------------------------------------------------- fragmentation


def _class_weights(
    mix: MixArrays, cpu: IntArray, model: npt.NDArray[np.int16] | None
) -> FloatArray:
    """(rows, classes): popularity of each class's shapes that may run there CPU- and
    model-wise (``model`` may be None when the mix restricts no model)."""
    if mix.model_free or model is None:
        w: FloatArray = mix.class_cum[np.searchsorted(mix.cpu_grid, cpu, side="right")]
        return w
    ok = (cpu[:, None] >= mix.cpu[None, :]) & mix.model_ok[:, model].T
    return np.asarray((ok * mix.weight) @ mix.onehot, dtype=np.float64)


def _frag_pieces(
    free: npt.NDArray[np.int32], mix: MixArrays
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Per row the free milli F; per (row, class) the slots with at least the class's milli
    and the free milli in them.

    Slots are binned by how many thresholds they reach and counted with ``bincount``, which
    is several times cheaper than a (rows, slots, classes) comparison.
    """
    n, width = free.shape
    bins = mix.thresholds.shape[0] + 1
    key = (
        np.searchsorted(mix.thresholds, free, side="right") + bins * np.arange(n)[:, None]
    ).ravel()
    hist = np.bincount(key, minlength=n * bins).reshape(n, bins)
    whist = np.bincount(key, weights=np.maximum(free, 0).ravel(), minlength=n * bins)
    whist = whist.reshape(n, bins)
    total: FloatArray = whist.sum(axis=1)
    # Bin b holds slots reaching b thresholds; padding and slots below all land in bin 0.
    # Slots reaching threshold j are those outside bins 0..j.
    count_ge: IntArray = width - np.cumsum(hist, axis=1, dtype=np.int64)[:, mix.class_j]
    above: FloatArray = total[:, None] - np.cumsum(whist, axis=1)[:, mix.class_j]
    return total, count_ge, above


def _frag_value(
    total: FloatArray, count_ge: IntArray, above: FloatArray, weights: FloatArray, mix: MixArrays
) -> FloatArray:
    """``F_n(M) = sum_m p_m (F if m cannot run, else the milli in slots too small for m)``.

    ``weights`` holds, per class, the popularity of shapes whose CPU (and model) fit;
    CPU-only shapes and shapes that cannot run count all free milli (``total_weight``).
    """
    usable = (count_ge >= mix.class_num) * weights
    value: FloatArray = total * mix.total_weight - (usable * above).sum(axis=1)
    return value


def fragmentation(nodes: NodeArrays, mix: MixArrays) -> FloatArray:
    """FGD's node fragmentation ``F_n(M)`` for every row, in accelerator milli-units.

    For each shape m of the mix, with popularity p_m: if m cannot run on the node (model,
    CPU, or too few slots with m's milli free), all the node's free accelerator milli is
    fragment; otherwise the free milli in slots too small for m is.  CPU-only shapes count
    all free milli.  Memory is left out, as in FGD.
    """
    total, count_ge, above = _frag_pieces(nodes.free_milli, mix)
    w = _class_weights(mix, nodes.free_cpu, nodes.model)
    return _frag_value(total, count_ge, above, w, mix)


@dataclass(frozen=True, slots=True, eq=False)
class _Candidates:
    """Placements to compare: one per feasible row, or per distinct fitting share value."""

    rows: IndexArray  # node row of each candidate
    gap: IntArray  # free milli of the share's slot before placing (0 when not a share)
    total: FloatArray  # free accelerator milli of the row before placing
    cpu: IntArray  # free CPU of the row before placing
    frag_delta: FloatArray  # growth of F_n(M)


def _candidates(
    shape: TaskShape, nodes: NodeArrays, rows: IndexArray, mix: MixArrays
) -> _Candidates:
    free = nodes.free_milli[rows]
    cpu = nodes.free_cpu[rows]
    model = None if mix.model_free else nodes.model[rows]
    total, count_ge, above = _frag_pieces(free, mix)
    n = rows.shape[0]
    if not shape.shares_accel:
        k = shape.num_accel
        # Before and after in one pass; whole accelerators were >= every threshold.
        both = None if model is None else np.concatenate((model, model))
        w = _class_weights(mix, np.concatenate((cpu, cpu - shape.cpu_milli)), both)
        frag = _frag_value(
            np.concatenate((total, total - k * MILLI)),
            np.concatenate((count_ge, count_ge - k)),
            np.concatenate((above, above - k * MILLI)),
            w,
            mix,
        )
        return _Candidates(rows, np.zeros(n, np.int64), total, cpu, frag[n:] - frag[:n])
    d = shape.accel_milli
    # Equal free values in a row give equal states: one candidate per distinct value.
    vals = -np.sort(-free, axis=1)
    first = np.ones(vals.shape, dtype=np.bool_)
    first[:, 1:] = vals[:, 1:] != vals[:, :-1]
    r, c = np.nonzero(first & (vals >= d))
    v = vals[r, c].astype(np.int64)
    j = mix.class_j[None, :]
    m_before = (j < np.searchsorted(mix.thresholds, v, side="right")[:, None]).astype(np.int64)
    m_after = (j < np.searchsorted(mix.thresholds, v - d, side="right")[:, None]).astype(np.int64)
    both = None if model is None else np.concatenate((model, model[r]))
    w = _class_weights(mix, np.concatenate((cpu, cpu[r] - shape.cpu_milli)), both)
    frag = _frag_value(
        np.concatenate((total, total[r] - d)),
        np.concatenate((count_ge, count_ge[r] - m_before + m_after)),
        np.concatenate((above, above[r] - v[:, None] * m_before + (v - d)[:, None] * m_after)),
        w,
        mix,
    )
    return _Candidates(rows[r], v, total[r], cpu[r], frag[n:] - frag[:n][r])


def _choice(shape: TaskShape, nodes: NodeArrays, cand: _Candidates, key: FloatArray) -> Choice:
    """The candidate with the least key, ties to the lowest row (candidates are row-ordered;
    a row's equal-valued slots collapse to its lowest slot)."""
    i = int(np.argmin(key))
    node = int(cand.rows[i])
    row = nodes.free_milli[node]
    if shape.shares_accel:
        # A row's candidates are contiguous: take the lowest slot among its tied values.
        slot = int(np.flatnonzero(row == cand.gap[i])[0])
        for j in range(i + 1, key.shape[0]):
            if cand.rows[j] != node:
                break
            if key[j] == key[i]:
                slot = min(slot, int(np.flatnonzero(row == cand.gap[j])[0]))
        return Choice(node, (slot,))
    return Choice(node, _slots(shape, row, -1))


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
    measured against the workload mix M is ``F_n(M) = sum_m p_m F_n(m)`` (see
    :func:`fragmentation`).  For every feasible node, and every fitting slot for a share,
    FGD takes ``delta = F_n(M) after - before`` and scores it as the authors' simulator
    does, ``floor(100 * sigmoid(-delta / 1000))``; the highest score wins, ties to the
    first node.  (That integer score lumps deltas ~40 milli apart together, which packs
    better on openb than the exact minimum; see docs/BENCHMARKS.md.)  No mix: best fit.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if mix is None or mix.empty:
        return bestfit(shape, nodes, allowed=allowed)
    cand = _candidates(shape, nodes, rows, mix)
    score = np.floor(100.0 / (1.0 + np.exp(cand.frag_delta / 1000.0)))
    return _choice(shape, nodes, cand, -score)


def computenet(
    shape: TaskShape,
    nodes: NodeArrays,
    *,
    allowed: BoolArray | None = None,
    mix: MixArrays | None = None,
    rng: np.random.Generator | None = None,
) -> Choice | None:
    """computenet: FGD's fragmentation gradient plus two things FGD does not see.

    For each feasible placement (node, and slot for a share) the score, in accelerator
    milli-units, is ``dF + 1.5 * d(stranded) + 10 * d(gap waste)``:

    * ``dF``: growth of FGD's fragmentation ``F_n(M)``.
    * stranded: free accelerator milli the node's free CPU cannot feed at the mix's CPU per
      accelerator milli rho, ``max(0, G - C / rho)``.  FGD notices a CPU shortage only once
      a typical task no longer fits; this term sees the node drifting towards one, so
      CPU-hungry tasks go to CPU-rich nodes and CPU-only tasks leave CPU-poor ones alone.
      (Its mirror, CPU the accelerators cannot use, differs from it by a constant per task,
      so it would not change the ranking.)
    * gap waste, for shares: the slot's free share that the mix's common share sizes can
      never fill (:func:`_gap_waste`), after minus before.  It pairs a 230 with a 470 gap
      rather than a 350 one, which FGD's one-task lookahead prefers.

    Scores within the same 40-milli band tie and the lowest row wins, so load consolidates
    on the first nodes and later nodes stay whole for large gangs.  No mix: best fit.
    """
    rows = np.flatnonzero(feasible(shape, nodes, allowed))
    if rows.shape[0] == 0:
        return None
    if mix is None or mix.empty:
        return bestfit(shape, nodes, allowed=allowed)
    cand = _candidates(shape, nodes, rows, mix)
    return _choice(shape, nodes, cand, _computenet_keys(shape, cand, mix))


def _computenet_keys(shape: TaskShape, cand: _Candidates, mix: MixArrays) -> FloatArray:
    """computenet's key of every candidate (lower wins): the score in 40-milli bands."""
    score = cand.frag_delta
    rho = mix.cpu_per_milli
    if rho > 0:
        x = cand.total - cand.cpu / rho
        step = shape.total_milli - shape.cpu_milli / rho
        score = score + _STRANDED * (np.maximum(x - step, 0.0) - np.maximum(x, 0.0))
    if shape.shares_accel:
        waste = mix.gap_waste
        score = score + _GAP_VALUE * (waste[cand.gap - shape.accel_milli] - waste[cand.gap])
    keys: FloatArray = np.round(score / _BAND)
    return keys


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
