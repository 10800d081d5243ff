"""Tests of the pure PUE maths on small cases whose answers are worked out by hand."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computenet.errors import FailedPrecondition, InvalidArgument
from pue.compute import (
    annual_window,
    annualised_pue,
    best_it_metering_point,
    compute_pue,
    counter_energy,
    coverage_fraction,
    cue,
    measured_or_design,
    meter_energy,
    partial_pue,
    power_energy,
    pue_category,
    pue_from_energy,
    wue,
)
from pue.domain import (
    GapKind,
    InsufficientDataError,
    InvalidMeteringError,
    Meter,
    MeteringPoint,
    PueCategory,
    Reading,
    Window,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
FACILITY = Meter("fac", "dc-fz-1", MeteringPoint.UTILITY_INPUT, "10 kV feed")
IT = Meter("it", "dc-fz-1", MeteringPoint.IT_INPUT)
PDU = Meter("pdu", "dc-fz-1", MeteringPoint.PDU_OUTPUT)
UPS = Meter("ups", "dc-fz-1", MeteringPoint.UPS_OUTPUT)
COOLING = Meter("cool", "dc-fz-1", MeteringPoint.COOLING)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def window(start_min: float, end_min: float) -> Window:
    return Window(at(start_min), at(end_min))


def counters(meter: str, points: list[tuple[float, float]]) -> list[Reading]:
    """Counter readings from (minute, cumulative kWh) pairs."""
    return [Reading(meter, at(m), energy_kwh=kwh) for m, kwh in points]


def powers(meter: str, points: list[tuple[float, float]]) -> list[Reading]:
    """Power-only readings from (minute, kW) pairs."""
    return [Reading(meter, at(m), power_kw=kw) for m, kw in points]


def steady(
    meter: str, kwh_per_15min: float, minutes: int = 60, start: float = 0.0
) -> list[Reading]:
    """A counter read every 15 minutes that rises by the same amount each time."""
    return counters(
        meter, [(start + 15 * i, 1000.0 + kwh_per_15min * i) for i in range(minutes // 15 + 1)]
    )


class TestDomain:
    def test_reading_needs_a_value(self) -> None:
        """A reading with neither energy nor power is refused."""
        with pytest.raises(InvalidArgument, match="energy_kwh, power_kw"):
            Reading("m", T0)

    def test_reading_refuses_naive_time(self) -> None:
        """A naive timestamp is refused rather than guessed."""
        with pytest.raises(InvalidArgument, match="timezone-aware"):
            Reading("m", datetime(2025, 1, 1), energy_kwh=1.0)

    def test_reading_normalises_to_utc(self) -> None:
        """A Beijing-time timestamp is stored as the same instant in UTC."""
        beijing = datetime(2025, 1, 1, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
        r = Reading("m", beijing, power_kw=1.0)
        assert r.timestamp == T0
        assert r.timestamp.tzinfo == UTC

    def test_reading_refuses_negative(self) -> None:
        """Negative energy or power is not a meter value."""
        with pytest.raises(InvalidArgument, match="non-negative"):
            Reading("m", T0, power_kw=-1.0)

    def test_bad_field_is_named(self) -> None:
        """A bad value names its field, so the API can answer INVALID_ARGUMENT with BadRequest."""
        with pytest.raises(InvalidArgument) as caught:
            Reading("m", T0, energy_kwh=float("nan"))
        assert [v.field for v in caught.value.violations] == ["energy_kwh"]

    def test_pue_errors_are_failed_preconditions(self) -> None:
        """PUE errors sit in the project's one error tree with their own reasons."""
        assert issubclass(InvalidMeteringError, FailedPrecondition)
        assert InvalidMeteringError("x").reason == "INVALID_METERING"
        assert InsufficientDataError("x").reason == "INSUFFICIENT_METER_DATA"

    def test_window_must_be_ordered(self) -> None:
        """A window must end after it starts."""
        with pytest.raises(InvalidArgument, match="after start"):
            Window(T0, T0)


