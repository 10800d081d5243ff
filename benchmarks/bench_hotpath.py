"""Benchmark of computenet's hot path, in one run on this machine: the raw grpc.aio echo
ceiling, SubmitJob placements over gRPC with durable commit (SQLite; PostgreSQL with
``--postgres``) at several client concurrencies, and in-process placement (``Engine._decide``
alone and ``Engine.submit`` with its store) on the demo network and on a generated national
network of at least 5,000 nodes in at least 50 data centers.

Run from the repository root:

    PYTHONPATH=. python benchmarks/bench_hotpath.py             # the full run, about 1-2 min
    PYTHONPATH=. python benchmarks/bench_hotpath.py --quick     # a few-second smoke
    PYTHONPATH=. python benchmarks/bench_hotpath.py --postgres --profile --out /tmp/bench

Servers run in their own processes (the echo server, then a computenet server per database),
so the client and the server do not share one GIL; each client level is a closed loop of N
grpc.aio coroutines on one channel. Jobs are shares of one accelerator (or one whole one), so
thousands fit before the network fills. ``--profile`` runs two more SubmitJob levels on SQLite
at the top concurrency, one under a wall-clock sampler of every server thread, one under
cProfile (event-loop thread only), and prints the top hotspots; their throughput is not
reported, as profiling slows the server. Progress lines go to stderr, results to stdout.
This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import itertools
import json
import math
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy as sa

from computenet import db
from computenet.config import Config
from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc as pb_grpc
from inventory.document import InventoryDocument, load_demo, parse_document
from inventory.store import InventoryStore
from scheduler.domain import Job, JobKind, JobSpec, ReplicaSpec
from scheduler.engine import Engine
from scheduler.server import tune_gc
from scheduler.service import spec_to_proto
from scheduler.store import JobStore

__all__ = [
    "LoadResult",
    "bench_specs",
    "main",
    "synthetic_network",
]

_ROOT = Path(__file__).resolve().parent.parent
_ECHO_METHOD = "/computenet.bench.Echo/Echo"
_FLOOR_METHOD = "/computenet.bench.Echo/SubmitShaped"
_FLOOR_LABEL = "floor: SubmitJob's messages, no computenet code"
_TENANTS = tuple(f"bench-{t}" for t in ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot"))
_DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Targets of product issue 7, printed beside the figures (met or not).
_TARGET_SUBMIT_PER_S = 2_000.0
_TARGET_SUBMIT_P99_MS = 50.0
_TARGET_ECHO_SHARE = 0.40
_TARGET_ENGINE_PER_S = 20_000.0
_TARGET_ENGINE_NODES = 5_000


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True, slots=True)
class _City:
    """A city that hosts synthetic data centers."""

    id: str
    """Region id."""
    name: str
    """Chinese name."""
    province: str
    """Province or municipality (as the demo network spells them)."""
    lat: float
    """Latitude of the city centre, degrees (public, approximate)."""
    lon: float
    """Longitude of the city centre, degrees (public, approximate)."""
    hub: str
    """东数西算 hub it belongs to, empty if none."""
    west: bool
    """A western hub (else eastern or none)."""
    carbon_g: float
    """Grid carbon, gCO2/kWh: estimate by regional grid mix, for a benchmark."""
    price: float
    """Electricity price, CNY/kWh: estimate, for a benchmark."""


# City centres are public coordinates (approximate). Carbon and price are estimates picked to
# spread the score terms (hydro-rich south-west low, coal-heavy north high), not data.
_CITIES = (
    _City("beijing", "北京", "Beijing", 39.90, 116.41, "", False, 620.0, 0.70),
    _City("tianjin", "天津", "Tianjin", 39.13, 117.20, "", False, 620.0, 0.66),
    _City("zhangjiakou", "张家口", "Hebei", 40.77, 114.88, "京津冀", False, 700.0, 0.45),
    _City("shanghai", "上海", "Shanghai", 31.23, 121.47, "", False, 580.0, 0.75),
    _City("hangzhou", "杭州", "Zhejiang", 30.27, 120.15, "", False, 560.0, 0.70),
    _City("nanjing", "南京", "Jiangsu", 32.06, 118.80, "", False, 590.0, 0.68),
    _City("wuhu", "芜湖", "Anhui", 31.33, 118.43, "长三角", False, 600.0, 0.55),
    _City("hefei", "合肥", "Anhui", 31.82, 117.23, "", False, 600.0, 0.60),
    _City("fuzhou", "福州", "Fujian", 26.07, 119.30, "", False, 409.0, 0.63),
    _City("xiamen", "厦门", "Fujian", 24.48, 118.09, "", False, 409.0, 0.63),
    _City("guangzhou", "广州", "Guangdong", 23.13, 113.26, "", False, 450.0, 0.72),
    _City("shenzhen", "深圳", "Guangdong", 22.54, 114.06, "", False, 450.0, 0.75),
    _City("shaoguan", "韶关", "Guangdong", 24.81, 113.60, "粤港澳", False, 450.0, 0.55),
    _City("chengdu", "成都", "Sichuan", 30.66, 104.07, "成渝", False, 250.0, 0.40),
    _City("chongqing", "重庆", "Chongqing", 29.56, 106.55, "成渝", False, 350.0, 0.45),
    _City("guiyang", "贵阳", "Guizhou", 26.65, 106.63, "贵州", True, 400.0, 0.35),
    _City("horinger", "和林格尔", "Inner Mongolia", 40.38, 111.82, "内蒙古", True, 750.0, 0.30),
    _City("qingyang", "庆阳", "Gansu", 35.71, 107.64, "甘肃", True, 450.0, 0.32),
    _City("zhongwei", "中卫", "Ningxia", 37.50, 105.19, "宁夏", True, 650.0, 0.30),
    _City("wuhan", "武汉", "Hubei", 30.59, 114.31, "", False, 450.0, 0.60),
    _City("changsha", "长沙", "Hunan", 28.23, 112.94, "", False, 450.0, 0.62),
    _City("xian", "西安", "Shaanxi", 34.34, 108.94, "", False, 650.0, 0.50),
    _City("zhengzhou", "郑州", "Henan", 34.75, 113.63, "", False, 700.0, 0.58),
    _City("jinan", "济南", "Shandong", 36.65, 117.12, "", False, 700.0, 0.62),
    _City("shenyang", "沈阳", "Liaoning", 41.80, 123.43, "", False, 680.0, 0.55),
    _City("harbin", "哈尔滨", "Heilongjiang", 45.80, 126.53, "", False, 680.0, 0.50),
    _City("kunming", "昆明", "Yunnan", 25.04, 102.71, "", False, 200.0, 0.35),
    _City("nanning", "南宁", "Guangxi", 22.82, 108.37, "", False, 400.0, 0.50),
    _City("urumqi", "乌鲁木齐", "Xinjiang", 43.83, 87.62, "", False, 700.0, 0.30),
    _City("lanzhou", "兰州", "Gansu", 36.06, 103.83, "", False, 450.0, 0.35),
)

# Two 8-accelerator pools per data center, models taken in turn from the demo network's
# sourced accelerator models. Node CPU and memory are estimates of typical 8-GPU servers.
_POOL_MODELS = (
    ("h800-sxm", "a100-sxm-80gb"),
    ("ascend-910b", "a100-pcie-80gb"),
    ("h100-sxm", "mlu370-x8"),
    ("a100-sxm-80gb", "ascend-910b"),
)


def synthetic_network(data_centers: int = 60, nodes_per_dc: int = 90) -> InventoryDocument:
    """A national network of ``data_centers`` sites spread over 30 Chinese cities, each with two
    pools of 8-accelerator nodes (``nodes_per_dc`` nodes in all), checked like any file."""
    if data_centers < 1 or nodes_per_dc < 2:
        raise ValueError("need at least one data center of at least two nodes")
    demo = load_demo()
    used = {m for pair in _POOL_MODELS for m in pair}
    doc: dict[str, Any] = {
        "version": 1,
        "accelerator_models": [
            {
                "id": m.id,
                "display_name": m.display_name,
                "vendor": m.vendor,
                "memory_gib": m.memory_gib,
                "fp16_tflops": m.fp16_tflops,
                "board_power_w": m.board_power_w,
                "source": m.source,
            }
            for m in demo.accelerator_models
            if m.id in used
        ],
        "regions": [
            {
                "id": c.id,
                "display_name": c.name,
                "province": c.province,
                "latitude": c.lat,
                "longitude": c.lon,
                "hub": c.hub,
                "hub_class": ("WESTERN" if c.west else "EASTERN") if c.hub else "NONE",
            }
            for c in _CITIES
        ],
        "data_centers": [],
        "pools": [],
    }
    for i in range(data_centers):
        city = _CITIES[i % len(_CITIES)]
        dc_id = f"syn-{city.id}-{i // len(_CITIES) + 1}"
        # Small deterministic spreads so that no two sites tie on every term.
        doc["data_centers"].append(
            {
                "id": dc_id,
                "display_name": f"{city.name} synthetic site {i // len(_CITIES) + 1}",
                "region": city.id,
                "province": city.province,
                "latitude": round(city.lat + 0.01 * (i // len(_CITIES)), 4),
                "longitude": round(city.lon + 0.01 * (i // len(_CITIES)), 4),
                "grid_carbon_g_per_kwh": city.carbon_g,
                "electricity_price_cny_per_kwh": round(city.price + 0.01 * (i % 3), 3),
                "design_pue": round((1.15 if city.west else 1.22) + 0.01 * (i % 5), 3),
                "pue_target": 1.2 if city.west else 1.25,
                "source": "estimate: synthetic benchmark site",
            }
        )
        models = _POOL_MODELS[i % len(_POOL_MODELS)]
        first = (nodes_per_dc + 1) // 2
        for model, count in zip(models, (first, nodes_per_dc - first), strict=True):
            doc["pools"].append(
                {
                    "data_center": dc_id,
                    "id": f"{model}-pool",
                    "accelerator_model": model,
                    "accelerators_per_node": 8,
                    "cpu_milli_per_node": 192_000,
                    "memory_mib_per_node": 2_097_152,
                    "node_count": count,
                }
            )
    return parse_document(doc)


def bench_specs(doc: InventoryDocument) -> tuple[JobSpec, ...]:
    """The job mix every benchmark submits in turn: training and inference shares of one
    accelerator and one whole accelerator, under several policies, from the network's regions."""
    regions = [r.id for r in doc.regions][:6] or [""]

    def replica(milli: int = 0, count: int = 0) -> ReplicaSpec:
        return ReplicaSpec(
            accelerator_count=count, accelerator_milli=milli, cpu_milli=500, memory_mib=2048
        )

    out: list[JobSpec] = []
    for i, region in enumerate(regions):
        out.append(
            JobSpec(
                kind=JobKind.TRAINING,
                replicas=1,
                replica=replica(milli=250),
                expected_duration=timedelta(hours=2),
                policy=("balanced", "green", "cost")[i % 3],
                data_region=region,
            )
        )
        out.append(
            JobSpec(
                kind=JobKind.INFERENCE,
                replicas=1,
                replica=replica(milli=100),
                user_region=region,
                max_rtt_ms=60.0 if region else 0.0,
                policy="latency",
            )
        )
    out.append(JobSpec(kind=JobKind.TRAINING, replicas=1, replica=replica(count=1)))
    return tuple(out)


