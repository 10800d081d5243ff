"""Compliance of data centers with their own and the policy PUE targets. Pure.

Each data center is judged on the PUE it can show: the measured PUE over the window when
its readings cover at least 80 % of it (``pue.compute.measured_or_design``), else its design
PUE. It must meet both its own target and the strictest policy target that applies:

* New data centers ≤ 1.3, existing ones ≤ 1.5: 福州市新型基础设施建设三年行动方案(2023—2025).
  "New" means commissioned in 2021 or later: 发改高技〔2020〕1922号 (December 2020) set
  PUE < 1.3 for new large data centers, so sites that went into service from 2021 on were
  planned under it (our reading; the plan does not give a year). An unknown year (0) counts
  as existing, the laxer target, and the entry says so.
* Data centers in a national 东数西算 hub cluster: ≤ 1.25 in eastern hubs, ≤ 1.2 in western
  hubs (NDRC hub notices, 2022).
* Cities with an average target: Fuzhou's public compute averages PUE < 1.35
  (福州市加快推进数字化全面赋能…实施方案, 2025). The city average is energy-weighted, the
  ratio of summed facility energy to summed IT energy over the city's data centers whose
  PUE is measured, never a mean of their PUEs; with no measured data center there is no
  average to report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pue.compute import measured_or_design
from pue.domain import PueResult, Window
from pue.views import DataCenterInfo, HubClass

__all__ = [
    "CITY_TARGETS",
    "EASTERN_HUB_TARGET",
    "EXISTING_DC_TARGET",
    "FUZHOU",
    "MIN_COVERAGE",
    "NEW_DC_FROM_YEAR",
    "NEW_DC_TARGET",
    "WESTERN_HUB_TARGET",
    "CityAverage",
    "CityTarget",
    "ComplianceEntry",
    "ComplianceReport",
    "PolicyTarget",
    "city_averages",
    "evaluate",
    "policy_targets",
    "strictest_policy_target",
]

NEW_DC_FROM_YEAR = 2021
"""First commissioning year that counts as a new data center (see the module docstring)."""
NEW_DC_TARGET = 1.3
"""New data centers: PUE ≤ 1.3 (福州市新型基础设施建设三年行动方案 2023—2025)."""
EXISTING_DC_TARGET = 1.5
"""Existing data centers: PUE ≤ 1.5 (the same plan: "generally no more than 1.5")."""
EASTERN_HUB_TARGET = 1.25
"""Eastern national hub clusters: PUE ≤ 1.25 (NDRC hub notices, 2022)."""
WESTERN_HUB_TARGET = 1.2
"""Western national hub clusters: PUE ≤ 1.2 (NDRC hub notices, 2022)."""
MIN_COVERAGE = 0.8
"""Share of the window a measurement must cover to be used instead of the design PUE."""

_PLAN = "福州市新型基础设施建设三年行动方案(2023—2025)"
# Float round-off on energy ratios must not fail a data center sitting exactly on its target.
_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class PolicyTarget:
    """A policy PUE ceiling that applies to a data center, and why."""

    value: float
    """The ceiling (PUE must be ≤ it)."""
    source: str
    """Which rule, in words, with the document it comes from."""


@dataclass(frozen=True, slots=True)
class CityTarget:
    """A city's average PUE target over its data centers."""

    city: str
    """City name, e.g. ``Fuzhou``."""
    region: str
    """Region id the report names the city by."""
    regions: frozenset[str]
    """Region ids whose data centers count toward the city."""
    target: float
    """The average must be strictly below this."""
    source: str
    """The document that sets it."""


FUZHOU = CityTarget(
    city="Fuzhou",
    region="fujian-fuzhou",
    # Changle is a district of Fuzhou (福州新区); the demo network keeps it as its own region.
    regions=frozenset({"fujian-fuzhou", "fujian-changle"}),
    target=1.35,
    source="福州市加快推进数字化全面赋能…实施方案 (2025): public compute average PUE < 1.35",
)
CITY_TARGETS: tuple[CityTarget, ...] = (FUZHOU,)
"""Cities with an average PUE target."""


@dataclass(frozen=True, slots=True)
class ComplianceEntry:
    """One data center's PUE against its targets."""

    data_center: str
    """Data center id."""
    pue: float
    """The PUE judged: measured over the window, or design."""
    basis: Literal["measured", "design"]
    """Where ``pue`` comes from."""
    reason: str
    """Why that basis (coverage, or no data)."""
    own_target: float
    """The data center's own target."""
    policy_target: float
    """The strictest policy target that applies."""
    policy_target_source: str
    """That target's rule, in words."""
    compliant: bool
    """True when ``pue`` meets both targets."""
    excess: float
    """``pue`` minus the stricter of the two targets (positive = over by that much)."""
    coverage: float
    """Share of the window the measurement covers (0 with no measurement)."""
    facility_energy_kwh: float = 0.0
    """Measured facility energy over the covered span (0 on a design basis)."""
    it_energy_kwh: float = 0.0
    """Measured IT energy over the covered span (0 on a design basis)."""


