"""Round-trip time between a region and a data center: the recorded link when there is one,
else an estimate from great-circle distance. Pure."""

from __future__ import annotations

import math

__all__ = [
    "FIBER_KM_PER_MS",
    "FIXED_OVERHEAD_MS",
    "ROUTE_FACTOR",
    "estimate_rtt_ms",
    "great_circle_km",
]

EARTH_RADIUS_KM = 6371.0
FIBER_KM_PER_MS = 200.0
"""Light in fiber covers about 200 km per ms (refractive index ≈ 1.5)."""
ROUTE_FACTOR = 1.5
"""Fiber routes run about 1.5× the great-circle distance (estimate)."""
FIXED_OVERHEAD_MS = 0.5
"""Switching and last-mile overhead added to every estimate (estimate)."""


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def estimate_rtt_ms(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """RTT = 2 × distance × route factor / fiber speed + fixed overhead."""
    km = great_circle_km(lat1, lon1, lat2, lon2)
    return 2 * km * ROUTE_FACTOR / FIBER_KM_PER_MS + FIXED_OVERHEAD_MS