def _prepare_database(url: str, doc: InventoryDocument) -> None:
    engine = db.create_engine(url)
    try:
        db.migrate(engine)
        InventoryStore(engine).import_document(doc)
    finally:
        engine.dispose()


@contextlib.contextmanager
def _postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on ``base_url`` (the tests' convention), dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(db.normalise_url(base_url), connect_args={"connect_timeout": 5})
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------- child servers


async def _echo(request: bytes, context: Any) -> bytes:
    return request


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


async def start_echo_server(
    responses: Sequence[bytes] = (),
) -> tuple[grpc.aio.Server, int]:
    """A started grpc.aio echo server on 127.0.0.1 and its port.

    With ``responses`` (serialized SubmitJobResponses) it also answers ``SubmitShaped``: a
    SubmitJobRequest parsed into its message, one of those responses serialized back, and
    nothing else. That is the floor of any SubmitJob on grpc.aio: the messages' cost without
    a placement, a commit or any computenet code.
    """
    server = grpc.aio.server()
    methods = {"Echo": grpc.unary_unary_rpc_method_handler(_echo)}
    if responses:
        answers = itertools.cycle([pb.SubmitJobResponse.FromString(r) for r in responses])

        async def shaped(request: pb.SubmitJobRequest, context: Any) -> pb.SubmitJobResponse:
            return next(answers)

        methods["SubmitShaped"] = grpc.unary_unary_rpc_method_handler(
            shaped,
            request_deserializer=pb.SubmitJobRequest.FromString,
            response_serializer=pb.SubmitJobResponse.SerializeToString,
        )
    handler = grpc.method_handlers_generic_handler("computenet.bench.Echo", methods)
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


async def _run_echo(ready_file: Path, responses: Sequence[bytes]) -> None:
    server, port = await start_echo_server(responses)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    _write_json(ready_file, {"port": port})
    await stop.wait()
    await server.stop(1.0)


class _ThreadSampler:
    """A wall-clock sampler of every thread's stack, like py-spy's: cProfile sees only the
    thread that enabled it, and charges the time a thread waits for the GIL (held by the
    commit thread) to whatever that thread runs when it gets it back."""

    def __init__(self, interval: float = 0.001) -> None:
        self._interval = interval
        self._switch = 0.005
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self.samples: Counter[str] = Counter()
        """Samples per thread role."""
        self.idle: Counter[str] = Counter()
        """Samples per role in which the thread waited for work."""
        self.leaf: dict[str, Counter[str]] = defaultdict(Counter)
        """Per role: the innermost Python function (own time)."""
        self.inclusive: dict[str, Counter[str]] = defaultdict(Counter)
        """Per role: every function on the stack, once per sample (time under it)."""

    def start(self) -> None:
        # The sampler sees other threads only when it holds the GIL. With the default 5 ms
        # switch interval it would mostly get it where a thread gives it up of its own accord
        # (SQLite, os.urandom), over-counting those calls; forcing switches every 50 us makes
        # the moments it samples nearly uniform in time.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(5e-5)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)

    def _run(self) -> None:
        me = threading.get_ident()
        main = threading.main_thread().ident
        while not self._stop.wait(self._interval):
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                name = names.get(ident, "")
                if ident == main:
                    role = "event loop (main thread)"
                elif name.startswith("asyncio_"):
                    role = "asyncio.to_thread workers (database calls)"
                else:
                    role = "other threads"
                codes = []
                f: Any = frame
                while f is not None:
                    codes.append(f.f_code)
                    f = f.f_back
                self.samples[role] += 1
                top = codes[0]
                # Idle: the loop in select(), a worker waiting for a job, a thread whose whole
                # body is native code (grpc's poller) that Python cannot see into.
                if (
                    (top.co_name == "select" and "selectors" in top.co_filename)
                    or (top.co_name in {"_worker", "wait"} and "python3" in top.co_filename)
                    or (top.co_name == "run" and top.co_filename.endswith("threading.py"))
                ):
                    self.idle[role] += 1
                    continue
                self.leaf[role][_where(top)] += 1
                for name in {_where(c) for c in codes}:
                    self.inclusive[role][name] += 1

    def report(self, top: int) -> str:
        out = io.StringIO()
        for role in sorted(self.samples):
            n = self.samples[role]
            busy = n - self.idle[role]
            out.write(
                f"== {role}: {n:,} samples, busy {busy / n:.0%} (idle or in opaque native code "
                f"{self.idle[role] / n:.0%})\n"
            )
            if not busy:
                continue
            out.write("   own time (innermost Python function), share of busy samples:\n")
            for name, k in self.leaf[role].most_common(top):
                out.write(f"   {k / busy:6.1%}  {name}\n")
            out.write("   under (function anywhere on the stack), computenet code only:\n")
            mine = [
                (name, k)
                for name, k in self.inclusive[role].most_common()
                if name.split(":", 1)[0].split("/")[0] in _PROJECT_PACKAGES
            ]
            for name, k in mine[:top]:
                out.write(f"   {k / busy:6.1%}  {name}\n")
        return out.getvalue()


_PROJECT_PACKAGES = frozenset({"computenet", "inventory", "pue", "scheduler", "clients"})


def _where(code: Any) -> str:
    path = Path(code.co_filename)
    try:
        shown = str(path.resolve().relative_to(_ROOT))
    except ValueError:
        shown = "/".join(path.parts[-2:])
    return f"{shown}:{code.co_firstlineno}({code.co_name})"


def _run_computenet(ready_file: Path, url: str, log_level: str, profile_file: Path) -> None:
    from computenet.logging import configure_logging
    from scheduler.server import Running, serve

    config = Config.from_env(
        {},
        host="127.0.0.1",
        port=0,
        database_url=url,
        log_level=log_level,
        telemetry_simulator_backfill_days=0.0,
    )
    configure_logging(config.log_level, config.log_json)
    started: list[Running] = []
    active: list[cProfile.Profile | _ThreadSampler] = []
    mode_file = profile_file.with_suffix(".mode")

    def start_profile() -> None:
        if mode_file.read_text().strip() == "cprofile":
            profiler = cProfile.Profile()
            # cProfile follows the thread that enables it: the event loop's.
            profiler.enable()
            active.append(profiler)
        else:
            sampler = _ThreadSampler()
            sampler.start()
            active.append(sampler)

    def stop_profile() -> None:
        what = active.pop()
        if isinstance(what, cProfile.Profile):
            what.disable()
            what.dump_stats(str(profile_file))
        else:
            what.stop()
            profile_file.with_suffix(".txt").write_text(what.report(25))
        _write_json(profile_file.with_suffix(".done"), {})

    def ready(running: Running) -> None:
        started.append(running)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, start_profile)
        loop.add_signal_handler(signal.SIGUSR2, stop_profile)
        _write_json(ready_file, {"port": running.port})

    asyncio.run(serve(config, ready=ready))
    if started:
        engine = started[0].engine_
        commit = getattr(engine, "_commit", None)  # the group commit's counter, for the report
        stats = {
            "placements": engine.placements,
            "transactions": getattr(commit, "transactions", None),
        }
        _write_json(ready_file.with_name(ready_file.stem + "-stats.json"), stats)


