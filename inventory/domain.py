"""Inventory domain types: the compute network's regions, data centers, racks, pools, nodes,
accelerator models and network links, with their validation rules.

Pure: no I/O, no clock. Resource ids follow AIP-122 (lower-case letters, digits and hyphens,
starting with a letter, at most 63 characters).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from computenet.errors import Violations

__all__ = [
    "ID_PATTERN",
    "AcceleratorModel",
    "DataCenter",
    "DataCenterState",
    "HubClass",
    "Link",
    "Node",
    "NodeState",
    "Pool",
    "Rack",
    "Region",
    "check_id",
    "validate_accelerator_model",
    "validate_data_center",
    "validate_link",
    "validate_node",
    "validate_pool",
    "validate_rack",
    "validate_region",
]

# \Z, not $: $ also matches before a trailing newline, which would let "abc\n" through.
ID_PATTERN = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?\Z")

# Sanity ceilings: far above any real value, low enough to catch unit mistakes (W for kW).
_MAX_ACCELERATORS_PER_NODE = 64
_MAX_CPU_MILLI = 10_000_000
_MAX_MEMORY_MIB = 64 * 1024 * 1024
_MAX_RTT_MS = 2_000.0


class DataCenterState(enum.Enum):
    """Whether a data center takes new work (AIP-216 style)."""

    ACTIVE = 1
    MAINTENANCE = 2
    DECOMMISSIONED = 3


class NodeState(enum.Enum):
    """Whether the scheduler may place new work on a node."""

    READY = 1
    CORDONED = 2


class HubClass(enum.Enum):
    """Position of a region in the national 东数西算 hub layout; sets its hub PUE target."""

    NONE = 1
    EASTERN = 2
    WESTERN = 3


@dataclass(frozen=True, slots=True)
class AcceleratorModel:
    """A kind of GPU/NPU board."""

    id: str
    """Resource id, e.g. ``h100-sxm``."""
    display_name: str
    """Human name, e.g. ``NVIDIA H100 SXM5 80GB``."""
    vendor: str
    """Maker, e.g. ``NVIDIA`` or ``Huawei``."""
    memory_gib: float
    """On-board memory in GiB."""
    fp16_tflops: float
    """Dense FP16 tensor throughput in TFLOPS (the policy documents count compute as FP16 P)."""
    board_power_w: float
    """Maximum board power in watts."""
    source: str = ""
    """Where the figures come from, or ``estimate``."""


@dataclass(frozen=True, slots=True)
class Region:
    """A place users and data centers are in: a city or a national hub cluster."""

    id: str
    """Resource id, e.g. ``fujian-fuzhou``."""
    display_name: str
    """Human name, e.g. ``福州``."""
    province: str
    """Province (or municipality), e.g. ``Fujian``."""
    latitude: float
    """Degrees north."""
    longitude: float
    """Degrees east."""
    hub: str = ""
    """The national hub node it belongs to (e.g. ``长三角``), empty if none."""
    hub_class: HubClass = HubClass.NONE
    """Eastern or western hub (PUE targets ≤ 1.25 / ≤ 1.2), or none."""


@dataclass(frozen=True, slots=True)
class DataCenter:
    """A data center site in the compute network."""

    id: str
    """Resource id, e.g. ``fj-ai-center``."""
    display_name: str
    """Human name."""
    region: str
    """Id of the region it stands in."""
    province: str
    """Province; data-residency rules are checked against it."""
    latitude: float
    """Degrees north."""
    longitude: float
    """Degrees east."""
    grid_carbon_g_per_kwh: float
    """Grid emission factor in gCO2/kWh for the electricity it buys."""
    electricity_price_cny_per_kwh: float
    """Electricity price in CNY per kWh."""
    design_pue: float
    """PUE by design; used when no measured PUE is good enough."""
    pue_target: float
    """The PUE it must meet (its own or the policy target)."""
    commissioned_year: int = 0
    """Year it went into service (0 when unknown); sets new vs existing policy targets."""
    state: DataCenterState = DataCenterState.ACTIVE
    """Whether it takes new work."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Free-form labels, e.g. ``operator: China Mobile``."""
    source: str = ""
    """Where the figures come from, or ``estimate``."""


@dataclass(frozen=True, slots=True)
class Rack:
    """A rack in a room of a data center."""

    data_center: str
    """Id of its data center."""
    id: str
    """Resource id, unique inside the data center."""
    room: str = ""
    """Room or hall name."""
    u_height: int = 42
    """Height in rack units."""
    power_capacity_kw: float = 0.0
    """Power it may draw, kW."""
    cooling_kw: float = 0.0
    """Heat it may reject, kW."""


