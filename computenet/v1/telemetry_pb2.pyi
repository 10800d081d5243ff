import datetime

from computenet.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MeteringPoint(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METERING_POINT_UNSPECIFIED: _ClassVar[MeteringPoint]
    METERING_POINT_UTILITY_INPUT: _ClassVar[MeteringPoint]
    METERING_POINT_UPS_OUTPUT: _ClassVar[MeteringPoint]
    METERING_POINT_PDU_OUTPUT: _ClassVar[MeteringPoint]
    METERING_POINT_IT_INPUT: _ClassVar[MeteringPoint]
    METERING_POINT_COOLING: _ClassVar[MeteringPoint]
    METERING_POINT_LIGHTING: _ClassVar[MeteringPoint]
    METERING_POINT_OTHER: _ClassVar[MeteringPoint]

class PueCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PUE_CATEGORY_UNSPECIFIED: _ClassVar[PueCategory]
    PUE_CATEGORY_BASIC: _ClassVar[PueCategory]
    PUE_CATEGORY_INTERMEDIATE: _ClassVar[PueCategory]
    PUE_CATEGORY_ADVANCED: _ClassVar[PueCategory]

class PueWindowKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PUE_WINDOW_KIND_UNSPECIFIED: _ClassVar[PueWindowKind]
    PUE_WINDOW_KIND_INTERVAL: _ClassVar[PueWindowKind]
    PUE_WINDOW_KIND_ANNUALISED: _ClassVar[PueWindowKind]

class UtilizationGroupBy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UTILIZATION_GROUP_BY_UNSPECIFIED: _ClassVar[UtilizationGroupBy]
    UTILIZATION_GROUP_BY_DATA_CENTER: _ClassVar[UtilizationGroupBy]
    UTILIZATION_GROUP_BY_POOL: _ClassVar[UtilizationGroupBy]
    UTILIZATION_GROUP_BY_ACCELERATOR_MODEL: _ClassVar[UtilizationGroupBy]
    UTILIZATION_GROUP_BY_TENANT: _ClassVar[UtilizationGroupBy]
METERING_POINT_UNSPECIFIED: MeteringPoint
METERING_POINT_UTILITY_INPUT: MeteringPoint
METERING_POINT_UPS_OUTPUT: MeteringPoint
METERING_POINT_PDU_OUTPUT: MeteringPoint
METERING_POINT_IT_INPUT: MeteringPoint
METERING_POINT_COOLING: MeteringPoint
METERING_POINT_LIGHTING: MeteringPoint
METERING_POINT_OTHER: MeteringPoint
PUE_CATEGORY_UNSPECIFIED: PueCategory
PUE_CATEGORY_BASIC: PueCategory
PUE_CATEGORY_INTERMEDIATE: PueCategory
PUE_CATEGORY_ADVANCED: PueCategory
PUE_WINDOW_KIND_UNSPECIFIED: PueWindowKind
PUE_WINDOW_KIND_INTERVAL: PueWindowKind
PUE_WINDOW_KIND_ANNUALISED: PueWindowKind
UTILIZATION_GROUP_BY_UNSPECIFIED: UtilizationGroupBy
UTILIZATION_GROUP_BY_DATA_CENTER: UtilizationGroupBy
UTILIZATION_GROUP_BY_POOL: UtilizationGroupBy
UTILIZATION_GROUP_BY_ACCELERATOR_MODEL: UtilizationGroupBy
UTILIZATION_GROUP_BY_TENANT: UtilizationGroupBy

class Meter(_message.Message):
    __slots__ = ("name", "metering_point", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    METERING_POINT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    metering_point: MeteringPoint
    description: str
    def __init__(self, name: _Optional[str] = ..., metering_point: _Optional[_Union[MeteringPoint, str]] = ..., description: _Optional[str] = ...) -> None: ...

class Reading(_message.Message):
    __slots__ = ("meter", "read_time", "energy_kwh", "power_kw")
    METER_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    POWER_KW_FIELD_NUMBER: _ClassVar[int]
    meter: str
    read_time: _timestamp_pb2.Timestamp
    energy_kwh: float
    power_kw: float
    def __init__(self, meter: _Optional[str] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., energy_kwh: _Optional[float] = ..., power_kw: _Optional[float] = ...) -> None: ...

class CreateMeterRequest(_message.Message):
    __slots__ = ("parent", "meter_id", "meter", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    METER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    meter_id: str
    meter: Meter
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., meter_id: _Optional[str] = ..., meter: _Optional[_Union[Meter, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateMeterResponse(_message.Message):
    __slots__ = ("meter",)
    METER_FIELD_NUMBER: _ClassVar[int]
    meter: Meter
    def __init__(self, meter: _Optional[_Union[Meter, _Mapping]] = ...) -> None: ...

class GetMeterRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetMeterResponse(_message.Message):
    __slots__ = ("meter",)
    METER_FIELD_NUMBER: _ClassVar[int]
    meter: Meter
    def __init__(self, meter: _Optional[_Union[Meter, _Mapping]] = ...) -> None: ...

class ListMetersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "filter")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    filter: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class ListMetersResponse(_message.Message):
    __slots__ = ("meters", "next_page_token", "total_size")
    METERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    meters: _containers.RepeatedCompositeFieldContainer[Meter]
    next_page_token: str
    total_size: int
    def __init__(self, meters: _Optional[_Iterable[_Union[Meter, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class DeleteMeterRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteMeterResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RecordReadingsRequest(_message.Message):
    __slots__ = ("readings",)
    READINGS_FIELD_NUMBER: _ClassVar[int]
    readings: _containers.RepeatedCompositeFieldContainer[Reading]
    def __init__(self, readings: _Optional[_Iterable[_Union[Reading, _Mapping]]] = ...) -> None: ...

class RecordReadingsResponse(_message.Message):
    __slots__ = ("accepted", "duplicates")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class BatchRecordReadingsRequest(_message.Message):
    __slots__ = ("readings",)
    READINGS_FIELD_NUMBER: _ClassVar[int]
    readings: _containers.RepeatedCompositeFieldContainer[Reading]
    def __init__(self, readings: _Optional[_Iterable[_Union[Reading, _Mapping]]] = ...) -> None: ...

class BatchRecordReadingsResponse(_message.Message):
    __slots__ = ("accepted", "duplicates")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class GetPueRequest(_message.Message):
    __slots__ = ("data_center", "interval", "window_kind", "subsystem")
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    WINDOW_KIND_FIELD_NUMBER: _ClassVar[int]
    SUBSYSTEM_FIELD_NUMBER: _ClassVar[int]
    data_center: str
    interval: _common_pb2.Interval
    window_kind: PueWindowKind
    subsystem: MeteringPoint
    def __init__(self, data_center: _Optional[str] = ..., interval: _Optional[_Union[_common_pb2.Interval, _Mapping]] = ..., window_kind: _Optional[_Union[PueWindowKind, str]] = ..., subsystem: _Optional[_Union[MeteringPoint, str]] = ...) -> None: ...

class PueValue(_message.Message):
    __slots__ = ("data_center", "value", "interval", "category", "coverage", "facility_energy_kwh", "it_energy_kwh", "gaps", "counter_resets", "cue_kg_per_kwh", "partial")
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    IT_ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    COUNTER_RESETS_FIELD_NUMBER: _ClassVar[int]
    CUE_KG_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    data_center: str
    value: float
    interval: _common_pb2.Interval
    category: PueCategory
    coverage: float
    facility_energy_kwh: float
    it_energy_kwh: float
    gaps: _containers.RepeatedCompositeFieldContainer[_common_pb2.Interval]
    counter_resets: int
    cue_kg_per_kwh: float
    partial: bool
    def __init__(self, data_center: _Optional[str] = ..., value: _Optional[float] = ..., interval: _Optional[_Union[_common_pb2.Interval, _Mapping]] = ..., category: _Optional[_Union[PueCategory, str]] = ..., coverage: _Optional[float] = ..., facility_energy_kwh: _Optional[float] = ..., it_energy_kwh: _Optional[float] = ..., gaps: _Optional[_Iterable[_Union[_common_pb2.Interval, _Mapping]]] = ..., counter_resets: _Optional[int] = ..., cue_kg_per_kwh: _Optional[float] = ..., partial: bool = ...) -> None: ...

class GetPueResponse(_message.Message):
    __slots__ = ("pue",)
    PUE_FIELD_NUMBER: _ClassVar[int]
    pue: PueValue
    def __init__(self, pue: _Optional[_Union[PueValue, _Mapping]] = ...) -> None: ...

class GetComplianceReportRequest(_message.Message):
    __slots__ = ("interval", "filter")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    interval: _common_pb2.Interval
    filter: str
    def __init__(self, interval: _Optional[_Union[_common_pb2.Interval, _Mapping]] = ..., filter: _Optional[str] = ...) -> None: ...

class ComplianceEntry(_message.Message):
    __slots__ = ("data_center", "pue", "basis", "own_target", "policy_target", "policy_target_source", "compliant", "excess", "coverage")
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    PUE_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    OWN_TARGET_FIELD_NUMBER: _ClassVar[int]
    POLICY_TARGET_FIELD_NUMBER: _ClassVar[int]
    POLICY_TARGET_SOURCE_FIELD_NUMBER: _ClassVar[int]
    COMPLIANT_FIELD_NUMBER: _ClassVar[int]
    EXCESS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    data_center: str
    pue: float
    basis: _common_pb2.PueBasis
    own_target: float
    policy_target: float
    policy_target_source: str
    compliant: bool
    excess: float
    coverage: float
    def __init__(self, data_center: _Optional[str] = ..., pue: _Optional[float] = ..., basis: _Optional[_Union[_common_pb2.PueBasis, str]] = ..., own_target: _Optional[float] = ..., policy_target: _Optional[float] = ..., policy_target_source: _Optional[str] = ..., compliant: bool = ..., excess: _Optional[float] = ..., coverage: _Optional[float] = ...) -> None: ...

class GetComplianceReportResponse(_message.Message):
    __slots__ = ("entries", "city_averages")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    CITY_AVERAGES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[ComplianceEntry]
    city_averages: _containers.RepeatedCompositeFieldContainer[CityAverage]
    def __init__(self, entries: _Optional[_Iterable[_Union[ComplianceEntry, _Mapping]]] = ..., city_averages: _Optional[_Iterable[_Union[CityAverage, _Mapping]]] = ...) -> None: ...

class CityAverage(_message.Message):
    __slots__ = ("region", "pue", "target", "compliant")
    REGION_FIELD_NUMBER: _ClassVar[int]
    PUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    COMPLIANT_FIELD_NUMBER: _ClassVar[int]
    region: str
    pue: float
    target: float
    compliant: bool
    def __init__(self, region: _Optional[str] = ..., pue: _Optional[float] = ..., target: _Optional[float] = ..., compliant: bool = ...) -> None: ...

class GetUtilizationRequest(_message.Message):
    __slots__ = ("group_by", "filter")
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    group_by: UtilizationGroupBy
    filter: str
    def __init__(self, group_by: _Optional[_Union[UtilizationGroupBy, str]] = ..., filter: _Optional[str] = ...) -> None: ...

class UtilizationRow(_message.Message):
    __slots__ = ("key", "allocated_accelerators", "total_accelerators", "utilization", "allocated_pflops", "total_pflops", "energy_kwh", "cost_cny", "carbon_kg", "running_jobs")
    KEY_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_ACCELERATORS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ACCELERATORS_FIELD_NUMBER: _ClassVar[int]
    UTILIZATION_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_PFLOPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PFLOPS_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    COST_CNY_FIELD_NUMBER: _ClassVar[int]
    CARBON_KG_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOBS_FIELD_NUMBER: _ClassVar[int]
    key: str
    allocated_accelerators: float
    total_accelerators: float
    utilization: float
    allocated_pflops: float
    total_pflops: float
    energy_kwh: float
    cost_cny: float
    carbon_kg: float
    running_jobs: int
    def __init__(self, key: _Optional[str] = ..., allocated_accelerators: _Optional[float] = ..., total_accelerators: _Optional[float] = ..., utilization: _Optional[float] = ..., allocated_pflops: _Optional[float] = ..., total_pflops: _Optional[float] = ..., energy_kwh: _Optional[float] = ..., cost_cny: _Optional[float] = ..., carbon_kg: _Optional[float] = ..., running_jobs: _Optional[int] = ...) -> None: ...

class GetUtilizationResponse(_message.Message):
    __slots__ = ("rows", "total", "ai_compute_share")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    AI_COMPUTE_SHARE_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[UtilizationRow]
    total: UtilizationRow
    ai_compute_share: float
    def __init__(self, rows: _Optional[_Iterable[_Union[UtilizationRow, _Mapping]]] = ..., total: _Optional[_Union[UtilizationRow, _Mapping]] = ..., ai_compute_share: _Optional[float] = ...) -> None: ...
