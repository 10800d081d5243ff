"""Ingest of meter readings: validate a whole batch, store it in one transaction, tell listeners.

A batch is all or nothing: every reading is checked first (the meter is a well-formed name of
a meter that exists in that data center, the time is set, timezone-aware and plausible, the
values are finite and non-negative, at least one of them is given) and any violation refuses
the batch with INVALID_ARGUMENT naming every bad field by its path, e.g.
``readings[3].energy_kwh``; nothing is stored then. A valid batch is stored idempotently on
(meter, time) by ``TelemetryStore.insert_readings``, and the listeners (the scheduler's PUE
cache) are told which data centers got new data.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from computenet.errors import FieldViolation, InvalidArgument, Violations
from pue.domain import Meter, Reading
from pue.store import InsertResult, TelemetryStore

__all__ = [
    "EARLIEST_READING",
    "MAX_BATCH_READINGS",
    "MAX_FUTURE",
    "IncomingReading",
    "Ingest",
    "IngestListener",
    "IngestResult",
    "meter_name",
    "parse_meter_name",
    "validate_readings",
]

MAX_BATCH_READINGS = 500_000
"""Most readings in one batch or one RecordReadings stream (it is held in memory whole)."""

MAX_FUTURE = timedelta(minutes=10)
"""How far ahead of the server clock a reading may be stamped (clock skew); later ones would
count as coverage of hours that have not happened."""

EARLIEST_READING = datetime(2000, 1, 1, tzinfo=UTC)
"""Readings before this are refused: an unset timestamp decodes to 1970."""

_MAX_VIOLATIONS = 100
_log = structlog.get_logger("computenet.ingest")
_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?\Z")
_NAME = re.compile(r"^dataCenters/([^/]+)/meters/([^/]+)\Z")


def meter_name(data_center: str, meter_id: str) -> str:
    """The resource name of a meter: ``dataCenters/{data_center}/meters/{meter_id}``."""
    return f"dataCenters/{data_center}/meters/{meter_id}"


def parse_meter_name(name: str) -> tuple[str, str] | None:
    """(data center id, meter id) of a well-formed meter name, else None."""
    m = _NAME.match(name)
    if m is None or not _ID.match(m.group(1)) or not _ID.match(m.group(2)):
        return None
    return m.group(1), m.group(2)


@dataclass(frozen=True, slots=True)
class IncomingReading:
    """One reading as a caller sent it, before validation."""

    meter: str
    """Resource name ``dataCenters/{dc}/meters/{meter}``."""
    timestamp: datetime | None
    """When it was read; None when the caller left it unset."""
    energy_kwh: float | None = None
    """Cumulative energy counter, kWh, if sent."""
    power_kw: float | None = None
    """Power, kW, if sent."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one committed batch did."""

    accepted: int
    """Readings newly stored."""
    duplicates: int
    """Readings ignored because their (meter, time) was already stored or repeated."""
    data_centers: frozenset[str]
    """Data centers whose meters got at least one new reading."""


IngestListener = Callable[[IngestResult], Awaitable[None] | None]
"""Told of every committed batch (sync or async)."""


