"""Replay the Alibaba openb GPU trace through the capacity ledger and measure placement quality.

Two modes, both calling :meth:`scheduler.ledger.Ledger.try_place` (the service's own
placement path, no second implementation):

* **saturate**, the published protocol (Weng et al., "Beware of Fragmentation",
  USENIX ATC 2023): for a seed, sample tasks with replacement from the pod list until
  their GPU request reaches 1.3x the cluster's GPUs, shuffle, place each once on arrival
  (no departures; a task that does not fit is dropped), and record the GPU allocation
  ratio as arrived demand grows.
* **timeline**: replay creation and deletion times; departures free capacity; a task
  that does not fit waits in a FIFO queue, retried in order (smaller tasks may pass a
  blocked one) whenever capacity frees.  Reports utilisation over time, pending times
  and accelerator energy.

Data: ``cluster-trace-gpu-v2023/csv`` of alibaba/clusterdata (openb_node_list_gpu_node.csv,
openb_pod_list_default.csv).  Runs over (policy, seed) go to worker processes.
"""

from __future__ import annotations

import csv
import heapq
import math
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from scheduler.ledger import Allocation, Ledger
from scheduler.optimizer.packing import POLICIES, TaskMix, TaskShape

__all__ = [
    "BOARD_POWER_W",
    "DEFAULT_SEEDS",
    "SATURATE_RATIO",
    "Mode",
    "PolicySummary",
    "RunResult",
    "TraceFormatError",
    "TraceNode",
    "TracePod",
    "build_ledger",
    "plot_results",
    "read_nodes",
    "read_pods",
    "run_many",
    "run_saturate",
    "run_timeline",
    "sample_workload",
    "summarize",
    "write_run_csv",
    "write_summary_csv",
]

Mode = Literal["saturate", "timeline"]

SATURATE_RATIO: Final = 1.3
"""Arrived GPU demand, as a multiple of the cluster's GPUs, at which saturate mode stops."""

DEFAULT_SEEDS: Final = tuple(range(42, 52))
"""The published protocol's seeds."""

DC: Final = "openb"
"""The one data center the trace's nodes are put in."""

BOARD_POWER_W: Final[dict[str, tuple[float, str]]] = {
    "T4": (70.0, "NVIDIA T4 datasheet: 70 W"),
    "P100": (250.0, "NVIDIA Tesla P100 PCIe datasheet: 250 W"),
    "V100M16": (300.0, "NVIDIA V100 datasheet, SXM2: 300 W"),
    "V100M32": (300.0, "NVIDIA V100 datasheet, SXM2: 300 W"),
    "A10": (150.0, "NVIDIA A10 datasheet: 150 W"),
    "G1": (300.0, "estimate: undisclosed model, V100-class board assumed"),
    "G2": (300.0, "estimate: undisclosed model, V100-class board assumed"),
    "G3": (300.0, "estimate: undisclosed model, V100-class board assumed"),
}
"""Board power per accelerator model (W) with its source; G1-G3 are estimates."""

_UNKNOWN_POWER_W: Final = 300.0  # estimate for a model the table does not list
_NODE_COLUMNS: Final = ("sn", "cpu_milli", "memory_mib", "gpu", "model")
_POD_COLUMNS: Final = (
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "creation_time",
    "deletion_time",
)
_CURVE_POINTS: Final = 400


class TraceFormatError(ValueError):
    """A trace CSV is missing, lacks a column, or has a bad value (with its line number)."""


@dataclass(frozen=True, slots=True)
class TraceNode:
    """One node of the trace's cluster."""

    name: str
    """Node serial (``sn``)."""
    cpu_milli: int
    """CPU milli-cores."""
    memory_mib: int
    """Memory MiB."""
    gpus: int
    """Accelerators."""
    model: str
    """Accelerator model ('' for none)."""


