"""Tests of pue/telemetry.py: windows from requests, a data center's measured PUE from the
store, and the PUE cache the scheduler prices energy with (measured when covered, design
otherwise, refreshed by ingest)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from computenet.errors import InvalidArgument, NotFound
from pue.domain import Meter, MeteringPoint, Reading, Window
from pue.ingest import Ingest
from pue.store import TelemetryStore
from pue.telemetry import PueCache, Telemetry, resolve_window
from pue.views import DataCenterInfo

NOW = datetime(2025, 3, 2, tzinfo=UTC)
SITE = DataCenterInfo("fz-a", "fujian-fuzhou", "Fujian", 1.4, 1.3, 400.0, 2023)


def day(hours: float, it_kw: float = 100.0, fac_kw: float = 125.0) -> list[Reading]:
    """Counter readings every 15 minutes over the ``hours`` before NOW."""
    out = []
    steps = int(hours * 4)
    for i in range(steps + 1):
        at = NOW - timedelta(hours=hours) + i * timedelta(minutes=15)
        h = i / 4
        out += [
            Reading("fz-fac", at, energy_kwh=fac_kw * h),
            Reading("fz-it", at, energy_kwh=it_kw * h),
        ]
    return out


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def parts(engine: Engine) -> tuple[TelemetryStore, Ingest, Telemetry]:
    store = TelemetryStore(engine)
    store.create_meter(Meter("fz-fac", "fz-a", MeteringPoint.UTILITY_INPUT))
    store.create_meter(Meter("fz-it", "fz-a", MeteringPoint.IT_INPUT))
    return (
        store,
        Ingest(store, clock=lambda: NOW),
        Telemetry(store, lambda: [SITE], clock=lambda: NOW),
    )


class TestWindow:
    def test_defaults(self) -> None:
        """No end means now; no start means the default span before the end."""
        w = resolve_window(None, None, default_span=timedelta(hours=24), now=NOW)
        assert (w.start, w.end) == (NOW - timedelta(hours=24), NOW)

    def test_reversed_interval_names_the_start(self) -> None:
        """A start not before the end is INVALID_ARGUMENT at interval.start_time."""
        with pytest.raises(InvalidArgument) as info:
            resolve_window(NOW, NOW, default_span=timedelta(hours=1), now=NOW)
        assert info.value.violations[0].field == "interval.start_time"


class TestTelemetry:
    def test_measured_needs_data(self, parts: tuple[TelemetryStore, Ingest, Telemetry]) -> None:
        """No readings: no measurement; a day of readings: the exact PUE."""
        store, _, telemetry = parts
        window = Window(NOW - timedelta(hours=24), NOW)
        assert telemetry.measured("fz-a", window) is None
        store.insert_readings(day(24))
        result = telemetry.measured("fz-a", window)
        assert result is not None
        assert result.value == pytest.approx(1.25)

    def test_readings_below_physics_are_no_measurement(
        self, parts: tuple[TelemetryStore, Ingest, Telemetry]
    ) -> None:
        """Facility energy below IT energy (meters swapped) gives no measured PUE."""
        store, _, telemetry = parts
        store.insert_readings(day(2, it_kw=125.0, fac_kw=100.0))
        assert telemetry.measured("fz-a", Window(NOW - timedelta(hours=2), NOW)) is None

    def test_unknown_data_center(self, parts: tuple[TelemetryStore, Ingest, Telemetry]) -> None:
        """Asking for a data center the directory lacks is NOT_FOUND."""
        with pytest.raises(NotFound):
            parts[2].pue("nowhere", Window(NOW - timedelta(hours=1), NOW))


class TestPueCache:
    def test_design_until_a_covered_day_then_measured(
        self, parts: tuple[TelemetryStore, Ingest, Telemetry]
    ) -> None:
        """The cache answers design PUE while coverage is short, and the measured PUE as soon
        as an ingest completes 80 % of the trailing day."""
        _, ingest, telemetry = parts
        cache = PueCache(telemetry)
        ingest.subscribe(cache.on_ingest)

        async def body() -> None:
            await cache.refresh()
            assert cache.lookup("fz-a", 1.4) == (1.4, False)
            short = [r for r in day(24) if r.timestamp >= NOW - timedelta(hours=6)]
            await ingest.record_readings(short)
            assert cache.lookup("fz-a", 1.4) == (1.4, False)  # 25 % covered
            await ingest.record_readings(day(24))
            value, measured = cache.lookup("fz-a", 1.4)
            assert measured
            assert value == pytest.approx(1.25)
            assert set(cache.values()) == {"fz-a"}

        asyncio.run(body())

    def test_measured_sites_refresh_at_most_once_per_throttle(self, engine: Engine) -> None:
        """Once measured, a site's new readings within the throttle leave the cached value
        alone until the next refresh (the run loop's), which then takes them in."""
        clock = Clock()
        store = TelemetryStore(engine)
        store.create_meter(Meter("fz-fac", "fz-a", MeteringPoint.UTILITY_INPUT))
        store.create_meter(Meter("fz-it", "fz-a", MeteringPoint.IT_INPUT))
        ingest = Ingest(store, clock=clock)
        cache = PueCache(
            Telemetry(store, lambda: [SITE], clock=clock), throttle=timedelta(minutes=5)
        )
        ingest.subscribe(cache.on_ingest)

        async def body() -> None:
            await ingest.record_readings(day(24))
            assert cache.lookup("fz-a", 1.4)[0] == pytest.approx(1.25)
            clock.now = NOW + timedelta(minutes=1)
            # A minute in which the facility drew 100 kWh for 1 kWh of IT.
            spike = [
                Reading("fz-fac", clock.now, energy_kwh=125.0 * 24 + 100.0),
                Reading("fz-it", clock.now, energy_kwh=100.0 * 24 + 1.0),
            ]
            await ingest.record_readings(spike)
            assert cache.lookup("fz-a", 1.4)[0] == pytest.approx(1.25)
            await cache.refresh({"fz-a"})
            assert cache.lookup("fz-a", 1.4)[0] > 1.26

        asyncio.run(body())
