"""Benchmark of the batch placement optimizer: CP-SAT against the greedy baseline on a
generated national network (about 20 data centers in Chinese hub cities, several
accelerator models each) with a 10,000-job pending queue.

Run from the repository root:

    PYTHONPATH=. python benchmarks/bench_batch.py --jobs 10000 --time-limit 10

It generates the instance (seeded), aggregates identical jobs into classes, runs
`greedy` and `solve` in the same process and prints classes, variables, wall time,
objective, bound, gap, placed jobs, value and cost for both, with CP-SAT / greedy ratios.
Progress lines go to stderr as it runs. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from scheduler.optimizer import (
    MILLI_PER_ACCELERATOR,
    Option,
    PendingClass,
    Plan,
    Pool,
    Problem,
    Quota,
    RunningClass,
    SolveConfig,
    greedy,
    make_scale,
    solve,
)

__all__ = ["build_problem", "main"]


@dataclass(frozen=True, slots=True)
class _City:
    """A data-center site: where it is, what its power costs and emits, its design PUE."""

    name: str
    """City (the hub or cluster it belongs to in parentheses in the table below)."""
    province: str
    """Province, for data-residency rules."""
    lat: float
    """Latitude, degrees."""
    lon: float
    """Longitude, degrees."""
    price_cny_kwh: float
    """Large-industry electricity price, CNY/kWh (estimate)."""
    grid_kg_kwh: float
    """Grid carbon factor, kg CO2/kWh (estimate by regional grid mix)."""
    pue: float
    """Design PUE (estimate, within the hub targets: <= 1.25 east, <= 1.2 west)."""


# Hub and cluster sites from the 东数西算 plan (NDRC hub notices, 2022, see
# shared REFERENCES.md) plus large eastern demand cities. Coordinates are public city
# centres; prices, carbon factors and PUE are estimates for a benchmark, not data.
_CITIES = (
    _City("zhangjiakou", "hebei", 40.77, 114.88, 0.45, 0.70, 1.20),  # 京津冀 hub
    _City("beijing", "beijing", 39.90, 116.40, 0.70, 0.70, 1.30),
    _City("tianjin", "tianjin", 39.13, 117.20, 0.65, 0.70, 1.30),
    _City("wuhu", "anhui", 31.33, 118.38, 0.55, 0.60, 1.25),  # 长三角 hub
    _City("shanghai", "shanghai", 31.23, 121.47, 0.75, 0.58, 1.30),
    _City("hangzhou", "zhejiang", 30.27, 120.15, 0.70, 0.58, 1.28),
    _City("nanjing", "jiangsu", 32.06, 118.80, 0.68, 0.60, 1.28),
    _City("shaoguan", "guangdong", 24.81, 113.60, 0.55, 0.45, 1.22),  # 粤港澳 hub
    _City("guangzhou", "guangdong", 23.13, 113.26, 0.72, 0.45, 1.30),
    _City("shenzhen", "guangdong", 22.54, 114.06, 0.75, 0.45, 1.30),
    _City("chengdu", "sichuan", 30.57, 104.07, 0.40, 0.25, 1.20),  # 成渝 hub (天府)
    _City("chongqing", "chongqing", 29.56, 106.55, 0.45, 0.35, 1.22),  # 成渝 hub
    _City("horinger", "neimenggu", 40.38, 111.82, 0.30, 0.75, 1.15),  # 内蒙古 hub
    _City("guian", "guizhou", 26.42, 106.38, 0.35, 0.40, 1.15),  # 贵州 hub
    _City("qingyang", "gansu", 35.71, 107.64, 0.32, 0.55, 1.15),  # 甘肃 hub
    _City("zhongwei", "ningxia", 37.51, 105.19, 0.30, 0.60, 1.15),  # 宁夏 hub
    _City("fuzhou", "fujian", 26.08, 119.30, 0.60, 0.40, 1.25),
    _City("xiamen", "fujian", 24.48, 118.09, 0.62, 0.40, 1.28),
    _City("wuhan", "hubei", 30.59, 114.31, 0.58, 0.45, 1.28),
    _City("xian", "shaanxi", 34.34, 108.94, 0.50, 0.60, 1.25),
)

# Board power W: H100 SXM 700 W, A100 SXM 400 W (NVIDIA product briefs); H800 taken as
# H100 SXM (estimate); Ascend 910B 400 W (estimate); T4 70 W (NVIDIA T4 datasheet).
_MODELS = {"H100": 700.0, "H800": 700.0, "A100": 400.0, "Ascend-910B": 400.0, "T4": 70.0}
_NODE_SIZE = {"H100": 8, "H800": 8, "A100": 8, "Ascend-910B": 8, "T4": 4}
_CARBON_CNY_PER_KG = 0.1  # estimate: about 100 CNY/t, the order of China ETS prices
_FIBER_KM_PER_MS = 200.0  # ARCHITECTURE.md RTT estimate
_ROUTE_FACTOR = 1.5
_RTT_OVERHEAD_MS = 1.0


def _rtt_ms(a: _City, b: _City) -> float:
    """Round-trip estimate from great-circle distance (ARCHITECTURE.md), marked estimate."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    km = 2 * 6371.0 * math.asin(math.sqrt(h))
    return 2 * km * _ROUTE_FACTOR / _FIBER_KM_PER_MS + _RTT_OVERHEAD_MS


