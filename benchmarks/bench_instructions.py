"""Instructions per call on the hot path, counted by callgrind: repeatable figures on a
machine whose wall-clock figures swing from run to run (this one is shared).

Run from the repository root (valgrind comes from Debian's ``valgrind`` package):

    PYTHONPATH=. python benchmarks/bench_instructions.py            # about 3-4 min
    PYTHONPATH=. python benchmarks/bench_instructions.py --calls 200 --only echo,submit

Each measure runs in its own process under ``valgrind --tool=callgrind`` with counting off
while it starts and warms up; the driver then switches counting on with
``callgrind_control``, the child makes ``--calls`` calls, and counting goes off again before
it stops. What is counted is every instruction of that process in that span, all threads:

- ``echo``: a raw grpc.aio echo (bytes in, bytes out), client and server in one process, the
  baseline in the same run;
- ``submit``: SubmitJob through a real computenet server (SQLite, demo network) and the
  generated client stub, both in one process, the commit thread included;
- ``decide-demo`` and ``decide-synthetic``: ``Engine._decide(take=True)`` alone on the demo
  network and on the 5,400-node, 60-data-center network of bench_hotpath.py.

Instruction counts are not time (a cache miss costs more than an add), but they barely move
with the machine's load: the decisions, one thread, repeat to about 0.1 %. The RPC measures
less so, since how often grpc's poller thread wakes depends on timing: run alone they came
out up to 7 % lower than with a second count running beside them, and side by side within
about 1 %. To compare two commits, start both counts at once, one per work tree:

    (cd ../before && PYTHONPATH=. python benchmarks/bench_instructions.py) &
    PYTHONPATH=. python benchmarks/bench_instructions.py; wait

Counting slows the child about 50 times, so the PUE, which
the placer re-reads once a second, is re-read only at start here: otherwise the slow-down
itself would add work. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
MODES = ("echo", "submit", "decide-demo", "decide-synthetic")
_COLLECTED = re.compile(r"Collected\s*:\s*([0-9]+)")


def _progress(message: str) -> None:
    print(f"[instructions {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def collected(log_text: str) -> int:
    """The instruction count callgrind reports at exit (``==pid== Collected : N``)."""
    found = _COLLECTED.findall(log_text)
    if not found:
        raise ValueError("no 'Collected' line in the callgrind log")
    return int(found[-1])


# --------------------------------------------------------------------------- the child


def _shares(total: int, workers: int) -> list[int]:
    """``total`` calls split over ``workers`` as evenly as they go."""
    return [total // workers + (k < total % workers) for k in range(workers)]


class _Gate:
    """Files through which the driver and the child take turns."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def mark(self, name: str) -> None:
        (self._folder / name).touch()

    async def wait(self, name: str) -> None:
        # The other side is another process: a file is what both see.
        while not (self._folder / name).exists():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _counted(
    gate: _Gate, run: Callable[[int], Awaitable[None]], warmup: int, calls: int
) -> None:
    """``run(warmup)`` uncounted, then ``run(calls)`` while the driver has counting on."""
    await run(warmup)
    gate.mark("ready")
    await gate.wait("go")
    await run(calls)
    gate.mark("done")
    await gate.wait("exit")


def _in_flight(
    one: Callable[[int], Awaitable[None]], concurrency: int
) -> Callable[[int], Awaitable[None]]:
    """A run of ``total`` calls of ``one(i)``, ``concurrency`` at a time, i counting on
    across runs."""
    counter = itertools.count()

    async def run(total: int) -> None:
        async def worker(n: int) -> None:
            for _ in range(n):
                await one(next(counter))

        await asyncio.gather(*(worker(n) for n in _shares(total, concurrency)))

    return run


async def _echo_child(gate: _Gate, calls: int, warmup: int, concurrency: int) -> None:
    import grpc

    from benchmarks.bench_hotpath import _ECHO_METHOD, start_echo_server

    server, port = await start_echo_server()
    payload = b"x" * 200
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(_ECHO_METHOD)

        async def one(i: int) -> None:
            await call(payload)

        await _counted(gate, _in_flight(one, concurrency), warmup, calls)
    await server.stop(None)


