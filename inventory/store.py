"""Persistence of the inventory: validated create/get/list/update/delete of every resource
kind, bulk import/export, all over SQLModel (SQLite or PostgreSQL).

Every write validates fully before it touches the database and runs in one transaction, so a
refused request leaves no trace.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, func, select

from computenet.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Violations,
)
from inventory.document import InventoryDocument
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
    check_id,
    validate_accelerator_model,
    validate_data_center,
    validate_link,
    validate_node,
    validate_pool,
    validate_rack,
    validate_region,
)
from inventory.tables import (
    AcceleratorModelRow,
    DataCenterRow,
    LinkRow,
    NodeRow,
    PoolRow,
    RackRow,
    RegionRow,
    RequestIdRow,
)

__all__ = [
    "ACCELERATOR_MODELS",
    "DATA_CENTERS",
    "KINDS",
    "LINKS",
    "NODES",
    "POOLS",
    "RACKS",
    "REGIONS",
    "Change",
    "InventoryStore",
    "Kind",
    "Page",
]

D = TypeVar("D")
Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Kind(Generic[D]):
    """How one resource kind is stored, validated and referenced."""

    name: str
    """Singular name used in messages, e.g. ``data center``."""
    domain: type[D]
    """The domain dataclass."""
    table: type[SQLModel]
    """The table class."""
    key_fields: tuple[str, ...]
    """Primary key fields; a parent kind's key comes first (``data_center``, ``id``)."""
    validate: Callable[[D, str], Violations]
    """Field validation of one object."""
    updatable: frozenset[str]
    """Fields an update may change."""
    filterable: frozenset[str]
    """Fields a list filter may name."""

    def key(self, obj: D) -> Key:
        return tuple(str(getattr(obj, f)) for f in self.key_fields)

    @property
    def parented(self) -> bool:
        return len(self.key_fields) == 2


def _enum_name(value: Any) -> Any:
    return value.name if hasattr(value, "name") and hasattr(value, "value") else value


