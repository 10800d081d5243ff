"""Online placement of one job: hard constraints, the data-center score and node packing,
vectorised over the (data center, accelerator model) candidates, and the explanation.

Per call the work is O(candidates) numpy plus one ledger packing attempt per tried data
center; what depends only on the inventory (per-data-center prices, grid factors, RTTs from a
region, the residency and latency verdicts) is cached per constraint signature and dropped
whenever the inventory changes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from inventory.domain import AcceleratorModel, DataCenter, DataCenterState, Region
from scheduler import ledger as ledger_mod
from scheduler.domain import (
    DEFAULT_UTILIZATION,
    Allocation,
    Candidate,
    EnergyEstimate,
    Explanation,
    JobKind,
    JobSpec,
    LatencyEstimate,
    PendingReason,
    Placement,
    Policy,
    ScoreTerm,
)
from scheduler.energy import CPU_WATTS_PER_CORE
from scheduler.latency import estimate_rtt_ms
from scheduler.ledger import Ledger
from scheduler.optimizer.online import TERMS, Ranking, score
from scheduler.optimizer.packing import TaskShape

__all__ = ["Cands", "Outcome", "Placer"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Why a candidate is out, in the order the checks run.
OK, INACTIVE, RESIDENCY, LATENCY, QUOTA, CAPACITY, FRAGMENTED = range(7)
_CATEGORY = {
    INACTIVE: PendingReason.CAPACITY,
    RESIDENCY: PendingReason.RESIDENCY,
    LATENCY: PendingReason.LATENCY,
    QUOTA: PendingReason.QUOTA,
    CAPACITY: PendingReason.CAPACITY,
    FRAGMENTED: PendingReason.CAPACITY,
}
_CONSTRAINT = {
    INACTIVE: "data center state",
    RESIDENCY: "residency",
    LATENCY: "latency",
    QUOTA: "quota",
    CAPACITY: "capacity",
    FRAGMENTED: "capacity",
}
_RTT, _COST, _CARBON, _IDLE = range(4)  # columns of Cands.terms, in TERMS order
(
    (_LATENCY, _LATENCY_UNIT),
    (_COST_NAME, _COST_UNIT),
    (_CARBON_NAME, _CARBON_UNIT),
    (_IDLE_NAME, _IDLE_UNIT),
) = TERMS
_IT_KWH, _KWH, _PUE, _MEASURED, _ESTIMATED = range(5)  # columns of Cands.facts
_ALTERNATIVES = 4
_PUE_REFRESH_S = 1.0
_FIXED_CACHE_SIZE = 4096
_FIXED_TERMS_SIZE = 4096  # per job class; a class sees a few dozen in practice

PueLookup = Callable[[DataCenter], tuple[float, bool]]
_FixedTerms = tuple[ScoreTerm, ScoreTerm, ScoreTerm]
TryPlace = Callable[[str, TaskShape, int], "tuple[ledger_mod.Allocation, ...] | None"]


@dataclass(slots=True, eq=False)
class _ClassMemo:
    """What a job class's decisions build once and share: none of it depends on the free
    capacity. Filled as candidates are first shown."""

    estimates: dict[int, tuple[EnergyEstimate, LatencyEstimate | None]] = field(
        default_factory=dict
    )
    """Per candidate, its energy and latency."""
    shapes: dict[str, TaskShape] = field(default_factory=dict)
    """Per model, the task shape of one replica."""
    fixed_terms: dict[tuple[int, float, float, float, float, float, float], _FixedTerms] = field(
        default_factory=dict
    )
    """Per (candidate, normalised values and weights of the latency, cost and carbon terms),
    those three score terms. Their raw values hold for the whole class, and their normalised
    values change only when the set of feasible candidates does, so most decisions share
    them."""


@dataclass(slots=True, eq=False)
class Cands:
    """The candidates of one job as parallel arrays (one entry per (data center, model))."""

    dc: IntArray
    """Index into ``Placer.dc_ids``."""
    model: list[str]
    """Model id per candidate ('' for CPU-only jobs)."""
    code: IntArray
    """OK or the first check that ruled it out."""
    has_region: bool
    """Whether the job has a region to measure RTT from."""
    quota_key: list[str]
    """For QUOTA: which limit."""
    terms: FloatArray
    """(candidates, len(TERMS)) the score terms' raw values, columns ``_RTT`` (from the job's
    user or data region, 0 when it has none), ``_COST`` (CNY), ``_CARBON`` (kg CO2) and
    ``_IDLE`` (share of the pool left idle after placing)."""
    facts: FloatArray
    """(candidates, 5) the rest of what an explanation shows, columns ``_IT_KWH`` and ``_KWH``
    (IT and facility energy of the whole run), ``_PUE`` (applied), ``_MEASURED`` (1 when that
    PUE is measured, 0 for design) and ``_ESTIMATED`` (1 when the RTT is a distance
    estimate): side by side, so an explanation reads its few candidates in one go."""
    static_code: IntArray
    """The verdicts that hold for the whole job class (OK, state, residency, latency);
    ``code`` adds quota and capacity to them per decision."""
    static_ruled: Mapping[str, frozenset[int]]
    """Per constraint, the data centers ``static_code`` rules out."""
    memo: _ClassMemo
    """What the explanations of the job class share (one object for all its decisions)."""

    def __len__(self) -> int:
        return int(self.dc.shape[0])

    def values(self) -> FloatArray:
        return self.terms


@dataclass(frozen=True, slots=True)
class Outcome:
    """One decision: where (or nothing), what the ledger took, and why."""

    placement: Placement | None
    """Where, or None when the job waits."""
    allocations: tuple[ledger_mod.Allocation, ...]
    """What the ledger took."""
    explanation: Explanation
    """Why."""


@dataclass(frozen=True, slots=True, eq=False)
class _Fixed:
    """A job class's candidates before the ledger's free capacity is read. Shared by every
    decision of the class: its arrays are read-only."""

    base: Cands
    """The candidates with their static verdicts (state, residency, latency); the idle share
    and ``quota_key`` are filled per decision."""
    rows: IntArray
    """Ledger row of each candidate's data center."""
    cols: IntArray | None
    """Ledger model column of each candidate; None for CPU-only jobs."""
    need: float
    """Milli-units (CPU milli-cores for CPU-only jobs) the whole gang needs."""
    need_cpu: int
    need_mem: int
    total: FloatArray
    """Installed milli-units (CPU milli-cores) of each candidate's pool; +inf where none, so
    that its idle share comes out 0."""


