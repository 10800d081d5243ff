"""Tests of pue/store.py on both backends: meters CRUD, idempotent bulk insert of readings
(duplicates ignored and counted, late readings accepted, a batch all or nothing), and window
queries with the readings just outside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from computenet.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from pue.domain import Meter, MeteringPoint, Reading, Window
from pue.store import TelemetryStore

T0 = datetime(2025, 3, 1, tzinfo=UTC)
FAC = Meter("fz-fac", "fz-a", MeteringPoint.UTILITY_INPUT, "10 kV feed A")
IT = Meter("fz-it", "fz-a", MeteringPoint.IT_INPUT)
OTHER = Meter("hb-it", "hub-b", MeteringPoint.PDU_OUTPUT)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def counter(meter: str, minute: float, kwh: float) -> Reading:
    return Reading(meter, at(minute), energy_kwh=kwh)


@pytest.fixture
def store(engine: Engine) -> TelemetryStore:
    """A store over a migrated, empty database with three meters in two data centers."""
    s = TelemetryStore(engine)
    for m in (FAC, IT, OTHER):
        s.create_meter(m)
    return s


class TestMeters:
    def test_created_meter_reads_back_equal(self, store: TelemetryStore) -> None:
        """A meter comes back from get and from its data center's list as it was created."""
        assert store.get_meter("fz-fac") == FAC
        assert store.meters("fz-a") == [FAC, IT]
        assert store.data_centers() == {"fz-a", "hub-b"}

    def test_duplicate_id_is_refused(self, store: TelemetryStore) -> None:
        """Meter ids are unique across the network: the same id in another data center too."""
        with pytest.raises(AlreadyExists):
            store.create_meter(Meter("fz-it", "hub-b", MeteringPoint.IT_INPUT))

    def test_request_id_replays_the_first_result(self, store: TelemetryStore) -> None:
        """A retried create with the same request_id returns the meter created first."""
        first = store.create_meter(Meter("n1", "fz-a", MeteringPoint.COOLING), request_id="r-1")
        again = store.create_meter(Meter("n1", "fz-a", MeteringPoint.COOLING), request_id="r-1")
        assert again == first

    def test_overlong_request_id_is_invalid(self, store: TelemetryStore) -> None:
        """A request_id beyond 200 characters is refused before the database sees it."""
        with pytest.raises(InvalidArgument):
            store.create_meter(Meter("n2", "fz-a", MeteringPoint.COOLING), request_id="x" * 201)

    def test_list_pages_and_filters(self, store: TelemetryStore) -> None:
        """Pages of one follow the ids in order and end; a metering_point filter narrows."""
        seen: list[str] = []
        after: tuple[str, ...] | None = None
        while True:
            page = store.list_meters(page_size=1, after=after)
            assert page.total_size == 3
            seen.extend(m.id for m in page.items)
            if page.next_key is None:
                break
            after = page.next_key
        assert seen == ["fz-fac", "fz-it", "hb-it"]
        only = store.list_meters(filters={"metering_point": MeteringPoint.IT_INPUT.value})
        assert [m.id for m in only.items] == ["fz-it"]
        with pytest.raises(InvalidArgument):
            store.list_meters(filters={"description": "x"})

    def test_delete_takes_the_readings(self, store: TelemetryStore) -> None:
        """Deleting a meter deletes its readings and only its readings."""
        store.insert_readings([counter("fz-it", 0, 1.0), counter("fz-fac", 0, 2.0)])
        assert store.delete_meter("fz-it") == IT
        assert store.reading_count("fz-it") == 0
        assert store.reading_count() == 1
        with pytest.raises(NotFound):
            store.get_meter("fz-it")
        with pytest.raises(NotFound):
            store.delete_meter("fz-it")


