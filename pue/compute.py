"""Pure PUE maths: energy over a window from meter readings, and PUE, pPUE, CUE, WUE from it.

PUE = E_DC / E_IT over the same period (ISO/IEC 30134-2). It is always a ratio of energy
sums, never a mean of instantaneous or per-interval ratios: a mean of ratios weights a
quiet night hour as much as a full-load afternoon hour, while the standard weights each
hour by the energy it actually used.

How a meter's readings become energy over a window:

* Readings are sorted by time (late arrivals are fine) and de-duplicated on
  (meter, timestamp); when duplicates disagree, the last one given wins, since a re-sent
  reading is a correction.
* Each pair of consecutive readings is one *interval*. With cumulative counters its
  energy is c1 - c0; when the counter drops (c1 < c0) the meter was reset and c1 is the
  energy since the reset, so the interval's energy is c1 (the energy between c0 and the
  reset is unknowable and lost, which is why resets are counted and reported). With
  power-only readings the interval's energy is the trapezoid (p0 + p1) / 2 × Δt.
* Inside an interval, power is taken as linear in time (constant for counters), so a
  window edge that cuts an interval takes the proportional share: linear interpolation.
* An interval longer than `max_interval` is a gap: nothing is known about how the energy
  was spread inside it, so it counts as uncovered. Nothing before the first or after the
  last reading is covered either: the maths never extrapolates.
* A PUE is computed over the span where *every* facility and IT meter is covered, so
  numerator and denominator always describe the same hours; `coverage` is that span's
  share of the window.

Times are handled as float seconds from the window start inside this module; energies in
kWh, powers in kW.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pue.domain import (
    Cue,
    Gap,
    GapKind,
    InsufficientDataError,
    InvalidMeteringError,
    Meter,
    MeterEnergy,
    MeteringPoint,
    PartialPueResult,
    PueCategory,
    PueChoice,
    PueResult,
    Reading,
    Window,
    invalid,
)

__all__ = [
    "CATEGORY_2_MAX_READING_INTERVAL",
    "CATEGORY_3_MAX_READING_INTERVAL",
    "DEFAULT_MAX_INTERVAL",
    "IT_METERING_POINTS",
    "SUBSYSTEM_METERING_POINTS",
    "annual_window",
    "annualised_pue",
    "best_it_metering_point",
    "compute_pue",
    "counter_energy",
    "coverage_fraction",
    "cue",
    "measured_or_design",
    "meter_energy",
    "partial_pue",
    "partial_pue_from_energy",
    "power_energy",
    "pue_category",
    "pue_from_energy",
    "wue",
]

DEFAULT_MAX_INTERVAL = timedelta(hours=1)
"""Longest reading interval still trusted to be covered. Scrapers run every minute or so;
an hour without a reading means the collector or the meter was down."""

CATEGORY_3_MAX_READING_INTERVAL = timedelta(minutes=15)
"""ISO/IEC 30134-2 category 3 asks for continuous measurement at 15 minutes or better."""

CATEGORY_2_MAX_READING_INTERVAL = timedelta(days=1)
"""ISO/IEC 30134-2 category 2 asks for at least daily readings."""

IT_METERING_POINTS: tuple[MeteringPoint, ...] = (
    MeteringPoint.IT_INPUT,
    MeteringPoint.PDU_OUTPUT,
    MeteringPoint.UPS_OUTPUT,
)
"""IT metering points, best (closest to the IT load) first."""

SUBSYSTEM_METERING_POINTS: tuple[MeteringPoint, ...] = (
    MeteringPoint.COOLING,
    MeteringPoint.LIGHTING,
    MeteringPoint.OTHER,
)
"""Infrastructure subsystems a partial PUE can be computed for."""

_POINT_CATEGORY = {
    MeteringPoint.IT_INPUT: PueCategory.ADVANCED,
    MeteringPoint.PDU_OUTPUT: PueCategory.INTERMEDIATE,
    MeteringPoint.UPS_OUTPUT: PueCategory.BASIC,
}

# Float round-off on energy sums must not turn an exact PUE of 1.0 into an error; any
# larger shortfall is a metering fault and is raised, never clamped.
_RATIO_TOLERANCE = 1e-9

_SECONDS_PER_HOUR = 3600.0

# One usable interval of one meter: start and end in seconds from the window start,
# power in kW at both ends (equal for counters), and whether a counter reset happened in it.
_Segment = tuple[float, float, float, float, bool]
_Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class _Profile:
    """A meter's readings turned into usable intervals relative to one window."""

    segments: tuple[_Segment, ...]
    covered: tuple[_Span, ...]
    gaps: tuple[Gap, ...]
    duplicates: int
    method: Literal["counter", "power"]
    median_interval_s: float | None


