"""Tests of pue/compliance.py: which policy targets apply, measured versus design basis, and
the energy-weighted city average."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pue.compliance import (
    EASTERN_HUB_TARGET,
    EXISTING_DC_TARGET,
    FUZHOU,
    NEW_DC_TARGET,
    WESTERN_HUB_TARGET,
    city_averages,
    evaluate,
    policy_targets,
    strictest_policy_target,
)
from pue.domain import MeteringPoint, PueCategory, PueResult, Window
from pue.views import DataCenterInfo, HubClass

WINDOW = Window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC))


def dc(
    dc_id: str = "fz-a",
    *,
    region: str = "fujian-fuzhou",
    year: int = 2023,
    design: float = 1.28,
    target: float = 1.3,
    hub: HubClass = HubClass.NONE,
) -> DataCenterInfo:
    return DataCenterInfo(
        id=dc_id,
        region=region,
        province="Fujian",
        design_pue=design,
        pue_target=target,
        grid_carbon_g_per_kwh=409.2,
        commissioned_year=year,
        hub_class=hub,
        hub="长三角" if hub is not HubClass.NONE else "",
    )


def measured(facility: float, it: float, coverage: float = 1.0) -> PueResult:
    return PueResult(
        value=facility / it,
        window=WINDOW,
        category=PueCategory.ADVANCED,
        coverage=coverage,
        gaps=(),
        counter_resets=0,
        facility_energy_kwh=facility,
        it_energy_kwh=it,
        it_metering_point=MeteringPoint.IT_INPUT,
    )


class TestPolicyTargets:
    def test_new_data_center_gets_1_3_and_says_why(self) -> None:
        """A site commissioned in 2021 or later is new: ≤ 1.3, and the source says so."""
        target = strictest_policy_target(dc(year=2021))
        assert target.value == NEW_DC_TARGET
        assert "new" in target.source
        assert "2021" in target.source

    @pytest.mark.parametrize("year", [0, 2016, 2020])
    def test_existing_or_unknown_year_gets_1_5(self, year: int) -> None:
        """A site from before 2021, or of unknown year, is existing: ≤ 1.5."""
        target = strictest_policy_target(dc(year=year))
        assert target.value == EXISTING_DC_TARGET
        assert "existing" in target.source

    @pytest.mark.parametrize(
        ("hub", "value"),
        [(HubClass.EASTERN, EASTERN_HUB_TARGET), (HubClass.WESTERN, WESTERN_HUB_TARGET)],
    )
    def test_hub_targets_are_stricter(self, hub: HubClass, value: float) -> None:
        """A hub data center gets both the age and the hub target; the hub one is strictest."""
        info = dc(year=2016, hub=hub)
        assert {t.value for t in policy_targets(info)} == {EXISTING_DC_TARGET, value}
        assert strictest_policy_target(info).value == value
        assert "hub" in strictest_policy_target(info).source


class TestEvaluate:
    def test_good_coverage_uses_the_measurement(self) -> None:
        """With ≥ 80 % coverage the measured PUE is judged, with its energies kept."""
        entry = evaluate(dc(), measured(125.0, 100.0, coverage=0.9))
        assert entry.basis == "measured"
        assert entry.pue == pytest.approx(1.25)
        assert entry.compliant
        assert entry.excess == pytest.approx(1.25 - 1.3)
        assert entry.coverage == 0.9
        assert (entry.facility_energy_kwh, entry.it_energy_kwh) == (125.0, 100.0)

    def test_poor_coverage_falls_back_to_design(self) -> None:
        """Below 80 % coverage the design PUE is judged; the coverage is still reported."""
        entry = evaluate(dc(design=1.28), measured(150.0, 100.0, coverage=0.5))
        assert entry.basis == "design"
        assert entry.pue == 1.28
        assert entry.coverage == 0.5
        assert entry.it_energy_kwh == 0.0

    def test_no_measurement_uses_design(self) -> None:
        """With no measurement the design PUE is judged at coverage 0."""
        entry = evaluate(dc(design=1.4), None)
        assert (entry.basis, entry.pue, entry.coverage) == ("design", 1.4, 0.0)
        assert not entry.compliant

    def test_stricter_of_own_and_policy_target_binds(self) -> None:
        """A site whose own target is laxer than policy is held to the policy target."""
        entry = evaluate(dc(year=2024, target=1.4), measured(135.0, 100.0))
        assert entry.policy_target == NEW_DC_TARGET
        assert not entry.compliant
        assert entry.excess == pytest.approx(0.05)

    def test_exactly_on_target_is_compliant(self) -> None:
        """A PUE equal to the target complies (the policies say "no more than")."""
        assert evaluate(dc(), measured(130.0, 100.0)).compliant


class TestCityAverage:
    def test_average_is_energy_weighted(self) -> None:
        """The city PUE is Σ facility / Σ IT over its measured sites, not a mean of ratios."""
        infos = [dc("fz-a"), dc("fz-b", region="fujian-changle"), dc("xm", region="xiamen")]
        entries = [
            evaluate(infos[0], measured(120.0, 100.0)),  # 1.2 on 100 kWh
            evaluate(infos[1], measured(1500.0, 1000.0)),  # 1.5 on 1000 kWh
            evaluate(infos[2], measured(200.0, 100.0)),  # other city
        ]
        (avg,) = city_averages(entries, infos)
        assert avg.region == FUZHOU.region
        assert avg.data_centers == ("fz-a", "fz-b")
        assert avg.pue == pytest.approx(1620.0 / 1100.0)
        assert avg.pue != pytest.approx((1.2 + 1.5) / 2)
        assert not avg.compliant

    def test_design_basis_sites_are_left_out(self) -> None:
        """Sites judged on design PUE have no energies and do not enter the average; with no
        measured site there is no average."""
        infos = [dc("fz-a"), dc("fz-b", region="fujian-changle")]
        entries = [evaluate(infos[0], measured(130.0, 100.0)), evaluate(infos[1], None)]
        (avg,) = city_averages(entries, infos)
        assert avg.data_centers == ("fz-a",)
        assert avg.pue == pytest.approx(1.3)
        assert avg.compliant  # 1.3 < 1.35
        assert city_averages([evaluate(infos[1], None)], infos) == ()

    def test_average_target_is_strict(self) -> None:
        """Fuzhou's target is "below 1.35": exactly 1.35 does not comply."""
        info = dc()
        (avg,) = city_averages([evaluate(info, measured(135.0, 100.0))], [info])
        assert not avg.compliant
