"""Domain types of PUE telemetry: meters, readings, windows and the results computed from them.

The vocabulary follows ISO/IEC 30134-2 (PUE) and The Green Grid's partial PUE and CUE:
total facility energy E_DC is metered at the utility input, IT energy E_IT at one of three
points whose position sets the PUE category (UPS output = 1 basic, PDU output = 2
intermediate, IT equipment input = 3 advanced).

Errors are the project's one tree (``computenet.errors``); the PUE maths narrows it::

    FailedPrecondition
    ├── InvalidMeteringError   reason INVALID_METERING: the data contradict physics (PUE < 1)
    └── InsufficientDataError  reason INSUFFICIENT_METER_DATA: no overlapping facility and
                               IT data in the window
    InvalidArgument            a bad value from the caller (naive time, empty reading, ...)
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from computenet.errors import FailedPrecondition, FieldViolation, InvalidArgument

__all__ = [
    "Cue",
    "Gap",
    "GapKind",
    "InsufficientDataError",
    "InvalidMeteringError",
    "Meter",
    "MeterEnergy",
    "MeteringPoint",
    "PartialPueResult",
    "PueCategory",
    "PueChoice",
    "PueResult",
    "Reading",
    "Window",
    "invalid",
]


class InvalidMeteringError(FailedPrecondition):
    """The readings contradict physics, e.g. facility energy below IT energy (PUE < 1)."""

    reason = "INVALID_METERING"


class InsufficientDataError(FailedPrecondition):
    """The readings do not cover enough of the window to compute the quantity at all."""

    reason = "INSUFFICIENT_METER_DATA"


def invalid(field: str, description: str) -> InvalidArgument:
    """An InvalidArgument naming one bad field; the message is the description."""
    return InvalidArgument(description, [FieldViolation(field, description)])


def _require_utc(name: str, value: datetime) -> datetime:
    # Naive datetimes are ambiguous across the country's data centers and the collectors
    # that feed them; refuse them rather than guess a zone.
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(name, f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


class MeteringPoint(enum.StrEnum):
    """Where in the power chain a meter sits."""

    UTILITY_INPUT = "utility_input"
    """Total facility energy E_DC: the grid connection(s) of the data center."""
    UPS_OUTPUT = "ups_output"
    """IT energy at the UPS output (ISO/IEC 30134-2 category 1, basic)."""
    PDU_OUTPUT = "pdu_output"
    """IT energy at the PDU output (category 2, intermediate)."""
    IT_INPUT = "it_input"
    """IT energy at the IT equipment input, e.g. server PSU or rack PDU outlet (category 3)."""
    COOLING = "cooling"
    """Cooling subsystem (chillers, CRAH, pumps, towers), for partial PUE."""
    LIGHTING = "lighting"
    """Lighting subsystem, for partial PUE."""
    OTHER = "other"
    """Any other infrastructure subsystem (security, offices inside the boundary), for pPUE."""


class PueCategory(enum.IntEnum):
    """ISO/IEC 30134-2 PUE category, set by the IT metering point and the reading interval."""

    BASIC = 1
    """PUE1: IT energy at UPS output, read at least monthly."""
    INTERMEDIATE = 2
    """PUE2: IT energy at PDU output, read at least daily."""
    ADVANCED = 3
    """PUE3: IT energy at IT equipment input, read at least every 15 minutes."""


@dataclass(frozen=True, slots=True)
class Meter:
    """An energy or power meter installed in one data center."""

    id: str
    """Stable identifier of the meter, unique across the network."""
    data_center_id: str
    """The data center whose energy this meter measures."""
    metering_point: MeteringPoint
    """Where in the power chain the meter sits."""
    description: str | None = None
    """Free text for operators, e.g. "10 kV feed A" or "row 3 PDU B"."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One sample of a meter: a cumulative energy counter, an instantaneous power, or both."""

    meter_id: str
    """The meter that produced the sample."""
    timestamp: datetime
    """When the sample was taken; must be timezone-aware, stored in UTC."""
    energy_kwh: float | None = None
    """Cumulative energy counter in kWh since the meter's last reset, if the meter has one."""
    power_kw: float | None = None
    """Instantaneous (or short-average) active power in kW, if the meter reports it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", _require_utc("timestamp", self.timestamp))
        if self.energy_kwh is None and self.power_kw is None:
            raise invalid("energy_kwh", "a reading needs energy_kwh, power_kw or both")
        for name, value in (("energy_kwh", self.energy_kwh), ("power_kw", self.power_kw)):
            if value is not None and (not math.isfinite(value) or value < 0):
                raise invalid(name, f"{name} must be a finite non-negative number, got {value!r}")


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time interval [start, end) in UTC over which energies are summed."""

    start: datetime
    """Inclusive start, timezone-aware, stored in UTC."""
    end: datetime
    """Exclusive end, timezone-aware, stored in UTC; strictly after start."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _require_utc("start", self.start))
        object.__setattr__(self, "end", _require_utc("end", self.end))
        if self.end <= self.start:
            raise invalid("end", f"window end {self.end} must be after start {self.start}")

    @property
    def duration(self) -> timedelta:
        """Length of the window."""
        return self.end - self.start


class GapKind(enum.StrEnum):
    """Why a span of the window has no usable data."""

    LONG_INTERVAL = "long_interval"
    """Two consecutive readings are further apart than the allowed maximum interval."""
    NO_DATA = "no_data"
    """Before the first or after the last reading of the meter: never extrapolated."""


@dataclass(frozen=True, slots=True)
class Gap:
    """A span of the window, for one meter, that no usable reading interval covers."""

    meter_id: str
    """The meter that has no data in the span."""
    start: datetime
    """Start of the span, clipped to the window."""
    end: datetime
    """End of the span, clipped to the window."""
    kind: GapKind
    """Why the span is not covered."""


@dataclass(frozen=True, slots=True)
class MeterEnergy:
    """Energy of one meter over the covered part of a window."""

    meter_id: str
    """The meter."""
    window: Window
    """The window asked for."""
    energy_kwh: float
    """Energy over the covered part of the window, kWh."""
    coverage: float
    """Fraction of the window (0..1) covered by usable reading intervals of this meter."""
    gaps: tuple[Gap, ...]
    """Uncovered spans of the window, in time order."""
    counter_resets: int
    """Counter resets (a drop in the cumulative value) inside the intervals used."""
    duplicates_dropped: int
    """Readings dropped because another reading had the same timestamp."""
    method: Literal["counter", "power"]
    """Whether the energy came from cumulative counters or from integrating power samples."""


@dataclass(frozen=True, slots=True)
class PueResult:
    """PUE of one data center over a window, with the evidence it rests on."""

    value: float
    """E_DC / E_IT over the span both sides cover; always >= 1."""
    window: Window
    """The window asked for."""
    category: PueCategory
    """ISO/IEC 30134-2 category of the IT metering."""
    coverage: float
    """Fraction of the window (0..1) where every facility and every IT meter had data."""
    gaps: tuple[Gap, ...]
    """Uncovered spans of every meter used, in time order."""
    counter_resets: int
    """Counter resets handled across all meters used."""
    facility_energy_kwh: float
    """E_DC summed over the facility meters on the commonly covered span, kWh."""
    it_energy_kwh: float
    """E_IT summed over the IT meters on the commonly covered span, kWh."""
    it_metering_point: MeteringPoint
    """The IT metering point used (the best one available)."""
    facility_meter_ids: tuple[str, ...] = ()
    """Meters summed into E_DC."""
    it_meter_ids: tuple[str, ...] = ()
    """Meters summed into E_IT."""


@dataclass(frozen=True, slots=True)
class PartialPueResult:
    """Partial PUE of one infrastructure subsystem: (E_IT + E_subsystem) / E_IT."""

    value: float
    """(E_IT + E_subsystem) / E_IT over the span both sides cover; always >= 1."""
    subsystem: MeteringPoint
    """The subsystem (COOLING, LIGHTING or OTHER)."""
    window: Window
    """The window asked for."""
    coverage: float
    """Fraction of the window where every subsystem and IT meter had data."""
    gaps: tuple[Gap, ...]
    """Uncovered spans of every meter used, in time order."""
    counter_resets: int
    """Counter resets handled across all meters used."""
    subsystem_energy_kwh: float
    """Energy of the subsystem on the commonly covered span, kWh."""
    it_energy_kwh: float
    """E_IT on the commonly covered span, kWh."""
    it_metering_point: MeteringPoint
    """The IT metering point used."""


@dataclass(frozen=True, slots=True)
class Cue:
    """Carbon usage effectiveness: kg CO2eq per kWh of IT energy (The Green Grid)."""

    value_kg_per_kwh: float
    """CUE = PUE × grid carbon emission factor, kg CO2eq / kWh_IT."""
    pue: float
    """The PUE it was derived from."""
    grid_factor_kg_per_kwh: float
    """Grid carbon emission factor used, kg CO2eq / kWh."""
    window: Window | None = None
    """The window of the PUE, when it came from measurements."""


@dataclass(frozen=True, slots=True)
class PueChoice:
    """The PUE the scheduler should use for a data center, and where it came from."""

    value: float
    """The PUE to use in energy estimates."""
    source: Literal["measured", "design"]
    """Whether it is the measured trailing-window PUE or the design PUE."""
    reason: str
    """Human-readable reason for the choice, shown in placement explanations."""
    measured: PueResult | None = field(default=None)
    """The measurement considered, if any (even when it was rejected)."""