# ---------------------------------------------------------------------------------------
# Interval arithmetic on sorted, disjoint spans
# ---------------------------------------------------------------------------------------


def _merge(spans: Iterable[_Span]) -> tuple[_Span, ...]:
    merged: list[_Span] = []
    for a, b in sorted(spans):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _intersect(xs: Sequence[_Span], ys: Sequence[_Span]) -> tuple[_Span, ...]:
    out: list[_Span] = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        lo = max(xs[i][0], ys[j][0])
        hi = min(xs[i][1], ys[j][1])
        if lo < hi:
            out.append((lo, hi))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _length(spans: Iterable[_Span]) -> float:
    return sum(b - a for a, b in spans)


def _seconds(t: datetime, origin: datetime) -> float:
    return (t - origin).total_seconds()


def coverage_fraction(spans: Iterable[tuple[datetime, datetime]], window: Window) -> float:
    """Fraction (0..1) of `window` covered by the union of `spans` (overlaps count once)."""
    total = window.duration.total_seconds()
    clipped = (
        (max(0.0, _seconds(a, window.start)), min(total, _seconds(b, window.start)))
        for a, b in spans
    )
    return _length(_merge(clipped)) / total


# ---------------------------------------------------------------------------------------
# Readings -> profile
# ---------------------------------------------------------------------------------------


def _dedupe_sorted(
    points: Iterable[tuple[datetime, float]],
) -> tuple[list[tuple[datetime, float]], int]:
    # Stable sort keeps the given order among equal timestamps, so "last wins" is the
    # last one given.
    ordered = sorted(points, key=lambda p: p[0])
    kept: list[tuple[datetime, float]] = []
    duplicates = 0
    for p in ordered:
        if kept and kept[-1][0] == p[0]:
            kept[-1] = p
            duplicates += 1
        else:
            kept.append(p)
    return kept, duplicates


def _choose_method(readings: Sequence[Reading]) -> Literal["counter", "power"]:
    # Counters carry the energy exactly; power samples only approximate it, so they are
    # used only for a meter that never reports a counter.
    return "counter" if any(r.energy_kwh is not None for r in readings) else "power"


def _profile(
    meter_id: str,
    readings: Iterable[Reading],
    window: Window,
    max_interval: timedelta,
    method: Literal["counter", "power"] | None = None,
) -> _Profile:
    own = [r for r in readings if r.meter_id == meter_id]
    chosen = method or _choose_method(own)
    if chosen == "counter":
        usable = [(r.timestamp, r.energy_kwh) for r in own if r.energy_kwh is not None]
    else:
        usable = [(r.timestamp, r.power_kw) for r in own if r.power_kw is not None]
    points, duplicates = _dedupe_sorted(usable)

    span_end = window.duration.total_seconds()
    max_s = max_interval.total_seconds()
    segments: list[_Segment] = []
    gaps: list[Gap] = []
    intervals_s: list[float] = []

    if not points:
        gaps.append(Gap(meter_id, window.start, window.end, GapKind.NO_DATA))
    else:
        if points[0][0] > window.start:
            end = min(points[0][0], window.end)
            gaps.append(Gap(meter_id, window.start, end, GapKind.NO_DATA))

    for prev, cur in itertools.pairwise(points):
        if prev[0] >= window.end:
            break
        if cur[0] <= window.start:
            continue
        t0 = _seconds(prev[0], window.start)
        t1 = _seconds(cur[0], window.start)
        dt = t1 - t0
        intervals_s.append(dt)
        if dt > max_s:
            gaps.append(
                Gap(
                    meter_id,
                    max(prev[0], window.start),
                    min(cur[0], window.end),
                    GapKind.LONG_INTERVAL,
                )
            )
            continue
        if chosen == "counter":
            c0, c1 = prev[1], cur[1]
            reset = c1 < c0
            energy = c1 if reset else c1 - c0
            p = energy * _SECONDS_PER_HOUR / dt
            segments.append((t0, t1, p, p, reset))
        else:
            segments.append((t0, t1, prev[1], cur[1], False))

    if points and points[-1][0] < window.end:
        start = max(points[-1][0], window.start)
        gaps.append(Gap(meter_id, start, window.end, GapKind.NO_DATA))

    covered = _merge((max(0.0, a), min(span_end, b)) for a, b, *_ in segments)
    return _Profile(
        segments=tuple(segments),
        covered=covered,
        gaps=tuple(gaps),
        duplicates=duplicates,
        method=chosen,
        median_interval_s=statistics.median(intervals_s) if intervals_s else None,
    )


