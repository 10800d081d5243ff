"""Online data-center choice: a weighted, normalised score over the candidates of one job.

Pure (numpy): ``score(values, feasible, weights)`` min-max normalises each term over the
feasible candidates (0 = best among them, 1 = worst; a term on which all agree is 0 for all),
weighs the terms, and ranks the feasible candidates by the sum, lowest first. Ties keep the
input order, so the caller's order (e.g. by data center id) makes results deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["TERMS", "Ranking", "score"]

TERMS = (
    ("latency", "ms"),
    ("energy_cost", "CNY"),
    ("carbon", "kg CO2"),
    ("utilization", "fraction left idle"),
)
"""The score terms, in column order, with their units."""

FloatArray = npt.NDArray[np.float64]
_MIN, _MAX = np.minimum.reduce, np.maximum.reduce


@dataclass(frozen=True, slots=True, eq=False)
class Ranking:
    """Scores of every candidate and the feasible ones best first."""

    order: npt.NDArray[np.int64]
    """Indices of the feasible candidates, best (lowest score) first."""
    scores: FloatArray
    """Score per candidate; +inf where infeasible."""
    normalized: FloatArray
    """(candidates, terms) normalised values; 0 where infeasible."""


def score(values: FloatArray, feasible: npt.NDArray[np.bool_], weights: FloatArray) -> Ranking:
    """Rank candidates: ``values`` is (n, len(TERMS)) raw term values, ``weights`` (len(TERMS),)."""
    # Called on every decision with about a hundred candidates, where numpy's per-call cost
    # outweighs the arithmetic: ufunc methods and in-place steps skip wrappers and copies.
    n = values.shape[0]
    normalized = np.zeros((n, values.shape[1]), dtype=np.float64)
    scores = np.full(n, np.inf)
    idx = feasible.nonzero()[0]
    if idx.size == 0:
        return Ranking(idx.astype(np.int64, copy=False), scores, normalized)
    norm = values[idx]  # a copy: normalised in place below
    lo = _MIN(norm, axis=0)
    span = _MAX(norm, axis=0)
    span -= lo
    # A term on which all candidates agree carries no information: dividing by +inf makes it 0.
    span[span <= 0] = np.inf
    norm -= lo
    norm /= span
    normalized[idx] = norm
    feasible_scores = norm @ weights
    scores[idx] = feasible_scores
    order = idx[feasible_scores.argsort(kind="stable")]
    return Ranking(order.astype(np.int64, copy=False), scores, normalized)
