"""Tests of scheduler/telemetry_sim.py: the facility power model moves PUE around the design
value with load and weather, the weather is diurnal, and the simulator over a real engine
creates its meters, fills in history that yields a measured PUE near design, follows the
scheduler's load, and writes the same readings for the same seed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine as SqlEngine

from computenet import db
from inventory.document import parse_document
from inventory.store import InventoryStore
from pue.domain import MeteringPoint, Reading, Window
from pue.ingest import Ingest
from pue.store import TelemetryStore
from pue.telemetry import Telemetry
from scheduler.domain import JobKind, JobSpec, ReplicaSpec
from scheduler.engine import Engine
from scheduler.store import JobStore
from scheduler.telemetry_sim import (
    SimulatorConfig,
    TelemetrySimulator,
    facility_kw,
    mean_temperature_c,
    outdoor_temperature_c,
    site_loads,
)
from scheduler.views import data_center_directory
from tests.scheduler.test_views import NETWORK

T0 = datetime(2025, 7, 1, 6, 0, tzinfo=UTC)  # 14:00 China Standard Time
CONFIG = SimulatorConfig(seed=7, backfill=timedelta(hours=6), interval=timedelta(minutes=1))


class TestModel:
    def test_design_pue_at_reference_load_and_mean_weather(self) -> None:
        """At the reference load and the mean temperature the PUE is the design PUE."""
        assert facility_kw(1.3, 100.0, 100.0, 20.0, 20.0) == pytest.approx(130.0)

    def test_heat_and_idling_raise_pue_load_lowers_it(self) -> None:
        """A hotter day raises PUE; running below the reference load raises it (the fixed
        overhead is spread over less IT power); running above lowers it."""
        base = facility_kw(1.3, 100.0, 100.0, 20.0, 20.0) / 100.0
        assert facility_kw(1.3, 100.0, 100.0, 30.0, 20.0) / 100.0 > base
        assert facility_kw(1.3, 50.0, 100.0, 20.0, 20.0) / 50.0 > base
        assert facility_kw(1.3, 200.0, 100.0, 20.0, 20.0) / 200.0 < base

    def test_pue_never_reaches_one(self) -> None:
        """Even on a freezing night at full load some overhead remains."""
        assert facility_kw(1.05, 100.0, 10.0, -40.0, 20.0) >= 102.0

    def test_weather_is_diurnal_and_cooler_north(self) -> None:
        """Outdoor temperature peaks at 14:00 CST, bottoms at 02:00 CST, and the annual mean
        falls with latitude."""
        peak = outdoor_temperature_c(26.0, T0)
        trough = outdoor_temperature_c(26.0, T0 + timedelta(hours=12))
        assert peak > mean_temperature_c(26.0) > trough
        assert peak - trough == pytest.approx(8.0)
        assert mean_temperature_c(40.8) < mean_temperature_c(26.1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def _simulated(
    engine: SqlEngine, clock: Clock
) -> tuple[Engine, TelemetryStore, TelemetrySimulator]:
    inventory = InventoryStore(engine)
    inventory.import_document(parse_document(NETWORK))
    sched = Engine(JobStore(engine), inventory, clock=clock)
    await sched.start()
    store = TelemetryStore(engine)
    sim = TelemetrySimulator(sched, store, Ingest(store, clock=clock), CONFIG, clock=clock)
    await sim.setup()
    return sched, store, sim


class TestSimulator:
    def test_setup_creates_meters_and_a_measured_history(self, engine: SqlEngine) -> None:
        """Setup creates a utility and an IT meter per data center and fills in the history
        at 15 minutes, which gives a fully covered measured PUE near the design PUE."""
        clock = Clock()

        async def body() -> None:
            _, store, _ = await _simulated(engine, clock)
            meters = {m.id: m for m in store.meters()}
            assert set(meters) == {"dc-south-utility", "dc-south-it", "dc-hub-utility", "dc-hub-it"}
            assert meters["dc-south-it"].metering_point is MeteringPoint.IT_INPUT
            assert store.reading_count("dc-south-it") == 6 * 4 + 1
            telemetry = Telemetry(store, data_center_directory(InventoryStore(engine)), clock=clock)
            result = telemetry.measured("dc-south", Window(T0 - timedelta(hours=6), T0))
            assert result is not None
            assert result.coverage == pytest.approx(1.0)
            assert 1.2 - 0.15 < result.value < 1.2 + 0.15

        asyncio.run(body())

    def test_ticks_follow_the_scheduler_load(self, engine: SqlEngine) -> None:
        """A placed job adds board power × utilization to the IT power the next tick meters."""
        clock = Clock()

        async def body() -> None:
            sched, store, sim = await _simulated(engine, clock)
            idle = site_loads(sched)["dc-south"]
            assert idle.busy_kw == 0.0
            spec = JobSpec(
                JobKind.TRAINING,
                replicas=1,
                replica=ReplicaSpec(accelerator_count=4, cpu_milli=1000, memory_mib=1024),
                expected_utilization=0.5,
            )
            job = await sched.submit("acme", spec)
            assert job.placement is not None
            dc = job.placement.data_center
            busy = site_loads(sched)[dc]
            assert busy.busy_kw == pytest.approx(4 * 500.0 * 0.5 / 1000)
            clock.now = T0 + timedelta(minutes=1)
            result = await sim.tick()
            assert result.accepted == 4
            last = store.last_readings([f"{dc}-it"])[f"{dc}-it"]
            assert last.timestamp == clock.now
            assert last.power_kw == pytest.approx(busy.it_kw)
            again = await sim.tick()  # same instant: nothing new
            assert again.accepted == 0

        asyncio.run(body())

    def test_same_seed_same_readings(self, tmp_path: Path) -> None:
        """Two simulators with one seed and one clock write identical readings."""

        async def readings(url: str) -> list[Reading]:
            engine = db.create_engine(url)
            db.migrate(engine)
            try:
                _, store, _ = await _simulated(engine, Clock())
                window = Window(T0 - timedelta(days=1), T0 + timedelta(days=1))
                return store.readings([m.id for m in store.meters()], window)
            finally:
                engine.dispose()

        first = asyncio.run(readings(f"sqlite:///{tmp_path / 'a.db'}"))
        second = asyncio.run(readings(f"sqlite:///{tmp_path / 'b.db'}"))
        assert first == second
        assert len(first) == 4 * (6 * 4 + 1)