@dataclass
class _Child:
    """A server process started by the benchmark."""

    process: subprocess.Popen[bytes]
    port: int
    ready_file: Path
    log: Path

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def stop(self, timeout: float = 30.0) -> dict[str, Any]:
        """SIGTERM, wait, and return the stats it wrote on the way out (if any)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise RuntimeError(
                f"server {self.process.pid} did not stop within {timeout} s"
            ) from None
        stats = self.ready_file.with_name(self.ready_file.stem + "-stats.json")
        return json.loads(stats.read_text()) if stats.exists() else {}


def _spawn(kind: str, workdir: Path, *args: str, timeout: float = 120.0) -> _Child:
    ready = workdir / f"{kind}-ready.json"
    log = workdir / f"{kind}.log"
    ready.unlink(missing_ok=True)  # a second server of the same kind must not see the first's
    ready.with_name(ready.stem + "-stats.json").unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTENET_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--ready-file"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*cmd, str(ready), *args], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=_ROOT
        )
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {process.returncode}: see {log}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{kind} server not ready within {timeout} s: see {log}")
        time.sleep(0.05)
    return _Child(process, int(json.loads(ready.read_text())["port"]), ready, log)


# --------------------------------------------------------------------------- closed-loop load


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One measured level of one benchmark."""

    label: str
    """What was measured."""
    concurrency: int
    """Client coroutines in flight."""
    calls: int
    """Calls completed in the measured window."""
    placed: int
    """Of those, calls that placed a job (SCHEDULED), or the echoes."""
    errors: int
    """Calls that failed."""
    seconds: float
    """Length of the measured window."""
    p50_ms: float
    """Median latency of one call."""
    p99_ms: float
    """99th-percentile latency of one call."""
    server_cpu_us: float = math.nan
    """CPU (all threads, user + system) the server process spent per call; NaN in process."""
    client_cpu_us: float = math.nan
    """CPU the benchmark's own process (the gRPC client) spent per call."""
    loop_cpu_us: float = math.nan
    """CPU the server's main thread (its event loop, where every handler and the placement
    run under the GIL) spent per call: one such thread can serve at most 1e6 / this calls/s."""

    @property
    def rate(self) -> float:
        """Calls per second."""
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def placed_rate(self) -> float:
        """Placements (or echoes) per second."""
        return self.placed / self.seconds if self.seconds else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _cpu_seconds(pid: int, *, main_thread: bool = False) -> float:
    """User + system CPU of a process and all its threads so far, or of its main thread
    alone (the server's event loop); NaN where /proc is not."""
    stat = f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat"
    try:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _closed_loop(
    label: str,
    call: Callable[[], Awaitable[bool]],
    concurrency: int,
    seconds: float,
    warmup: float,
    server_pid: int | None = None,
) -> LoadResult:
    """``concurrency`` coroutines calling back to back; calls that start in the window count.

    With ``server_pid``, the CPU both processes spent from the window's start until the last
    call returned is divided by the calls that returned in that span.
    """
    loop = asyncio.get_running_loop()
    begin = loop.time() + warmup
    end = begin + seconds
    latencies: list[float] = []
    placed = 0
    errors: list[str] = []
    last_done = begin
    returned = 0  # calls that returned after the window opened, wherever they started
    cpu_at_begin: list[float] = []

    def server_cpu() -> tuple[float, float]:
        """The server's CPU so far: the whole process, and its main thread alone."""
        if not server_pid:
            return math.nan, math.nan
        return _cpu_seconds(server_pid), _cpu_seconds(server_pid, main_thread=True)

    def mark() -> None:
        cpu_at_begin[:] = [*server_cpu(), time.process_time()]

    loop.call_at(begin, mark)

    async def worker() -> None:
        nonlocal placed, last_done, returned
        while (t0 := loop.time()) < end:
            try:
                ok = await call()
            except grpc.RpcError as exc:
                ok = False
                if t0 >= begin:
                    errors.append(f"{exc.code().name}: {exc.details()}")
                    continue
            t1 = loop.time()
            returned += t1 >= begin
            if t0 >= begin:
                latencies.append(t1 - t0)
                placed += ok
                last_done = max(last_done, t1)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    process_cpu = client_cpu = loop_cpu = math.nan
    if cpu_at_begin and returned:
        process_now, loop_now = server_cpu()
        process_cpu = process_now - cpu_at_begin[0]
        loop_cpu = loop_now - cpu_at_begin[1]
        client_cpu = time.process_time() - cpu_at_begin[2]
    if errors:
        _progress(f"{label}: {len(errors)} errors, first: {errors[0]}")
    return LoadResult(
        label,
        concurrency,
        len(latencies),
        placed,
        len(errors),
        max(last_done - begin, 1e-9),
        _percentile(latencies, 0.50) * 1000,
        _percentile(latencies, 0.99) * 1000,
        process_cpu / max(returned, 1) * 1e6,
        client_cpu / max(returned, 1) * 1e6,
        loop_cpu / max(returned, 1) * 1e6,
    )