class TestCounterEnergy:
    def test_simple_window(self) -> None:
        """Counter 100, 110, 120, 130, 140 at 0..60 min gives 140 - 100 = 40 kWh, fully covered."""
        readings = counters("m", [(0, 100), (15, 110), (30, 120), (45, 130), (60, 140)])
        result = counter_energy("m", readings, window(0, 60))
        assert result.energy_kwh == pytest.approx(40.0)
        assert result.coverage == pytest.approx(1.0)
        assert result.gaps == ()
        assert result.counter_resets == 0
        assert result.method == "counter"

    def test_counter_reset(self) -> None:
        """1000 -> 1010 -> (reset) 5 -> 15 gives 10 + 5 + 10 = 25 kWh and one reset.

        After the reset the counter restarted at 0, so the 5 it shows is the energy since
        the reset; counting 5 - 1010 would give a negative interval.
        """
        readings = counters("m", [(0, 1000), (15, 1010), (30, 5), (45, 15)])
        result = counter_energy("m", readings, window(0, 45))
        assert result.energy_kwh == pytest.approx(25.0)
        assert result.counter_resets == 1
        assert result.coverage == pytest.approx(1.0)

    def test_gap_is_flagged_and_uncovered(self) -> None:
        """Readings at 0, 15, 45, 60 with a 15-minute limit leave 15..45 as a gap.

        Covered: 0..15 (10 kWh) and 45..60 (10 kWh) = 30 of 60 min, so coverage 0.5 and
        energy 20 kWh; the 30 kWh counted across the gap is not spread over unknown time.
        """
        readings = counters("m", [(0, 0), (15, 10), (45, 40), (60, 50)])
        result = counter_energy("m", readings, window(0, 60), max_interval=timedelta(minutes=15))
        assert result.coverage == pytest.approx(0.5)
        assert result.energy_kwh == pytest.approx(20.0)
        assert len(result.gaps) == 1
        gap = result.gaps[0]
        assert (gap.start, gap.end, gap.kind) == (at(15), at(45), GapKind.LONG_INTERVAL)

    def test_duplicate_reading_dropped(self) -> None:
        """Sending the 15-minute reading twice changes nothing: still 30 - 0 = 30 kWh."""
        readings = counters("m", [(0, 0), (15, 10), (15, 10), (30, 30)])
        result = counter_energy("m", readings, window(0, 30))
        assert result.energy_kwh == pytest.approx(30.0)
        assert result.duplicates_dropped == 1
        assert result.counter_resets == 0

    def test_conflicting_duplicate_last_wins(self) -> None:
        """Of two readings with the same timestamp, the one given last (a correction) is kept.

        With 12 kept at 15 min: 0..15 is 12 kWh of the 30 kWh total over 0..30, and a
        window 0..15 sees exactly those 12 kWh.
        """
        readings = counters("m", [(0, 0), (15, 99), (15, 12), (30, 30)])
        result = counter_energy("m", readings, window(0, 15))
        assert result.energy_kwh == pytest.approx(12.0)

    def test_window_cuts_interval_interpolates(self) -> None:
        """Counter 0, 10, 30, 60 at 0, 10, 20, 30 min; window 5..25.

        0..10 carries 10 kWh, half inside: 5; 10..20 fully inside: 20; 20..30 carries 30,
        half inside: 15. Total 5 + 20 + 15 = 40 kWh.
        """
        readings = counters("m", [(0, 0), (10, 10), (20, 30), (30, 60)])
        result = counter_energy("m", readings, window(5, 25))
        assert result.energy_kwh == pytest.approx(40.0)
        assert result.coverage == pytest.approx(1.0)

    def test_out_of_order_input(self) -> None:
        """Shuffled readings give the same energy as sorted ones."""
        readings = counters("m", [(0, 0), (10, 10), (20, 30), (30, 60), (40, 100)])
        shuffled = readings[:]
        random.Random(7).shuffle(shuffled)
        assert shuffled != readings
        expected = counter_energy("m", readings, window(5, 35)).energy_kwh
        assert counter_energy("m", shuffled, window(5, 35)).energy_kwh == pytest.approx(expected)
        # 5 + 20 + 30 + 20 (half of 10..40's last 40 kWh interval) = 75
        assert expected == pytest.approx(75.0)

    def test_never_extrapolates(self) -> None:
        """Data from 0 to 60 min in a window -30..30 covers only 0..30: coverage 0.5.

        Counter 0, 20, 40, 60, 80 at 0, 15, 30, 45, 60: 0..30 holds 40 kWh; nothing is
        invented for -30..0.
        """
        readings = counters("m", [(0, 0), (15, 20), (30, 40), (45, 60), (60, 80)])
        result = counter_energy("m", readings, window(-30, 30))
        assert result.coverage == pytest.approx(0.5)
        assert result.energy_kwh == pytest.approx(40.0)
        assert [(g.start, g.end, g.kind) for g in result.gaps] == [
            (at(-30), at(0), GapKind.NO_DATA)
        ]

    def test_no_readings(self) -> None:
        """A meter with no readings covers nothing and the whole window is one gap."""
        result = counter_energy("m", [], window(0, 60))
        assert result.coverage == 0.0
        assert result.energy_kwh == 0.0
        assert [g.kind for g in result.gaps] == [GapKind.NO_DATA]

    def test_other_meters_ignored(self) -> None:
        """Readings of another meter do not leak into this meter's energy."""
        readings = counters("m", [(0, 0), (15, 10)]) + counters("x", [(0, 0), (15, 999)])
        assert counter_energy("m", readings, window(0, 15)).energy_kwh == pytest.approx(10.0)

    @settings(max_examples=60, deadline=None)
    @given(
        steps=st.lists(
            st.tuples(st.integers(1, 20), st.floats(0, 50, allow_nan=False)),
            min_size=1,
            max_size=30,
        ),
        cut=st.floats(0.01, 0.99),
    )
    def test_energy_is_additive_over_split_windows(
        self, steps: list[tuple[int, float]], cut: float
    ) -> None:
        """E(a..c) = E(a..b) + E(b..c) for any split point b, resets or not."""
        minute, value, points = 0.0, 0.0, [(0.0, 0.0)]
        for dt, delta in steps:
            minute += dt
            # Every fifth step resets the counter to the delta itself.
            value = delta if len(points) % 5 == 0 else value + delta
            points.append((minute, value))
        readings = counters("m", points)
        whole = window(0, minute)
        split = minute * cut
        left = counter_energy("m", readings, window(0, split))
        right = counter_energy("m", readings, window(split, minute))
        total = counter_energy("m", readings, whole)
        assert left.energy_kwh + right.energy_kwh == pytest.approx(total.energy_kwh, abs=1e-6)
        assert total.coverage == pytest.approx(1.0)


