"""Durability of the scheduler across a crash: a REAL server process on a SQLite file is killed
with SIGKILL while clients are still submitting, then restarted on the same file.

What must hold afterwards: every job acknowledged to a client is there exactly once with the
placement it was acknowledged with; retrying any request_id (acknowledged or cut off by the
crash) never makes a second job; and the rebuilt ledger holds exactly the live placements:
no accelerator slot is over 1000 milli, and filling the network with one-accelerator jobs
until one waits brings the total held to exactly the inventory's accelerators.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc

from computenet.v1 import inventory_pb2, inventory_pb2_grpc
from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc as pb_grpc

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
NODES_PER_POOL = 4
ACCELERATORS = 2 * NODES_PER_POOL * 8
"""Accelerators in the network below: two data centers of four 8-accelerator nodes."""

NETWORK = {
    "version": 1,
    "accelerator_models": [
        {"id": "gpu", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0}
    ],
    "regions": [{"id": "east", "province": "Fujian", "latitude": 26.0, "longitude": 119.3}],
    "data_centers": [
        {
            "id": dc,
            "region": "east",
            "province": "Fujian",
            "latitude": 26.0,
            "longitude": 119.3,
            "grid_carbon_g_per_kwh": carbon,
            "electricity_price_cny_per_kwh": 0.5,
            "design_pue": 1.2,
            "pue_target": 1.3,
        }
        for dc, carbon in (("dc-a", 300.0), ("dc-b", 600.0))
    ],
    "pools": [
        {
            "data_center": dc,
            "id": "gpu-pool",
            "accelerator_model": "gpu",
            "accelerators_per_node": 8,
            "cpu_milli_per_node": 256_000,
            "memory_mib_per_node": 1_048_576,
            "node_count": NODES_PER_POOL,
        }
        for dc in ("dc-a", "dc-b")
    ],
}

_SERVE = """
import asyncio, sys
from computenet.config import Config
from scheduler.server import serve
asyncio.run(serve(Config(host="127.0.0.1", port=int(sys.argv[1]), database_url=sys.argv[2],
                         batch_interval_seconds=0, grace_seconds=1)))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(url: str, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A server subprocess on a free port, ready to answer; killed on exit if still alive."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(port), url],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    address = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(address) as ch:
            grpc.channel_ready_future(ch).result(timeout=30)
        yield proc, address
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _spec(i: int) -> pb.JobSpec:
    return pb.JobSpec(
        kind=pb.JOB_KIND_TRAINING,
        replicas=1,
        replica=pb.ReplicaSpec(accelerator_count=1 + i % 2, cpu_milli=1000, memory_mib=1024),
        labels={"rid": f"r-{i}"},
    )


def _all_jobs(stub: Any) -> list[pb.Job]:
    jobs: list[pb.Job] = []
    token = ""
    while True:
        page = stub.ListJobs(
            pb.ListJobsRequest(parent="tenants/-", page_size=100, page_token=token), timeout=20
        )
        jobs += page.jobs
        token = page.next_page_token
        if not token:
            return jobs


def _held(jobs: list[pb.Job]) -> Counter[tuple[str, int]]:
    """Milli per (node, slot) held by the live jobs."""
    out: Counter[tuple[str, int]] = Counter()
    for job in jobs:
        if job.state in (pb.Job.STATE_SCHEDULED, pb.Job.STATE_RUNNING):
            for a in job.placement.allocations:
                for slot in a.accelerator_indices:
                    out[(a.node, slot)] += a.accelerator_milli
    return out


class TestCrashRestart:
    def test_sigkill_mid_submission_loses_and_duplicates_nothing(self, tmp_path: Path) -> None:
        """Kill -9 while two clients submit; after the restart every acknowledged job is there
        once with its placement, retries return the same jobs, and the ledger holds exactly
        the live placements."""
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        log = tmp_path / "server.log"
        acked: dict[str, pb.Job] = {}
        lock = threading.Lock()
        stop = threading.Event()

        def submitter(start: int, stub: Any) -> None:
            i = start
            while not stop.is_set():
                try:
                    job = stub.SubmitJob(
                        pb.SubmitJobRequest(
                            parent="tenants/acme", spec=_spec(i), request_id=f"r-{i}"
                        ),
                        timeout=10,
                    ).job
                except grpc.RpcError:
                    return  # the server died under us: this request was never acknowledged
                with lock:
                    acked[f"r-{i}"] = job
                i += 2

        with server_process(url, log) as (proc, address), grpc.insecure_channel(address) as ch:
            inv = inventory_pb2_grpc.InventoryServiceStub(ch)  # type: ignore[no-untyped-call]
            inv.ImportInventory(
                inventory_pb2.ImportInventoryRequest(
                    content=json.dumps(NETWORK).encode(),
                    format=inventory_pb2.INVENTORY_FORMAT_JSON,
                ),
                timeout=20,
            )
            stub = pb_grpc.SchedulerServiceStub(ch)  # type: ignore[no-untyped-call]
            threads = [
                threading.Thread(target=submitter, args=(k, stub), daemon=True) for k in (0, 1)
            ]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 10
            # Enough to fill the network and queue some: 64 accelerators, 1.5 per job.
            while len(acked) < 60 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert all(t.is_alive() for t in threads), "a submitter stopped early"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            for t in threads:
                t.join(timeout=15)
            stop.set()
        assert len(acked) >= 60, log.read_text(errors="replace")[-2000:]
        states = Counter(j.state for j in acked.values())
        assert states[pb.Job.STATE_SCHEDULED], states
        assert states[pb.Job.STATE_PENDING], states

        with (
            server_process(url, log) as (_, address),
            grpc.insecure_channel(address) as ch,
        ):
            stub = pb_grpc.SchedulerServiceStub(ch)  # type: ignore[no-untyped-call]
            jobs = _all_jobs(stub)
            names = [j.name for j in jobs]
            assert len(names) == len(set(names))
            by_name = {j.name: j for j in jobs}
            rids = Counter(j.spec.labels["rid"] for j in jobs)
            assert max(rids.values()) == 1, "a request made two jobs"
            for rid, job in acked.items():
                assert job.name in by_name, f"acknowledged {rid} was lost"
                now = by_name[job.name]
                assert now.spec.labels["rid"] == rid
                if job.state == pb.Job.STATE_SCHEDULED:
                    assert now.state == pb.Job.STATE_SCHEDULED
                    assert now.placement == job.placement
            # Retries of every request id the clients sent (and one past, cut off by the
            # kill) return the one job of that request id, or make it once.
            top = max(int(r.removeprefix("r-")) for r in acked) + 2
            for i in range(top + 1):
                again = stub.SubmitJob(
                    pb.SubmitJobRequest(parent="tenants/acme", spec=_spec(i), request_id=f"r-{i}"),
                    timeout=20,
                ).job
                if f"r-{i}" in acked:
                    assert again.name == acked[f"r-{i}"].name
                elif f"r-{i}" in rids:
                    assert again.name in by_name
            jobs = _all_jobs(stub)
            assert Counter(j.spec.labels["rid"] for j in jobs) == Counter(
                f"r-{i}" for i in range(top + 1)
            )
            held = _held(jobs)
            assert all(m <= 1000 for m in held.values())
            # Fill what is left with one-accelerator jobs: when one waits, every accelerator
            # is held by a live job, so nothing leaked and nothing is held twice.
            for k in range(ACCELERATORS + 1):
                job = stub.SubmitJob(
                    pb.SubmitJobRequest(
                        parent="tenants/fill",
                        spec=pb.JobSpec(
                            kind=pb.JOB_KIND_TRAINING,
                            replicas=1,
                            replica=pb.ReplicaSpec(
                                accelerator_count=1, cpu_milli=100, memory_mib=16
                            ),
                            labels={"rid": f"fill-{k}"},
                        ),
                    ),
                    timeout=20,
                ).job
                if job.state == pb.Job.STATE_PENDING:
                    break
            else:
                raise AssertionError("more accelerators were free than the network has")
            held = _held(_all_jobs(stub))
            assert all(m <= 1000 for m in held.values())
            assert sum(held.values()) == ACCELERATORS * 1000
