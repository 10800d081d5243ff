"""The computenet SDK: ``Client`` (blocking) and ``AsyncClient`` (asyncio), one method per RPC
of the inventory, scheduler and telemetry services, returning ``clients.types`` dataclasses
and raising ``clients.errors`` types.

Every unary call carries a deadline (``timeout``, 10 s unless told otherwise) and, with a
token, ``authorization: Bearer …`` metadata. Calls that are safe to repeat (reads, quotes,
exports, and creates, which always carry a ``request_id``) are retried with exponential
backoff and full jitter on UNAVAILABLE, and on DEADLINE_EXCEEDED when the channel never got a
connection during the attempt (so the request cannot have been sent). Calls that change state
without an idempotency key (update, delete, cancel, set-state) are never retried.

Both clients build their requests with the same ``_Calls`` object; they differ only in how
they send them.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import random
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import grpc
from google.protobuf import duration_pb2, field_mask_pb2

from clients import convert
from clients import types as t
from clients.errors import error_from_rpc
from computenet.v1 import (
    common_pb2,
    inventory_pb2,
    inventory_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_TENANT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_UPLOAD_TIMEOUT",
    "AsyncClient",
    "Client",
    "ResourceNames",
    "RetryPolicy",
]

DEFAULT_ADDRESS = "127.0.0.1:50051"
"""Where ``computenet serve`` listens unless told otherwise."""
DEFAULT_TIMEOUT = 10.0
"""Deadline of a unary call, seconds."""
DEFAULT_TENANT = "default"
"""Tenant used in job, quota and webhook names when the client is given none. It must match
the tenant of the caller's token (the server checks); "default" is this client's choice for a
server without authentication."""
DEFAULT_UPLOAD_TIMEOUT = 600.0
"""Deadline of a RecordReadings stream, seconds: a large file takes longer than one call."""
DEFAULT_READINGS_BATCH = 500
"""Readings per message of the RecordReadings stream (well under the 16 MiB message limit)."""
_MAX_MESSAGE_BYTES = 16 * 1024 * 1024

try:  # the core's connectivity numbers, to read a blocking channel's state (see Client._ready)
    from grpc._common import (
        CYGRPC_CONNECTIVITY_STATE_TO_CHANNEL_CONNECTIVITY as _CONNECTIVITY,
    )
except ImportError:  # pragma: no cover - a future grpc without it: never retry deadlines
    _CONNECTIVITY = {}

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how often a safe-to-repeat call is tried again."""

    max_attempts: int = 4
    """Attempts in all, the first included (1 turns retries off)."""
    initial_backoff: float = 0.1
    """Upper bound of the first pause, seconds."""
    max_backoff: float = 5.0
    """Upper bound of any pause, seconds."""
    multiplier: float = 2.0
    """Growth of the bound from one retry to the next."""

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Pause before retry number ``retry`` (1-based): uniform in [0, bound] ("full
        jitter"), so clients that failed together do not come back together."""
        bound = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        return rng.uniform(0.0, bound)


@dataclass(frozen=True, slots=True)
class _Call(Generic[R]):
    """One RPC ready to send: where, what, how to read the answer, whether to retry."""

    service: str
    """inventory, scheduler or telemetry."""
    method: str
    """The RPC's name, e.g. ``GetDataCenter``."""
    request: Any
    """The request message (or, for client streams, an iterable of them)."""
    decode: Callable[[Any], R]
    """Response message to result."""
    idempotent: bool
    """Safe to send again after a failure that may have reached the server."""
    request_id: str = ""
    """Sent as ``x-request-id`` so both sides log the same id; the idempotency key if any."""


@dataclass(frozen=True, slots=True)
class _Kind(Generic[R]):
    """How the API names and lists one inventory resource."""

    resource: str
    """Message name, e.g. ``DataCenter``."""
    field: str
    """Request field of one, e.g. ``data_center``."""
    plural: str
    """Response field of a list, e.g. ``data_centers``."""
    collection: str
    """Last collection segment of its names, e.g. ``dataCenters`` or ``racks``."""
    cls: type[R]
    """Its dataclass."""
    parented: bool
    """True for resources inside a data center."""


_ACCELERATOR_MODEL: _Kind[t.AcceleratorModel] = _Kind(
    "AcceleratorModel",
    "accelerator_model",
    "accelerator_models",
    "acceleratorModels",
    t.AcceleratorModel,
    False,
)
_REGION: _Kind[t.Region] = _Kind("Region", "region", "regions", "regions", t.Region, False)
_DATA_CENTER: _Kind[t.DataCenter] = _Kind(
    "DataCenter", "data_center", "data_centers", "dataCenters", t.DataCenter, False
)
_RACK: _Kind[t.Rack] = _Kind("Rack", "rack", "racks", "racks", t.Rack, True)
_POOL: _Kind[t.Pool] = _Kind("Pool", "pool", "pools", "pools", t.Pool, True)
_NODE: _Kind[t.Node] = _Kind("Node", "node", "nodes", "nodes", t.Node, True)
_LINK: _Kind[t.Link] = _Kind("Link", "link", "links", "links", t.Link, False)


def _new_id() -> str:
    return uuid.uuid4().hex


class ResourceNames:
    """Turns the short forms callers type into full resource names.

    A full name passes unchanged; ``fj-ai`` becomes ``dataCenters/fj-ai``; ``fj-ai/r01``
    becomes ``dataCenters/fj-ai/racks/r01``; a bare job id becomes
    ``tenants/{tenant}/jobs/{id}``.
    """

    __slots__ = ("tenant",)

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @staticmethod
    def top(collection: str, value: str) -> str:
        """A top-level resource: ``x`` → ``collection/x``."""
        return value if value.startswith(f"{collection}/") else f"{collection}/{value}"

    @staticmethod
    def data_center_parent(value: str | None) -> str:
        """A data center as a parent; None or ``-`` means every data center."""
        return ResourceNames.top("dataCenters", value or "-")

    @staticmethod
    def in_data_center(collection: str, value: str) -> str:
        """A resource inside a data center: ``dc/x`` → ``dataCenters/dc/collection/x``."""
        if value.startswith("dataCenters/"):
            return value
        dc, sep, ident = value.partition("/")
        if not sep:
            raise ValueError(
                f"{value!r} does not say its data center: use dataCenters/{{dc}}/"
                f"{collection}/{{id}} or {{dc}}/{{id}}"
            )
        return f"dataCenters/{dc}/{collection}/{ident}"

    def tenant_parent(self, value: str | None = None) -> str:
        """A tenant as a parent: None means the client's tenant; ``-`` every tenant."""
        return self.top("tenants", value or self.tenant)

    def under_tenant(self, collection: str, value: str) -> str:
        """A job or webhook: a bare id lives under the client's tenant."""
        if value.startswith("tenants/"):
            return value
        return f"{self.tenant_parent()}/{collection}/{value}"

    def quota(self, tenant: str | None) -> str:
        """A tenant's quota name from a tenant id, tenant name or quota name."""
        parent = self.tenant_parent(tenant)
        return parent if parent.endswith("/quota") else f"{parent}/quota"


def _page_decoder(cls: type[R], field: str) -> Callable[[Any], t.Page[R]]:
    def decode(response: Any) -> t.Page[R]:
        total = response.total_size if "total_size" in response.DESCRIPTOR.fields_by_name else None
        return t.Page(
            tuple(convert.from_proto(cls, m) for m in getattr(response, field)),
            response.next_page_token,
            total,
        )

    return decode


def _field(name: str, cls: type[R]) -> Callable[[Any], R]:
    return lambda response: convert.from_proto(cls, getattr(response, name))


def _nothing(_: Any) -> None:
    return None


def _inventory_format(value: t.InventoryFormat | str | None) -> t.InventoryFormat:
    if value is None:
        return t.InventoryFormat.YAML
    if isinstance(value, t.InventoryFormat):
        return value
    try:
        return t.InventoryFormat[value.strip().upper().replace("YML", "YAML")]
    except KeyError:
        raise ValueError(f"unknown inventory format {value!r}; use yaml or json") from None


def _sniff_format(content: bytes, suffix: str = "") -> t.InventoryFormat:
    if suffix.lower() == ".json":
        return t.InventoryFormat.JSON
    if suffix.lower() in (".yaml", ".yml"):
        return t.InventoryFormat.YAML
    head = content.lstrip()[:1]
    return t.InventoryFormat.JSON if head in (b"{", b"[") else t.InventoryFormat.YAML


def _interval(start: datetime | None, end: datetime | None) -> common_pb2.Interval | None:
    if start is None and end is None:
        return None
    return convert.interval_to_proto(t.Interval(start_time=start, end_time=end))


def _chunks(readings: Iterable[t.Reading], size: int) -> Iterator[Any]:
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    it = iter(readings)
    while batch := list(itertools.islice(it, size)):
        yield telemetry_pb2.RecordReadingsRequest(
            readings=[convert.reading_to_proto(r) for r in batch]
        )


async def _achunks(readings: AsyncIterable[t.Reading], size: int) -> AsyncIterator[Any]:
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    batch: list[Any] = []
    async for reading in readings:
        batch.append(convert.reading_to_proto(reading))
        if len(batch) >= size:
            yield telemetry_pb2.RecordReadingsRequest(readings=batch)
            batch = []
    if batch:
        yield telemetry_pb2.RecordReadingsRequest(readings=batch)


class _Calls:
    """Builds the ``_Call`` of every RPC; shared by ``Client`` and ``AsyncClient``."""

    __slots__ = ("names",)

    def __init__(self, names: ResourceNames) -> None:
        self.names = names

    # -- inventory: the same five calls for each kind --------------------------------------

    def _name(self, kind: _Kind[Any], value: str) -> str:
        if kind.parented:
            return self.names.in_data_center(kind.collection, value)
        return self.names.top(kind.collection, value)

    def create(
        self,
        kind: _Kind[R],
        resource_id: str,
        obj: R,
        request_id: str | None,
        parent: str | None = None,
        **extra: Any,
    ) -> _Call[R]:
        rid = request_id or _new_id()
        fields: dict[str, Any] = {
            f"{kind.field}_id": resource_id,
            kind.field: convert.to_proto(obj),
            "request_id": rid,
            **extra,
        }
        if kind.parented:
            if not parent:
                raise ValueError(f"a {kind.field} needs its data center (parent)")
            fields["parent"] = self.names.data_center_parent(parent)
        request = getattr(inventory_pb2, f"Create{kind.resource}Request")(**fields)
        return _Call(
            "inventory",
            f"Create{kind.resource}",
            request,
            _field(kind.field, kind.cls),
            True,
            rid,
        )

    def get(self, kind: _Kind[R], name: str) -> _Call[R]:
        request = getattr(inventory_pb2, f"Get{kind.resource}Request")(name=self._name(kind, name))
        return _Call(
            "inventory", f"Get{kind.resource}", request, _field(kind.field, kind.cls), True
        )

    def list(
        self,
        kind: _Kind[R],
        parent: str | None,
        filter: str,
        page_size: int,
        page_token: str,
    ) -> _Call[t.Page[R]]:
        fields: dict[str, Any] = {
            "filter": filter,
            "page_size": page_size,
            "page_token": page_token,
        }
        if kind.parented:
            fields["parent"] = self.names.data_center_parent(parent)
        elif parent is not None:
            raise ValueError(f"{kind.plural} are not inside a data center; pass no parent")
        request = getattr(inventory_pb2, f"List{kind.resource}sRequest")(**fields)
        return _Call(
            "inventory",
            f"List{kind.resource}s",
            request,
            _page_decoder(kind.cls, kind.plural),
            True,
        )

    def update(self, kind: _Kind[R], obj: R, update_mask: Iterable[str]) -> _Call[R]:
        mask = field_mask_pb2.FieldMask(paths=list(update_mask))
        request = getattr(inventory_pb2, f"Update{kind.resource}Request")(
            **{kind.field: convert.to_proto(obj), "update_mask": mask}
        )
        return _Call(
            "inventory", f"Update{kind.resource}", request, _field(kind.field, kind.cls), False
        )

    def delete(self, kind: _Kind[Any], name: str) -> _Call[None]:
        request = getattr(inventory_pb2, f"Delete{kind.resource}Request")(
            name=self._name(kind, name)
        )
        return _Call("inventory", f"Delete{kind.resource}", request, _nothing, False)

    def import_inventory(
        self,
        source: bytes | str | Path,
        fmt: t.InventoryFormat | str | None,
        validate_only: bool,
        request_id: str | None,
    ) -> _Call[t.ImportResult]:
        if isinstance(source, bytes):
            content, suffix = source, ""
        else:
            path = Path(source)
            content, suffix = path.read_bytes(), path.suffix
        chosen = _sniff_format(content, suffix) if fmt is None else _inventory_format(fmt)
        rid = request_id or _new_id()
        request = inventory_pb2.ImportInventoryRequest(
            content=content,
            format=_wire(chosen),
            validate_only=validate_only,
            request_id=rid,
        )
        return _Call(
            "inventory",
            "ImportInventory",
            request,
            convert.import_result_from_proto,
            True,
            rid,
        )

    def export_inventory(self, fmt: t.InventoryFormat | str | None) -> _Call[bytes]:
        request = inventory_pb2.ExportInventoryRequest(format=_wire(_inventory_format(fmt)))
        return _Call("inventory", "ExportInventory", request, lambda r: bytes(r.content), True)

    # -- scheduler -------------------------------------------------------------------------

    def submit_job(
        self, spec: t.JobSpec, job_id: str | None, request_id: str | None, parent: str | None
    ) -> _Call[t.Job]:
        rid = request_id or _new_id()
        request = scheduler_pb2.SubmitJobRequest(
            parent=self.names.tenant_parent(parent),
            job_id=job_id or "",
            spec=convert.job_spec_to_proto(spec),
            request_id=rid,
        )
        return _Call("scheduler", "SubmitJob", request, _field("job", t.Job), True, rid)

    def quote_job(self, spec: t.JobSpec, parent: str | None) -> _Call[t.Quote]:
        request = scheduler_pb2.QuoteJobRequest(
            parent=self.names.tenant_parent(parent), spec=convert.job_spec_to_proto(spec)
        )
        return _Call("scheduler", "QuoteJob", request, convert.quote_from_proto, True)

    def get_job(self, name: str) -> _Call[t.Job]:
        request = scheduler_pb2.GetJobRequest(name=self.names.under_tenant("jobs", name))
        return _Call("scheduler", "GetJob", request, _field("job", t.Job), True)

    def list_jobs(
        self, parent: str | None, filter: str, page_size: int, page_token: str
    ) -> _Call[t.Page[t.Job]]:
        request = scheduler_pb2.ListJobsRequest(
            parent=self.names.tenant_parent(parent),
            filter=filter,
            page_size=page_size,
            page_token=page_token,
        )
        return _Call("scheduler", "ListJobs", request, _page_decoder(t.Job, "jobs"), True)

    def cancel_job(self, name: str, reason: str) -> _Call[t.Job]:
        request = scheduler_pb2.CancelJobRequest(
            name=self.names.under_tenant("jobs", name), reason=reason
        )
        return _Call("scheduler", "CancelJob", request, _field("job", t.Job), False)

    def watch_jobs(self, parent: str | None, filter: str, send_initial: bool) -> _Call[t.JobEvent]:
        request = scheduler_pb2.WatchJobsRequest(
            parent=self.names.tenant_parent(parent), filter=filter, send_initial=send_initial
        )
        return _Call("scheduler", "WatchJobs", request, convert.job_event_from_proto, True)

    def set_job_state(self, name: str, state: t.JobState, message: str) -> _Call[t.Job]:
        request = scheduler_pb2.SetJobStateRequest(
            name=self.names.under_tenant("jobs", name), state=_wire(state), message=message
        )
        return _Call("scheduler", "SetJobState", request, _field("job", t.Job), False)

    def run_batch_placement(
        self, time_limit: timedelta | None, dry_run: bool
    ) -> _Call[t.BatchPlacementResult]:
        request = scheduler_pb2.RunBatchPlacementRequest(dry_run=dry_run)
        if time_limit is not None:
            request.time_limit.CopyFrom(_duration(time_limit))
        return _Call(
            "scheduler",
            "RunBatchPlacement",
            request,
            convert.batch_placement_result_from_proto,
            False,
        )

    def list_policies(self) -> _Call[t.Policies]:
        return _Call(
            "scheduler",
            "ListPolicies",
            scheduler_pb2.ListPoliciesRequest(),
            convert.policies_from_proto,
            True,
        )

    def get_tenant_quota(self, tenant: str | None) -> _Call[t.TenantQuota]:
        request = scheduler_pb2.GetTenantQuotaRequest(name=self.names.quota(tenant))
        return _Call("scheduler", "GetTenantQuota", request, _field("quota", t.TenantQuota), True)

    def set_tenant_quota(self, quota: t.TenantQuota) -> _Call[t.TenantQuota]:
        request = scheduler_pb2.SetTenantQuotaRequest(quota=convert.tenant_quota_to_proto(quota))
        return _Call("scheduler", "SetTenantQuota", request, _field("quota", t.TenantQuota), False)

    def list_tenant_quotas(self, page_size: int, page_token: str) -> _Call[t.Page[t.TenantQuota]]:
        request = scheduler_pb2.ListTenantQuotasRequest(page_size=page_size, page_token=page_token)
        return _Call(
            "scheduler",
            "ListTenantQuotas",
            request,
            _page_decoder(t.TenantQuota, "quotas"),
            True,
        )

    def create_webhook(
        self,
        webhook_id: str,
        webhook: t.Webhook,
        request_id: str | None,
        parent: str | None,
    ) -> _Call[t.Webhook]:
        rid = request_id or _new_id()
        request = scheduler_pb2.CreateWebhookRequest(
            parent=self.names.tenant_parent(parent),
            webhook_id=webhook_id,
            webhook=convert.webhook_to_proto(webhook),
            request_id=rid,
        )
        return _Call("scheduler", "CreateWebhook", request, _field("webhook", t.Webhook), True, rid)

    def list_webhooks(
        self, parent: str | None, page_size: int, page_token: str
    ) -> _Call[t.Page[t.Webhook]]:
        request = scheduler_pb2.ListWebhooksRequest(
            parent=self.names.tenant_parent(parent), page_size=page_size, page_token=page_token
        )
        return _Call(
            "scheduler", "ListWebhooks", request, _page_decoder(t.Webhook, "webhooks"), True
        )

    def delete_webhook(self, name: str) -> _Call[None]:
        request = scheduler_pb2.DeleteWebhookRequest(name=self.names.under_tenant("webhooks", name))
        return _Call("scheduler", "DeleteWebhook", request, _nothing, False)

    def list_webhook_deliveries(
        self, webhook: str, page_size: int, page_token: str
    ) -> _Call[t.Page[t.WebhookDelivery]]:
        request = scheduler_pb2.ListWebhookDeliveriesRequest(
            parent=self.names.under_tenant("webhooks", webhook),
            page_size=page_size,
            page_token=page_token,
        )
        return _Call(
            "scheduler",
            "ListWebhookDeliveries",
            request,
            _page_decoder(t.WebhookDelivery, "deliveries"),
            True,
        )

    # -- telemetry -------------------------------------------------------------------------

    def create_meter(
        self, parent: str, meter_id: str, meter: t.Meter, request_id: str | None
    ) -> _Call[t.Meter]:
        rid = request_id or _new_id()
        request = telemetry_pb2.CreateMeterRequest(
            parent=self.names.data_center_parent(parent),
            meter_id=meter_id,
            meter=convert.meter_to_proto(meter),
            request_id=rid,
        )
        return _Call("telemetry", "CreateMeter", request, _field("meter", t.Meter), True, rid)

    def get_meter(self, name: str) -> _Call[t.Meter]:
        request = telemetry_pb2.GetMeterRequest(name=self.names.in_data_center("meters", name))
        return _Call("telemetry", "GetMeter", request, _field("meter", t.Meter), True)

    def list_meters(
        self, parent: str | None, filter: str, page_size: int, page_token: str
    ) -> _Call[t.Page[t.Meter]]:
        request = telemetry_pb2.ListMetersRequest(
            parent=self.names.data_center_parent(parent),
            filter=filter,
            page_size=page_size,
            page_token=page_token,
        )
        return _Call("telemetry", "ListMeters", request, _page_decoder(t.Meter, "meters"), True)

    def delete_meter(self, name: str) -> _Call[None]:
        request = telemetry_pb2.DeleteMeterRequest(name=self.names.in_data_center("meters", name))
        return _Call("telemetry", "DeleteMeter", request, _nothing, False)

    def record_readings(self, messages: Any) -> _Call[t.RecordResult]:
        # A stream is consumed as it is sent, so it cannot be sent again: never retried.
        return _Call(
            "telemetry", "RecordReadings", messages, convert.record_result_from_proto, False
        )

    def batch_record_readings(self, readings: Iterable[t.Reading]) -> _Call[t.RecordResult]:
        request = telemetry_pb2.BatchRecordReadingsRequest(
            readings=[convert.reading_to_proto(r) for r in readings]
        )
        # Idempotent on (meter, read_time): a repeat stores nothing twice.
        return _Call(
            "telemetry", "BatchRecordReadings", request, convert.record_result_from_proto, True
        )

    def get_pue(
        self,
        data_center: str,
        start: datetime | None,
        end: datetime | None,
        window_kind: t.PueWindowKind,
        subsystem: t.MeteringPoint,
    ) -> _Call[t.PueValue]:
        request = telemetry_pb2.GetPueRequest(
            data_center=self.names.top("dataCenters", data_center),
            interval=_interval(start, end),
            window_kind=_wire(window_kind),
            subsystem=_wire(subsystem),
        )
        return _Call("telemetry", "GetPue", request, _field("pue", t.PueValue), True)

    def get_compliance_report(
        self, start: datetime | None, end: datetime | None, filter: str
    ) -> _Call[t.ComplianceReport]:
        request = telemetry_pb2.GetComplianceReportRequest(
            interval=_interval(start, end), filter=filter
        )
        return _Call(
            "telemetry",
            "GetComplianceReport",
            request,
            convert.compliance_report_from_proto,
            True,
        )

    def get_utilization(
        self, group_by: t.UtilizationGroupBy, filter: str
    ) -> _Call[t.UtilizationReport]:
        request = telemetry_pb2.GetUtilizationRequest(group_by=_wire(group_by), filter=filter)
        return _Call(
            "telemetry", "GetUtilization", request, convert.utilization_report_from_proto, True
        )


def _duration(value: timedelta) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromTimedelta(value)
    return d


def _as_timedelta(value: timedelta | float | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


def _stubs(channel: Any) -> dict[str, Any]:
    # The generated *_pb2_grpc modules carry no type hints.
    return {
        "inventory": inventory_pb2_grpc.InventoryServiceStub(channel),  # type: ignore[no-untyped-call]
        "scheduler": scheduler_pb2_grpc.SchedulerServiceStub(channel),  # type: ignore[no-untyped-call]
        "telemetry": telemetry_pb2_grpc.TelemetryServiceStub(channel),  # type: ignore[no-untyped-call]
    }


def _wire(value: enum.Enum) -> Any:
    """An enum's wire number (the pb2 stubs type enum fields with their own int subclasses)."""
    return value.value


class _Options:
    """What both clients share: deadlines, credentials, retries, channel arguments."""

    def __init__(
        self,
        target: str,
        token: str | None,
        timeout: float,
        retries: int | RetryPolicy,
        tls: bool,
        root_certificates: bytes | None,
        private_key: bytes | None,
        certificate_chain: bytes | None,
        channel_options: Sequence[tuple[str, Any]],
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if (private_key is None) != (certificate_chain is None):
            raise ValueError("mTLS needs both private_key and certificate_chain")
        self.target = target
        self.token = token
        self.timeout = timeout
        self.retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries + 1)
        if self.retry.max_attempts < 1:
            raise ValueError("retries must be >= 0")
        self.tls = tls or any(
            x is not None for x in (root_certificates, private_key, certificate_chain)
        )
        self.credentials = (
            grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
            if self.tls
            else None
        )
        self.channel_options = [
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.primary_user_agent", "computenet-python"),
            *channel_options,
        ]
        self.rng = random.Random()

    def metadata(self, request_id: str) -> tuple[tuple[str, str], ...]:
        items = [("x-request-id", request_id or _new_id())]
        if self.token:
            items.append(("authorization", f"Bearer {self.token}"))
        return tuple(items)

    def deadline(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def should_retry(
        self, call: _Call[Any], exc: grpc.RpcError, attempt: int, connected: bool
    ) -> bool:
        """Retry a safe call on UNAVAILABLE, or on DEADLINE_EXCEEDED when no connection
        existed during the attempt (the request never left)."""
        if not call.idempotent or attempt >= self.retry.max_attempts:
            return False
        code = exc.code() if hasattr(exc, "code") else None
        if code == grpc.StatusCode.UNAVAILABLE:
            return True
        return code == grpc.StatusCode.DEADLINE_EXCEEDED and not connected


class Client:
    """A blocking computenet client; use it as a context manager or call ``close()``.

    >>> with Client("127.0.0.1:50051", token="…") as c:
    ...     for dc in c.iter_data_centers():
    ...         print(dc.name, dc.fp16_pflops)
    """

    def __init__(
        self,
        target: str = DEFAULT_ADDRESS,
        *,
        token: str | None = None,
        tenant: str = DEFAULT_TENANT,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int | RetryPolicy = 3,
        tls: bool = False,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        channel_options: Sequence[tuple[str, Any]] = (),
        channel: grpc.Channel | None = None,
    ) -> None:
        """Connect lazily to ``target`` (host:port).

        ``timeout`` is the deadline of every unary call in seconds; ``retries`` the retries of
        safe calls (or a ``RetryPolicy``); ``token`` a bearer token; ``tenant`` the tenant of
        job, quota and webhook names given as bare ids. TLS is on with ``tls=True`` or any of
        the PEM ``root_certificates`` (else the system roots), ``private_key`` and
        ``certificate_chain`` (mTLS). ``channel`` uses a channel you own instead.
        """
        self._options = _Options(
            target,
            token,
            timeout,
            retries,
            tls,
            root_certificates,
            private_key,
            certificate_chain,
            channel_options,
        )
        self.names = ResourceNames(tenant)
        self._calls = _Calls(self.names)
        self._owns_channel = channel is None
        if channel is not None:
            self._channel = channel
        elif self._options.credentials is not None:
            self._channel = grpc.secure_channel(
                target, self._options.credentials, self._options.channel_options
            )
        else:
            self._channel = grpc.insecure_channel(target, self._options.channel_options)
        self._stubs = _stubs(self._channel)

    @property
    def target(self) -> str:
        """The address the client talks to."""
        return self._options.target

    @property
    def timeout(self) -> float:
        """Deadline of a unary call, seconds."""
        return self._options.timeout

    def _ready(self) -> bool:
        """Whether the channel is READY now. The blocking API has no public way to ask
        without a polling thread (``subscribe``), so this asks the channel core directly;
        when that is not possible it answers True, which only turns off the retry of a
        deadline that passed while connecting (never a wrong retry)."""
        check = getattr(getattr(self._channel, "_channel", None), "check_connectivity_state", None)
        if check is None:
            return True
        try:
            state = _CONNECTIVITY.get(check(False))
        except Exception:  # a closed or foreign channel: assume the request may have left
            return True
        return state is None or state == grpc.ChannelConnectivity.READY

    def close(self) -> None:
        """Release the channel (when the client created it)."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _unary(self, call: _Call[R], timeout: float | None) -> R:
        method = getattr(self._stubs[call.service], call.method)
        metadata = self._options.metadata(call.request_id)
        deadline = self._options.deadline(timeout)
        for attempt in itertools.count(1):
            was_ready = self._ready()
            try:
                response = method(call.request, timeout=deadline, metadata=metadata)
            except grpc.RpcError as exc:
                connected = was_ready or self._ready()
                if self._options.should_retry(call, exc, attempt, connected):
                    time.sleep(self._options.retry.backoff(attempt, self._options.rng))
                    continue
                raise error_from_rpc(exc) from exc
            return call.decode(response)
        raise AssertionError("unreachable")

    def _stream(
        self, call: _Call[R], timeout: float | None, resume: bool
    ) -> Generator[R, None, None]:
        method = getattr(self._stubs[call.service], call.method)
        metadata = self._options.metadata(call.request_id)
        end = None if timeout is None else time.monotonic() + timeout
        attempt = 0
        while True:
            attempt += 1
            received = False
            was_ready = self._ready()
            remaining = None if end is None else max(0.0, end - time.monotonic())
            responses = method(call.request, timeout=remaining, metadata=metadata)
            try:
                for response in responses:
                    received, attempt = True, 0
                    yield call.decode(response)
            except grpc.RpcError as exc:
                connected = was_ready or self._ready()
                # Only the opening of a stream is retried: once events flowed, a new stream
                # would replay or miss some, which the caller must decide about.
                if not received and self._options.should_retry(call, exc, attempt, connected):
                    time.sleep(self._options.retry.backoff(attempt, self._options.rng))
                    continue
                raise error_from_rpc(exc) from exc
            finally:
                responses.cancel()
            if not resume:
                return
            # The server ends watches after a bounded lifetime and expects a re-watch.
            if not received:
                time.sleep(self._options.retry.backoff(max(attempt, 1), self._options.rng))

    def _pages(self, make: Callable[[str], _Call[t.Page[R]]], timeout: float | None) -> Iterator[R]:
        token = ""
        while True:
            page = self._unary(make(token), timeout)
            yield from page.items
            token = page.next_page_token
            if not token:
                return

    # -- inventory: accelerator models -----------------------------------------------------

    def create_accelerator_model(
        self,
        accelerator_model_id: str,
        accelerator_model: t.AcceleratorModel,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.AcceleratorModel:
        """Create ``acceleratorModels/{accelerator_model_id}``."""
        call = self._calls.create(
            _ACCELERATOR_MODEL, accelerator_model_id, accelerator_model, request_id
        )
        return self._unary(call, timeout)

    def get_accelerator_model(
        self, name: str, *, timeout: float | None = None
    ) -> t.AcceleratorModel:
        """Get an accelerator model by name or id."""
        return self._unary(self._calls.get(_ACCELERATOR_MODEL, name), timeout)

    def list_accelerator_models(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.AcceleratorModel]:
        """One page of accelerator models. Filter fields: vendor."""
        call = self._calls.list(_ACCELERATOR_MODEL, None, filter, page_size, page_token)
        return self._unary(call, timeout)

    def iter_accelerator_models(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> Iterator[t.AcceleratorModel]:
        """Every accelerator model, page after page."""
        return self._pages(
            lambda tok: self._calls.list(_ACCELERATOR_MODEL, None, filter, page_size, tok), timeout
        )

    def update_accelerator_model(
        self,
        accelerator_model: t.AcceleratorModel,
        update_mask: Iterable[str],
        *,
        timeout: float | None = None,
    ) -> t.AcceleratorModel:
        """Update the fields named in ``update_mask`` (``*`` for all) of the named model."""
        call = self._calls.update(_ACCELERATOR_MODEL, accelerator_model, update_mask)
        return self._unary(call, timeout)

    def delete_accelerator_model(self, name: str, *, timeout: float | None = None) -> None:
        """Delete an accelerator model no pool or node uses."""
        self._unary(self._calls.delete(_ACCELERATOR_MODEL, name), timeout)

    # -- inventory: regions ----------------------------------------------------------------

    def create_region(
        self,
        region_id: str,
        region: t.Region,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.Region:
        """Create ``regions/{region_id}``."""
        return self._unary(self._calls.create(_REGION, region_id, region, request_id), timeout)

    def get_region(self, name: str, *, timeout: float | None = None) -> t.Region:
        """Get a region by name or id."""
        return self._unary(self._calls.get(_REGION, name), timeout)

    def list_regions(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Region]:
        """One page of regions. Filter fields: province, hub, hub_class."""
        return self._unary(self._calls.list(_REGION, None, filter, page_size, page_token), timeout)

    def iter_regions(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> Iterator[t.Region]:
        """Every region, page after page."""
        return self._pages(
            lambda tok: self._calls.list(_REGION, None, filter, page_size, tok), timeout
        )

    def update_region(
        self, region: t.Region, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> t.Region:
        """Update the fields named in ``update_mask`` of the named region."""
        return self._unary(self._calls.update(_REGION, region, update_mask), timeout)

    def delete_region(self, name: str, *, timeout: float | None = None) -> None:
        """Delete a region no data center or link uses."""
        self._unary(self._calls.delete(_REGION, name), timeout)

    # -- inventory: data centers -----------------------------------------------------------

    def create_data_center(
        self,
        data_center_id: str,
        data_center: t.DataCenter,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.DataCenter:
        """Create ``dataCenters/{data_center_id}``."""
        call = self._calls.create(_DATA_CENTER, data_center_id, data_center, request_id)
        return self._unary(call, timeout)

    def get_data_center(self, name: str, *, timeout: float | None = None) -> t.DataCenter:
        """Get a data center by name or id, with its node, accelerator and PFLOPS totals."""
        return self._unary(self._calls.get(_DATA_CENTER, name), timeout)

    def list_data_centers(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.DataCenter]:
        """One page of data centers. Filter fields: region, province, state."""
        call = self._calls.list(_DATA_CENTER, None, filter, page_size, page_token)
        return self._unary(call, timeout)

    def iter_data_centers(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> Iterator[t.DataCenter]:
        """Every data center, page after page."""
        return self._pages(
            lambda tok: self._calls.list(_DATA_CENTER, None, filter, page_size, tok), timeout
        )

    def update_data_center(
        self,
        data_center: t.DataCenter,
        update_mask: Iterable[str],
        *,
        timeout: float | None = None,
    ) -> t.DataCenter:
        """Update the fields named in ``update_mask`` of the named data center."""
        call = self._calls.update(_DATA_CENTER, data_center, update_mask)
        return self._unary(call, timeout)

    def delete_data_center(self, name: str, *, timeout: float | None = None) -> None:
        """Delete an empty data center (FailedPreconditionError while it has contents)."""
        self._unary(self._calls.delete(_DATA_CENTER, name), timeout)

    # -- inventory: racks ------------------------------------------------------------------

    def create_rack(
        self,
        parent: str,
        rack_id: str,
        rack: t.Rack,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.Rack:
        """Create ``dataCenters/{parent}/racks/{rack_id}``."""
        call = self._calls.create(_RACK, rack_id, rack, request_id, parent)
        return self._unary(call, timeout)

    def get_rack(self, name: str, *, timeout: float | None = None) -> t.Rack:
        """Get a rack by name (or ``dc/rack``)."""
        return self._unary(self._calls.get(_RACK, name), timeout)

    def list_racks(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Rack]:
        """One page of the racks of ``parent`` (None: every data center). Filter: room."""
        return self._unary(self._calls.list(_RACK, parent, filter, page_size, page_token), timeout)

    def iter_racks(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[t.Rack]:
        """Every rack of ``parent``, page after page."""
        return self._pages(
            lambda tok: self._calls.list(_RACK, parent, filter, page_size, tok), timeout
        )

    def update_rack(
        self, rack: t.Rack, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> t.Rack:
        """Update the fields named in ``update_mask`` of the named rack."""
        return self._unary(self._calls.update(_RACK, rack, update_mask), timeout)

    def delete_rack(self, name: str, *, timeout: float | None = None) -> None:
        """Delete a rack no node stands in."""
        self._unary(self._calls.delete(_RACK, name), timeout)

    # -- inventory: pools ------------------------------------------------------------------

    def create_pool(
        self,
        parent: str,
        pool_id: str,
        pool: t.Pool,
        *,
        node_count: int = 0,
        racks: Sequence[str] = (),
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.Pool:
        """Create a pool and ``node_count`` nodes of its shape, spread over ``racks``."""
        rack_names = [self.names.in_data_center("racks", r) for r in racks]
        call = self._calls.create(
            _POOL, pool_id, pool, request_id, parent, node_count=node_count, racks=rack_names
        )
        return self._unary(call, timeout)

    def get_pool(self, name: str, *, timeout: float | None = None) -> t.Pool:
        """Get a pool by name (or ``dc/pool``)."""
        return self._unary(self._calls.get(_POOL, name), timeout)

    def list_pools(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Pool]:
        """One page of the pools of ``parent``. Filter fields: accelerator_model."""
        return self._unary(self._calls.list(_POOL, parent, filter, page_size, page_token), timeout)

    def iter_pools(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[t.Pool]:
        """Every pool of ``parent``, page after page."""
        return self._pages(
            lambda tok: self._calls.list(_POOL, parent, filter, page_size, tok), timeout
        )

    def update_pool(
        self, pool: t.Pool, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> t.Pool:
        """Update a pool's display name."""
        return self._unary(self._calls.update(_POOL, pool, update_mask), timeout)

    def delete_pool(self, name: str, *, timeout: float | None = None) -> None:
        """Delete a pool with no nodes."""
        self._unary(self._calls.delete(_POOL, name), timeout)

    # -- inventory: nodes ------------------------------------------------------------------

    def create_node(
        self,
        parent: str,
        node_id: str,
        node: t.Node,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.Node:
        """Create a node in a pool; its shape must equal the pool's."""
        call = self._calls.create(_NODE, node_id, node, request_id, parent)
        return self._unary(call, timeout)

    def get_node(self, name: str, *, timeout: float | None = None) -> t.Node:
        """Get a node by name (or ``dc/node``)."""
        return self._unary(self._calls.get(_NODE, name), timeout)

    def list_nodes(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Node]:
        """One page of nodes. Filter fields: pool, rack, accelerator_model, state."""
        return self._unary(self._calls.list(_NODE, parent, filter, page_size, page_token), timeout)

    def iter_nodes(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[t.Node]:
        """Every node of ``parent``, page after page."""
        return self._pages(
            lambda tok: self._calls.list(_NODE, parent, filter, page_size, tok), timeout
        )

    def update_node(
        self, node: t.Node, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> t.Node:
        """Update a node's rack, rack position or state."""
        return self._unary(self._calls.update(_NODE, node, update_mask), timeout)

    def delete_node(self, name: str, *, timeout: float | None = None) -> None:
        """Delete a node with no work on it."""
        self._unary(self._calls.delete(_NODE, name), timeout)

    # -- inventory: links ------------------------------------------------------------------

    def create_link(
        self,
        link_id: str,
        link: t.Link,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.Link:
        """Create ``links/{link_id}``."""
        return self._unary(self._calls.create(_LINK, link_id, link, request_id), timeout)

    def get_link(self, name: str, *, timeout: float | None = None) -> t.Link:
        """Get a link by name or id."""
        return self._unary(self._calls.get(_LINK, name), timeout)

    def list_links(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Link]:
        """One page of links. Filter fields: region, data_center."""
        return self._unary(self._calls.list(_LINK, None, filter, page_size, page_token), timeout)

    def iter_links(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> Iterator[t.Link]:
        """Every link, page after page."""
        return self._pages(
            lambda tok: self._calls.list(_LINK, None, filter, page_size, tok), timeout
        )

    def update_link(
        self, link: t.Link, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> t.Link:
        """Update the fields named in ``update_mask`` of the named link."""
        return self._unary(self._calls.update(_LINK, link, update_mask), timeout)

    def delete_link(self, name: str, *, timeout: float | None = None) -> None:
        """Delete a link."""
        self._unary(self._calls.delete(_LINK, name), timeout)

    # -- inventory: files ------------------------------------------------------------------

    def import_inventory(
        self,
        source: bytes | str | Path,
        *,
        format: t.InventoryFormat | str | None = None,
        validate_only: bool = False,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.ImportResult:
        """Import an inventory file (a path, or its bytes) in one transaction.

        The format comes from ``format``, else the file suffix, else the content.
        ``validate_only`` checks everything and changes nothing.
        """
        call = self._calls.import_inventory(source, format, validate_only, request_id)
        return self._unary(call, timeout)

    def export_inventory(
        self, format: t.InventoryFormat | str = "yaml", *, timeout: float | None = None
    ) -> bytes:
        """The whole inventory as a YAML or JSON file that ``import_inventory`` accepts."""
        return self._unary(self._calls.export_inventory(format), timeout)

    # -- scheduler: jobs -------------------------------------------------------------------

    def submit_job(
        self,
        spec: t.JobSpec,
        job_id: str | None = None,
        request_id: str | None = None,
        *,
        parent: str | None = None,
        timeout: float | None = None,
    ) -> t.Job:
        """Submit a job (SCHEDULED with its placement, or PENDING with its reason).

        ``request_id`` is generated when not given and kept over retries, so a retried
        submission never creates a second job.
        """
        return self._unary(self._calls.submit_job(spec, job_id, request_id, parent), timeout)

    def quote_job(
        self, spec: t.JobSpec, *, parent: str | None = None, timeout: float | None = None
    ) -> t.Quote:
        """Where, when and at what energy, cost and carbon the job would run; commits nothing."""
        return self._unary(self._calls.quote_job(spec, parent), timeout)

    def get_job(self, name: str, *, timeout: float | None = None) -> t.Job:
        """Get a job (name or bare id) with its placement and explanation."""
        return self._unary(self._calls.get_job(name), timeout)

    def list_jobs(
        self,
        *,
        parent: str | None = None,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Job]:
        """One page of jobs, newest first (``parent="-"``: every tenant, for operators).
        Filter fields: state, kind, data_center."""
        return self._unary(self._calls.list_jobs(parent, filter, page_size, page_token), timeout)

    def iter_jobs(
        self,
        *,
        parent: str | None = None,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[t.Job]:
        """Every matching job, page after page."""
        return self._pages(
            lambda tok: self._calls.list_jobs(parent, filter, page_size, tok), timeout
        )

    def cancel_job(self, name: str, reason: str = "", *, timeout: float | None = None) -> t.Job:
        """Cancel a job that has not finished; never retried."""
        return self._unary(self._calls.cancel_job(name, reason), timeout)

    def watch_jobs(
        self,
        *,
        parent: str | None = None,
        filter: str = "",
        send_initial: bool = True,
        resume: bool = True,
        timeout: float | None = None,
    ) -> Generator[t.JobEvent, None, None]:
        """Job state changes as they happen (first the current unfinished jobs when
        ``send_initial``). Filter fields: state, kind, data_center.

        The server ends a watch after a bounded lifetime; with ``resume`` a new one opens at
        once (again with the initial snapshot when ``send_initial``). No deadline unless
        ``timeout`` is given (then for the whole watch); close the iterator to stop.
        """
        call = self._calls.watch_jobs(parent, filter, send_initial)
        return self._stream(call, timeout, resume)

    def set_job_state(
        self,
        name: str,
        state: t.JobState,
        message: str = "",
        *,
        timeout: float | None = None,
    ) -> t.Job:
        """Operator: report a job RUNNING, SUCCEEDED or FAILED; never retried."""
        return self._unary(self._calls.set_job_state(name, state, message), timeout)

    def run_batch_placement(
        self,
        *,
        time_limit: timedelta | float | None = None,
        dry_run: bool = False,
        timeout: float | None = None,
    ) -> t.BatchPlacementResult:
        """Operator: run the batch optimizer over the pending queue now.

        The deadline defaults to the solver time limit plus the client timeout.
        """
        limit = _as_timedelta(time_limit)
        if timeout is None and limit is not None:
            timeout = limit.total_seconds() + self.timeout
        return self._unary(self._calls.run_batch_placement(limit, dry_run), timeout)

    # -- scheduler: policies, quotas, webhooks ---------------------------------------------

    def list_policies(self, *, timeout: float | None = None) -> t.Policies:
        """The placement policies, their weights and the default."""
        return self._unary(self._calls.list_policies(), timeout)

    def get_tenant_quota(
        self, tenant: str | None = None, *, timeout: float | None = None
    ) -> t.TenantQuota:
        """A tenant's quotas and usage (default: the client's tenant)."""
        return self._unary(self._calls.get_tenant_quota(tenant), timeout)

    def set_tenant_quota(
        self, quota: t.TenantQuota, *, timeout: float | None = None
    ) -> t.TenantQuota:
        """Operator: replace a tenant's quota limits."""
        return self._unary(self._calls.set_tenant_quota(quota), timeout)

    def list_tenant_quotas(
        self, *, page_size: int = 0, page_token: str = "", timeout: float | None = None
    ) -> t.Page[t.TenantQuota]:
        """Operator: one page of every tenant's quotas."""
        return self._unary(self._calls.list_tenant_quotas(page_size, page_token), timeout)

    def iter_tenant_quotas(
        self, *, page_size: int = 0, timeout: float | None = None
    ) -> Iterator[t.TenantQuota]:
        """Operator: every tenant's quotas, page after page."""
        return self._pages(lambda tok: self._calls.list_tenant_quotas(page_size, tok), timeout)

    def create_webhook(
        self,
        webhook_id: str,
        webhook: t.Webhook,
        *,
        parent: str | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.Webhook:
        """Register a webhook for the tenant's job events."""
        call = self._calls.create_webhook(webhook_id, webhook, request_id, parent)
        return self._unary(call, timeout)

    def list_webhooks(
        self,
        *,
        parent: str | None = None,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Webhook]:
        """One page of the tenant's webhooks."""
        return self._unary(self._calls.list_webhooks(parent, page_size, page_token), timeout)

    def iter_webhooks(
        self, *, parent: str | None = None, page_size: int = 0, timeout: float | None = None
    ) -> Iterator[t.Webhook]:
        """Every webhook of the tenant."""
        return self._pages(lambda tok: self._calls.list_webhooks(parent, page_size, tok), timeout)

    def delete_webhook(self, name: str, *, timeout: float | None = None) -> None:
        """Delete a webhook (name or bare id)."""
        self._unary(self._calls.delete_webhook(name), timeout)

    def list_webhook_deliveries(
        self,
        webhook: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.WebhookDelivery]:
        """One page of a webhook's recent deliveries, newest first."""
        call = self._calls.list_webhook_deliveries(webhook, page_size, page_token)
        return self._unary(call, timeout)

    def iter_webhook_deliveries(
        self, webhook: str, *, page_size: int = 0, timeout: float | None = None
    ) -> Iterator[t.WebhookDelivery]:
        """Every recorded delivery of a webhook."""
        return self._pages(
            lambda tok: self._calls.list_webhook_deliveries(webhook, page_size, tok), timeout
        )

    # -- telemetry -------------------------------------------------------------------------

    def create_meter(
        self,
        parent: str,
        meter_id: str,
        meter: t.Meter,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> t.Meter:
        """Register a meter in a data center."""
        return self._unary(self._calls.create_meter(parent, meter_id, meter, request_id), timeout)

    def get_meter(self, name: str, *, timeout: float | None = None) -> t.Meter:
        """Get a meter by name (or ``dc/meter``)."""
        return self._unary(self._calls.get_meter(name), timeout)

    def list_meters(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> t.Page[t.Meter]:
        """One page of the meters of ``parent``. Filter fields: metering_point."""
        call = self._calls.list_meters(parent, filter, page_size, page_token)
        return self._unary(call, timeout)

    def iter_meters(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[t.Meter]:
        """Every meter of ``parent``, page after page."""
        return self._pages(
            lambda tok: self._calls.list_meters(parent, filter, page_size, tok), timeout
        )

    def delete_meter(self, name: str, *, timeout: float | None = None) -> None:
        """Delete a meter and its readings."""
        self._unary(self._calls.delete_meter(name), timeout)

    def record_readings(
        self,
        readings: Iterable[t.Reading],
        *,
        batch_size: int = DEFAULT_READINGS_BATCH,
        timeout: float | None = None,
    ) -> t.RecordResult:
        """Stream readings to the server, ``batch_size`` per message; consumed lazily, so a
        generator over a large file works. Idempotent on (meter, read_time) server-side, but
        not retried here: a consumed iterable cannot be sent again. The deadline defaults to
        ``DEFAULT_UPLOAD_TIMEOUT`` (10 min) for the whole stream."""
        call = self._calls.record_readings(_chunks(readings, batch_size))
        return self._unary(call, DEFAULT_UPLOAD_TIMEOUT if timeout is None else timeout)

    def batch_record_readings(
        self, readings: Iterable[t.Reading], *, timeout: float | None = None
    ) -> t.RecordResult:
        """Record a batch of readings in one message (retried: duplicates are ignored)."""
        return self._unary(self._calls.batch_record_readings(readings), timeout)

    def get_pue(
        self,
        data_center: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        window_kind: t.PueWindowKind = t.PueWindowKind.UNSPECIFIED,
        subsystem: t.MeteringPoint = t.MeteringPoint.UNSPECIFIED,
        timeout: float | None = None,
    ) -> t.PueValue:
        """PUE of a data center over [start, end) (default: the 24 h to now), or annualised,
        or a partial PUE of ``subsystem``."""
        call = self._calls.get_pue(data_center, start, end, window_kind, subsystem)
        return self._unary(call, timeout)

    def get_compliance_report(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        filter: str = "",
        timeout: float | None = None,
    ) -> t.ComplianceReport:
        """Compliance of every data center with its own and the policy PUE targets."""
        return self._unary(self._calls.get_compliance_report(start, end, filter), timeout)

    def get_utilization(
        self,
        *,
        group_by: t.UtilizationGroupBy = t.UtilizationGroupBy.DATA_CENTER,
        filter: str = "",
        timeout: float | None = None,
    ) -> t.UtilizationReport:
        """Utilization and compute scale by data center, pool, model or tenant."""
        return self._unary(self._calls.get_utilization(group_by, filter), timeout)


class AsyncClient:
    """The asyncio client (grpc.aio): the same methods as ``Client``, awaited.

    Create it inside the running event loop::

        async with AsyncClient("127.0.0.1:50051") as c:
            job = await c.submit_job(spec)
    """

    def __init__(
        self,
        target: str = DEFAULT_ADDRESS,
        *,
        token: str | None = None,
        tenant: str = DEFAULT_TENANT,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int | RetryPolicy = 3,
        tls: bool = False,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        channel_options: Sequence[tuple[str, Any]] = (),
        channel: grpc.aio.Channel | None = None,
    ) -> None:
        """The options of ``Client``."""
        self._options = _Options(
            target,
            token,
            timeout,
            retries,
            tls,
            root_certificates,
            private_key,
            certificate_chain,
            channel_options,
        )
        self.names = ResourceNames(tenant)
        self._calls = _Calls(self.names)
        self._owns_channel = channel is None
        if channel is not None:
            self._channel = channel
        elif self._options.credentials is not None:
            self._channel = grpc.aio.secure_channel(
                target, self._options.credentials, self._options.channel_options
            )
        else:
            self._channel = grpc.aio.insecure_channel(target, self._options.channel_options)
        self._stubs = _stubs(self._channel)

    @property
    def target(self) -> str:
        """The address the client talks to."""
        return self._options.target

    @property
    def timeout(self) -> float:
        """Deadline of a unary call, seconds."""
        return self._options.timeout

    async def close(self) -> None:
        """Release the channel (when the client created it)."""
        if self._owns_channel:
            await self._channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- transport -------------------------------------------------------------------------

    def _ready(self) -> bool:
        state = self._channel.get_state(try_to_connect=False)
        return bool(state == grpc.ChannelConnectivity.READY)

    async def _unary(
        self,
        call: _Call[R],
        timeout: float | None,  # noqa: ASYNC109 - a gRPC deadline, sent to the server
    ) -> R:
        method = getattr(self._stubs[call.service], call.method)
        metadata = self._options.metadata(call.request_id)
        deadline = self._options.deadline(timeout)
        for attempt in itertools.count(1):
            was_ready = self._ready()
            try:
                response = await method(call.request, timeout=deadline, metadata=metadata)
            except grpc.RpcError as exc:
                connected = was_ready or self._ready()
                if self._options.should_retry(call, exc, attempt, connected):
                    await asyncio.sleep(self._options.retry.backoff(attempt, self._options.rng))
                    continue
                raise error_from_rpc(exc) from exc
            return call.decode(response)
        raise AssertionError("unreachable")

    async def _stream(
        self,
        call: _Call[R],
        timeout: float | None,  # noqa: ASYNC109 - a gRPC deadline, sent to the server
        resume: bool,
    ) -> AsyncGenerator[R, None]:
        method = getattr(self._stubs[call.service], call.method)
        metadata = self._options.metadata(call.request_id)
        loop = asyncio.get_running_loop()
        end = None if timeout is None else loop.time() + timeout
        attempt = 0
        while True:
            attempt += 1
            received = False
            was_ready = self._ready()
            remaining = None if end is None else max(0.0, end - loop.time())
            responses = method(call.request, timeout=remaining, metadata=metadata)
            try:
                async for response in responses:
                    received, attempt = True, 0
                    yield call.decode(response)
            except grpc.RpcError as exc:
                connected = was_ready or self._ready()
                if not received and self._options.should_retry(call, exc, attempt, connected):
                    await asyncio.sleep(self._options.retry.backoff(attempt, self._options.rng))
                    continue
                raise error_from_rpc(exc) from exc
            finally:
                responses.cancel()
            if not resume:
                return
            if not received:
                await asyncio.sleep(self._options.retry.backoff(max(attempt, 1), self._options.rng))

    async def _pages(
        self,
        make: Callable[[str], _Call[t.Page[R]]],
        timeout: float | None,  # noqa: ASYNC109 - a gRPC deadline, sent to the server
    ) -> AsyncIterator[R]:
        token = ""
        while True:
            page = await self._unary(make(token), timeout)
            for item in page.items:
                yield item
            token = page.next_page_token
            if not token:
                return

    # -- inventory -------------------------------------------------------------------------

    def create_accelerator_model(
        self,
        accelerator_model_id: str,
        accelerator_model: t.AcceleratorModel,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.AcceleratorModel]:
        """See ``Client.create_accelerator_model``."""
        call = self._calls.create(
            _ACCELERATOR_MODEL, accelerator_model_id, accelerator_model, request_id
        )
        return self._unary(call, timeout)

    def get_accelerator_model(
        self, name: str, *, timeout: float | None = None
    ) -> Awaitable[t.AcceleratorModel]:
        """See ``Client.get_accelerator_model``."""
        return self._unary(self._calls.get(_ACCELERATOR_MODEL, name), timeout)

    def list_accelerator_models(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.AcceleratorModel]]:
        """See ``Client.list_accelerator_models``."""
        call = self._calls.list(_ACCELERATOR_MODEL, None, filter, page_size, page_token)
        return self._unary(call, timeout)

    def iter_accelerator_models(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[t.AcceleratorModel]:
        """See ``Client.iter_accelerator_models``."""
        return self._pages(
            lambda tok: self._calls.list(_ACCELERATOR_MODEL, None, filter, page_size, tok), timeout
        )

    def update_accelerator_model(
        self,
        accelerator_model: t.AcceleratorModel,
        update_mask: Iterable[str],
        *,
        timeout: float | None = None,
    ) -> Awaitable[t.AcceleratorModel]:
        """See ``Client.update_accelerator_model``."""
        call = self._calls.update(_ACCELERATOR_MODEL, accelerator_model, update_mask)
        return self._unary(call, timeout)

    def delete_accelerator_model(
        self, name: str, *, timeout: float | None = None
    ) -> Awaitable[None]:
        """See ``Client.delete_accelerator_model``."""
        return self._unary(self._calls.delete(_ACCELERATOR_MODEL, name), timeout)

    def create_region(
        self,
        region_id: str,
        region: t.Region,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Region]:
        """See ``Client.create_region``."""
        return self._unary(self._calls.create(_REGION, region_id, region, request_id), timeout)

    def get_region(self, name: str, *, timeout: float | None = None) -> Awaitable[t.Region]:
        """See ``Client.get_region``."""
        return self._unary(self._calls.get(_REGION, name), timeout)

    def list_regions(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Region]]:
        """See ``Client.list_regions``."""
        return self._unary(self._calls.list(_REGION, None, filter, page_size, page_token), timeout)

    def iter_regions(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[t.Region]:
        """See ``Client.iter_regions``."""
        return self._pages(
            lambda tok: self._calls.list(_REGION, None, filter, page_size, tok), timeout
        )

    def update_region(
        self, region: t.Region, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> Awaitable[t.Region]:
        """See ``Client.update_region``."""
        return self._unary(self._calls.update(_REGION, region, update_mask), timeout)

    def delete_region(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_region``."""
        return self._unary(self._calls.delete(_REGION, name), timeout)

    def create_data_center(
        self,
        data_center_id: str,
        data_center: t.DataCenter,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.DataCenter]:
        """See ``Client.create_data_center``."""
        call = self._calls.create(_DATA_CENTER, data_center_id, data_center, request_id)
        return self._unary(call, timeout)

    def get_data_center(
        self, name: str, *, timeout: float | None = None
    ) -> Awaitable[t.DataCenter]:
        """See ``Client.get_data_center``."""
        return self._unary(self._calls.get(_DATA_CENTER, name), timeout)

    def list_data_centers(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.DataCenter]]:
        """See ``Client.list_data_centers``."""
        call = self._calls.list(_DATA_CENTER, None, filter, page_size, page_token)
        return self._unary(call, timeout)

    def iter_data_centers(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[t.DataCenter]:
        """See ``Client.iter_data_centers``."""
        return self._pages(
            lambda tok: self._calls.list(_DATA_CENTER, None, filter, page_size, tok), timeout
        )

    def update_data_center(
        self,
        data_center: t.DataCenter,
        update_mask: Iterable[str],
        *,
        timeout: float | None = None,
    ) -> Awaitable[t.DataCenter]:
        """See ``Client.update_data_center``."""
        call = self._calls.update(_DATA_CENTER, data_center, update_mask)
        return self._unary(call, timeout)

    def delete_data_center(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_data_center``."""
        return self._unary(self._calls.delete(_DATA_CENTER, name), timeout)

    def create_rack(
        self,
        parent: str,
        rack_id: str,
        rack: t.Rack,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Rack]:
        """See ``Client.create_rack``."""
        call = self._calls.create(_RACK, rack_id, rack, request_id, parent)
        return self._unary(call, timeout)

    def get_rack(self, name: str, *, timeout: float | None = None) -> Awaitable[t.Rack]:
        """See ``Client.get_rack``."""
        return self._unary(self._calls.get(_RACK, name), timeout)

    def list_racks(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Rack]]:
        """See ``Client.list_racks``."""
        return self._unary(self._calls.list(_RACK, parent, filter, page_size, page_token), timeout)

    def iter_racks(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[t.Rack]:
        """See ``Client.iter_racks``."""
        return self._pages(
            lambda tok: self._calls.list(_RACK, parent, filter, page_size, tok), timeout
        )

    def update_rack(
        self, rack: t.Rack, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> Awaitable[t.Rack]:
        """See ``Client.update_rack``."""
        return self._unary(self._calls.update(_RACK, rack, update_mask), timeout)

    def delete_rack(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_rack``."""
        return self._unary(self._calls.delete(_RACK, name), timeout)

    def create_pool(
        self,
        parent: str,
        pool_id: str,
        pool: t.Pool,
        *,
        node_count: int = 0,
        racks: Sequence[str] = (),
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Pool]:
        """See ``Client.create_pool``."""
        rack_names = [self.names.in_data_center("racks", r) for r in racks]
        call = self._calls.create(
            _POOL, pool_id, pool, request_id, parent, node_count=node_count, racks=rack_names
        )
        return self._unary(call, timeout)

    def get_pool(self, name: str, *, timeout: float | None = None) -> Awaitable[t.Pool]:
        """See ``Client.get_pool``."""
        return self._unary(self._calls.get(_POOL, name), timeout)

    def list_pools(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Pool]]:
        """See ``Client.list_pools``."""
        return self._unary(self._calls.list(_POOL, parent, filter, page_size, page_token), timeout)

    def iter_pools(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[t.Pool]:
        """See ``Client.iter_pools``."""
        return self._pages(
            lambda tok: self._calls.list(_POOL, parent, filter, page_size, tok), timeout
        )

    def update_pool(
        self, pool: t.Pool, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> Awaitable[t.Pool]:
        """See ``Client.update_pool``."""
        return self._unary(self._calls.update(_POOL, pool, update_mask), timeout)

    def delete_pool(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_pool``."""
        return self._unary(self._calls.delete(_POOL, name), timeout)

    def create_node(
        self,
        parent: str,
        node_id: str,
        node: t.Node,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Node]:
        """See ``Client.create_node``."""
        call = self._calls.create(_NODE, node_id, node, request_id, parent)
        return self._unary(call, timeout)

    def get_node(self, name: str, *, timeout: float | None = None) -> Awaitable[t.Node]:
        """See ``Client.get_node``."""
        return self._unary(self._calls.get(_NODE, name), timeout)

    def list_nodes(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Node]]:
        """See ``Client.list_nodes``."""
        return self._unary(self._calls.list(_NODE, parent, filter, page_size, page_token), timeout)

    def iter_nodes(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[t.Node]:
        """See ``Client.iter_nodes``."""
        return self._pages(
            lambda tok: self._calls.list(_NODE, parent, filter, page_size, tok), timeout
        )

    def update_node(
        self, node: t.Node, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> Awaitable[t.Node]:
        """See ``Client.update_node``."""
        return self._unary(self._calls.update(_NODE, node, update_mask), timeout)

    def delete_node(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_node``."""
        return self._unary(self._calls.delete(_NODE, name), timeout)

    def create_link(
        self,
        link_id: str,
        link: t.Link,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Link]:
        """See ``Client.create_link``."""
        return self._unary(self._calls.create(_LINK, link_id, link, request_id), timeout)

    def get_link(self, name: str, *, timeout: float | None = None) -> Awaitable[t.Link]:
        """See ``Client.get_link``."""
        return self._unary(self._calls.get(_LINK, name), timeout)

    def list_links(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Link]]:
        """See ``Client.list_links``."""
        return self._unary(self._calls.list(_LINK, None, filter, page_size, page_token), timeout)

    def iter_links(
        self, *, filter: str = "", page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[t.Link]:
        """See ``Client.iter_links``."""
        return self._pages(
            lambda tok: self._calls.list(_LINK, None, filter, page_size, tok), timeout
        )

    def update_link(
        self, link: t.Link, update_mask: Iterable[str], *, timeout: float | None = None
    ) -> Awaitable[t.Link]:
        """See ``Client.update_link``."""
        return self._unary(self._calls.update(_LINK, link, update_mask), timeout)

    def delete_link(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_link``."""
        return self._unary(self._calls.delete(_LINK, name), timeout)

    def import_inventory(
        self,
        source: bytes | str | Path,
        *,
        format: t.InventoryFormat | str | None = None,
        validate_only: bool = False,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.ImportResult]:
        """See ``Client.import_inventory``."""
        return self._import(source, format, validate_only, request_id, timeout)

    async def _import(
        self,
        source: bytes | str | Path,
        fmt: t.InventoryFormat | str | None,
        validate_only: bool,
        request_id: str | None,
        timeout: float | None,  # noqa: ASYNC109 - a gRPC deadline, sent to the server
    ) -> t.ImportResult:
        if isinstance(source, str | Path):
            path = Path(source)
            content = await asyncio.to_thread(path.read_bytes)
            if fmt is None:
                fmt = _sniff_format(content, path.suffix)
            source = content
        call = self._calls.import_inventory(source, fmt, validate_only, request_id)
        return await self._unary(call, timeout)

    def export_inventory(
        self, format: t.InventoryFormat | str = "yaml", *, timeout: float | None = None
    ) -> Awaitable[bytes]:
        """See ``Client.export_inventory``."""
        return self._unary(self._calls.export_inventory(format), timeout)

    # -- scheduler -------------------------------------------------------------------------

    def submit_job(
        self,
        spec: t.JobSpec,
        job_id: str | None = None,
        request_id: str | None = None,
        *,
        parent: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Job]:
        """See ``Client.submit_job``."""
        return self._unary(self._calls.submit_job(spec, job_id, request_id, parent), timeout)

    def quote_job(
        self, spec: t.JobSpec, *, parent: str | None = None, timeout: float | None = None
    ) -> Awaitable[t.Quote]:
        """See ``Client.quote_job``."""
        return self._unary(self._calls.quote_job(spec, parent), timeout)

    def get_job(self, name: str, *, timeout: float | None = None) -> Awaitable[t.Job]:
        """See ``Client.get_job``."""
        return self._unary(self._calls.get_job(name), timeout)

    def list_jobs(
        self,
        *,
        parent: str | None = None,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Job]]:
        """See ``Client.list_jobs``."""
        return self._unary(self._calls.list_jobs(parent, filter, page_size, page_token), timeout)

    def iter_jobs(
        self,
        *,
        parent: str | None = None,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[t.Job]:
        """See ``Client.iter_jobs``."""
        return self._pages(
            lambda tok: self._calls.list_jobs(parent, filter, page_size, tok), timeout
        )

    def cancel_job(
        self, name: str, reason: str = "", *, timeout: float | None = None
    ) -> Awaitable[t.Job]:
        """See ``Client.cancel_job``."""
        return self._unary(self._calls.cancel_job(name, reason), timeout)

    def watch_jobs(
        self,
        *,
        parent: str | None = None,
        filter: str = "",
        send_initial: bool = True,
        resume: bool = True,
        timeout: float | None = None,
    ) -> AsyncGenerator[t.JobEvent, None]:
        """See ``Client.watch_jobs``."""
        call = self._calls.watch_jobs(parent, filter, send_initial)
        return self._stream(call, timeout, resume)

    def set_job_state(
        self,
        name: str,
        state: t.JobState,
        message: str = "",
        *,
        timeout: float | None = None,
    ) -> Awaitable[t.Job]:
        """See ``Client.set_job_state``."""
        return self._unary(self._calls.set_job_state(name, state, message), timeout)

    def run_batch_placement(
        self,
        *,
        time_limit: timedelta | float | None = None,
        dry_run: bool = False,
        timeout: float | None = None,
    ) -> Awaitable[t.BatchPlacementResult]:
        """See ``Client.run_batch_placement``."""
        limit = _as_timedelta(time_limit)
        if timeout is None and limit is not None:
            timeout = limit.total_seconds() + self.timeout
        return self._unary(self._calls.run_batch_placement(limit, dry_run), timeout)

    def list_policies(self, *, timeout: float | None = None) -> Awaitable[t.Policies]:
        """See ``Client.list_policies``."""
        return self._unary(self._calls.list_policies(), timeout)

    def get_tenant_quota(
        self, tenant: str | None = None, *, timeout: float | None = None
    ) -> Awaitable[t.TenantQuota]:
        """See ``Client.get_tenant_quota``."""
        return self._unary(self._calls.get_tenant_quota(tenant), timeout)

    def set_tenant_quota(
        self, quota: t.TenantQuota, *, timeout: float | None = None
    ) -> Awaitable[t.TenantQuota]:
        """See ``Client.set_tenant_quota``."""
        return self._unary(self._calls.set_tenant_quota(quota), timeout)

    def list_tenant_quotas(
        self, *, page_size: int = 0, page_token: str = "", timeout: float | None = None
    ) -> Awaitable[t.Page[t.TenantQuota]]:
        """See ``Client.list_tenant_quotas``."""
        return self._unary(self._calls.list_tenant_quotas(page_size, page_token), timeout)

    def iter_tenant_quotas(
        self, *, page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[t.TenantQuota]:
        """See ``Client.iter_tenant_quotas``."""
        return self._pages(lambda tok: self._calls.list_tenant_quotas(page_size, tok), timeout)

    def create_webhook(
        self,
        webhook_id: str,
        webhook: t.Webhook,
        *,
        parent: str | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Webhook]:
        """See ``Client.create_webhook``."""
        call = self._calls.create_webhook(webhook_id, webhook, request_id, parent)
        return self._unary(call, timeout)

    def list_webhooks(
        self,
        *,
        parent: str | None = None,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Webhook]]:
        """See ``Client.list_webhooks``."""
        return self._unary(self._calls.list_webhooks(parent, page_size, page_token), timeout)

    def iter_webhooks(
        self, *, parent: str | None = None, page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[t.Webhook]:
        """See ``Client.iter_webhooks``."""
        return self._pages(lambda tok: self._calls.list_webhooks(parent, page_size, tok), timeout)

    def delete_webhook(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_webhook``."""
        return self._unary(self._calls.delete_webhook(name), timeout)

    def list_webhook_deliveries(
        self,
        webhook: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.WebhookDelivery]]:
        """See ``Client.list_webhook_deliveries``."""
        call = self._calls.list_webhook_deliveries(webhook, page_size, page_token)
        return self._unary(call, timeout)

    def iter_webhook_deliveries(
        self, webhook: str, *, page_size: int = 0, timeout: float | None = None
    ) -> AsyncIterator[t.WebhookDelivery]:
        """See ``Client.iter_webhook_deliveries``."""
        return self._pages(
            lambda tok: self._calls.list_webhook_deliveries(webhook, page_size, tok), timeout
        )

    # -- telemetry -------------------------------------------------------------------------

    def create_meter(
        self,
        parent: str,
        meter_id: str,
        meter: t.Meter,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[t.Meter]:
        """See ``Client.create_meter``."""
        return self._unary(self._calls.create_meter(parent, meter_id, meter, request_id), timeout)

    def get_meter(self, name: str, *, timeout: float | None = None) -> Awaitable[t.Meter]:
        """See ``Client.get_meter``."""
        return self._unary(self._calls.get_meter(name), timeout)

    def list_meters(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.Page[t.Meter]]:
        """See ``Client.list_meters``."""
        call = self._calls.list_meters(parent, filter, page_size, page_token)
        return self._unary(call, timeout)

    def iter_meters(
        self,
        parent: str | None = None,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[t.Meter]:
        """See ``Client.iter_meters``."""
        return self._pages(
            lambda tok: self._calls.list_meters(parent, filter, page_size, tok), timeout
        )

    def delete_meter(self, name: str, *, timeout: float | None = None) -> Awaitable[None]:
        """See ``Client.delete_meter``."""
        return self._unary(self._calls.delete_meter(name), timeout)

    def record_readings(
        self,
        readings: Iterable[t.Reading] | AsyncIterable[t.Reading],
        *,
        batch_size: int = DEFAULT_READINGS_BATCH,
        timeout: float | None = None,
    ) -> Awaitable[t.RecordResult]:
        """See ``Client.record_readings``; also takes an async iterable."""
        messages: Any
        if isinstance(readings, AsyncIterable):
            messages = _achunks(readings, batch_size)
        else:
            messages = _chunks(readings, batch_size)
        call = self._calls.record_readings(messages)
        return self._unary(call, DEFAULT_UPLOAD_TIMEOUT if timeout is None else timeout)

    def batch_record_readings(
        self, readings: Iterable[t.Reading], *, timeout: float | None = None
    ) -> Awaitable[t.RecordResult]:
        """See ``Client.batch_record_readings``."""
        return self._unary(self._calls.batch_record_readings(readings), timeout)

    def get_pue(
        self,
        data_center: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        window_kind: t.PueWindowKind = t.PueWindowKind.UNSPECIFIED,
        subsystem: t.MeteringPoint = t.MeteringPoint.UNSPECIFIED,
        timeout: float | None = None,
    ) -> Awaitable[t.PueValue]:
        """See ``Client.get_pue``."""
        call = self._calls.get_pue(data_center, start, end, window_kind, subsystem)
        return self._unary(call, timeout)

    def get_compliance_report(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        filter: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.ComplianceReport]:
        """See ``Client.get_compliance_report``."""
        return self._unary(self._calls.get_compliance_report(start, end, filter), timeout)

    def get_utilization(
        self,
        *,
        group_by: t.UtilizationGroupBy = t.UtilizationGroupBy.DATA_CENTER,
        filter: str = "",
        timeout: float | None = None,
    ) -> Awaitable[t.UtilizationReport]:
        """See ``Client.get_utilization``."""
        return self._unary(self._calls.get_utilization(group_by, filter), timeout)
