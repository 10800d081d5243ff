"""The inventory file format: read, check and write a whole compute network as one YAML/JSON
document (bulk import and export), and load the packaged demo network.

The document is a mapping with ``version: 1`` and the sections ``accelerator_models``,
``regions``, ``data_centers``, ``racks``, ``pools``, ``nodes`` and ``links`` (each a list of
mappings whose keys are the fields of the matching type in :mod:`inventory.domain`).

Two conveniences exist only in the file, never in :class:`InventoryDocument`:

* a pool's ``node_count`` generates that many nodes of the pool's shape, named
  ``<pool>-0000``, ``<pool>-0001``, …; its optional ``racks`` list places them in those racks
  in order, ``node_height_u`` rack units each (default 4), from unit 1 upward, moving to the
  next rack when one is full;
* an explicit node may leave out its shape (``accelerator_model``, ``accelerator_count``,
  ``cpu_milli``, ``memory_mib``): it then takes its pool's.

Parsing expands both, so the parsed document lists every node; generated nodes come first,
in pool order, then the explicit ones in file order. :func:`dump_document` folds runs of
nodes that the generator would produce back into ``node_count``/``racks``/``node_height_u``
and writes the rest explicitly, so ``parse_document(dump_document(doc)) == doc`` holds for
every valid document.

Every problem found is reported at once as an ``InvalidArgument`` whose field violations
name the field by its path in the file, e.g. ``data_centers[3].design_pue`` or
``nodes[0].rack``. Unknown keys are violations too, so typos do not pass silently.
"""

from __future__ import annotations

import enum
import itertools
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; types-PyYAML is not a dependency

from computenet.errors import FieldViolation, InvalidArgument, Violations
from inventory.domain import (
    AcceleratorModel,
    DataCenter,
    DataCenterState,
    HubClass,
    Link,
    Node,
    NodeState,
    Pool,
    Rack,
    Region,
    validate_accelerator_model,
    validate_data_center,
    validate_link,
    validate_node,
    validate_pool,
    validate_rack,
    validate_region,
)

__all__ = [
    "DEFAULT_NODE_HEIGHT_U",
    "FORMAT_VERSION",
    "InventoryDocument",
    "dump_document",
    "generated_node_id",
    "load_demo",
    "load_document",
    "parse_document",
    "save_document",
    "validate_document",
]

FORMAT_VERSION = 1
"""The only ``version`` this module reads and writes."""

DEFAULT_NODE_HEIGHT_U = 4
"""Rack units a generated node takes when its pool does not say (a file-format convention)."""