class TestPowerEnergy:
    def test_trapezoid(self) -> None:
        """100, 200, 100 kW at 0, 30, 60 min: 0.5 h × 150 + 0.5 h × 150 = 150 kWh."""
        readings = powers("m", [(0, 100), (30, 200), (60, 100)])
        result = power_energy("m", readings, window(0, 60))
        assert result.energy_kwh == pytest.approx(150.0)
        assert result.method == "power"

    def test_trapezoid_window_cut(self) -> None:
        """Window 15..45 of the same samples: p(15) = 150, p(30) = 200, p(45) = 150 kW.

        0.25 h × (150 + 200) / 2 + 0.25 h × (200 + 150) / 2 = 43.75 + 43.75 = 87.5 kWh.
        """
        readings = powers("m", [(0, 100), (30, 200), (60, 100)])
        result = power_energy("m", readings, window(15, 45))
        assert result.energy_kwh == pytest.approx(87.5)

    def test_ramp_uses_both_ends(self) -> None:
        """A ramp 0 -> 120 kW over an hour is 1 h × (0 + 120) / 2 = 60 kWh, not 0 or 120.

        Its second half, 30..60 min, runs from p(30) = 60 to 120 kW: 0.5 h × 90 = 45 kWh.
        """
        readings = powers("m", [(0, 0), (60, 120)])
        assert power_energy("m", readings, window(0, 60)).energy_kwh == pytest.approx(60.0)
        assert power_energy("m", readings, window(30, 60)).energy_kwh == pytest.approx(45.0)

    def test_meter_energy_chooses_power_without_counters(self) -> None:
        """A meter that reports only power is integrated; one with counters uses them."""
        only_power = powers("m", [(0, 60), (60, 60)])
        assert meter_energy("m", only_power, window(0, 60)).method == "power"
        both = [Reading("m", at(0), energy_kwh=0, power_kw=1), Reading("m", at(60), 40, 1)]
        result = meter_energy("m", both, window(0, 60))
        assert result.method == "counter"
        assert result.energy_kwh == pytest.approx(40.0)


