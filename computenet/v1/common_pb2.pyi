import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PueBasis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PUE_BASIS_UNSPECIFIED: _ClassVar[PueBasis]
    PUE_BASIS_MEASURED: _ClassVar[PueBasis]
    PUE_BASIS_DESIGN: _ClassVar[PueBasis]

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_ARGUMENT: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_ALREADY_EXISTS: _ClassVar[ErrorReason]
    ERROR_REASON_DATA_CENTER_NOT_EMPTY: _ClassVar[ErrorReason]
    ERROR_REASON_RESOURCE_EXHAUSTED: _ClassVar[ErrorReason]
    ERROR_REASON_JOB_STATE: _ClassVar[ErrorReason]
    ERROR_REASON_UNAUTHENTICATED: _ClassVar[ErrorReason]
    ERROR_REASON_PERMISSION_DENIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_PAGE_TOKEN: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_UPDATE_MASK: _ClassVar[ErrorReason]
    ERROR_REASON_IN_USE: _ClassVar[ErrorReason]
    ERROR_REASON_FAILED_PRECONDITION: _ClassVar[ErrorReason]
    ERROR_REASON_ABORTED: _ClassVar[ErrorReason]
    ERROR_REASON_UNAVAILABLE: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_ACTIVE_PLACER: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_METERING: _ClassVar[ErrorReason]
    ERROR_REASON_INSUFFICIENT_METER_DATA: _ClassVar[ErrorReason]
PUE_BASIS_UNSPECIFIED: PueBasis
PUE_BASIS_MEASURED: PueBasis
PUE_BASIS_DESIGN: PueBasis
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_INVALID_ARGUMENT: ErrorReason
ERROR_REASON_NOT_FOUND: ErrorReason
ERROR_REASON_ALREADY_EXISTS: ErrorReason
ERROR_REASON_DATA_CENTER_NOT_EMPTY: ErrorReason
ERROR_REASON_RESOURCE_EXHAUSTED: ErrorReason
ERROR_REASON_JOB_STATE: ErrorReason
ERROR_REASON_UNAUTHENTICATED: ErrorReason
ERROR_REASON_PERMISSION_DENIED: ErrorReason
ERROR_REASON_INVALID_PAGE_TOKEN: ErrorReason
ERROR_REASON_INVALID_UPDATE_MASK: ErrorReason
ERROR_REASON_IN_USE: ErrorReason
ERROR_REASON_FAILED_PRECONDITION: ErrorReason
ERROR_REASON_ABORTED: ErrorReason
ERROR_REASON_UNAVAILABLE: ErrorReason
ERROR_REASON_NOT_ACTIVE_PLACER: ErrorReason
ERROR_REASON_INVALID_METERING: ErrorReason
ERROR_REASON_INSUFFICIENT_METER_DATA: ErrorReason

class Interval(_message.Message):
    __slots__ = ("start_time", "end_time")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EnergyEstimate(_message.Message):
    __slots__ = ("energy_kwh", "cost_cny", "carbon_kg", "pue", "pue_basis", "it_energy_kwh")
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    COST_CNY_FIELD_NUMBER: _ClassVar[int]
    CARBON_KG_FIELD_NUMBER: _ClassVar[int]
    PUE_FIELD_NUMBER: _ClassVar[int]
    PUE_BASIS_FIELD_NUMBER: _ClassVar[int]
    IT_ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    energy_kwh: float
    cost_cny: float
    carbon_kg: float
    pue: float
    pue_basis: PueBasis
    it_energy_kwh: float
    def __init__(self, energy_kwh: _Optional[float] = ..., cost_cny: _Optional[float] = ..., carbon_kg: _Optional[float] = ..., pue: _Optional[float] = ..., pue_basis: _Optional[_Union[PueBasis, str]] = ..., it_energy_kwh: _Optional[float] = ...) -> None: ...

class LatencyEstimate(_message.Message):
    __slots__ = ("rtt_ms", "estimated")
    RTT_MS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    rtt_ms: float
    estimated: bool
    def __init__(self, rtt_ms: _Optional[float] = ..., estimated: bool = ...) -> None: ...
