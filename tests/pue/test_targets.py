"""Tests of pue/targets.py: the collector's targets file becomes a CollectorConfig, and every
mistake names its place in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pue.collect import EnergyUnit, PowerUnit, PrometheusTarget, RedfishTarget
from pue.targets import TargetsFileError, load_targets, parse_targets

GOOD = """
interval_s: 30
targets:
  - kind: prometheus
    url: http://pdu-3.fz:9100/metrics
    name: pdu-3
    series:
      - {meter: fz-it-pdu3, metric: pdu_energy_wh_total, unit: Wh, labels: {feed: A}}
      - {meter: fz-fac, metric: site_power_kw, unit: kW}
  - kind: redfish
    url: https://bmc-12.fz/redfish/v1/Chassis/1/Power
    meter: fz-it-node12
"""


class TestParse:
    def test_good_file(self, tmp_path: Path) -> None:
        """Both target kinds, units, labels and options come through."""
        path = tmp_path / "targets.yaml"
        path.write_text(GOOD, encoding="utf-8")
        config = load_targets(path)
        assert config.interval_s == 30.0
        prom, red = config.targets
        assert isinstance(prom, PrometheusTarget)
        assert prom.name == "pdu-3"
        assert prom.series[0].unit is EnergyUnit.WH
        assert prom.series[0].labels == (("feed", "A"),)
        assert prom.series[1].unit is PowerUnit.KW
        assert isinstance(red, RedfishTarget)
        assert (red.meter_id, red.power_control_index) == ("fz-it-node12", 0)

    @pytest.mark.parametrize(
        ("text", "where"),
        [
            ("targets: 3", "targets"),
            ("targets: [{kind: snmp, url: x}]", "targets[0].kind"),
            ("targets: [{kind: redfish, url: x}]", "targets[0].meter"),
            ("targets: [{kind: prometheus, url: x, series: []}]", "targets[0].series"),
            (
                "targets: [{kind: prometheus, url: x, series: [{meter: m, metric: e, unit: MWh}]}]",
                "targets[0].series[0].unit",
            ),
            ("interval_s: -1\ntargets: []", "interval_s"),
            ("targets: [", "not YAML"),
        ],
    )
    def test_mistakes_name_their_place(self, text: str, where: str) -> None:
        """Each malformed entry raises TargetsFileError naming where it is."""
        with pytest.raises(TargetsFileError, match=where.replace("[", r"\[").replace("]", r"\]")):
            parse_targets(text)
