"""gRPC servicer of the inventory: decode the request, call the store, encode the answer.

Proto types stop here: ``*_from_proto`` / ``*_to_proto`` convert them to and from the domain.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from computenet import auth
from computenet.errors import FieldViolation, InvalidArgument
from computenet.service import (
    decode_page_token,
    encode_page_token,
    mask_paths,
    page_size,
    parse_filter,
    parse_name,
    rpc,
)
from computenet.v1 import inventory_pb2 as pb
from computenet.v1 import inventory_pb2_grpc as pb_grpc
from inventory.document import InventoryDocument, dump_document, parse_document
from inventory.domain import (
    ID_PATTERN,
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
)
from inventory.store import (
    ACCELERATOR_MODELS,
    DATA_CENTERS,
    LINKS,
    NODES,
    POOLS,
    RACKS,
    REGIONS,
    InventoryStore,
    Kind,
)

__all__ = [
    "InventoryServicer",
    "accelerator_model_from_proto",
    "accelerator_model_to_proto",
    "data_center_from_proto",
    "data_center_to_proto",
    "link_from_proto",
    "link_to_proto",
    "node_from_proto",
    "node_to_proto",
    "pool_from_proto",
    "pool_to_proto",
    "rack_from_proto",
    "rack_to_proto",
    "region_from_proto",
    "region_to_proto",
]

Key = tuple[str, ...]


def _enum(value: int, enum_type: Any, default: Any, field: str) -> Any:
    if value == 0:
        return default
    try:
        return enum_type(value)
    except ValueError:
        raise InvalidArgument(
            f"{field} has an unknown value {value}", [FieldViolation(field, "unknown enum value")]
        ) from None


def _key(name: str, pattern: str, field: str = "name", *, wildcard: bool = False) -> Key:
    """The ids of a resource name, each checked against AIP-122 (``-`` too when ``wildcard``):
    a name that cannot exist is INVALID_ARGUMENT, not NOT_FOUND, and never reaches the
    database (PostgreSQL refuses NUL characters with an error)."""
    key = parse_name(name, pattern, field)
    for ident in key:
        if not (ID_PATTERN.match(ident) or (wildcard and ident == "-")):
            raise InvalidArgument(
                f"{field} {name!r} holds an invalid id {ident!r}",
                [FieldViolation(field, f"{ident!r} is not a valid resource id")],
            )
    return key


def _request_paths(exc: InvalidArgument, field: str, parented: bool) -> InvalidArgument:
    """``exc`` with the store's object paths turned into request paths (AIP-193): the id is
    ``<field>_id`` and a child's data center is ``parent``."""
    renames = {f"{field}.id": f"{field}_id"}
    if parented:
        renames[f"{field}.data_center"] = "parent"
    return InvalidArgument(
        exc.message,
        [FieldViolation(renames.get(v.field, v.field), v.description) for v in exc.violations],
        reason=exc.reason,
    )


def _ref(name: str, pattern: str, field: str) -> str:
    """The last id of a resource name field, empty for an empty field."""
    return parse_name(name, pattern, field)[-1] if name else ""


def accelerator_model_to_proto(m: AcceleratorModel) -> pb.AcceleratorModel:
    return pb.AcceleratorModel(
        name=f"acceleratorModels/{m.id}",
        display_name=m.display_name,
        vendor=m.vendor,
        memory_gib=m.memory_gib,
        fp16_tflops=m.fp16_tflops,
        board_power_w=m.board_power_w,
        source=m.source,
    )


def accelerator_model_from_proto(msg: pb.AcceleratorModel, key: Key) -> AcceleratorModel:
    return AcceleratorModel(
        id=key[-1],
        display_name=msg.display_name,
        vendor=msg.vendor,
        memory_gib=msg.memory_gib,
        fp16_tflops=msg.fp16_tflops,
        board_power_w=msg.board_power_w,
        source=msg.source,
    )


def region_to_proto(r: Region) -> pb.Region:
    return pb.Region(
        name=f"regions/{r.id}",
        display_name=r.display_name,
        province=r.province,
        latitude=r.latitude,
        longitude=r.longitude,
        hub=r.hub,
        hub_class=r.hub_class.value,
    )