_E = TypeVar("_E", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class InventoryDocument:
    """A whole inventory: every object of a compute network, each node listed explicitly."""

    accelerator_models: tuple[AcceleratorModel, ...] = ()
    """Kinds of GPU/NPU boards."""
    regions: tuple[Region, ...] = ()
    """Places users and data centers are in."""
    data_centers: tuple[DataCenter, ...] = ()
    """Data center sites."""
    racks: tuple[Rack, ...] = ()
    """Racks, keyed by (data center, id)."""
    pools: tuple[Pool, ...] = ()
    """Groups of identical nodes, keyed by (data center, id)."""
    nodes: tuple[Node, ...] = ()
    """Every node, keyed by (data center, id)."""
    links: tuple[Link, ...] = ()
    """Round-trip times from regions to data centers."""


def generated_node_id(pool_id: str, index: int) -> str:
    """The id ``node_count`` gives the ``index``-th node of a pool."""
    return f"{pool_id}-{index:04d}"


# --------------------------------------------------------------------------- field decoding

_SECTIONS = (
    "accelerator_models",
    "regions",
    "data_centers",
    "racks",
    "pools",
    "nodes",
    "links",
)
_TOP_KEYS = frozenset(("version", *_SECTIONS))

_KEYS: dict[str, frozenset[str]] = {
    name: frozenset(fields.split())
    for name, fields in {
        "accelerator_models": "id display_name vendor memory_gib fp16_tflops board_power_w source",
        "regions": "id display_name province latitude longitude hub hub_class",
        "data_centers": "id display_name region province latitude longitude grid_carbon_g_per_kwh"
        " electricity_price_cny_per_kwh design_pue pue_target commissioned_year state labels"
        " source",
        "racks": "data_center id room u_height power_capacity_kw cooling_kw",
        "pools": "data_center id display_name accelerator_model accelerators_per_node"
        " cpu_milli_per_node memory_mib_per_node node_count racks node_height_u",
        "nodes": "data_center id pool rack rack_position_u accelerator_model accelerator_count"
        " cpu_milli memory_mib state",
        "links": "id region data_center rtt_ms source",
    }.items()
}


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


class _Record:
    """Typed access to one mapping of the file; records a violation for every bad field.

    A getter returns a placeholder for a missing or mistyped field so that building can go on
    and later checks still run; the field's path is remembered in ``bad`` so that checks of
    the placeholder are not reported as well (``bad`` also holds fields whose value was taken
    from elsewhere and is checked there).
    """

    __slots__ = ("_raw", "bad", "path", "v")

    def __init__(
        self, raw: Mapping[str, object], path: str, allowed: frozenset[str], v: Violations
    ) -> None:
        self._raw = raw
        self.path = path
        self.v = v
        self.bad: set[str] = set()
        for key in raw:
            if key not in allowed:
                v.add(
                    f"{path}.{key}",
                    f"unknown field {key!r}; allowed fields are {', '.join(sorted(allowed))}",
                )

    def _fail(self, key: str, description: str) -> None:
        self.bad.add(f"{self.path}.{key}")
        self.v.add(f"{self.path}.{key}", description)

    def _get(self, key: str, required: bool) -> object:
        """The raw value, or None when absent or null (a violation if the field is required)."""
        value = self._raw.get(key)
        if value is None and required:
            self._fail(key, "is required")
        return value

    def absent(self, key: str) -> bool:
        """Whether the mapping leaves ``key`` out (or null)."""
        return self._raw.get(key) is None

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, default is None)
        if value is None:
            return default if default is not None else ""
        if not isinstance(value, str):
            self._fail(key, f"must be a string, got {_type_name(value)} {value!r}")
            return ""
        return value

    def number(self, key: str, default: float | None = None) -> float:
        value = self._get(key, default is None)
        if value is None:
            return default if default is not None else 0.0
        # bool is an int subclass; YAML turns `yes` into True, which is never meant as 1.0.
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._fail(key, f"must be a number, got {_type_name(value)} {value!r}")
            return 0.0
        return float(value)

    def integer(self, key: str, default: int | None = None) -> int:
        value = self._get(key, default is None)
        if value is None:
            return default if default is not None else 0
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(key, f"must be an integer, got {_type_name(value)} {value!r}")
            return 0
        return value

    def choice(self, key: str, enum_type: type[_E], default: _E) -> _E:
        value = self._get(key, False)
        if value is None:
            return default
        names = [member.name for member in enum_type]
        if not isinstance(value, str) or value not in names:
            self._fail(key, f"must be one of {', '.join(names)}, got {value!r}")
            return default
        return enum_type[value]

    def labels(self, key: str) -> dict[str, str]:
        value = self._get(key, False)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self._fail(key, f"must be a mapping of strings, got {_type_name(value)}")
            return {}
        out: dict[str, str] = {}
        for k, item in value.items():
            if not isinstance(k, str) or not isinstance(item, str):
                self._fail(f"{key}.{k}", f"label keys and values must be strings, got {item!r}")
                continue
            out[k] = item
        return out

    def text_list(self, key: str) -> list[str]:
        value = self._get(key, False)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self._fail(key, "must be a list of strings")
            return []
        return list(value)


# --------------------------------------------------------------------------- rack placement


