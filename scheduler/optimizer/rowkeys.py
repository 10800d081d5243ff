"""computenet's verdict on each node row by itself, so a caller can rescore only rows that change.

The ``computenet`` packing policy (``scheduler.optimizer.packing``) scores every feasible
placement from the state of its own node row alone (free slots, free CPU and memory, model)
and picks the least key, lowest row on ties, and within the row the lowest slot among its
tied placements.  So the policy's choice equals: per row, the least key of the row's
placements and the slot that goes with it; then the least row key.  A caller that keeps
those per-row verdicts (the capacity ledger does, per data center and task shape) needs to
recompute only the rows that changed since it last looked.

:func:`row_keys` computes the verdicts of many rows with numpy, for a first look or many
changed rows; :func:`row_key` computes one row in plain Python, which costs a few
microseconds where numpy's fixed cost per call makes even a one-row vector pass cost tens.
Both follow the policy's arithmetic step by step; with weights that are exact binary
fractions they agree bit for bit (tests/scheduler/optimizer/test_rowkeys.py), otherwise
summation order may move a score by an ulp, which changes a key only for a score that sits
exactly on a band edge.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from scheduler.optimizer.packing import (
    _BAND,
    _GAP_VALUE,
    _STRANDED,
    MILLI,
    BoolArray,
    Choice,
    FloatArray,
    IndexArray,
    IntArray,
    MixArrays,
    NodeArrays,
    TaskShape,
    _candidates,
    _computenet_keys,
    _slots,
    feasible,
)

__all__ = ["NO_SLOT", "RowMix", "row_key", "row_keys", "verdict_choice"]

NO_SLOT = -1
"""Slot of a verdict that takes no share (whole accelerators, CPU only, or nothing fits)."""

_NO_TIE = np.iinfo(np.int64).max


@dataclass(frozen=True, slots=True, eq=False)
class RowMix:
    """A :class:`MixArrays` as Python lists, for :func:`row_key`."""

    mix: MixArrays
    """The compiled mix these lists come from."""
    class_t: tuple[int, ...]
    """Per class, the per-accelerator milli its tasks ask for."""
    t_desc: tuple[int, ...]
    """The distinct values of ``class_t``, largest first."""
    class_tj: tuple[int, ...]
    """Per class, the index of its milli in ``t_desc``."""
    class_num: tuple[int, ...]
    """Per class, the accelerators its tasks take."""
    cpu_grid: tuple[int, ...]
    """Distinct CPU milli of the accelerator-using shapes, ascending."""
    class_cum: tuple[tuple[float, ...], ...]
    """``mix.class_cum`` row by row."""
    shapes: tuple[tuple[int, float, int, tuple[bool, ...]], ...]
    """Per accelerator-using shape: CPU milli, popularity, class, allowed per model id."""
    gap_waste: tuple[float, ...]
    """``mix.gap_waste``."""

    @classmethod
    def of(cls, mix: MixArrays) -> RowMix:
        onehot = mix.onehot.argmax(axis=1).tolist() if mix.onehot.shape[1] else []
        class_t = tuple(int(mix.thresholds[j]) for j in mix.class_j.tolist())
        t_desc = tuple(sorted(set(class_t), reverse=True))
        return cls(
            mix=mix,
            class_t=class_t,
            t_desc=t_desc,
            class_tj=tuple(t_desc.index(t) for t in class_t),
            class_num=tuple(mix.class_num.tolist()),
            cpu_grid=tuple(mix.cpu_grid.tolist()),
            class_cum=tuple(tuple(r) for r in mix.class_cum.tolist()),
            shapes=tuple(
                (c, w, k, tuple(ok))
                for c, w, k, ok in zip(
                    mix.cpu.tolist(),
                    mix.weight.tolist(),
                    onehot,
                    mix.model_ok.tolist(),
                    strict=True,
                )
            ),
            gap_waste=tuple(mix.gap_waste.tolist()),
        )

    def weights(self, cpu: int, model: int) -> list[float]:
        """Per class, the popularity of its shapes that fit ``cpu`` (and ``model``)."""
        if self.mix.model_free:
            return list(self.class_cum[bisect_right(self.cpu_grid, cpu)])
        w = [0.0] * len(self.class_t)
        for c, p, k, ok in self.shapes:
            if cpu >= c and ok[model]:
                w[k] += p
        return w

    def value(self, total: float, count: list[int], above: list[float], w: list[float]) -> float:
        """FGD's fragmentation ``F_n(M)`` of one row from its pieces."""
        used = 0.0
        for k, n in enumerate(self.class_num):
            if count[k] >= n:
                used += w[k] * above[k]
        return total * self.mix.total_weight - used


