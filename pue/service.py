"""gRPC servicer of telemetry: meters, readings, PUE, compliance and utilization.

Decode the request, call ``Ingest`` / ``Telemetry`` / the injected utilization source, encode
the answer. Proto types stop here: the ``*_from_proto`` / ``*_to_proto`` functions convert
them to and from the pue types.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

import grpc
from google.protobuf import timestamp_pb2

from computenet import auth
from computenet.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from computenet.service import (
    decode_page_token,
    encode_page_token,
    page_size,
    parse_filter,
    parse_name,
    rpc,
)
from computenet.v1 import common_pb2
from computenet.v1 import telemetry_pb2 as pb
from computenet.v1 import telemetry_pb2_grpc as pb_grpc
from pue.compliance import CityAverage, ComplianceEntry
from pue.compute import SUBSYSTEM_METERING_POINTS
from pue.domain import Meter, MeteringPoint, PueCategory
from pue.ingest import MAX_BATCH_READINGS, IncomingReading, Ingest, meter_name
from pue.telemetry import COMPLIANCE_WINDOW, PUE_WINDOW, PueReport, Telemetry, resolve_window
from pue.views import UtilizationGroup, UtilizationReport, UtilizationRow, UtilizationSource

__all__ = [
    "TelemetryServicer",
    "city_average_to_proto",
    "compliance_entry_to_proto",
    "meter_from_proto",
    "meter_to_proto",
    "metering_point_from_proto",
    "metering_point_to_proto",
    "pue_report_to_proto",
    "reading_from_proto",
    "utilization_report_to_proto",
    "utilization_row_to_proto",
]

_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?\Z")

_POINTS: dict[int, MeteringPoint] = {
    pb.METERING_POINT_UTILITY_INPUT: MeteringPoint.UTILITY_INPUT,
    pb.METERING_POINT_UPS_OUTPUT: MeteringPoint.UPS_OUTPUT,
    pb.METERING_POINT_PDU_OUTPUT: MeteringPoint.PDU_OUTPUT,
    pb.METERING_POINT_IT_INPUT: MeteringPoint.IT_INPUT,
    pb.METERING_POINT_COOLING: MeteringPoint.COOLING,
    pb.METERING_POINT_LIGHTING: MeteringPoint.LIGHTING,
    pb.METERING_POINT_OTHER: MeteringPoint.OTHER,
}
_POINT_NUMBERS = {v: cast(pb.MeteringPoint, k) for k, v in _POINTS.items()}

_GROUPS: dict[int, UtilizationGroup] = {
    pb.UTILIZATION_GROUP_BY_UNSPECIFIED: UtilizationGroup.DATA_CENTER,
    pb.UTILIZATION_GROUP_BY_DATA_CENTER: UtilizationGroup.DATA_CENTER,
    pb.UTILIZATION_GROUP_BY_POOL: UtilizationGroup.POOL,
    pb.UTILIZATION_GROUP_BY_ACCELERATOR_MODEL: UtilizationGroup.ACCELERATOR_MODEL,
    pb.UTILIZATION_GROUP_BY_TENANT: UtilizationGroup.TENANT,
}

_CATEGORIES = {
    PueCategory.BASIC: pb.PUE_CATEGORY_BASIC,
    PueCategory.INTERMEDIATE: pb.PUE_CATEGORY_INTERMEDIATE,
    PueCategory.ADVANCED: pb.PUE_CATEGORY_ADVANCED,
}

_DC_FILTERS = ("region", "province")


def _id(name: str, pattern: str, field: str, *, wildcard: bool = False) -> tuple[str, ...]:
    """The ids of a resource name, each an AIP-122 id (or ``-`` when ``wildcard``)."""
    key = parse_name(name, pattern, field)
    for ident in key:
        if not (_ID.match(ident) or (wildcard and ident == "-")):
            raise InvalidArgument(
                f"{field} {name!r} holds an invalid id {ident!r}",
                [FieldViolation(field, f"{ident!r} is not a valid resource id")],
            )
    return key


def metering_point_from_proto(value: int, field: str) -> MeteringPoint:
    point = _POINTS.get(value)
    if point is None:
        raise InvalidArgument(
            f"{field} must be set to a metering point",
            [
                FieldViolation(
                    field,
                    "must be one of UTILITY_INPUT, UPS_OUTPUT, PDU_OUTPUT, "
                    "IT_INPUT, COOLING, LIGHTING, OTHER",
                )
            ],
        )
    return point


def metering_point_to_proto(point: MeteringPoint) -> pb.MeteringPoint:
    return _POINT_NUMBERS[point]


def meter_to_proto(m: Meter) -> pb.Meter:
    return pb.Meter(
        name=meter_name(m.data_center_id, m.id),
        metering_point=metering_point_to_proto(m.metering_point),
        description=m.description or "",
    )


def meter_from_proto(msg: pb.Meter, data_center: str, meter_id: str) -> Meter:
    if len(msg.description) > 1000 or "\x00" in msg.description:
        raise InvalidArgument(
            "meter.description is invalid",
            [FieldViolation("meter.description", "at most 1000 characters, without NUL")],
        )
    return Meter(
        id=meter_id,
        data_center_id=data_center,
        metering_point=metering_point_from_proto(msg.metering_point, "meter.metering_point"),
        description=msg.description or None,
    )


def _datetime(ts: timestamp_pb2.Timestamp, field: str) -> datetime:
    """An aware datetime; a Timestamp outside years 1-9999 or with bad nanos is
    INVALID_ARGUMENT (the conversion would raise, and end the call INTERNAL)."""
    try:
        return ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidArgument(
            f"{field} is not a valid time", [FieldViolation(field, str(exc))]
        ) from None


def reading_from_proto(msg: pb.Reading, field: str = "read_time") -> IncomingReading:
    return IncomingReading(
        meter=msg.meter,
        timestamp=_datetime(msg.read_time, field) if msg.HasField("read_time") else None,
        energy_kwh=msg.energy_kwh if msg.HasField("energy_kwh") else None,
        power_kw=msg.power_kw if msg.HasField("power_kw") else None,
    )


def _interval(start: datetime, end: datetime) -> common_pb2.Interval:
    msg = common_pb2.Interval()
    msg.start_time.FromDatetime(start)
    msg.end_time.FromDatetime(end)
    return msg


def _interval_from_proto(
    msg: common_pb2.Interval, present: bool
) -> tuple[datetime | None, datetime | None]:
    if not present:
        return None, None
    start = _datetime(msg.start_time, "interval.start_time") if msg.HasField("start_time") else None
    end = _datetime(msg.end_time, "interval.end_time") if msg.HasField("end_time") else None
    return start, end


def pue_report_to_proto(r: PueReport) -> pb.PueValue:
    return pb.PueValue(
        data_center=f"dataCenters/{r.data_center}",
        value=r.value,
        interval=_interval(r.window.start, r.window.end),
        category=_CATEGORIES[r.category],
        coverage=r.coverage,
        facility_energy_kwh=r.facility_energy_kwh,
        it_energy_kwh=r.it_energy_kwh,
        gaps=[_interval(a, b) for a, b in r.gaps],
        counter_resets=r.counter_resets,
        cue_kg_per_kwh=r.cue_kg_per_kwh,
        partial=r.partial,
    )


def compliance_entry_to_proto(e: ComplianceEntry) -> pb.ComplianceEntry:
    return pb.ComplianceEntry(
        data_center=f"dataCenters/{e.data_center}",
        pue=e.pue,
        basis=(
            common_pb2.PUE_BASIS_MEASURED if e.basis == "measured" else common_pb2.PUE_BASIS_DESIGN
        ),
        own_target=e.own_target,
        policy_target=e.policy_target,
        policy_target_source=e.policy_target_source,
        compliant=e.compliant,
        excess=e.excess,
        coverage=e.coverage,
    )


def city_average_to_proto(c: CityAverage) -> pb.CityAverage:
    return pb.CityAverage(
        region=f"regions/{c.region}", pue=c.pue, target=c.target, compliant=c.compliant
    )


def utilization_row_to_proto(r: UtilizationRow) -> pb.UtilizationRow:
    return pb.UtilizationRow(
        key=r.key,
        allocated_accelerators=r.allocated_accelerators,
        total_accelerators=r.total_accelerators,
        utilization=r.utilization,
        allocated_pflops=r.allocated_pflops,
        total_pflops=r.total_pflops,
        energy_kwh=r.energy_kwh,
        cost_cny=r.cost_cny,
        carbon_kg=r.carbon_kg,
        running_jobs=r.running_jobs,
    )


def utilization_report_to_proto(r: UtilizationReport) -> pb.GetUtilizationResponse:
    return pb.GetUtilizationResponse(
        rows=[utilization_row_to_proto(row) for row in r.rows],
        total=utilization_row_to_proto(r.total),
        ai_compute_share=r.ai_compute_share,
    )


def _point_filter(filters: dict[str, str]) -> dict[str, str]:
    """``metering_point`` filter values as stored: IT_INPUT, METERING_POINT_IT_INPUT or
    it_input all name the same point."""
    if "metering_point" not in filters:
        return filters
    raw = filters["metering_point"].strip()
    name = raw.upper().removeprefix("METERING_POINT_")
    try:
        point = MeteringPoint[name]
    except KeyError:
        raise InvalidArgument(
            f"unknown metering point {raw!r} in filter",
            [
                FieldViolation(
                    "filter",
                    f"metering_point must be one of {', '.join(p.name for p in MeteringPoint)}",
                )
            ],
        ) from None
    return {**filters, "metering_point": point.value}


class TelemetryServicer(pb_grpc.TelemetryServiceServicer):
    """TelemetryService over ``Ingest``, ``Telemetry`` and a utilization source."""

    def __init__(
        self,
        telemetry: Telemetry,
        ingest: Ingest,
        utilization: UtilizationSource | None = None,
    ) -> None:
        self._telemetry = telemetry
        self._ingest = ingest
        self._store = telemetry.store
        self._utilization = utilization

    async def _meter(self, name: str) -> Meter:
        dc, meter_id = _id(name, "dataCenters/{}/meters/{}", "name")
        meter = await asyncio.to_thread(self._store.get_meter, meter_id)
        if meter.data_center_id != dc:
            raise NotFound(f"meter {name!r} does not exist")
        return meter

    @rpc
    async def CreateMeter(
        self, request: pb.CreateMeterRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateMeterResponse:
        auth.require_operator()
        (dc,) = _id(request.parent, "dataCenters/{}", "parent")
        if not _ID.match(request.meter_id):
            raise InvalidArgument(
                f"meter_id {request.meter_id!r} is not a valid id",
                [
                    FieldViolation(
                        "meter_id",
                        "use 1-63 lower-case letters, digits and hyphens, starting with a letter",
                    )
                ],
            )
        meter = meter_from_proto(request.meter, dc, request.meter_id)
        if dc not in await asyncio.to_thread(self._telemetry.data_centers):
            raise InvalidArgument(
                f"unknown data center {dc!r}", [FieldViolation("parent", "unknown data center")]
            )
        created = await asyncio.to_thread(
            self._store.create_meter, meter, request_id=request.request_id
        )
        return pb.CreateMeterResponse(meter=meter_to_proto(created))

    @rpc
    async def GetMeter(
        self, request: pb.GetMeterRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMeterResponse:
        return pb.GetMeterResponse(meter=meter_to_proto(await self._meter(request.name)))

    @rpc
    async def ListMeters(
        self, request: pb.ListMetersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMetersResponse:
        (dc,) = _id(request.parent, "dataCenters/{}", "parent", wildcard=True)
        filters = _point_filter(parse_filter(request.filter, {"metering_point"}))
        query = (request.parent, request.filter)
        after = decode_page_token(request.page_token, query)
        page = await asyncio.to_thread(
            self._store.list_meters,
            data_center=None if dc == "-" else dc,
            filters=filters,
            page_size=page_size(request.page_size),
            after=after,
        )
        return pb.ListMetersResponse(
            meters=[meter_to_proto(m) for m in page.items],
            next_page_token=encode_page_token(page.next_key, query),
            total_size=page.total_size,
        )

    @rpc
    async def DeleteMeter(
        self, request: pb.DeleteMeterRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteMeterResponse:
        auth.require_operator()
        meter = await self._meter(request.name)
        await asyncio.to_thread(self._store.delete_meter, meter.id)
        return pb.DeleteMeterResponse()

    @rpc
    async def RecordReadings(
        self,
        request_iterator: AsyncIterator[pb.RecordReadingsRequest],
        context: grpc.aio.ServicerContext,
    ) -> pb.RecordReadingsResponse:
        auth.require_operator()
        # The whole stream is one batch (all or nothing), indexed across its messages.
        items: list[IncomingReading] = []
        async for message in request_iterator:
            base = len(items)
            items.extend(
                reading_from_proto(r, f"readings[{base + i}].read_time")
                for i, r in enumerate(message.readings)
            )
            if len(items) > MAX_BATCH_READINGS:
                raise InvalidArgument(
                    f"more than {MAX_BATCH_READINGS} readings in one stream; nothing was stored",
                    [
                        FieldViolation(
                            "readings",
                            f"end the stream every {MAX_BATCH_READINGS} readings and start another",
                        )
                    ],
                )
        result = await self._ingest.record(items)
        return pb.RecordReadingsResponse(accepted=result.accepted, duplicates=result.duplicates)

    @rpc
    async def BatchRecordReadings(
        self, request: pb.BatchRecordReadingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.BatchRecordReadingsResponse:
        auth.require_operator()
        result = await self._ingest.record(
            [
                reading_from_proto(r, f"readings[{i}].read_time")
                for i, r in enumerate(request.readings)
            ]
        )
        return pb.BatchRecordReadingsResponse(
            accepted=result.accepted, duplicates=result.duplicates
        )

    @rpc
    async def GetPue(
        self, request: pb.GetPueRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPueResponse:
        (dc,) = _id(request.data_center, "dataCenters/{}", "data_center")
        start, end = _interval_from_proto(request.interval, request.HasField("interval"))
        window = resolve_window(start, end, default_span=PUE_WINDOW, now=self._telemetry.now())
        if request.window_kind not in (
            pb.PUE_WINDOW_KIND_UNSPECIFIED,
            pb.PUE_WINDOW_KIND_INTERVAL,
            pb.PUE_WINDOW_KIND_ANNUALISED,
        ):
            raise InvalidArgument(
                "window_kind is unknown", [FieldViolation("window_kind", "unknown enum value")]
            )
        subsystem = None
        if request.subsystem != pb.METERING_POINT_UNSPECIFIED:
            subsystem = metering_point_from_proto(request.subsystem, "subsystem")
            if subsystem not in SUBSYSTEM_METERING_POINTS:
                raise InvalidArgument(
                    f"{subsystem.name} is not an infrastructure subsystem",
                    [FieldViolation("subsystem", "must be COOLING, LIGHTING or OTHER")],
                )
        report = await asyncio.to_thread(
            self._telemetry.pue,
            dc,
            window,
            annualised=request.window_kind == pb.PUE_WINDOW_KIND_ANNUALISED,
            subsystem=subsystem,
        )
        return pb.GetPueResponse(pue=pue_report_to_proto(report))

    @rpc
    async def GetComplianceReport(
        self, request: pb.GetComplianceReportRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetComplianceReportResponse:
        filters = parse_filter(request.filter, _DC_FILTERS)
        start, end = _interval_from_proto(request.interval, request.HasField("interval"))
        window = resolve_window(
            start, end, default_span=COMPLIANCE_WINDOW, now=self._telemetry.now()
        )
        report = await asyncio.to_thread(self._telemetry.compliance, window, filters=filters)
        return pb.GetComplianceReportResponse(
            entries=[compliance_entry_to_proto(e) for e in report.entries],
            city_averages=[city_average_to_proto(c) for c in report.city_averages],
        )

    @rpc
    async def GetUtilization(
        self, request: pb.GetUtilizationRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetUtilizationResponse:
        auth.require_operator()
        group = _GROUPS.get(request.group_by)
        if group is None:
            raise InvalidArgument(
                "group_by is unknown", [FieldViolation("group_by", "unknown enum value")]
            )
        filters = parse_filter(request.filter, _DC_FILTERS)
        if self._utilization is None:
            raise FailedPrecondition("this server has no utilization source")
        report = await self._utilization(group, filters)
        return utilization_report_to_proto(report)
