"""Telemetry simulator for ``serve --demo``: cumulative-energy readings for every data center's
utility-input and IT-input meters, driven by the scheduler's actual load.

Every ``interval`` the simulator writes one reading per meter through the ordinary ingest
path (so the PUE cache, compliance and the scheduler see it like real telemetry):

* IT power = idle power of the installed nodes + board power × utilization of the allocated
  accelerators (each job's expected utilization, from the engine).
* Facility power = IT power + overhead, where the overhead is the design overhead
  (design PUE − 1) at a reference load, split into a fixed part (UPS losses, lighting, fans
  that run whatever the load) and a part proportional to IT power that grows with outdoor
  temperature (chillers work harder on a hot afternoon). So the PUE moves around the design
  PUE: above it when the site idles or the afternoon is hot, below it at high load or at
  night.
* Outdoor temperature is a diurnal sine around an annual mean that falls with latitude,
  peaking at 14:00 China Standard Time, plus seeded noise: deterministic for a given seed
  and timestamp.

At start, meters ``{dc}-utility`` and ``{dc}-it`` are created where missing, counters resume
from the last stored reading, and the last ``backfill`` (24 h by default) is filled in at
``backfill_step`` so that the demo has a measured trailing PUE from its first minute.
Every figure below is an estimate for a demo, not a measurement.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from computenet.errors import AlreadyExists, NotFound
from pue.domain import Meter, MeteringPoint, Reading
from pue.ingest import Ingest, IngestResult
from pue.store import TelemetryStore
from scheduler.domain import DEFAULT_UTILIZATION, LIVE_STATES
from scheduler.engine import Engine

__all__ = [
    "ACCELERATOR_IDLE_FRACTION",
    "DIURNAL_AMPLITUDE_C",
    "FIXED_OVERHEAD_SHARE",
    "NODE_IDLE_W",
    "REFERENCE_LOAD",
    "TEMPERATURE_SENSITIVITY",
    "SimulatorConfig",
    "SiteLoad",
    "TelemetrySimulator",
    "facility_kw",
    "mean_temperature_c",
    "outdoor_temperature_c",
    "site_loads",
]

NODE_IDLE_W = 500.0
"""Idle power of one server's platform (CPUs, memory, fans, NICs), W (estimate)."""
ACCELERATOR_IDLE_FRACTION = 0.1
"""Idle power of an accelerator as a share of its board power (estimate: an idle H100 SXM
draws some 60-90 W of its 700 W)."""
FIXED_OVERHEAD_SHARE = 0.2
"""Share of the design overhead that does not follow the IT load (estimate)."""
REFERENCE_LOAD = 0.25
"""Share of the installed board power busy when the site runs at its design PUE (estimate:
a quarter-loaded site, typical of the demo)."""
TEMPERATURE_SENSITIVITY = 0.03
"""Relative change of the load-following overhead per °C of outdoor temperature above the
site's annual mean (estimate: a few per cent per °C for chillers and dry coolers)."""
DIURNAL_AMPLITUDE_C = 4.0
"""Half the day-night outdoor temperature swing, °C (estimate)."""
_PEAK_HOUR_CST = 14.0
_CST = timedelta(hours=8)
_MIN_OVERHEAD = 0.02
_SUFFIXES = {MeteringPoint.UTILITY_INPUT: "utility", MeteringPoint.IT_INPUT: "it"}


def mean_temperature_c(latitude: float) -> float:
    """Annual mean outdoor temperature at ``latitude`` (estimate: a straight line through
    Fuzhou, 26.1°N, ≈ 20 °C and Hohhot, 40.8°N, ≈ 7 °C; altitude ignored)."""
    return 44.0 - 0.9 * latitude


def outdoor_temperature_c(latitude: float, at: datetime, noise_c: float = 0.0) -> float:
    """Outdoor temperature at ``at``: a diurnal sine around the annual mean plus ``noise_c``."""
    local = at.astimezone(UTC) + _CST
    hour = local.hour + local.minute / 60.0 + local.second / 3600.0
    swing = DIURNAL_AMPLITUDE_C * math.cos(2.0 * math.pi * (hour - _PEAK_HOUR_CST) / 24.0)
    return mean_temperature_c(latitude) + swing + noise_c


