"""Crash safety with real processes: ``computenet serve`` (authentication on) is killed with
SIGKILL at a seeded random moment while several clients submit and cancel jobs with
request_ids, then started again on the same database: a SQLite file, and a PostgreSQL schema
(skipped without a server, required in CI by COMPUTENET_REQUIRE_POSTGRES=1).

What must hold after the restart: every acknowledged submission is there exactly once, under
the name it was acknowledged with (ListJobs, and a retry of its request_id returns it); every
acknowledged cancellation stuck; retrying any request_id never makes a second job; no
accelerator slot is held past 1000 milli by the live jobs, each live placement matches its
spec, and the server's ledger (its accelerators-allocated gauge) equals the live placements.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from computenet import db
from computenet.auth import Role, TokenStore
from computenet.v1 import inventory_pb2 as ipb
from computenet.v1 import inventory_pb2_grpc as ipb_grpc
from computenet.v1 import scheduler_pb2 as spb
from computenet.v1 import scheduler_pb2_grpc as spb_grpc

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("COMPUTENET_CRASH_SEED", "20261125"))
"""Seed of the kill moment and the clients' choices (set it to replay a failure)."""
TIMEOUT = 20.0
WORKERS = 4
ACCELERATORS_PER_NODE = 8
LIVE = (spb.Job.STATE_SCHEDULED, spb.Job.STATE_RUNNING)

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
            "accelerators_per_node": ACCELERATORS_PER_NODE,
            "cpu_milli_per_node": 256_000,
            "memory_mib_per_node": 1_048_576,
            "node_count": 4,
        }
        for dc in ("dc-a", "dc-b")
    ],
}

_SERVE = "import sys; from computenet.cli import main; sys.argv[0] = 'computenet'; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``computenet serve`` process."""

    proc: subprocess.Popen[bytes]
    address: str
    metrics_url: str


