"""Locust load of computenet's scheduler over gRPC: tenants submit training and inference jobs
that fit the demo network, quote, read and cancel them, and report them RUNNING then SUCCEEDED
so that capacity turns over.

    locust -f loadtests/locustfile.py --host grpc://127.0.0.1:50051

(``loadtests/run.py`` starts a server on 127.0.0.1 and runs this headless.) Every call fires
one locust request event named after the RPC; a gRPC error is a failure. Jobs are never
preemptible, so a job this client placed stays placed until it finishes it, and a failure
always means something went wrong.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
import grpc.experimental.gevent as grpc_gevent
from google.protobuf import duration_pb2
from google.protobuf.message import Message
from locust import User, between, task

from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc as pb_grpc

__all__ = ["SchedulerUser", "inference_spec", "target", "training_spec"]

# locust runs users as greenlets: grpc must cooperate with gevent before any channel exists.
grpc_gevent.init_gevent()

TENANTS = ("lt-alpha", "lt-bravo", "lt-charlie", "lt-delta", "lt-echo")
"""Tenants the users act for, in turn."""

# Regions and accelerator models of the demo network (inventory/data/demo_network.yaml).
_USER_REGIONS = ("fujian-fuzhou", "beijing", "shanghai", "guangzhou-shenzhen", "sichuan-chengdu")
_TRAINING_MODELS = ((), ("h800-sxm",), ("ascend-910b",), ("a100-sxm-80gb",), ("h100-sxm",))
_INFERENCE_MODELS = ((), ("t4",), ("a100-pcie-80gb",), ("mlu370-x8",))
_POLICIES = ("", "balanced", "green", "latency", "cost")

_MAX_LIVE = 12  # jobs one user keeps unfinished: bounds what the load holds
_TIMEOUT = 30.0

M = TypeVar("M", bound=Message)


def target(host: str | None) -> str:
    """The ``host:port`` of locust's ``--host`` (``grpc://host:port`` or ``host:port``)."""
    if not host:
        raise ValueError("pass the server as --host grpc://127.0.0.1:PORT")
    return host.removeprefix("grpc://").rstrip("/")


def _duration(seconds: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=seconds)


def training_spec(rng: random.Random) -> pb.JobSpec:
    """A training gang of 1-2 replicas of 1-8 whole accelerators (one node each)."""
    count = rng.choice((1, 2, 4, 8))
    return pb.JobSpec(
        kind=pb.JOB_KIND_TRAINING,
        replicas=rng.choice((1, 1, 2)),
        replica=pb.ReplicaSpec(
            accelerator_count=count,
            accelerator_models=[f"acceleratorModels/{m}" for m in rng.choice(_TRAINING_MODELS)],
            cpu_milli=8_000 * count,
            memory_mib=65_536 * count,
        ),
        expected_duration=_duration(rng.choice((1800, 3600, 4 * 3600))),
        priority=rng.choice((0, 100, 500)),
        policy=rng.choice(_POLICIES),
        data_region=f"regions/{rng.choice(_USER_REGIONS)}" if rng.random() < 0.5 else "",
    )


def inference_spec(rng: random.Random) -> pb.JobSpec:
    """An inference service near its users: a share of one accelerator or one whole one."""
    share = rng.random() < 0.7
    models = rng.choice(_INFERENCE_MODELS)
    return pb.JobSpec(
        kind=pb.JOB_KIND_INFERENCE,
        replicas=rng.choice((1, 1, 2)),
        replica=pb.ReplicaSpec(
            accelerator_count=0 if share else 1,
            accelerator_milli=rng.choice((250, 500)) if share else 0,
            accelerator_models=[f"acceleratorModels/{m}" for m in models],
            cpu_milli=4_000,
            memory_mib=16_384,
        ),
        expected_duration=_duration(rng.choice((600, 3600))),
        priority=rng.choice((200, 800)),
        user_region=f"regions/{rng.choice(_USER_REGIONS)}",
        max_rtt_ms=rng.choice((0.0, 20.0, 50.0)),
        policy=rng.choice(("", "latency", "balanced")),
    )


