"""gRPC servicer of the scheduler: decode, call the engine, encode.

Proto types stop here: ``*_from_proto`` / ``*_to_proto`` convert them to and from the domain.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from google.protobuf import duration_pb2, timestamp_pb2

from computenet import auth
from computenet.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Violations,
)
from computenet.service import (
    decode_page_token,
    encode_page_token,
    page_size,
    parse_filter,
    parse_name,
    rpc,
    rpc_stream,
)
from computenet.v1 import common_pb2
from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc as pb_grpc
from inventory.domain import check_id
from scheduler.domain import (
    Candidate,
    EnergyEstimate,
    Explanation,
    Job,
    JobKind,
    JobSpec,
    JobState,
    LatencyEstimate,
    Placement,
    Policy,
    QuotaLimit,
    ReplicaSpec,
    Residency,
    ScoreTerm,
    TenantQuota,
)
from scheduler.engine import Engine
from scheduler.webhooks import Delivery, Webhook, WebhookStore, webhook_violations

__all__ = [
    "SchedulerServicer",
    "delivery_to_proto",
    "explanation_to_proto",
    "job_state_from_proto",
    "job_to_proto",
    "placement_to_proto",
    "spec_from_proto",
    "webhook_from_proto",
    "webhook_to_proto",
]

DEFAULT_DURATION = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FILTERS = ("state", "kind", "data_center")


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    _timestamp_into(ts, value)
    return ts


def _timestamp_into(ts: timestamp_pb2.Timestamp, value: datetime) -> None:
    # Timestamp.FromDatetime is pure Python and costs several times this; same result.
    if value.tzinfo is None:
        value = value.astimezone(UTC)
    micros = (value - _EPOCH) // _MICROSECOND
    ts.seconds, rest = divmod(micros, 1_000_000)
    ts.nanos = rest * 1000


def _duration(value: timedelta) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromTimedelta(value)
    return d


def _region_ref(name: str, field: str) -> str:
    return parse_name(name, "regions/{}", field)[0] if name else ""


def spec_from_proto(msg: pb.JobSpec, field: str = "spec") -> JobSpec:
    """A JobSpec from its message; malformed names and enums are INVALID_ARGUMENT."""
    if msg.kind not in (pb.JOB_KIND_TRAINING, pb.JOB_KIND_INFERENCE):
        raise InvalidArgument(
            "the job kind is required",
            [FieldViolation(f"{field}.kind", "must be TRAINING or INFERENCE")],
        )
    r = msg.replica
    models = tuple(
        parse_name(m, "acceleratorModels/{}", f"{field}.replica.accelerator_models[{i}]")[0]
        for i, m in enumerate(r.accelerator_models)
    )
    try:
        duration = (
            msg.expected_duration.ToTimedelta()
            if msg.HasField("expected_duration")
            else DEFAULT_DURATION
        )
        deadline = msg.deadline.ToDatetime(tzinfo=UTC) if msg.HasField("deadline") else None
    except (ValueError, OverflowError) as exc:
        raise InvalidArgument(
            "a time field is out of range", [FieldViolation(f"{field}.expected_duration", str(exc))]
        ) from None
    return JobSpec(
        kind=JobKind(msg.kind),
        replicas=msg.replicas,
        replica=ReplicaSpec(
            accelerator_count=r.accelerator_count,
            accelerator_milli=r.accelerator_milli,
            accelerator_models=models,
            min_accelerator_memory_gib=r.min_accelerator_memory_gib,
            min_fp16_tflops=r.min_fp16_tflops,
            cpu_milli=r.cpu_milli,
            memory_mib=r.memory_mib,
        ),
        expected_duration=duration,
        deadline=deadline,
        priority=msg.priority,
        preemptible=msg.preemptible,
        user_region=_region_ref(msg.user_region, f"{field}.user_region"),
        max_rtt_ms=msg.max_rtt_ms,
        data_region=_region_ref(msg.data_region, f"{field}.data_region"),
        residency=Residency(
            allowed_provinces=tuple(msg.residency.allowed_provinces),
            allowed_regions=tuple(
                _region_ref(x, f"{field}.residency.allowed_regions[{i}]")
                for i, x in enumerate(msg.residency.allowed_regions)
            ),
        ),
        policy=msg.policy,
        expected_utilization=msg.expected_utilization,
        labels=dict(msg.labels),
    )


# The *_to_proto functions fill messages in place: upb copies a sub-message passed as a
# keyword argument, and the response of every SubmitJob carries a dozen of them.


def spec_to_proto(spec: JobSpec) -> pb.JobSpec:
    msg = pb.JobSpec()
    _spec_into(msg, spec)
    return msg


def _spec_into(msg: pb.JobSpec, spec: JobSpec) -> None:
    r = spec.replica
    msg.kind = spec.kind.value
    msg.replicas = spec.replicas
    rep = msg.replica
    rep.accelerator_count = r.accelerator_count
    rep.accelerator_milli = r.accelerator_milli
    rep.accelerator_models.extend(f"acceleratorModels/{m}" for m in r.accelerator_models)
    rep.min_accelerator_memory_gib = r.min_accelerator_memory_gib
    rep.min_fp16_tflops = r.min_fp16_tflops
    rep.cpu_milli = r.cpu_milli
    rep.memory_mib = r.memory_mib
    msg.expected_duration.FromTimedelta(spec.expected_duration)
    msg.priority = spec.priority
    msg.preemptible = spec.preemptible
    if spec.user_region:
        msg.user_region = f"regions/{spec.user_region}"
    msg.max_rtt_ms = spec.max_rtt_ms
    if spec.data_region:
        msg.data_region = f"regions/{spec.data_region}"
    res = spec.residency
    if res.allowed_provinces or res.allowed_regions:
        msg.residency.allowed_provinces.extend(res.allowed_provinces)
        msg.residency.allowed_regions.extend(f"regions/{x}" for x in res.allowed_regions)
    else:
        msg.residency.SetInParent()
    msg.policy = spec.policy
    msg.expected_utilization = spec.expected_utilization
    if spec.labels:
        msg.labels.update(spec.labels)
    if spec.deadline is not None:
        _timestamp_into(msg.deadline, spec.deadline)


def _energy_into(msg: common_pb2.EnergyEstimate, e: EnergyEstimate) -> None:
    msg.energy_kwh = e.energy_kwh
    msg.cost_cny = e.cost_cny
    msg.carbon_kg = e.carbon_kg
    msg.pue = e.pue
    msg.pue_basis = common_pb2.PUE_BASIS_MEASURED if e.pue_measured else common_pb2.PUE_BASIS_DESIGN
    msg.it_energy_kwh = e.it_energy_kwh


def _latency_into(msg: common_pb2.LatencyEstimate, lat: LatencyEstimate) -> None:
    msg.rtt_ms = lat.rtt_ms
    msg.estimated = lat.estimated


def placement_to_proto(p: Placement | None) -> pb.Placement | None:
    if p is None:
        return None
    msg = pb.Placement()
    _placement_into(msg, p)
    return msg


def _placement_into(msg: pb.Placement, p: Placement) -> None:
    dc = f"dataCenters/{p.data_center}"
    msg.data_center = dc
    if p.accelerator_model:
        msg.accelerator_model = f"acceleratorModels/{p.accelerator_model}"
    for a in p.allocations:
        msg.allocations.add(
            node=f"{dc}/nodes/{a.node}",
            accelerator_indices=a.slots,
            accelerator_milli=a.milli,
            cpu_milli=a.cpu_milli,
            memory_mib=a.memory_mib,
        )
    if p.energy is not None:
        _energy_into(msg.energy, p.energy)
    if p.latency is not None:
        _latency_into(msg.latency, p.latency)
    _timestamp_into(msg.place_time, p.place_time)


def _terms_into(out: Any, terms: tuple[ScoreTerm, ...]) -> None:
    for t in terms:
        out.add(
            name=t.name,
            value=t.value,
            unit=t.unit,
            normalized=t.normalized,
            weight=t.weight,
            contribution=t.contribution,
        )


def _candidate_into(msg: pb.Candidate, c: Candidate) -> None:
    msg.data_center = f"dataCenters/{c.data_center}"
    if c.accelerator_model:
        msg.accelerator_model = f"acceleratorModels/{c.accelerator_model}"
    msg.score = c.score if math.isfinite(c.score) else 0.0
    _terms_into(msg.terms, c.terms)
    if c.energy is not None:
        _energy_into(msg.energy, c.energy)
    if c.latency is not None:
        _latency_into(msg.latency, c.latency)
    msg.infeasible_reason = c.infeasible_reason


def explanation_to_proto(e: Explanation | None) -> pb.Explanation | None:
    if e is None:
        return None
    msg = pb.Explanation()
    _explanation_into(msg, e)
    return msg


def _explanation_into(msg: pb.Explanation, e: Explanation) -> None:
    msg.policy = e.policy
    _terms_into(msg.terms, e.terms)
    msg.binding_constraints.extend(e.binding_constraints)
    if e.runner_up:
        msg.runner_up = f"dataCenters/{e.runner_up}"
    msg.runner_up_reason = e.runner_up_reason
    msg.pending_reason = e.pending_reason
    msg.summary = e.summary
    for c in e.alternatives:
        _candidate_into(msg.alternatives.add(), c)
    msg.decided_by = e.decided_by


def job_to_proto(job: Job) -> pb.Job:
    msg = pb.Job()
    _job_into(msg, job)
    return msg


def _job_into(msg: pb.Job, job: Job) -> None:
    msg.name = job.name
    msg.tenant = f"tenants/{job.tenant}"
    msg.state = job.state.value
    msg.preemption_count = job.preemption_count
    msg.state_message = job.state_message
    _spec_into(msg.spec, job.spec)
    if job.placement is not None:
        _placement_into(msg.placement, job.placement)
    if job.explanation is not None:
        _explanation_into(msg.explanation, job.explanation)
    for field, value in (
        (msg.create_time, job.create_time),
        (msg.update_time, job.update_time),
        (msg.start_time, job.start_time),
        (msg.end_time, job.end_time),
    ):
        if value is not None:
            _timestamp_into(field, value)


_R = TypeVar(
    "_R", pb.SubmitJobResponse, pb.GetJobResponse, pb.CancelJobResponse, pb.SetJobStateResponse
)


def _with_job(response: _R, job: Job) -> _R:
    """``response`` with its ``job`` field filled in place."""
    _job_into(response.job, job)
    return response


def job_state_from_proto(value: int, field: str = "state") -> JobState:
    try:
        return JobState(value)
    except ValueError:
        raise InvalidArgument(
            f"{field} is not set or unknown", [FieldViolation(field, "unknown state")]
        ) from None


def policy_to_proto(p: Policy) -> pb.Policy:
    return pb.Policy(
        name=p.name,
        description=p.description,
        latency_weight=p.latency,
        energy_cost_weight=p.energy_cost,
        carbon_weight=p.carbon,
        utilization_weight=p.utilization,
    )


def quota_to_proto(quota: TenantQuota, usage: dict[str, float]) -> pb.TenantQuota:
    limits = {q.accelerator_model: q.limit for q in quota.limits}
    keys = sorted(set(limits) | set(usage))
    return pb.TenantQuota(
        name=f"tenants/{quota.tenant}/quota",
        limits=[
            pb.QuotaLimit(
                accelerator_model=k if k == "*" else f"acceleratorModels/{k}",
                limit=limits.get(k, math.inf),
                used=usage.get(k, 0.0),
            )
            for k in keys
            if k
        ],
    )


def _job_filters(text: str) -> dict[str, str]:
    """ListJobs/WatchJobs filters: state and kind by enum name (with or without prefix)."""
    raw = parse_filter(text, _FILTERS)
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key == "state":
            name = value.upper().removeprefix("STATE_")
            if name not in JobState.__members__:
                raise InvalidArgument(
                    "unknown state in filter", [FieldViolation("filter", f"state {value!r}")]
                )
            out[key] = name
        elif key == "kind":
            name = value.upper().removeprefix("JOB_KIND_")
            if name not in JobKind.__members__:
                raise InvalidArgument(
                    "unknown kind in filter", [FieldViolation("filter", f"kind {value!r}")]
                )
            out[key] = name
        else:
            out[key] = value.rsplit("/", 1)[-1]
    return out


def _check_ids(field: str, *ids: str) -> None:
    """The ids in a resource name must be AIP-122 ids: refused here, not by the database
    (PostgreSQL rejects NUL and ids longer than their 63-character columns)."""
    v = Violations()
    for value in ids:
        check_id(v, field, value)
    v.raise_if_any()


def _matches(job: Job, filters: dict[str, str]) -> bool:
    for key, value in filters.items():
        if key == "state" and job.state.name != value:
            return False
        if key == "kind" and job.spec.kind.name != value:
            return False
        if key == "data_center" and (job.placement is None or job.placement.data_center != value):
            return False
    return True


class SchedulerServicer(pb_grpc.SchedulerServiceServicer):
    """SchedulerService over an ``Engine``."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_watch_seconds: float = 3600.0,
        webhooks: WebhookStore | None = None,
    ) -> None:
        self._engine = engine
        self._max_watch = max_watch_seconds
        self._hooks = webhooks

    def _tenant(self, parent: str, field: str = "parent", *, allow_all: bool = False) -> str | None:
        (tenant,) = parse_name(parent, "tenants/{}", field)
        if tenant == "-":
            if allow_all:
                # Every tenant's jobs: operators only.
                return auth.visible_tenant(None, what=field)
            raise InvalidArgument(
                "name a tenant", [FieldViolation(field, "tenants/- is not allowed here")]
            )
        _check_ids(field, tenant)
        # The tenant comes from the caller: a tenant principal may only name its own.
        return auth.visible_tenant(tenant, what=field)

    def _job_name(self, name: str) -> tuple[str, str]:
        tenant, job_id = parse_name(name, "tenants/{}/jobs/{}")
        _check_ids("name", tenant, job_id)
        if not auth.owns(tenant):
            # NOT_FOUND, not PERMISSION_DENIED: another tenant's jobs must not even show they exist.
            raise NotFound(f"job {name} does not exist")
        return tenant, job_id

    @rpc
    async def SubmitJob(self, request: pb.SubmitJobRequest, context: Any) -> pb.SubmitJobResponse:
        tenant = self._tenant(request.parent)
        assert tenant is not None
        spec = spec_from_proto(request.spec)
        job = await self._engine.submit(
            tenant, spec, job_id=request.job_id, request_id=request.request_id
        )
        return _with_job(pb.SubmitJobResponse(), job)

    @rpc
    async def QuoteJob(self, request: pb.QuoteJobRequest, context: Any) -> pb.QuoteJobResponse:
        tenant = self._tenant(request.parent)
        assert tenant is not None
        quote = await self._engine.quote(tenant, spec_from_proto(request.spec))
        response = pb.QuoteJobResponse(placeable=quote.placeable)
        if quote.placement is not None:
            _placement_into(response.placement, quote.placement)
        _timestamp_into(response.predicted_start_time, quote.predicted_start)
        if quote.explanation is not None:
            _explanation_into(response.explanation, quote.explanation)
        return response

    @rpc
    async def GetJob(self, request: pb.GetJobRequest, context: Any) -> pb.GetJobResponse:
        job = await self._engine.get(*self._job_name(request.name))
        return _with_job(pb.GetJobResponse(), job)

    @rpc
    async def ListJobs(self, request: pb.ListJobsRequest, context: Any) -> pb.ListJobsResponse:
        tenant = self._tenant(request.parent, allow_all=True)
        filters = _job_filters(request.filter)
        query = ("jobs", tenant or "-", request.filter)
        after = decode_page_token(request.page_token, query)
        before_seq = None
        if after is not None:
            try:
                before_seq = int(after[0])
            except ValueError:
                raise InvalidArgument(
                    "bad page token", [FieldViolation("page_token", "unknown token")]
                ) from None
        page = await self._engine.list(
            tenant, filters=filters, page_size=page_size(request.page_size), before_seq=before_seq
        )
        response = pb.ListJobsResponse(
            next_page_token=encode_page_token(
                (str(page.next_seq),) if page.next_seq else None, query
            ),
            total_size=page.total_size,
        )
        for j in page.jobs:
            _job_into(response.jobs.add(), j)
        return response

    @rpc
    async def CancelJob(self, request: pb.CancelJobRequest, context: Any) -> pb.CancelJobResponse:
        job = await self._engine.cancel(*self._job_name(request.name), reason=request.reason)
        return _with_job(pb.CancelJobResponse(), job)

    @rpc
    async def SetJobState(
        self, request: pb.SetJobStateRequest, context: Any
    ) -> pb.SetJobStateResponse:
        auth.require_operator()
        tenant, job_id = self._job_name(request.name)
        state = job_state_from_proto(request.state)
        job = await self._engine.set_state(tenant, job_id, state, request.message)
        return _with_job(pb.SetJobStateResponse(), job)

    @rpc_stream
    async def WatchJobs(
        self, request: pb.WatchJobsRequest, context: Any
    ) -> AsyncIterator[pb.WatchJobsResponse]:
        tenant = self._tenant(request.parent, allow_all=True)
        filters = _job_filters(request.filter)
        queue = self._engine.subscribe()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_watch
        try:
            if request.send_initial:
                for job in self._engine.unfinished():
                    if (tenant is None or job.tenant == tenant) and _matches(job, filters):
                        yield pb.WatchJobsResponse(
                            job=job_to_proto(job), previous_state=job.state.value, initial=True
                        )
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return  # bounded stream lifetime: the client re-watches
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=min(remaining, 30.0))
                except TimeoutError:
                    continue
                job = event.job
                if (tenant is None or job.tenant == tenant) and _matches(job, filters):
                    yield pb.WatchJobsResponse(
                        job=job_to_proto(job),
                        previous_state=event.previous.value if event.previous else 0,
                    )
        finally:
            self._engine.unsubscribe(queue)

    @rpc
    async def RunBatchPlacement(
        self, request: pb.RunBatchPlacementRequest, context: Any
    ) -> pb.RunBatchPlacementResponse:
        auth.require_operator()
        try:
            limit = (
                request.time_limit.ToTimedelta().total_seconds()
                if request.HasField("time_limit")
                else 5.0
            )
        except (ValueError, OverflowError):
            limit = -1.0  # out of timedelta's range: refused just below
        if not 0 < limit <= 60:
            raise InvalidArgument(
                "time_limit must be > 0 and at most 60 s",
                [FieldViolation("time_limit", "must be > 0 and at most 60 s")],
            )
        report = await self._engine.run_batch(time_limit=limit, dry_run=request.dry_run)
        return pb.RunBatchPlacementResponse(
            pending_jobs=report.pending_jobs,
            placed_jobs=report.placed_jobs,
            preempted_jobs=report.preempted_jobs,
            objective=report.objective,
            best_bound=report.best_bound or 0.0,
            gap=report.gap or 0.0,
            status=report.status,
            solve_time=_duration(timedelta(seconds=report.solve_seconds)),
            job_classes=report.job_classes,
        )

    @rpc
    async def ListPolicies(
        self, request: pb.ListPoliciesRequest, context: Any
    ) -> pb.ListPoliciesResponse:
        return pb.ListPoliciesResponse(
            policies=[policy_to_proto(p) for p in self._engine.policies()],
            default_policy=self._engine.default_policy,
        )

    @rpc
    async def GetTenantQuota(
        self, request: pb.GetTenantQuotaRequest, context: Any
    ) -> pb.GetTenantQuotaResponse:
        (tenant,) = parse_name(request.name, "tenants/{}/quota")
        _check_ids("name", tenant)
        auth.visible_tenant(tenant, what="name")
        quota, usage = self._engine.quota(tenant)
        return pb.GetTenantQuotaResponse(quota=quota_to_proto(quota, usage))

    @rpc
    async def SetTenantQuota(
        self, request: pb.SetTenantQuotaRequest, context: Any
    ) -> pb.SetTenantQuotaResponse:
        auth.require_operator()
        (tenant,) = parse_name(request.quota.name, "tenants/{}/quota", "quota.name")
        _check_ids("quota.name", tenant)
        limits = []
        for i, q in enumerate(request.quota.limits):
            model = q.accelerator_model
            if model != "*":
                model = parse_name(
                    model, "acceleratorModels/{}", f"quota.limits[{i}].accelerator_model"
                )[0]
            limits.append(QuotaLimit(model, q.limit))
        await self._engine.set_quota(TenantQuota(tenant, tuple(limits)))
        quota, usage = self._engine.quota(tenant)
        return pb.SetTenantQuotaResponse(quota=quota_to_proto(quota, usage))

    @rpc
    async def ListTenantQuotas(
        self, request: pb.ListTenantQuotasRequest, context: Any
    ) -> pb.ListTenantQuotasResponse:
        auth.require_operator()
        query = ("quotas",)
        after = decode_page_token(request.page_token, query)
        size = page_size(request.page_size)
        quotas = [q for q in self._engine.quotas() if after is None or q.tenant > after[0]]
        page = quotas[:size]
        more = len(quotas) > size
        return pb.ListTenantQuotasResponse(
            quotas=[quota_to_proto(q, self._engine.quota(q.tenant)[1]) for q in page],
            next_page_token=encode_page_token((page[-1].tenant,) if more and page else None, query),
        )

    # -- webhooks ----------------------------------------------------------------------------

    def _webhooks(self) -> WebhookStore:
        if self._hooks is None:
            raise FailedPrecondition("webhooks are not enabled on this server")
        return self._hooks

    @rpc
    async def CreateWebhook(
        self, request: pb.CreateWebhookRequest, context: Any
    ) -> pb.CreateWebhookResponse:
        store = self._webhooks()
        tenant = self._tenant(request.parent)
        assert tenant is not None
        hook = webhook_from_proto(tenant, request.webhook_id, request.webhook, request.request_id)
        created = await asyncio.to_thread(store.create, hook, request_id=request.request_id)
        return pb.CreateWebhookResponse(webhook=webhook_to_proto(created))

    @rpc
    async def ListWebhooks(
        self, request: pb.ListWebhooksRequest, context: Any
    ) -> pb.ListWebhooksResponse:
        store = self._webhooks()
        tenant = self._tenant(request.parent)
        assert tenant is not None
        query = ("webhooks", tenant)
        after = decode_page_token(request.page_token, query)
        page = await asyncio.to_thread(
            store.list,
            tenant,
            after_id=after[0] if after else None,
            page_size=page_size(request.page_size),
        )
        return pb.ListWebhooksResponse(
            webhooks=[webhook_to_proto(h) for h in page.webhooks],
            next_page_token=encode_page_token((page.next_id,) if page.next_id else None, query),
        )

    @rpc
    async def DeleteWebhook(
        self, request: pb.DeleteWebhookRequest, context: Any
    ) -> pb.DeleteWebhookResponse:
        store = self._webhooks()
        tenant, webhook_id = _webhook_name(request.name)
        await asyncio.to_thread(store.delete, tenant, webhook_id)
        return pb.DeleteWebhookResponse()

    @rpc
    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Any
    ) -> pb.ListWebhookDeliveriesResponse:
        store = self._webhooks()
        tenant, webhook_id = _webhook_name(request.parent, "parent")
        query = ("webhook-deliveries", request.parent)
        after = decode_page_token(request.page_token, query)
        before_seq = None
        if after is not None:
            try:
                before_seq = int(after[0])
            except ValueError:
                raise InvalidArgument(
                    "bad page token", [FieldViolation("page_token", "unknown token")]
                ) from None
        page = await asyncio.to_thread(
            store.deliveries,
            tenant,
            webhook_id,
            before_seq=before_seq,
            page_size=page_size(request.page_size),
        )
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[delivery_to_proto(d) for d in page.deliveries],
            next_page_token=encode_page_token(
                (str(page.next_seq),) if page.next_seq else None, query
            ),
        )