@dataclass(frozen=True, slots=True)
class Pool:
    """A group of identical nodes in one data center: the unit operators reason about."""

    data_center: str
    """Id of its data center."""
    id: str
    """Resource id, unique inside the data center."""
    accelerator_model: str
    """Id of the accelerator model every node carries (empty for CPU-only pools)."""
    accelerators_per_node: int
    """Accelerators on each node."""
    cpu_milli_per_node: int
    """CPU of each node in milli-cores."""
    memory_mib_per_node: int
    """Memory of each node in MiB."""
    display_name: str = ""
    """Human name."""


@dataclass(frozen=True, slots=True)
class Node:
    """One server: N accelerators of one model, CPU and memory; the ledger's unit."""

    data_center: str
    """Id of its data center."""
    id: str
    """Resource id, unique inside the data center."""
    pool: str
    """Id of its pool in the same data center."""
    accelerator_model: str
    """Id of its accelerator model (empty when it has none)."""
    accelerator_count: int
    """Number of accelerators."""
    cpu_milli: int
    """CPU in milli-cores."""
    memory_mib: int
    """Memory in MiB."""
    rack: str = ""
    """Id of its rack in the same data center, empty if not recorded."""
    rack_position_u: int = 0
    """Lowest rack unit it occupies (0 when not recorded)."""
    state: NodeState = NodeState.READY
    """Whether new work may land on it."""


@dataclass(frozen=True, slots=True)
class Link:
    """A measured or estimated round-trip time between a region and a data center."""

    id: str
    """Resource id."""
    region: str
    """Id of the region where users (or data) are."""
    data_center: str
    """Id of the data center."""
    rtt_ms: float
    """Round-trip time in milliseconds."""
    source: str = ""
    """Where the figure comes from (a measurement), or ``estimate``."""


def check_id(v: Violations, path: str, value: str) -> None:
    """Record a violation unless ``value`` is an AIP-122 resource id."""
    if not value:
        v.add(path, "must not be empty")
    elif not ID_PATTERN.match(value):
        v.add(
            path,
            f"{value!r} is not a valid id: use 1-63 lower-case letters, digits and hyphens, "
            "starting with a letter and not ending with a hyphen",
        )


# Fields holding ids are checked against ID_PATTERN already.
_ID_FIELDS = frozenset({"id", "data_center", "region", "pool", "rack", "accelerator_model"})


def _no_nul(v: Violations, prefix: str, obj: object) -> None:
    """PostgreSQL text cannot hold NUL characters: refuse them in every free-text field."""
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name in _ID_FIELDS:
            continue
        value = getattr(obj, f.name)
        texts = [value] if isinstance(value, str) else []
        if isinstance(value, Mapping):
            texts = [*value.keys(), *value.values()]
        if any("\x00" in t for t in texts if isinstance(t, str)):
            v.add(f"{prefix}{f.name}", "must not contain NUL characters")


def _finite(v: Violations, path: str, value: float, lo: float, hi: float, unit: str) -> None:
    if not math.isfinite(value) or not lo <= value <= hi:
        v.add(path, f"must be between {lo:g} and {hi:g} {unit}, got {value!r}".rstrip())


def _positive(v: Violations, path: str, value: float, hi: float, unit: str) -> None:
    if not math.isfinite(value) or not 0 < value <= hi:
        v.add(path, f"must be greater than 0 and at most {hi:g} {unit}, got {value!r}".rstrip())


def _coordinates(v: Violations, prefix: str, lat: float, lon: float) -> None:
    _finite(v, f"{prefix}latitude", lat, -90.0, 90.0, "degrees")
    _finite(v, f"{prefix}longitude", lon, -180.0, 180.0, "degrees")


def validate_accelerator_model(m: AcceleratorModel, prefix: str = "") -> Violations:
    """All violations of an accelerator model's fields."""
    v = Violations()
    _no_nul(v, prefix, m)
    check_id(v, f"{prefix}id", m.id)
    _positive(v, f"{prefix}memory_gib", m.memory_gib, 100_000, "GiB")
    _positive(v, f"{prefix}fp16_tflops", m.fp16_tflops, 1_000_000, "TFLOPS")
    _positive(v, f"{prefix}board_power_w", m.board_power_w, 100_000, "W")
    return v


def validate_region(r: Region, prefix: str = "") -> Violations:
    """All violations of a region's fields."""
    v = Violations()
    _no_nul(v, prefix, r)
    check_id(v, f"{prefix}id", r.id)
    v.check(bool(r.province.strip()), f"{prefix}province", "must not be empty")
    _coordinates(v, prefix, r.latitude, r.longitude)
    return v