@dataclass(frozen=True, slots=True)
class _JobType:
    """A kind of job in the generated queue."""

    name: str
    """Label."""
    share: float
    """Fraction of the queue."""
    shapes: tuple[tuple[int, int], ...]
    """(replicas, milli per replica) choices."""
    models: tuple[frozenset[str], ...]
    """Acceptable model sets."""
    slo_ms: tuple[float, ...]
    """RTT SLO choices from the user's city (inf = none)."""
    priorities: tuple[int, ...]
    """Priority choices."""
    hours: float
    """Expected run time."""
    utilization: float
    """Expected accelerator utilization."""
    latency_cny_per_ms: float
    """Policy weight on RTT."""


_JOB_TYPES = (
    _JobType(
        "inference",
        0.55,
        ((1, 250), (1, 500), (1, 1000), (2, 1000)),
        (frozenset({"T4", "A100"}), frozenset({"A100", "Ascend-910B"}), frozenset({"T4"})),
        (12.0, 25.0),
        (2, 3),
        1.0,
        0.4,
        0.05,
    ),
    _JobType(
        "fine-tune",
        0.33,
        ((1, 1000), (1, 2000), (1, 4000), (1, 8000)),
        (frozenset({"A100", "H100", "H800"}), frozenset({"Ascend-910B"}), frozenset({"A100"})),
        (60.0, math.inf),
        (1, 2),
        6.0,
        0.8,
        0.0,
    ),
    _JobType(
        "training",
        0.12,
        ((2, 8000), (4, 8000), (8, 8000)),
        (
            frozenset({"H100", "H800"}),
            frozenset({"H100", "H800", "A100"}),
            frozenset({"Ascend-910B"}),
        ),
        (math.inf,),
        (0, 1, 3),
        24.0,
        0.9,
        0.0,
    ),
)


@dataclass(frozen=True, slots=True)
class _Key:
    """What makes pending jobs identical: they aggregate into one class."""

    job_type: _JobType
    """Kind of job (sets run time, utilization, latency weight)."""
    tenant: str
    """Owner."""
    replicas: int
    """Gang size."""
    milli_per_replica: int
    """Accelerator milli per replica."""
    models: frozenset[str]
    """Acceptable accelerator models."""
    slo_ms: float
    """RTT SLO from the user's city."""
    user: _City
    """Where the job's users or data are."""
    priority: int
    """Priority."""


# Tenants and where their users and data are: jobs of one tenant come from its home city
# (inference also from a second city) and ask for the model sets the tenant settled on,
# so a real queue repeats itself and aggregates into few classes.
_TENANTS = {
    "lab-a": ("beijing", "tianjin"),
    "lab-b": ("shanghai", "nanjing"),
    "bank-c": ("shenzhen", "guangzhou"),
    "city-d": ("chengdu", "chongqing"),
    "net-e": ("hangzhou", "wuhan"),
    "fj-gov": ("fuzhou", "xiamen"),
}


