"""Tests of pue/ingest.py: every bad field of a batch is named by its path and nothing is
stored; a good batch is stored once, duplicates counted, and listeners are told."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from computenet.errors import InvalidArgument
from pue.domain import Meter, MeteringPoint, Reading
from pue.ingest import (
    IncomingReading,
    Ingest,
    IngestResult,
    meter_name,
    parse_meter_name,
    validate_readings,
)
from pue.store import TelemetryStore

NOW = datetime(2025, 3, 2, tzinfo=UTC)
METERS = {
    "fz-it": Meter("fz-it", "fz-a", MeteringPoint.IT_INPUT),
    "fz-fac": Meter("fz-fac", "fz-a", MeteringPoint.UTILITY_INPUT),
}
NAME = meter_name("fz-a", "fz-it")


def good(minutes: float = 0.0, kwh: float = 1.0) -> IncomingReading:
    return IncomingReading(NAME, NOW - timedelta(minutes=minutes), energy_kwh=kwh)


def violations(items: list[IncomingReading]) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as info:
        validate_readings(items, METERS, now=NOW)
    return {v.field: v.description for v in info.value.violations}


class TestNames:
    def test_round_trip(self) -> None:
        """A meter name parses back into its data center and meter ids."""
        assert parse_meter_name(meter_name("fz-a", "m-1")) == ("fz-a", "m-1")

    @pytest.mark.parametrize(
        "name", ["", "meters/x", "dataCenters/fz-a/meters/", "dataCenters/FZ/meters/x"]
    )
    def test_malformed_names_do_not_parse(self, name: str) -> None:
        """Names of the wrong shape or with invalid ids give None."""
        assert parse_meter_name(name) is None


class TestValidate:
    def test_good_batch_becomes_readings(self) -> None:
        """Valid items become domain readings of the meter ids, in UTC."""
        out = validate_readings([good(5), good(0, 2.0)], METERS, now=NOW)
        assert out == [
            Reading("fz-it", NOW - timedelta(minutes=5), energy_kwh=1.0),
            Reading("fz-it", NOW, energy_kwh=2.0),
        ]

    def test_every_bad_field_is_named_by_its_path(self) -> None:
        """Unknown meters, unset/naive/ancient/future times, negative or non-finite values and
        empty readings are each reported at readings[i].<field>."""
        got = violations(
            [
                good(),
                IncomingReading("dataCenters/fz-a/meters/ghost", NOW, energy_kwh=1.0),
                IncomingReading("dataCenters/hub-b/meters/fz-it", NOW, energy_kwh=1.0),
                IncomingReading(NAME, NOW, energy_kwh=-1.0),
                IncomingReading(NAME, datetime(2025, 3, 1), energy_kwh=1.0),  # naive
                IncomingReading(NAME, None, power_kw=1.0),
                IncomingReading(NAME, NOW, power_kw=math.nan),
                IncomingReading(NAME, NOW),
                IncomingReading(NAME, datetime(1970, 1, 1, tzinfo=UTC), energy_kwh=1.0),
                IncomingReading(NAME, NOW + timedelta(hours=1), energy_kwh=1.0),
                IncomingReading("fz-it", NOW, energy_kwh=1.0),
            ]
        )
        assert set(got) == {
            "readings[1].meter",
            "readings[2].meter",
            "readings[3].energy_kwh",
            "readings[4].read_time",
            "readings[5].read_time",
            "readings[6].power_kw",
            "readings[7]",
            "readings[8].read_time",
            "readings[9].read_time",
            "readings[10].meter",
        }
        assert "naive" in got["readings[4].read_time"]

    def test_message_counts_the_bad_readings(self) -> None:
        """The error message says how many readings were refused and that none was stored."""
        with pytest.raises(InvalidArgument) as info:
            validate_readings([good(), IncomingReading(NAME, None)], METERS, now=NOW)
        assert "1 of 2 readings" in info.value.message
        assert "none was stored" in info.value.message

    def test_violations_are_capped(self) -> None:
        """A batch of many bad readings reports at most 100 violations."""
        bad = [IncomingReading(NAME, NOW, energy_kwh=-1.0)] * 500
        with pytest.raises(InvalidArgument) as info:
            validate_readings(bad, METERS, now=NOW)
        assert len(info.value.violations) == 100


class TestIngest:
    def test_batches_are_all_or_nothing_and_idempotent(self, engine: Engine) -> None:
        """A bad batch stores nothing; a good one is stored once, its repeat counted as
        duplicates, and listeners hear only of batches that added readings."""
        store = TelemetryStore(engine)
        for m in METERS.values():
            store.create_meter(m)
        ingest = Ingest(store, clock=lambda: NOW)
        heard: list[IngestResult] = []
        ingest.subscribe(heard.append)

        async def body() -> None:
            with pytest.raises(InvalidArgument):
                await ingest.record([good(15), IncomingReading(NAME, NOW, energy_kwh=-5.0)])
            assert store.reading_count() == 0
            first = await ingest.record([good(15), good(0, 2.0)])
            assert (first.accepted, first.duplicates) == (2, 0)
            assert first.data_centers == frozenset({"fz-a"})
            again = await ingest.record([good(15), good(0, 2.0)])
            assert (again.accepted, again.duplicates) == (0, 2)

        asyncio.run(body())
        assert [h.accepted for h in heard] == [2]

    def test_domain_readings_path_checks_meters(self, engine: Engine) -> None:
        """The collector's sink stores readings of known meters and refuses unknown ones."""
        store = TelemetryStore(engine)
        store.create_meter(METERS["fz-it"])
        ingest = Ingest(store, clock=lambda: NOW)

        async def body() -> None:
            ok = await ingest.record_readings([Reading("fz-it", NOW, power_kw=3.0)])
            assert ok.accepted == 1
            with pytest.raises(InvalidArgument) as info:
                await ingest.record_readings([Reading("nope", NOW, power_kw=3.0)])
            assert info.value.violations[0].field == "readings[0].meter_id"

        asyncio.run(body())

    def test_failing_listener_does_not_fail_the_commit(self, engine: Engine) -> None:
        """A listener that raises is logged; the stored batch is still reported as stored."""
        store = TelemetryStore(engine)
        store.create_meter(METERS["fz-it"])
        ingest = Ingest(store, clock=lambda: NOW)

        def broken(_: IngestResult) -> None:
            raise RuntimeError("cache down")

        ingest.subscribe(broken)
        result = asyncio.run(ingest.record([good()]))
        assert result.accepted == 1
        assert store.reading_count() == 1