@contextmanager
def serve(url: str, log: Path, *, leader: int) -> Iterator[Server]:
    """``computenet serve --auth`` on ``url`` in a subprocess, ready to answer; killed on exit.

    On PostgreSQL it waits until this process holds the placer lock (its ``leader``-th
    "active placer" line in the shared log), so that it places what it accepts.
    """
    port, metrics = _free_port(), _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COMPUTENET_BATCH_INTERVAL_SECONDS": "0",
        "COMPUTENET_GRACE_SECONDS": "1",
    }
    args = [
        "serve",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--metrics-port={metrics}",
        f"--database-url={url}",
        "--auth",
        "--log-json",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    address = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(address) as ch:
            grpc.channel_ready_future(ch).result(timeout=30)
        if not url.startswith("sqlite"):
            deadline = time.monotonic() + 15
            while log.read_text(errors="replace").count("now the active placer") < leader:
                assert time.monotonic() < deadline, "the restarted server never took the lock"
                time.sleep(0.05)
        yield Server(proc, address, f"http://127.0.0.1:{metrics}/metrics")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _spec(rid: str) -> spb.JobSpec:
    """The job of request ``rid``: its shape follows from the id, so a retry sends the same."""
    rng = random.Random(rid)
    count = rng.choice([0, 1, 1, 2, 4])
    return spb.JobSpec(
        kind=spb.JOB_KIND_TRAINING,
        replicas=rng.choice([1, 1, 2]),
        replica=spb.ReplicaSpec(
            accelerator_count=count,
            accelerator_milli=rng.choice([250, 500]) if count == 0 else 0,
            cpu_milli=1000,
            memory_mib=2048,
        ),
        labels={"rid": rid},
    )


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Load:
    """What the clients were told before the kill."""

    acked: dict[str, spb.Job] = field(default_factory=dict)
    """Acknowledged submissions by request_id."""
    sent: dict[str, str] = field(default_factory=dict)
    """Every request_id sent, with its tenant (acknowledged or cut off by the kill)."""
    cancelled: set[str] = field(default_factory=set)
    """Job names whose cancellation was acknowledged."""
    cancelling: set[str] = field(default_factory=set)
    """Job names whose cancellation was sent (acknowledged or cut off by the kill)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _worker(k: int, address: str, tenant: str, token: str, load: Load) -> None:
    """Submit jobs (and now and then cancel one of this worker's) until the server dies."""
    rng = random.Random(SEED * 100 + k)
    mine: list[spb.Job] = []
    with grpc.insecure_channel(address) as ch:
        stub = spb_grpc.SchedulerServiceStub(ch)  # type: ignore[no-untyped-call]
        for i in range(10_000):
            rid = f"w{k}-{i}"
            with load.lock:
                load.sent[rid] = tenant
            try:
                if mine and rng.random() < 0.2:
                    victim = mine.pop(rng.randrange(len(mine)))
                    with load.lock:
                        load.cancelling.add(victim.name)
                    stub.CancelJob(
                        spb.CancelJobRequest(name=victim.name),
                        metadata=_bearer(token),
                        timeout=TIMEOUT,
                    )
                    with load.lock:
                        load.cancelled.add(victim.name)
                job = stub.SubmitJob(
                    spb.SubmitJobRequest(
                        parent=f"tenants/{tenant}", spec=_spec(rid), request_id=rid
                    ),
                    metadata=_bearer(token),
                    timeout=TIMEOUT,
                ).job
            except grpc.RpcError:
                return  # the server died under us: this request was never acknowledged
            mine.append(job)
            with load.lock:
                load.acked[rid] = job


def _all_jobs(stub: Any, token: str) -> list[spb.Job]:
    jobs: list[spb.Job] = []
    page_token = ""
    while True:
        page = stub.ListJobs(
            spb.ListJobsRequest(parent="tenants/-", page_size=1000, page_token=page_token),
            metadata=_bearer(token),
            timeout=TIMEOUT,
        )
        jobs += page.jobs
        page_token = page.next_page_token
        if not page_token:
            return jobs


def _allocated_gauge(metrics_url: str) -> dict[str, float]:
    """The server's ``computenet_accelerators_allocated`` per data center (from its ledger)."""
    with urllib.request.urlopen(metrics_url, timeout=TIMEOUT) as reply:
        text = reply.read().decode()
    pattern = r'^computenet_accelerators_allocated\{data_center="([^"]+)"\} (\S+)$'
    return {m[1]: float(m[2]) for m in re.finditer(pattern, text, re.MULTILINE)}


def _check_ledger(jobs: list[spb.Job], nodes: dict[str, str], metrics_url: str) -> None:
    """Live placements match their specs, no slot is over-full, and the ledger holds exactly
    what they hold."""
    held: Counter[tuple[str, int]] = Counter()
    per_dc: dict[str, float] = defaultdict(float)
    for job in jobs:
        if job.state == spb.Job.STATE_PENDING:
            assert not job.HasField("placement"), job.name
        if job.state not in LIVE:
            continue
        spec, p = job.spec, job.placement
        assert len(p.allocations) == spec.replicas, job.name
        dc = p.data_center.removeprefix("dataCenters/")
        for a in p.allocations:
            assert a.node.startswith(f"{p.data_center}/nodes/"), (job.name, a.node)
            assert nodes.get(a.node) == p.accelerator_model, (job.name, a.node)
            slots = list(a.accelerator_indices)
            assert len(set(slots)) == len(slots), job.name
            assert all(0 <= s < ACCELERATORS_PER_NODE for s in slots), job.name
            if spec.replica.accelerator_count:
                assert len(slots) == spec.replica.accelerator_count, job.name
                assert a.accelerator_milli == 1000, job.name
            else:
                assert len(slots) == 1, job.name
                assert a.accelerator_milli == spec.replica.accelerator_milli, job.name
            assert (a.cpu_milli, a.memory_mib) == (spec.replica.cpu_milli, spec.replica.memory_mib)
            for s in slots:
                held[(a.node, s)] += a.accelerator_milli
            per_dc[dc] += len(slots) * a.accelerator_milli / 1000
    assert all(m <= 1000 for m in held.values()), [k for k, m in held.items() if m > 1000]
    gauge = _allocated_gauge(metrics_url)
    assert set(gauge) == {"dc-a", "dc-b"}, gauge
    for dc, value in gauge.items():
        assert abs(value - per_dc.get(dc, 0.0)) < 1e-6, (dc, value, dict(per_dc))


class TestCrash:
    def test_sigkill_under_load_then_restart(self, database_url: str, tmp_path: Path) -> None:
        """SIGKILL while four clients submit and cancel; after a restart on the same database
        nothing acknowledged is lost or doubled and the ledger is exactly the live jobs."""
        rng = random.Random(SEED)
        log = tmp_path / "server.log"
        engine = db.create_engine(database_url)
        db.migrate(engine)
        store = TokenStore(engine)
        tokens = {
            t: store.create(name=t, role=Role.TENANT, tenant=t)[1] for t in ("acme", "globex")
        }
        ops = store.create(name="ops", role=Role.OPERATOR)[1]
        engine.dispose()
        load = Load()
        kill_after = rng.randint(25, 70)
        why = f"seed {SEED}, kill after {kill_after} acknowledgements"

        with serve(database_url, log, leader=1) as server:
            with grpc.insecure_channel(server.address) as ch:
                ipb_grpc.InventoryServiceStub(ch).ImportInventory(  # type: ignore[no-untyped-call]
                    ipb.ImportInventoryRequest(
                        content=json.dumps(NETWORK).encode(), format=ipb.INVENTORY_FORMAT_JSON
                    ),
                    metadata=_bearer(ops),
                    timeout=TIMEOUT,
                )
            workers = [
                threading.Thread(
                    target=_worker,
                    args=(k, server.address, tenant, tokens[tenant], load),
                    daemon=True,
                )
                for k, tenant in enumerate(["acme", "globex"] * (WORKERS // 2))
            ]
            for w in workers:
                w.start()
            deadline = time.monotonic() + 15
            while len(load.acked) < kill_after:
                assert time.monotonic() < deadline, f"too slow: {len(load.acked)} acks; {why}"
                assert all(w.is_alive() for w in workers), f"a client stopped early; {why}"
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.02))  # somewhere inside the next requests
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(timeout=10)
            for w in workers:
                w.join(timeout=TIMEOUT)
            assert not any(w.is_alive() for w in workers)

        with load.lock:
            acked, sent, cancelled = dict(load.acked), dict(load.sent), set(load.cancelled)
            cut_off = load.cancelling - cancelled  # sent, killed before the reply: either state
        # Each client had one request cut off by the kill (sent, never acknowledged).
        assert len(sent) - len(acked) == WORKERS, why
        assert len(cut_off) <= WORKERS, why
        states = Counter(j.state for j in acked.values())
        assert states[spb.Job.STATE_SCHEDULED], (states, why)

        with (
            serve(database_url, log, leader=2) as server,
            grpc.insecure_channel(server.address) as ch,
        ):
            stub = spb_grpc.SchedulerServiceStub(ch)  # type: ignore[no-untyped-call]
            inventory = ipb_grpc.InventoryServiceStub(ch)  # type: ignore[no-untyped-call]
            nodes = {
                n.name: n.accelerator_model
                for n in inventory.ListNodes(
                    ipb.ListNodesRequest(parent="dataCenters/-", page_size=1000),
                    metadata=_bearer(ops),
                    timeout=TIMEOUT,
                ).nodes
            }
            jobs = _all_jobs(stub, ops)
            by_name = {j.name: j for j in jobs}
            assert len(by_name) == len(jobs), why
            rids = Counter(j.spec.labels["rid"] for j in jobs)
            assert max(rids.values()) == 1, f"a request made two jobs; {why}"
            for rid, job in acked.items():
                assert job.name in by_name, f"acknowledged {rid} was lost; {why}"
                now = by_name[job.name]
                assert now.spec.labels["rid"] == rid
                assert now.tenant == f"tenants/{sent[rid]}"
                if job.name in cancelled:
                    assert now.state == spb.Job.STATE_CANCELLED, (rid, why)
                elif job.name in cut_off and now.state == spb.Job.STATE_CANCELLED:
                    pass  # the cancellation committed, its reply died with the server
                elif job.state == spb.Job.STATE_SCHEDULED:
                    assert now.state == spb.Job.STATE_SCHEDULED, (rid, why)
                    assert now.placement == job.placement, (rid, why)
            _check_ledger(jobs, nodes, server.metrics_url)

            # Retry every request the clients sent: the acknowledged ones (and those cut off
            # but committed) come back under their name; the rest are made now, once.
            for rid, tenant in sent.items():
                again = stub.SubmitJob(
                    spb.SubmitJobRequest(
                        parent=f"tenants/{tenant}", spec=_spec(rid), request_id=rid
                    ),
                    metadata=_bearer(tokens[tenant]),
                    timeout=TIMEOUT,
                ).job
                if rid in acked:
                    assert again.name == acked[rid].name, (rid, why)
                elif rid in rids:
                    assert by_name[again.name].spec.labels["rid"] == rid, (rid, why)
            jobs = _all_jobs(stub, ops)
            assert Counter(j.spec.labels["rid"] for j in jobs) == Counter(sent.keys()), why
            _check_ledger(jobs, nodes, server.metrics_url)
