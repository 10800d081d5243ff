"""Headless load test: start a computenet server on 127.0.0.1 (SQLite in a temporary directory,
or a fresh PostgreSQL schema), run the locust users of ``locustfile.py`` against it for a
bounded time, write locust's CSV stats and a short summary into ``--out``, and stop everything.

    PYTHONPATH=. python loadtests/run.py --users 8 --spawn-rate 4 --run-time 30s --out /tmp/load
    PYTHONPATH=. python loadtests/run.py --postgres            # $COMPUTENET_TEST_POSTGRES_URL

It only ever loads the server it started itself, on 127.0.0.1. Exit status 0 when every call
succeeded and the server stopped cleanly on SIGTERM, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

__all__ = [
    "CallStats",
    "main",
    "parse_run_time",
    "read_final_stats",
    "read_stats",
    "summary_table",
]

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
HOST = "127.0.0.1"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

MAX_USERS = 500
MAX_SPAWN_RATE = 100.0
MAX_RUN_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class CallStats:
    """One row of locust's stats: one RPC, or ``Aggregated``."""

    name: str
    """RPC name as the locustfile reports it (``Aggregated`` for the total)."""
    requests: int
    """Calls made."""
    failures: int
    """Calls that failed."""
    rps: float
    """Calls per second over the run."""
    p50_ms: float
    """Median response time."""
    p99_ms: float
    """99th-percentile response time."""


def parse_run_time(text: str) -> int:
    """Seconds of a locust run time such as ``90``, ``30s``, ``2m`` or ``1h30m``."""
    if text.isdigit():
        return int(text)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text.strip())
    if not text.strip() or parts is None:
        raise ValueError(f"bad run time {text!r}: use e.g. 30s, 2m or 1h30m")
    h, m, s = (int(x or 0) for x in parts.groups())
    return h * 3600 + m * 60 + s


def _bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be {lo}..{hi}")
        return value

    return parse


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--users", type=_bounded_int(1, MAX_USERS), default=4, help="locust users")
    p.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second")
    p.add_argument("--run-time", default="20s", help="e.g. 20s, 2m (at most 1h)")
    p.add_argument("--out", type=Path, default=Path("loadtest-out"), help="where results go")
    p.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL schema")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("COMPUTENET_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="PostgreSQL server for --postgres (a schema is created and dropped)",
    )
    p.add_argument("--log-level", default="warning", help="server log level")
    p.add_argument("--startup-timeout", type=float, default=120.0, help="seconds")
    args = p.parse_args(argv)
    if not 0 < args.spawn_rate <= MAX_SPAWN_RATE:
        p.error(f"--spawn-rate must be in (0, {MAX_SPAWN_RATE:g}]")
    try:
        args.run_seconds = parse_run_time(args.run_time)
    except ValueError as exc:
        p.error(str(exc))
    if not 1 <= args.run_seconds <= MAX_RUN_SECONDS:
        p.error(f"--run-time must be 1 s .. {MAX_RUN_SECONDS} s")
    return args


def _log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    """The children's environment: ours without COMPUTENET_* (the flags say everything), the
    repository importable, the telemetry backfill off so that the server starts in seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTENET_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["COMPUTENET_TELEMETRY_SIMULATOR_BACKFILL_DAYS"] = "0"
    return env


def _serve_command() -> list[str]:
    """``computenet serve``: the installed script beside this Python, else the same entry point."""
    script = Path(sys.executable).with_name("computenet")
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-c", "from computenet.cli import main; main()", "serve"]


@contextlib.contextmanager
def _database(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    if not args.postgres:
        yield f"sqlite:///{workdir / 'computenet.db'}"
        return
    import sqlalchemy as sa

    from computenet.db import normalise_url

    schema = f"load_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalise_url(args.postgres_url), connect_args={"connect_timeout": 5})
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in args.postgres_url else "?"
    try:
        yield f"{args.postgres_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _wait_healthy(address: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with status {server.returncode}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server was not healthy within {timeout:g} s")
            time.sleep(0.2)


def _stop(server: subprocess.Popen[bytes], timeout: float = 30.0) -> bool:
    """SIGTERM and wait; True when it exited by itself with status 0."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        status = server.wait(timeout)
    except subprocess.TimeoutExpired:
        _log(f"the server did not stop within {timeout:g} s after SIGTERM; killing it")
        server.kill()
        server.wait(10)
        return False
    if status != 0:
        _log(f"the server exited with status {status}")
    return status == 0


def read_stats(path: Path) -> list[CallStats]:
    """The rows of a locust ``*_stats.csv``."""
    out = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):

            def num(key: str, row: dict[str, str] = row) -> float:
                value = row.get(key, "") or "0"
                return float(value) if value != "N/A" else 0.0

            out.append(
                CallStats(
                    row["Name"],
                    int(num("Request Count")),
                    int(num("Failure Count")),
                    num("Requests/s"),
                    num("50%"),
                    num("99%"),
                )
            )
    return out


