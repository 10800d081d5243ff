"""The client against the real SchedulerService (jobs, quotes, watch, quotas, policies, batch
placement): SDK, asyncio SDK and CLI. Enable by moving into tests/clients/ once the scheduler
has landed; it uses the fixtures of tests/clients/conftest.py."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner, Result

from clients import (
    AsyncClient,
    Client,
    FailedPreconditionError,
    InvalidArgumentError,
    JobKind,
    JobSpec,
    JobState,
    NotFoundError,
    QuotaLimit,
    ReplicaSpec,
    RetryPolicy,
    TenantQuota,
)
from clients.cli import app
from scheduler.testing import ThreadedServer

FAST = RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.002)


def spec(accelerators: int = 8, replicas: int = 1, models: tuple[str, ...] = ()) -> JobSpec:
    """A training job of ``replicas`` × ``accelerators`` whole accelerators for 2 h."""
    return JobSpec(
        kind=JobKind.TRAINING,
        replicas=replicas,
        replica=ReplicaSpec(
            accelerator_count=accelerators,
            accelerator_models=models,
            cpu_milli=64_000,
            memory_mib=262_144,
        ),
        expected_duration=timedelta(hours=2),
    )


@pytest.fixture
def address(sqlite_server: ThreadedServer, inventory_file: Path) -> str:
    """A real server holding the small inventory (16 H100 in fj-ai, 24 Ascend in nx-zw)."""
    with Client(sqlite_server.address) as c:
        c.import_inventory(inventory_file)
    return sqlite_server.address


@pytest.fixture
def client(address: str) -> Iterator[Client]:
    """An SDK client of that server, tenant "default"."""
    with Client(address, retries=FAST) as c:
        yield c


class TestJobs:
    def test_submit_places_and_explains(self, client: Client) -> None:
        """A job that fits is SCHEDULED with a placement on one node, an energy estimate and
        an explanation naming the policy; get returns the same job."""
        job = client.submit_job(spec(), "train-1")
        assert job.name == "tenants/default/jobs/train-1"
        assert job.state is JobState.SCHEDULED
        assert job.placement is not None
        assert job.placement.data_center in {"dataCenters/fj-ai", "dataCenters/nx-zw"}
        (allocation,) = job.placement.allocations
        assert len(allocation.accelerator_indices) == 8
        assert job.placement.energy is not None
        assert job.placement.energy.energy_kwh > 0
        assert job.explanation is not None
        assert job.explanation.policy == client.list_policies().default_policy
        assert client.get_job("train-1").placement == job.placement

    def test_submit_is_idempotent_by_request_id(self, client: Client) -> None:
        """The same request_id twice gives one job; a new id for the same job name is refused."""
        first = client.submit_job(spec(), "once", request_id="req-1")
        again = client.submit_job(spec(), "once", request_id="req-1")
        assert again.name == first.name
        assert [j.name for j in client.iter_jobs()] == [first.name]

    def test_quote_commits_nothing(self, client: Client) -> None:
        """A quote says where the job would run and leaves no job behind."""
        quote = client.quote_job(spec())
        assert quote.placeable
        assert quote.placement is not None
        assert quote.predicted_start_time is not None
        assert client.list_jobs().items == ()

    def test_job_that_cannot_fit_waits_with_a_reason(self, client: Client) -> None:
        """Nine accelerators on one node fit nowhere: PENDING with the reason."""
        job = client.submit_job(spec(accelerators=9), "too-big")
        assert job.state is JobState.PENDING
        assert job.placement is None
        assert job.explanation is not None
        assert job.explanation.pending_reason

    def test_bad_spec_lists_its_fields(self, client: Client) -> None:
        """A spec without CPU and memory is refused with their field paths."""
        bad = JobSpec(kind=JobKind.TRAINING, replicas=1, replica=ReplicaSpec(accelerator_count=1))
        with pytest.raises(InvalidArgumentError) as info:
            client.submit_job(bad)
        fields = {v.field for v in info.value.field_violations}
        assert {"spec.replica.cpu_milli", "spec.replica.memory_mib"} <= fields

    def test_lifecycle_and_state_errors(self, client: Client) -> None:
        """RUNNING then SUCCEEDED sets the times; a finished job cannot be cancelled."""
        client.submit_job(spec(), "life")
        running = client.set_job_state("life", JobState.RUNNING)
        assert running.start_time is not None
        done = client.set_job_state("life", JobState.SUCCEEDED, "finished")
        assert done.end_time is not None
        with pytest.raises(FailedPreconditionError) as info:
            client.cancel_job("life")
        assert info.value.reason == "JOB_STATE"

    def test_cancel_releases_capacity(self, client: Client) -> None:
        """A cancelled job frees its accelerators for the next one."""
        jobs = [client.submit_job(spec(), f"fill-{i}") for i in range(5)]  # all 40
        assert all(j.state is JobState.SCHEDULED for j in jobs)
        waiting = client.submit_job(spec(), "waiting")
        assert waiting.state is JobState.PENDING
        cancelled = client.cancel_job("fill-0", "make room")
        assert cancelled.state is JobState.CANCELLED
        client.run_batch_placement(time_limit=2)
        assert client.get_job("waiting").state is JobState.SCHEDULED

    def test_list_filters_by_state(self, client: Client) -> None:
        """A state filter returns only the jobs in that state."""
        client.submit_job(spec(), "placed")
        client.submit_job(spec(accelerators=9), "waits")
        pending = [j.name for j in client.iter_jobs(filter='state = "PENDING"')]
        assert pending == ["tenants/default/jobs/waits"]

    def test_missing_job_is_not_found(self, client: Client) -> None:
        """An unknown job raises NotFoundError."""
        with pytest.raises(NotFoundError):
            client.get_job("nobody")

    def test_watch_sends_the_snapshot_then_changes(self, client: Client) -> None:
        """A watch first lists the unfinished jobs, then reports a cancel with the state
        before it."""
        client.submit_job(spec(), "watched")
        events = client.watch_jobs(timeout=10)
        first = next(events)
        assert first.initial
        assert first.job.name == "tenants/default/jobs/watched"
        client.cancel_job("watched")
        change = next(e for e in events if not e.initial)
        assert change.job.state is JobState.CANCELLED
        assert change.previous_state is JobState.SCHEDULED
        events.close()  # type: ignore[attr-defined]


class TestQuotasAndPolicies:
    def test_policies_include_the_default(self, client: Client) -> None:
        """The default policy is one of the listed ones; weights are non-negative."""
        policies = client.list_policies()
        names = {p.name for p in policies.policies}
        assert policies.default_policy in names
        assert all(
            min(p.latency_weight, p.energy_cost_weight, p.carbon_weight, p.utilization_weight) >= 0
            for p in policies.policies
        )

    def test_quota_is_set_reported_and_enforced(self, client: Client) -> None:
        """A limit of 8 H100 lets one 8-GPU job run and keeps the next pending."""
        client.set_tenant_quota(
            TenantQuota(
                name="tenants/default/quota",
                limits=(QuotaLimit(accelerator_model="acceleratorModels/h100-sxm", limit=8),),
            )
        )
        h100 = ("acceleratorModels/h100-sxm",)
        assert client.submit_job(spec(models=h100), "q1").state is JobState.SCHEDULED
        assert client.submit_job(spec(models=h100), "q2").state is JobState.PENDING
        quota = client.get_tenant_quota()
        limit = next(q for q in quota.limits if q.accelerator_model == h100[0])
        assert (limit.limit, limit.used) == (8.0, 8.0)
        assert any(q.name == "tenants/default/quota" for q in client.iter_tenant_quotas())


class TestAsyncJobs:
    def test_submit_get_and_watch(self, address: str) -> None:
        """The asyncio client submits, reads and watches jobs like the blocking one."""

        async def body() -> None:
            async with AsyncClient(address) as c:
                job = await c.submit_job(spec(), "async-1")
                assert job.state is JobState.SCHEDULED
                assert (await c.get_job("async-1")).name == job.name
                async for event in c.watch_jobs(timeout=10):
                    assert event.initial
                    assert event.job.name == job.name
                    break

        asyncio.run(body())


@pytest.fixture
def quiet_server_logs() -> Iterator[None]:
    """Keep the in-process server's log lines out of the CliRunner's stdout."""
    saved = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.__stderr__))
    try:
        yield
    finally:
        structlog.configure(**saved)


def cli(address: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--address", address, *args], env={"COLUMNS": "200"})


@pytest.mark.usefixtures("quiet_server_logs")
class TestJobCommands:
    FLAGS = ("--kind", "training", "--accelerators", "8", "--cpu-milli", "64000",
             "--memory-mib", "262144", "--duration", "2h")  # fmt: skip

    def test_submit_get_list_cancel(self, address: str) -> None:
        """submit prints the placement and explanation; get, list and cancel follow."""
        submitted = cli(address, "jobs", "submit", "--id", "cli-1", *self.FLAGS)
        assert submitted.exit_code == 0, submitted.output
        assert "SCHEDULED" in submitted.stdout
        assert "score terms" in submitted.stdout
        shown = cli(address, "jobs", "get", "cli-1")
        assert "tenants/default/jobs/cli-1" in shown.stdout
        listed = cli(address, "--output", "json", "jobs", "list")
        assert [j["name"] for j in json.loads(listed.stdout)] == ["tenants/default/jobs/cli-1"]
        cancelled = cli(address, "jobs", "cancel", "cli-1")
        assert "CANCELLED" in cancelled.stdout
        again = cli(address, "jobs", "cancel", "cli-1")
        assert again.exit_code == 1
        assert "FAILED_PRECONDITION" in again.stderr

    def test_quote_policies_quota(self, address: str) -> None:
        """quote, policies and quota get print their tables."""
        quote = cli(address, "jobs", "quote", *self.FLAGS)
        assert quote.exit_code == 0, quote.output
        assert "placeable now" in quote.stdout
        policies = cli(address, "policies")
        assert "default:" in policies.stdout
        quota = cli(address, "quota", "get")
        assert quota.exit_code == 0, quota.output