def _integrate(segment: _Segment, lo: float, hi: float) -> float:
    """kWh of one segment between lo and hi (inside it), power linear in time."""
    t0, t1, p0, p1, _ = segment
    slope = (p1 - p0) / (t1 - t0)
    p_lo = p0 + slope * (lo - t0)
    p_hi = p0 + slope * (hi - t0)
    return (hi - lo) * (p_lo + p_hi) / 2.0 / _SECONDS_PER_HOUR


def _energy_over(profile: _Profile, spans: Sequence[_Span]) -> float:
    total = 0.0
    segs = profile.segments
    i = j = 0
    while i < len(spans) and j < len(segs):
        a, b = spans[i]
        lo = max(a, segs[j][0])
        hi = min(b, segs[j][1])
        if lo < hi:
            total += _integrate(segs[j], lo, hi)
        if b < segs[j][1]:
            i += 1
        else:
            j += 1
    return total


def _resets(profile: _Profile, spans: Sequence[_Span]) -> int:
    return sum(
        1 for t0, t1, _, _, reset in profile.segments if reset and _intersect([(t0, t1)], spans)
    )


def _check_max_interval(max_interval: timedelta) -> None:
    if max_interval <= timedelta(0):
        raise invalid("max_interval", f"max_interval must be positive, got {max_interval}")


def _meter_energy(
    meter_id: str,
    readings: Iterable[Reading],
    window: Window,
    max_interval: timedelta,
    method: Literal["counter", "power"] | None,
) -> MeterEnergy:
    _check_max_interval(max_interval)
    profile = _profile(meter_id, readings, window, max_interval, method)
    total = window.duration.total_seconds()
    return MeterEnergy(
        meter_id=meter_id,
        window=window,
        energy_kwh=_energy_over(profile, profile.covered),
        coverage=_length(profile.covered) / total,
        gaps=profile.gaps,
        counter_resets=_resets(profile, profile.covered),
        duplicates_dropped=profile.duplicates,
        method=profile.method,
    )


def meter_energy(
    meter_id: str,
    readings: Iterable[Reading],
    window: Window,
    *,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
) -> MeterEnergy:
    """Energy of one meter over the covered part of `window`.

    Uses the cumulative counters when the meter reports any, else integrates its power
    samples. Readings of other meters are ignored.
    """
    return _meter_energy(meter_id, readings, window, max_interval, None)


def counter_energy(
    meter_id: str,
    readings: Iterable[Reading],
    window: Window,
    *,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
) -> MeterEnergy:
    """Energy from cumulative counters only (resets handled, edges interpolated)."""
    return _meter_energy(meter_id, readings, window, max_interval, "counter")


def power_energy(
    meter_id: str,
    readings: Iterable[Reading],
    window: Window,
    *,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
) -> MeterEnergy:
    """Energy from power samples only: trapezoid rule, edges interpolated linearly."""
    return _meter_energy(meter_id, readings, window, max_interval, "power")


# ---------------------------------------------------------------------------------------
# Ratios
# ---------------------------------------------------------------------------------------


