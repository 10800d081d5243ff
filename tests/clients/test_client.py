"""The blocking client: typed results, typed errors, deadlines, retries of safe calls only,
pagination, inventory files, the wiring of every RPC, conversion, and the layering rule."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import random
import socket
import subprocess
import sys
import threading
import time
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import clients
from clients import convert
from clients import types as t
from clients.client import Client, RetryPolicy
from clients.errors import (
    ERROR_TYPES,
    AlreadyExistsError,
    ApiError,
    DeadlineExceededError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    UnavailableError,
)
from computenet import errors as shared
from computenet.service import error_status
from computenet.v1 import inventory_pb2, scheduler_pb2, telemetry_pb2
from scheduler.testing import ThreadedServer

FAST = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.002)
REGION = t.Region(display_name="福州", province="Fujian", latitude=26.07, longitude=119.3)
DATA_CENTER = t.DataCenter(
    display_name="Fujian AI",
    region="regions/fujian-fuzhou",
    province="Fujian",
    latitude=26.0,
    longitude=119.4,
    grid_carbon_g_per_kwh=409.2,
    electricity_price_cny_per_kwh=0.63,
    design_pue=1.25,
    pue_target=1.3,
)
MODEL = t.AcceleratorModel(
    display_name="NVIDIA H100 SXM5 80GB",
    vendor="NVIDIA",
    memory_gib=80,
    fp16_tflops=989.4,
    board_power_w=700,
    source="NVIDIA H100 datasheet (dense FP16)",
)


@pytest.fixture
def client(sqlite_server: ThreadedServer) -> Iterator[Client]:
    """A client of a real server over SQLite (the client does not care about the backend;
    TestBackends runs one flow on each)."""
    with Client(sqlite_server.address, retries=FAST) as c:
        yield c


@pytest.fixture
def fake_client(fake_server: Any) -> Iterator[Client]:
    """A client of the recording fake server, with fast retries."""
    with Client(fake_server.address, retries=FAST, token="s3cret", tenant="acme") as c:
        yield c


def _seed(c: Client) -> None:
    c.create_region("fujian-fuzhou", REGION)
    c.create_data_center("fj-ai", DATA_CENTER)


def _unavailable_times(n: int) -> Any:
    left = [n]

    def behaviour(request: Any, context: grpc.ServicerContext) -> Any:
        if left[0] > 0:
            left[0] -= 1
            context.abort(grpc.StatusCode.UNAVAILABLE, "overloaded, try again")
        return None

    return behaviour


class TestTypedResults:
    def test_create_and_get_return_dataclasses(self, client: Client) -> None:
        """Results are the client's frozen dataclasses with names, enums and no pb2 objects."""
        _seed(client)
        dc = client.get_data_center("fj-ai")
        assert type(dc) is t.DataCenter
        assert dc.name == "dataCenters/fj-ai"
        assert dc.region == "regions/fujian-fuzhou"
        assert dc.state is t.DataCenterState.ACTIVE
        assert dc.design_pue == pytest.approx(1.25)
        with pytest.raises(dataclasses.FrozenInstanceError):
            dc.design_pue = 2.0  # type: ignore[misc]

    def test_bare_id_and_full_name_are_the_same_resource(self, client: Client) -> None:
        """A top-level resource may be named by id or by resource name."""
        _seed(client)
        assert client.get_data_center("fj-ai") == client.get_data_center("dataCenters/fj-ai")

    def test_pool_totals_show_on_the_data_center(self, client: Client) -> None:
        """Creating a pool with nodes raises the data center's node, accelerator and PFLOPS
        totals by exactly the pool's shape."""
        _seed(client)
        client.create_accelerator_model("h100-sxm", MODEL)
        pool = client.create_pool(
            "fj-ai",
            "h100",
            t.Pool(
                accelerator_model="acceleratorModels/h100-sxm",
                accelerators_per_node=8,
                cpu_milli_per_node=192_000,
                memory_mib_per_node=2_097_152,
            ),
            node_count=3,
        )
        assert pool.name == "dataCenters/fj-ai/pools/h100"
        assert pool.node_count == 3
        dc = client.get_data_center("fj-ai")
        assert dc.node_count == 3
        assert dc.accelerator_count == 24
        assert dc.fp16_pflops == pytest.approx(24 * 989.4 / 1000)
        nodes = list(client.iter_nodes("fj-ai"))
        assert [n.name for n in nodes] == [
            f"dataCenters/fj-ai/nodes/h100-{i:04d}" for i in range(3)
        ]
        assert all(n.state is t.NodeState.READY for n in nodes)

    def test_update_changes_only_the_masked_fields(self, client: Client) -> None:
        """An update with a mask leaves every other field as it was."""
        _seed(client)
        before = client.get_data_center("fj-ai")
        changed = dataclasses.replace(before, design_pue=1.2, display_name="ignored")
        after = client.update_data_center(changed, ["design_pue"])
        assert after.design_pue == pytest.approx(1.2)
        assert after.display_name == before.display_name

    def test_delete_removes_the_resource(self, client: Client) -> None:
        """After delete, get raises NotFoundError."""
        _seed(client)
        client.delete_data_center("fj-ai")
        with pytest.raises(NotFoundError):
            client.get_data_center("fj-ai")