class SchedulerUser(User):
    """One tenant's client on its own channel, keeping track of the jobs it submitted."""

    wait_time = between(0.0, 0.05)
    _serial = itertools.count()

    def on_start(self) -> None:
        n = next(SchedulerUser._serial)
        self.tenant = TENANTS[n % len(TENANTS)]
        self.rng = random.Random(n)
        self.channel = grpc.insecure_channel(target(self.host))
        grpc.channel_ready_future(self.channel).result(timeout=_TIMEOUT)
        self.stub = pb_grpc.SchedulerServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.scheduled: deque[str] = deque()  # placed, not yet reported running; oldest first
        self.running: deque[str] = deque()
        self.pending: deque[str] = deque()
        self.finished: deque[str] = deque(maxlen=50)  # read back now and then

    def on_stop(self) -> None:
        self.channel.close()

    # -- one call, one request event -----------------------------------------------------------

    def _call(self, name: str, method: Callable[..., M], request: Message) -> M | None:
        started = time.perf_counter()
        response: M | None = None
        error: BaseException | None = None
        try:
            response = method(request, timeout=_TIMEOUT)
        except grpc.RpcError as exc:
            error = exc
        self.environment.events.request.fire(
            request_type="grpc",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=response.ByteSize() if response is not None else 0,
            exception=error,
            context={"tenant": self.tenant},
        )
        return response

    def _track(self, job: Any) -> None:
        """File a job by the state the server reported."""
        for queue in (self.scheduled, self.running, self.pending):
            if job.name in queue:
                queue.remove(job.name)
        if job.state == pb.Job.STATE_SCHEDULED:
            self.scheduled.append(job.name)
        elif job.state == pb.Job.STATE_RUNNING:
            self.running.append(job.name)
        elif job.state == pb.Job.STATE_PENDING:
            self.pending.append(job.name)
        else:
            self.finished.append(job.name)

    def _live(self) -> int:
        return len(self.scheduled) + len(self.running) + len(self.pending)

    # -- the task mix ------------------------------------------------------------------------

    def _submit(self, spec: pb.JobSpec) -> None:
        if self._live() >= _MAX_LIVE:
            # Make room first, as a real tenant's work would end.
            if self.pending:
                self._cancel(self.pending[0])
            else:
                self.finish_job()
            return
        request = pb.SubmitJobRequest(
            parent=f"tenants/{self.tenant}", spec=spec, request_id=f"{self.rng.getrandbits(64):x}"
        )
        response = self._call("SubmitJob", self.stub.SubmitJob, request)
        if response is not None:
            self._track(response.job)

    @task(5)
    def submit_training(self) -> None:
        self._submit(training_spec(self.rng))

    @task(5)
    def submit_inference(self) -> None:
        self._submit(inference_spec(self.rng))

    @task(2)
    def quote(self) -> None:
        spec = training_spec(self.rng) if self.rng.random() < 0.5 else inference_spec(self.rng)
        request = pb.QuoteJobRequest(parent=f"tenants/{self.tenant}", spec=spec)
        self._call("QuoteJob", self.stub.QuoteJob, request)

    @task(4)
    def get_job(self) -> None:
        known = [*self.scheduled, *self.running, *self.pending, *self.finished]
        if not known:
            return
        name = self.rng.choice(known)
        response = self._call("GetJob", self.stub.GetJob, pb.GetJobRequest(name=name))
        if response is not None and name not in self.finished:
            self._track(response.job)

    @task(1)
    def cancel_job(self) -> None:
        live = [*self.pending, *self.scheduled, *self.running]
        if live:
            self._cancel(self.rng.choice(live))

    def _cancel(self, name: str) -> None:
        request = pb.CancelJobRequest(name=name, reason="load test: changed my mind")
        response = self._call("CancelJob", self.stub.CancelJob, request)
        if response is not None:
            self._track(response.job)

    @task(4)
    def finish_job(self) -> None:
        """Report the oldest placed job RUNNING, then SUCCEEDED: its capacity is freed."""
        if self.scheduled:
            name = self.scheduled[0]
            request = pb.SetJobStateRequest(name=name, state=pb.Job.STATE_RUNNING)
            response = self._call("SetJobState RUNNING", self.stub.SetJobState, request)
            if response is None:
                return
            self._track(response.job)
        if self.running:
            name = self.running[0]
            request = pb.SetJobStateRequest(
                name=name, state=pb.Job.STATE_SUCCEEDED, message="load test: done"
            )
            response = self._call("SetJobState SUCCEEDED", self.stub.SetJobState, request)
            if response is not None:
                self._track(response.job)