def pue_from_energy(facility_kwh: float, it_kwh: float) -> float:
    """PUE = E_DC / E_IT.

    Raises InsufficientDataError when E_IT is not positive, and InvalidMeteringError when
    the ratio is below 1: the facility cannot use less energy than the IT equipment it
    feeds, so a PUE below 1 means a meter is wrong or misassigned.
    """
    if it_kwh <= 0:
        raise InsufficientDataError(f"IT energy must be positive to compute PUE, got {it_kwh}")
    if facility_kwh < 0:
        raise InvalidMeteringError(f"facility energy is negative: {facility_kwh} kWh")
    value = facility_kwh / it_kwh
    if value < 1.0 - _RATIO_TOLERANCE:
        raise InvalidMeteringError(
            f"PUE {value:.4f} < 1: facility energy {facility_kwh:.3f} kWh is below IT energy "
            f"{it_kwh:.3f} kWh; check that the utility-input and IT meters are assigned right"
        )
    return value


def partial_pue_from_energy(subsystem_kwh: float, it_kwh: float) -> float:
    """pPUE of a subsystem = (E_IT + E_subsystem) / E_IT (The Green Grid)."""
    if subsystem_kwh < 0:
        raise InvalidMeteringError(f"subsystem energy is negative: {subsystem_kwh} kWh")
    return pue_from_energy(it_kwh + subsystem_kwh, it_kwh)


def best_it_metering_point(points: Iterable[MeteringPoint]) -> MeteringPoint | None:
    """The IT metering point closest to the IT load among `points` (IT_INPUT > PDU > UPS)."""
    present = set(points)
    return next((p for p in IT_METERING_POINTS if p in present), None)


def pue_category(it_point: MeteringPoint, reading_interval: timedelta) -> PueCategory:
    """ISO/IEC 30134-2 category from where IT energy is metered and how often it is read.

    The category is the lower of the two: IT-input meters read hourly only reach
    category 2; UPS-output meters stay category 1 however often they are read.
    """
    if it_point not in _POINT_CATEGORY:
        raise invalid("it_metering_point", f"{it_point} is not an IT metering point")
    if reading_interval <= CATEGORY_3_MAX_READING_INTERVAL:
        by_interval = PueCategory.ADVANCED
    elif reading_interval <= CATEGORY_2_MAX_READING_INTERVAL:
        by_interval = PueCategory.INTERMEDIATE
    else:
        by_interval = PueCategory.BASIC
    return min(_POINT_CATEGORY[it_point], by_interval)


@dataclass(frozen=True, slots=True)
class _Sides:
    """Two groups of meters evaluated on the span every one of them covers."""

    coverage: float
    numerator_kwh: float
    it_kwh: float
    gaps: tuple[Gap, ...]
    resets: int
    it_point: MeteringPoint
    it_interval: timedelta | None
    numerator_ids: tuple[str, ...]
    it_ids: tuple[str, ...]


def _single_data_center(meters: Sequence[Meter]) -> None:
    ids = {m.data_center_id for m in meters}
    if len(ids) > 1:
        raise invalid("meters", f"meters from several data centers: {sorted(ids)}")


def _available_it_point(
    meters: Sequence[Meter], by_meter: dict[str, list[Reading]]
) -> MeteringPoint | None:
    # A point is available when every meter installed there reported something: summing
    # a partial set of IT meters would understate E_IT and overstate PUE.
    for point in IT_METERING_POINTS:
        at_point = [m for m in meters if m.metering_point == point]
        if at_point and all(by_meter.get(m.id) for m in at_point):
            return point
    return None