def _check_value(v: Violations, path: str, name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        v.add(f"{path}.{name}", f"must be a finite non-negative number, got {value!r}")


def validate_readings(
    items: Sequence[IncomingReading],
    meters: Mapping[str, Meter],
    *,
    now: datetime,
    field: str = "readings",
    max_future: timedelta = MAX_FUTURE,
) -> list[Reading]:
    """Every item as a ``Reading``, or InvalidArgument naming each bad field.

    ``meters`` holds the known meters by id; a name whose data center differs from the
    meter's is unknown too. At most the first 100 violations are reported.
    """
    if len(items) > MAX_BATCH_READINGS:
        raise InvalidArgument(
            f"{len(items)} readings in one batch; at most {MAX_BATCH_READINGS}",
            [FieldViolation(field, f"split batches above {MAX_BATCH_READINGS} readings")],
        )
    v = Violations()
    out: list[Reading] = []
    bad = 0
    for i, item in enumerate(items):
        if len(v.items) >= _MAX_VIOLATIONS:
            break
        before = len(v.items)
        path = f"{field}[{i}]"
        parsed = parse_meter_name(item.meter)
        if parsed is None:
            v.add(f"{path}.meter", "must look like dataCenters/{data_center}/meters/{meter}")
        else:
            known = meters.get(parsed[1])
            if known is None or known.data_center_id != parsed[0]:
                v.add(f"{path}.meter", f"unknown meter {item.meter!r}; create it first")
        ts = item.timestamp
        if ts is None:
            v.add(f"{path}.read_time", "is required")
        elif ts.tzinfo is None or ts.utcoffset() is None:
            v.add(f"{path}.read_time", f"must be timezone-aware, got naive {ts.isoformat()}")
        elif ts < EARLIEST_READING:
            v.add(f"{path}.read_time", f"{ts.isoformat()} is before 2000: is it unset?")
        elif ts > now + max_future:
            v.add(
                f"{path}.read_time",
                f"{ts.isoformat()} is more than {max_future} ahead of the server clock",
            )
        if item.energy_kwh is None and item.power_kw is None:
            v.add(path, "a reading needs energy_kwh, power_kw or both")
        _check_value(v, path, "energy_kwh", item.energy_kwh)
        _check_value(v, path, "power_kw", item.power_kw)
        if len(v.items) > before:
            bad += 1
            continue
        assert parsed is not None
        assert ts is not None
        out.append(Reading(parsed[1], ts, energy_kwh=item.energy_kwh, power_kw=item.power_kw))
    if v:
        shown = "at least " if len(v.items) >= _MAX_VIOLATIONS else ""
        v.raise_if_any(
            f"{shown}{bad} of {len(items)} readings are invalid; none was stored "
            f"(first: {v.items[0].field}: {v.items[0].description})"
        )
    return out


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ingest:
    """Validates and stores batches of readings and tells listeners of each committed one."""

    def __init__(
        self,
        store: TelemetryStore,
        *,
        clock: Callable[[], datetime] = _utc_now,
        max_future: timedelta = MAX_FUTURE,
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_future = max_future
        self._listeners: list[IngestListener] = []

    @property
    def store(self) -> TelemetryStore:
        return self._store

    def subscribe(self, listener: IngestListener) -> None:
        """Call ``listener`` after every committed batch."""
        self._listeners.append(listener)

    async def record(
        self, items: Sequence[IncomingReading], *, field: str = "readings"
    ) -> IngestResult:
        """Validate ``items`` (meters named by resource name) and store them, all or none."""
        ids = {p[1] for item in items if (p := parse_meter_name(item.meter)) is not None}
        meters = await asyncio.to_thread(self._store.find_meters, ids) if ids else {}
        readings = validate_readings(
            items, meters, now=self._clock(), field=field, max_future=self._max_future
        )
        return await self._commit(readings, meters)

    async def record_readings(self, readings: Sequence[Reading]) -> IngestResult:
        """Store domain readings (meters named by id, e.g. from the collector), all or none.

        This is a ``pue.collect.Sink``: pass ``ingest.record_readings`` to the Collector.
        """
        meters = await asyncio.to_thread(self._store.find_meters, {r.meter_id for r in readings})
        v = Violations()
        for i, r in enumerate(readings):
            if r.meter_id not in meters:
                v.add(f"readings[{i}].meter_id", f"unknown meter {r.meter_id!r}")
            elif r.timestamp > self._clock() + self._max_future:
                v.add(f"readings[{i}].timestamp", "is ahead of the server clock")
            if len(v.items) >= _MAX_VIOLATIONS:
                break
        v.raise_if_any("readings refer to unknown meters or the future; none was stored")
        return await self._commit(list(readings), meters)

    async def _commit(self, readings: list[Reading], meters: Mapping[str, Meter]) -> IngestResult:
        stored: InsertResult = (
            await asyncio.to_thread(self._store.insert_readings, readings)
            if readings
            else InsertResult(0, 0)
        )
        result = IngestResult(
            accepted=stored.accepted,
            duplicates=stored.duplicates,
            data_centers=_data_centers(readings, meters) if stored.accepted else frozenset(),
        )
        if result.accepted:
            for listener in self._listeners:
                # The readings are committed: a listener's failure (say, the PUE cache
                # hitting a database hiccup) must not turn the call into an error that
                # makes the sender retry what is stored already.
                try:
                    outcome = listener(result)
                    if inspect.isawaitable(outcome):
                        await outcome
                except Exception:
                    _log.exception(
                        "ingest.listener_failed", data_centers=sorted(result.data_centers)
                    )
        return result


def _data_centers(readings: Iterable[Reading], meters: Mapping[str, Meter]) -> frozenset[str]:
    return frozenset(meters[r.meter_id].data_center_id for r in readings if r.meter_id in meters)