@dataclass(frozen=True, slots=True)
class TracePod:
    """One task of the trace."""

    name: str
    """Pod name."""
    shape: TaskShape
    """What it asks for."""
    creation_time: int
    """Seconds from the trace start."""
    deletion_time: int
    """Seconds from the trace start (>= creation_time)."""

    @property
    def duration(self) -> int:
        """Seconds the task runs once placed."""
        return self.deletion_time - self.creation_time


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of one (policy, seed) run."""

    mode: Mode
    """Which replay."""
    policy: str
    """Packing policy."""
    seed: int
    """Seed of the sampling (saturate) or of the random policy."""
    tasks: int
    """Tasks that arrived."""
    placed: int
    """Tasks placed (in timeline mode: placed at some point)."""
    capacity_milli: int
    """Cluster accelerator milli-units."""
    seconds: float
    """Wall time of the run."""
    x: tuple[float, ...]
    """Saturate: arrived demand, % of capacity (0..130).  Timeline: hours from start."""
    allocated_pct: tuple[float, ...]
    """Allocated accelerator milli as % of capacity at each ``x``."""
    unallocated_at_100: float = math.nan
    """Saturate: % of accelerators unallocated when 100 % of capacity has arrived."""
    allocated_at_130: float = math.nan
    """Saturate: % allocated once all 130 % has arrived."""
    mean_utilization: float = math.nan
    """Timeline: time-weighted mean allocated %."""
    mean_pending_s: float = math.nan
    """Timeline: mean wait of tasks that were placed, seconds."""
    p95_pending_s: float = math.nan
    """Timeline: 95th percentile of that wait, seconds."""
    never_placed: int = 0
    """Timeline: tasks still waiting when the trace ends."""
    energy_kwh: float = math.nan
    """Timeline: accelerator energy, board power x allocated share x run time."""


@dataclass(frozen=True, slots=True)
class PolicySummary:
    """Means (and standard deviations) over one policy's runs."""

    policy: str
    """Packing policy."""
    runs: int
    """Runs averaged."""
    unallocated_at_100: float
    """Mean % unallocated at 100 % arrived (saturate)."""
    unallocated_at_100_std: float
    """Standard deviation of that."""
    allocated_at_130: float
    """Mean % allocated at 130 % arrived (saturate)."""
    allocated_at_130_std: float
    """Standard deviation of that."""
    mean_utilization: float
    """Mean time-weighted utilisation % (timeline)."""
    mean_pending_s: float
    """Mean pending seconds (timeline)."""
    p95_pending_s: float
    """95th percentile pending seconds (timeline)."""
    energy_kwh: float
    """Accelerator energy, kWh (timeline)."""
    seconds: float
    """Mean wall time per run."""


# --------------------------------------------------------------------------- reading


def _rows(path: Path, columns: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise TraceFormatError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise TraceFormatError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, row


def _int(path: Path, line: int, row: dict[str, str], column: str, low: int = 0) -> int:
    text = (row.get(column) or "").strip()
    try:
        value = int(text)
    except ValueError:
        raise TraceFormatError(
            f"{path}: line {line}: {column} must be an integer, got {text!r}"
        ) from None
    if value < low:
        raise TraceFormatError(f"{path}: line {line}: {column} must be >= {low}, got {value}")
    return value


def read_nodes(path: Path) -> tuple[TraceNode, ...]:
    """Nodes from an openb node list (``sn,cpu_milli,memory_mib,gpu,model``)."""
    nodes: list[TraceNode] = []
    seen: set[str] = set()
    for line, row in _rows(path, _NODE_COLUMNS):
        name = row["sn"].strip()
        if not name or name in seen:
            raise TraceFormatError(f"{path}: line {line}: sn is empty or repeated ({name!r})")
        seen.add(name)
        gpus = _int(path, line, row, "gpu")
        model = (row.get("model") or "").strip()
        if gpus > 16:
            raise TraceFormatError(f"{path}: line {line}: gpu must be 0..16, got {gpus}")
        if gpus and not model:
            raise TraceFormatError(f"{path}: line {line}: a node with GPUs needs a model")
        nodes.append(
            TraceNode(
                name,
                _int(path, line, row, "cpu_milli"),
                _int(path, line, row, "memory_mib"),
                gpus,
                model if gpus else "",
            )
        )
    if not nodes:
        raise TraceFormatError(f"{path}: no nodes")
    return tuple(nodes)


def read_pods(path: Path) -> tuple[TracePod, ...]:
    """Tasks from an openb pod list; ``gpu_spec`` ``A|B`` means model A or B."""
    pods: list[TracePod] = []
    for line, row in _rows(path, _POD_COLUMNS):
        num = _int(path, line, row, "num_gpu")
        milli = _int(path, line, row, "gpu_milli")
        spec = frozenset(m.strip() for m in (row.get("gpu_spec") or "").split("|") if m.strip())
        if num == 0:
            milli, spec = 0, frozenset()
        created = _int(path, line, row, "creation_time")
        deleted = _int(path, line, row, "deletion_time")
        if deleted < created:
            raise TraceFormatError(f"{path}: line {line}: deletion_time before creation_time")
        try:
            shape = TaskShape(
                _int(path, line, row, "cpu_milli"),
                _int(path, line, row, "memory_mib"),
                num,
                milli,
                spec,
            )
        except ValueError as exc:
            raise TraceFormatError(f"{path}: line {line}: {exc}") from None
        pods.append(TracePod(row["name"].strip(), shape, created, deleted))
    if not pods:
        raise TraceFormatError(f"{path}: no pods")
    return tuple(pods)


# --------------------------------------------------------------------------- runs


def build_ledger(nodes: Sequence[TraceNode], dc: str = DC) -> Ledger:
    """A ledger holding the trace's nodes in file order, all in one data center."""
    ledger = Ledger()
    for n in nodes:
        ledger.add_node(
            n.name,
            dc,
            model=n.model,
            accelerators=n.gpus,
            cpu_milli=n.cpu_milli,
            memory_mib=n.memory_mib,
        )
    return ledger


def _capacity(nodes: Sequence[TraceNode]) -> int:
    return sum(n.gpus for n in nodes) * 1000


def sample_workload(
    pods: Sequence[TracePod], capacity_milli: int, seed: int, ratio: float = SATURATE_RATIO
) -> npt.NDArray[np.intp]:
    """Pod indices sampled with replacement until their GPU request reaches ``ratio`` x
    capacity (the last one crosses it), then shuffled."""
    demand = np.array([p.shape.total_milli for p in pods], dtype=np.int64)
    if capacity_milli <= 0 or not demand.any():
        raise ValueError("saturate mode needs GPU capacity and GPU-requesting pods")
    rng = np.random.default_rng(seed)
    target = ratio * capacity_milli
    batch = max(16, int(2 * target / max(float(demand.mean()), 1.0)))
    picked = np.empty(0, dtype=np.intp)
    total = 0
    while True:
        draw = rng.integers(len(pods), size=batch)
        cum = total + np.cumsum(demand[draw])
        end = int(np.searchsorted(cum, target, side="left"))
        if end < batch:
            picked = np.concatenate([picked, draw[: end + 1]])
            break
        picked = np.concatenate([picked, draw])
        total = int(cum[-1])
    return np.asarray(rng.permutation(picked), dtype=np.intp)


def _policy_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, 1])