def _webhook_name(name: str, field: str = "name") -> tuple[str, str]:
    # Checked here so that no odd id (NUL, 64+ characters) reaches the database.
    tenant, webhook_id = parse_name(name, "tenants/{}/webhooks/{}", field)
    v = Violations()
    check_id(v, field, tenant)
    check_id(v, field, webhook_id)
    v.raise_if_any()
    if not auth.owns(tenant):
        raise NotFound(f"webhook {name} does not exist")
    return tenant, webhook_id


def webhook_from_proto(
    tenant: str, webhook_id: str, msg: pb.Webhook, request_id: str = ""
) -> Webhook:
    """A webhook to create; every bad field (states included) is one INVALID_ARGUMENT."""
    v = Violations()
    states: set[JobState] = set()
    for i, value in enumerate(msg.states):
        try:
            states.add(JobState(value))
        except ValueError:
            v.add(f"webhook.states[{i}]", f"{value} is not a job state")
    hook = Webhook(tenant, webhook_id, msg.url, frozenset(states), msg.secret)
    v.extend(webhook_violations(hook, request_id=request_id))
    v.raise_if_any("the webhook is invalid")
    return hook


def webhook_to_proto(hook: Webhook) -> pb.Webhook:
    """The webhook as the API shows it: never with its secret."""
    return pb.Webhook(
        name=hook.name,
        url=hook.url,
        states=sorted(s.value for s in hook.states),
        create_time=_timestamp(hook.create_time),
    )


def delivery_to_proto(d: Delivery) -> pb.WebhookDelivery:
    return pb.WebhookDelivery(
        job=d.job,
        state=d.state.value,
        attempt_time=_timestamp(d.attempt_time),
        attempt=d.attempt,
        http_status=d.http_status,
        error=d.error,
        delivered=d.delivered,
    )