def _pools(rng: np.random.Generator, n_dcs: int) -> tuple[list[Pool], dict[str, _City], int]:
    """Pools with free capacity and node-shape histograms; returns also total accelerators."""
    pools: list[Pool] = []
    city_of: dict[str, _City] = {}
    total = 0
    names = list(_MODELS)
    for city in _CITIES[:n_dcs]:
        models = rng.choice(names, size=int(rng.integers(3, 5)), replace=False)
        for model in sorted(str(m) for m in models):
            size = _NODE_SIZE[model]
            nodes = int(rng.integers(200 // size, 3000 // size + 1))
            total += nodes * size
            busy = rng.uniform(0.55, 0.85)
            free = np.where(
                rng.random(nodes) < busy,
                rng.integers(0, 2, nodes),  # busy nodes: full or one accelerator left
                rng.integers(1, size + 1, nodes),
            )
            hist = tuple(int(n) for n in np.bincount(free, minlength=size + 1))
            pool_id = f"{city.name}-{model.lower()}"
            pools.append(Pool(pool_id, city.name, model, int(free.sum()) * 1000, hist))
            city_of[pool_id] = city
    return pools, city_of, total


def _running(rng: np.random.Generator, pools: list[Pool]) -> list[RunningClass]:
    """A few classes of preemptible, low-priority running work per pool."""
    running = []
    for pool in pools:
        size = _NODE_SIZE[pool.accelerator_model]
        for k in range(int(rng.integers(1, 4))):
            gpus = int(rng.choice([g for g in (1, 2, 4, 8) if g <= size]))
            running.append(
                RunningClass(
                    class_id=f"{pool.pool_id}-run{k}",
                    pool_id=pool.pool_id,
                    count=int(rng.integers(2, 30)),
                    replicas=1,
                    milli_per_replica=gpus * MILLI_PER_ACCELERATOR,
                    priority=int(rng.choice([0, 1])),
                    tenant=str(rng.choice(list(_TENANTS))),
                    preemptible=bool(rng.random() < 0.8),
                    eviction_cost=float(rng.uniform(5.0, 50.0)),
                )
            )
    return running


def build_problem(jobs: int, n_dcs: int, seed: int) -> tuple[Problem, int]:
    """The benchmark instance (jobs aggregated into classes) and the network's accelerators."""
    rng = np.random.default_rng(seed)
    pools, city_of, total = _pools(rng, n_dcs)
    cities = {c.name: c for c in _CITIES}
    tenant_models = {
        (tenant, jt.name): jt.models[int(rng.integers(len(jt.models)))]
        for tenant in _TENANTS
        for jt in _JOB_TYPES
    }
    keys: Counter[_Key] = Counter()
    for t in rng.choice(len(_JOB_TYPES), size=jobs, p=[jt.share for jt in _JOB_TYPES]):
        jt = _JOB_TYPES[int(t)]
        replicas, milli = jt.shapes[int(rng.integers(len(jt.shapes)))]
        tenant = str(rng.choice(list(_TENANTS)))
        home, second = _TENANTS[tenant]
        user = second if jt.name == "inference" and rng.random() < 0.3 else home
        key = _Key(
            job_type=jt,
            tenant=tenant,
            replicas=replicas,
            milli_per_replica=milli,
            models=tenant_models[tenant, jt.name],
            slo_ms=float(rng.choice(jt.slo_ms)),
            user=cities[user],
            priority=int(rng.choice(jt.priorities)),
        )
        keys[key] += 1
    pending = []
    for i, (key, count) in enumerate(sorted(keys.items(), key=lambda kv: repr(kv[0]))):
        jt = key.job_type
        options = []
        for pool in pools:
            city = city_of[pool.pool_id]
            rtt = _rtt_ms(key.user, city)
            if pool.accelerator_model not in key.models or rtt > key.slo_ms:
                continue
            if key.tenant == "fj-gov" and city.province != "fujian":
                continue  # data residency: this tenant's data stays in Fujian (cf. 港数闽存)
            accelerators = key.replicas * key.milli_per_replica / MILLI_PER_ACCELERATOR
            kwh = _MODELS[pool.accelerator_model] * accelerators * jt.utilization * jt.hours / 1000
            kwh *= city.pue
            cost = kwh * city.price_cny_kwh + kwh * city.grid_kg_kwh * _CARBON_CNY_PER_KG
            options.append(Option(pool.pool_id, cost + rtt * jt.latency_cny_per_ms))
        pending.append(
            PendingClass(
                class_id=f"c{i}",
                count=count,
                replicas=key.replicas,
                milli_per_replica=key.milli_per_replica,
                priority=key.priority,
                tenant=key.tenant,
                options=tuple(options),
            )
        )
    running = _running(rng, pools)
    quotas = [
        Quota(tenant, model, int(rng.integers(500, 4000)) * MILLI_PER_ACCELERATOR)
        for tenant in _TENANTS
        for model in rng.choice(list(_MODELS), size=2, replace=False)
    ]
    return Problem(tuple(pools), tuple(pending), tuple(running), tuple(quotas)), total


def _progress(message: str, start: float) -> None:
    print(f"[{time.perf_counter() - start:7.2f}s] {message}", file=sys.stderr, flush=True)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.4f}" if b else "n/a"


def _report(problem: Problem, base: Plan, base_s: float, best: Plan, best_s: float) -> None:
    def fmt(v: float | int | None) -> str:
        if v is None:
            return "-"
        return f"{v:,}" if isinstance(v, int) else f"{v:,.4g}"

    # The objective is value_unit * value - cost: a bound less than one value unit above the
    # objective proves that no plan places more priority-weighted value, only cost could fall.
    unit = make_scale(problem).value_unit
    value_gap = (
        "-" if best.best_bound is None else f"{(best.best_bound - best.objective) / unit:.3f}"
    )
    unplaced_b = Counter(
        str(c.reason.value) for c in base.classes if c.reason for _ in range(c.unplaced)
    )
    unplaced_s = Counter(
        str(c.reason.value) for c in best.classes if c.reason for _ in range(c.unplaced)
    )
    rows = [
        ("status", base.status, best.status, ""),
        ("classes", fmt(len(problem.pending)), fmt(len(problem.pending)), ""),
        ("model variables", "-", fmt(best.model_variables), ""),
        ("model constraints", "-", fmt(best.model_constraints), ""),
        ("wall s (call)", f"{base_s:.3f}", f"{best_s:.3f}", _ratio(best_s, base_s)),
        ("wall s (CP-SAT)", "-", f"{best.wall_seconds:.3f}", ""),
        (
            "objective",
            fmt(base.objective),
            fmt(best.objective),
            _ratio(best.objective, base.objective),
        ),
        ("best bound", "-", fmt(best.best_bound), ""),
        ("gap", "-", fmt(best.gap), ""),
        ("bound-obj (value units)", "-", value_gap, ""),
        (
            "placed jobs",
            fmt(base.placed_jobs),
            fmt(best.placed_jobs),
            _ratio(best.placed_jobs, base.placed_jobs),
        ),
        (
            "placed value",
            fmt(base.placed_value),
            fmt(best.placed_value),
            _ratio(best.placed_value, base.placed_value),
        ),
        ("cost (CNY-weighted)", fmt(base.cost), fmt(best.cost), _ratio(best.cost, base.cost)),
        ("evicted jobs", fmt(base.evicted_jobs), fmt(best.evicted_jobs), ""),
    ]
    rows += [
        (f"unplaced: {k}", fmt(unplaced_b.get(k, 0)), fmt(unplaced_s.get(k, 0)), "")
        for k in sorted(set(unplaced_b) | set(unplaced_s))
    ]
    print(f"{'metric':<22}{'greedy':>18}{'CP-SAT':>18}{'CP-SAT/greedy':>15}")
    for name, a, b, r in rows:
        print(f"{name:<22}{a:>18}{b:>18}{r:>15}")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the instance, run greedy and CP-SAT, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=10_000, help="pending jobs (default 10000)")
    parser.add_argument("--dcs", type=int, default=20, help="data centers, at most 20 (default 20)")
    parser.add_argument(
        "--time-limit", type=float, default=10.0, help="CP-SAT seconds (default 10)"
    )
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="instance and solver seed (default 0)")
    args = parser.parse_args(argv)
    if not 1 <= args.dcs <= len(_CITIES):
        parser.error(f"--dcs must be in 1..{len(_CITIES)}")

    start = time.perf_counter()
    _progress(
        f"generating {args.jobs:,} jobs over {args.dcs} data centers (seed {args.seed})", start
    )
    problem, accelerators = build_problem(args.jobs, args.dcs, args.seed)
    free = sum(p.free_milli for p in problem.pools) / MILLI_PER_ACCELERATOR
    demand = sum(c.count * c.milli_per_job for c in problem.pending) / MILLI_PER_ACCELERATOR
    _progress(
        f"instance: {len(problem.pools)} pools, {accelerators:,} accelerators, {free:,.0f} free, "
        f"{demand:,.0f} demanded; {len(problem.pending):,} classes, "
        f"{len(problem.running)} running classes, {len(problem.quotas)} quotas",
        start,
    )
    _progress("greedy baseline ...", start)
    t0 = time.perf_counter()
    base = greedy(problem)
    base_s = time.perf_counter() - t0
    _progress(f"greedy done in {base_s:.2f}s: {base.placed_jobs:,} jobs placed", start)
    config = SolveConfig(
        time_limit_seconds=args.time_limit, num_workers=args.workers, random_seed=args.seed
    )
    _progress(f"CP-SAT ({args.workers} workers, limit {args.time_limit:g}s) ...", start)
    t0 = time.perf_counter()
    best = solve(problem, config)
    best_s = time.perf_counter() - t0
    _progress(
        f"CP-SAT done in {best_s:.2f}s: {best.status}, {best.placed_jobs:,} jobs placed", start
    )
    _report(problem, base, base_s, best, best_s)


if __name__ == "__main__":
    main()
