"""The telemetry questions over the store: a data center's PUE over a window, compliance of
every data center, and the cache of trailing PUEs the scheduler prices energy with.

Everything here reads the database and runs the pure maths of ``pue.compute``; the methods
of ``Telemetry`` are blocking (the servicer calls them in worker threads), ``PueCache`` is
driven from the event loop and keeps its answers in memory so that the scheduler's hot path
never waits on the database.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from computenet.errors import FieldViolation, InvalidArgument, NotFound
from pue.compliance import (
    MIN_COVERAGE,
    ComplianceReport,
    city_averages,
    evaluate,
)
from pue.compute import (
    DEFAULT_MAX_INTERVAL,
    annual_window,
    compute_pue,
    cue,
    measured_or_design,
    partial_pue,
    pue_category,
)
from pue.domain import (
    InsufficientDataError,
    InvalidMeteringError,
    MeteringPoint,
    PueCategory,
    PueResult,
    Reading,
    Window,
)
from pue.ingest import IngestResult
from pue.store import TelemetryStore
from pue.views import DataCenterDirectory, DataCenterInfo

__all__ = [
    "COMPLIANCE_WINDOW",
    "PUE_WINDOW",
    "TRAILING_WINDOW",
    "PueCache",
    "PueReport",
    "Telemetry",
    "resolve_window",
]

PUE_WINDOW = timedelta(hours=24)
"""GetPue's window when the request gives no start."""
COMPLIANCE_WINDOW = timedelta(days=30)
"""GetComplianceReport's window when the request gives no start."""
TRAILING_WINDOW = timedelta(hours=24)
"""Window of the measured PUE the scheduler uses."""

_log = structlog.get_logger("computenet.telemetry")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def resolve_window(
    start: datetime | None,
    end: datetime | None,
    *,
    default_span: timedelta,
    now: datetime,
    field: str = "interval",
) -> Window:
    """The window a request asks for: ``end`` defaults to now, ``start`` to ``default_span``
    before the end; INVALID_ARGUMENT at ``<field>.start_time`` when start is not before end."""
    end = end or now
    start = start or end - default_span
    if start >= end:
        raise InvalidArgument(
            f"interval start {start.isoformat()} is not before its end {end.isoformat()}",
            [FieldViolation(f"{field}.start_time", "must be before end_time")],
        )
    return Window(start, end)


@dataclass(frozen=True, slots=True)
class PueReport:
    """A PUE (or partial PUE) of one data center with everything needed to judge it."""

    data_center: str
    """Data center id."""
    value: float
    """PUE = facility / IT energy, or pPUE = (IT + subsystem) / IT energy."""
    window: Window
    """The window it covers."""
    category: PueCategory
    """ISO/IEC 30134-2 category of the IT metering."""
    coverage: float
    """Share of the window every meter used covers, 0..1."""
    facility_energy_kwh: float
    """The numerator: facility energy, or IT + subsystem energy for a partial PUE, kWh."""
    it_energy_kwh: float
    """IT energy over the covered span, kWh."""
    gaps: tuple[tuple[datetime, datetime], ...]
    """Spans some meter used does not cover, merged, in time order."""
    counter_resets: int
    """Counter resets handled."""
    cue_kg_per_kwh: float
    """CUE = PUE × grid factor, kg CO2 per IT kWh (0 for a partial PUE)."""
    partial: bool
    """True for a partial PUE."""
    subsystem: MeteringPoint | None = None
    """The subsystem of a partial PUE."""


def _merged_gaps(
    gaps: Iterable[tuple[datetime, datetime]],
) -> tuple[tuple[datetime, datetime], ...]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(gaps):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _it_interval(readings: Iterable[Reading], meter_ids: Iterable[str]) -> timedelta | None:
    """The slowest IT meter's median reading interval (what sets the category)."""
    times: dict[str, list[datetime]] = {m: [] for m in meter_ids}
    for r in readings:
        if r.meter_id in times:
            times[r.meter_id].append(r.timestamp)
    medians = []
    for ts in times.values():
        ts.sort()
        steps = [(b - a).total_seconds() for a, b in itertools.pairwise(ts) if b > a]
        if steps:
            medians.append(statistics.median(steps))
    return timedelta(seconds=max(medians)) if medians else None