def _to_row(kind: Kind[Any], obj: Any) -> SQLModel:
    values = {f.name: _enum_name(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if kind is DATA_CENTERS:
        values["labels"] = dict(values["labels"])
    for ref in ("accelerator_model", "rack"):
        if ref in values and values[ref] == "":
            values[ref] = None
    return kind.table(**values)


def _from_row(kind: Kind[D], row: SQLModel) -> D:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cast(Any, kind.domain)):
        value = getattr(row, f.name)
        if f.name == "state":
            value = (NodeState if kind is NODES else DataCenterState)[value]
        elif f.name == "hub_class":
            value = HubClass[value]
        elif f.name in {"accelerator_model", "rack"} and value is None:
            value = ""
        elif f.name == "labels":
            value = dict(value or {})
        values[f.name] = value
    return kind.domain(**values)


ACCELERATOR_MODELS: Kind[AcceleratorModel] = Kind(
    "accelerator model",
    AcceleratorModel,
    AcceleratorModelRow,
    ("id",),
    validate_accelerator_model,
    frozenset({"display_name", "vendor", "memory_gib", "fp16_tflops", "board_power_w", "source"}),
    frozenset({"vendor"}),
)
REGIONS: Kind[Region] = Kind(
    "region",
    Region,
    RegionRow,
    ("id",),
    validate_region,
    frozenset({"display_name", "province", "latitude", "longitude", "hub", "hub_class"}),
    frozenset({"province", "hub", "hub_class"}),
)
DATA_CENTERS: Kind[DataCenter] = Kind(
    "data center",
    DataCenter,
    DataCenterRow,
    ("id",),
    validate_data_center,
    frozenset(
        {
            "display_name",
            "province",
            "latitude",
            "longitude",
            "grid_carbon_g_per_kwh",
            "electricity_price_cny_per_kwh",
            "design_pue",
            "pue_target",
            "commissioned_year",
            "state",
            "labels",
            "source",
        }
    ),
    frozenset({"region", "province", "state"}),
)
RACKS: Kind[Rack] = Kind(
    "rack",
    Rack,
    RackRow,
    ("data_center", "id"),
    validate_rack,
    frozenset({"room", "u_height", "power_capacity_kw", "cooling_kw"}),
    frozenset({"room"}),
)
POOLS: Kind[Pool] = Kind(
    "pool",
    Pool,
    PoolRow,
    ("data_center", "id"),
    validate_pool,
    frozenset({"display_name"}),
    frozenset({"accelerator_model"}),
)
NODES: Kind[Node] = Kind(
    "node",
    Node,
    NodeRow,
    ("data_center", "id"),
    validate_node,
    frozenset({"rack", "rack_position_u", "state"}),
    frozenset({"pool", "rack", "accelerator_model", "state"}),
)
LINKS: Kind[Link] = Kind(
    "link",
    Link,
    LinkRow,
    ("id",),
    validate_link,
    frozenset({"rtt_ms", "source"}),
    frozenset({"region", "data_center"}),
)
KINDS: tuple[Kind[Any], ...] = (
    ACCELERATOR_MODELS,
    REGIONS,
    DATA_CENTERS,
    RACKS,
    POOLS,
    NODES,
    LINKS,
)


@dataclass(frozen=True, slots=True)
class Page(Generic[D]):
    """One page of a list."""

    items: tuple[D, ...]
    """The items, ordered by key."""
    next_key: Key | None
    """Key of the last item when more follow, else None."""
    total_size: int
    """All items matching the query."""


@dataclass(frozen=True, slots=True)
class Change:
    """A committed change, told to listeners (the scheduler keeps its ledger in step)."""

    kind: str
    """The kind's name."""
    op: str
    """``create``, ``update`` or ``delete``."""
    obj: Any
    """The domain object after the change (before it, for a delete)."""


Listener = Callable[[Change], None]
DeleteGuard = Callable[[Node], str | None]


class InventoryStore:
    """The inventory over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._listeners: list[Listener] = []
        self._delete_guards: list[DeleteGuard] = []
        # SQLite allows one writer; serialising writes here avoids busy-waits inside SQLite.
        self._write_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` after every committed change."""
        self._listeners.append(listener)

    def add_node_delete_guard(self, guard: DeleteGuard) -> None:
        """``guard(node)`` returns why a node may not be deleted now (work on it), or None."""
        self._delete_guards.append(guard)

    def _notify(self, changes: Iterable[Change]) -> None:
        for change in changes:
            for listener in self._listeners:
                listener(change)

    # -- reads -------------------------------------------------------------------------------

    def get(self, kind: Kind[D], key: Key) -> D:
        with Session(self._engine) as session:
            row = session.get(kind.table, key if kind.parented else key[0])
            if row is None:
                raise NotFound(f"{kind.name} {'/'.join(key)!r} does not exist")
            return _from_row(kind, row)

    def list(
        self,
        kind: Kind[D],
        *,
        parent: str | None = None,
        filters: Mapping[str, str] | None = None,
        page_size: int = 50,
        after: Key | None = None,
    ) -> Page[D]:
        """Items of ``kind`` ordered by key; ``parent`` restricts a parented kind to one data
        center; ``filters`` are equality terms on ``kind.filterable`` fields."""
        filters = dict(filters or {})
        unknown = sorted(set(filters) - kind.filterable)
        if unknown:
            raise InvalidArgument(
                f"cannot filter {kind.name}s by {', '.join(unknown)}",
                [_filter_violation(kind)],
            )
        table = kind.table
        conditions: list[Any] = []
        if parent is not None and kind.parented:
            conditions.append(col(table.data_center) == parent)
        for name, value in filters.items():
            conditions.append(col(getattr(table, name)) == value)
        key_cols = [col(getattr(table, f)) for f in kind.key_fields]
        with Session(self._engine) as session:
            total = session.exec(select(func.count()).select_from(table).where(*conditions)).one()
            query = select(table).where(*conditions)
            if after is not None:
                query = query.where(sa.tuple_(*key_cols) > sa.tuple_(*after))
            rows = session.exec(query.order_by(*key_cols).limit(page_size + 1)).all()
        items = tuple(_from_row(kind, r) for r in rows[:page_size])
        next_key = kind.key(items[-1]) if len(rows) > page_size and items else None
        return Page(items, next_key, int(total))

    def all(self, kind: Kind[D]) -> list[D]:
        """Every item of ``kind`` (for snapshots and export)."""
        key_cols = [col(getattr(kind.table, f)) for f in kind.key_fields]
        with Session(self._engine) as session:
            rows = session.exec(select(kind.table).order_by(*key_cols)).all()
        return [_from_row(kind, r) for r in rows]

    def data_center_totals(self) -> dict[str, tuple[int, int, float]]:
        """Per data center: nodes, accelerators and FP16 PFLOPS."""
        query = (
            select(
                NodeRow.data_center,
                func.count(),
                func.coalesce(func.sum(NodeRow.accelerator_count), 0),
                func.coalesce(
                    func.sum(NodeRow.accelerator_count * AcceleratorModelRow.fp16_tflops), 0.0
                ),
            )
            .join(
                AcceleratorModelRow,
                col(NodeRow.accelerator_model) == col(AcceleratorModelRow.id),
                isouter=True,
            )
            .group_by(NodeRow.data_center)
        )
        with Session(self._engine) as session:
            rows = session.exec(query).all()
        return {dc: (int(n), int(a), float(t) / 1000.0) for dc, n, a, t in rows}

    def pool_node_counts(self) -> dict[tuple[str, str], int]:
        """Nodes per (data center, pool)."""
        query = select(NodeRow.data_center, NodeRow.pool, func.count()).group_by(
            NodeRow.data_center, NodeRow.pool
        )
        with Session(self._engine) as session:
            return {(dc, p): int(n) for dc, p, n in session.exec(query).all()}

    # -- writes ------------------------------------------------------------------------------

    def create(self, kind: Kind[D], obj: D, *, request_id: str = "") -> D:
        """Validate and insert ``obj``; a repeated ``request_id`` returns the first result."""
        return self._create_many(kind, [obj], request_id=request_id)[0]

    def create_pool(
        self,
        pool: Pool,
        *,
        node_count: int = 0,
        racks: Sequence[str] = (),
        request_id: str = "",
    ) -> Pool:
        """Create a pool and ``node_count`` identical nodes spread over ``racks`` in order."""
        v = validate_pool(pool, "pool.")
        v.check(0 <= node_count <= 100_000, "node_count", "must be between 0 and 100000")
        v.check(
            node_count <= 0 or len(f"{pool.id}-{node_count - 1:04d}") <= 63,
            "pool.id",
            "is too long to name generated nodes (<pool>-NNNN must fit 63 characters)",
        )
        for i, rack in enumerate(racks):
            check_id(v, f"racks[{i}]", rack)
        v.raise_if_any()
        nodes = _pool_nodes(pool, node_count, racks)
        with self._write_lock, Session(self._engine) as session:
            existing = self._replay(session, request_id, "CreatePool")
            if existing is not None:
                return self.get(POOLS, existing)
            # Checked here so that an unknown rack is named as the request names it, once.
            for i, rack in enumerate(racks):
                if not self._exists(session, RackRow, (pool.data_center, rack)):
                    v.add(f"racks[{i}]", f"unknown rack {rack!r} in {pool.data_center!r}")
            v.raise_if_any()
            self._insert(session, POOLS, [pool], prefix="pool.")
            self._insert(session, NODES, nodes, prefix="node.")
            self._remember(session, request_id, "CreatePool", POOLS.key(pool))
            self._commit(session)
        self._notify([Change(POOLS.name, "create", pool)])
        self._notify(Change(NODES.name, "create", n) for n in nodes)
        return pool

    def update(self, kind: Kind[D], key: Key, patch: Mapping[str, Any]) -> D:
        """Set the fields in ``patch`` (all in ``kind.updatable``) and return the result."""
        bad = sorted(set(patch) - kind.updatable)
        if bad:
            raise InvalidArgument(
                f"cannot update {', '.join(bad)} of a {kind.name}",
                [_mask_violation(kind, b) for b in bad],
                reason="INVALID_UPDATE_MASK",
            )
        with self._write_lock, Session(self._engine) as session:
            row = session.get(kind.table, key if kind.parented else key[0])
            if row is None:
                raise NotFound(f"{kind.name} {'/'.join(key)!r} does not exist")
            updated = dataclasses.replace(cast(Any, _from_row(kind, row)), **patch)
            # Paths as in the Update request: data_center.design_pue, node.rack.
            prefix = f"{_field_name(kind)}."
            v = kind.validate(updated, prefix)
            self._check_refs(session, kind, updated, prefix, v)
            v.raise_if_any()
            new_row = _to_row(kind, updated)
            for name in patch:
                setattr(row, name, getattr(new_row, name))
            session.add(row)
            self._commit(session)
        self._notify([Change(kind.name, "update", updated)])
        return cast(D, updated)

    def delete(self, kind: Kind[D], key: Key) -> D:
        """Delete one item; refused while others depend on it."""
        with self._write_lock, Session(self._engine) as session:
            row = session.get(kind.table, key if kind.parented else key[0])
            if row is None:
                raise NotFound(f"{kind.name} {'/'.join(key)!r} does not exist")
            obj = _from_row(kind, row)
            self._check_dependents(session, kind, obj)
            if kind is DATA_CENTERS:
                # Links describe the data center itself: they go with it.
                for link in session.exec(select(LinkRow).where(LinkRow.data_center == key[0])):
                    session.delete(link)
                session.flush()
            session.delete(row)
            self._commit(session)
        self._notify([Change(kind.name, "delete", obj)])
        return obj

    def import_document(
        self, doc: InventoryDocument, *, validate_only: bool = False
    ) -> dict[str, int]:
        """Create everything in ``doc`` in one transaction, or nothing."""
        groups: list[tuple[Kind[Any], Sequence[Any], str]] = [
            (ACCELERATOR_MODELS, doc.accelerator_models, "accelerator_models"),
            (REGIONS, doc.regions, "regions"),
            (DATA_CENTERS, doc.data_centers, "data_centers"),
            (RACKS, doc.racks, "racks"),
            (POOLS, doc.pools, "pools"),
            (NODES, doc.nodes, "nodes"),
            (LINKS, doc.links, "links"),
        ]
        with self._write_lock, Session(self._engine) as session:
            for kind, items, field in groups:
                self._insert(session, kind, items, prefix=field, indexed=True)
            if validate_only:
                session.rollback()
            else:
                self._commit(session)
        if not validate_only:
            for kind, items, _ in groups:
                self._notify(Change(kind.name, "create", obj) for obj in items)
        return {field: len(items) for _, items, field in groups}

    def export_document(self) -> InventoryDocument:
        """The whole inventory as a document ``import_document`` accepts."""
        return InventoryDocument(
            accelerator_models=tuple(self.all(ACCELERATOR_MODELS)),
            regions=tuple(self.all(REGIONS)),
            data_centers=tuple(self.all(DATA_CENTERS)),
            racks=tuple(self.all(RACKS)),
            pools=tuple(self.all(POOLS)),
            nodes=tuple(self.all(NODES)),
            links=tuple(self.all(LINKS)),
        )

    def is_empty(self) -> bool:
        with Session(self._engine) as session:
            return session.exec(select(func.count()).select_from(DataCenterRow)).one() == 0

    # -- internals ---------------------------------------------------------------------------

    def _create_many(self, kind: Kind[D], objs: Sequence[D], *, request_id: str) -> list[D]:
        method = f"Create{kind.domain.__name__}"
        with self._write_lock, Session(self._engine) as session:
            existing = self._replay(session, request_id, method)
            if existing is not None:
                return [self.get(kind, existing)]
            self._insert(session, kind, objs, prefix=f"{_field_name(kind)}.")
            if objs:
                self._remember(session, request_id, method, kind.key(objs[0]))
            self._commit(session)
        self._notify(Change(kind.name, "create", o) for o in objs)
        return list(objs)

    def _insert(
        self,
        session: Session,
        kind: Kind[Any],
        objs: Sequence[Any],
        *,
        prefix: str,
        indexed: bool = False,
    ) -> None:
        v = Violations()
        seen: set[Key] = set()
        for i, obj in enumerate(objs):
            path = f"{prefix}[{i}]." if indexed else prefix
            v.extend(kind.validate(obj, path).items)
            self._check_refs(session, kind, obj, path, v)
            key = kind.key(obj)
            if key in seen:
                v.add(f"{path}id", f"duplicate {kind.name} id {'/'.join(key)!r}")
            seen.add(key)
        v.raise_if_any()
        clash = self._existing_keys(session, kind, seen)
        if clash:
            names = ", ".join("/".join(k) for k in sorted(clash)[:5])
            raise AlreadyExists(f"{kind.name} already exists: {names}")
        rows = [_to_row(kind, o) for o in objs]
        session.add_all(rows)
        session.flush()
        _keep(session, rows)

    def _existing_keys(self, session: Session, kind: Kind[Any], keys: set[Key]) -> set[Key]:
        if not keys:
            return set()
        key_cols = [col(getattr(kind.table, f)) for f in kind.key_fields]
        found: set[Key] = set()
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            query = select(*key_cols).where(sa.tuple_(*key_cols).in_(chunk))
            found.update(tuple(str(x) for x in r) for r in session.execute(query).all())
        return found

    def _exists(self, session: Session, table: type[SQLModel], key: Any) -> bool:
        row = session.get(table, key)
        if row is None:
            return False
        _keep(session, [row])
        return True

    def _check_refs(
        self, session: Session, kind: Kind[Any], obj: Any, path: str, v: Violations
    ) -> None:
        def ref(field: str, table: type[SQLModel], key: Any, what: str) -> None:
            if (
                key
                and (not isinstance(key, tuple) or all(key))
                and not self._exists(session, table, key)
            ):
                shown = "/".join(key) if isinstance(key, tuple) else key
                v.add(f"{path}{field}", f"unknown {what} {shown!r}")

        if kind is REGIONS:
            # The inventory file requires this too; without it an export would not re-import.
            v.check(
                obj.hub_class is HubClass.NONE or bool(obj.hub.strip()),
                f"{path}hub",
                f"must name the hub node when hub_class is {obj.hub_class.name}",
            )
        elif kind is DATA_CENTERS:
            ref("region", RegionRow, obj.region, "region")
        elif kind in (RACKS, POOLS):
            ref("data_center", DataCenterRow, obj.data_center, "data center")
            if kind is RACKS:
                highest = session.exec(
                    select(func.max(NodeRow.rack_position_u)).where(
                        NodeRow.data_center == obj.data_center, NodeRow.rack == obj.id
                    )
                ).one()
                if highest is not None and highest > obj.u_height:
                    v.add(f"{path}u_height", f"a node sits at unit {highest} of this rack")
            if kind is POOLS:
                ref(
                    "accelerator_model",
                    AcceleratorModelRow,
                    obj.accelerator_model,
                    "accelerator model",
                )
        elif kind is NODES:
            ref("data_center", DataCenterRow, obj.data_center, "data center")
            ref(
                "accelerator_model", AcceleratorModelRow, obj.accelerator_model, "accelerator model"
            )
            if obj.rack:
                ref("rack", RackRow, (obj.data_center, obj.rack), "rack")
                rack = session.get(RackRow, (obj.data_center, obj.rack))
                if rack is not None and obj.rack_position_u > rack.u_height:
                    v.add(
                        f"{path}rack_position_u",
                        f"rack {obj.rack!r} has only {rack.u_height} U, got {obj.rack_position_u}",
                    )
                if obj.rack_position_u:
                    # As in the inventory file: only a shared lowest unit is a sure clash.
                    other = session.exec(
                        select(NodeRow.id).where(
                            NodeRow.data_center == obj.data_center,
                            NodeRow.rack == obj.rack,
                            NodeRow.rack_position_u == obj.rack_position_u,
                            NodeRow.id != obj.id,
                        )
                    ).first()
                    if other is not None:
                        v.add(
                            f"{path}rack_position_u",
                            f"unit {obj.rack_position_u} of rack {obj.rack!r} is taken by "
                            f"node {other!r}",
                        )
            pool = session.get(PoolRow, (obj.data_center, obj.pool))
            if pool is None:
                if obj.pool:
                    v.add(f"{path}pool", f"unknown pool {obj.data_center}/{obj.pool!r}")
            elif (
                (pool.accelerator_model or "") != obj.accelerator_model
                or pool.accelerators_per_node != obj.accelerator_count
                or pool.cpu_milli_per_node != obj.cpu_milli
                or pool.memory_mib_per_node != obj.memory_mib
            ):
                v.add(f"{path}pool", f"node shape differs from pool {obj.pool!r}'s shape")
        elif kind is LINKS:
            ref("region", RegionRow, obj.region, "region")
            ref("data_center", DataCenterRow, obj.data_center, "data center")

    def _check_dependents(self, session: Session, kind: Kind[Any], obj: Any) -> None:
        def count(table: type[SQLModel], *conditions: Any) -> int:
            return int(
                session.exec(select(func.count()).select_from(table).where(*conditions)).one()
            )

        if kind is DATA_CENTERS:
            n = count(NodeRow, NodeRow.data_center == obj.id)
            p = count(PoolRow, PoolRow.data_center == obj.id)
            r = count(RackRow, RackRow.data_center == obj.id)
            if n or p or r:
                raise FailedPrecondition(
                    f"data center {obj.id!r} still has {n} nodes, {p} pools and {r} racks; "
                    "delete them first",
                    reason="DATA_CENTER_NOT_EMPTY",
                )
        elif kind is REGIONS:
            d = count(DataCenterRow, DataCenterRow.region == obj.id)
            links = count(LinkRow, LinkRow.region == obj.id)
            if d or links:
                raise FailedPrecondition(
                    f"region {obj.id!r} is used by {d} data centers and {links} links",
                    reason="IN_USE",
                )
        elif kind is ACCELERATOR_MODELS:
            p = count(PoolRow, PoolRow.accelerator_model == obj.id)
            n = count(NodeRow, NodeRow.accelerator_model == obj.id)
            if p or n:
                raise FailedPrecondition(
                    f"accelerator model {obj.id!r} is used by {p} pools and {n} nodes",
                    reason="IN_USE",
                )
        elif kind is RACKS:
            n = count(NodeRow, NodeRow.data_center == obj.data_center, NodeRow.rack == obj.id)
            if n:
                raise FailedPrecondition(f"rack {obj.id!r} still holds {n} nodes", reason="IN_USE")
        elif kind is POOLS:
            n = count(NodeRow, NodeRow.data_center == obj.data_center, NodeRow.pool == obj.id)
            if n:
                raise FailedPrecondition(
                    f"pool {obj.id!r} still has {n} nodes; delete them first", reason="IN_USE"
                )
        elif kind is NODES:
            for guard in self._delete_guards:
                why = guard(obj)
                if why:
                    raise FailedPrecondition(
                        f"node {obj.id!r} cannot be deleted: {why}", reason="IN_USE"
                    )

    def _replay(self, session: Session, request_id: str, method: str) -> Key | None:
        if not request_id:
            return None
        # The column holds 200 characters and PostgreSQL refuses NUL: check before the query.
        if len(request_id) > 200 or "\x00" in request_id:
            raise InvalidArgument(
                "request_id is invalid",
                [FieldViolation("request_id", "must be at most 200 characters, without NUL")],
            )
        row = session.get(RequestIdRow, request_id)
        if row is None:
            return None
        if row.method != method:
            raise InvalidArgument(
                f"request_id {request_id!r} was already used by another call ({row.method})",
                [FieldViolation("request_id", f"was already used by {row.method}")],
            )
        return tuple(row.resource.split("/"))

    def _remember(self, session: Session, request_id: str, method: str, key: Key) -> None:
        if request_id:
            session.add(
                RequestIdRow(
                    request_id=request_id,
                    method=method,
                    resource="/".join(key),
                    create_time=datetime.now(UTC),
                )
            )

    def _commit(self, session: Session) -> None:
        try:
            session.commit()
        except IntegrityError as exc:
            # A concurrent writer (another replica) created the same key between our check
            # and our commit.
            session.rollback()
            raise AlreadyExists(
                f"a resource with that name was created concurrently: {exc.orig}"
            ) from exc


def _keep(session: Session, rows: Iterable[object]) -> None:
    """Hold ``rows`` for the session's life: its identity map is weak, and without this every
    reference check of a bulk import would query again for rows the session already had."""
    session.info.setdefault("kept", []).extend(rows)


def _field_name(kind: Kind[Any]) -> str:
    return kind.name.replace(" ", "_")


def _filter_violation(kind: Kind[Any]) -> FieldViolation:
    return FieldViolation(
        "filter", f"{kind.name}s can be filtered by: {', '.join(sorted(kind.filterable))}"
    )


def _mask_violation(kind: Kind[Any], name: str) -> FieldViolation:
    return FieldViolation(
        "update_mask",
        f"{name!r} is not an updatable field of a {kind.name}; updatable: "
        f"{', '.join(sorted(kind.updatable))}",
    )


def _pool_nodes(pool: Pool, count: int, racks: Sequence[str]) -> list[Node]:
    nodes = []
    for i in range(count):
        rack = racks[i % len(racks)] if racks else ""
        nodes.append(
            Node(
                data_center=pool.data_center,
                id=f"{pool.id}-{i:04d}",
                pool=pool.id,
                accelerator_model=pool.accelerator_model,
                accelerator_count=pool.accelerators_per_node,
                cpu_milli=pool.cpu_milli_per_node,
                memory_mib=pool.memory_mib_per_node,
                rack=rack,
            )
        )
    return nodes
