"""Authentication and authorization through a real server with ``Config(auth=True)``: bearer
tokens (missing, malformed, unknown, revoked), the open health and reflection services, tenant
isolation in the scheduler (no existence leak), the operator-only RPCs of every service,
tokens stored hashed on both backends, and the ``computenet admin token`` commands.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import duration_pb2, timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy.engine import Engine
from structlog.testing import capture_logs
from typer.testing import CliRunner

from computenet import db
from computenet.auth import Principal, Role, TokenStore
from computenet.cli import app
from computenet.config import Config
from computenet.v1 import inventory_pb2 as ipb
from computenet.v1 import inventory_pb2_grpc as ipb_grpc
from computenet.v1 import scheduler_pb2 as spb
from computenet.v1 import scheduler_pb2_grpc as spb_grpc
from computenet.v1 import telemetry_pb2 as tpb
from computenet.v1 import telemetry_pb2_grpc as tpb_grpc
from scheduler.server import SERVICE_NAMES
from scheduler.testing import ThreadedServer, serve_in_thread

__all__: list[str] = []

TIMEOUT = 20.0
CACHE_SECONDS = 0.5
"""The server's token cache in these tests: revocation must bite within this (plus slack)."""

NETWORK = {
    "version": 1,
    "accelerator_models": [
        {"id": "gpu", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0}
    ],
    "regions": [{"id": "east", "province": "Fujian", "latitude": 26.0, "longitude": 119.3}],
    "data_centers": [
        {
            "id": "dc-a",
            "region": "east",
            "province": "Fujian",
            "latitude": 26.0,
            "longitude": 119.3,
            "grid_carbon_g_per_kwh": 500.0,
            "electricity_price_cny_per_kwh": 0.5,
            "design_pue": 1.2,
            "pue_target": 1.3,
        }
    ],
    "pools": [
        {
            "data_center": "dc-a",
            "id": "gpu-pool",
            "accelerator_model": "gpu",
            "accelerators_per_node": 8,
            "cpu_milli_per_node": 256_000,
            "memory_mib_per_node": 1_048_576,
            "node_count": 2,
        }
    ],
}


class Caller:
    """The three service stubs of one channel, calling with one bearer token (or none)."""

    def __init__(self, channel: grpc.Channel, token: str | None) -> None:
        self.inventory = ipb_grpc.InventoryServiceStub(channel)  # type: ignore[no-untyped-call]
        self.scheduler = spb_grpc.SchedulerServiceStub(channel)  # type: ignore[no-untyped-call]
        self.telemetry = tpb_grpc.TelemetryServiceStub(channel)  # type: ignore[no-untyped-call]
        self.metadata = (("authorization", f"Bearer {token}"),) if token is not None else ()

    def __call__(self, method: Callable[..., Any], request: Any) -> Any:
        return method(request, metadata=self.metadata, timeout=TIMEOUT)

    def code(self, method: Callable[..., Any], request: Any) -> grpc.StatusCode:
        """The status code of a unary call (OK when it succeeds)."""
        try:
            self(method, request)
        except grpc.RpcError as exc:
            return exc.code()
        return grpc.StatusCode.OK

    def error(self, method: Callable[..., Any], request: Any) -> grpc.RpcError:
        """The error of a unary call that must fail."""
        with pytest.raises(grpc.RpcError) as info:
            self(method, request)
        return info.value