class Telemetry:
    """PUE and compliance questions over a store and a directory of data centers."""

    def __init__(
        self,
        store: TelemetryStore,
        directory: DataCenterDirectory,
        *,
        clock: Callable[[], datetime] = _utc_now,
        max_interval: timedelta = DEFAULT_MAX_INTERVAL,
    ) -> None:
        self._store = store
        self._directory = directory
        self._clock = clock
        self._max_interval = max_interval

    @property
    def store(self) -> TelemetryStore:
        return self._store

    def now(self) -> datetime:
        return self._clock()

    def data_centers(self) -> dict[str, DataCenterInfo]:
        """Every data center of the inventory, by id."""
        return {dc.id: dc for dc in self._directory()}

    def data_center(self, dc_id: str) -> DataCenterInfo:
        dc = self.data_centers().get(dc_id)
        if dc is None:
            raise NotFound(f"data center {dc_id!r} does not exist")
        return dc

    def measured(self, dc_id: str, window: Window) -> PueResult | None:
        """The measured PUE of ``dc_id`` over ``window``, or None when its meters cannot give
        one (no meters, no overlapping data, or readings that contradict physics)."""
        meters = self._store.meters(dc_id)
        if not meters:
            return None
        readings = self._store.readings((m.id for m in meters), window)
        try:
            return compute_pue(meters, readings, window, max_interval=self._max_interval)
        except InsufficientDataError:
            return None
        except InvalidMeteringError as exc:
            _log.warning("pue.invalid_metering", data_center=dc_id, error=exc.message)
            return None

    def pue(
        self,
        dc_id: str,
        window: Window,
        *,
        annualised: bool = False,
        subsystem: MeteringPoint | None = None,
    ) -> PueReport:
        """PUE (partial PUE with ``subsystem``) of a data center over ``window``, or over the
        12 months to its end when ``annualised``.

        FAILED_PRECONDITION (INSUFFICIENT_METER_DATA or INVALID_METERING) when the readings
        cannot give one.
        """
        dc = self.data_center(dc_id)
        if annualised:
            window = annual_window(window.end)
        meters = self._store.meters(dc_id)
        if not meters:
            raise InsufficientDataError(f"data center {dc_id!r} has no meters")
        readings = self._store.readings((m.id for m in meters), window)
        if subsystem is None:
            result = compute_pue(meters, readings, window, max_interval=self._max_interval)
            return PueReport(
                data_center=dc_id,
                value=result.value,
                window=window,
                category=result.category,
                coverage=result.coverage,
                facility_energy_kwh=result.facility_energy_kwh,
                it_energy_kwh=result.it_energy_kwh,
                gaps=_merged_gaps((g.start, g.end) for g in result.gaps),
                counter_resets=result.counter_resets,
                cue_kg_per_kwh=cue(result, dc.grid_carbon_g_per_kwh / 1000.0).value_kg_per_kwh,
                partial=False,
            )
        part = partial_pue(meters, readings, window, subsystem, max_interval=self._max_interval)
        it_ids = [m.id for m in meters if m.metering_point == part.it_metering_point]
        interval = _it_interval(readings, it_ids) or window.duration
        return PueReport(
            data_center=dc_id,
            value=part.value,
            window=window,
            category=pue_category(part.it_metering_point, interval),
            coverage=part.coverage,
            facility_energy_kwh=part.it_energy_kwh + part.subsystem_energy_kwh,
            it_energy_kwh=part.it_energy_kwh,
            gaps=_merged_gaps((g.start, g.end) for g in part.gaps),
            counter_resets=part.counter_resets,
            cue_kg_per_kwh=0.0,
            partial=True,
            subsystem=subsystem,
        )

    def compliance(
        self, window: Window, *, filters: Mapping[str, str] | None = None
    ) -> ComplianceReport:
        """Every data center (matching ``region``/``province`` filters) against its targets."""
        filters = dict(filters or {})
        region = filters.get("region", "").removeprefix("regions/")
        province = filters.get("province", "")
        everyone = self.data_centers()
        chosen = [
            dc
            for dc in sorted(everyone.values(), key=lambda d: d.id)
            if (not region or dc.region == region) and (not province or dc.province == province)
        ]
        entries = tuple(evaluate(dc, self.measured(dc.id, window)) for dc in chosen)
        return ComplianceReport(window, entries, city_averages(entries, everyone))