class TestPue:
    def test_simple_window(self) -> None:
        """Facility +150 and IT +100 kWh each quarter hour: PUE = 600 / 400 = 1.5."""
        readings = steady("fac", 150) + steady("it", 100)
        result = compute_pue([FACILITY, IT], readings, window(0, 60))
        assert result.value == pytest.approx(1.5)
        assert result.facility_energy_kwh == pytest.approx(600.0)
        assert result.it_energy_kwh == pytest.approx(400.0)
        assert result.coverage == pytest.approx(1.0)
        assert result.category is PueCategory.ADVANCED
        assert result.it_metering_point is MeteringPoint.IT_INPUT

    def test_sums_not_mean_of_ratios(self) -> None:
        """Hour 1: 150 / 100 = 1.5; hour 2: 60 / 20 = 3.0. PUE is 210 / 120 = 1.75, not 2.25.

        The sum is right because PUE has to turn IT energy back into facility energy:
        1.75 × 120 kWh = 210 kWh, what the feed really delivered, while the mean of ratios
        2.25 × 120 = 270 kWh invents 60 kWh by giving the quiet hour the weight of the busy one.
        """
        fac = counters("fac", [(0, 0), (60, 150), (120, 210)])
        it = counters("it", [(0, 0), (60, 100), (120, 120)])
        hourly = [
            compute_pue([FACILITY, IT], fac + it, window(0, 60), max_interval=timedelta(hours=1)),
            compute_pue([FACILITY, IT], fac + it, window(60, 120), max_interval=timedelta(hours=1)),
        ]
        mean_of_ratios = sum(r.value for r in hourly) / len(hourly)
        whole = compute_pue(
            [FACILITY, IT], fac + it, window(0, 120), max_interval=timedelta(hours=1)
        )
        assert [r.value for r in hourly] == [pytest.approx(1.5), pytest.approx(3.0)]
        assert mean_of_ratios == pytest.approx(2.25)
        assert whole.value == pytest.approx(1.75)
        assert whole.value * whole.it_energy_kwh == pytest.approx(whole.facility_energy_kwh)

    def test_below_one_is_an_error(self) -> None:
        """Facility 90 kWh against IT 100 kWh is a metering fault, raised not clamped."""
        readings = steady("fac", 90, minutes=15) + steady("it", 100, minutes=15)
        with pytest.raises(InvalidMeteringError, match=r"PUE 0\.9000 < 1"):
            compute_pue([FACILITY, IT], readings, window(0, 15))

    def test_exactly_one_is_allowed(self) -> None:
        """Equal facility and IT energy gives PUE 1.0, the physical floor."""
        assert pue_from_energy(100.0, 100.0) == 1.0

    def test_gap_restricts_both_sides(self) -> None:
        """IT misses 15..45; facility is taken on the same 0..15 + 45..60 only.

        Facility +150 per quarter, IT +100: over the 30 covered minutes 300 / 200 = 1.5,
        coverage 0.5, and the IT gap is reported.
        """
        fac = steady("fac", 150)
        it = counters("it", [(0, 0), (15, 100), (45, 300), (60, 400)])
        result = compute_pue(
            [FACILITY, IT], fac + it, window(0, 60), max_interval=timedelta(minutes=15)
        )
        assert result.value == pytest.approx(1.5)
        assert result.facility_energy_kwh == pytest.approx(300.0)
        assert result.it_energy_kwh == pytest.approx(200.0)
        assert result.coverage == pytest.approx(0.5)
        assert [(g.meter_id, g.kind) for g in result.gaps] == [("it", GapKind.LONG_INTERVAL)]

    def test_counter_reset_counted(self) -> None:
        """A facility reset (1300 -> 100) still gives 150 kWh per quarter: PUE 600 / 400."""
        fac = counters("fac", [(0, 1000), (15, 1150), (30, 1300), (45, 150), (60, 300)])
        result = compute_pue([FACILITY, IT], fac + steady("it", 100), window(0, 60))
        assert result.value == pytest.approx(1.5)
        assert result.counter_resets == 1

    def test_several_feeds_are_summed(self) -> None:
        """Two utility feeds of 90 and 60 kWh per quarter sum to 150 against IT 100: 1.5."""
        feed_b = Meter("fac-b", "dc-fz-1", MeteringPoint.UTILITY_INPUT)
        readings = steady("fac", 90) + steady("fac-b", 60) + steady("it", 100)
        result = compute_pue([FACILITY, feed_b, IT], readings, window(0, 60))
        assert result.value == pytest.approx(1.5)
        assert set(result.facility_meter_ids) == {"fac", "fac-b"}

    def test_best_it_point_is_used(self) -> None:
        """With IT-input and PDU-output meters both present, IT input (category 3) is used.

        PDU output includes PDU-to-server cable losses, so the two differ: 100 vs 104 kWh.
        """
        readings = steady("fac", 150) + steady("it", 100) + steady("pdu", 104)
        result = compute_pue([FACILITY, IT, PDU], readings, window(0, 60))
        assert result.it_metering_point is MeteringPoint.IT_INPUT
        assert result.value == pytest.approx(1.5)
        forced = compute_pue(
            [FACILITY, IT, PDU], readings, window(0, 60), it_metering_point=MeteringPoint.PDU_OUTPUT
        )
        assert forced.value == pytest.approx(150 / 104)
        assert forced.category is PueCategory.INTERMEDIATE

    def test_it_point_without_readings_is_skipped(self) -> None:
        """An IT-input meter that never reported does not block a PDU-output PUE."""
        readings = steady("fac", 150) + steady("pdu", 100)
        result = compute_pue([FACILITY, IT, PDU], readings, window(0, 60))
        assert result.it_metering_point is MeteringPoint.PDU_OUTPUT
        assert result.category is PueCategory.INTERMEDIATE

    def test_missing_facility_meter(self) -> None:
        """Without a utility-input meter there is no PUE."""
        with pytest.raises(InsufficientDataError, match="utility_input"):
            compute_pue([IT], steady("it", 100), window(0, 60))

    def test_no_common_coverage(self) -> None:
        """Facility data 0..60 and IT data 120..180 never overlap: no PUE."""
        readings = steady("fac", 150) + steady("it", 100, start=120)
        with pytest.raises(InsufficientDataError, match="covered"):
            compute_pue([FACILITY, IT], readings, window(0, 180))

    def test_meters_of_two_data_centers_refused(self) -> None:
        """Mixing data centers in one PUE is a caller error."""
        other = Meter("it2", "dc-other", MeteringPoint.IT_INPUT)
        with pytest.raises(InvalidArgument, match="several data centers"):
            compute_pue([FACILITY, other], steady("fac", 1), window(0, 60))

    def test_order_of_input_does_not_matter(self) -> None:
        """Shuffling all readings of both meters leaves the PUE unchanged."""
        readings = steady("fac", 150) + counters(
            "it", [(0, 0), (15, 90), (30, 200), (45, 310), (60, 400)]
        )
        shuffled = readings[:]
        random.Random(3).shuffle(shuffled)
        a = compute_pue([FACILITY, IT], readings, window(5, 55))
        b = compute_pue([FACILITY, IT], shuffled, window(5, 55))
        assert a == b