class Env:
    """The auth server, its token store and callers for each kind of principal."""

    def __init__(self, server: ThreadedServer, channel: grpc.Channel) -> None:
        self.server = server
        self.channel = channel
        # A second store on the same database stands for the admin CLI in another process.
        self.tokens = TokenStore(server.running.engine, cache_seconds=0)
        self.tenant_token = self.new_token("acme-ci", Role.TENANT, "acme")
        self.acme = Caller(channel, self.tenant_token)
        self.globex = Caller(channel, self.new_token("globex-ci", Role.TENANT, "globex"))
        self.operator = Caller(channel, self.new_token("ops", Role.OPERATOR))
        self.admin = Caller(channel, self.new_token("root", Role.ADMIN))
        self.nobody = Caller(channel, None)

    def new_token(self, name: str, role: Role, tenant: str = "") -> str:
        return self.tokens.create(name=name, role=role, tenant=tenant)[1]

    def caller(self, token: str | None) -> Caller:
        return Caller(self.channel, token)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One auth server for the module, on a SQLite file, with the small network imported."""
    path = tmp_path_factory.mktemp("auth") / "computenet.db"
    config = Config(
        port=0,
        database_url=f"sqlite:///{path}",
        auth=True,
        token_cache_seconds=CACHE_SECONDS,
        batch_interval_seconds=0,
    )
    with serve_in_thread(config) as server, grpc.insecure_channel(server.address) as channel:
        e = Env(server, channel)
        e.operator(
            e.operator.inventory.ImportInventory,
            ipb.ImportInventoryRequest(
                content=json.dumps(NETWORK).encode(), format=ipb.INVENTORY_FORMAT_JSON
            ),
        )
        yield e


def spec(accelerators: int = 1) -> spb.JobSpec:
    return spb.JobSpec(
        kind=spb.JOB_KIND_TRAINING,
        replicas=1,
        replica=spb.ReplicaSpec(accelerator_count=accelerators, cpu_milli=1000, memory_mib=1024),
        expected_duration=duration_pb2.Duration(seconds=3600),
    )


def submit(caller: Caller, tenant: str, **fields: Any) -> spb.Job:
    request = spb.SubmitJobRequest(parent=f"tenants/{tenant}", spec=spec(), **fields)
    return caller(caller.scheduler.SubmitJob, request).job  # type: ignore[no-any-return]


U = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED


class TestAuthentication:
    def test_every_service_refuses_a_call_without_a_token(self, env: Env) -> None:
        """Without an authorization header each service answers UNAUTHENTICATED."""
        c = env.nobody
        assert c.code(c.inventory.ListDataCenters, ipb.ListDataCentersRequest()) == U
        assert c.code(c.scheduler.ListPolicies, spb.ListPoliciesRequest()) == U
        assert c.code(c.telemetry.ListMeters, tpb.ListMetersRequest(parent="dataCenters/-")) == U
        watch = c.scheduler.WatchJobs(
            spb.WatchJobsRequest(parent="tenants/acme"), metadata=c.metadata, timeout=TIMEOUT
        )
        with pytest.raises(grpc.RpcError) as info:
            next(iter(watch))
        assert info.value.code() == U
        with pytest.raises(grpc.RpcError) as info:
            c.telemetry.RecordReadings(iter([tpb.RecordReadingsRequest()]), timeout=TIMEOUT)
        assert info.value.code() == U

    def test_malformed_and_unknown_tokens_are_unauthenticated(self, env: Env) -> None:
        """A header that is not ``Bearer <token>``, a token of the wrong shape, an unknown id
        or a known id with the wrong secret are all UNAUTHENTICATED."""
        real = env.tenant_token
        token_id = real.split("_")[1]
        headers = [
            "",
            "Bearer",
            "Bearer ",
            f"Basic {real}",
            real,
            "Bearer cn_",
            "Bearer cn__secret",
            f"Bearer cn_{token_id}_",
            "Bearer not-a-token",
            "Bearer cn_000000000000_" + "x" * 43,
            f"Bearer cn_{token_id}_{'x' * 43}",
            f"Bearer {real}x",
        ]
        request = spb.ListPoliciesRequest()
        for header in headers:
            with pytest.raises(grpc.RpcError) as info:
                env.acme.scheduler.ListPolicies(
                    request, metadata=(("authorization", header),), timeout=TIMEOUT
                )
            assert info.value.code() == U, header
        # The real token still works, with any case of the scheme.
        env.acme.scheduler.ListPolicies(
            request, metadata=(("authorization", f"bearer {real}"),), timeout=TIMEOUT
        )

    def test_revoked_token_is_refused_within_the_cache_time(self, env: Env) -> None:
        """A token revoked elsewhere (the admin CLI) stops working once the server's cache
        time has passed; one revoked before its first use is refused at once."""
        info, token = env.tokens.create(name="short-lived", role=Role.TENANT, tenant="acme")
        c = env.caller(token)
        assert c.code(c.scheduler.ListPolicies, spb.ListPoliciesRequest()) == grpc.StatusCode.OK
        revoked_at = time.monotonic()
        env.tokens.revoke(info.id)
        while c.code(c.scheduler.ListPolicies, spb.ListPoliciesRequest()) != U:
            assert time.monotonic() - revoked_at < CACHE_SECONDS + 2.0, "revocation never bit"
            time.sleep(0.05)
        # Stays refused.
        assert c.code(c.scheduler.GetJob, spb.GetJobRequest(name="tenants/acme/jobs/x")) == U

        info2, token2 = env.tokens.create(name="never-used", role=Role.OPERATOR)
        env.tokens.revoke(info2.id)
        c2 = env.caller(token2)
        assert c2.code(c2.scheduler.ListPolicies, spb.ListPoliciesRequest()) == U

    def test_refused_calls_are_counted(self, env: Env) -> None:
        """A call refused for its token is logged and counted like any other RPC (the
        ``computenet_rpc_total`` counter by method and code), so token guessing shows."""
        telemetry = env.server.running.telemetry
        assert telemetry is not None
        metrics = telemetry.metrics
        assert metrics is not None

        def refused() -> float:
            value = metrics.registry.get_sample_value(
                "computenet_rpc_total", {"method": "ListPolicies", "code": "UNAUTHENTICATED"}
            )
            return value or 0.0

        before = refused()
        for token in (None, "cn_nope_nope"):
            c = env.caller(token)
            assert c.code(c.scheduler.ListPolicies, spb.ListPoliciesRequest()) == U
        assert refused() == before + 2

    def test_log_names_the_caller_and_never_the_token(self, env: Env) -> None:
        """Each call's log line names the principal (the token's name); neither an accepted
        nor a refused token appears in any log line."""
        wrong = env.tenant_token[:-4] + "AAAA"
        with capture_logs() as logs:
            env.acme(env.acme.scheduler.ListPolicies, spb.ListPoliciesRequest())
            env.operator(env.operator.scheduler.ListPolicies, spb.ListPoliciesRequest())
            c = env.caller(wrong)
            assert c.code(c.scheduler.ListPolicies, spb.ListPoliciesRequest()) == U
        calls = [e for e in logs if e.get("event") == "rpc" and e.get("method") == "ListPolicies"]
        assert [(e.get("principal"), e["code"]) for e in calls] == [
            ("acme-ci", "OK"),
            ("ops", "OK"),
            (None, "UNAUTHENTICATED"),
        ]
        text = repr(logs)
        assert env.tenant_token not in text
        assert wrong not in text
        assert env.tenant_token.split("_", 2)[2] not in text

    def test_health_and_reflection_need_no_token(self, env: Env) -> None:
        """Health checks and server reflection answer without a token."""
        health = health_pb2_grpc.HealthStub(env.channel)
        for name in ("", *SERVICE_NAMES):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=TIMEOUT)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(env.channel)
        (reply,) = list(
            reflection.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=TIMEOUT
            )
        )
        assert set(SERVICE_NAMES) <= {s.name for s in reply.list_services_response.service}


class TestTenantIsolation:
    def test_tenant_works_with_its_own_jobs(self, env: Env) -> None:
        """A tenant token submits, quotes, gets, lists, watches and cancels its own jobs."""
        c = env.acme
        quote = c(c.scheduler.QuoteJob, spb.QuoteJobRequest(parent="tenants/acme", spec=spec()))
        assert quote.placeable
        job = submit(c, "acme", request_id="own-1")
        assert job.tenant == "tenants/acme"
        assert job.state == spb.Job.STATE_SCHEDULED
        assert c(c.scheduler.GetJob, spb.GetJobRequest(name=job.name)).job.name == job.name
        listed = c(c.scheduler.ListJobs, spb.ListJobsRequest(parent="tenants/acme")).jobs
        assert job.name in {j.name for j in listed}
        assert {j.tenant for j in listed} == {"tenants/acme"}
        watch = c.scheduler.WatchJobs(
            spb.WatchJobsRequest(parent="tenants/acme", send_initial=True),
            metadata=c.metadata,
            timeout=TIMEOUT,
        )
        first = next(iter(watch))
        assert first.job.tenant == "tenants/acme"
        watch.cancel()
        cancelled = c(c.scheduler.CancelJob, spb.CancelJobRequest(name=job.name)).job
        assert cancelled.state == spb.Job.STATE_CANCELLED
        quota = c(c.scheduler.GetTenantQuota, spb.GetTenantQuotaRequest(name="tenants/acme/quota"))
        assert quota.quota.name == "tenants/acme/quota"

    def test_another_tenants_parent_is_permission_denied(self, env: Env) -> None:
        """Naming another tenant as the parent is PERMISSION_DENIED, and so is every tenant
        (``tenants/-``) where operators may use it; nothing is created for the other tenant."""
        ops = env.operator
        before = ops(ops.scheduler.ListJobs, spb.ListJobsRequest(parent="tenants/globex"))
        c = env.acme
        other = "tenants/globex"
        calls = [
            (c.scheduler.SubmitJob, spb.SubmitJobRequest(parent=other, spec=spec())),
            (c.scheduler.QuoteJob, spb.QuoteJobRequest(parent=other, spec=spec())),
            (c.scheduler.ListJobs, spb.ListJobsRequest(parent=other)),
            (c.scheduler.ListJobs, spb.ListJobsRequest(parent="tenants/-")),
            (c.scheduler.GetTenantQuota, spb.GetTenantQuotaRequest(name=f"{other}/quota")),
            (c.scheduler.ListWebhooks, spb.ListWebhooksRequest(parent=other)),
            (
                c.scheduler.CreateWebhook,
                spb.CreateWebhookRequest(
                    parent=other, webhook_id="h", webhook=spb.Webhook(url="https://example.com/h")
                ),
            ),
        ]
        for method, request in calls:
            assert c.code(method, request) == DENIED, request
        for parent in (other, "tenants/-"):
            watch = c.scheduler.WatchJobs(
                spb.WatchJobsRequest(parent=parent, send_initial=True),
                metadata=c.metadata,
                timeout=TIMEOUT,
            )
            with pytest.raises(grpc.RpcError) as info:
                next(iter(watch))
            assert info.value.code() == DENIED, parent
        after = ops(ops.scheduler.ListJobs, spb.ListJobsRequest(parent="tenants/globex"))
        assert after.total_size == before.total_size
        hooks = ops(ops.scheduler.ListWebhooks, spb.ListWebhooksRequest(parent=other))
        assert not hooks.webhooks

    def test_another_tenants_job_is_not_found_exactly_like_a_missing_one(self, env: Env) -> None:
        """Get and cancel of another tenant's job answer NOT_FOUND with the same message as
        for a job that does not exist: nothing shows that it exists, and it is untouched."""
        theirs = submit(env.globex, "globex", request_id="theirs-1")
        missing = theirs.name.rsplit("/", 1)[0] + "/no-such-job"
        c = env.acme

        def answer(method: Callable[..., Any], request: Any, name: str) -> tuple[Any, str]:
            err = c.error(method, request)
            return err.code(), err.details().replace(name, "<name>")

        for method, make in (
            (c.scheduler.GetJob, lambda n: spb.GetJobRequest(name=n)),
            (c.scheduler.CancelJob, lambda n: spb.CancelJobRequest(name=n)),
        ):
            exists = answer(method, make(theirs.name), theirs.name)
            absent = answer(method, make(missing), missing)
            assert exists[0] == grpc.StatusCode.NOT_FOUND
            assert exists == absent
        still = env.globex(env.globex.scheduler.GetJob, spb.GetJobRequest(name=theirs.name)).job
        assert still.state == spb.Job.STATE_SCHEDULED

    def test_watch_shows_a_tenant_only_its_own_jobs(self, env: Env) -> None:
        """A tenant's WatchJobs stream carries its own job events, never another tenant's."""
        c = env.acme
        anchor = submit(c, "acme")
        watch = c.scheduler.WatchJobs(
            spb.WatchJobsRequest(parent="tenants/acme", send_initial=True),
            metadata=c.metadata,
            timeout=TIMEOUT,
        )
        events = iter(watch)
        # The stream subscribes before it sends the initial events: once one arrives, no
        # later change can be missed.
        seen = [next(events)]
        assert seen[0].initial
        theirs = submit(env.globex, "globex")
        mine = submit(c, "acme")
        while seen[-1].initial or seen[-1].job.name != mine.name:
            seen.append(next(events))
        watch.cancel()
        assert {e.job.tenant for e in seen} == {"tenants/acme"}
        assert theirs.name not in {e.job.name for e in seen}
        for job in (anchor, theirs, mine):
            env.operator(env.operator.scheduler.CancelJob, spb.CancelJobRequest(name=job.name))

    def test_job_tenant_is_the_callers(self, env: Env) -> None:
        """A tenant's job always belongs to the tenant of its token; an operator may act on
        behalf of any tenant."""
        mine = submit(env.acme, "acme")
        assert mine.name.startswith("tenants/acme/jobs/")
        assert mine.tenant == "tenants/acme"
        theirs = submit(env.operator, "initech")
        assert theirs.tenant == "tenants/initech"
        for job in (mine, theirs):
            env.operator(env.operator.scheduler.CancelJob, spb.CancelJobRequest(name=job.name))


def _operator_only(c: Caller) -> list[tuple[str, Callable[..., Any], Any]]:
    """Every RPC that needs the operator role, with an (otherwise harmless) request."""
    calls: list[tuple[str, Callable[..., Any], Any]] = []
    for method in ipb.DESCRIPTOR.services_by_name["InventoryService"].methods:
        if method.name.startswith(("Create", "Update", "Delete", "Import", "Export")):
            request = getattr(ipb, method.input_type.name)()
            calls.append((method.name, getattr(c.inventory, method.name), request))
    calls += [
        (
            "SetJobState",
            c.scheduler.SetJobState,
            spb.SetJobStateRequest(name="tenants/acme/jobs/x", state=spb.Job.STATE_RUNNING),
        ),
        ("RunBatchPlacement", c.scheduler.RunBatchPlacement, spb.RunBatchPlacementRequest()),
        (
            "SetTenantQuota",
            c.scheduler.SetTenantQuota,
            spb.SetTenantQuotaRequest(quota=spb.TenantQuota(name="tenants/acme/quota")),
        ),
        ("ListTenantQuotas", c.scheduler.ListTenantQuotas, spb.ListTenantQuotasRequest()),
        (
            "CreateMeter",
            c.telemetry.CreateMeter,
            tpb.CreateMeterRequest(parent="dataCenters/dc-a", meter_id="m"),
        ),
        (
            "DeleteMeter",
            c.telemetry.DeleteMeter,
            tpb.DeleteMeterRequest(name="dataCenters/dc-a/meters/m"),
        ),
        ("BatchRecordReadings", c.telemetry.BatchRecordReadings, tpb.BatchRecordReadingsRequest()),
        ("GetUtilization", c.telemetry.GetUtilization, tpb.GetUtilizationRequest()),
    ]
    return calls


class TestRoles:
    def test_tenant_cannot_call_operator_rpcs(self, env: Env) -> None:
        """Every inventory write, import and export, SetJobState, RunBatchPlacement, quota
        writes and listing, and every telemetry write is PERMISSION_DENIED to a tenant."""
        before = env.operator(
            env.operator.inventory.ExportInventory, ipb.ExportInventoryRequest()
        ).content
        for name, method, request in _operator_only(env.acme):
            assert env.acme.code(method, request) == DENIED, name
        with pytest.raises(grpc.RpcError) as info:
            env.acme.telemetry.RecordReadings(
                iter([tpb.RecordReadingsRequest()]), metadata=env.acme.metadata, timeout=TIMEOUT
            )
        assert info.value.code() == DENIED
        after = env.operator(
            env.operator.inventory.ExportInventory, ipb.ExportInventoryRequest()
        ).content
        assert after == before

    def test_tenant_may_read_the_shared_network(self, env: Env) -> None:
        """Inventory reads, meters, PUE, compliance and policies are open to tenants."""
        c = env.acme
        dcs = c(c.inventory.ListDataCenters, ipb.ListDataCentersRequest()).data_centers
        assert [d.name for d in dcs] == ["dataCenters/dc-a"]
        c(c.inventory.GetDataCenter, ipb.GetDataCenterRequest(name="dataCenters/dc-a"))
        c(c.inventory.ListNodes, ipb.ListNodesRequest(parent="dataCenters/-"))
        c(c.telemetry.ListMeters, tpb.ListMetersRequest(parent="dataCenters/-"))
        c(c.telemetry.GetComplianceReport, tpb.GetComplianceReportRequest())
        # Without enough readings the answer is about the data, never about the caller.
        pue = c.code(c.telemetry.GetPue, tpb.GetPueRequest(data_center="dataCenters/dc-a"))
        assert pue in (grpc.StatusCode.OK, grpc.StatusCode.FAILED_PRECONDITION)
        assert c(c.scheduler.ListPolicies, spb.ListPoliciesRequest()).policies

    def test_operator_and_admin_can_call_operator_rpcs(self, env: Env) -> None:
        """An operator (and an admin) may write inventory and telemetry, set job states, run
        the batch optimizer and set quotas."""
        for who, c in (("operator", env.operator), ("admin", env.admin)):
            for name, method, request in _operator_only(c):
                # Empty requests may be invalid or name nothing; only the role is judged here.
                assert c.code(method, request) != DENIED, (who, name)
            c(
                c.inventory.CreateRegion,
                ipb.CreateRegionRequest(
                    region_id=f"{who}-region",
                    region=ipb.Region(province="Fujian", latitude=26.1, longitude=119.2),
                ),
            )
            meter = c(
                c.telemetry.CreateMeter,
                tpb.CreateMeterRequest(
                    parent="dataCenters/dc-a",
                    meter_id=f"{who}-utility",
                    meter=tpb.Meter(metering_point=tpb.METERING_POINT_UTILITY_INPUT),
                ),
            ).meter
            read_time = timestamp_pb2.Timestamp()
            read_time.GetCurrentTime()
            recorded = c(
                c.telemetry.BatchRecordReadings,
                tpb.BatchRecordReadingsRequest(
                    readings=[tpb.Reading(meter=meter.name, read_time=read_time, power_kw=120.0)]
                ),
            )
            assert recorded.accepted == 1
            job = submit(env.acme, "acme")
            running = c(
                c.scheduler.SetJobState,
                spb.SetJobStateRequest(name=job.name, state=spb.Job.STATE_RUNNING),
            ).job
            assert running.state == spb.Job.STATE_RUNNING
            c(c.scheduler.CancelJob, spb.CancelJobRequest(name=job.name))
            c(c.scheduler.RunBatchPlacement, spb.RunBatchPlacementRequest(dry_run=True))
            quota = c(
                c.scheduler.SetTenantQuota,
                spb.SetTenantQuotaRequest(
                    quota=spb.TenantQuota(
                        name="tenants/initech/quota",
                        limits=[spb.QuotaLimit(accelerator_model="*", limit=64)],
                    )
                ),
            ).quota
            assert quota.name == "tenants/initech/quota"
            every = c(c.scheduler.ListJobs, spb.ListJobsRequest(parent="tenants/-")).jobs
            assert {"tenants/acme", "tenants/globex"} <= {j.tenant for j in every}


class TestTokenStore:
    def test_tokens_are_stored_hashed(self, engine: Engine) -> None:
        """The database row holds the id and a SHA-256 of the secret, never the secret."""
        store = TokenStore(engine, cache_seconds=0)
        info, token = store.create(name="ci", role=Role.TENANT, tenant="acme")
        prefix, token_id, secret = token.split("_", 2)
        assert (prefix, token_id) == ("cn", info.id)
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(sa.text("select * from api_tokens"))]
        assert len(rows) == 1
        stored = " ".join(str(v) for v in rows[0].values())
        assert secret not in stored
        assert token not in stored
        assert re.fullmatch(r"[0-9a-f]{64}", str(rows[0]["secret_sha256"]))
        assert store.verify(token) == Principal("ci", Role.TENANT, "acme")

    def test_revocation_and_wrong_secrets(self, engine: Engine) -> None:
        """A wrong secret, a malformed token and a revoked token verify to nobody; listing
        shows the revocation and never a secret."""
        store = TokenStore(engine, cache_seconds=0)
        info, token = store.create(name="ops", role=Role.OPERATOR)
        assert store.verify(token) == Principal("ops", Role.OPERATOR, "")
        assert store.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert store.verify("cn_" + info.id) is None
        assert store.verify("") is None
        store.revoke(info.id)
        assert store.verify(token) is None
        (listed,) = store.list()
        assert listed.id == info.id
        assert listed.revoke_time is not None

    def test_cache_keeps_an_answer_for_its_time_only(self, engine: Engine) -> None:
        """A store that verified a token keeps trusting it for its cache time after another
        store (another process) revoked it, and no longer."""
        server_side = TokenStore(engine, cache_seconds=0.3)
        admin_side = TokenStore(engine, cache_seconds=0)
        info, token = admin_side.create(name="t", role=Role.TENANT, tenant="acme")
        assert server_side.verify(token) is not None
        admin_side.revoke(info.id)
        assert server_side.verify(token) is not None  # cached
        time.sleep(0.35)
        assert server_side.verify(token) is None

    def test_bad_token_fields_are_refused(self, engine: Engine) -> None:
        """A tenant token needs a valid tenant id; other roles must not name one."""
        from computenet.errors import InvalidArgument

        store = TokenStore(engine, cache_seconds=0)
        for name, role, tenant in (
            ("t", Role.TENANT, ""),
            ("t", Role.TENANT, "Not An Id"),
            ("o", Role.OPERATOR, "acme"),
            ("", Role.ADMIN, ""),
        ):
            with pytest.raises(InvalidArgument):
                store.create(name=name, role=role, tenant=tenant)
        assert store.list() == []


class TestAdminCli:
    def test_create_list_revoke(self, env: Env, tmp_path: Path) -> None:
        """``computenet admin token create/list/revoke`` on the server's database: the printed
        token works on the server, the list shows no secret, and revocation bites."""
        url = str(env.server.running.config.database_url)
        runner = CliRunner()
        created = runner.invoke(
            app,
            [
                "admin",
                "token",
                "create",
                "--name",
                "cli-made",
                "--role",
                "tenant",
                "--tenant",
                "acme",
                "--database-url",
                url,
            ],
        )
        assert created.exit_code == 0, created.output
        token = next(w for w in created.stdout.split() if w.startswith("cn_"))
        token_id = token.split("_")[1]
        c = env.caller(token)
        job = submit(c, "acme")
        assert job.tenant == "tenants/acme"

        listed = runner.invoke(app, ["admin", "token", "list", "--database-url", url])
        assert listed.exit_code == 0, listed.output
        rows = json.loads(listed.stdout)
        row = next(r for r in rows if r["id"] == token_id)
        assert row == {**row, "name": "cli-made", "role": "tenant", "tenant": "acme", "revoked": ""}
        assert token.split("_", 2)[2] not in listed.stdout

        revoked = runner.invoke(app, ["admin", "token", "revoke", token_id, "--database-url", url])
        assert revoked.exit_code == 0, revoked.output
        deadline = time.monotonic() + CACHE_SECONDS + 2.0
        while c.code(c.scheduler.ListPolicies, spb.ListPoliciesRequest()) != U:
            assert time.monotonic() < deadline, "the revoked token still works"
            time.sleep(0.05)
        rows = json.loads(
            runner.invoke(app, ["admin", "token", "list", "--database-url", url]).stdout
        )
        assert next(r for r in rows if r["id"] == token_id)["revoked"]

    def test_bad_arguments_fail_cleanly(self, tmp_path: Path) -> None:
        """An unknown role or a tenant token without a tenant exits 2; revoking an unknown id
        exits 1; nothing is created."""
        url = f"sqlite:///{tmp_path / 'cli.db'}"
        runner = CliRunner()
        base = ["admin", "token", "create", "--name", "x", "--database-url", url]
        assert runner.invoke(app, [*base, "--role", "root"]).exit_code == 2
        assert runner.invoke(app, [*base, "--role", "tenant"]).exit_code == 2
        assert (
            runner.invoke(
                app, ["admin", "token", "revoke", "nope", "--database-url", url]
            ).exit_code
            == 1
        )
        engine = db.create_engine(url)
        try:
            assert TokenStore(engine).list() == []
        finally:
            engine.dispose()