def region_from_proto(msg: pb.Region, key: Key) -> Region:
    return Region(
        id=key[-1],
        display_name=msg.display_name,
        province=msg.province,
        latitude=msg.latitude,
        longitude=msg.longitude,
        hub=msg.hub,
        hub_class=_enum(msg.hub_class, HubClass, HubClass.NONE, "region.hub_class"),
    )


def data_center_to_proto(
    dc: DataCenter, totals: tuple[int, int, float] = (0, 0, 0.0)
) -> pb.DataCenter:
    return pb.DataCenter(
        name=f"dataCenters/{dc.id}",
        display_name=dc.display_name,
        region=f"regions/{dc.region}",
        province=dc.province,
        latitude=dc.latitude,
        longitude=dc.longitude,
        grid_carbon_g_per_kwh=dc.grid_carbon_g_per_kwh,
        electricity_price_cny_per_kwh=dc.electricity_price_cny_per_kwh,
        design_pue=dc.design_pue,
        pue_target=dc.pue_target,
        commissioned_year=dc.commissioned_year,
        state=dc.state.value,
        labels=dict(dc.labels),
        source=dc.source,
        node_count=totals[0],
        accelerator_count=totals[1],
        fp16_pflops=totals[2],
    )


def data_center_from_proto(msg: pb.DataCenter, key: Key) -> DataCenter:
    return DataCenter(
        id=key[-1],
        display_name=msg.display_name,
        region=_ref(msg.region, "regions/{}", "data_center.region"),
        province=msg.province,
        latitude=msg.latitude,
        longitude=msg.longitude,
        grid_carbon_g_per_kwh=msg.grid_carbon_g_per_kwh,
        electricity_price_cny_per_kwh=msg.electricity_price_cny_per_kwh,
        design_pue=msg.design_pue,
        pue_target=msg.pue_target,
        commissioned_year=msg.commissioned_year,
        state=_enum(msg.state, DataCenterState, DataCenterState.ACTIVE, "data_center.state"),
        labels=dict(msg.labels),
        source=msg.source,
    )


def rack_to_proto(r: Rack) -> pb.Rack:
    return pb.Rack(
        name=f"dataCenters/{r.data_center}/racks/{r.id}",
        room=r.room,
        u_height=r.u_height,
        power_capacity_kw=r.power_capacity_kw,
        cooling_kw=r.cooling_kw,
    )


def rack_from_proto(msg: pb.Rack, key: Key) -> Rack:
    return Rack(
        data_center=key[0],
        id=key[1],
        room=msg.room,
        u_height=msg.u_height,
        power_capacity_kw=msg.power_capacity_kw,
        cooling_kw=msg.cooling_kw,
    )


def pool_to_proto(p: Pool, node_count: int = 0) -> pb.Pool:
    return pb.Pool(
        name=f"dataCenters/{p.data_center}/pools/{p.id}",
        display_name=p.display_name,
        accelerator_model=f"acceleratorModels/{p.accelerator_model}" if p.accelerator_model else "",
        accelerators_per_node=p.accelerators_per_node,
        cpu_milli_per_node=p.cpu_milli_per_node,
        memory_mib_per_node=p.memory_mib_per_node,
        node_count=node_count,
    )


def pool_from_proto(msg: pb.Pool, key: Key) -> Pool:
    return Pool(
        data_center=key[0],
        id=key[1],
        display_name=msg.display_name,
        accelerator_model=_ref(
            msg.accelerator_model, "acceleratorModels/{}", "pool.accelerator_model"
        ),
        accelerators_per_node=msg.accelerators_per_node,
        cpu_milli_per_node=msg.cpu_milli_per_node,
        memory_mib_per_node=msg.memory_mib_per_node,
    )


def node_to_proto(n: Node) -> pb.Node:
    dc = f"dataCenters/{n.data_center}"
    return pb.Node(
        name=f"{dc}/nodes/{n.id}",
        pool=f"{dc}/pools/{n.pool}",
        rack=f"{dc}/racks/{n.rack}" if n.rack else "",
        rack_position_u=n.rack_position_u,
        accelerator_model=f"acceleratorModels/{n.accelerator_model}" if n.accelerator_model else "",
        accelerator_count=n.accelerator_count,
        cpu_milli=n.cpu_milli,
        memory_mib=n.memory_mib,
        state=n.state.value,
    )