def row_keys(
    shape: TaskShape,
    nodes: NodeArrays,
    rows: IndexArray,
    allowed: BoolArray | None,
    mix: MixArrays,
) -> tuple[FloatArray, IntArray]:
    """computenet's verdict on each of ``rows`` (ascending): the key of the row's best
    placement (+inf where the task does not fit) and, for a share, its slot (else NO_SLOT).

    ``mix`` must hold at least one accelerator-using shape (without one the policy is best
    fit, which compares rows with the data center's largest node).
    """
    key = np.full(rows.shape[0], np.inf)
    slot = np.full(rows.shape[0], NO_SLOT, dtype=np.int64)
    ok = feasible(shape, nodes, allowed)[rows]
    pos = np.flatnonzero(ok)
    if pos.shape[0] == 0:
        return key, slot
    cand = _candidates(shape, nodes, rows[pos], mix)
    k = _computenet_keys(shape, cand, mix)
    if not shape.shares_accel:
        key[pos] = k  # one placement per row
        return key, slot
    # A row's placements are contiguous and every feasible row has at least one.
    new_row = cand.rows[1:] != cand.rows[:-1]
    starts = np.flatnonzero(np.concatenate(([True], new_row)))
    best = np.minimum.reduceat(k, starts)
    group = np.concatenate(([0], np.cumsum(new_row)))
    first = np.argmax(nodes.free_milli[cand.rows] == cand.gap[:, None], axis=1)
    tied = np.where(k == best[group], first, _NO_TIE)
    key[pos] = best
    slot[pos] = np.minimum.reduceat(tied, starts)
    return key, slot


def row_key(
    shape: TaskShape, nodes: NodeArrays, row: int, allowed: BoolArray | None, rm: RowMix
) -> tuple[float, int]:
    """:func:`row_keys` of one row, in plain Python."""
    cpu = int(nodes.free_cpu[row])
    if cpu < shape.cpu_milli or int(nodes.free_mem[row]) < shape.memory_mib:
        return math.inf, NO_SLOT
    model = int(nodes.model[row])
    free: list[int] = nodes.free_milli[row].tolist()
    d, n_acc = shape.accel_milli, shape.num_accel
    held = sorted((f for f in free if f > 0), reverse=True)
    if n_acc:
        if not (bool(allowed[model]) if allowed is not None else model >= 0):
            return math.inf, NO_SLOT
        if len(held) < n_acc or held[n_acc - 1] < d:  # fewer than n_acc slots with d free
            return math.inf, NO_SLOT
    total = float(sum(held))
    # Slots with at least t free and their free milli, for every threshold in one pass.
    n_ge: list[int] = []
    sum_ge: list[float] = []
    i = n = run = 0
    for t in rm.t_desc:
        while i < len(held) and held[i] >= t:
            run += held[i]
            n += 1
            i += 1
        n_ge.append(n)
        sum_ge.append(float(run))
    count = [n_ge[j] for j in rm.class_tj]
    above = [sum_ge[j] for j in rm.class_tj]
    before = rm.value(total, count, above, rm.weights(cpu, model))
    w = rm.weights(cpu - shape.cpu_milli, model)
    stranded = 0.0
    rho = rm.mix.cpu_per_milli
    if rho > 0:
        x = total - cpu / rho
        step = shape.total_milli - shape.cpu_milli / rho
        stranded = _STRANDED * (max(x - step, 0.0) - max(x, 0.0))
    if not shape.shares_accel:
        taken = n_acc * MILLI  # whole accelerators were at or above every threshold
        after = rm.value(total - taken, [c - n_acc for c in count], [a - taken for a in above], w)
        return float(round((after - before + stranded) / _BAND)), NO_SLOT
    waste = rm.gap_waste
    best, best_slot = math.inf, NO_SLOT
    for v in sorted({f for f in free if f >= d}, reverse=True):
        cnt, abv = list(count), list(above)
        for k, t in enumerate(rm.class_t):
            if v >= t:
                cnt[k] -= 1
                abv[k] -= v
            if v - d >= t:
                cnt[k] += 1
                abv[k] += v - d
        after = rm.value(total - d, cnt, abv, w)
        score = after - before + stranded
        score = score + _GAP_VALUE * (waste[v - d] - waste[v])
        key = float(round(score / _BAND))
        s = free.index(v)
        if key < best or (key == best and s < best_slot):
            best, best_slot = key, s
    return best, best_slot


def verdict_choice(shape: TaskShape, nodes: NodeArrays, row: int, slot: int) -> Choice:
    """The placement a row's verdict stands for: its share ``slot``, or for whole
    accelerators the row's first free ones, as the policy picks them."""
    return Choice(row, _slots(shape, nodes.free_milli[row], slot))