class TestCategory:
    @pytest.mark.parametrize(
        ("point", "interval", "expected"),
        [
            (MeteringPoint.IT_INPUT, timedelta(minutes=15), PueCategory.ADVANCED),
            (MeteringPoint.IT_INPUT, timedelta(hours=1), PueCategory.INTERMEDIATE),
            (MeteringPoint.IT_INPUT, timedelta(days=7), PueCategory.BASIC),
            (MeteringPoint.PDU_OUTPUT, timedelta(minutes=1), PueCategory.INTERMEDIATE),
            (MeteringPoint.PDU_OUTPUT, timedelta(days=1), PueCategory.INTERMEDIATE),
            (MeteringPoint.UPS_OUTPUT, timedelta(minutes=1), PueCategory.BASIC),
            (MeteringPoint.UPS_OUTPUT, timedelta(days=30), PueCategory.BASIC),
        ],
    )
    def test_category_is_lower_of_point_and_interval(
        self, point: MeteringPoint, interval: timedelta, expected: PueCategory
    ) -> None:
        """The category is the lower of what the point and the reading interval allow."""
        assert pue_category(point, interval) is expected

    def test_best_point_order(self) -> None:
        """IT input beats PDU output beats UPS output; non-IT points do not count."""
        points = [MeteringPoint.UPS_OUTPUT, MeteringPoint.COOLING, MeteringPoint.PDU_OUTPUT]
        assert best_it_metering_point(points) is MeteringPoint.PDU_OUTPUT
        assert best_it_metering_point([*points, MeteringPoint.IT_INPUT]) is MeteringPoint.IT_INPUT
        assert best_it_metering_point([MeteringPoint.UTILITY_INPUT]) is None

    def test_non_it_point_refused(self) -> None:
        """Cooling is not an IT metering point."""
        with pytest.raises(InvalidArgument, match="not an IT metering point"):
            pue_category(MeteringPoint.COOLING, timedelta(minutes=1))

    def test_ups_meters_give_basic_pue(self) -> None:
        """A PUE from UPS-output meters is category 1 even at 15-minute readings."""
        readings = steady("fac", 150) + steady("ups", 120)
        result = compute_pue([FACILITY, UPS], readings, window(0, 60))
        assert result.category is PueCategory.BASIC
        assert result.value == pytest.approx(1.25)

    def test_hourly_it_input_gives_intermediate(self) -> None:
        """IT-input meters read hourly reach only category 2."""
        fac = counters("fac", [(0, 0), (60, 150), (120, 300)])
        it = counters("it", [(0, 0), (60, 100), (120, 200)])
        result = compute_pue([FACILITY, IT], fac + it, window(0, 120))
        assert result.category is PueCategory.INTERMEDIATE