def node_from_proto(msg: pb.Node, key: Key) -> Node:
    def same_dc(name: str, what: str) -> str:
        if not name:
            return ""
        dc, ident = parse_name(name, f"dataCenters/{{}}/{what}s/{{}}", f"node.{what}")
        if dc != key[0]:
            raise InvalidArgument(
                f"node.{what} must be in the node's data center",
                [FieldViolation(f"node.{what}", f"must be in dataCenters/{key[0]}")],
            )
        return ident

    return Node(
        data_center=key[0],
        id=key[1],
        pool=same_dc(msg.pool, "pool"),
        rack=same_dc(msg.rack, "rack"),
        rack_position_u=msg.rack_position_u,
        accelerator_model=_ref(
            msg.accelerator_model, "acceleratorModels/{}", "node.accelerator_model"
        ),
        accelerator_count=msg.accelerator_count,
        cpu_milli=msg.cpu_milli,
        memory_mib=msg.memory_mib,
        state=_enum(msg.state, NodeState, NodeState.READY, "node.state"),
    )


def link_to_proto(link: Link) -> pb.Link:
    return pb.Link(
        name=f"links/{link.id}",
        region=f"regions/{link.region}",
        data_center=f"dataCenters/{link.data_center}",
        rtt_ms=link.rtt_ms,
        source=link.source,
    )


def link_from_proto(msg: pb.Link, key: Key) -> Link:
    return Link(
        id=key[-1],
        region=_ref(msg.region, "regions/{}", "link.region"),
        data_center=_ref(msg.data_center, "dataCenters/{}", "link.data_center"),
        rtt_ms=msg.rtt_ms,
        source=msg.source,
    )


@dataclass(frozen=True, slots=True)
class _Resource:
    """How the API names, converts and lists one kind."""

    kind: Kind[Any]
    pattern: str
    field: str
    plural: str
    message: type[Any]
    to_proto: Callable[..., Any]
    from_proto: Callable[[Any, Key], Any]


_RESOURCES = {
    "AcceleratorModel": _Resource(
        ACCELERATOR_MODELS,
        "acceleratorModels/{}",
        "accelerator_model",
        "accelerator_models",
        pb.AcceleratorModel,
        accelerator_model_to_proto,
        accelerator_model_from_proto,
    ),
    "Region": _Resource(
        REGIONS, "regions/{}", "region", "regions", pb.Region, region_to_proto, region_from_proto
    ),
    "DataCenter": _Resource(
        DATA_CENTERS,
        "dataCenters/{}",
        "data_center",
        "data_centers",
        pb.DataCenter,
        data_center_to_proto,
        data_center_from_proto,
    ),
    "Rack": _Resource(
        RACKS, "dataCenters/{}/racks/{}", "rack", "racks", pb.Rack, rack_to_proto, rack_from_proto
    ),
    "Pool": _Resource(
        POOLS, "dataCenters/{}/pools/{}", "pool", "pools", pb.Pool, pool_to_proto, pool_from_proto
    ),
    "Node": _Resource(
        NODES, "dataCenters/{}/nodes/{}", "node", "nodes", pb.Node, node_to_proto, node_from_proto
    ),
    "Link": _Resource(LINKS, "links/{}", "link", "links", pb.Link, link_to_proto, link_from_proto),
}

# Filter values of reference fields may be given as resource names; the store keeps ids.
_REFERENCE_FILTERS = {"region", "data_center", "pool", "rack", "accelerator_model"}

# Enum filters take the API's value names (STATE_READY); the store keeps the domain's (READY).
_ENUM_FILTERS: dict[tuple[str, str], tuple[type[enum.Enum], str]] = {
    (REGIONS.name, "hub_class"): (HubClass, "HUB_CLASS_"),
    (DATA_CENTERS.name, "state"): (DataCenterState, "STATE_"),
    (NODES.name, "state"): (NodeState, "STATE_"),
}


def _enum_filter(value: str, enum_type: type[enum.Enum], prefix: str) -> str:
    """The stored name of an enum filter value given as ``STATE_READY`` (or ``READY``)."""
    name = value.removeprefix(prefix)
    if name not in enum_type.__members__:
        allowed = ", ".join(f"{prefix}{m}" for m in enum_type.__members__)
        raise InvalidArgument(
            f"unknown enum value {value!r} in filter",
            [FieldViolation("filter", f"{value!r} is not one of {allowed}")],
        )
    return name


