"""Conversion between the client's dataclasses (``clients.types``) and the pb2 messages: the
only place where the two meet.

The dataclass fields carry the names of the proto fields, so one reflective converter walks
both by name, driven by the dataclass type hints: ``X | None`` is an absent message (or an
absent ``optional`` scalar), enums go by wire number (an unknown number from a newer server
reads as ``UNSPECIFIED``), ``Timestamp`` is an aware UTC ``datetime``, ``Duration`` a
``timedelta``, repeated fields tuples and maps dicts. The named ``*_from_proto`` /
``*_to_proto`` functions are that converter fixed to one type.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.message import Message

from clients import types as t
from computenet.v1 import common_pb2, inventory_pb2, scheduler_pb2, telemetry_pb2

__all__ = [
    "MESSAGE_TYPES",
    "accelerator_model_from_proto",
    "accelerator_model_to_proto",
    "batch_placement_result_from_proto",
    "compliance_report_from_proto",
    "data_center_from_proto",
    "data_center_to_proto",
    "from_proto",
    "import_result_from_proto",
    "interval_to_proto",
    "job_event_from_proto",
    "job_from_proto",
    "job_spec_from_proto",
    "job_spec_to_proto",
    "link_from_proto",
    "link_to_proto",
    "meter_from_proto",
    "meter_to_proto",
    "node_from_proto",
    "node_to_proto",
    "policies_from_proto",
    "pool_from_proto",
    "pool_to_proto",
    "pue_value_from_proto",
    "quote_from_proto",
    "rack_from_proto",
    "rack_to_proto",
    "reading_from_proto",
    "reading_to_proto",
    "record_result_from_proto",
    "region_from_proto",
    "region_to_proto",
    "tenant_quota_from_proto",
    "tenant_quota_to_proto",
    "to_proto",
    "utilization_report_from_proto",
    "webhook_delivery_from_proto",
    "webhook_from_proto",
    "webhook_to_proto",
]

D = TypeVar("D")

# The message each dataclass mirrors. Response-shaped types (ImportResult, Quote, ...) mirror
# the response message whose fields they carry.
MESSAGE_TYPES: dict[type[Any], type[Message]] = {
    t.Interval: common_pb2.Interval,
    t.EnergyEstimate: common_pb2.EnergyEstimate,
    t.LatencyEstimate: common_pb2.LatencyEstimate,
    t.AcceleratorModel: inventory_pb2.AcceleratorModel,
    t.Region: inventory_pb2.Region,
    t.DataCenter: inventory_pb2.DataCenter,
    t.Rack: inventory_pb2.Rack,
    t.Pool: inventory_pb2.Pool,
    t.Node: inventory_pb2.Node,
    t.Link: inventory_pb2.Link,
    t.ImportResult: inventory_pb2.ImportInventoryResponse,
    t.ReplicaSpec: scheduler_pb2.ReplicaSpec,
    t.Residency: scheduler_pb2.Residency,
    t.JobSpec: scheduler_pb2.JobSpec,
    t.Allocation: scheduler_pb2.Allocation,
    t.ScoreTerm: scheduler_pb2.ScoreTerm,
    t.Candidate: scheduler_pb2.Candidate,
    t.Explanation: scheduler_pb2.Explanation,
    t.Placement: scheduler_pb2.Placement,
    t.Job: scheduler_pb2.Job,
    t.JobEvent: scheduler_pb2.WatchJobsResponse,
    t.Quote: scheduler_pb2.QuoteJobResponse,
    t.BatchPlacementResult: scheduler_pb2.RunBatchPlacementResponse,
    t.Policy: scheduler_pb2.Policy,
    t.Policies: scheduler_pb2.ListPoliciesResponse,
    t.QuotaLimit: scheduler_pb2.QuotaLimit,
    t.TenantQuota: scheduler_pb2.TenantQuota,
    t.Webhook: scheduler_pb2.Webhook,
    t.WebhookDelivery: scheduler_pb2.WebhookDelivery,
    t.Meter: telemetry_pb2.Meter,
    t.Reading: telemetry_pb2.Reading,
    t.RecordResult: telemetry_pb2.RecordReadingsResponse,
    t.PueValue: telemetry_pb2.PueValue,
    t.ComplianceEntry: telemetry_pb2.ComplianceEntry,
    t.CityAverage: telemetry_pb2.CityAverage,
    t.ComplianceReport: telemetry_pb2.GetComplianceReportResponse,
    t.UtilizationRow: telemetry_pb2.UtilizationRow,
    t.UtilizationReport: telemetry_pb2.GetUtilizationResponse,
}


# --------------------------------------------------------------------------- the converter


@dataclass(frozen=True, slots=True)
class _Field:
    """How one dataclass field maps to its proto field."""

    name: str
    """Field name on both sides."""
    kind: str
    """scalar, enum, datetime, timedelta, message, map, or repeated_<one of the first five>."""
    target: Any
    """The enum or dataclass type for enum/message kinds, else None."""
    optional: bool
    """True for ``X | None``: absent on the wire reads as None."""


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _kind_of(tp: Any) -> tuple[str, Any]:
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return "enum", tp
        if issubclass(tp, datetime):
            return "datetime", None
        if issubclass(tp, timedelta):
            return "timedelta", None
        if dataclasses.is_dataclass(tp):
            return "message", tp
        return "scalar", None
    origin = typing.get_origin(tp)
    if origin is tuple:
        inner, target = _kind_of(typing.get_args(tp)[0])
        return f"repeated_{inner}", target
    if origin in (Mapping, dict):
        return "map", None
    raise TypeError(f"no proto mapping for the type {tp!r}")


_FIELDS: dict[type[Any], tuple[_Field, ...]] = {}


def _fields(cls: type[Any]) -> tuple[_Field, ...]:
    cached = _FIELDS.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        tp, optional = _unwrap_optional(hints[f.name])
        kind, target = _kind_of(tp)
        out.append(_Field(f.name, kind, target, optional))
    _FIELDS[cls] = tuple(out)
    return _FIELDS[cls]


def _enum_value(cls: type[enum.Enum], number: int) -> enum.Enum:
    try:
        return cls(number)
    except ValueError:
        return cls(0)


def _decode_one(kind: str, target: Any, value: Any) -> Any:
    if kind == "scalar":
        return value
    if kind == "enum":
        return _enum_value(target, int(value))
    if kind == "datetime":
        return value.ToDatetime(tzinfo=UTC)
    if kind == "timedelta":
        return value.ToTimedelta()
    if kind == "message":
        return from_proto(target, value)
    raise TypeError(kind)


def from_proto(cls: type[D], msg: Any) -> D:
    """The ``cls`` dataclass holding the fields of ``msg`` (any message with those fields)."""
    values: dict[str, Any] = {}
    for f in _fields(cls):
        if f.optional and not msg.HasField(f.name):
            values[f.name] = None
            continue
        raw = getattr(msg, f.name)
        if f.kind == "map":
            values[f.name] = dict(raw)
        elif f.kind.startswith("repeated_"):
            inner = f.kind.removeprefix("repeated_")
            values[f.name] = tuple(_decode_one(inner, f.target, item) for item in raw)
        else:
            values[f.name] = _decode_one(f.kind, f.target, raw)
    return cls(**values)


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamps must be timezone-aware, got the naive {value.isoformat()}")
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def _duration(value: timedelta) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromTimedelta(value)
    return d


def _encode_scalar(kind: str, value: Any) -> Any:
    if kind == "enum":
        return value.value
    return value


def _fill(obj: Any, msg: Any) -> None:
    for f in _fields(type(obj)):
        value = getattr(obj, f.name)
        if value is None:
            continue
        if f.kind in ("scalar", "enum"):
            setattr(msg, f.name, _encode_scalar(f.kind, value))
        elif f.kind == "datetime":
            getattr(msg, f.name).CopyFrom(_timestamp(value))
        elif f.kind == "timedelta":
            getattr(msg, f.name).CopyFrom(_duration(value))
        elif f.kind == "message":
            sub = getattr(msg, f.name)
            sub.SetInParent()  # an all-default value is still present
            _fill(value, sub)
        elif f.kind == "map":
            getattr(msg, f.name).update(value)
        elif f.kind == "repeated_message":
            container = getattr(msg, f.name)
            for item in value:
                _fill(item, container.add())
        elif f.kind == "repeated_datetime":
            getattr(msg, f.name).extend(_timestamp(v) for v in value)
        elif f.kind == "repeated_timedelta":
            getattr(msg, f.name).extend(_duration(v) for v in value)
        else:
            inner = f.kind.removeprefix("repeated_")
            getattr(msg, f.name).extend(_encode_scalar(inner, v) for v in value)


def to_proto(obj: Any) -> Any:
    """The pb2 message mirroring the dataclass ``obj``; None fields stay unset."""
    msg = MESSAGE_TYPES[type(obj)]()
    _fill(obj, msg)
    return msg


# --------------------------------------------------------------------------- named forms


def accelerator_model_from_proto(msg: inventory_pb2.AcceleratorModel) -> t.AcceleratorModel:
    return from_proto(t.AcceleratorModel, msg)


def accelerator_model_to_proto(obj: t.AcceleratorModel) -> inventory_pb2.AcceleratorModel:
    return to_proto(obj)  # type: ignore[no-any-return]


def region_from_proto(msg: inventory_pb2.Region) -> t.Region:
    return from_proto(t.Region, msg)


def region_to_proto(obj: t.Region) -> inventory_pb2.Region:
    return to_proto(obj)  # type: ignore[no-any-return]


def data_center_from_proto(msg: inventory_pb2.DataCenter) -> t.DataCenter:
    return from_proto(t.DataCenter, msg)


def data_center_to_proto(obj: t.DataCenter) -> inventory_pb2.DataCenter:
    return to_proto(obj)  # type: ignore[no-any-return]


def rack_from_proto(msg: inventory_pb2.Rack) -> t.Rack:
    return from_proto(t.Rack, msg)


def rack_to_proto(obj: t.Rack) -> inventory_pb2.Rack:
    return to_proto(obj)  # type: ignore[no-any-return]


def pool_from_proto(msg: inventory_pb2.Pool) -> t.Pool:
    return from_proto(t.Pool, msg)


def pool_to_proto(obj: t.Pool) -> inventory_pb2.Pool:
    return to_proto(obj)  # type: ignore[no-any-return]


def node_from_proto(msg: inventory_pb2.Node) -> t.Node:
    return from_proto(t.Node, msg)


def node_to_proto(obj: t.Node) -> inventory_pb2.Node:
    return to_proto(obj)  # type: ignore[no-any-return]


def link_from_proto(msg: inventory_pb2.Link) -> t.Link:
    return from_proto(t.Link, msg)


def link_to_proto(obj: t.Link) -> inventory_pb2.Link:
    return to_proto(obj)  # type: ignore[no-any-return]


def import_result_from_proto(msg: inventory_pb2.ImportInventoryResponse) -> t.ImportResult:
    return from_proto(t.ImportResult, msg)


def interval_to_proto(obj: t.Interval) -> common_pb2.Interval:
    return to_proto(obj)  # type: ignore[no-any-return]


def job_spec_from_proto(msg: scheduler_pb2.JobSpec) -> t.JobSpec:
    return from_proto(t.JobSpec, msg)


def job_spec_to_proto(obj: t.JobSpec) -> scheduler_pb2.JobSpec:
    return to_proto(obj)  # type: ignore[no-any-return]


def job_from_proto(msg: scheduler_pb2.Job) -> t.Job:
    return from_proto(t.Job, msg)


def job_event_from_proto(msg: scheduler_pb2.WatchJobsResponse) -> t.JobEvent:
    return from_proto(t.JobEvent, msg)


def quote_from_proto(msg: scheduler_pb2.QuoteJobResponse) -> t.Quote:
    return from_proto(t.Quote, msg)


def batch_placement_result_from_proto(
    msg: scheduler_pb2.RunBatchPlacementResponse,
) -> t.BatchPlacementResult:
    return from_proto(t.BatchPlacementResult, msg)


def policies_from_proto(msg: scheduler_pb2.ListPoliciesResponse) -> t.Policies:
    return from_proto(t.Policies, msg)


def tenant_quota_from_proto(msg: scheduler_pb2.TenantQuota) -> t.TenantQuota:
    return from_proto(t.TenantQuota, msg)


def tenant_quota_to_proto(obj: t.TenantQuota) -> scheduler_pb2.TenantQuota:
    return to_proto(obj)  # type: ignore[no-any-return]


def webhook_from_proto(msg: scheduler_pb2.Webhook) -> t.Webhook:
    return from_proto(t.Webhook, msg)


def webhook_to_proto(obj: t.Webhook) -> scheduler_pb2.Webhook:
    return to_proto(obj)  # type: ignore[no-any-return]


def webhook_delivery_from_proto(msg: scheduler_pb2.WebhookDelivery) -> t.WebhookDelivery:
    return from_proto(t.WebhookDelivery, msg)


def meter_from_proto(msg: telemetry_pb2.Meter) -> t.Meter:
    return from_proto(t.Meter, msg)


def meter_to_proto(obj: t.Meter) -> telemetry_pb2.Meter:
    return to_proto(obj)  # type: ignore[no-any-return]


def reading_from_proto(msg: telemetry_pb2.Reading) -> t.Reading:
    return from_proto(t.Reading, msg)


def reading_to_proto(obj: t.Reading) -> telemetry_pb2.Reading:
    return to_proto(obj)  # type: ignore[no-any-return]


def record_result_from_proto(msg: Any) -> t.RecordResult:
    """From a ``RecordReadingsResponse`` or a ``BatchRecordReadingsResponse`` (same fields)."""
    return from_proto(t.RecordResult, msg)


def pue_value_from_proto(msg: telemetry_pb2.PueValue) -> t.PueValue:
    return from_proto(t.PueValue, msg)


def compliance_report_from_proto(
    msg: telemetry_pb2.GetComplianceReportResponse,
) -> t.ComplianceReport:
    return from_proto(t.ComplianceReport, msg)


def utilization_report_from_proto(
    msg: telemetry_pb2.GetUtilizationResponse,
) -> t.UtilizationReport:
    return from_proto(t.UtilizationReport, msg)