def _percentile(times: Mapping[int, int], count: int, q: float) -> float:
    """Locust's own percentile over its rounded response-time histogram."""
    below = int(count * q)
    seen = 0
    for ms in sorted(times, reverse=True):
        seen += times[ms]
        if count - seen <= below:
            return float(ms)
    return 0.0


def read_final_stats(path: Path) -> list[CallStats]:
    """The rows of locust's ``--json-file`` (written at exit, so it has the whole run, where the
    CSV, rewritten every second while running, may miss the last moments), with the total."""
    entries = json.loads(path.read_text())
    if not entries:
        return []
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] or start for e in entries)
    span = end - start
    rows = []
    total: Counter[int] = Counter()
    for e in sorted(entries, key=lambda e: str(e["name"])):
        times = {int(ms): int(n) for ms, n in e["response_times"].items()}
        total.update(times)
        n = int(e["num_requests"])
        rps = n / span if span > 0 else 0.0
        rows.append(
            CallStats(
                str(e["name"]),
                n,
                int(e["num_failures"]),
                rps,
                _percentile(times, n, 0.5),
                _percentile(times, n, 0.99),
            )
        )
    n = sum(r.requests for r in rows)
    rows.append(
        CallStats(
            "Aggregated",
            n,
            sum(r.failures for r in rows),
            n / span if span > 0 else 0.0,
            _percentile(total, n, 0.5),
            _percentile(total, n, 0.99),
        )
    )
    return rows


def summary_table(stats: Sequence[CallStats]) -> str:
    """A Markdown table of the stats."""
    lines = [
        "| call | requests | failures | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.name} | {s.requests:,} | {s.failures:,} | {s.rps:,.1f} | {s.p50_ms:g} "
        f"| {s.p99_ms:g} |"
        for s in stats
    ]
    return "\n".join(lines)


def _run(args: argparse.Namespace, workdir: Path) -> int:
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = _env()
    with _database(args, workdir) as url:
        port = _free_port()
        address = f"{HOST}:{port}"
        command = [
            *_serve_command(),
            "--host",
            HOST,
            "--port",
            str(port),
            "--database-url",
            url,
            "--demo",
            "--no-auth",  # its own development server: the users act for any tenant
            "--log-level",
            args.log_level,
        ]
        backend = "PostgreSQL" if args.postgres else "SQLite"
        _log(f"starting computenet serve on {address} ({backend}, demo network)")
        with (out / "server.log").open("wb") as server_log:
            server = subprocess.Popen(
                command, stdout=server_log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
            )
        clean_stop = False
        try:
            _wait_healthy(address, server, args.startup_timeout)
            _log(
                f"server healthy; locust: {args.users} users, spawn rate {args.spawn_rate:g}/s, "
                f"{args.run_seconds} s"
            )
            locust = [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                f"grpc://{address}",
                "--users",
                str(args.users),
                "--spawn-rate",
                f"{args.spawn_rate:g}",
                "--run-time",
                f"{args.run_seconds}s",
                "--stop-timeout",
                "10",
                "--csv",
                str(out / "locust"),
                "--json-file",
                str(out / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ]
            with (out / "locust.log").open("wb") as locust_log:
                status = subprocess.run(
                    locust,
                    stdout=locust_log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=ROOT,
                    timeout=args.run_seconds + 120,
                    check=False,
                ).returncode
            _log(f"locust finished with status {status}")
        finally:
            clean_stop = _stop(server)
            _log(f"server stopped {'cleanly' if clean_stop else 'BADLY'}; log in {server_log.name}")
    stats_file = out / "locust_stats.csv"
    if not stats_file.exists():
        _log(f"no stats: {stats_file} is missing (see {out / 'locust.log'})")
        return 1
    final = out / "locust.json"
    stats = read_final_stats(final) if final.exists() else read_stats(stats_file)
    total = next((s for s in stats if s.name == "Aggregated"), None)
    table = summary_table(stats)
    header = (
        f"computenet load test: {args.users} users, {args.run_seconds} s, {backend}, demo network, "
        f"server log level {args.log_level}"
    )
    print(f"\n{header}\n\n{table}\n")
    (out / "summary.md").write_text(f"{header}\n\n{table}\n")
    (out / "summary.json").write_text(
        json.dumps(
            {
                "users": args.users,
                "run_seconds": args.run_seconds,
                "backend": backend,
                "server_stopped_cleanly": clean_stop,
                "calls": [asdict(s) for s in stats],
            },
            indent=1,
        )
    )
    ok = total is not None and total.requests > 0 and total.failures == 0 and clean_stop
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)
    with tempfile.TemporaryDirectory(prefix="computenet-load-") as tmp:
        return _run(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