def run_saturate(
    nodes: Sequence[TraceNode],
    pods: Sequence[TracePod],
    policy: str,
    seed: int,
    *,
    ratio: float = SATURATE_RATIO,
) -> RunResult:
    """The published saturation protocol for one (policy, seed); see the module docstring.

    The policy knows the tasks before the current one (through the ledger) and the trace's
    overall mix of task shapes (``TaskMix.from_shapes`` over all pods).
    """
    start = time.perf_counter()
    cap = _capacity(nodes)
    order = sample_workload(pods, cap, seed, ratio)
    ledger = build_ledger(nodes)
    mix = TaskMix.from_shapes(p.shape for p in pods)
    rng = _policy_rng(seed)
    arrived = np.empty(order.shape[0], dtype=np.int64)
    allocated = np.empty(order.shape[0], dtype=np.int64)
    arr = alloc = placed = 0
    for k, i in enumerate(order):
        shape = pods[i].shape
        arr += shape.total_milli
        if ledger.try_place(DC, shape, 1, policy, mix, rng) is not None:
            alloc += shape.total_milli
            placed += 1
        arrived[k], allocated[k] = arr, alloc
    pct = np.arange(0, round(ratio * 100) + 1, dtype=np.float64)
    # Allocation when arrived demand first reaches each percentage.
    at = np.minimum(np.searchsorted(arrived, pct / 100 * cap, side="left"), len(order) - 1)
    curve = np.where(pct == 0, 0.0, allocated[at] / cap * 100)
    return RunResult(
        mode="saturate",
        policy=policy,
        seed=seed,
        tasks=int(order.shape[0]),
        placed=placed,
        capacity_milli=cap,
        seconds=time.perf_counter() - start,
        x=tuple(float(p) for p in pct),
        allocated_pct=tuple(float(a) for a in curve),
        unallocated_at_100=float(100 - curve[100]) if len(curve) > 100 else math.nan,
        allocated_at_130=float(alloc / cap * 100),
    )


@dataclass(order=True)
class _Departure:
    time: float
    seq: int
    allocations: tuple[Allocation, ...] = field(compare=False)
    milli: int = field(compare=False)