class InventoryServicer(pb_grpc.InventoryServiceServicer):
    """InventoryService over an ``InventoryStore``; store calls run in worker threads."""

    def __init__(self, store: InventoryStore) -> None:
        self._store = store

    async def _encode(self, res: _Resource, objs: list[Any]) -> list[Any]:
        if res.kind is DATA_CENTERS:
            totals = await asyncio.to_thread(self._store.data_center_totals)
            return [data_center_to_proto(o, totals.get(o.id, (0, 0, 0.0))) for o in objs]
        if res.kind is POOLS:
            counts = await asyncio.to_thread(self._store.pool_node_counts)
            return [pool_to_proto(o, counts.get((o.data_center, o.id), 0)) for o in objs]
        return [res.to_proto(o) for o in objs]

    def _parent(self, parent: str) -> str:
        (dc,) = _key(parent, "dataCenters/{}", "parent")
        return dc

    @rpc
    async def CreatePool(
        self, request: pb.CreatePoolRequest, context: Any
    ) -> pb.CreatePoolResponse:
        auth.require_operator()
        dc = self._parent(request.parent)
        pool = pool_from_proto(request.pool, (dc, request.pool_id))
        racks = [self._rack_id(dc, r, f"racks[{i}]") for i, r in enumerate(request.racks)]
        try:
            created = await asyncio.to_thread(
                lambda: self._store.create_pool(
                    pool, node_count=request.node_count, racks=racks, request_id=request.request_id
                )
            )
        except InvalidArgument as exc:
            raise _request_paths(exc, "pool", parented=True) from None
        (encoded,) = await self._encode(_RESOURCES["Pool"], [created])
        return pb.CreatePoolResponse(pool=encoded)

    def _rack_id(self, dc: str, name: str, field: str) -> str:
        rack_dc, rack = parse_name(name, "dataCenters/{}/racks/{}", field)
        if rack_dc != dc:
            raise InvalidArgument(
                f"{field} is in another data center",
                [FieldViolation(field, f"must be in dataCenters/{dc}")],
            )
        return rack

    @rpc
    async def ImportInventory(
        self, request: pb.ImportInventoryRequest, context: Any
    ) -> pb.ImportInventoryResponse:
        auth.require_operator()
        doc = parse_inventory_bytes(request.content, request.format)
        counts = await asyncio.to_thread(
            self._store.import_document, doc, validate_only=request.validate_only
        )
        return pb.ImportInventoryResponse(**counts)

    @rpc
    async def ExportInventory(
        self, request: pb.ExportInventoryRequest, context: Any
    ) -> pb.ExportInventoryResponse:
        auth.require_operator()
        doc = await asyncio.to_thread(self._store.export_document)
        return pb.ExportInventoryResponse(content=render_inventory(doc, request.format))


def parse_inventory_bytes(content: bytes, fmt: int) -> InventoryDocument:
    """Decode an inventory file's bytes (YAML or JSON) and parse it; bad input is
    INVALID_ARGUMENT naming the line or the fields."""
    try:
        text = content.decode("utf-8")
        data = json.loads(text) if fmt == pb.INVENTORY_FORMAT_JSON else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidArgument(
            "content is not a readable inventory file",
            [FieldViolation("content", str(exc).replace("\n", " "))],
        ) from None
    if not isinstance(data, dict):
        raise InvalidArgument(
            "content must hold a mapping",
            [FieldViolation("content", "expected a mapping at the top")],
        )
    return parse_document(data)


