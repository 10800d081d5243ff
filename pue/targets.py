"""The collector's targets file: which meter endpoints to scrape, read from YAML (or JSON).

::

    interval_s: 60            # optional, CollectorConfig defaults otherwise
    timeout_s: 5
    targets:
      - kind: prometheus
        url: http://pdu-3.fz:9100/metrics
        name: pdu-3             # optional
        series:
          - {meter: fz-it-pdu3, metric: pdu_energy_wh_total, unit: Wh, labels: {feed: A}}
      - kind: redfish
        url: https://bmc-12.fz/redfish/v1/Chassis/1/Power
        meter: fz-it-node12
        power_control_index: 0  # optional

Meters are named by id (as created with CreateMeter). Units: kWh, Wh, J (cumulative
counters) or W, kW (power). Every problem is reported with its path in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pue.collect import (
    CollectorConfig,
    EnergyUnit,
    PowerUnit,
    PrometheusSeries,
    PrometheusTarget,
    RedfishTarget,
    Target,
)

__all__ = ["TargetsFileError", "load_targets", "parse_targets"]


class TargetsFileError(ValueError):
    """The targets file is malformed; the message names the path of the bad entry."""


def _map(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TargetsFileError(f"{path}: expected a mapping, got {type(value).__name__}")
    return value


def _str(doc: Mapping[str, Any], key: str, path: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise TargetsFileError(f"{path}.{key}: required, a non-empty string")
    return value


def _unit(raw: object, path: str) -> EnergyUnit | PowerUnit:
    for kind in (EnergyUnit, PowerUnit):
        for unit in kind:
            if raw == unit.value:
                return unit
    choices = [u.value for u in EnergyUnit] + [u.value for u in PowerUnit]
    raise TargetsFileError(f"{path}.unit: {raw!r} is not one of {', '.join(choices)}")


def _target(raw: object, path: str) -> Target:
    doc = _map(raw, path)
    kind = doc.get("kind")
    url = _str(doc, "url", path)
    name = str(doc.get("name", ""))
    if kind == "prometheus":
        series_raw = doc.get("series")
        if not isinstance(series_raw, list) or not series_raw:
            raise TargetsFileError(f"{path}.series: required, a non-empty list")
        series = []
        for j, item in enumerate(series_raw):
            spath = f"{path}.series[{j}]"
            s = _map(item, spath)
            labels = _map(s.get("labels", {}), f"{spath}.labels")
            series.append(
                PrometheusSeries(
                    meter_id=_str(s, "meter", spath),
                    metric=_str(s, "metric", spath),
                    unit=_unit(s.get("unit"), spath),
                    labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())),
                )
            )
        return PrometheusTarget(url=url, series=tuple(series), name=name)
    if kind == "redfish":
        index = doc.get("power_control_index", 0)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise TargetsFileError(f"{path}.power_control_index: a non-negative integer")
        return RedfishTarget(
            url=url, meter_id=_str(doc, "meter", path), power_control_index=index, name=name
        )
    raise TargetsFileError(f"{path}.kind: must be prometheus or redfish, got {kind!r}")


def parse_targets(text: str) -> CollectorConfig:
    """A CollectorConfig from the text of a targets file."""
    try:
        doc = _map(yaml.safe_load(text), "targets file")
    except yaml.YAMLError as exc:
        raise TargetsFileError(f"targets file is not YAML: {exc}") from exc
    raw = doc.get("targets")
    if not isinstance(raw, list):
        raise TargetsFileError("targets: required, a list")
    targets = tuple(_target(t, f"targets[{i}]") for i, t in enumerate(raw))
    options: dict[str, Any] = {}
    for key in ("interval_s", "timeout_s"):
        if key in doc:
            value = doc[key]
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise TargetsFileError(f"{key}: a positive number")
            options[key] = float(value)
    return CollectorConfig(targets=targets, **options)


def load_targets(path: str | Path) -> CollectorConfig:
    """A CollectorConfig from the targets file at ``path``."""
    return parse_targets(Path(path).read_text(encoding="utf-8"))