def _placements(racks: Sequence[Rack], height_u: int) -> Iterator[tuple[str, int]]:
    """(rack id, lowest unit) for generated nodes, in order; ends when the racks are full."""
    for rack in racks:
        unit = 1
        while unit + height_u - 1 <= rack.u_height:
            yield rack.id, unit
            unit += height_u


def _generated(pool: Pool, racks: Sequence[Rack], height_u: int) -> Iterator[Node]:
    """The nodes ``node_count`` stands for, in order: endless without racks, else until the
    racks are full."""
    places = _placements(racks, height_u) if racks else itertools.repeat(("", 0))
    for index, (rack, unit) in enumerate(places):
        yield Node(
            data_center=pool.data_center,
            id=generated_node_id(pool.id, index),
            pool=pool.id,
            accelerator_model=pool.accelerator_model,
            accelerator_count=pool.accelerators_per_node,
            cpu_milli=pool.cpu_milli_per_node,
            memory_mib=pool.memory_mib_per_node,
            rack=rack,
            rack_position_u=unit,
        )


# --------------------------------------------------------------------------- checks


def _check_document(
    doc: InventoryDocument,
    *,
    node_paths: Sequence[tuple[str, bool]],
    pool_paths: Sequence[str],
) -> Violations:
    """Field and cross-reference violations of a built document.

    ``node_paths[i]`` is ``(path prefix, generated)`` of ``doc.nodes[i]``; a generated node's
    prefix is its pool's, and its own fields are not re-validated (its pool's were).
    """
    v = Violations()
    models: dict[str, str] = {}
    for i, m in enumerate(doc.accelerator_models):
        p = f"accelerator_models[{i}]"
        v.extend(validate_accelerator_model(m, f"{p}.").items)
        _unique(v, models, m.id, p, "accelerator model")

    regions: dict[str, str] = {}
    for i, r in enumerate(doc.regions):
        p = f"regions[{i}]"
        v.extend(validate_region(r, f"{p}.").items)
        v.check(
            r.hub_class is HubClass.NONE or bool(r.hub.strip()),
            f"{p}.hub",
            f"must name the hub node when hub_class is {r.hub_class.name}",
        )
        _unique(v, regions, r.id, p, "region")

    dcs: dict[str, str] = {}
    for i, dc in enumerate(doc.data_centers):
        p = f"data_centers[{i}]"
        v.extend(validate_data_center(dc, f"{p}.").items)
        _unique(v, dcs, dc.id, p, "data center")
        _known(v, regions, dc.region, f"{p}.region", "region")

    racks: dict[tuple[str, str], Rack] = {}
    rack_paths: dict[tuple[str, str], str] = {}
    for i, rack in enumerate(doc.racks):
        p = f"racks[{i}]"
        v.extend(validate_rack(rack, f"{p}.").items)
        _known(v, dcs, rack.data_center, f"{p}.data_center", "data center")
        key = (rack.data_center, rack.id)
        if key in racks:
            v.add(
                f"{p}.id", f"duplicate rack {rack.id!r} in {rack.data_center!r} ({rack_paths[key]})"
            )
        else:
            racks[key], rack_paths[key] = rack, p

    pools: dict[tuple[str, str], Pool] = {}
    seen_pools: dict[tuple[str, str], str] = {}
    for i, pool in enumerate(doc.pools):
        p = pool_paths[i]
        v.extend(validate_pool(pool, f"{p}.").items)
        _known(v, dcs, pool.data_center, f"{p}.data_center", "data center")
        if pool.accelerator_model:
            _known(v, models, pool.accelerator_model, f"{p}.accelerator_model", "accelerator model")
        key = (pool.data_center, pool.id)
        if key in seen_pools:
            v.add(
                f"{p}.id", f"duplicate pool {pool.id!r} in {pool.data_center!r} ({seen_pools[key]})"
            )
        else:
            pools[key], seen_pools[key] = pool, p

    node_seen: dict[tuple[str, str], str] = {}
    units: dict[tuple[str, str, int], str] = {}
    clashes: set[str] = set()
    for i, node in enumerate(doc.nodes):
        prefix, generated = node_paths[i]
        key = (node.data_center, node.id)
        if key in node_seen:
            v.add(
                f"{prefix}.id",
                f"duplicate node {node.id!r} in {node.data_center!r} ({node_seen[key]})",
            )
        else:
            node_seen[key] = prefix
        if node.rack and node.rack_position_u:
            # Node heights are not recorded, so only a shared lowest unit is a sure clash.
            unit = (node.data_center, node.rack, node.rack_position_u)
            field = f"{prefix}.racks" if generated else f"{prefix}.rack_position_u"
            if unit in units and field not in clashes:
                clashes.add(field)
                v.add(
                    field,
                    f"unit {node.rack_position_u} of rack {node.rack!r} is taken by {units[unit]}",
                )
            units.setdefault(unit, f"node {node.id!r} ({prefix})")
        if generated:
            continue
        v.extend(validate_node(node, f"{prefix}.").items)
        _known(v, dcs, node.data_center, f"{prefix}.data_center", "data center")
        if node.accelerator_model:
            _known(
                v,
                models,
                node.accelerator_model,
                f"{prefix}.accelerator_model",
                "accelerator model",
            )
        owner = pools.get((node.data_center, node.pool))
        if owner is None:
            v.add(
                f"{prefix}.pool", f"unknown pool {node.pool!r} in data center {node.data_center!r}"
            )
        else:
            _same_shape(v, prefix, node, owner)
        if node.rack:
            slot = racks.get((node.data_center, node.rack))
            if slot is None:
                v.add(
                    f"{prefix}.rack",
                    f"unknown rack {node.rack!r} in data center {node.data_center!r}",
                )
            elif node.rack_position_u > slot.u_height:
                v.add(
                    f"{prefix}.rack_position_u",
                    f"rack {slot.id!r} has only {slot.u_height} U, got {node.rack_position_u}",
                )

    links: dict[str, str] = {}
    for i, link in enumerate(doc.links):
        p = f"links[{i}]"
        v.extend(validate_link(link, f"{p}.").items)
        _unique(v, links, link.id, p, "link")
        _known(v, regions, link.region, f"{p}.region", "region")
        _known(v, dcs, link.data_center, f"{p}.data_center", "data center")
    return v


