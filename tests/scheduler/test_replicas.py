"""Several server processes over one PostgreSQL: exactly one places, the others accept and
serve reads, and killing the placer hands placement to another with nothing lost or
double-allocated. Real processes, real PostgreSQL (skipped without one, unless CI requires it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import grpc
import pytest

from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    """One `computenet serve` process."""

    def __init__(self, url: str, log: Path, *, demo: bool) -> None:
        self.port = _free_port()
        env = dict(
            os.environ,
            COMPUTENET_DATABASE_URL=url,
            COMPUTENET_BATCH_INTERVAL_SECONDS="0",
            PYTHONPATH=str(ROOT),
        )
        args = [
            sys.executable,
            "-c",
            "from computenet.cli import main; main()",
            "serve",
            "--port",
            str(self.port),
            "--no-auth",
            "--log-console",
        ]
        if demo:
            args.append("--demo")
        self.log = log.open("w")
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        try:
            grpc.channel_ready_future(self.channel).result(timeout=90)
        except grpc.FutureTimeoutError:
            self.stop(signal.SIGKILL)
            raise AssertionError(f"the server did not start:\n{log.read_text()[-3000:]}") from None
        self.stub = scheduler_pb2_grpc.SchedulerServiceStub(self.channel)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.log.close()


def _spec(count: int = 1) -> pb.JobSpec:
    return pb.JobSpec(
        kind=pb.JOB_KIND_TRAINING,
        replicas=1,
        replica=pb.ReplicaSpec(accelerator_count=count, cpu_milli=1000, memory_mib=1024),
        policy="pack",
    )


def _wait_state(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, name: str, state: int, seconds: float
) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        job = stub.GetJob(pb.GetJobRequest(name=name), timeout=10).job
        if job.state == state:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{name} did not reach {pb.Job.State.Name(state)} in {seconds} s")


def _live_allocations(stub: scheduler_pb2_grpc.SchedulerServiceStub) -> dict[tuple[str, int], int]:
    milli: dict[tuple[str, int], int] = defaultdict(int)
    token = ""
    while True:
        page = stub.ListJobs(
            pb.ListJobsRequest(parent="tenants/t", page_size=1000, page_token=token), timeout=10
        )
        for job in page.jobs:
            if job.state in (pb.Job.STATE_SCHEDULED, pb.Job.STATE_RUNNING):
                for a in job.placement.allocations:
                    for slot in a.accelerator_indices:
                        milli[(a.node, slot)] += a.accelerator_milli
        token = page.next_page_token
        if not token:
            return milli


class TestReplicas:
    def test_one_placer_standbys_accept_and_take_over(
        self, postgres_url: str, tmp_path: Path
    ) -> None:
        """A standby persists submissions as PENDING, the placer places them via NOTIFY, and
        after the placer is killed the standby places within a few seconds; no accepted job is
        lost and no accelerator is allocated twice."""
        first = Replica(postgres_url, tmp_path / "a.log", demo=True)
        second = Replica(postgres_url, tmp_path / "b.log", demo=False)
        try:
            time.sleep(1.5)  # both have run an election round
            from_first = first.stub.SubmitJob(
                pb.SubmitJobRequest(parent="tenants/t", spec=_spec(), request_id="r-1"), timeout=10
            ).job
            from_second = second.stub.SubmitJob(
                pb.SubmitJobRequest(parent="tenants/t", spec=_spec(), request_id="r-2"), timeout=10
            ).job
            # Exactly one of them placed at once; the other queued for the placer.
            states = {from_first.state, from_second.state}
            assert states == {pb.Job.STATE_SCHEDULED, pb.Job.STATE_PENDING}
            placer, standby = (
                (first, second) if from_first.state == pb.Job.STATE_SCHEDULED else (second, first)
            )
            queued = from_second if placer is first else from_first
            assert "active placer" in queued.explanation.pending_reason
            _wait_state(standby.stub, queued.name, pb.Job.STATE_SCHEDULED, 10)

            placer.stop(signal.SIGKILL)
            late = standby.stub.SubmitJob(
                pb.SubmitJobRequest(parent="tenants/t", spec=_spec(), request_id="r-3"), timeout=10
            ).job
            took = _wait_state(standby.stub, late.name, pb.Job.STATE_SCHEDULED, 15)
            assert took < 10

            # Every acknowledged job is there once; retries return the same jobs.
            for rid, job in (("r-1", from_first), ("r-2", from_second), ("r-3", late)):
                again = standby.stub.SubmitJob(
                    pb.SubmitJobRequest(parent="tenants/t", spec=_spec(), request_id=rid),
                    timeout=10,
                ).job
                assert again.name == job.name
            names = [
                j.name for j in standby.stub.ListJobs(pb.ListJobsRequest(parent="tenants/t")).jobs
            ]
            assert sorted(names) == sorted({from_first.name, from_second.name, late.name})
            assert all(m <= 1000 for m in _live_allocations(standby.stub).values())
        finally:
            first.stop(signal.SIGKILL)
            second.stop(signal.SIGKILL)