def facility_kw(
    design_pue: float,
    it_kw: float,
    reference_it_kw: float,
    outdoor_c: float,
    mean_c: float,
) -> float:
    """Facility power for ``it_kw`` of IT load: IT + fixed overhead + load-following overhead
    scaled by outdoor temperature; equals ``it_kw × design_pue`` at the reference load and the
    mean temperature. At least 2 % overhead, so PUE never reaches 1."""
    design_overhead = max(design_pue - 1.0, 0.0)
    weather = 1.0 + TEMPERATURE_SENSITIVITY * (outdoor_c - mean_c)
    overhead = design_overhead * (
        FIXED_OVERHEAD_SHARE * reference_it_kw
        + (1.0 - FIXED_OVERHEAD_SHARE) * it_kw * max(weather, 0.0)
    )
    return it_kw + max(overhead, _MIN_OVERHEAD * it_kw)


@dataclass(frozen=True, slots=True)
class SiteLoad:
    """The IT power of one data center now."""

    idle_kw: float
    """Idle power of every installed node and accelerator, kW."""
    board_kw: float
    """Board power of every installed accelerator, kW."""
    busy_kw: float
    """Board power × utilization of the allocated accelerators, kW."""

    @property
    def it_kw(self) -> float:
        """IT power: idle plus busy, kW."""
        return self.idle_kw + self.busy_kw

    @property
    def reference_kw(self) -> float:
        """IT power at the reference load, kW."""
        return self.idle_kw + REFERENCE_LOAD * self.board_kw


def site_loads(engine: Engine) -> dict[str, SiteLoad]:
    """IT power of every data center with nodes, from the engine's memory (loop thread)."""
    models = engine.models()

    def board_w(model: str) -> float:
        m = models.get(model)
        return m.board_power_w if m is not None else 0.0

    idle: dict[str, float] = defaultdict(float)
    boards: dict[str, float] = defaultdict(float)
    for state in engine.ledger.snapshot().values():
        slots = len(state.free_milli)
        idle[state.dc] += NODE_IDLE_W + slots * board_w(state.model) * ACCELERATOR_IDLE_FRACTION
        boards[state.dc] += slots * board_w(state.model)
    busy: dict[str, float] = defaultdict(float)
    jobs = engine.jobs_in_memory()
    for name, allocs in engine.allocations().items():
        job = jobs.get(name)
        if job is None or job.placement is None or job.state not in LIVE_STATES:
            continue
        util = job.spec.expected_utilization or DEFAULT_UTILIZATION
        watts = board_w(job.placement.accelerator_model)
        for a in allocs:
            busy[a.dc] += len(a.slots) * a.milli / 1000.0 * watts * util
    return {dc: SiteLoad(idle[dc] / 1000.0, boards[dc] / 1000.0, busy[dc] / 1000.0) for dc in idle}


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How the simulator runs."""

    interval: timedelta = timedelta(seconds=60)
    """Time between two readings of a meter."""
    seed: int = 0
    """Seed of the temperature noise and of the counters' starting values."""
    backfill: timedelta = timedelta(hours=24)
    """History filled in at start (0 for none)."""
    backfill_step: timedelta = timedelta(minutes=15)
    """Reading interval of the last ``recent`` of the history (15 min keeps category 3)."""
    recent: timedelta = timedelta(hours=24)
    """How much of the history is read at ``backfill_step``: the scheduler's window."""
    history_step: timedelta = timedelta(hours=1)
    """Reading interval of the older history: hourly is still covered (an interval is a
    gap only beyond ``pue.compute.DEFAULT_MAX_INTERVAL``) at a quarter of the rows."""
    noise_c: float = 0.5
    """Standard deviation of the outdoor temperature noise, °C."""


def _meter_id(dc: str, point: MeteringPoint) -> str:
    suffix = _SUFFIXES[point]
    return f"{dc[: 62 - len(suffix)].rstrip('-')}-{suffix}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Site:
    design_pue: float
    latitude: float
    utility: str
    it: str