def _unique(v: Violations, seen: dict[str, str], ident: str, path: str, what: str) -> None:
    if ident in seen:
        v.add(f"{path}.id", f"duplicate {what} id {ident!r} (first at {seen[ident]})")
    else:
        seen[ident] = path


def _known(v: Violations, known: Mapping[str, str], ident: str, path: str, what: str) -> None:
    if ident and ident not in known:
        v.add(path, f"unknown {what} {ident!r}")


def _same_shape(v: Violations, prefix: str, node: Node, pool: Pool) -> None:
    pairs = (
        ("accelerator_model", node.accelerator_model, "accelerator_model", pool.accelerator_model),
        (
            "accelerator_count",
            node.accelerator_count,
            "accelerators_per_node",
            pool.accelerators_per_node,
        ),
        ("cpu_milli", node.cpu_milli, "cpu_milli_per_node", pool.cpu_milli_per_node),
        ("memory_mib", node.memory_mib, "memory_mib_per_node", pool.memory_mib_per_node),
    )
    for field, got, pool_field, want in pairs:
        if got != want:
            v.add(
                f"{prefix}.{field}",
                f"must equal {pool_field} of its pool {pool.id!r} ({want!r}), got {got!r}",
            )


def validate_document(doc: InventoryDocument) -> Violations:
    """All violations of an already built document, with paths like ``nodes[12].pool``."""
    return _check_document(
        doc,
        node_paths=[(f"nodes[{i}]", False) for i in range(len(doc.nodes))],
        pool_paths=[f"pools[{i}]" for i in range(len(doc.pools))],
    )