@dataclass(frozen=True, slots=True)
class _Static:
    dc_ids: tuple[str, ...]
    dcs: tuple[DataCenter, ...]
    active: npt.NDArray[np.bool_]
    price: FloatArray
    grid: FloatArray
    provinces: tuple[str, ...]
    regions: tuple[str, ...]


class Placer:
    """Chooses a data center and nodes for one job over shared engine state."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        dcs: Mapping[str, DataCenter],
        models: Mapping[str, AcceleratorModel],
        regions: Mapping[str, Region],
        links: Mapping[tuple[str, str], float],
        quotas: Mapping[str, Mapping[str, float]],
        usage: Mapping[str, Mapping[str, int]],
        pue: PueLookup,
        try_place: TryPlace,
    ) -> None:
        self._ledger = ledger
        self._dcs = dcs
        self._models = models
        self._regions = regions
        self._links = links
        self._quotas = quotas
        self._usage = usage
        self._pue = pue
        self._try_place = try_place
        self._static: _Static | None = None
        self._layout_cache: tuple[tuple[int, int], IntArray, dict[str, int]] | None = None
        self._pue_cache: tuple[float, FloatArray, npt.NDArray[np.bool_]] | None = None
        self._region_cache: dict[
            tuple[Any, ...], tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]
        ] = {}
        self._model_cache: dict[tuple[Any, ...], list[str]] = {}
        self._rtt: dict[tuple[str, str], LatencyEstimate] = {}
        self._fixed_cache: dict[tuple[Any, ...], _Fixed] = {}
        self._fixed_stamp: tuple[float, int] | None = None
        self._weights: dict[Policy, FloatArray] = {}

    def invalidate(self) -> None:
        """Forget everything derived from the inventory (call after any inventory change)."""
        self._static = None
        self._layout_cache = None
        self._pue_cache = None
        self._region_cache.clear()
        self._model_cache.clear()
        self._rtt.clear()
        self._fixed_cache.clear()

    @property
    def dc_ids(self) -> tuple[str, ...]:
        return self._statics().dc_ids

    def _statics(self) -> _Static:
        if self._static is None:
            ids = tuple(sorted(self._dcs))
            dcs = tuple(self._dcs[i] for i in ids)
            self._static = _Static(
                dc_ids=ids,
                dcs=dcs,
                active=np.array([d.state is DataCenterState.ACTIVE for d in dcs], dtype=bool),
                price=np.array([d.electricity_price_cny_per_kwh for d in dcs], dtype=np.float64),
                grid=np.array([d.grid_carbon_g_per_kwh for d in dcs], dtype=np.float64),
                provinces=tuple(d.province for d in dcs),
                regions=tuple(d.region for d in dcs),
            )
        return self._static

    # -- inputs that depend on the inventory only ---------------------------------------------

    def eligible_models(self, spec: JobSpec) -> list[str]:
        """Model ids the job accepts ([''] for a CPU-only job)."""
        r = spec.replica
        key = (
            r.accelerator_count > 0 or r.accelerator_milli > 0,
            r.accelerator_models,
            r.min_accelerator_memory_gib,
            r.min_fp16_tflops,
        )
        cached = self._model_cache.get(key)
        if cached is None:
            if not key[0]:
                cached = [""]
            else:
                wanted = set(r.accelerator_models)
                cached = sorted(
                    m.id
                    for m in self._models.values()
                    if (not wanted or m.id in wanted)
                    and m.memory_gib >= r.min_accelerator_memory_gib
                    and m.fp16_tflops >= r.min_fp16_tflops
                )
            self._model_cache[key] = cached
        return cached

    def rtt(self, region: str, dc: DataCenter) -> LatencyEstimate:
        """RTT from a region to a data center: the recorded link, else the distance estimate."""
        key = (region, dc.id)
        cached = self._rtt.get(key)
        if cached is None:
            if key in self._links:
                cached = LatencyEstimate(self._links[key], False)
            else:
                r = self._regions[region]
                cached = LatencyEstimate(
                    estimate_rtt_ms(r.latitude, r.longitude, dc.latitude, dc.longitude), True
                )
            self._rtt[key] = cached
        return cached

    def _region_checks(self, spec: JobSpec) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
        """Per data center: the first static check that fails (state, residency, latency),
        the RTT from the job's region and whether it is estimated."""
        region = spec.user_region or spec.data_region
        key = (
            region,
            spec.user_region,
            spec.max_rtt_ms,
            spec.residency.allowed_provinces,
            spec.residency.allowed_regions,
        )
        cached = self._region_cache.get(key)
        if cached is not None:
            return cached
        st = self._statics()
        n = len(st.dcs)
        code = np.where(st.active, OK, INACTIVE).astype(np.int64)
        provinces = set(spec.residency.allowed_provinces)
        regions = set(spec.residency.allowed_regions)
        rtt = np.zeros(n)
        estimated = np.zeros(n, dtype=bool)
        for i, dc in enumerate(st.dcs):
            if region:
                est = self.rtt(region, dc)
                rtt[i], estimated[i] = est.rtt_ms, est.estimated
            if code[i] != OK:
                continue
            if (provinces and dc.province not in provinces) or (
                regions and dc.region not in regions
            ):
                code[i] = RESIDENCY
            elif (
                spec.max_rtt_ms
                and spec.user_region
                and self.rtt(spec.user_region, dc).rtt_ms > spec.max_rtt_ms
            ):
                code[i] = LATENCY
        cached = (code, rtt, estimated)
        self._region_cache[key] = cached
        return cached

    # -- candidates ---------------------------------------------------------------------------

    def candidates(self, tenant: str, spec: JobSpec, *, capacity: bool = True) -> Cands:
        """Every (data center, model) with the model installed, and its verdict and terms."""
        fx = self._fixed(spec)
        table = self._ledger.capacity_view()
        rows = fx.rows
        free = table.free_cpu[rows] if fx.cols is None else table.free_milli[rows, fx.cols]
        need = fx.need
        code = fx.base.code.copy()
        n = len(code)
        quota_key = [""] * n
        if fx.cols is not None:
            limits = self._quotas.get(tenant, {})
            usage = self._usage.get(tenant, {})
            for key in limits:
                if usage.get(key, 0) + need > limits[key] * 1000 + 1e-9:
                    hit = (code == OK) & (
                        np.ones(n, dtype=bool)
                        if key == "*"
                        else np.array([m == key for m in fx.base.model], dtype=bool)
                    )
                    code[hit] = QUOTA
                    for i in np.flatnonzero(hit):
                        quota_key[i] = key
        if capacity:
            short = (
                (free < need)
                | (table.free_cpu[rows] < fx.need_cpu)
                | (table.free_mem[rows] < fx.need_mem)
            )
            code[(code == OK) & short] = CAPACITY
        terms = fx.base.terms.copy()
        terms[:, _IDLE] = (free - need) / fx.total
        b = fx.base  # spelled out: dataclasses.replace costs several times a constructor
        return Cands(
            dc=b.dc,
            model=b.model,
            code=code,
            has_region=b.has_region,
            quota_key=quota_key,
            terms=terms,
            facts=b.facts,
            static_code=b.static_code,
            static_ruled=b.static_ruled,
            memo=b.memo,
        )

    def _fixed(self, spec: JobSpec) -> _Fixed:
        """The part of a job's candidates that the ledger's free capacity does not change,
        cached per job class (what the candidates depend on in the spec) until the inventory,
        the ledger's nodes or the PUE change."""
        st = self._statics()
        read_at, pue, measured = self._pues(st)
        stamp = (read_at, self._ledger.layout_version)
        if self._fixed_stamp != stamp:
            self._fixed_cache.clear()
            self._fixed_stamp = stamp
        r = spec.replica
        key = (
            spec.kind,
            spec.replicas,
            r,
            spec.expected_utilization,
            spec.expected_duration,
            spec.user_region,
            spec.data_region,
            spec.max_rtt_ms,
            spec.residency,
        )
        fx = self._fixed_cache.get(key)
        if fx is None:
            if len(self._fixed_cache) >= _FIXED_CACHE_SIZE:
                self._fixed_cache.clear()  # an unusual spread of job shapes: start over
            fx = self._fixed_cache[key] = self._build_fixed(st, spec, pue, measured)
        return fx

    def _build_fixed(
        self, st: _Static, spec: JobSpec, pue: FloatArray, measured: npt.NDArray[np.bool_]
    ) -> _Fixed:
        models = self.eligible_models(spec)
        table = self._ledger.capacity_view()
        dc_rows, col_of = self._layout(st, table.dcs, table.models)
        present_dc = dc_rows >= 0
        r = spec.replica
        cols: IntArray | None
        if models == [""]:
            di = np.flatnonzero(present_dc & (table.cap_cpu[np.maximum(dc_rows, 0)] > 0))
            cand_models = [""] * len(di)
            cols = None
            need = float(spec.replicas * r.cpu_milli)
            board = np.zeros(len(di))
            scale = np.ones(len(di))
        else:
            model_cols = np.array([col_of.get(m, -1) for m in models], dtype=np.int64)
            known = model_cols >= 0
            model_cols = model_cols[known]
            kept = [m for m, k in zip(models, known, strict=True) if k]
            safe_rows = np.maximum(dc_rows, 0)
            inst = (
                table.total[safe_rows][:, model_cols]
                if len(model_cols)
                else np.zeros((len(dc_rows), 0))
            )
            inst = np.where(present_dc[:, None], inst, 0)
            di, mj = np.nonzero(inst > 0)
            cand_models = [kept[j] for j in mj.tolist()]
            cols = model_cols[mj]
            need = float(spec.replicas * r.milli)
            tflops = np.array([self._models[m].fp16_tflops for m in kept])
            board = np.array([self._models[m].board_power_w for m in kept])[mj]
            if spec.kind is JobKind.TRAINING and len(kept):
                scale = (tflops.max() / tflops)[mj]
            else:
                scale = np.ones(len(di))
        static_code, rtt_all, est_all = self._region_checks(spec)
        util = spec.expected_utilization or DEFAULT_UTILIZATION
        hours = spec.expected_duration.total_seconds() / 3600.0
        per_replica_w = r.accelerators * board * util + r.cpu_milli / 1000 * CPU_WATTS_PER_CORE
        it_kwh = spec.replicas * per_replica_w / 1000.0 * hours * scale
        kwh = it_kwh * pue[di]
        if cols is None:
            total = table.cap_cpu[dc_rows[di]].astype(np.float64)
        else:
            total = table.total[dc_rows[di], cols].astype(np.float64) * 1000
        total[total <= 0] = np.inf
        code = static_code[di]
        base = Cands(
            dc=di.astype(np.int64),
            model=cand_models,
            code=code,
            has_region=bool(spec.user_region or spec.data_region),
            quota_key=[],
            terms=np.column_stack(
                (rtt_all[di], kwh * st.price[di], kwh * st.grid[di] / 1000.0, np.zeros(len(di)))
            ),
            facts=np.column_stack((it_kwh, kwh, pue[di], measured[di], est_all[di])),
            static_code=code,
            static_ruled={},
            memo=_ClassMemo(),
        )
        ruled: dict[str, set[int]] = {}
        for i in np.flatnonzero(base.static_code != OK).tolist():
            ruled.setdefault(_CONSTRAINT[int(base.static_code[i])], set()).add(int(base.dc[i]))
        base.static_ruled = {k: frozenset(v) for k, v in ruled.items()}
        rows = dc_rows[di]
        for a in (
            rows,
            cols,
            base.dc,
            base.code,
            base.terms,
            base.facts,
            total,
        ):
            if a is not None:
                a.setflags(write=False)  # shared by every decision of the class
        return _Fixed(
            base,
            rows,
            cols,
            need,
            spec.replicas * r.cpu_milli,
            spec.replicas * r.memory_mib,
            total,
        )

    def _layout(
        self, st: _Static, ledger_dcs: tuple[str, ...], ledger_models: tuple[str, ...]
    ) -> tuple[IntArray, dict[str, int]]:
        """Ledger row of each data center (-1 without nodes) and ledger column of each model."""
        key = (len(ledger_dcs), len(ledger_models))
        if self._layout_cache is None or self._layout_cache[0] != key:
            row_of = {dc: i for i, dc in enumerate(ledger_dcs)}
            rows = np.array([row_of.get(d, -1) for d in st.dc_ids], dtype=np.int64)
            self._layout_cache = (key, rows, {m: j for j, m in enumerate(ledger_models)})
        return self._layout_cache[1], self._layout_cache[2]

    def _pues(self, st: _Static) -> tuple[float, FloatArray, npt.NDArray[np.bool_]]:
        """When read, and the PUE and whether measured per data center; re-read at most once
        a second."""
        now = time.monotonic()
        if self._pue_cache is None or now - self._pue_cache[0] > _PUE_REFRESH_S:
            values = [self._pue(dc) for dc in st.dcs]
            self._pue_cache = (
                now,
                np.array([v for v, _ in values], dtype=np.float64),
                np.array([m for _, m in values], dtype=bool),
            )
        return self._pue_cache

    def rank(self, cands: Cands, policy: Policy) -> Ranking:
        weights = self._weights.get(policy)
        if weights is None:
            weights = np.array(
                [policy.latency, policy.energy_cost, policy.carbon, policy.utilization]
            )
            self._weights[policy] = weights
        return score(cands.values(), cands.code == OK, weights)

    # -- the decision -------------------------------------------------------------------------

    def decide(
        self,
        tenant: str,
        spec: JobSpec,
        policy: Policy,
        now: datetime,
        *,
        only: tuple[str, str] | None = None,
    ) -> Outcome:
        """Choose a data center and nodes; the ledger keeps what it took (release it to undo)."""
        st = self._statics()
        cands = self.candidates(tenant, spec)
        if only is not None:
            keep = np.array(
                [
                    st.dc_ids[d] == only[0] and m == only[1]
                    for d, m in zip(cands.dc, cands.model, strict=True)
                ],
                dtype=bool,
            )
            cands.code[~keep] = np.where(cands.code[~keep] == OK, CAPACITY, cands.code[~keep])
        ranking = self.rank(cands, policy)
        chosen: int | None = None
        allocs: tuple[ledger_mod.Allocation, ...] = ()
        for i in ranking.order:
            i = int(i)
            got = self._try_place(
                st.dc_ids[cands.dc[i]], _shape(cands, spec, cands.model[i]), spec.replicas
            )
            if got is None:
                cands.code[i] = FRAGMENTED
                continue
            chosen, allocs = i, got
            break
        if chosen is None:
            return Outcome(None, (), self.explain(policy, cands, ranking, None, None))
        energy, latency = _estimates(cands, chosen)
        explanation = self.explain(policy, cands, ranking, chosen, energy)
        dc_id = st.dc_ids[cands.dc[chosen]]
        placement = Placement(
            data_center=dc_id,
            accelerator_model=cands.model[chosen],
            allocations=tuple(
                Allocation(
                    dc_id, a.node_id.split("/", 1)[1], a.slots, a.milli, a.cpu_milli, a.memory_mib
                )
                for a in allocs
            ),
            energy=energy,
            latency=latency,
            place_time=now,
        )
        return Outcome(placement, allocs, explanation)

    def options(self, tenant: str, spec: JobSpec, policy: Policy) -> list[tuple[str, str, float]]:
        """(data center, model, online score) of every candidate that passes every check but
        capacity, best first: what the batch optimizer may choose from."""
        st = self._statics()
        cands = self.candidates(tenant, spec, capacity=False)
        ranking = self.rank(cands, policy)
        return [
            (st.dc_ids[cands.dc[int(i)]], cands.model[int(i)], float(ranking.scores[int(i)]))
            for i in ranking.order
            if cands.model[int(i)]
        ]

    # -- explanation --------------------------------------------------------------------------

    def _reason(self, c: Cands, i: int, spec_region: str = "") -> str:
        code = int(c.code[i])
        st = self._statics()
        if code == OK:
            return ""
        if code == INACTIVE:
            return f"data center is {st.dcs[c.dc[i]].state.name.lower()}"
        if code == RESIDENCY:
            return "residency: outside the allowed provinces or regions"
        if code == LATENCY:
            return f"latency: RTT {c.terms[i, _RTT]:.1f} ms is over the limit"
        if code == QUOTA:
            key = c.quota_key[i]
            return f"quota: the tenant's limit for {key} would be exceeded"
        if code == CAPACITY:
            return "capacity: not enough free accelerators, CPU or memory"
        return "capacity: no set of nodes fits the gang (fragmented)"

    def explain(
        self,
        policy: Policy,
        c: Cands,
        ranking: Ranking,
        chosen: int | None,
        chosen_energy: EnergyEstimate | None,
    ) -> Explanation:
        """Why ``chosen`` (or why nothing); ``chosen_energy`` is its energy, which the
        placement carries too."""
        st = self._statics()
        out_idx = np.flatnonzero(c.code != OK)
        # Quota and capacity verdicts only ever replace OK: add them to the class's own.
        ruled: Mapping[str, frozenset[int]] = c.static_ruled
        added = np.flatnonzero(c.code != c.static_code)
        if len(added):
            extra: dict[str, list[int]] = {}
            for code, dc in zip(c.code[added].tolist(), c.dc[added].tolist(), strict=True):
                extra.setdefault(_CONSTRAINT[code], []).append(dc)
            more = dict(ruled)
            for what, dcs in extra.items():
                more[what] = more.get(what, frozenset()).union(dcs)
            ruled = more
        binding_t = tuple(
            f"{what} ruled out {len(dcs)} data center(s)" for what, dcs in sorted(ruled.items())
        )
        if chosen is None:
            reason = _pending_reason(c)
            shown = _Shown(self, policy, c, ranking, list(range(min(len(c), _ALTERNATIVES))))
            return Explanation(
                policy=policy.name,
                binding_constraints=binding_t,
                pending_reason=reason.value,
                summary=f"waiting: {reason.value}",
                alternatives=tuple(shown.candidate(i) for i in shown.order),
            )
        order = ranking.order
        # Ranked candidates are all OK when ranked; decide() marks those that turn out
        # fragmented, in rank order, so when the first one was chosen none was marked.
        if len(order) and int(order[0]) == chosen:
            feasible = order.tolist()
        else:
            feasible = order[c.code[order] == OK].tolist()
        chosen_dc = int(c.dc[chosen])
        # The shown alternatives (the best feasible ones but the chosen) and the runner-up
        # (the best feasible one in another data center) are near the top: walk from there.
        alts: list[int] = []
        runner = -1
        for i in feasible:
            if i != chosen and len(alts) < _ALTERNATIVES - 1:
                alts.append(i)
            if runner < 0 and int(c.dc[i]) != chosen_dc:
                runner = i
            if runner >= 0 and len(alts) == _ALTERNATIVES - 1:
                break
        has_others = runner >= 0
        alts += out_idx[:1].tolist()
        if runner < 0:
            out = out_idx[c.dc[out_idx] != chosen_dc]
            runner = int(out[0]) if len(out) else -1
        shown = _Shown(
            self, policy, c, ranking, [chosen, *alts, *([runner] if runner >= 0 else [])]
        )
        mine = shown.terms(chosen)
        runner_up, runner_reason = "", ""
        if has_others:
            theirs = shown.terms(runner)
            worse = sorted(
                (
                    (t.contribution - m.contribution, t.name)
                    for m, t in zip(mine, theirs, strict=True)
                ),
                reverse=True,
            )
            parts = [f"{name} +{d:.2f}" for d, name in worse if d > 1e-9][:2]
            runner_up = st.dc_ids[shown.dc[runner]]
            runner_reason = (
                f"scored {shown.score[runner]:.3f} vs {shown.score[chosen]:.3f} (lower wins): "
                + (", ".join(parts) if parts else "tie broken by data center order")
            )
        elif runner >= 0:
            runner_up, runner_reason = st.dc_ids[shown.dc[runner]], shown.reason(runner)
        assert chosen_energy is not None, "a chosen candidate comes with its energy"
        e = chosen_energy
        basis = "measured" if e.pue_measured else "design"
        summary = (
            f"placed in {st.dc_ids[chosen_dc]} on {c.model[chosen] or 'CPU'}: lowest weighted "
            f"score {shown.score[chosen]:.3f} under policy {policy.name!r} among "
            f"{len(feasible)} feasible candidate(s); {e.cost_cny:.2f} CNY, "
            f"{e.carbon_kg:.2f} kg CO2 at PUE {e.pue:.2f} ({basis})"
        )
        return Explanation(
            policy=policy.name,
            terms=mine,
            binding_constraints=binding_t,
            runner_up=runner_up,
            runner_up_reason=runner_reason,
            summary=summary,
            alternatives=tuple(shown.candidate(i) for i in alts),
        )