class TestAnnualised:
    def test_annual_window(self) -> None:
        """The trailing year ends at `end` and starts on the same date a year earlier."""
        end = datetime(2025, 3, 1, tzinfo=UTC)
        assert annual_window(end) == Window(datetime(2024, 3, 1, tzinfo=UTC), end)

    def test_annual_window_from_leap_day(self) -> None:
        """From 29 February the trailing year starts on 28 February."""
        end = datetime(2024, 2, 29, 12, tzinfo=UTC)
        assert annual_window(end).start == datetime(2023, 2, 28, 12, tzinfo=UTC)

    def test_annualised_pue_uses_only_trailing_year(self) -> None:
        """2023 runs at 48/24 kWh a day (PUE 2.0), 2024 at 30/24 (1.25); at 2025-01-01 it is 1.25.

        2024 has 366 days: 10,980 kWh / 8,784 kWh = 1.25, and nothing of 2023 enters.
        """
        start = datetime(2023, 1, 1, tzinfo=UTC)
        days = (datetime(2025, 1, 1, tzinfo=UTC) - start).days
        fac, it, f_total, i_total = [], [], 0.0, 0.0
        for d in range(days + 1):
            t = start + timedelta(days=d)
            fac.append(Reading("fac", t, energy_kwh=f_total))
            it.append(Reading("it", t, energy_kwh=i_total))
            f_total += 48.0 if t.year == 2023 else 30.0
            i_total += 24.0
        result = annualised_pue(
            [FACILITY, IT],
            fac + it,
            datetime(2025, 1, 1, tzinfo=UTC),
            max_interval=timedelta(days=1),
        )
        assert result.value == pytest.approx(1.25)
        assert result.facility_energy_kwh == pytest.approx(30.0 * 366)
        assert result.it_energy_kwh == pytest.approx(24.0 * 366)
        assert result.coverage == pytest.approx(1.0)
        assert result.category is PueCategory.INTERMEDIATE  # daily readings