@dataclass(frozen=True, slots=True)
class CityAverage:
    """The energy-weighted average PUE of a city's measured data centers."""

    city: str
    """City name."""
    region: str
    """Region id the city is reported by."""
    pue: float
    """Σ facility energy / Σ IT energy."""
    target: float
    """The city target (strictly below)."""
    compliant: bool
    """True when ``pue`` < ``target``."""
    data_centers: tuple[str, ...]
    """The measured data centers averaged."""
    source: str
    """The document that sets the target."""


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    """Every data center's compliance and the city averages over one window."""

    window: Window
    """The window measured."""
    entries: tuple[ComplianceEntry, ...]
    """One per data center, ordered by id."""
    city_averages: tuple[CityAverage, ...]
    """One per city target with at least one measured data center."""


def policy_targets(dc: DataCenterInfo) -> tuple[PolicyTarget, ...]:
    """Every policy target that applies to ``dc``."""
    year = dc.commissioned_year
    if year >= NEW_DC_FROM_YEAR:
        age = PolicyTarget(
            NEW_DC_TARGET,
            f"new data center (commissioned {year}; {NEW_DC_FROM_YEAR} or later counts as "
            f"new): PUE ≤ {NEW_DC_TARGET}, {_PLAN}",
        )
    else:
        when = f"commissioned {year}" if year else "commissioning year unknown"
        age = PolicyTarget(
            EXISTING_DC_TARGET,
            f"existing data center ({when}, counted as before {NEW_DC_FROM_YEAR}): "
            f"PUE ≤ {EXISTING_DC_TARGET}, {_PLAN}",
        )
    out = [age]
    hub = f" {dc.hub}" if dc.hub else ""
    if dc.hub_class is HubClass.EASTERN:
        out.append(
            PolicyTarget(
                EASTERN_HUB_TARGET,
                f"eastern national hub{hub}: PUE ≤ {EASTERN_HUB_TARGET}, NDRC hub notices 2022",
            )
        )
    elif dc.hub_class is HubClass.WESTERN:
        out.append(
            PolicyTarget(
                WESTERN_HUB_TARGET,
                f"western national hub{hub}: PUE ≤ {WESTERN_HUB_TARGET}, NDRC hub notices 2022",
            )
        )
    return tuple(out)


def strictest_policy_target(dc: DataCenterInfo) -> PolicyTarget:
    """The lowest policy ceiling that applies to ``dc``."""
    return min(policy_targets(dc), key=lambda t: t.value)


def evaluate(
    dc: DataCenterInfo, measured: PueResult | None, *, min_coverage: float = MIN_COVERAGE
) -> ComplianceEntry:
    """``dc``'s compliance given its measurement over the window (None when there is none)."""
    choice = measured_or_design(measured, dc.design_pue, min_coverage)
    policy = strictest_policy_target(dc)
    bound = min(dc.pue_target, policy.value)
    used = choice.measured if choice.source == "measured" else None
    return ComplianceEntry(
        data_center=dc.id,
        pue=choice.value,
        basis=choice.source,
        reason=choice.reason,
        own_target=dc.pue_target,
        policy_target=policy.value,
        policy_target_source=policy.source,
        compliant=choice.value <= bound + _TOLERANCE,
        excess=choice.value - bound,
        coverage=measured.coverage if measured is not None else 0.0,
        facility_energy_kwh=used.facility_energy_kwh if used else 0.0,
        it_energy_kwh=used.it_energy_kwh if used else 0.0,
    )


def city_averages(
    entries: Iterable[ComplianceEntry],
    data_centers: Mapping[str, DataCenterInfo] | Sequence[DataCenterInfo],
    targets: Iterable[CityTarget] = CITY_TARGETS,
) -> tuple[CityAverage, ...]:
    """Energy-weighted average PUE of each city over its measured data centers."""
    infos = (
        data_centers if isinstance(data_centers, Mapping) else {dc.id: dc for dc in data_centers}
    )
    out: list[CityAverage] = []
    entries = list(entries)
    for city in targets:
        members = [
            e
            for e in entries
            if e.basis == "measured"
            and e.it_energy_kwh > 0
            and e.data_center in infos
            and infos[e.data_center].region in city.regions
        ]
        if not members:
            continue
        facility = sum(e.facility_energy_kwh for e in members)
        it = sum(e.it_energy_kwh for e in members)
        value = facility / it
        out.append(
            CityAverage(
                city=city.city,
                region=city.region,
                pue=value,
                target=city.target,
                compliant=value < city.target,
                data_centers=tuple(sorted(e.data_center for e in members)),
                source=city.source,
            )
        )
    return tuple(out)