# --------------------------------------------------------------------------- parsing


def parse_document(data: Mapping[str, Any]) -> InventoryDocument:
    """Build and check a document from decoded YAML/JSON; raise ``InvalidArgument`` with
    every violation found."""
    v = Violations()
    bad: set[str] = set()
    if not isinstance(data, Mapping):
        raise InvalidArgument(
            "the inventory document must be a mapping",
            [FieldViolation("", f"must be a mapping, got {_type_name(data)}")],
        )
    for key in data:
        if key not in _TOP_KEYS:
            v.add(
                str(key),
                f"unknown top-level field; allowed fields are {', '.join(sorted(_TOP_KEYS))}",
            )
    version = data.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        v.add("version", f"must be {FORMAT_VERSION}, got {version!r}")

    sections = {name: _records(data, name, v) for name in _SECTIONS}

    models = tuple(_accelerator_model(r) for r in sections["accelerator_models"])
    regions = tuple(_region(r) for r in sections["regions"])
    dcs = tuple(_data_center(r) for r in sections["data_centers"])
    racks = tuple(_rack(r) for r in sections["racks"])
    rack_index = {(r.data_center, r.id): r for r in racks}

    pools: list[Pool] = []
    nodes: list[Node] = []
    node_paths: list[tuple[str, bool]] = []
    for rec in sections["pools"]:
        pool, count, rack_ids, height = _pool(rec)
        pools.append(pool)
        _expand(rec, pool, count, rack_ids, height, rack_index, nodes, node_paths)

    pool_index = {(p.data_center, p.id): p for p in pools}
    for rec in sections["nodes"]:
        nodes.append(_node(rec, pool_index))
        node_paths.append((rec.path, False))
    links = tuple(_link(r) for r in sections["links"])

    for rec_list in sections.values():
        for rec in rec_list:
            bad |= rec.bad
    doc = InventoryDocument(models, regions, dcs, racks, tuple(pools), tuple(nodes), links)
    checks = _check_document(
        doc, node_paths=node_paths, pool_paths=[r.path for r in sections["pools"]]
    )
    # A mistyped field was given a placeholder; checks of that placeholder would only repeat it.
    v.extend(x for x in checks.items if x.field not in bad)
    v.raise_if_any(f"the inventory document has {len(v.items)} invalid field(s)")
    return doc


def _records(data: Mapping[str, Any], name: str, v: Violations) -> list[_Record]:
    raw = data.get(name)
    if raw is None:
        return []
    if not isinstance(raw, list):
        v.add(name, f"must be a list, got {_type_name(raw)}")
        return []
    out: list[_Record] = []
    for i, item in enumerate(raw):
        path = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            v.add(path, f"must be a mapping, got {_type_name(item)}")
            continue
        out.append(_Record(item, path, _KEYS[name], v))
    return out


def _accelerator_model(r: _Record) -> AcceleratorModel:
    return AcceleratorModel(
        id=r.text("id"),
        display_name=r.text("display_name", ""),
        vendor=r.text("vendor", ""),
        memory_gib=r.number("memory_gib"),
        fp16_tflops=r.number("fp16_tflops"),
        board_power_w=r.number("board_power_w"),
        source=r.text("source", ""),
    )


def _region(r: _Record) -> Region:
    return Region(
        id=r.text("id"),
        display_name=r.text("display_name", ""),
        province=r.text("province"),
        latitude=r.number("latitude"),
        longitude=r.number("longitude"),
        hub=r.text("hub", ""),
        hub_class=r.choice("hub_class", HubClass, HubClass.NONE),
    )


