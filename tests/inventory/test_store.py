"""Tests of InventoryStore straight over a migrated database (SQLite and PostgreSQL): writes are
all-or-nothing, request_id makes creates idempotent, lists page by key, and change listeners
hear only of committed changes."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from computenet.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from inventory.document import InventoryDocument
from inventory.domain import (
    AcceleratorModel,
    DataCenter,
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
    KINDS,
    LINKS,
    NODES,
    POOLS,
    RACKS,
    REGIONS,
    Change,
    InventoryStore,
    Kind,
)

__all__: list[str] = []

# Dense FP16 tensor throughput and board power from the NVIDIA H100 SXM5 datasheet.
H100 = AcceleratorModel("h100", "NVIDIA H100 SXM5 80GB", "NVIDIA", 80.0, 989.4, 700.0, "datasheet")
BEIJING = Region("beijing", "北京", "Beijing", 39.9, 116.4, "京津冀", HubClass.EASTERN)


def data_center(dc_id: str, **kw: Any) -> DataCenter:
    """A Beijing data center (figures: estimate), with ``kw`` changed."""
    values: dict[str, Any] = {
        "display_name": dc_id,
        "region": "beijing",
        "province": "Beijing",
        "latitude": 39.8,
        "longitude": 116.5,
        "grid_carbon_g_per_kwh": 580.0,
        "electricity_price_cny_per_kwh": 0.65,
        "design_pue": 1.3,
        "pue_target": 1.25,
        "source": "estimate",
    }
    return DataCenter(id=dc_id, **{**values, **kw})


def gpu_pool(dc: str, pool_id: str = "gpu") -> Pool:
    """An 8 x H100 pool."""
    return Pool(dc, pool_id, "h100", 8, 192_000, 2 * 1024 * 1024, "GPU")


def gpu_node(dc: str, node_id: str, pool_id: str = "gpu", **kw: Any) -> Node:
    """A node of ``gpu_pool``'s shape."""
    return Node(dc, node_id, pool_id, "h100", 8, 192_000, 2 * 1024 * 1024, **kw)


def base(dcs: tuple[str, ...] = ("bj-a",)) -> InventoryDocument:
    """One model, one region and the data centers ``dcs``, each with one empty GPU pool."""
    return InventoryDocument(
        accelerator_models=(H100,),
        regions=(BEIJING,),
        data_centers=tuple(data_center(d) for d in dcs),
        pools=tuple(gpu_pool(d) for d in dcs),
    )


@pytest.fixture
def store(engine: Engine) -> InventoryStore:
    """A store over an empty, migrated database (each backend)."""
    return InventoryStore(engine)


def snapshot(store: InventoryStore) -> dict[str, list[Any]]:
    """Everything in the store, kind by kind."""
    return {kind.name: store.all(kind) for kind in KINDS}


class TestTransactions:
    def test_import_failing_in_its_last_section_creates_nothing(
        self, store: InventoryStore
    ) -> None:
        """An import whose links clash with an existing id is refused after its models, regions,
        data centers, racks, pools and nodes were written in the transaction, and none remain."""
        store.import_document(base())
        store.create(LINKS, Link("bj-link", "beijing", "bj-a", 2.0))
        before = snapshot(store)
        doc = InventoryDocument(
            accelerator_models=(dataclasses.replace(H100, id="a100"),),
            regions=(dataclasses.replace(BEIJING, id="tianjin"),),
            data_centers=(data_center("tj-a", region="tianjin"),),
            racks=(Rack("tj-a", "r01"),),
            pools=(gpu_pool("tj-a"),),
            nodes=(gpu_node("tj-a", "n1", rack="r01", rack_position_u=1),),
            links=(Link("bj-link", "tianjin", "tj-a", 3.0),),
        )
        with pytest.raises(AlreadyExists):
            store.import_document(doc)
        assert snapshot(store) == before

    def test_create_pool_whose_nodes_clash_creates_no_pool(self, store: InventoryStore) -> None:
        """When a generated node's id is taken the pool, written first, is rolled back too."""
        store.import_document(base())
        store.create(NODES, gpu_node("bj-a", "new-0001"))
        before = snapshot(store)
        with pytest.raises(AlreadyExists):
            store.create_pool(gpu_pool("bj-a", "new"), node_count=3)
        assert snapshot(store) == before

    def test_refused_update_leaves_the_row_as_it_was(self, store: InventoryStore) -> None:
        """An update that fails validation is INVALID_ARGUMENT naming the field and changes
        nothing, not even its valid fields."""
        store.import_document(base())
        before = store.get(DATA_CENTERS, ("bj-a",))
        with pytest.raises(InvalidArgument) as info:
            store.update(DATA_CENTERS, ("bj-a",), {"display_name": "x", "design_pue": 0.7})
        assert [v.field for v in info.value.violations] == ["data_center.design_pue"]
        assert store.get(DATA_CENTERS, ("bj-a",)) == before

    def test_refused_delete_leaves_everything(self, store: InventoryStore) -> None:
        """Deleting a data center with a pool is DATA_CENTER_NOT_EMPTY and keeps it and its
        links."""
        store.import_document(base())
        store.create(LINKS, Link("bj-link", "beijing", "bj-a", 2.0))
        before = snapshot(store)
        with pytest.raises(FailedPrecondition) as info:
            store.delete(DATA_CENTERS, ("bj-a",))
        assert info.value.reason == "DATA_CENTER_NOT_EMPTY"
        assert snapshot(store) == before