async def _echo_levels(
    child: _Child, levels: Sequence[int], seconds: float, warmup: float, payload: bytes
) -> list[LoadResult]:
    port = child.port
    out = []
    for c in levels:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await channel.channel_ready()
            echo = channel.unary_unary(_ECHO_METHOD)

            async def call(echo: Any = echo) -> bool:
                await echo(payload, timeout=30)
                return True

            r = await _closed_loop("echo", call, c, seconds, warmup, child.process.pid)
        _progress(f"echo c={c}: {r.rate:,.0f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms")
        out.append(r)
    return out


async def _sample_responses(doc: InventoryDocument, workdir: Path) -> list[bytes]:
    """A real SubmitJobResponse for each job of the mix, placed by an in-process engine on
    ``doc``: what the floor measure answers with."""
    from scheduler.service import job_to_proto

    url = f"sqlite:///{workdir / 'responses.db'}"
    await asyncio.to_thread(_prepare_database, url, doc)
    engine = db.create_engine(url)
    try:
        sched = Engine(JobStore(engine), InventoryStore(engine))
        await sched.start()
        out = []
        for tenant, spec in zip(itertools.cycle(_TENANTS), bench_specs(doc)):
            job = await sched.submit(tenant, spec, request_id=uuid.uuid4().hex)
            out.append(pb.SubmitJobResponse(job=job_to_proto(job)).SerializeToString())
        return out
    finally:
        engine.dispose()


def _submit_requests(doc: InventoryDocument) -> list[pb.SubmitJobRequest]:
    return _submit_requests_for(bench_specs(doc))


def _submit_requests_for(specs: Sequence[JobSpec]) -> list[pb.SubmitJobRequest]:
    return [
        pb.SubmitJobRequest(
            parent=f"tenants/{tenant}", spec=spec_to_proto(spec), request_id=uuid.uuid4().hex
        )
        for tenant, spec in zip(itertools.cycle(_TENANTS), specs)
    ]


def _submit_job(channel: grpc.aio.Channel) -> Any:
    """The real SubmitJob method of a computenet server."""
    return pb_grpc.SchedulerServiceStub(channel).SubmitJob  # type: ignore[no-untyped-call]


def _submit_shaped(channel: grpc.aio.Channel) -> Any:
    """``SubmitShaped`` of the echo server (see ``start_echo_server``): SubmitJob's messages
    and no more."""
    return channel.unary_unary(
        _FLOOR_METHOD,
        request_serializer=pb.SubmitJobRequest.SerializeToString,
        response_deserializer=pb.SubmitJobResponse.FromString,
    )