class TestPartialPue:
    def test_cooling_partial_pue(self) -> None:
        """Cooling +30 and IT +100 kWh per quarter: pPUE = (400 + 120) / 400 = 1.3."""
        readings = steady("fac", 150) + steady("it", 100) + steady("cool", 30)
        result = partial_pue(
            [FACILITY, IT, COOLING], readings, window(0, 60), MeteringPoint.COOLING
        )
        assert result.value == pytest.approx(1.3)
        assert result.subsystem_energy_kwh == pytest.approx(120.0)
        assert result.it_energy_kwh == pytest.approx(400.0)

    def test_subsystem_must_be_infrastructure(self) -> None:
        """A partial PUE of the utility input is not a partial PUE."""
        with pytest.raises(InvalidArgument, match="not an infrastructure subsystem"):
            partial_pue([FACILITY, IT], [], window(0, 60), MeteringPoint.UTILITY_INPUT)


class TestCueWue:
    def test_cue_from_value(self) -> None:
        """PUE 1.25 × 0.5 kg/kWh (an illustrative factor, not a published one) = 0.625."""
        result = cue(1.25, 0.5)
        assert result.value_kg_per_kwh == pytest.approx(0.625)
        assert result.window is None

    def test_cue_from_result_keeps_window(self) -> None:
        """A CUE from a measured PUE carries the measurement's window: 1.5 × 0.4 = 0.6."""
        pue = compute_pue([FACILITY, IT], steady("fac", 150) + steady("it", 100), window(0, 60))
        result = cue(pue, 0.4)
        assert result.value_kg_per_kwh == pytest.approx(0.6)
        assert result.window == window(0, 60)

    def test_cue_refuses_negative_factor(self) -> None:
        """A negative grid factor is refused."""
        with pytest.raises(InvalidArgument, match="non-negative"):
            cue(1.2, -0.1)

    def test_wue(self) -> None:
        """180 litres of site water over 100 kWh of IT energy: WUE 1.8 L/kWh."""
        assert wue(180.0, 100.0) == pytest.approx(1.8)

    def test_wue_needs_it_energy(self) -> None:
        """WUE over zero IT energy is undefined."""
        with pytest.raises(InsufficientDataError):
            wue(1.0, 0.0)


class TestCoverage:
    def test_overlaps_count_once(self) -> None:
        """Spans 0..30 and 20..40 in a 0..60 window cover 40 of 60 minutes."""
        spans = [(at(0), at(30)), (at(20), at(40))]
        assert coverage_fraction(spans, window(0, 60)) == pytest.approx(40 / 60)

    def test_spans_outside_are_clipped(self) -> None:
        """A span -10..10 covers only the 10 minutes inside a 0..20 window."""
        assert coverage_fraction([(at(-10), at(10))], window(0, 20)) == pytest.approx(0.5)


class TestMeasuredOrDesign:
    def test_no_measurement_uses_design(self) -> None:
        """Without a measurement the design PUE is used and the reason says so."""
        choice = measured_or_design(None, 1.3)
        assert (choice.value, choice.source) == (1.3, "design")
        assert "no measured" in choice.reason

    def test_good_measurement_is_used(self) -> None:
        """A fully covered measurement (520 / 400 = 1.3) wins over the design PUE 1.5."""
        pue = compute_pue([FACILITY, IT], steady("fac", 130) + steady("it", 100), window(0, 60))
        choice = measured_or_design(pue, 1.5)
        assert choice.source == "measured"
        assert choice.value == pytest.approx(1.3)
        assert choice.measured is pue

    def test_thin_measurement_falls_back(self) -> None:
        """A measurement covering half its window falls back to design, saying why."""
        it = counters("it", [(0, 0), (15, 100), (45, 300), (60, 400)])
        pue = compute_pue(
            [FACILITY, IT],
            steady("fac", 130) + it,
            window(0, 60),
            max_interval=timedelta(minutes=15),
        )
        assert pue.coverage == pytest.approx(0.5)
        choice = measured_or_design(pue, 1.4, min_coverage=0.8)
        assert (choice.value, choice.source) == (1.4, "design")
        assert "50%" in choice.reason
        assert choice.measured is pue

    def test_design_below_one_refused(self) -> None:
        """A design PUE below 1 is a configuration error."""
        with pytest.raises(InvalidArgument, match="design PUE"):
            measured_or_design(None, 0.9)