def _evaluate(
    meters: Sequence[Meter],
    readings: Iterable[Reading],
    window: Window,
    numerator_point: MeteringPoint,
    it_metering_point: MeteringPoint | None,
    max_interval: timedelta,
) -> _Sides:
    _check_max_interval(max_interval)
    _single_data_center(meters)
    by_meter: dict[str, list[Reading]] = defaultdict(list)
    wanted = {m.id for m in meters}
    for r in readings:
        if r.meter_id in wanted:
            by_meter[r.meter_id].append(r)

    numerator_meters = [m for m in meters if m.metering_point == numerator_point]
    if not numerator_meters:
        raise InsufficientDataError(f"no {numerator_point} meter among the meters given")
    it_point = it_metering_point or _available_it_point(meters, by_meter)
    if it_point is None:
        raise InsufficientDataError("no IT metering point whose meters all have readings")
    if it_point not in IT_METERING_POINTS:
        raise invalid("it_metering_point", f"{it_point} is not an IT metering point")
    it_meters = [m for m in meters if m.metering_point == it_point]
    if not it_meters:
        raise InsufficientDataError(f"no {it_point} meter among the meters given")

    profiles = {
        m.id: _profile(m.id, by_meter.get(m.id, ()), window, max_interval)
        for m in (*numerator_meters, *it_meters)
    }
    span: tuple[_Span, ...] = ((0.0, window.duration.total_seconds()),)
    for p in profiles.values():
        span = _intersect(span, p.covered)
    coverage = _length(span) / window.duration.total_seconds()
    if coverage == 0.0:
        raise InsufficientDataError(
            f"no span of {window.start.isoformat()}..{window.end.isoformat()} is covered by "
            f"every {numerator_point} and {it_point} meter"
        )

    # The slowest IT meter sets the category: the standard asks it of all of them.
    it_medians = [s for m in it_meters if (s := profiles[m.id].median_interval_s) is not None]
    it_interval = timedelta(seconds=max(it_medians)) if it_medians else None
    gaps = sorted(
        (g for p in profiles.values() for g in p.gaps), key=lambda g: (g.start, g.meter_id)
    )
    return _Sides(
        coverage=coverage,
        numerator_kwh=sum(_energy_over(profiles[m.id], span) for m in numerator_meters),
        it_kwh=sum(_energy_over(profiles[m.id], span) for m in it_meters),
        gaps=tuple(gaps),
        resets=sum(_resets(p, span) for p in profiles.values()),
        it_point=it_point,
        it_interval=it_interval,
        numerator_ids=tuple(m.id for m in numerator_meters),
        it_ids=tuple(m.id for m in it_meters),
    )


def compute_pue(
    meters: Sequence[Meter],
    readings: Iterable[Reading],
    window: Window,
    *,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
    it_metering_point: MeteringPoint | None = None,
) -> PueResult:
    """PUE of one data center over `window` from its meters' readings.

    E_DC is the sum of the UTILITY_INPUT meters, E_IT the sum of the meters at the best
    available IT point (or `it_metering_point` if given); both are taken over the span
    where every one of those meters is covered, and PUE = E_DC / E_IT.

    Raises InsufficientDataError when no span is covered by all of them or E_IT is zero,
    and InvalidMeteringError when the data give PUE < 1.
    """
    sides = _evaluate(
        meters, readings, window, MeteringPoint.UTILITY_INPUT, it_metering_point, max_interval
    )
    value = pue_from_energy(sides.numerator_kwh, sides.it_kwh)
    interval = sides.it_interval or window.duration
    return PueResult(
        value=value,
        window=window,
        category=pue_category(sides.it_point, interval),
        coverage=sides.coverage,
        gaps=sides.gaps,
        counter_resets=sides.resets,
        facility_energy_kwh=sides.numerator_kwh,
        it_energy_kwh=sides.it_kwh,
        it_metering_point=sides.it_point,
        facility_meter_ids=sides.numerator_ids,
        it_meter_ids=sides.it_ids,
    )


def annual_window(end: datetime) -> Window:
    """The trailing 12 calendar months ending at `end` (29 February maps to 28 February)."""
    try:
        start = end.replace(year=end.year - 1)
    except ValueError:  # 29 February has no counterpart in the previous year
        start = end.replace(year=end.year - 1, day=28)
    return Window(start, end)


def annualised_pue(
    meters: Sequence[Meter],
    readings: Iterable[Reading],
    end: datetime,
    *,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
    it_metering_point: MeteringPoint | None = None,
) -> PueResult:
    """Annualised PUE: energy sums over the trailing 12 months ending at `end`.

    ISO/IEC 30134-2 reports PUE over a year so that seasons (free cooling in winter,
    chillers in summer) are weighted by the energy they actually used.
    """
    return compute_pue(
        meters,
        readings,
        annual_window(end),
        max_interval=max_interval,
        it_metering_point=it_metering_point,
    )