def _data_center(r: _Record) -> DataCenter:
    return DataCenter(
        id=r.text("id"),
        display_name=r.text("display_name", ""),
        region=r.text("region"),
        province=r.text("province"),
        latitude=r.number("latitude"),
        longitude=r.number("longitude"),
        grid_carbon_g_per_kwh=r.number("grid_carbon_g_per_kwh"),
        electricity_price_cny_per_kwh=r.number("electricity_price_cny_per_kwh"),
        design_pue=r.number("design_pue"),
        pue_target=r.number("pue_target"),
        commissioned_year=r.integer("commissioned_year", 0),
        state=r.choice("state", DataCenterState, DataCenterState.ACTIVE),
        labels=r.labels("labels"),
        source=r.text("source", ""),
    )


def _rack(r: _Record) -> Rack:
    return Rack(
        data_center=r.text("data_center"),
        id=r.text("id"),
        room=r.text("room", ""),
        u_height=r.integer("u_height", 42),
        power_capacity_kw=r.number("power_capacity_kw", 0.0),
        cooling_kw=r.number("cooling_kw", 0.0),
    )


def _pool(r: _Record) -> tuple[Pool, int, list[str], int]:
    pool = Pool(
        data_center=r.text("data_center"),
        id=r.text("id"),
        accelerator_model=r.text("accelerator_model", ""),
        accelerators_per_node=r.integer("accelerators_per_node"),
        cpu_milli_per_node=r.integer("cpu_milli_per_node"),
        memory_mib_per_node=r.integer("memory_mib_per_node"),
        display_name=r.text("display_name", ""),
    )
    count = r.integer("node_count", 0)
    rack_ids = r.text_list("racks")
    height = r.integer("node_height_u", DEFAULT_NODE_HEIGHT_U)
    return pool, count, rack_ids, height


def _expand(
    r: _Record,
    pool: Pool,
    count: int,
    rack_ids: list[str],
    height: int,
    rack_index: Mapping[tuple[str, str], Rack],
    nodes: list[Node],
    node_paths: list[tuple[str, bool]],
) -> None:
    """Append the nodes a pool's ``node_count`` stands for (or record why it cannot)."""
    before = len(r.v.items)
    if not 0 <= count <= 100_000:
        r._fail("node_count", f"must be between 0 and 100000, got {count}")
    if not 1 <= height <= 60:
        r._fail("node_height_u", f"must be between 1 and 60, got {height}")
    rack_objs: list[Rack] = []
    for k, rack_id in enumerate(rack_ids):
        rack = rack_index.get((pool.data_center, rack_id))
        if rack is None:
            r.v.add(
                f"{r.path}.racks[{k}]",
                f"unknown rack {rack_id!r} in data center {pool.data_center!r}",
            )
        else:
            rack_objs.append(rack)
    if len(set(rack_ids)) != len(rack_ids):
        r._fail("racks", "must not name a rack twice")
    if count and pool.id and len(generated_node_id(pool.id, count - 1)) > 63:
        r.v.add(
            f"{r.path}.id",
            "is too long to name generated nodes (<pool>-NNNN must fit 63 characters)",
        )
    if len(r.v.items) > before or r.bad or count == 0:
        return
    generated = list(itertools.islice(_generated(pool, rack_objs, height), count))
    if len(generated) < count:
        r.v.add(
            f"{r.path}.racks",
            f"{count} nodes of {height} U do not fit in racks {', '.join(rack_ids)}",
        )
        return
    nodes.extend(generated)
    node_paths.extend((r.path, True) for _ in generated)