class _Shown:
    """The few candidates an explanation shows, read out of the arrays in one go (a numpy
    scalar read costs as much as a small array read)."""

    __slots__ = (
        "_c",
        "_memo",
        "_placer",
        "_policy",
        "code",
        "dc",
        "norm",
        "order",
        "raw",
        "score",
    )

    def __init__(
        self, placer: Placer, policy: Policy, c: Cands, ranking: Ranking, idx: list[int]
    ) -> None:
        take = np.array(idx, dtype=np.intp)
        self._placer, self._policy, self._c = placer, policy, c
        self.order = idx
        self.code = dict(zip(idx, c.code[take].tolist(), strict=True))
        self.dc = dict(zip(idx, c.dc[take].tolist(), strict=True))
        self.score = dict(zip(idx, ranking.scores[take].tolist(), strict=True))
        self.raw = dict(zip(idx, c.terms[take].tolist(), strict=True))
        self.norm = dict(zip(idx, ranking.normalized[take].tolist(), strict=True))
        self._memo: dict[int, tuple[ScoreTerm, ...]] = {}

    def terms(self, i: int) -> tuple[ScoreTerm, ...]:
        # The chosen, the runner-up and the shown alternatives overlap: build each once.
        got = self._memo.get(i)
        if got is None:
            p, raw, norm = self._policy, self.raw[i], self.norm[i]
            # Spelled out, one per entry of TERMS: this runs a dozen times per decision. Only
            # the utilization term is new on most decisions; the other three are the class's.
            key = (i, norm[_RTT], norm[_COST], norm[_CARBON], p.latency, p.energy_cost, p.carbon)
            shared = self._c.memo.fixed_terms
            fixed = shared.get(key)
            if fixed is None:
                if len(shared) >= _FIXED_TERMS_SIZE:
                    shared.clear()
                fixed = shared[key] = (
                    ScoreTerm(_LATENCY, raw[_RTT], _LATENCY_UNIT, norm[_RTT], p.latency),
                    ScoreTerm(_COST_NAME, raw[_COST], _COST_UNIT, norm[_COST], p.energy_cost),
                    ScoreTerm(_CARBON_NAME, raw[_CARBON], _CARBON_UNIT, norm[_CARBON], p.carbon),
                )
            got = self._memo[i] = (
                *fixed,
                ScoreTerm(_IDLE_NAME, raw[_IDLE], _IDLE_UNIT, norm[_IDLE], p.utilization),
            )
        return got

    def reason(self, i: int) -> str:
        return self._placer._reason(self._c, i) if self.code[i] != OK else ""

    def candidate(self, i: int) -> Candidate:
        feasible = self.code[i] == OK
        energy, latency = _estimates(self._c, i)
        return Candidate(
            data_center=self._placer._statics().dc_ids[self.dc[i]],
            accelerator_model=self._c.model[i],
            score=self.score[i] if feasible else math.nan,
            terms=self.terms(i) if feasible else (),
            energy=energy,
            latency=latency,
            infeasible_reason=self.reason(i),
        )