async def _submit_levels(
    label: str,
    child: _Child,
    levels: Sequence[int],
    seconds: float,
    warmup: float,
    doc: InventoryDocument,
    method: Callable[[grpc.aio.Channel], Any] = _submit_job,
) -> list[LoadResult]:
    """SubmitJob's requests in a closed loop per level, to ``method`` of ``child``."""
    templates = _submit_requests(doc)
    out = []
    for c in levels:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{child.port}") as channel:
            await channel.channel_ready()
            submit = method(channel)
            turn = itertools.cycle(templates)

            async def call(
                submit: Any = submit, turn: Iterator[pb.SubmitJobRequest] = turn
            ) -> bool:
                request = pb.SubmitJobRequest()
                request.CopyFrom(next(turn))
                # Every create carries a fresh request_id, as the client library sends.
                request.request_id = uuid.uuid4().hex
                response = await submit(request, timeout=30)
                return bool(response.job.state == pb.Job.STATE_SCHEDULED)

            r = await _closed_loop(label, call, c, seconds, warmup, child.process.pid)
        _progress(
            f"{label} c={c}: {r.placed_rate:,.0f} placements/s ({r.rate:,.0f} calls/s), "
            f"p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms, errors {r.errors}"
        )
        out.append(r)
    return out


# --------------------------------------------------------------------------- in-process


@dataclass(frozen=True, slots=True)
class _Network:
    """A network the in-process benchmark runs on."""

    name: str
    """Label."""
    doc: InventoryDocument
    """The inventory."""


async def _inprocess(
    net: _Network,
    workdir: Path,
    seconds: float,
    concurrency: int,
    samples: list[Job],
    steps: list[LoadResult],
) -> list[LoadResult]:
    url = f"sqlite:///{workdir / f'inproc-{net.name}.db'}"
    _progress(f"in-process {net.name}: importing {len(net.doc.nodes):,} nodes into SQLite")
    await asyncio.to_thread(_prepare_database, url, net.doc)
    engine = db.create_engine(url)
    sched = Engine(JobStore(engine), InventoryStore(engine))
    await sched.start()
    tune_gc()  # as the server does once started
    specs = bench_specs(net.doc)
    label = f"{net.name}: {len(net.doc.nodes):,} nodes, {len(net.doc.data_centers)} DCs"
    out: list[LoadResult] = []
    try:
        out.append(_decide_loop(sched, specs, f"Engine._decide, {label}", seconds))
        for with_request_id in (True, False):
            what = "request_id" if with_request_id else "no request_id"
            out.append(
                await _submit_loop(
                    sched,
                    specs,
                    f"Engine.submit ({what}), {label}",
                    seconds,
                    concurrency,
                    with_request_id,
                )
            )
        placed = [j for j in sched.jobs_in_memory().values() if j.placement is not None]
        samples += placed[:64]
        steps += _step_costs(sched, specs, placed[:64], net.name, seconds)
    finally:
        engine.dispose()
    for r in out:
        _progress(
            f"{r.label}: {r.placed_rate:,.0f} placements/s ({r.rate:,.0f} calls/s), "
            f"p50 {r.p50_ms:.3f} ms, p99 {r.p99_ms:.3f} ms"
        )
    return out


class _CacheSweep:
    """Reads 16 MB of floats and touches 50,000 small dicts: run between two timed calls, it
    leaves the CPU caches as a server leaves them between two decisions, where grpc, the event
    loop, the commit thread and the client take turns on the cores."""

    def __init__(self) -> None:
        import numpy as np

        self._floats = np.ones(2_000_000)
        self._dicts = [{"k": i} for i in range(50_000)]

    def __call__(self) -> None:
        self._floats.sum()
        for d in self._dicts:
            d["k"]  # a read is the point


def _timed(
    label: str,
    fn: Callable[[int], object],
    seconds: float,
    before: Callable[[], None] | None = None,
) -> LoadResult:
    """Call ``fn(i)`` for i = 0, 1, ... for about ``seconds`` (at least 50 calls); ``before``
    runs untimed before each call."""
    latencies: list[float] = []
    timed = 0.0
    while timed < seconds or len(latencies) < 50:
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn(len(latencies))
        dt = time.perf_counter() - t0
        timed += dt
        latencies.append(dt)
    n = len(latencies)
    return LoadResult(
        label,
        1,
        n,
        n,
        0,
        timed,
        _percentile(latencies, 0.5) * 1000,
        _percentile(latencies, 0.99) * 1000,
    )


def _step_costs(
    sched: Engine, specs: Sequence[JobSpec], placed: Sequence[Job], network: str, seconds: float
) -> list[LoadResult]:
    """What each CPU step of one SubmitJob costs alone, on one thread: the parts the event
    loop runs per call, and the row building the commit thread runs per job."""
    from scheduler.service import job_to_proto, spec_from_proto
    from scheduler.store import job_values

    if not placed:
        return []
    each = max(seconds / 8, 0.05)
    wire = [r.SerializeToString() for r in _submit_requests_for(specs)]
    tenants = list(itertools.islice(itertools.cycle(_TENANTS), len(specs)))

    def decode(i: int) -> object:
        return spec_from_proto(pb.SubmitJobRequest.FromString(wire[i % len(wire)]).spec)

    def check(i: int) -> object:
        sched._check_spec(specs[i % len(specs)])
        return None

    def decide(i: int) -> object:
        decision = sched._decide(tenants[i % len(specs)], specs[i % len(specs)], take=True)
        if decision.allocations:
            sched.ledger.release(decision.allocations)  # timed too: a few microseconds
        return decision

    def encode(i: int) -> object:
        job = placed[i % len(placed)]
        return pb.SubmitJobResponse(job=job_to_proto(job)).SerializeToString()

    def row(i: int) -> object:
        return job_values(placed[i % len(placed)])

    out = [
        _timed(f"decode request + spec_from_proto ({network})", decode, each),
        _timed(f"Engine._check_spec ({network})", check, each),
        _timed(f"Engine._decide + release ({network})", decide, each),
        _timed(f"  the same, caches swept before each ({network})", decide, each, _CacheSweep()),
        *_decision_parts(sched, specs, tenants, network, each),
        _timed(f"job_to_proto + serialize response ({network})", encode, each),
        _timed(f"job_values, commit thread ({network})", row, each),
        _timed("uuid.uuid4().hex", lambda i: uuid.uuid4().hex, each),
    ]
    for r in out:
        _progress(
            f"step {r.label}: p50 {r.p50_ms * 1000:.1f} us, mean {r.seconds / r.calls * 1e6:.1f} us"
        )
    return out