class TestRequestIds:
    def test_repeated_request_id_returns_the_first_object(self, store: InventoryStore) -> None:
        """A create repeated with its request_id returns the first object, even with another
        body, and stores one object."""
        first = store.create(REGIONS, BEIJING, request_id="req-1")
        again = store.create(
            REGIONS, dataclasses.replace(BEIJING, province="Hebei"), request_id="req-1"
        )
        assert again == first == BEIJING
        assert store.all(REGIONS) == [BEIJING]

    def test_request_id_is_remembered_by_a_new_store(
        self, store: InventoryStore, engine: Engine
    ) -> None:
        """The request_id is kept in the database, so a restarted server still replays it."""
        store.create(REGIONS, BEIJING, request_id="req-1")
        assert InventoryStore(engine).create(REGIONS, BEIJING, request_id="req-1") == BEIJING
        with pytest.raises(AlreadyExists):
            InventoryStore(engine).create(REGIONS, BEIJING, request_id="req-2")

    def test_request_id_of_another_method_is_invalid_argument(self, store: InventoryStore) -> None:
        """Reusing a request_id for another kind of create is INVALID_ARGUMENT on request_id and
        creates nothing."""
        store.create(REGIONS, BEIJING, request_id="shared")
        with pytest.raises(InvalidArgument) as info:
            store.create(ACCELERATOR_MODELS, H100, request_id="shared")
        assert [v.field for v in info.value.violations] == ["request_id"]
        assert store.all(ACCELERATOR_MODELS) == []

    def test_refused_create_leaves_its_request_id_unused(self, store: InventoryStore) -> None:
        """A create refused for bad input does not record its request_id, so the corrected
        retry with the same key creates the object."""
        with pytest.raises(InvalidArgument):
            store.create(REGIONS, dataclasses.replace(BEIJING, latitude=95.0), request_id="r")
        assert store.create(REGIONS, BEIJING, request_id="r") == BEIJING
        assert store.all(REGIONS) == [BEIJING]

    def test_repeated_create_pool_adds_no_nodes(self, store: InventoryStore) -> None:
        """A CreatePool replayed by request_id returns the pool and adds no nodes."""
        store.import_document(base())
        pool = gpu_pool("bj-a", "big")
        assert store.create_pool(pool, node_count=4, request_id="p") == pool
        assert store.create_pool(pool, node_count=9, request_id="p") == pool
        assert store.pool_node_counts()[("bj-a", "big")] == 4


def _racks(
    store: InventoryStore, dcs: tuple[str, ...], per_dc: int, seed: int
) -> list[tuple[str, str]]:
    """Create ``per_dc`` racks in each data center in a shuffled order; their keys, sorted."""
    store.import_document(
        InventoryDocument(
            accelerator_models=(H100,),
            regions=(BEIJING,),
            data_centers=tuple(data_center(d) for d in dcs),
        )
    )
    # Ids of one shape, so byte order and any locale's collation agree on their order.
    keys = [(dc, f"r-{i:02d}") for dc in dcs for i in range(per_dc)]
    shuffled = list(keys)
    random.Random(seed).shuffle(shuffled)
    for dc, rack_id in shuffled:
        store.create(RACKS, Rack(dc, rack_id, room="A" if int(rack_id[2:]) % 3 else "B"))
    return sorted(keys)


def _walk(store: InventoryStore, kind: Kind[Any], size: int, **kw: Any) -> list[tuple[str, ...]]:
    """Every key of a list, page by page of ``size``, checking total_size on each page."""
    keys: list[tuple[str, ...]] = []
    after = None
    totals = set()
    while True:
        page = store.list(kind, page_size=size, after=after, **kw)
        assert len(page.items) <= size
        totals.add(page.total_size)
        keys += [kind.key(x) for x in page.items]
        if page.next_key is None:
            break
        assert page.next_key == keys[-1]
        after = page.next_key
    assert totals == {len(keys)}
    return keys