async def _submit_child(gate: _Gate, calls: int, warmup: int, concurrency: int) -> None:
    import grpc

    from benchmarks.bench_hotpath import _submit_requests
    from computenet.config import Config
    from computenet.v1 import scheduler_pb2 as pb
    from computenet.v1 import scheduler_pb2_grpc as pb_grpc
    from inventory.document import load_demo
    from scheduler.server import start, tune_gc

    folder = Path(tempfile.mkdtemp(prefix="computenet-instructions-"))
    config = Config.from_env(
        {},
        host="127.0.0.1",
        port=0,
        database_url=f"sqlite:///{folder / 'computenet.db'}",
        demo=True,
        log_level="warning",
        telemetry_simulator_backfill_days=0.0,
    )
    running = await start(config)
    tune_gc()  # as serve() does once started
    templates = _submit_requests(load_demo())
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = pb_grpc.SchedulerServiceStub(channel)  # type: ignore[no-untyped-call]

        async def one(i: int) -> None:
            request = pb.SubmitJobRequest()
            request.CopyFrom(templates[i % len(templates)])
            request.request_id = f"{i:032x}"  # fresh, as the client library sends
            response = await stub.SubmitJob(request)
            if response.job.state != pb.Job.STATE_SCHEDULED:
                raise RuntimeError(f"job not placed: {response.job.state_message}")

        await _counted(gate, _in_flight(one, concurrency), warmup, calls)
    await running.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def _decide_child(gate: _Gate, network: str, calls: int, warmup: int) -> None:
    from benchmarks.bench_hotpath import _TENANTS, _prepare_database, bench_specs
    from benchmarks.bench_hotpath import synthetic_network as synthetic
    from computenet import db
    from inventory.document import load_demo
    from inventory.store import InventoryStore
    from scheduler.engine import Engine
    from scheduler.server import tune_gc
    from scheduler.store import JobStore

    doc = synthetic() if network == "synthetic" else load_demo()
    folder = Path(tempfile.mkdtemp(prefix="computenet-instructions-"))
    url = f"sqlite:///{folder / 'computenet.db'}"
    _prepare_database(url, doc)
    engine = db.create_engine(url)
    sched = Engine(JobStore(engine), InventoryStore(engine))
    await sched.start()
    tune_gc()
    specs = bench_specs(doc)
    turn = itertools.cycle(zip(itertools.cycle(_TENANTS), specs, strict=False))
    held: list[Any] = []

    async def run(total: int) -> None:
        for _ in range(total):
            tenant, spec = next(turn)
            decision = sched._decide(tenant, spec, take=True)
            if decision.placement is not None:
                held.append(decision.allocations)
            if len(held) >= 200:  # give capacity back, as bench_hotpath does between chunks
                for allocations in held:
                    sched.ledger.release(allocations)
                held.clear()

    await _counted(gate, run, warmup, calls)
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def _child(args: argparse.Namespace) -> None:
    import scheduler.placement

    # Counting slows this process ~50x; a PUE re-read per wall-clock second would then come
    # ~50x as often per call as it does at full speed. Read it once, at start.
    scheduler.placement._PUE_REFRESH_S = float("inf")
    gate = _Gate(Path(args.gate))
    if args.child == "echo":
        asyncio.run(_echo_child(gate, args.calls, args.warmup, args.concurrency))
    elif args.child == "submit":
        asyncio.run(_submit_child(gate, args.calls, args.warmup, args.concurrency))
    else:
        network = args.child.split("-", 1)[1]
        asyncio.run(_decide_child(gate, network, args.calls, args.warmup))


# --------------------------------------------------------------------------- the driver


def _measure(mode: str, args: argparse.Namespace, workdir: Path) -> int:
    gate_dir = workdir / mode
    gate_dir.mkdir()
    gate = _Gate(gate_dir)
    log = workdir / f"{mode}.log"
    env = dict(os.environ, PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH", "")]))
    env = {k: v for k, v in env.items() if not k.startswith("COMPUTENET_")}
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={workdir / (mode + '.callgrind')}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--gate",
        str(gate_dir),
        "--calls",
        str(args.calls),
        "--warmup",
        str(args.warmup),
        "--concurrency",
        str(args.concurrency),
    ]
    with log.open("wb") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=_ROOT)

        def wait_for(name: str, timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while not (gate_dir / name).exists():
                if child.poll() is not None:
                    raise RuntimeError(
                        f"{mode}: the child exited with {child.returncode}; see {log}"
                    )
                if time.monotonic() > deadline:
                    child.kill()
                    raise RuntimeError(f"{mode}: no '{name}' within {timeout:.0f} s; see {log}")
                time.sleep(0.2)

        try:
            wait_for("ready", args.timeout)
            subprocess.run(
                ["callgrind_control", "-i", "on", str(child.pid)], check=True, capture_output=True
            )
            gate.mark("go")
            wait_for("done", args.timeout)
            subprocess.run(
                ["callgrind_control", "-i", "off", str(child.pid)], check=True, capture_output=True
            )
            gate.mark("exit")
            if child.wait(timeout=args.timeout) != 0:
                raise RuntimeError(f"{mode}: the child exited with {child.returncode}; see {log}")
        finally:
            if child.poll() is None:
                child.kill()
    return collected(log.read_text(errors="replace"))


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=600, help="counted calls per measure")
    p.add_argument("--warmup", type=int, default=300, help="uncounted calls first")
    p.add_argument("--concurrency", type=int, default=8, help="calls in flight (echo, submit)")
    p.add_argument("--only", default=",".join(MODES), help=f"comma-separated of {MODES}")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per step of a measure")
    p.add_argument("--out", type=Path, help="also write the figures here as JSON")
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    p.add_argument("--gate", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    modes = [m for m in args.only.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        p.error(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(MODES)}")
    if args.calls < 1 or args.warmup < 0 or args.concurrency < 1:
        p.error("--calls and --concurrency must be at least 1, --warmup at least 0")
    args.modes = modes
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        _child(args)
        return 0
    missing = [tool for tool in ("valgrind", "callgrind_control") if shutil.which(tool) is None]
    if missing:
        print(f"needs {' and '.join(missing)} (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    results: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="computenet-instructions-") as tmp:
        for mode in args.modes:
            _progress(f"{mode}: starting under callgrind ({args.warmup} uncounted calls first)")
            total = _measure(mode, args, Path(tmp))
            results[mode] = total
            _progress(f"{mode}: {total / args.calls:,.0f} instructions per call")
    echo = results.get("echo")
    print(f"{'measure':<18} {'calls':>7} {'instructions/call':>18} {'x echo':>8}")
    for mode, total in results.items():
        per = total / args.calls
        ratio = f"{per / (echo / args.calls):.2f}" if echo else "-"
        print(f"{mode:<18} {args.calls:>7,} {per:>18,.0f} {ratio:>8}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "calls": args.calls,
                    "concurrency": args.concurrency,
                    "instructions_per_call": {m: t / args.calls for m, t in results.items()},
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