class TestBackends:
    def test_typed_flow_on_each_backend(self, server: ThreadedServer, inventory_file: Path) -> None:
        """Import, list, get, update and a typed error behave the same on SQLite and
        PostgreSQL."""
        with Client(server.address, retries=FAST) as c:
            assert c.import_inventory(inventory_file).nodes == 5
            pools = list(c.iter_pools(page_size=1))
            assert [p.node_count for p in pools] == [2, 3]
            dc = c.update_data_center(
                dataclasses.replace(c.get_data_center("fj-ai"), pue_target=1.25), ["pue_target"]
            )
            assert dc.pue_target == pytest.approx(1.25)
            with pytest.raises(FailedPreconditionError) as info:
                c.delete_data_center("fj-ai")
            assert info.value.reason == "DATA_CENTER_NOT_EMPTY"


class TestErrors:
    def test_invalid_argument_lists_field_violations(self, client: Client) -> None:
        """Bad input raises InvalidArgumentError naming each bad field, and creates nothing."""
        client.create_region("fujian-fuzhou", REGION)
        bad = dataclasses.replace(DATA_CENTER, design_pue=0.5, province="")
        with pytest.raises(InvalidArgumentError) as info:
            client.create_data_center("fj-ai", bad)
        err = info.value
        assert err.code is grpc.StatusCode.INVALID_ARGUMENT
        fields = {v.field for v in err.field_violations}
        assert {"data_center.design_pue", "data_center.province"} <= fields
        assert isinstance(err, shared.InvalidArgument)
        assert err.violations == err.field_violations
        assert err.domain == "computenet.v1"
        assert client.list_data_centers().items == ()

    def test_not_found_and_already_exists_are_typed(self, client: Client) -> None:
        """Missing and duplicate resources raise their own classes, also in the shared tree."""
        with pytest.raises(NotFoundError) as missing:
            client.get_region("nowhere")
        assert isinstance(missing.value, shared.NotFound)
        assert missing.value.reason == "NOT_FOUND"
        client.create_region("fujian-fuzhou", REGION)
        with pytest.raises(AlreadyExistsError):
            client.create_region("fujian-fuzhou", REGION)

    def test_failed_precondition_carries_the_reason(self, client: Client) -> None:
        """Deleting a region a data center uses is refused with the IN_USE reason."""
        _seed(client)
        with pytest.raises(FailedPreconditionError) as info:
            client.delete_region("fujian-fuzhou")
        assert info.value.reason == "IN_USE"

    def test_unreachable_server_raises_unavailable_without_details(self) -> None:
        """A closed port gives UnavailableError that did not come from computenet."""
        with (
            Client("127.0.0.1:1", retries=0, timeout=5) as c,
            pytest.raises(UnavailableError) as info,
        ):
            c.list_regions()
        assert not info.value.has_details

    def test_every_status_code_maps_to_its_class(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """The one table turns each gRPC code into its error class."""
        for code, cls in ERROR_TYPES.items():

            def abort(request: Any, context: grpc.ServicerContext, code: Any = code) -> Any:
                context.abort(code, f"failed with {code.name}")

            fake_server.behaviours["UpdateRegion"] = abort  # never retried: one call per code
            with pytest.raises(cls) as info:
                fake_client.update_region(t.Region(name="regions/x"), ["display_name"])
            assert info.value.code is code
            assert str(info.value) == f"{code.name}: failed with {code.name}"

    def test_quota_failure_details_are_parsed(self, fake_server: Any, fake_client: Client) -> None:
        """A QuotaFailure detail becomes quota_violations on ResourceExhaustedError."""
        exc = shared.ResourceExhausted(
            "quota exceeded", [shared.QuotaViolation("tenants/acme", "h100: 16 of 16 used")]
        )

        def abort(request: Any, context: grpc.ServicerContext) -> Any:
            context.abort_with_status(error_status(exc))

        fake_server.behaviours["SubmitJob"] = abort
        with pytest.raises(clients.ResourceExhaustedError) as info:
            fake_client.submit_job(t.JobSpec(replicas=1))
        assert info.value.quota_violations == (
            shared.QuotaViolation("tenants/acme", "h100: 16 of 16 used"),
        )
        assert isinstance(info.value, shared.ResourceExhausted)


class TestDeadlines:
    def test_every_call_carries_the_default_deadline_and_token(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """A call without a timeout arrives with the 10 s deadline, the bearer token and a
        request id."""
        fake_client.get_region("fujian-fuzhou")
        seen = fake_server.last("GetRegion")
        assert seen.time_remaining is not None
        assert 8.0 < seen.time_remaining < 10.1
        assert seen.metadata["authorization"] == "Bearer s3cret"
        assert seen.metadata["x-request-id"]

    def test_per_call_timeout_overrides_the_default(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """timeout= on a call sets that call's deadline."""
        fake_client.list_regions(timeout=2.5)
        remaining = fake_server.last("ListRegions").time_remaining
        assert remaining is not None
        # gRPC rounds the deadline up on the wire by a few milliseconds
        assert 1.5 < remaining < 2.6

    def test_uploads_have_their_own_longer_deadline(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """A readings stream gets the upload deadline (10 min), not the 10 s of a call."""
        reading = t.Reading(meter="dataCenters/a/meters/m", read_time=datetime.now(UTC))
        fake_client.record_readings([reading])
        remaining = fake_server.last("RecordReadings").time_remaining
        assert remaining is not None
        assert 590 < remaining < clients.DEFAULT_UPLOAD_TIMEOUT + 1

    def test_impossible_timeout_raises_deadline_exceeded(
        self, client: Client, inventory_file: Path
    ) -> None:
        """A microsecond deadline on a call that needs the database cannot be met."""
        client.list_regions()  # connected, so the deadline passes after sending
        with pytest.raises(DeadlineExceededError):
            client.import_inventory(inventory_file, validate_only=True, timeout=1e-6)

    def test_slow_answer_raises_deadline_exceeded(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """A server slower than the deadline gives DeadlineExceededError, not a hang."""

        def slow(request: Any, context: grpc.ServicerContext) -> Any:
            time.sleep(0.5)

        fake_server.behaviours["GetPue"] = slow
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError):
            fake_client.get_pue("fj-ai", timeout=0.05)
        assert time.monotonic() - started < 0.4

    def test_timeout_must_be_positive(self) -> None:
        """A zero or negative default timeout is refused at construction."""
        with pytest.raises(ValueError, match="timeout"):
            Client("127.0.0.1:1", timeout=0)


class TestTls:
    def test_mtls_call_succeeds_with_the_client_certificate(
        self, mtls_fake_server: Any, pki: Any
    ) -> None:
        """With the CA and a client certificate the call goes through over mTLS."""
        with Client(
            mtls_fake_server.address,
            root_certificates=pki.ca,
            private_key=pki.client_key,
            certificate_chain=pki.client_cert,
            token="t0ken",
        ) as c:
            c.get_region("fujian-fuzhou")
        assert mtls_fake_server.last("GetRegion").metadata["authorization"] == "Bearer t0ken"

    @pytest.mark.parametrize("mode", ["tls-without-client-cert", "plaintext"])
    def test_calls_without_the_right_credentials_fail(
        self, mtls_fake_server: Any, pki: Any, mode: str
    ) -> None:
        """Without a client certificate, or in plaintext, the call fails as UNAVAILABLE and
        never reaches the server."""
        options: dict[str, Any] = {"root_certificates": pki.ca} if mode != "plaintext" else {}
        client = Client(mtls_fake_server.address, retries=0, timeout=5, **options)
        with client, pytest.raises(UnavailableError):
            client.get_region("fujian-fuzhou")
        assert mtls_fake_server.calls == []

    def test_half_an_identity_is_refused(self, pki: Any) -> None:
        """A key without its certificate chain is a configuration error."""
        with pytest.raises(ValueError, match="mTLS"):
            Client("127.0.0.1:1", private_key=pki.client_key)


class TestRetries:
    def test_idempotent_read_is_retried_until_it_succeeds(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """A Get that meets UNAVAILABLE twice succeeds on the third attempt."""
        fake_server.behaviours["GetDataCenter"] = _unavailable_times(2)
        dc = fake_client.get_data_center("fj-ai")
        assert isinstance(dc, t.DataCenter)
        assert fake_server.count("GetDataCenter") == 3

    def test_create_retries_keep_one_request_id(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """A Create is retried with the same generated request_id, so it cannot run twice."""
        fake_server.behaviours["CreateDataCenter"] = _unavailable_times(2)
        fake_client.create_data_center("fj-ai", DATA_CENTER)
        ids = {c.request.request_id for c in fake_server.calls if c.method == "CreateDataCenter"}
        assert fake_server.count("CreateDataCenter") == 3
        assert len(ids) == 1
        assert ids.pop()

    def test_submit_job_retries_keep_the_given_request_id(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """SubmitJob is retried with the caller's request_id on every attempt."""
        fake_server.behaviours["SubmitJob"] = _unavailable_times(1)
        fake_client.submit_job(t.JobSpec(replicas=1), request_id="req-1")
        assert [c.request.request_id for c in fake_server.calls] == ["req-1", "req-1"]

    @pytest.mark.parametrize(
        ("method", "call"),
        [
            ("CancelJob", lambda c: c.cancel_job("j1")),
            ("SetJobState", lambda c: c.set_job_state("j1", t.JobState.RUNNING)),
            ("UpdateDataCenter", lambda c: c.update_data_center(DATA_CENTER, ["design_pue"])),
            ("DeleteDataCenter", lambda c: c.delete_data_center("fj-ai")),
            ("DeleteWebhook", lambda c: c.delete_webhook("w1")),
            ("SetTenantQuota", lambda c: c.set_tenant_quota(t.TenantQuota(name="tenants/a/quota"))),
        ],
    )
    def test_unsafe_calls_are_never_retried(
        self, fake_server: Any, fake_client: Client, method: str, call: Any
    ) -> None:
        """Cancel, set-state, update and delete meet UNAVAILABLE once and raise at once."""
        fake_server.behaviours[method] = _unavailable_times(5)
        with pytest.raises(UnavailableError):
            call(fake_client)
        assert fake_server.count(method) == 1

    def test_retries_stop_after_max_attempts(self, fake_server: Any, fake_client: Client) -> None:
        """A call that never succeeds is tried max_attempts times, then raises."""
        fake_server.behaviours["ListJobs"] = _unavailable_times(100)
        with pytest.raises(UnavailableError):
            fake_client.list_jobs()
        assert fake_server.count("ListJobs") == FAST.max_attempts

    def test_other_errors_are_not_retried(self, fake_server: Any, fake_client: Client) -> None:
        """INVALID_ARGUMENT is the caller's to fix: one attempt."""

        def invalid(request: Any, context: grpc.ServicerContext) -> Any:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no")

        fake_server.behaviours["GetJob"] = invalid
        with pytest.raises(InvalidArgumentError):
            fake_client.get_job("j1")
        assert fake_server.count("GetJob") == 1

    def test_watch_opening_is_retried(self, fake_server: Any, fake_client: Client) -> None:
        """A watch that fails before its first event is opened again."""
        attempts = _unavailable_times(1)

        def events(request: Any, context: grpc.ServicerContext) -> Any:
            attempts(request, context)
            return [
                scheduler_pb2.WatchJobsResponse(job=scheduler_pb2.Job(name="tenants/acme/jobs/a"))
            ]

        fake_server.behaviours["WatchJobs"] = events
        seen = list(fake_client.watch_jobs(resume=False))
        assert [e.job.name for e in seen] == ["tenants/acme/jobs/a"]
        assert fake_server.count("WatchJobs") == 2

    def test_deadline_while_connecting_is_retried_only_when_safe(self) -> None:
        """Against a peer that accepts TCP but never speaks HTTP/2, a read is tried again
        after each deadline (the request never left), a cancel only once."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        held: list[socket.socket] = []

        def accept() -> None:
            with contextlib.suppress(OSError):
                while True:
                    held.append(listener.accept()[0])

        threading.Thread(target=accept, daemon=True).start()
        policy = RetryPolicy(max_attempts=5, initial_backoff=0.001, max_backoff=0.002)
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        try:
            with Client(address, retries=policy, timeout=0.1) as c:
                started = time.monotonic()
                with pytest.raises(DeadlineExceededError):
                    c.list_regions()
                assert time.monotonic() - started >= 0.5  # five deadlines of 0.1 s
                started = time.monotonic()
                with pytest.raises(DeadlineExceededError):
                    c.cancel_job("j1")
                assert time.monotonic() - started < 0.45  # one deadline
        finally:
            listener.close()
            for conn in held:
                conn.close()

    def test_backoff_is_full_jitter_under_a_growing_cap(self) -> None:
        """Each pause lies in [0, min(max, initial × multiplier^(n-1))]."""
        policy = RetryPolicy(max_attempts=10, initial_backoff=0.1, max_backoff=1.0, multiplier=2)
        rng = random.Random(7)
        for retry in range(1, 9):
            cap = min(1.0, 0.1 * 2 ** (retry - 1))
            pauses = [policy.backoff(retry, rng) for _ in range(200)]
            assert all(0.0 <= p <= cap for p in pauses)
            assert max(pauses) > cap / 2  # jitter spreads over the range


class TestPagination:
    def test_iterator_follows_page_tokens(self, client: Client, inventory_file: Path) -> None:
        """iter_* yields every item once, in order, over pages of the given size."""
        client.import_inventory(inventory_file)
        first = client.list_nodes(page_size=2)
        assert len(first) == 2
        assert first.total_size == 5
        assert first.next_page_token
        second = client.list_nodes(page_size=2, page_token=first.next_page_token)
        everything = [n.name for n in client.iter_nodes(page_size=2)]
        assert everything[:4] == [n.name for n in (*first, *second)]
        assert len(everything) == len(set(everything)) == 5
        assert everything == sorted(everything)

    def test_filters_and_parents_narrow_the_list(
        self, client: Client, inventory_file: Path
    ) -> None:
        """A parent and a filter return only the matching items."""
        client.import_inventory(inventory_file)
        assert {n.pool for n in client.iter_nodes("nx-zw")} == {"dataCenters/nx-zw/pools/ascend"}
        fujian = client.list_data_centers(filter='province = "Fujian"')
        assert [dc.name for dc in fujian] == ["dataCenters/fj-ai"]

    def test_foreign_page_token_is_refused(self, client: Client, inventory_file: Path) -> None:
        """A token from another query raises InvalidArgumentError (INVALID_PAGE_TOKEN)."""
        client.import_inventory(inventory_file)
        token = client.list_nodes(page_size=1).next_page_token
        with pytest.raises(InvalidArgumentError) as info:
            client.list_regions(page_token=token)
        assert info.value.reason == "INVALID_PAGE_TOKEN"


class TestInventoryFiles:
    def test_import_counts_and_export_round_trip(
        self, client: Client, inventory_file: Path
    ) -> None:
        """An import reports what it created; the JSON export holds the same network."""
        result = client.import_inventory(inventory_file)
        assert result == t.ImportResult(
            accelerator_models=2, regions=3, data_centers=2, racks=1, pools=2, nodes=5, links=2
        )
        exported = json.loads(client.export_inventory("json"))
        source = yaml.safe_load(inventory_file.read_text(encoding="utf-8"))
        assert {dc["id"] for dc in exported["data_centers"]} == {
            dc["id"] for dc in source["data_centers"]
        }
        assert len(exported["links"]) == 2
        again = yaml.safe_load(client.export_inventory(t.InventoryFormat.YAML))
        assert again == exported

    def test_validate_only_changes_nothing(self, client: Client, inventory_file: Path) -> None:
        """validate_only answers the counts and leaves the inventory empty."""
        result = client.import_inventory(inventory_file.read_bytes(), validate_only=True)
        assert result.nodes == 5
        assert client.list_regions().items == ()

    def test_bad_file_names_the_fields(self, client: Client) -> None:
        """A bad inventory file raises InvalidArgumentError with its field paths."""
        content = b'{"version": 1, "regions": [{"id": "Bad Id", "province": "", "latitude": 91}]}'
        with pytest.raises(InvalidArgumentError) as info:
            client.import_inventory(content)
        fields = {v.field for v in info.value.field_violations}
        assert {"regions[0].id", "regions[0].latitude"} <= fields

    def test_unknown_format_is_refused_before_sending(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """An unknown format name is a ValueError, not a call."""
        with pytest.raises(ValueError, match="format"):
            fake_client.export_inventory("xml")
        assert fake_server.calls == []


def _every_call(c: Client) -> list[tuple[str, Any]]:
    """(RPC name, a call of the client method for it) for every RPC of the API."""
    dc = "fj-ai"
    spec = t.JobSpec(kind=t.JobKind.TRAINING, replicas=2)
    reading = t.Reading(
        meter="dataCenters/fj-ai/meters/m1", read_time=datetime(2025, 1, 1, tzinfo=UTC)
    )
    calls: list[tuple[str, Any]] = []
    for kind, obj, parented in (
        ("AcceleratorModel", MODEL, False),
        ("Region", REGION, False),
        ("DataCenter", DATA_CENTER, False),
        ("Rack", t.Rack(name="dataCenters/fj-ai/racks/r1"), True),
        ("Pool", t.Pool(name="dataCenters/fj-ai/pools/p1"), True),
        ("Node", t.Node(name="dataCenters/fj-ai/nodes/n1"), True),
        ("Link", t.Link(name="links/l1"), False),
    ):
        stem = "".join("_" + ch.lower() if ch.isupper() else ch for ch in kind).lstrip("_")
        name = f"{dc}/x1" if parented else "x1"
        create = getattr(c, f"create_{stem}")
        calls += [
            (
                f"Create{kind}",
                (lambda create=create, obj=obj: create(dc, "x1", obj))
                if parented
                else (lambda create=create, obj=obj: create("x1", obj)),
            ),
            (f"Get{kind}", lambda stem=stem, name=name: getattr(c, f"get_{stem}")(name)),
            (f"List{kind}s", lambda stem=stem: list(getattr(c, f"iter_{stem}s")())),
            (f"Update{kind}", lambda stem=stem, obj=obj: getattr(c, f"update_{stem}")(obj, ["*"])),
            (f"Delete{kind}", lambda stem=stem, name=name: getattr(c, f"delete_{stem}")(name)),
        ]
    calls += [
        ("ImportInventory", lambda: c.import_inventory(b"version: 1\n")),
        ("ExportInventory", lambda: c.export_inventory("json")),
        ("SubmitJob", lambda: c.submit_job(spec, "j1")),
        ("QuoteJob", lambda: c.quote_job(spec)),
        ("GetJob", lambda: c.get_job("j1")),
        ("ListJobs", lambda: list(c.iter_jobs())),
        ("CancelJob", lambda: c.cancel_job("j1", "no longer needed")),
        ("WatchJobs", lambda: list(c.watch_jobs(resume=False))),
        ("SetJobState", lambda: c.set_job_state("j1", t.JobState.SUCCEEDED, "done")),
        ("RunBatchPlacement", lambda: c.run_batch_placement(time_limit=2.0, dry_run=True)),
        ("ListPolicies", lambda: c.list_policies()),
        ("GetTenantQuota", lambda: c.get_tenant_quota()),
        ("SetTenantQuota", lambda: c.set_tenant_quota(t.TenantQuota(name="tenants/acme/quota"))),
        ("ListTenantQuotas", lambda: list(c.iter_tenant_quotas())),
        ("CreateWebhook", lambda: c.create_webhook("w1", t.Webhook(url="https://example.org/h"))),
        ("ListWebhooks", lambda: list(c.iter_webhooks())),
        ("DeleteWebhook", lambda: c.delete_webhook("w1")),
        ("ListWebhookDeliveries", lambda: list(c.iter_webhook_deliveries("w1"))),
        (
            "CreateMeter",
            lambda: c.create_meter(dc, "m1", t.Meter(metering_point=t.MeteringPoint.IT_INPUT)),
        ),
        ("GetMeter", lambda: c.get_meter(f"{dc}/m1")),
        ("ListMeters", lambda: list(c.iter_meters(dc))),
        ("DeleteMeter", lambda: c.delete_meter(f"{dc}/m1")),
        ("RecordReadings", lambda: c.record_readings([reading])),
        ("BatchRecordReadings", lambda: c.batch_record_readings([reading])),
        ("GetPue", lambda: c.get_pue(dc)),
        ("GetComplianceReport", lambda: c.get_compliance_report()),
        ("GetUtilization", lambda: c.get_utilization(group_by=t.UtilizationGroupBy.TENANT)),
    ]
    return calls


class TestWiring:
    def test_every_rpc_has_a_method_that_reaches_it(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """Each of the API's RPCs is called by one client method, which decodes the answer."""
        calls = _every_call(fake_client)
        for rpc_name, call in calls:
            result = call()
            assert fake_server.calls[-1].method == rpc_name
            assert (
                result is None
                or isinstance(result, bytes | list)
                or dataclasses.is_dataclass(result)
            )
        every_rpc = {
            m.name
            for module, service in (
                (inventory_pb2, "InventoryService"),
                (scheduler_pb2, "SchedulerService"),
                (telemetry_pb2, "TelemetryService"),
            )
            for m in module.DESCRIPTOR.services_by_name[service].methods
        }
        assert {name for name, _ in calls} == every_rpc

    def test_job_requests_carry_the_tenant_and_a_request_id(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """Bare job ids live under the client's tenant; submit always sends a request_id."""
        fake_client.submit_job(t.JobSpec(replicas=1), "j1")
        submitted = fake_server.last("SubmitJob").request
        assert submitted.parent == "tenants/acme"
        assert submitted.job_id == "j1"
        assert len(submitted.request_id) >= 16
        fake_client.cancel_job("j1")
        assert fake_server.last("CancelJob").request.name == "tenants/acme/jobs/j1"
        list(fake_client.iter_jobs(parent="-"))
        assert fake_server.last("ListJobs").request.parent == "tenants/-"

    def test_record_readings_streams_batches(self, fake_server: Any, fake_client: Client) -> None:
        """Readings go out batch_size per message, all of them, consumed lazily."""
        start = datetime(2025, 1, 1, tzinfo=UTC)
        readings = (
            t.Reading(
                meter="dataCenters/fj-ai/meters/m1",
                read_time=start + timedelta(minutes=i),
                energy_kwh=float(i),
            )
            for i in range(25)
        )
        fake_client.record_readings(readings, batch_size=10)
        messages = fake_server.last("RecordReadings").request
        assert [len(m.readings) for m in messages] == [10, 10, 5]
        assert messages[2].readings[4].energy_kwh == 24.0

    def test_pages_are_followed_with_the_returned_token(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """iter_* sends each next_page_token back until the server returns none."""
        pages = {"": ("a", "t1"), "t1": ("b", "t2"), "t2": ("c", "")}

        def page(request: Any, context: grpc.ServicerContext) -> Any:
            name, token = pages[request.page_token]
            return inventory_pb2.ListRegionsResponse(
                regions=[inventory_pb2.Region(name=f"regions/{name}")], next_page_token=token
            )

        fake_server.behaviours["ListRegions"] = page
        assert [r.name for r in fake_client.iter_regions()] == [
            "regions/a",
            "regions/b",
            "regions/c",
        ]

    def test_watch_resumes_after_the_server_ends_a_stream(
        self, fake_server: Any, fake_client: Client
    ) -> None:
        """A watch the server closes cleanly is opened again when resume is on."""

        def one_event(request: Any, context: grpc.ServicerContext) -> Any:
            return [
                scheduler_pb2.WatchJobsResponse(job=scheduler_pb2.Job(name="tenants/acme/jobs/a"))
            ]

        fake_server.behaviours["WatchJobs"] = one_event
        events = fake_client.watch_jobs()
        assert [next(events).job.name for _ in range(3)] == ["tenants/acme/jobs/a"] * 3
        events.close()  # type: ignore[attr-defined]
        assert fake_server.count("WatchJobs") == 3

    def test_names_need_their_data_center(self, fake_client: Client) -> None:
        """A rack named by bare id is refused before any call: it needs its data center."""
        with pytest.raises(ValueError, match="data center"):
            fake_client.get_rack("r01")


# --------------------------------------------------------------------------- conversion


def _strategy(tp: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return st.none() | _strategy(inner)
    if origin is tuple:
        return st.lists(_strategy(typing.get_args(tp)[0]), max_size=2).map(tuple)
    if origin in (Mapping, dict):
        return st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if tp is datetime:
        return st.datetimes(
            min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
        )
    if tp is timedelta:
        return st.timedeltas(min_value=timedelta(days=-999), max_value=timedelta(days=999))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return st.builds(tp, **{f.name: _strategy(hints[f.name]) for f in dataclasses.fields(tp)})
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if tp is int:
        return st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if tp is bool:
        return st.booleans()
    if tp is str:
        return st.text(max_size=6)
    raise TypeError(tp)


class TestConvert:
    def test_dataclass_fields_are_message_fields(self) -> None:
        """Every dataclass field exists in its message; resources mirror every field."""
        for cls, message in convert.MESSAGE_TYPES.items():
            fields = {f.name for f in dataclasses.fields(cls)}
            assert fields <= set(message.DESCRIPTOR.fields_by_name), cls
            if "name" in fields:
                assert fields == set(message.DESCRIPTOR.fields_by_name), cls

    def test_enums_mirror_the_proto_enums(self) -> None:
        """Python enum members have the proto names (without prefix) and numbers."""
        pairs = [
            (t.HubClass, inventory_pb2.HubClass.DESCRIPTOR, "HUB_CLASS_"),
            (t.DataCenterState, inventory_pb2.DataCenter.State.DESCRIPTOR, "STATE_"),
            (t.NodeState, inventory_pb2.Node.State.DESCRIPTOR, "STATE_"),
            (t.InventoryFormat, inventory_pb2.InventoryFormat.DESCRIPTOR, "INVENTORY_FORMAT_"),
            (t.JobKind, scheduler_pb2.JobKind.DESCRIPTOR, "JOB_KIND_"),
            (t.JobState, scheduler_pb2.Job.State.DESCRIPTOR, "STATE_"),
            (t.MeteringPoint, telemetry_pb2.MeteringPoint.DESCRIPTOR, "METERING_POINT_"),
            (t.PueCategory, telemetry_pb2.PueCategory.DESCRIPTOR, "PUE_CATEGORY_"),
            (t.PueWindowKind, telemetry_pb2.PueWindowKind.DESCRIPTOR, "PUE_WINDOW_KIND_"),
            (
                t.UtilizationGroupBy,
                telemetry_pb2.UtilizationGroupBy.DESCRIPTOR,
                "UTILIZATION_GROUP_BY_",
            ),
        ]
        from computenet.v1 import common_pb2

        pairs.append((t.PueBasis, common_pb2.PueBasis.DESCRIPTOR, "PUE_BASIS_"))
        for py, descriptor, prefix in pairs:
            proto = {v.name.removeprefix(prefix): v.number for v in descriptor.values}
            assert {m.name: m.value for m in py} == proto, py

    @settings(max_examples=60, deadline=None)
    @given(st.data())
    def test_round_trip_is_lossless(self, data: st.DataObject) -> None:
        """from_proto(to_proto(x)) == x for every type, nested values included."""
        cls = data.draw(st.sampled_from(sorted(convert.MESSAGE_TYPES, key=lambda c: c.__name__)))
        value = data.draw(_strategy(cls))
        assert convert.from_proto(cls, convert.to_proto(value)) == value

    def test_unknown_enum_number_reads_as_unspecified(self) -> None:
        """A state a newer server added decodes as UNSPECIFIED instead of failing."""
        message = scheduler_pb2.Job(name="tenants/a/jobs/b")
        message.state = 42  # type: ignore[assignment]
        assert convert.job_from_proto(message).state is t.JobState.UNSPECIFIED

    def test_absent_and_present_optionals_differ(self) -> None:
        """An unset optional reads as None; a set zero stays zero."""
        when = datetime(2025, 1, 1, tzinfo=UTC)
        unset = telemetry_pb2.Reading(meter="m")
        assert convert.reading_from_proto(unset).energy_kwh is None
        assert convert.reading_from_proto(unset).read_time is None
        zero = convert.reading_to_proto(t.Reading(meter="m", read_time=when, energy_kwh=0.0))
        assert convert.reading_from_proto(zero).energy_kwh == 0.0

    def test_naive_times_are_refused(self) -> None:
        """A datetime without a zone is an error, not a guess."""
        with pytest.raises(ValueError, match="timezone-aware"):
            convert.to_proto(t.Reading(meter="m", read_time=datetime(2025, 1, 1)))


class TestLayering:
    def test_client_imports_no_server_code(self) -> None:
        """Importing the SDK and CLI loads no server package and nothing of the server extra."""
        code = (
            "import sys, clients, clients.cli\n"
            "banned = ('scheduler', 'inventory', 'pue', 'ortools', 'sqlmodel', 'numpy',"
            " 'sqlalchemy', 'alembic', 'prometheus_client', 'psycopg')\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & set(banned)))\n"
        )
        root = Path(__file__).resolve().parents[2]
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]"

    def test_public_api_is_re_exported(self) -> None:
        """The package root names the clients, the types and the errors."""
        for name in ("Client", "AsyncClient", "JobSpec", "Page", "ApiError", "NotFoundError"):
            assert name in clients.__all__
            assert getattr(clients, name) is not None
        assert issubclass(clients.ApiError, ApiError)