def _decision_parts(
    sched: Engine, specs: Sequence[JobSpec], tenants: Sequence[str], network: str, each: float
) -> list[LoadResult]:
    """The three parts of one decision, each timed alone over the same job mix: the
    candidates and their score (numpy over every (data center, model)), the node packing in
    the best data center (the ledger), and the explanation and placement the API returns."""
    from scheduler.engine import POLICIES
    from scheduler.placement import _estimates, _shape

    placer = sched._placer
    policies = [POLICIES[s.policy or sched.default_policy] for s in specs]
    prepared = []
    for i, spec in enumerate(specs):
        cands = placer.candidates(tenants[i], spec)
        ranking = placer.rank(cands, policies[i])
        if len(ranking.order):
            prepared.append((i, cands, ranking, int(ranking.order[0])))
    if not prepared:
        return []

    def score(k: int) -> object:
        i = k % len(specs)
        return placer.rank(placer.candidates(tenants[i], specs[i]), policies[i])

    def pack(k: int) -> object:
        i, cands, _, top = prepared[k % len(prepared)]
        got = sched._try_place(
            placer.dc_ids[cands.dc[top]],
            _shape(cands, specs[i], cands.model[top]),
            specs[i].replicas,
        )
        if got:
            sched.ledger.release(got)  # timed too: a few microseconds
        return got

    def explain(k: int) -> object:
        i, cands, ranking, top = prepared[k % len(prepared)]
        energy, _ = _estimates(cands, top)
        return placer.explain(policies[i], cands, ranking, top, energy)

    return [
        _timed(f"  of which candidates + score ({network})", score, each),
        _timed(f"  of which node packing + release ({network})", pack, each),
        _timed(f"  of which explanation ({network})", explain, each),
    ]


def _decide_loop(sched: Engine, specs: Sequence[JobSpec], label: str, seconds: float) -> LoadResult:
    """Placement alone: ``_decide(take=True)`` in chunks; each chunk's allocations are given
    back (untimed) so that the network never fills."""
    latencies: list[float] = []
    placed = 0
    timed = 0.0
    chunk = 200
    turn = itertools.cycle(zip(itertools.cycle(_TENANTS), specs, strict=False))
    while timed < seconds:
        taken = []
        for _ in range(chunk):
            tenant, spec = next(turn)
            t0 = time.perf_counter()
            decision = sched._decide(tenant, spec, take=True)
            dt = time.perf_counter() - t0
            timed += dt
            latencies.append(dt)
            if decision.placement is not None:
                placed += 1
                taken.append(decision.allocations)
        for allocs in taken:
            sched.ledger.release(allocs)
    return LoadResult(
        label,
        1,
        len(latencies),
        placed,
        0,
        timed,
        _percentile(latencies, 0.5) * 1000,
        _percentile(latencies, 0.99) * 1000,
    )


async def _submit_loop(
    sched: Engine,
    specs: Sequence[JobSpec],
    label: str,
    seconds: float,
    concurrency: int,
    with_request_id: bool,
) -> LoadResult:
    turn = itertools.cycle(zip(itertools.cycle(_TENANTS), specs, strict=False))

    async def call() -> bool:
        tenant, spec = next(turn)
        job = await sched.submit(
            tenant, spec, request_id=uuid.uuid4().hex if with_request_id else ""
        )
        return job.placement is not None

    return await _closed_loop(label, call, concurrency, seconds, min(0.5, seconds / 4))


# --------------------------------------------------------------------------- store costs


def _store_costs(label: str, url: str, samples: Sequence[Job], seconds: float) -> list[LoadResult]:
    """What the database side of one submission costs, outside the event loop: one
    ``JobStore.write`` transaction of 1, 8 and 64 placed jobs (what group commit batches), and
    the ``find_request`` lookup every SubmitJob with a request_id makes first."""
    engine = db.create_engine(url)
    store = JobStore(engine)
    out: list[LoadResult] = []
    try:
        for batch in (1, 8, 64):
            latencies: list[float] = []
            timed = 0.0
            while timed < seconds / 4 or len(latencies) < 3:
                jobs = [
                    replace(
                        samples[(len(latencies) * batch + k) % len(samples)],
                        id=f"store-{uuid.uuid4().hex[:16]}",
                        request_id=uuid.uuid4().hex,
                        seq=0,
                    )
                    for k in range(batch)
                ]
                t0 = time.perf_counter()
                store.write(jobs, [])
                dt = time.perf_counter() - t0
                timed += dt
                latencies.append(dt)
            out.append(
                LoadResult(
                    f"JobStore.write {label}, {batch} job(s)/transaction",
                    1,
                    len(latencies),
                    len(latencies) * batch,
                    0,
                    timed,
                    _percentile(latencies, 0.5) * 1000,
                    _percentile(latencies, 0.99) * 1000,
                )
            )
        latencies = []
        timed = 0.0
        while timed < seconds / 4 or len(latencies) < 3:
            t0 = time.perf_counter()
            store.find_request(samples[0].tenant, uuid.uuid4().hex)
            dt = time.perf_counter() - t0
            timed += dt
            latencies.append(dt)
        out.append(
            LoadResult(
                f"JobStore.find_request {label} (a miss)",
                1,
                len(latencies),
                len(latencies),
                0,
                timed,
                _percentile(latencies, 0.5) * 1000,
                _percentile(latencies, 0.99) * 1000,
            )
        )
    finally:
        engine.dispose()
    for r in out:
        _progress(
            f"{r.label}: {r.placed_rate:,.0f} jobs/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms"
        )
    return out


# --------------------------------------------------------------------------- profile


def _profile_report(path: Path, top: int) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(str(path), stream=stream)
    stats.strip_dirs()
    stream.write("== by own time (tottime)\n")
    stats.sort_stats("tottime").print_stats(top)
    stream.write("== by cumulative time, project code\n")
    stats.sort_stats("cumulative").print_stats(
        r"(engine|ledger|service|store|online|packing|energy|domain|server|errors)\.py", top
    )
    return stream.getvalue()


async def _profiled_level(
    child: _Child, mode: str, concurrency: int, seconds: float, doc: InventoryDocument, top: int
) -> str:
    """One more SubmitJob level with the server profiled (``sample`` or ``cprofile``)."""
    profile = child.ready_file.with_name("profile.prof")
    done = profile.with_suffix(".done")
    done.unlink(missing_ok=True)
    profile.with_suffix(".mode").write_text(mode)
    child.signal(signal.SIGUSR1)
    await asyncio.sleep(0.2)
    # Longer than a measured level: the sampler gets the GIL only so often.
    await _submit_levels(f"SubmitJob ({mode})", child, [concurrency], max(seconds, 5.0), 0.2, doc)
    child.signal(signal.SIGUSR2)
    for _ in range(300):  # the child writes the file: no event to wait on across processes
        if done.exists():
            break
        await asyncio.sleep(0.1)
    else:
        return "profile not written in time"
    if mode == "cprofile":
        return _profile_report(profile, top)
    return profile.with_suffix(".txt").read_text()


# --------------------------------------------------------------------------- report