def _node(r: _Record, pools: Mapping[tuple[str, str], Pool]) -> Node:
    data_center = r.text("data_center")
    pool_id = r.text("pool")
    pool = pools.get((data_center, pool_id))
    # A node may leave its shape out and take its pool's; with no pool, the fields are required.
    # A shape taken from the pool is checked there: checking it again here would only repeat.
    if pool is not None:
        r.bad.update(
            f"{r.path}.{key}"
            for key in ("accelerator_model", "accelerator_count", "cpu_milli", "memory_mib")
            if r.absent(key)
        )
    return Node(
        data_center=data_center,
        id=r.text("id"),
        pool=pool_id,
        accelerator_model=r.text("accelerator_model", pool.accelerator_model if pool else ""),
        accelerator_count=r.integer(
            "accelerator_count", pool.accelerators_per_node if pool else None
        ),
        cpu_milli=r.integer("cpu_milli", pool.cpu_milli_per_node if pool else None),
        memory_mib=r.integer("memory_mib", pool.memory_mib_per_node if pool else None),
        rack=r.text("rack", ""),
        rack_position_u=r.integer("rack_position_u", 0),
        state=r.choice("state", NodeState, NodeState.READY),
    )


def _link(r: _Record) -> Link:
    return Link(
        id=r.text("id"),
        region=r.text("region"),
        data_center=r.text("data_center"),
        rtt_ms=r.number("rtt_ms"),
        source=r.text("source", ""),
    )


# --------------------------------------------------------------------------- dumping


def dump_document(doc: InventoryDocument) -> dict[str, Any]:
    """The document as plain data for YAML/JSON; generated-looking node runs are folded back
    into their pool's ``node_count``."""
    rack_index = {(r.data_center, r.id): r for r in doc.racks}
    pools_out: list[dict[str, Any]] = []
    cursor = 0
    for pool in doc.pools:
        count, rack_ids, height = _fold(pool, doc.nodes, cursor, rack_index)
        cursor += count
        out: dict[str, Any] = {
            "data_center": pool.data_center,
            "id": pool.id,
        }
        if pool.display_name:
            out["display_name"] = pool.display_name
        out |= {
            "accelerator_model": pool.accelerator_model,
            "accelerators_per_node": pool.accelerators_per_node,
            "cpu_milli_per_node": pool.cpu_milli_per_node,
            "memory_mib_per_node": pool.memory_mib_per_node,
            "node_count": count,
        }
        if rack_ids:
            out["racks"] = rack_ids
            if height != DEFAULT_NODE_HEIGHT_U:
                out["node_height_u"] = height
        pools_out.append(out)

    return {
        "version": FORMAT_VERSION,
        "accelerator_models": [_plain(m) for m in doc.accelerator_models],
        "regions": [_plain(r) for r in doc.regions],
        "data_centers": [_plain(dc) for dc in doc.data_centers],
        "racks": [_plain(r) for r in doc.racks],
        "pools": pools_out,
        "nodes": [_dump_node(n) for n in doc.nodes[cursor:]],
        "links": [_plain(link) for link in doc.links],
    }