def validate_data_center(dc: DataCenter, prefix: str = "") -> Violations:
    """All violations of a data center's own fields (references are checked by the store)."""
    v = Violations()
    _no_nul(v, prefix, dc)
    check_id(v, f"{prefix}id", dc.id)
    check_id(v, f"{prefix}region", dc.region)
    v.check(bool(dc.province.strip()), f"{prefix}province", "must not be empty")
    _coordinates(v, prefix, dc.latitude, dc.longitude)
    _finite(v, f"{prefix}grid_carbon_g_per_kwh", dc.grid_carbon_g_per_kwh, 0.0, 2_000.0, "gCO2/kWh")
    _finite(
        v,
        f"{prefix}electricity_price_cny_per_kwh",
        dc.electricity_price_cny_per_kwh,
        0.0,
        10.0,
        "CNY/kWh",
    )
    # PUE is total facility energy over IT energy: never below 1 (ISO/IEC 30134-2).
    _finite(v, f"{prefix}design_pue", dc.design_pue, 1.0, 5.0, "")
    _finite(v, f"{prefix}pue_target", dc.pue_target, 1.0, 5.0, "")
    v.check(
        dc.commissioned_year == 0 or 1950 <= dc.commissioned_year <= 2100,
        f"{prefix}commissioned_year",
        "must be 0 (unknown) or a year between 1950 and 2100",
    )
    for key in dc.labels:
        v.check(bool(key) and len(key) <= 63, f"{prefix}labels", f"label key {key!r} is invalid")
    return v


def validate_rack(r: Rack, prefix: str = "") -> Violations:
    """All violations of a rack's fields."""
    v = Violations()
    _no_nul(v, prefix, r)
    check_id(v, f"{prefix}data_center", r.data_center)
    check_id(v, f"{prefix}id", r.id)
    v.check(1 <= r.u_height <= 60, f"{prefix}u_height", "must be between 1 and 60 U")
    _finite(v, f"{prefix}power_capacity_kw", r.power_capacity_kw, 0.0, 1_000.0, "kW")
    _finite(v, f"{prefix}cooling_kw", r.cooling_kw, 0.0, 1_000.0, "kW")
    return v


def _shape(
    v: Violations, prefix: str, model: str, count: int, cpu: int, mem: int, names: tuple[str, ...]
) -> None:
    f_model, f_count, f_cpu, f_mem = names
    if model:
        check_id(v, f"{prefix}{f_model}", model)
    v.check(
        0 <= count <= _MAX_ACCELERATORS_PER_NODE,
        f"{prefix}{f_count}",
        f"must be between 0 and {_MAX_ACCELERATORS_PER_NODE}",
    )
    v.check(
        bool(model) or count == 0,
        f"{prefix}{f_model}",
        "must name an accelerator model when the node has accelerators",
    )
    v.check(bool(count) or not model, f"{prefix}{f_count}", "must be > 0 when a model is named")
    v.check(
        0 < cpu <= _MAX_CPU_MILLI, f"{prefix}{f_cpu}", f"must be between 1 and {_MAX_CPU_MILLI}"
    )
    v.check(
        0 < mem <= _MAX_MEMORY_MIB, f"{prefix}{f_mem}", f"must be between 1 and {_MAX_MEMORY_MIB}"
    )


def validate_pool(p: Pool, prefix: str = "") -> Violations:
    """All violations of a pool's fields."""
    v = Violations()
    _no_nul(v, prefix, p)
    check_id(v, f"{prefix}data_center", p.data_center)
    check_id(v, f"{prefix}id", p.id)
    _shape(
        v,
        prefix,
        p.accelerator_model,
        p.accelerators_per_node,
        p.cpu_milli_per_node,
        p.memory_mib_per_node,
        ("accelerator_model", "accelerators_per_node", "cpu_milli_per_node", "memory_mib_per_node"),
    )
    return v


def validate_node(n: Node, prefix: str = "") -> Violations:
    """All violations of a node's own fields (pool and rack references are checked by the store)."""
    v = Violations()
    _no_nul(v, prefix, n)
    check_id(v, f"{prefix}data_center", n.data_center)
    check_id(v, f"{prefix}id", n.id)
    check_id(v, f"{prefix}pool", n.pool)
    if n.rack:
        check_id(v, f"{prefix}rack", n.rack)
    _shape(
        v,
        prefix,
        n.accelerator_model,
        n.accelerator_count,
        n.cpu_milli,
        n.memory_mib,
        ("accelerator_model", "accelerator_count", "cpu_milli", "memory_mib"),
    )
    v.check(0 <= n.rack_position_u <= 60, f"{prefix}rack_position_u", "must be between 0 and 60")
    return v


def validate_link(link: Link, prefix: str = "") -> Violations:
    """All violations of a link's fields."""
    v = Violations()
    _no_nul(v, prefix, link)
    check_id(v, f"{prefix}id", link.id)
    check_id(v, f"{prefix}region", link.region)
    check_id(v, f"{prefix}data_center", link.data_center)
    _positive(v, f"{prefix}rtt_ms", link.rtt_ms, _MAX_RTT_MS, "ms")
    return v