def _table(results: Sequence[LoadResult], echo: dict[int, LoadResult] | None) -> str:
    head = f"{'benchmark':<62} {'conc':>4} {'placed/s':>10} {'calls/s':>10} {'p50 ms':>8}"
    head += f" {'p99 ms':>8} {'errors':>6}"
    if echo:
        head += f" {'÷ echo':>7} {'srv us':>7} {'loop us':>7} {'cli us':>7}"
    lines = [head, "-" * len(head)]
    for r in results:
        line = f"{r.label:<62} {r.concurrency:>4} {r.placed_rate:>10,.0f} {r.rate:>10,.0f} "
        line += f"{r.p50_ms:>8.3f} {r.p99_ms:>8.3f} {r.errors:>6}"
        if echo:
            base = echo.get(r.concurrency)
            line += f" {r.placed_rate / base.rate:>7.1%}" if base and base.rate else f" {'':>7}"
            line += f" {r.server_cpu_us:>7,.0f} {r.loop_cpu_us:>7,.0f} {r.client_cpu_us:>7,.0f}"
        lines.append(line)
    return "\n".join(lines)


def _verdicts(
    echo: Sequence[LoadResult],
    sqlite: Sequence[LoadResult],
    inproc: Sequence[LoadResult],
    big_nodes: int,
    floor: Sequence[LoadResult] = (),
) -> list[str]:
    out = []
    best_echo = max((r.rate for r in echo), default=0.0)
    top = max(floor, key=lambda r: r.rate, default=None)
    if top is not None and best_echo:
        budget = (os.cpu_count() or 1) / _TARGET_SUBMIT_PER_S * 1e6
        used = top.server_cpu_us + top.client_cpu_us
        out.append(
            f"floor (SubmitJob's messages on grpc.aio, no computenet code): {top.rate:,.0f}/s "
            f"at c={top.concurrency} = {top.rate / best_echo:.1%} of the best echo; it costs "
            f"{top.server_cpu_us:,.0f} us of server and {top.client_cpu_us:,.0f} us of client "
            f"CPU per call, of the {budget:,.0f} us that {os.cpu_count()} core(s) give each call "
            f"at {_TARGET_SUBMIT_PER_S:,.0f}/s: {budget - used:,.0f} us are left for the "
            "service, the placement and the commit"
        )
    good = [r for r in sqlite if r.p99_ms <= _TARGET_SUBMIT_P99_MS and not r.errors]
    best = max(good, key=lambda r: r.placed_rate, default=None)
    if best is not None:
        met = best.placed_rate >= _TARGET_SUBMIT_PER_S
        share = best.placed_rate / best_echo if best_echo else math.nan
        out.append(
            f"SubmitJob SQLite, best level with p99 <= {_TARGET_SUBMIT_P99_MS:g} ms: "
            f"{best.placed_rate:,.0f} placements/s at c={best.concurrency} "
            f"(p99 {best.p99_ms:.1f} ms) = {share:.1%} of the best echo {best_echo:,.0f}/s "
            f"-> target {_TARGET_SUBMIT_PER_S:,.0f}/s and {_TARGET_ECHO_SHARE:.0%}: "
            f"{'MET' if met and share >= _TARGET_ECHO_SHARE else 'NOT MET'}"
        )
        if best.loop_cpu_us > 0:
            out.append(
                f"  its event-loop thread alone spent {best.loop_cpu_us:,.0f} us of CPU per call "
                f"there: one such thread serves at most {1e6 / best.loop_cpu_us:,.0f} calls/s"
            )
    elif sqlite:
        out.append(
            f"SubmitJob SQLite: no level kept p99 <= {_TARGET_SUBMIT_P99_MS:g} ms -> NOT MET"
        )
    decide = [r for r in inproc if r.label.startswith("Engine._decide") and "synthetic" in r.label]
    for r in decide:
        met = r.placed_rate >= _TARGET_ENGINE_PER_S and big_nodes >= _TARGET_ENGINE_NODES
        out.append(
            f"in-process engine at {big_nodes:,} nodes: {r.placed_rate:,.0f} placements/s "
            f"-> target {_TARGET_ENGINE_PER_S:,.0f}/s at >= {_TARGET_ENGINE_NODES:,} nodes: "
            f"{'MET' if met else 'NOT MET'}"
        )
    return out