def _plain(obj: AcceleratorModel | Region | DataCenter | Rack | Link) -> dict[str, Any]:
    """Every field, in declaration order, as YAML/JSON-ready data (enums by name)."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, enum.Enum):
            value = value.name
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out


def _fold(
    pool: Pool,
    nodes: Sequence[Node],
    start: int,
    rack_index: Mapping[tuple[str, str], Rack],
) -> tuple[int, list[str], int]:
    """How many nodes from ``start`` the pool's generator reproduces exactly, with the racks
    and node height that reproduce them."""
    run: list[Node] = []
    for node in nodes[start:]:
        if (node.data_center, node.pool, node.id) != (
            pool.data_center,
            pool.id,
            generated_node_id(pool.id, len(run)),
        ):
            break
        run.append(node)
    if not run:
        return 0, [], DEFAULT_NODE_HEIGHT_U
    rack_ids = list(dict.fromkeys(n.rack for n in run))
    height = DEFAULT_NODE_HEIGHT_U
    if len(run) > 1 and run[0].rack and run[1].rack == run[0].rack:
        height = run[1].rack_position_u - run[0].rack_position_u
    racks: list[Rack] = []
    if rack_ids != [""]:
        found = [rack_index.get((pool.data_center, rid)) for rid in rack_ids]
        if any(r is None for r in found) or not 1 <= height <= 60:
            return 0, [], DEFAULT_NODE_HEIGHT_U
        racks = [r for r in found if r is not None]
    # The generator is sequential, so its output for len(run) nodes extends its output for
    # fewer: count the leading nodes it reproduces exactly.
    count = 0
    for got, want in zip(run, _generated(pool, racks, height), strict=False):
        if got != want:
            break
        count += 1
    used = list(dict.fromkeys(n.rack for n in run[:count] if n.rack))
    return count, used, height


def _dump_node(n: Node) -> dict[str, Any]:
    out: dict[str, Any] = {
        "data_center": n.data_center,
        "id": n.id,
        "pool": n.pool,
        "accelerator_model": n.accelerator_model,
        "accelerator_count": n.accelerator_count,
        "cpu_milli": n.cpu_milli,
        "memory_mib": n.memory_mib,
    }
    if n.rack:
        out["rack"] = n.rack
    if n.rack_position_u:
        out["rack_position_u"] = n.rack_position_u
    if n.state is not NodeState.READY:
        out["state"] = n.state.name
    return out


# --------------------------------------------------------------------------- files


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]  # untyped base (no PyYAML stubs)
    """SafeLoader that refuses duplicate mapping keys, which PyYAML would silently overwrite."""


def _construct_mapping(loader: _StrictLoader, node: Any) -> Any:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # unhashable key: SafeLoader reports it below
            duplicate = False
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _decode(text: str, suffix: str, name: str) -> Any:
    """Decoded YAML/JSON, or ``InvalidArgument`` naming the line where the parser says."""
    if suffix in (".yaml", ".yml"):
        try:
            return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass, so safe
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            what = " ".join(x for x in (exc.context, exc.problem) if x)
            raise _file_error(name, f"{where}{what}") from exc
        except yaml.YAMLError as exc:
            raise _file_error(name, str(exc)) from exc
    if suffix == ".json":
        try:
            return json.loads(text, object_pairs_hook=_json_pairs)
        except json.JSONDecodeError as exc:
            raise _file_error(name, f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        except ValueError as exc:
            raise _file_error(name, str(exc)) from exc
    raise _file_error(name, f"unknown file type {suffix!r}: use .yaml, .yml or .json")


def _file_error(name: str, description: str) -> InvalidArgument:
    return InvalidArgument(
        f"cannot read inventory file {name}: {description}", [FieldViolation(name, description)]
    )


def _parse_named(data: Any, name: str) -> InventoryDocument:
    try:
        return parse_document(data)
    except InvalidArgument as exc:
        raise InvalidArgument(f"{name}: {exc.message}", exc.violations) from exc


def load_document(path: str | os.PathLike[str]) -> InventoryDocument:
    """Read and check a YAML (``.yaml``/``.yml``) or JSON (``.json``) inventory file."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise _file_error(str(p), f"unknown file type {suffix!r}: use .yaml, .yml or .json")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _file_error(str(p), f"cannot be read: {exc}") from exc
    return _parse_named(_decode(text, suffix, str(p)), str(p))


def save_document(doc: InventoryDocument, path: str | os.PathLike[str]) -> None:
    """Write ``doc`` as YAML or JSON (by suffix), replacing the file atomically."""
    p = Path(path)
    suffix = p.suffix.lower()
    data = dump_document(doc)
    if suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    elif suffix == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        raise _file_error(str(p), f"unknown file type {suffix!r}: use .yaml, .yml or .json")
    # Write beside the target and rename, so a crash never leaves half a file behind.
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_DEMO_RESOURCE = "demo_network.yaml"


def load_demo() -> InventoryDocument:
    """The packaged demo network (``inventory/data/demo_network.yaml``)."""
    resource = resources.files("inventory") / "data" / _DEMO_RESOURCE
    name = f"inventory/data/{_DEMO_RESOURCE}"
    return _parse_named(_decode(resource.read_text(encoding="utf-8"), ".yaml", name), name)