class PueCache:
    """Each data center's trailing measured PUE, in memory, for the scheduler's energy prices.

    ``lookup`` answers (measured PUE, True) when the last computation covered at least
    ``min_coverage`` of the trailing window, else (design PUE, False). Values are recomputed
    after ingest (see ``on_ingest``) and all of them every ``refresh`` so that the window
    keeps sliding when readings stop.
    """

    def __init__(
        self,
        telemetry: Telemetry,
        *,
        window: timedelta = TRAILING_WINDOW,
        min_coverage: float = MIN_COVERAGE,
        throttle: timedelta = timedelta(seconds=10),
        refresh: timedelta = timedelta(minutes=1),
    ) -> None:
        self._telemetry = telemetry
        self._window = window
        self._min_coverage = min_coverage
        self._throttle = throttle
        self._refresh = refresh
        self._values: dict[str, PueResult | None] = {}
        self._computed_at: dict[str, datetime] = {}
        self._dirty: set[str] = set()
        self._full_done = False
        self._lock = asyncio.Lock()

    def lookup(self, dc_id: str, design_pue: float) -> tuple[float, bool]:
        """The PUE to price energy with in ``dc_id`` and whether it is measured."""
        choice = measured_or_design(self._values.get(dc_id), design_pue, self._min_coverage)
        return choice.value, choice.source == "measured"

    def values(self) -> dict[str, PueResult]:
        """The last measured trailing PUE of every data center that has one."""
        return {k: v for k, v in self._values.items() if v is not None}

    async def refresh(self, dc_ids: Iterable[str] | None = None) -> None:
        """Recompute the given data centers (every data center with meters when None)."""
        async with self._lock:
            ids = (
                set(dc_ids)
                if dc_ids is not None
                else await asyncio.to_thread(self._telemetry.store.data_centers)
            )
            end = self._telemetry.now()
            results = await asyncio.to_thread(self._compute, sorted(ids), end)
            for dc_id, result in results.items():
                self._values[dc_id] = result
                self._computed_at[dc_id] = end
            if dc_ids is None:
                self._full_done = True
                # Meters deleted since: forget their data centers.
                for gone in set(self._values) - ids:
                    self._values.pop(gone, None)
            self._dirty -= ids

    def _compute(self, ids: list[str], end: datetime) -> dict[str, PueResult | None]:
        window = Window(end - self._window, end)
        return {dc_id: self._telemetry.measured(dc_id, window) for dc_id in ids}

    def _measured(self, dc_id: str) -> bool:
        value = self._values.get(dc_id)
        return value is not None and value.coverage >= self._min_coverage

    async def on_ingest(self, result: IngestResult) -> None:
        """An ``Ingest`` listener: recompute the data centers that got new readings.

        A data center still priced at its design PUE is recomputed at once, so the first
        good day of telemetry reaches the scheduler with the ingest that completes it; one
        already measured at most once per ``throttle`` (the rest on the next tick of ``run``).
        """
        now = self._telemetry.now()
        due = {
            dc
            for dc in result.data_centers
            if not self._measured(dc)
            or dc not in self._computed_at
            or now - self._computed_at[dc] >= self._throttle
        }
        self._dirty |= result.data_centers - due
        if due:
            await self.refresh(due)

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh dirty data centers every ``throttle`` and all of them every ``refresh``."""
        loop = asyncio.get_running_loop()
        # A full refresh just done (the composition root does one before serving) counts.
        last_full = loop.time() if self._full_done else -math.inf
        while not stop.is_set():
            try:
                if loop.time() - last_full >= self._refresh.total_seconds():
                    await self.refresh()
                    last_full = loop.time()
                elif self._dirty:
                    await self.refresh(set(self._dirty))
            except Exception:
                # A database hiccup must not end the loop: the old values stay in use.
                _log.exception("pue.cache.refresh_failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._throttle.total_seconds())
            except TimeoutError:
                continue