def run_timeline(
    nodes: Sequence[TraceNode],
    pods: Sequence[TracePod],
    policy: str,
    seed: int = 42,
) -> RunResult:
    """Replay arrivals and departures for one policy; see the module docstring.

    As recorded, the openb trace keeps under 1 % of its GPUs busy at any moment, so tasks
    rarely wait; the replay mainly shows where each policy puts the work (and so the
    energy).  A task placed after waiting still runs for its trace duration.  Energy counts each
    placed task's accelerator share at the model's board power for its run time (an upper
    bound: boards rarely draw full power); idle boards are not counted.
    """
    start = time.perf_counter()
    cap = _capacity(nodes)
    ledger = build_ledger(nodes)
    mix = TaskMix.from_shapes(p.shape for p in pods)
    rng = _policy_rng(seed)
    arrival = [float(p.creation_time) for p in pods]
    duration = [float(p.duration) for p in pods]
    model_of = {n.name: n.model for n in nodes}
    arrivals = sorted(range(len(pods)), key=lambda i: (arrival[i], i))
    departures: list[_Departure] = []
    queue: deque[int] = deque()
    waits: list[float] = []
    times: list[float] = []
    levels: list[int] = []
    allocated = 0
    energy_j = 0.0
    seq = 0

    def place(i: int, now: float) -> bool:
        nonlocal allocated, energy_j, seq
        pod = pods[i]
        allocs = ledger.try_place(DC, pod.shape, 1, policy, mix, rng)
        if allocs is None:
            return False
        milli = pod.shape.total_milli
        allocated += milli
        waits.append(now - arrival[i])
        for a in allocs:
            watts = BOARD_POWER_W.get(model_of[a.node_id], (_UNKNOWN_POWER_W, ""))[0]
            energy_j += watts * a.milli * len(a.slots) / 1000 * duration[i]
        seq += 1
        heapq.heappush(departures, _Departure(now + duration[i], seq, allocs, milli))
        return True

    def retry_queue(now: float) -> None:
        failed: set[TaskShape] = set()
        for _ in range(len(queue)):
            i = queue.popleft()
            shape = pods[i].shape
            # A shape that failed in this pass fails again: the pass only fills capacity.
            if shape in failed or not place(i, now):
                failed.add(shape)
                queue.append(i)

    k = 0
    while k < len(arrivals) or departures:
        next_arrival = arrival[arrivals[k]] if k < len(arrivals) else None
        if departures and (next_arrival is None or departures[0].time <= next_arrival):
            now = departures[0].time
            while departures and departures[0].time == now:
                dep = heapq.heappop(departures)
                ledger.release(dep.allocations)
                allocated -= dep.milli
            retry_queue(now)
        else:
            assert next_arrival is not None
            now = next_arrival
            i = arrivals[k]
            k += 1
            if not place(i, now):
                queue.append(i)
        times.append(now)
        levels.append(allocated)
    t = np.array(times, dtype=np.float64)
    u = np.array(levels, dtype=np.float64) / cap * 100
    span = t[-1] - t[0] if len(t) > 1 else 0.0
    mean_util = float(np.sum(u[:-1] * np.diff(t)) / span) if span > 0 else float(u[-1])
    grid = np.linspace(t[0], t[-1], _CURVE_POINTS) if len(t) else np.zeros(1)
    sampled = u[np.maximum(np.searchsorted(t, grid, side="right") - 1, 0)]
    w = np.array(waits, dtype=np.float64)
    return RunResult(
        mode="timeline",
        policy=policy,
        seed=seed,
        tasks=len(pods),
        placed=len(waits),
        capacity_milli=cap,
        seconds=time.perf_counter() - start,
        x=tuple(float(h) for h in (grid - grid[0]) / 3600),
        allocated_pct=tuple(float(x) for x in sampled),
        mean_utilization=mean_util,
        mean_pending_s=float(w.mean()) if len(w) else math.nan,
        p95_pending_s=float(np.percentile(w, 95)) if len(w) else math.nan,
        never_placed=len(queue),
        energy_kwh=energy_j / 3.6e6,
    )


def _run_one(
    mode: Mode,
    nodes: Sequence[TraceNode],
    pods: Sequence[TracePod],
    policy: str,
    seed: int,
) -> RunResult:
    if mode == "saturate":
        return run_saturate(nodes, pods, policy, seed)
    return run_timeline(nodes, pods, policy, seed)