def partial_pue(
    meters: Sequence[Meter],
    readings: Iterable[Reading],
    window: Window,
    subsystem: MeteringPoint,
    *,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
    it_metering_point: MeteringPoint | None = None,
) -> PartialPueResult:
    """Partial PUE of `subsystem` over `window`: (E_IT + E_subsystem) / E_IT.

    Both energies are taken over the span every subsystem and IT meter covers.
    """
    if subsystem not in SUBSYSTEM_METERING_POINTS:
        raise invalid("subsystem", f"{subsystem} is not an infrastructure subsystem")
    sides = _evaluate(meters, readings, window, subsystem, it_metering_point, max_interval)
    return PartialPueResult(
        value=partial_pue_from_energy(sides.numerator_kwh, sides.it_kwh),
        subsystem=subsystem,
        window=window,
        coverage=sides.coverage,
        gaps=sides.gaps,
        counter_resets=sides.resets,
        subsystem_energy_kwh=sides.numerator_kwh,
        it_energy_kwh=sides.it_kwh,
        it_metering_point=sides.it_point,
    )


def cue(pue: PueResult | float, grid_factor_kg_per_kwh: float) -> Cue:
    """CUE = PUE × grid carbon emission factor (kg CO2eq per kWh of IT energy).

    Holds because CO2eq = E_DC × factor for a site drawing all its energy from the grid,
    so CO2eq / E_IT = (E_DC / E_IT) × factor.
    """
    if grid_factor_kg_per_kwh < 0:
        raise invalid(
            "grid_factor_kg_per_kwh",
            f"grid factor must be non-negative, got {grid_factor_kg_per_kwh}",
        )
    if isinstance(pue, PueResult):
        value, window = pue.value, pue.window
    else:
        value, window = pue, None
    if value < 1.0:
        raise InvalidMeteringError(f"PUE {value} < 1 cannot yield a CUE")
    return Cue(
        value_kg_per_kwh=value * grid_factor_kg_per_kwh,
        pue=value,
        grid_factor_kg_per_kwh=grid_factor_kg_per_kwh,
        window=window,
    )


def wue(site_water_litres: float, it_energy_kwh: float) -> float:
    """WUE = site water use (litres) / IT energy (kWh) over the same period (The Green Grid)."""
    if site_water_litres < 0:
        raise invalid(
            "site_water_litres", f"water use must be non-negative, got {site_water_litres}"
        )
    if it_energy_kwh <= 0:
        raise InsufficientDataError(f"IT energy must be positive, got {it_energy_kwh}")
    return site_water_litres / it_energy_kwh


def measured_or_design(
    pue_result: PueResult | None, design_pue: float, min_coverage: float = 0.8
) -> PueChoice:
    """The PUE the scheduler should use: the measured one when it covers enough, else design.

    A measurement covering less than `min_coverage` of its window may have missed a
    season or a load peak, so the design PUE is the safer estimate then.
    """
    if design_pue < 1.0:
        raise invalid("design_pue", f"design PUE must be >= 1, got {design_pue}")
    if not 0.0 <= min_coverage <= 1.0:
        raise invalid("min_coverage", f"min_coverage must be in [0, 1], got {min_coverage}")
    if pue_result is None:
        return PueChoice(design_pue, "design", "no measured PUE for this data center")
    if pue_result.coverage < min_coverage:
        return PueChoice(
            design_pue,
            "design",
            f"measured PUE {pue_result.value:.3f} covers only {pue_result.coverage:.0%} of "
            f"its window, below the {min_coverage:.0%} required",
            pue_result,
        )
    return PueChoice(
        pue_result.value,
        "measured",
        f"measured PUE over {pue_result.window.start:%Y-%m-%d %H:%M}.."
        f"{pue_result.window.end:%Y-%m-%d %H:%M} UTC, {pue_result.coverage:.0%} covered, "
        f"category {int(pue_result.category)}",
        pue_result,
    )