class TelemetrySimulator:
    """Writes simulated utility-input and IT-input counter readings for every data center."""

    def __init__(
        self,
        engine: Engine,
        store: TelemetryStore,
        ingest: Ingest,
        config: SimulatorConfig = SimulatorConfig(),
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._engine = engine
        self._store = store
        self._ingest = ingest
        self._config = config
        self._clock = clock
        self._counters: dict[str, float] = {}
        self._last: dict[str, datetime] = {}
        self._log = structlog.get_logger("computenet.telemetry_sim")

    def _sites(self) -> dict[str, _Site]:
        sites = {}
        for dc_id in self._engine.ledger.data_centers:
            try:
                dc = self._engine.data_center(dc_id)
            except NotFound:
                continue
            sites[dc_id] = _Site(
                dc.design_pue,
                dc.latitude,
                _meter_id(dc_id, MeteringPoint.UTILITY_INPUT),
                _meter_id(dc_id, MeteringPoint.IT_INPUT),
            )
        return sites

    def _noise(self, dc: str, at: datetime) -> float:
        # Seeded by (seed, data center, second): the same instant always gets the same noise,
        # whatever order the samples are produced in.
        rng = random.Random(f"{self._config.seed}/{dc}/{int(at.timestamp())}")
        return rng.gauss(0.0, self._config.noise_c)

    def powers(self, dc: str, site: _Site, load: SiteLoad, at: datetime) -> tuple[float, float]:
        """(facility kW, IT kW) of ``dc`` at ``at`` under ``load``."""
        outdoor = outdoor_temperature_c(site.latitude, at, self._noise(dc, at))
        it = load.it_kw
        return (
            facility_kw(
                site.design_pue, it, load.reference_kw, outdoor, mean_temperature_c(site.latitude)
            ),
            it,
        )

    async def setup(self, stop: asyncio.Event | None = None) -> IngestResult:
        """Create the meters where missing, resume the counters, and fill in the history.

        The history goes in one data center at a time, so that ``stop`` (checked between
        them) ends a long backfill promptly and no batch holds the database for long.
        """
        sites = self._sites()
        for dc, site in sites.items():
            for point, meter_id in (
                (MeteringPoint.UTILITY_INPUT, site.utility),
                (MeteringPoint.IT_INPUT, site.it),
            ):
                meter = Meter(meter_id, dc, point, "simulated by the demo telemetry simulator")
                with contextlib.suppress(AlreadyExists):
                    await asyncio.to_thread(self._store.create_meter, meter)
        ids = [m for s in sites.values() for m in (s.utility, s.it)]
        last = await asyncio.to_thread(self._store.last_readings, ids)
        for meter_id in ids:
            previous = last.get(meter_id)
            if previous is not None and previous.energy_kwh is not None:
                self._counters[meter_id] = previous.energy_kwh
                self._last[meter_id] = previous.timestamp
            else:
                # A real meter's counter has run for years: start somewhere plausible.
                rng = random.Random(f"{self._config.seed}/{meter_id}/start")
                self._counters[meter_id] = round(rng.uniform(1e5, 1e6), 1)
        now = self._clock()
        loads = site_loads(self._engine)
        accepted = duplicates = 0
        touched: set[str] = set()
        for dc, site in sites.items():
            if stop is not None and stop.is_set():
                break
            readings: list[Reading] = []
            start = now - self._config.backfill
            previous_at = self._last.get(site.it)
            t = max(start, previous_at + self._config.backfill_step) if previous_at else start
            while t < now:
                readings.extend(self._sample(dc, site, loads.get(dc), t))
                recent = now - t <= self._config.recent
                t += self._config.backfill_step if recent else self._config.history_step
            readings.extend(self._sample(dc, site, loads.get(dc), now))
            result = await self._ingest.record_readings(readings)
            accepted += result.accepted
            duplicates += result.duplicates
            touched |= result.data_centers
        return IngestResult(accepted, duplicates, frozenset(touched))

    def _sample(self, dc: str, site: _Site, load: SiteLoad | None, at: datetime) -> list[Reading]:
        facility, it = self.powers(dc, site, load, at) if load else (0.0, 0.0)
        out = []
        for meter_id, kw in ((site.utility, facility), (site.it, it)):
            previous = self._last.get(meter_id)
            if previous is not None and at <= previous:
                continue
            if previous is not None:
                self._counters[meter_id] += kw * (at - previous).total_seconds() / 3600.0
            self._last[meter_id] = at
            out.append(
                Reading(meter_id, at, energy_kwh=round(self._counters[meter_id], 6), power_kw=kw)
            )
        return out

    def _tick_readings(self, now: datetime, sites: Mapping[str, _Site]) -> list[Reading]:
        loads = site_loads(self._engine)
        return [r for dc, site in sites.items() for r in self._sample(dc, site, loads.get(dc), now)]

    async def tick(self) -> IngestResult:
        """Write one reading per meter for now (meters of data centers added since are created)."""
        sites = self._sites()
        if any(s.it not in self._counters for s in sites.values()):
            return await self.setup()
        return await self._ingest.record_readings(self._tick_readings(self._clock(), sites))

    async def run(self, stop: asyncio.Event) -> None:
        """``setup``, then ``tick`` every ``interval`` until ``stop`` is set; never raises."""
        first = True
        while not stop.is_set():
            try:
                result = await (self.setup(stop) if first else self.tick())
                first = False
                self._log.debug("telemetry_sim.tick", accepted=result.accepted)
            except Exception:
                self._log.exception("telemetry_sim.tick_failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._config.interval.total_seconds())
            except TimeoutError:
                continue