def _estimates(c: Cands, i: int) -> tuple[EnergyEstimate, LatencyEstimate | None]:
    """Candidate ``i``'s energy and latency, from its rows of ``Cands.terms`` (all but the
    idle share, which neither uses) and ``Cands.facts``; built once per job class."""
    got = c.memo.estimates.get(i)
    if got is None:
        terms, facts = c.terms[i].tolist(), c.facts[i].tolist()
        energy = EnergyEstimate(
            it_energy_kwh=facts[_IT_KWH],
            energy_kwh=facts[_KWH],
            cost_cny=terms[_COST],
            carbon_kg=terms[_CARBON],
            pue=facts[_PUE],
            pue_measured=bool(facts[_MEASURED]),
        )
        latency = LatencyEstimate(terms[_RTT], bool(facts[_ESTIMATED])) if c.has_region else None
        got = c.memo.estimates[i] = (energy, latency)
    return got


def _pending_reason(c: Cands) -> PendingReason:
    if len(c) == 0:
        return PendingReason.NO_MODEL
    seen = {_CATEGORY[int(k)] for k in c.code if int(k) != OK}
    # Report the constraint that bites last: capacity when some candidate passed every rule
    # but capacity, else quota, else latency, else residency.
    for reason in (
        PendingReason.CAPACITY,
        PendingReason.QUOTA,
        PendingReason.LATENCY,
        PendingReason.RESIDENCY,
    ):
        if reason in seen:
            return reason
    return PendingReason.CAPACITY


def _shape(c: Cands, spec: JobSpec, model: str) -> TaskShape:
    """One replica's task shape on ``model``, built once per job class (the class fixes the
    replica)."""
    got = c.memo.shapes.get(model)
    if got is None:
        r = spec.replica
        if r.accelerator_count:
            got = TaskShape(
                r.cpu_milli, r.memory_mib, r.accelerator_count, 1000, frozenset({model})
            )
        elif r.accelerator_milli:
            got = TaskShape(r.cpu_milli, r.memory_mib, 1, r.accelerator_milli, frozenset({model}))
        else:
            got = TaskShape(r.cpu_milli, r.memory_mib)
        c.memo.shapes[model] = got
    return got