# --------------------------------------------------------------------------- main


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="a few-second smoke")
    p.add_argument("--concurrency", default="1,8,32,64", help="client coroutines per level")
    p.add_argument("--seconds", type=float, default=3.0, help="measured seconds per level")
    p.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds per level")
    p.add_argument("--postgres", action="store_true", help="also SubmitJob on PostgreSQL")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("COMPUTENET_TEST_POSTGRES_URL", _DEFAULT_POSTGRES),
        help="PostgreSQL server; a fresh schema is created and dropped",
    )
    p.add_argument("--grpc-network", choices=("demo", "synthetic"), default="demo")
    p.add_argument("--data-centers", type=int, default=60, help="synthetic network size")
    p.add_argument("--nodes-per-dc", type=int, default=90, help="synthetic network size")
    p.add_argument("--log-level", default="warning", help="server log level")
    p.add_argument("--profile", action="store_true", help="cProfile one SubmitJob level")
    p.add_argument("--profile-top", type=int, default=25)
    p.add_argument("--out", type=Path, help="directory for the JSON results and the profile")
    p.add_argument("--skip-grpc", action="store_true")
    p.add_argument("--skip-inprocess", action="store_true")
    p.add_argument("--child", choices=("echo", "computenet"), help=argparse.SUPPRESS)
    p.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--database-url", help=argparse.SUPPRESS)
    p.add_argument("--responses-file", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.concurrency = "1,8"
        args.seconds = min(args.seconds, 0.6)
        args.warmup = min(args.warmup, 0.2)
        args.data_centers = min(args.data_centers, 50)
        args.nodes_per_dc = min(args.nodes_per_dc, 4)
    args.levels = [int(x) for x in str(args.concurrency).split(",") if x.strip()]
    if not args.levels or min(args.levels) < 1 or max(args.levels) > 1024:
        p.error("--concurrency takes 1..1024 coroutines per level, comma-separated")
    return args


async def _run(args: argparse.Namespace, workdir: Path) -> int:
    demo = load_demo()
    synthetic = synthetic_network(args.data_centers, args.nodes_per_dc)
    grpc_doc = demo if args.grpc_network == "demo" else synthetic
    _progress(
        f"networks: demo {len(demo.nodes):,} nodes in {len(demo.data_centers)} DCs; synthetic "
        f"{len(synthetic.nodes):,} nodes in {len(synthetic.data_centers)} DCs"
    )
    echo: list[LoadResult] = []
    floor: list[LoadResult] = []
    submit: dict[str, list[LoadResult]] = {}
    inproc: list[LoadResult] = []
    profiles: dict[str, str] = {}
    server_stats: dict[str, dict[str, Any]] = {}
    if not args.skip_grpc:
        payload = _submit_requests(grpc_doc)[0].SerializeToString()
        _progress("placing one job of each kind for the floor's responses")
        responses = workdir / "responses.json"
        responses.write_text(
            json.dumps([r.hex() for r in await _sample_responses(grpc_doc, workdir)])
        )
        _progress("starting the echo server (separate process)")
        child = _spawn("echo", workdir, "--responses-file", str(responses))
        try:
            echo = await _echo_levels(child, args.levels, args.seconds, args.warmup, payload)
            floor = await _submit_levels(
                _FLOOR_LABEL,
                child,
                args.levels,
                args.seconds,
                args.warmup,
                grpc_doc,
                _submit_shaped,
            )
        finally:
            child.stop()
        backends: list[tuple[str, contextlib.AbstractContextManager[str]]] = [
            ("SQLite", contextlib.nullcontext(f"sqlite:///{workdir / 'grpc.db'}"))
        ]
        if args.postgres:
            backends.append(("PostgreSQL", _postgres_schema(args.postgres_url)))
        for name, url_cm in backends:
            with url_cm as url:
                _progress(f"{name}: importing the {args.grpc_network} network")
                await asyncio.to_thread(_prepare_database, url, grpc_doc)
                _progress(f"{name}: starting the computenet server (separate process)")
                child = _spawn(
                    "computenet",
                    workdir,
                    "--database-url",
                    url,
                    "--log-level",
                    args.log_level,
                )
                try:
                    label = f"SubmitJob gRPC {name} ({args.grpc_network})"
                    submit[name] = await _submit_levels(
                        label, child, args.levels, args.seconds, args.warmup, grpc_doc
                    )
                    if args.profile and name == "SQLite":
                        for mode in ("sample", "cprofile"):
                            _progress(f"profiling SubmitJob in the server ({mode})")
                            profiles[mode] = await _profiled_level(
                                child,
                                mode,
                                max(args.levels),
                                args.seconds,
                                grpc_doc,
                                args.profile_top,
                            )
                finally:
                    server_stats[name] = child.stop()
                _progress(f"{name} server stats: {server_stats[name]}")
    store: list[LoadResult] = []
    steps: list[LoadResult] = []
    if not args.skip_inprocess:
        concurrency = max(args.levels)
        samples: list[Job] = []
        for net in (_Network("demo", demo), _Network("synthetic", synthetic)):
            inproc += await _inprocess(net, workdir, args.seconds, concurrency, samples, steps)
        if samples:
            store += _store_costs(
                "SQLite", f"sqlite:///{workdir / 'inproc-demo.db'}", samples, args.seconds
            )
            if args.postgres:
                with _postgres_schema(args.postgres_url) as url:
                    await asyncio.to_thread(_prepare_database, url, InventoryDocument())
                    store += _store_costs("PostgreSQL", url, samples, args.seconds)

    echo_by_c = {r.concurrency: r for r in echo}
    print("\n== computenet hot path (this machine)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"cores: {os.cpu_count()}, load average {load} (other work on the machine skews the "
        f"figures), python {sys.version.split()[0]}, grpcio {grpc.__version__}"
    )
    if echo:
        print(
            "\n-- gRPC (server in its own process; ÷ echo = placements/s over echo req/s;"
            " srv us, cli us = CPU per call of the server and of the client process; loop us"
            " = of the server's event-loop thread alone)"
        )
        print(_table(echo + floor + [r for rs in submit.values() for r in rs], echo_by_c))
        for name, stats in server_stats.items():
            tx = stats.get("transactions")
            placed = stats.get("placements")
            if tx and placed:
                print(f"{name}: {placed:,} placements in {tx:,} commits ({placed / tx:.1f}/commit)")
    if inproc:
        print(f"\n-- in-process (no RPC; Engine.submit at concurrency {max(args.levels)})")
        print(_table(inproc, None))
    if steps:
        print("\n-- CPU cost of each step of one SubmitJob alone (one thread, no contention)")
        head = f"{'step':<62} {'calls':>8} {'mean us':>9} {'p50 us':>9} {'p99 us':>9}"
        print(head)
        print("-" * len(head))
        for r in steps:
            mean = r.seconds / r.calls * 1e6
            print(
                f"{r.label:<62} {r.calls:>8,} {mean:>9.1f} {r.p50_ms * 1000:>9.1f} "
                f"{r.p99_ms * 1000:>9.1f}"
            )
    if store:
        print(
            "\n-- the database side of a submission (one thread, no event loop; placed/s = jobs/s)"
        )
        print(_table(store, None))
    print("\n-- targets")
    for line in _verdicts(echo, submit.get("SQLite", []), inproc, len(synthetic.nodes), floor):
        print(line)
    if profiles:
        print(
            f"\n-- where SubmitJob time goes in the server, SQLite, c={max(args.levels)}: "
            "wall-clock samples of every thread"
        )
        print(profiles.get("sample", ""))
        print("-- the same under cProfile (event-loop thread only; GIL waits land on the caller)")
        print(profiles.get("cprofile", ""))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        results = [
            {**{k: getattr(r, k) for k in LoadResult.__slots__}, "rate": r.rate}
            for r in [
                *echo,
                *floor,
                *(r for rs in submit.values() for r in rs),
                *inproc,
                *store,
                *steps,
            ]
        ]
        (args.out / "bench_hotpath.json").write_text(json.dumps(results, indent=1))
        if profiles:
            (args.out / "bench_hotpath_profile.txt").write_text("\n".join(profiles.values()))
            prof = workdir / "profile.prof"
            if prof.exists():
                (args.out / "bench_hotpath_server.prof").write_bytes(prof.read_bytes())
    failed = [
        r for r in [*echo, *floor, *inproc, *(r for rs in submit.values() for r in rs)] if r.errors
    ]
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.child == "echo":
        shaped = json.loads(args.responses_file.read_text()) if args.responses_file else []
        asyncio.run(_run_echo(args.ready_file, [bytes.fromhex(r) for r in shaped]))
        return 0
    if args.child == "computenet":
        profile = args.ready_file.with_name("profile.prof")
        _run_computenet(args.ready_file, args.database_url, args.log_level, profile)
        return 0
    from computenet.logging import configure_logging

    configure_logging("warning", json=False)
    with tempfile.TemporaryDirectory(prefix="computenet-bench-") as tmp:
        return asyncio.run(_run(args, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