class TestKeysetPagination:
    def test_pages_of_any_size_give_every_key_once_in_order(self, store: InventoryStore) -> None:
        """Walking the pages, for every page size, yields all keys once in (data center, id)
        order however they were inserted, across data centers and within one."""
        keys = _racks(store, ("dc-a", "dc-b", "dc-c"), 6, seed=7)
        for size in range(1, len(keys) + 2):
            assert _walk(store, RACKS, size) == keys, size
            assert _walk(store, RACKS, size, parent="dc-b") == [k for k in keys if k[0] == "dc-b"]

    def test_filters_page_like_the_full_list(self, store: InventoryStore) -> None:
        """A filtered list pages through exactly the matching keys, in order."""
        keys = _racks(store, ("dc-a", "dc-b"), 7, seed=3)
        want = [k for k in keys if int(k[1][2:]) % 3 == 0]
        for size in (1, 2, 5):
            assert _walk(store, RACKS, size, filters={"room": "B"}) == want

    def test_a_deleted_cursor_resumes_at_the_next_key(self, store: InventoryStore) -> None:
        """When the item a page ended on is deleted, the next page starts right after its key."""
        keys = _racks(store, ("dc-a", "dc-b"), 4, seed=1)
        first = store.list(RACKS, page_size=3)
        assert first.next_key == keys[2]
        store.delete(RACKS, keys[2])
        rest = store.list(RACKS, page_size=100, after=first.next_key)
        assert [RACKS.key(r) for r in rest.items] == keys[3:]

    def test_items_created_behind_the_cursor_do_not_repeat_items(
        self, store: InventoryStore
    ) -> None:
        """An item inserted before the cursor between two pages neither shifts nor repeats the
        following page."""
        keys = _racks(store, ("dc-b",), 6, seed=5)
        first = store.list(RACKS, page_size=3)
        store.create(RACKS, Rack("dc-b", "r-00a"))
        rest = store.list(RACKS, page_size=100, after=first.next_key)
        assert [RACKS.key(r) for r in rest.items] == keys[3:]

    def test_unknown_filter_field_is_invalid_argument(self, store: InventoryStore) -> None:
        """A filter on a field the kind does not offer is INVALID_ARGUMENT naming filter."""
        with pytest.raises(InvalidArgument) as info:
            store.list(NODES, filters={"cpu_milli": "1"})
        assert [v.field for v in info.value.violations] == ["filter"]


class TestListeners:
    def test_listeners_hear_of_changes_only_once_committed(
        self, store: InventoryStore, engine: Engine
    ) -> None:
        """Each listener call comes after the commit: another store on the same database already
        sees the created and updated object, and no longer sees the deleted one."""
        observer = InventoryStore(engine)
        heard: list[tuple[str, str, Any]] = []

        def listener(change: Change) -> None:
            key = REGIONS.key(change.obj)
            try:
                visible: Any = observer.get(REGIONS, key)
            except NotFound:
                visible = None
            heard.append((change.op, change.kind, visible))

        store.subscribe(listener)
        store.create(REGIONS, BEIJING)
        moved = store.update(REGIONS, ("beijing",), {"display_name": "Beijing"})
        store.delete(REGIONS, ("beijing",))
        assert heard == [
            ("create", REGIONS.name, BEIJING),
            ("update", REGIONS.name, moved),
            ("delete", REGIONS.name, None),
        ]

    def test_refused_and_validate_only_writes_tell_no_one(self, store: InventoryStore) -> None:
        """Invalid, duplicate and refused writes and a validate_only import make no calls."""
        store.import_document(base())
        heard: list[Change] = []
        store.subscribe(heard.append)
        with pytest.raises(InvalidArgument):
            store.create(REGIONS, dataclasses.replace(BEIJING, id="north", latitude=99.0))
        with pytest.raises(AlreadyExists):
            store.create(REGIONS, BEIJING)
        with pytest.raises(InvalidArgument):
            store.update(REGIONS, ("beijing",), {"hub": ""})
        with pytest.raises(FailedPrecondition):
            store.delete(DATA_CENTERS, ("bj-a",))
        store.import_document(
            InventoryDocument(data_centers=(data_center("bj-b"),)), validate_only=True
        )
        assert heard == []
        assert [dc.id for dc in snapshot(store)[DATA_CENTERS.name]] == ["bj-a"]

    def test_create_pool_tells_of_the_pool_then_each_node(self, store: InventoryStore) -> None:
        """A pool created with nodes is announced first, then each node in order."""
        store.import_document(base())
        heard: list[Change] = []
        store.subscribe(heard.append)
        pool = gpu_pool("bj-a", "big")
        store.create_pool(pool, node_count=3)
        assert [(c.op, c.kind) for c in heard] == [("create", POOLS.name)] + [
            ("create", NODES.name)
        ] * 3
        assert heard[0].obj == pool
        assert [c.obj.id for c in heard[1:]] == ["big-0000", "big-0001", "big-0002"]
        assert all(c.obj.state is NodeState.READY for c in heard[1:])
