"""The asyncio client: the same API as the blocking one, typed results and errors against the
real server, deadlines, and retries counted against a fake grpc.aio server."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest

from clients import types as t
from clients.client import AsyncClient, Client, RetryPolicy
from clients.errors import (
    DeadlineExceededError,
    InvalidArgumentError,
    NotFoundError,
    UnavailableError,
)
from computenet import errors as shared
from computenet.v1 import inventory_pb2, scheduler_pb2
from scheduler.testing import ThreadedServer

T = TypeVar("T")
FAST = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.002)
REGION = t.Region(display_name="福州", province="Fujian", latitude=26.07, longitude=119.3)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one test body on a fresh event loop."""
    return asyncio.run(coro)


# --------------------------------------------------------------------------- a fake grpc.aio server


@dataclass
class AioFake:
    """A grpc.aio server for a few methods; each fails with ``failures[method]`` (a list of
    codes, consumed in order) before answering, and counts its attempts."""

    failures: dict[str, list[grpc.StatusCode]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    request_ids: list[str] = field(default_factory=list)
    address: str = ""

    async def _gate(self, method: str, request: Any, context: grpc.aio.ServicerContext) -> None:
        self.attempts[method] = self.attempts.get(method, 0) + 1
        if hasattr(request, "request_id"):
            self.request_ids.append(request.request_id)
        pending = self.failures.get(method)
        if pending:
            await context.abort(pending.pop(0), f"{method} failed on purpose")


async def _start(fake: AioFake) -> grpc.aio.Server:
    server = grpc.aio.server()

    def unary(method: str, request_cls: Any, response: Callable[[], Any]) -> Any:
        async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await fake._gate(method, request, context)
            return response()

        return grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=request_cls.FromString,
            response_serializer=lambda m: m.SerializeToString(),
        )

    async def watch(
        request: Any, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[scheduler_pb2.WatchJobsResponse]:
        await fake._gate("WatchJobs", request, context)
        for name in ("a", "b"):
            yield scheduler_pb2.WatchJobsResponse(
                job=scheduler_pb2.Job(
                    name=f"tenants/acme/jobs/{name}", state=scheduler_pb2.Job.STATE_PENDING
                ),
                initial=True,
            )

    dc = inventory_pb2.DataCenter(name="dataCenters/fj-ai", design_pue=1.25)
    inventory = {
        "GetDataCenter": unary(
            "GetDataCenter",
            inventory_pb2.GetDataCenterRequest,
            lambda: inventory_pb2.GetDataCenterResponse(data_center=dc),
        ),
        "CreateDataCenter": unary(
            "CreateDataCenter",
            inventory_pb2.CreateDataCenterRequest,
            lambda: inventory_pb2.CreateDataCenterResponse(data_center=dc),
        ),
        "DeleteDataCenter": unary(
            "DeleteDataCenter",
            inventory_pb2.DeleteDataCenterRequest,
            inventory_pb2.DeleteDataCenterResponse,
        ),
    }
    scheduler = {
        "CancelJob": unary(
            "CancelJob",
            scheduler_pb2.CancelJobRequest,
            lambda: scheduler_pb2.CancelJobResponse(
                job=scheduler_pb2.Job(state=scheduler_pb2.Job.STATE_CANCELLED)
            ),
        ),
        "SubmitJob": unary(
            "SubmitJob",
            scheduler_pb2.SubmitJobRequest,
            lambda: scheduler_pb2.SubmitJobResponse(
                job=scheduler_pb2.Job(name="tenants/acme/jobs/j")
            ),
        ),
        "WatchJobs": grpc.unary_stream_rpc_method_handler(
            watch,
            request_deserializer=scheduler_pb2.WatchJobsRequest.FromString,
            response_serializer=lambda m: m.SerializeToString(),
        ),
    }
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler("computenet.v1.InventoryService", inventory),
            grpc.method_handlers_generic_handler("computenet.v1.SchedulerService", scheduler),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    fake.address = f"127.0.0.1:{port}"
    await server.start()
    return server


async def with_fake(
    body: Callable[[AioFake, AsyncClient], Awaitable[None]], fake: AioFake | None = None
) -> AioFake:
    """Start the fake, run ``body`` with a client of it, stop everything."""
    fake = fake or AioFake()
    server = await _start(fake)
    try:
        async with AsyncClient(fake.address, retries=FAST, tenant="acme") as client:
            await body(fake, client)
    finally:
        await server.stop(None)
    return fake


# --------------------------------------------------------------------------- tests


class TestParity:
    def test_async_client_has_every_method_of_the_blocking_one(self) -> None:
        """Every public Client method exists on AsyncClient with the same parameters."""
        sync = {n: m for n, m in vars(Client).items() if not n.startswith("_") and callable(m)}
        for name, method in sync.items():
            if name in ("close",):
                continue
            twin = getattr(AsyncClient, name)
            assert list(inspect.signature(twin).parameters) == list(
                inspect.signature(method).parameters
            ), name


class TestAgainstTheServer:
    def test_crud_returns_dataclasses(self, sqlite_server: ThreadedServer) -> None:
        """Awaited calls return the same dataclasses as the blocking client."""

        async def body() -> None:
            async with AsyncClient(sqlite_server.address, retries=FAST) as c:
                created = await c.create_region("fujian-fuzhou", REGION)
                assert type(created) is t.Region
                assert created.name == "regions/fujian-fuzhou"
                assert created.hub_class is t.HubClass.NONE
                fetched = await c.get_region("fujian-fuzhou")
                assert fetched == created
                updated = await c.update_region(
                    dataclasses.replace(fetched, display_name="Fuzhou"), ["display_name"]
                )
                assert updated.display_name == "Fuzhou"
                await c.delete_region("fujian-fuzhou")
                with pytest.raises(NotFoundError):
                    await c.get_region("fujian-fuzhou")

        run(body())

    def test_errors_carry_field_violations(self, sqlite_server: ThreadedServer) -> None:
        """Bad input raises InvalidArgumentError with the bad fields."""

        async def body() -> None:
            async with AsyncClient(sqlite_server.address) as c:
                with pytest.raises(InvalidArgumentError) as info:
                    await c.create_region("Not An Id", dataclasses.replace(REGION, latitude=120))
                fields = {v.field for v in info.value.field_violations}
                assert {"region.latitude"} <= fields
                assert isinstance(info.value, shared.InvalidArgument)

        run(body())

    def test_import_iterate_and_export(
        self, sqlite_server: ThreadedServer, inventory_file: Path
    ) -> None:
        """A file imports from its path; async iterators follow pages; export returns it."""

        async def body() -> None:
            async with AsyncClient(sqlite_server.address) as c:
                result = await c.import_inventory(inventory_file)
                assert result.nodes == 5
                names = [n.name async for n in c.iter_nodes(page_size=2)]
                assert len(names) == len(set(names)) == 5
                pools = [p async for p in c.iter_pools("fj-ai")]
                assert [p.name for p in pools] == ["dataCenters/fj-ai/pools/h100"]
                exported = await c.export_inventory("yaml")
                assert b"fj-ai" in exported

        run(body())

    def test_impossible_timeout_raises_deadline_exceeded(
        self, sqlite_server: ThreadedServer, inventory_file: Path
    ) -> None:
        """A microsecond deadline on a call that needs the database cannot be met."""

        async def body() -> None:
            async with AsyncClient(sqlite_server.address) as c:
                await c.list_regions()
                with pytest.raises(DeadlineExceededError):
                    await c.import_inventory(inventory_file, validate_only=True, timeout=1e-6)

        run(body())


class TestRetries:
    def test_unavailable_twice_then_ok_takes_three_attempts(self) -> None:
        """A Get that meets UNAVAILABLE twice succeeds on the third attempt."""

        async def body(fake: AioFake, c: AsyncClient) -> None:
            dc = await c.get_data_center("fj-ai")
            assert dc == t.DataCenter(name="dataCenters/fj-ai", design_pue=1.25)

        fake = AioFake(failures={"GetDataCenter": [grpc.StatusCode.UNAVAILABLE] * 2})
        run(with_fake(body, fake))
        assert fake.attempts["GetDataCenter"] == 3

    def test_cancel_is_not_retried(self) -> None:
        """CancelJob meets UNAVAILABLE once and raises: it is never sent twice."""

        async def body(fake: AioFake, c: AsyncClient) -> None:
            with pytest.raises(UnavailableError):
                await c.cancel_job("j1")

        fake = AioFake(failures={"CancelJob": [grpc.StatusCode.UNAVAILABLE] * 3})
        run(with_fake(body, fake))
        assert fake.attempts["CancelJob"] == 1

    def test_delete_is_not_retried(self) -> None:
        """DeleteDataCenter is not retried either."""

        async def body(fake: AioFake, c: AsyncClient) -> None:
            with pytest.raises(UnavailableError):
                await c.delete_data_center("fj-ai")

        fake = AioFake(failures={"DeleteDataCenter": [grpc.StatusCode.UNAVAILABLE]})
        run(with_fake(body, fake))
        assert fake.attempts["DeleteDataCenter"] == 1

    def test_submit_is_retried_with_one_request_id(self) -> None:
        """SubmitJob carries a generated request_id and keeps it over retries."""

        async def body(fake: AioFake, c: AsyncClient) -> None:
            job = await c.submit_job(t.JobSpec(replicas=1))
            assert job.name == "tenants/acme/jobs/j"

        fake = AioFake(failures={"SubmitJob": [grpc.StatusCode.UNAVAILABLE] * 2})
        run(with_fake(body, fake))
        assert fake.attempts["SubmitJob"] == 3
        assert len(set(fake.request_ids)) == 1
        assert fake.request_ids[0]

    def test_retries_stop_after_max_attempts(self) -> None:
        """A Create that never succeeds is tried max_attempts times."""

        async def body(fake: AioFake, c: AsyncClient) -> None:
            with pytest.raises(UnavailableError):
                await c.create_data_center("fj-ai", t.DataCenter())

        fake = AioFake(failures={"CreateDataCenter": [grpc.StatusCode.UNAVAILABLE] * 10})
        run(with_fake(body, fake))
        assert fake.attempts["CreateDataCenter"] == FAST.max_attempts

    def test_watch_opening_is_retried_and_events_arrive(self) -> None:
        """A watch that fails before its first event opens again and yields every event."""

        async def body(fake: AioFake, c: AsyncClient) -> None:
            events = [e async for e in c.watch_jobs(resume=False)]
            assert [e.job.name for e in events] == ["tenants/acme/jobs/a", "tenants/acme/jobs/b"]
            assert all(e.job.state is t.JobState.PENDING and e.initial for e in events)

        fake = AioFake(failures={"WatchJobs": [grpc.StatusCode.UNAVAILABLE]})
        run(with_fake(body, fake))
        assert fake.attempts["WatchJobs"] == 2
