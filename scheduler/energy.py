"""Energy, cost and carbon of running a job in a data center. Pure.

IT energy kWh = replicas × (accelerators × board W × utilization + CPU cores × W per core)
× hours / 1000; facility energy = IT energy × PUE; cost = facility kWh × CNY/kWh;
carbon = facility kWh × grid gCO2/kWh / 1000.

A training job's hours are its expected duration on the fastest accelerator it accepts,
stretched on a slower one by the FP16 TFLOPS ratio (``duration_scale``): the work is fixed,
so a slow, low-power board is not mistaken for an efficient one. An inference job serves for
its duration whatever the board.
"""

from __future__ import annotations

from scheduler.domain import DEFAULT_UTILIZATION, EnergyEstimate, JobSpec

__all__ = ["CPU_WATTS_PER_CORE", "estimate_energy", "it_power_kw"]

CPU_WATTS_PER_CORE = 10.0
"""Server CPU power per busy core, W (estimate: ~300 W for a 32-core socket at load)."""


def it_power_kw(spec: JobSpec, board_power_w: float) -> float:
    """IT power of the whole job while it runs, kW."""
    util = spec.expected_utilization or DEFAULT_UTILIZATION
    r = spec.replica
    per_replica_w = r.accelerators * board_power_w * util + r.cpu_milli / 1000 * CPU_WATTS_PER_CORE
    return spec.replicas * per_replica_w / 1000.0


def estimate_energy(
    spec: JobSpec,
    *,
    board_power_w: float,
    pue: float,
    pue_measured: bool,
    price_cny_per_kwh: float,
    grid_g_per_kwh: float,
    duration_scale: float = 1.0,
) -> EnergyEstimate:
    """Energy, cost and carbon of the whole expected run."""
    hours = spec.expected_duration.total_seconds() / 3600.0 * duration_scale
    it_kwh = it_power_kw(spec, board_power_w) * hours
    kwh = it_kwh * pue
    return EnergyEstimate(
        it_energy_kwh=it_kwh,
        energy_kwh=kwh,
        cost_cny=kwh * price_cny_per_kwh,
        carbon_kg=kwh * grid_g_per_kwh / 1000.0,
        pue=pue,
        pue_measured=pue_measured,
    )