class TestInsert:
    def test_duplicates_are_ignored_and_counted(self, store: TelemetryStore) -> None:
        """A re-sent reading is a duplicate: counted, not stored again, first value kept."""
        first = store.insert_readings([counter("fz-it", 0, 10.0), counter("fz-it", 15, 20.0)])
        assert (first.accepted, first.duplicates) == (2, 0)
        again = store.insert_readings([counter("fz-it", 15, 999.0), counter("fz-it", 30, 30.0)])
        assert (again.accepted, again.duplicates) == (1, 1)
        kept = store.readings(["fz-it"], Window(at(0), at(60)))
        assert [r.energy_kwh for r in kept] == [10.0, 20.0, 30.0]

    def test_repeats_inside_one_batch_count_as_duplicates(self, store: TelemetryStore) -> None:
        """Two readings with one (meter, time) in a batch store one and count one duplicate."""
        result = store.insert_readings([counter("fz-it", 0, 1.0), counter("fz-it", 0, 1.0)])
        assert (result.accepted, result.duplicates) == (1, 1)
        assert store.reading_count("fz-it") == 1

    def test_late_readings_are_accepted_and_sorted(self, store: TelemetryStore) -> None:
        """Out-of-order readings are stored and come back in time order."""
        store.insert_readings([counter("fz-it", 30, 3.0)])
        store.insert_readings([counter("fz-it", 0, 1.0), counter("fz-it", 15, 2.0)])
        got = store.readings(["fz-it"], Window(at(0), at(60)))
        assert [r.timestamp for r in got] == [at(0), at(15), at(30)]

    def test_batch_with_unknown_meter_stores_nothing(self, store: TelemetryStore) -> None:
        """A reading of a meter that does not exist fails the whole batch."""
        with pytest.raises(FailedPrecondition):
            store.insert_readings([counter("fz-it", 0, 1.0), counter("ghost", 0, 1.0)])
        assert store.reading_count() == 0

    def test_large_batch_is_chunked(self, store: TelemetryStore) -> None:
        """More readings than one INSERT holds are all stored, duplicates still counted."""
        readings = [counter("fz-it", m, float(m)) for m in range(2500)]
        result = store.insert_readings([*readings, readings[7]])
        assert (result.accepted, result.duplicates) == (2500, 1)

    def test_values_and_times_round_trip(self, store: TelemetryStore) -> None:
        """Energy, power and a microsecond timestamp in UTC come back unchanged."""
        t = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
        store.insert_readings([Reading("fz-it", t, energy_kwh=12.5, power_kw=3.25)])
        (got,) = store.readings(["fz-it"], Window(t - timedelta(seconds=1), t + timedelta(1)))
        assert got == Reading("fz-it", t, energy_kwh=12.5, power_kw=3.25)
        assert got.timestamp.tzinfo is not None


class TestWindow:
    def test_window_includes_the_nearest_readings_outside(self, store: TelemetryStore) -> None:
        """A window query returns the readings inside plus the last one before and the first
        one at or after the end, so edge intervals can be interpolated."""
        store.insert_readings([counter("fz-it", m, float(m)) for m in range(0, 121, 15)])
        got = store.readings(["fz-it"], Window(at(20), at(50)))
        assert [r.timestamp for r in got] == [at(15), at(30), at(45), at(60)]

    def test_readings_of_several_meters_stay_apart(self, store: TelemetryStore) -> None:
        """Readings of other meters never leak into a meter's window."""
        store.insert_readings([counter("fz-it", 0, 1.0), counter("fz-fac", 0, 2.0)])
        store.insert_readings([counter("hb-it", 0, 3.0)])
        got = store.readings(["fz-it", "fz-fac"], Window(at(-1), at(1)))
        assert sorted(r.meter_id for r in got) == ["fz-fac", "fz-it"]

    def test_last_readings(self, store: TelemetryStore) -> None:
        """last_readings gives each meter's latest reading and skips meters without any."""
        store.insert_readings([counter("fz-it", 0, 1.0), counter("fz-it", 45, 4.0)])
        last = store.last_readings(["fz-it", "fz-fac"])
        assert list(last) == ["fz-it"]
        assert last["fz-it"].timestamp == at(45)