def render_inventory(doc: InventoryDocument, fmt: int) -> bytes:
    """An inventory document as YAML (default) or JSON bytes."""
    data = dump_document(doc)
    if fmt == pb.INVENTORY_FORMAT_JSON:
        return json.dumps(data, ensure_ascii=False, indent=2).encode()
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def _install_crud(resource_name: str, res: _Resource) -> None:
    """Add Create/Get/List/Update/Delete<resource_name> methods to the servicer class."""
    parented = res.kind.parented

    async def create(self: InventoryServicer, request: Any, context: Any) -> Any:
        auth.require_operator()
        if parented:
            key: Key = (self._parent(request.parent), getattr(request, f"{res.field}_id"))
        else:
            key = (getattr(request, f"{res.field}_id"),)
        obj = res.from_proto(getattr(request, res.field), key)
        try:
            created = await asyncio.to_thread(
                lambda: self._store.create(res.kind, obj, request_id=request.request_id)
            )
        except InvalidArgument as exc:
            raise _request_paths(exc, res.field, parented) from None
        (encoded,) = await self._encode(res, [created])
        return getattr(pb, f"Create{resource_name}Response")(**{res.field: encoded})

    async def get(self: InventoryServicer, request: Any, context: Any) -> Any:
        key = _key(request.name, res.pattern)
        obj = await asyncio.to_thread(self._store.get, res.kind, key)
        (encoded,) = await self._encode(res, [obj])
        return getattr(pb, f"Get{resource_name}Response")(**{res.field: encoded})

    async def list_(self: InventoryServicer, request: Any, context: Any) -> Any:
        parent: str | None = None
        if parented:
            (dc,) = _key(request.parent, "dataCenters/{}", "parent", wildcard=True)
            parent = None if dc == "-" else dc
        filters = parse_filter(request.filter, res.kind.filterable)
        filters = {
            k: (v.rsplit("/", 1)[-1] if k in _REFERENCE_FILTERS else v) for k, v in filters.items()
        }
        for (kind_name, name), (enum_type, prefix) in _ENUM_FILTERS.items():
            if kind_name == res.kind.name and name in filters:
                filters[name] = _enum_filter(filters[name], enum_type, prefix)
        query = (resource_name, parent or "-", request.filter)
        after = decode_page_token(request.page_token, query)
        if after is not None and (
            len(after) != len(res.kind.key_fields) or not all(map(ID_PATTERN.match, after))
        ):
            # The token's hash binds it to the query, not to us: a forged key must not reach
            # the database as a malformed row comparison.
            raise InvalidArgument(
                "page_token is not valid for this request",
                [FieldViolation("page_token", "unknown page token")],
                reason="INVALID_PAGE_TOKEN",
            )
        size = page_size(request.page_size)
        page = await asyncio.to_thread(
            lambda: self._store.list(
                res.kind, parent=parent, filters=filters, page_size=size, after=after
            )
        )
        encoded = await self._encode(res, list(page.items))
        return getattr(pb, f"List{_plural(resource_name)}Response")(
            **{res.plural: encoded},
            next_page_token=encode_page_token(page.next_key, query),
            total_size=page.total_size,
        )

    async def update(self: InventoryServicer, request: Any, context: Any) -> Any:
        auth.require_operator()
        msg = getattr(request, res.field)
        key = _key(msg.name, res.pattern, f"{res.field}.name")
        paths = mask_paths(request.update_mask, res.kind.updatable, res.message)
        obj = res.from_proto(msg, key)
        patch = {p: getattr(obj, p) for p in paths}
        updated = await asyncio.to_thread(self._store.update, res.kind, key, patch)
        (encoded,) = await self._encode(res, [updated])
        return getattr(pb, f"Update{resource_name}Response")(**{res.field: encoded})

    async def delete(self: InventoryServicer, request: Any, context: Any) -> Any:
        auth.require_operator()
        key = _key(request.name, res.pattern)
        await asyncio.to_thread(self._store.delete, res.kind, key)
        return getattr(pb, f"Delete{resource_name}Response")()

    methods: dict[str, Callable[..., Any]] = {
        f"Create{resource_name}": create,
        f"Get{resource_name}": get,
        f"List{_plural(resource_name)}": list_,
        f"Update{resource_name}": update,
        f"Delete{resource_name}": delete,
    }
    for method_name, fn in methods.items():
        if method_name in InventoryServicer.__dict__:
            continue  # hand-written (CreatePool also creates nodes)
        fn.__name__ = method_name
        fn.__qualname__ = f"InventoryServicer.{method_name}"
        setattr(InventoryServicer, method_name, rpc(fn))


def _plural(resource_name: str) -> str:
    return f"{resource_name}s"


for _name, _res in _RESOURCES.items():
    _install_crud(_name, _res)