def run_many(
    nodes: Sequence[TraceNode],
    pods: Sequence[TracePod],
    policies: Sequence[str],
    seeds: Sequence[int],
    *,
    mode: Mode = "saturate",
    workers: int = 1,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Every (policy, seed) run, in worker processes when ``workers > 1``.

    Timeline mode replays the trace as recorded, so it runs each policy once with the
    first seed (which only the ``random`` policy uses).  Results come back in
    (policy, seed) order; ``on_result`` is called as each one finishes.
    """
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown policies {unknown}; known: {', '.join(POLICIES)}")
    jobs = [(p, s) for p in policies for s in (seeds if mode == "saturate" else seeds[:1])]
    results: dict[tuple[str, int], RunResult] = {}
    if workers <= 1 or len(jobs) == 1:
        for p, s in jobs:
            results[(p, s)] = r = _run_one(mode, nodes, pods, p, s)
            if on_result is not None:
                on_result(r)
    else:
        # Not fork: the caller may run threads (gRPC, a progress bar) that a forked child
        # would inherit mid-operation.  The fork server starts clean and forks the workers.
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            ctx.set_forkserver_preload(["scheduler.simulate"])
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            # The slowest policies first, so the tail of the run stays short.
            ordered = sorted(jobs, key=lambda j: j[0] not in ("computenet", "fgd"))
            futures = {pool.submit(_run_one, mode, nodes, pods, p, s): (p, s) for p, s in ordered}
            for fut in as_completed(futures):
                results[futures[fut]] = r = fut.result()
                if on_result is not None:
                    on_result(r)
    return [results[j] for j in jobs]


# --------------------------------------------------------------------------- reporting


def summarize(results: Iterable[RunResult]) -> list[PolicySummary]:
    """Per-policy means over seeds, in first-seen policy order."""
    by: dict[str, list[RunResult]] = {}
    for r in results:
        by.setdefault(r.policy, []).append(r)

    def stat(rs: list[RunResult], attr: str) -> tuple[float, float]:
        v = np.array([getattr(r, attr) for r in rs], dtype=np.float64)
        if np.isnan(v).all():
            return math.nan, math.nan
        return float(np.nanmean(v)), float(np.nanstd(v))

    out = []
    for policy, rs in by.items():
        u100, u100s = stat(rs, "unallocated_at_100")
        a130, a130s = stat(rs, "allocated_at_130")
        out.append(
            PolicySummary(
                policy=policy,
                runs=len(rs),
                unallocated_at_100=u100,
                unallocated_at_100_std=u100s,
                allocated_at_130=a130,
                allocated_at_130_std=a130s,
                mean_utilization=stat(rs, "mean_utilization")[0],
                mean_pending_s=stat(rs, "mean_pending_s")[0],
                p95_pending_s=stat(rs, "p95_pending_s")[0],
                energy_kwh=stat(rs, "energy_kwh")[0],
                seconds=stat(rs, "seconds")[0],
            )
        )
    return out


def write_run_csv(result: RunResult, out_dir: Path) -> Path:
    """One run's curve as CSV: ``<mode>_<policy>_seed<seed>.csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{result.mode}_{result.policy}_seed{result.seed}.csv"
    x_name = "arrived_pct" if result.mode == "saturate" else "hours"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([x_name, "allocated_pct"])
        for x, a in zip(result.x, result.allocated_pct, strict=True):
            w.writerow([f"{x:.4f}", f"{a:.4f}"])
    return path


def write_summary_csv(summaries: Sequence[PolicySummary], path: Path) -> Path:
    """Per-policy summary as CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(PolicySummary.__dataclass_fields__)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(names)
        for s in summaries:
            w.writerow([getattr(s, n) for n in names])
    return path


def plot_results(results: Sequence[RunResult], path: Path) -> Path:
    """PNG of GPU allocation against arrived demand (saturate) or time (timeline),
    the mean over seeds for each policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    by: dict[str, list[RunResult]] = {}
    for r in results:
        by.setdefault(r.policy, []).append(r)
    saturate = all(r.mode == "saturate" for r in results)
    for policy, rs in by.items():
        x = np.array(rs[0].x)
        y = np.mean([r.allocated_pct for r in rs], axis=0)
        ax.plot(x, y, label=policy, linewidth=1.6 if policy == "computenet" else 1.0)
    if saturate:
        top = max(max(r.x) for r in results)
        ax.plot([0, 100, top], [0, 100, 100], color="grey", linestyle=":", label="ideal")
        ax.set_xlabel("arrived GPU demand (% of cluster GPUs)")
        ax.set_ylabel("GPUs allocated (%)")
        ax.set_xlim(60, top)
        ax.set_ylim(60, 101)
    else:
        ax.set_xlabel("hours from trace start")
        ax.set_ylabel("GPUs allocated (%)")
    ax.set_title(f"openb trace, {results[0].mode} ({len(next(iter(by.values())))} run(s) each)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
