"""Acceptance tests of InventoryService through a real in-process gRPC server, on SQLite and on
PostgreSQL: every RPC's happy path, output-only fields, pagination, and that bad input gets the
right code with AIP-193 details and leaves the inventory as it was."""

from __future__ import annotations

import base64
import copy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from computenet.v1 import inventory_pb2 as pb
from inventory.document import load_demo

__all__: list[str] = []

Stub = Any  # tests/inventory/conftest.py TimedStub: the generated stub has no type hints

# --------------------------------------------------------------------------- builders

# Dense FP16 tensor throughput and board power from the NVIDIA H100 SXM5 datasheet.
H100: dict[str, Any] = {
    "display_name": "NVIDIA H100 SXM5 80GB",
    "vendor": "NVIDIA",
    "memory_gib": 80.0,
    "fp16_tflops": 989.4,
    "board_power_w": 700.0,
    "source": "NVIDIA H100 Tensor Core GPU datasheet",
}
ASCEND: dict[str, Any] = {
    "display_name": "Huawei Ascend 910B",
    "vendor": "Huawei",
    "memory_gib": 64.0,
    "fp16_tflops": 320.0,
    "board_power_w": 400.0,
    "source": "estimate",
}
GPU_SHAPE: dict[str, Any] = {
    "accelerator_model": "acceleratorModels/h100",
    "accelerators_per_node": 8,
    "cpu_milli_per_node": 192_000,
    "memory_mib_per_node": 2 * 1024 * 1024,
}


def model(**kw: Any) -> pb.AcceleratorModel:
    """An H100 model message, with ``kw`` changed."""
    return pb.AcceleratorModel(**{**H100, **kw})


def region(**kw: Any) -> pb.Region:
    """The Beijing region message, with ``kw`` changed."""
    values: dict[str, Any] = {
        "display_name": "北京",
        "province": "Beijing",
        "latitude": 39.9,
        "longitude": 116.4,
        "hub": "京津冀",
        "hub_class": pb.HUB_CLASS_EASTERN,
    }
    return pb.Region(**{**values, **kw})


def data_center(**kw: Any) -> pb.DataCenter:
    """A Beijing data center message (figures: estimate), with ``kw`` changed."""
    values: dict[str, Any] = {
        "display_name": "亦庄智算中心",
        "region": "regions/beijing",
        "province": "Beijing",
        "latitude": 39.8,
        "longitude": 116.5,
        "grid_carbon_g_per_kwh": 580.0,
        "electricity_price_cny_per_kwh": 0.65,
        "design_pue": 1.3,
        "pue_target": 1.25,
        "commissioned_year": 2021,
        "state": pb.DataCenter.STATE_ACTIVE,
        "labels": {"operator": "China Mobile"},
        "source": "estimate",
    }
    return pb.DataCenter(**{**values, **kw})


def rack(**kw: Any) -> pb.Rack:
    """A 42 U rack message, with ``kw`` changed."""
    return pb.Rack(**{"room": "A", "u_height": 42, "power_capacity_kw": 40.0, **kw})


def pool(**kw: Any) -> pb.Pool:
    """An 8 x H100 pool message, with ``kw`` changed."""
    return pb.Pool(**{"display_name": "H100 training", **GPU_SHAPE, **kw})


def node(dc: str = "bj-yz", pool_id: str = "h100", **kw: Any) -> pb.Node:
    """A node message in ``dc``'s pool ``pool_id`` with the GPU shape, with ``kw`` changed."""
    return pb.Node(
        **{
            "pool": f"dataCenters/{dc}/pools/{pool_id}",
            "accelerator_model": "acceleratorModels/h100",
            "accelerator_count": 8,
            "cpu_milli": 192_000,
            "memory_mib": 2 * 1024 * 1024,
            **kw,
        }
    )


def link(**kw: Any) -> pb.Link:
    """A Beijing to bj-yz link message, with ``kw`` changed."""
    values: dict[str, Any] = {
        "region": "regions/beijing",
        "data_center": "dataCenters/bj-yz",
        "rtt_ms": 2.0,
        "source": "estimate",
    }
    return pb.Link(**{**values, **kw})


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def seed(stub: Stub) -> None:
    """A small network: 2 models, 2 regions, 2 data centers, 2 racks in bj-yz, a pool of 3 H100
    nodes spread over those racks in bj-yz, a pool of 2 Ascend nodes in hhht, 2 links."""
    stub.CreateAcceleratorModel(
        pb.CreateAcceleratorModelRequest(accelerator_model_id="h100", accelerator_model=model())
    )
    stub.CreateAcceleratorModel(
        pb.CreateAcceleratorModelRequest(
            accelerator_model_id="ascend-910b", accelerator_model=model(**ASCEND)
        )
    )
    stub.CreateRegion(pb.CreateRegionRequest(region_id="beijing", region=region()))
    hohhot = region(
        display_name="呼和浩特",
        province="Inner Mongolia",
        latitude=40.8,
        longitude=111.7,
        hub="内蒙古",
        hub_class=pb.HUB_CLASS_WESTERN,
    )
    stub.CreateRegion(pb.CreateRegionRequest(region_id="hohhot", region=hohhot))
    stub.CreateDataCenter(
        pb.CreateDataCenterRequest(data_center_id="bj-yz", data_center=data_center())
    )
    hhht = data_center(
        display_name="和林格尔数据中心",
        region="regions/hohhot",
        province="Inner Mongolia",
        latitude=40.4,
        longitude=111.8,
        grid_carbon_g_per_kwh=700.0,
        electricity_price_cny_per_kwh=0.35,
        design_pue=1.15,
        pue_target=1.2,
        labels={},
    )
    stub.CreateDataCenter(pb.CreateDataCenterRequest(data_center_id="hhht", data_center=hhht))
    for rack_id in ("r01", "r02"):
        stub.CreateRack(
            pb.CreateRackRequest(parent="dataCenters/bj-yz", rack_id=rack_id, rack=rack())
        )
    stub.CreatePool(
        pb.CreatePoolRequest(
            parent="dataCenters/bj-yz",
            pool_id="h100",
            pool=pool(),
            node_count=3,
            racks=["dataCenters/bj-yz/racks/r01", "dataCenters/bj-yz/racks/r02"],
        )
    )
    npu = pool(
        display_name="Ascend",
        accelerator_model="acceleratorModels/ascend-910b",
        cpu_milli_per_node=192_000,
    )
    stub.CreatePool(
        pb.CreatePoolRequest(parent="dataCenters/hhht", pool_id="ascend", pool=npu, node_count=2)
    )
    stub.CreateLink(pb.CreateLinkRequest(link_id="beijing-bj-yz", link=link()))
    stub.CreateLink(
        pb.CreateLinkRequest(
            link_id="beijing-hhht", link=link(data_center="dataCenters/hhht", rtt_ms=18.0)
        )
    )


@pytest.fixture
def stub(inventory_stub: Stub) -> Stub:
    """InventoryService on an empty database."""
    return inventory_stub


@pytest.fixture
def seeded(inventory_stub: Stub) -> Stub:
    """InventoryService over the network ``seed`` builds."""
    seed(inventory_stub)
    return inventory_stub


# --------------------------------------------------------------------------- error details


@dataclass(frozen=True)
class Failure:
    """What a refused call said."""

    code: grpc.StatusCode
    """The status code."""
    reason: str
    """The ErrorInfo reason."""
    fields: tuple[str, ...]
    """The BadRequest field violations' fields."""
    message: str
    """The status message."""


def refused(call: Callable[[Any], Any], request: Any) -> Failure:
    """Call and return how the call was refused; fail the test if it was accepted."""
    try:
        call(request)
    except grpc.RpcError as err:
        error: Any = err
    else:
        pytest.fail(f"{type(request).__name__} {request} was accepted")
    reason, domain, fields = "", "", []
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain = info.reason, info.domain
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
    # AIP-193: every deliberate refusal says why in an ErrorInfo of our domain; an accident
    # (INTERNAL) carries none, so this also catches those.
    assert reason, f"{error.code()}: {error.details()} has no ErrorInfo"
    assert domain == "computenet.v1"
    return Failure(error.code(), reason, tuple(fields), error.details() or "")


def outcome(call: Callable[[Any], Any], request: Any) -> tuple[grpc.StatusCode, str]:
    """The status code and message of a call, accepted or not."""
    try:
        call(request)
    except grpc.RpcError as err:
        return err.code(), err.details() or ""
    return grpc.StatusCode.OK, ""


def export(stub: Stub) -> bytes:
    """The whole inventory, to check that a refused call changed nothing."""
    content: bytes = stub.ExportInventory(pb.ExportInventoryRequest()).content
    return content


INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
ALREADY_EXISTS = grpc.StatusCode.ALREADY_EXISTS
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
INTERNAL_CODES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


def list_all(call: Callable[[Any], Any], request: Any, items: str) -> list[Any]:
    """Every item of a list, following next_page_token."""
    out: list[Any] = []
    while True:
        page = call(request)
        out += list(getattr(page, items))
        if not page.next_page_token:
            return out
        request.page_token = page.next_page_token


# --------------------------------------------------------------------------- resources


class TestAcceleratorModels:
    def test_create_then_get_returns_the_same_fields(self, stub: Stub) -> None:
        """A created model reads back with every field as sent and its name set."""
        created = stub.CreateAcceleratorModel(
            pb.CreateAcceleratorModelRequest(accelerator_model_id="h100", accelerator_model=model())
        ).accelerator_model
        assert created == model(name="acceleratorModels/h100")
        got = stub.GetAcceleratorModel(pb.GetAcceleratorModelRequest(name=created.name))
        assert got.accelerator_model == created

    def test_list_is_ordered_by_name_and_filters_by_vendor(self, seeded: Stub) -> None:
        """Models list in name order; a vendor filter keeps that vendor's and counts them."""
        seeded.CreateAcceleratorModel(
            pb.CreateAcceleratorModelRequest(
                accelerator_model_id="a100", accelerator_model=model(display_name="A100")
            )
        )
        every = seeded.ListAcceleratorModels(pb.ListAcceleratorModelsRequest())
        names = [m.name for m in every.accelerator_models]
        assert (
            names
            == sorted(names)
            == [f"acceleratorModels/{i}" for i in ("a100", "ascend-910b", "h100")]
        )
        nvidia = seeded.ListAcceleratorModels(
            pb.ListAcceleratorModelsRequest(filter='vendor = "NVIDIA"')
        )
        assert [m.name for m in nvidia.accelerator_models] == [
            "acceleratorModels/a100",
            "acceleratorModels/h100",
        ]
        assert (nvidia.total_size, nvidia.next_page_token) == (2, "")

    def test_update_changes_only_the_masked_fields(self, seeded: Stub) -> None:
        """Fields outside the mask keep their values even when the request carries others."""
        request = pb.UpdateAcceleratorModelRequest(
            accelerator_model=model(
                name="acceleratorModels/h100", display_name="H100 80GB", memory_gib=1.0
            ),
            update_mask=mask("display_name"),
        )
        updated = seeded.UpdateAcceleratorModel(request).accelerator_model
        assert updated == model(name="acceleratorModels/h100", display_name="H100 80GB")
        got = seeded.GetAcceleratorModel(pb.GetAcceleratorModelRequest(name=updated.name))
        assert got.accelerator_model == updated

    def test_delete_removes_an_unused_model(self, seeded: Stub) -> None:
        """A model no pool or node uses can be deleted; getting it then is NOT_FOUND."""
        seeded.CreateAcceleratorModel(
            pb.CreateAcceleratorModelRequest(accelerator_model_id="a100", accelerator_model=model())
        )
        seeded.DeleteAcceleratorModel(
            pb.DeleteAcceleratorModelRequest(name="acceleratorModels/a100")
        )
        failure = refused(
            seeded.GetAcceleratorModel, pb.GetAcceleratorModelRequest(name="acceleratorModels/a100")
        )
        assert (failure.code, failure.reason) == (NOT_FOUND, "NOT_FOUND")


class TestRegions:
    def test_create_then_get_returns_the_same_fields(self, stub: Stub) -> None:
        """A created region reads back with every field as sent, hub class included."""
        created = stub.CreateRegion(pb.CreateRegionRequest(region_id="beijing", region=region()))
        assert created.region == region(name="regions/beijing")
        got = stub.GetRegion(pb.GetRegionRequest(name="regions/beijing"))
        assert got.region == created.region

    def test_list_filters_by_province_and_hub_class(self, seeded: Stub) -> None:
        """Province and hub_class filters (enum by its API name) select the matching regions."""
        by_province = seeded.ListRegions(
            pb.ListRegionsRequest(filter='province = "Inner Mongolia"')
        )
        assert [r.name for r in by_province.regions] == ["regions/hohhot"]
        eastern = seeded.ListRegions(pb.ListRegionsRequest(filter="hub_class = HUB_CLASS_EASTERN"))
        assert [r.name for r in eastern.regions] == ["regions/beijing"]
        assert eastern.total_size == 1
        none = seeded.ListRegions(pb.ListRegionsRequest(filter='hub_class = "HUB_CLASS_NONE"'))
        assert (list(none.regions), none.total_size) == ([], 0)

    def test_update_changes_only_the_masked_fields(self, seeded: Stub) -> None:
        """Updating the display name leaves coordinates and hub as they were."""
        request = pb.UpdateRegionRequest(
            region=region(name="regions/beijing", display_name="Beijing", latitude=0.0, hub=""),
            update_mask=mask("display_name"),
        )
        updated = seeded.UpdateRegion(request).region
        assert updated == region(name="regions/beijing", display_name="Beijing")

    def test_delete_removes_an_unused_region(self, seeded: Stub) -> None:
        """A region no data center or link uses can be deleted and is gone from the list."""
        seeded.CreateRegion(
            pb.CreateRegionRequest(region_id="shanghai", region=region(province="Shanghai"))
        )
        seeded.DeleteRegion(pb.DeleteRegionRequest(name="regions/shanghai"))
        names = [r.name for r in seeded.ListRegions(pb.ListRegionsRequest()).regions]
        assert names == ["regions/beijing", "regions/hohhot"]


class TestDataCenters:
    def test_create_then_get_returns_the_same_fields(self, seeded: Stub) -> None:
        """A created data center reads back as sent; output-only fields sent in are ignored."""
        sent = data_center(
            display_name="二号楼", node_count=7, accelerator_count=9, fp16_pflops=3.0
        )
        created = seeded.CreateDataCenter(
            pb.CreateDataCenterRequest(data_center_id="bj-2", data_center=sent)
        ).data_center
        assert created == data_center(name="dataCenters/bj-2", display_name="二号楼")
        got = seeded.GetDataCenter(pb.GetDataCenterRequest(name="dataCenters/bj-2"))
        assert got.data_center == created

    def test_output_only_totals_count_nodes_accelerators_and_pflops(self, seeded: Stub) -> None:
        """node_count, accelerator_count and fp16_pflops sum the data center's nodes, in Get and
        List, and follow a node added later (a CPU-only node adds no accelerators)."""
        want = {
            "dataCenters/bj-yz": (3, 3 * 8, 3 * 8 * H100["fp16_tflops"] / 1000),
            "dataCenters/hhht": (2, 2 * 8, 2 * 8 * ASCEND["fp16_tflops"] / 1000),
        }
        listed = seeded.ListDataCenters(pb.ListDataCentersRequest()).data_centers
        for dc in listed:
            got = seeded.GetDataCenter(pb.GetDataCenterRequest(name=dc.name)).data_center
            assert got == dc
            count, accelerators, pflops = want[dc.name]
            assert (dc.node_count, dc.accelerator_count) == (count, accelerators)
            assert math.isclose(dc.fp16_pflops, pflops, rel_tol=1e-9)
        cpu = pool(accelerator_model="", accelerators_per_node=0, display_name="CPU")
        seeded.CreatePool(
            pb.CreatePoolRequest(parent="dataCenters/hhht", pool_id="cpu", pool=cpu, node_count=1)
        )
        hhht = seeded.GetDataCenter(pb.GetDataCenterRequest(name="dataCenters/hhht")).data_center
        assert (hhht.node_count, hhht.accelerator_count) == (3, 16)
        assert math.isclose(hhht.fp16_pflops, want["dataCenters/hhht"][2], rel_tol=1e-9)

    def test_list_filters_by_province_region_and_state(self, seeded: Stub) -> None:
        """Province, region (by name or id) and state filters select the matching data centers."""

        def names(flt: str) -> list[str]:
            reply = seeded.ListDataCenters(pb.ListDataCentersRequest(filter=flt))
            assert reply.total_size == len(reply.data_centers)
            return [dc.name for dc in reply.data_centers]

        assert names('province = "Beijing"') == ["dataCenters/bj-yz"]
        assert names('region = "regions/hohhot"') == ["dataCenters/hhht"]
        assert names("region = hohhot") == ["dataCenters/hhht"]
        assert names('region = "regions/hohhot" AND province = "Beijing"') == []
        seeded.UpdateDataCenter(
            pb.UpdateDataCenterRequest(
                data_center=pb.DataCenter(
                    name="dataCenters/hhht", state=pb.DataCenter.STATE_MAINTENANCE
                ),
                update_mask=mask("state"),
            )
        )
        assert names("state = STATE_MAINTENANCE") == ["dataCenters/hhht"]
        assert names('state = "STATE_ACTIVE"') == ["dataCenters/bj-yz"]

    def test_update_changes_only_the_masked_fields(self, seeded: Stub) -> None:
        """Labels and display name change; the PUE sent alongside outside the mask does not."""
        before = seeded.GetDataCenter(pb.GetDataCenterRequest(name="dataCenters/bj-yz")).data_center
        request = pb.UpdateDataCenterRequest(
            data_center=pb.DataCenter(
                name="dataCenters/bj-yz",
                display_name="亦庄",
                labels={"tier": "3"},
                design_pue=2.0,
            ),
            update_mask=mask("display_name", "labels"),
        )
        updated = seeded.UpdateDataCenter(request).data_center
        want = copy.deepcopy(before)
        want.display_name = "亦庄"
        want.labels.clear()
        want.labels["tier"] = "3"
        assert updated == want
        assert seeded.GetDataCenter(pb.GetDataCenterRequest(name=want.name)).data_center == want

    def test_delete_of_an_empty_data_center_takes_its_links(self, seeded: Stub) -> None:
        """Once its nodes and pool are gone a data center deletes with its links; its region
        stays."""
        for i in range(2):
            seeded.DeleteNode(pb.DeleteNodeRequest(name=f"dataCenters/hhht/nodes/ascend-{i:04d}"))
        seeded.DeletePool(pb.DeletePoolRequest(name="dataCenters/hhht/pools/ascend"))
        seeded.DeleteDataCenter(pb.DeleteDataCenterRequest(name="dataCenters/hhht"))
        gone = refused(seeded.GetDataCenter, pb.GetDataCenterRequest(name="dataCenters/hhht"))
        assert gone.code == NOT_FOUND
        links = seeded.ListLinks(pb.ListLinksRequest()).links
        assert [x.name for x in links] == ["links/beijing-bj-yz"]
        assert seeded.GetRegion(pb.GetRegionRequest(name="regions/hohhot")).region.name

    def test_delete_of_a_data_center_with_racks_pools_or_nodes_is_refused(
        self, seeded: Stub
    ) -> None:
        """A data center holding nodes, or only a pool, or only a rack is FAILED_PRECONDITION
        with reason DATA_CENTER_NOT_EMPTY, and nothing is deleted."""
        seeded.CreateDataCenter(
            pb.CreateDataCenterRequest(data_center_id="only-rack", data_center=data_center())
        )
        seeded.CreateRack(
            pb.CreateRackRequest(parent="dataCenters/only-rack", rack_id="r", rack=rack())
        )
        seeded.CreateDataCenter(
            pb.CreateDataCenterRequest(data_center_id="only-pool", data_center=data_center())
        )
        seeded.CreatePool(
            pb.CreatePoolRequest(parent="dataCenters/only-pool", pool_id="p", pool=pool())
        )
        before = export(seeded)
        for dc in ("bj-yz", "only-rack", "only-pool"):
            failure = refused(
                seeded.DeleteDataCenter, pb.DeleteDataCenterRequest(name=f"dataCenters/{dc}")
            )
            assert (failure.code, failure.reason) == (
                FAILED_PRECONDITION,
                "DATA_CENTER_NOT_EMPTY",
            ), dc
        assert export(seeded) == before


class TestRacks:
    def test_create_get_and_list_across_data_centers(self, seeded: Stub) -> None:
        """A created rack reads back as sent; racks list per data center, across all with
        dataCenters/-, and by room."""
        created = seeded.CreateRack(
            pb.CreateRackRequest(parent="dataCenters/hhht", rack_id="h01", rack=rack(room="B"))
        ).rack
        assert created == rack(name="dataCenters/hhht/racks/h01", room="B")
        assert seeded.GetRack(pb.GetRackRequest(name=created.name)).rack == created

        def names(parent: str, flt: str = "") -> list[str]:
            reply = seeded.ListRacks(pb.ListRacksRequest(parent=parent, filter=flt))
            assert reply.total_size == len(reply.racks)
            return [r.name for r in reply.racks]

        assert names("dataCenters/bj-yz") == [
            "dataCenters/bj-yz/racks/r01",
            "dataCenters/bj-yz/racks/r02",
        ]
        assert names("dataCenters/-") == [
            "dataCenters/bj-yz/racks/r01",
            "dataCenters/bj-yz/racks/r02",
            "dataCenters/hhht/racks/h01",
        ]
        assert names("dataCenters/-", 'room = "B"') == ["dataCenters/hhht/racks/h01"]

    def test_update_with_star_mask_sets_every_updatable_field(self, seeded: Stub) -> None:
        """The "*" mask replaces room, height, power and cooling together."""
        new = rack(
            name="dataCenters/bj-yz/racks/r01",
            room="C",
            u_height=48,
            power_capacity_kw=60.0,
            cooling_kw=55.0,
        )
        updated = seeded.UpdateRack(pb.UpdateRackRequest(rack=new, update_mask=mask("*"))).rack
        assert updated == new
        assert seeded.GetRack(pb.GetRackRequest(name=new.name)).rack == new

    def test_delete_of_an_empty_rack_and_refusal_of_a_used_one(self, seeded: Stub) -> None:
        """A rack holding nodes is FAILED_PRECONDITION (IN_USE); an empty rack deletes."""
        failure = refused(
            seeded.DeleteRack, pb.DeleteRackRequest(name="dataCenters/bj-yz/racks/r01")
        )
        assert (failure.code, failure.reason) == (FAILED_PRECONDITION, "IN_USE")
        seeded.CreateRack(
            pb.CreateRackRequest(parent="dataCenters/bj-yz", rack_id="r03", rack=rack())
        )
        seeded.DeleteRack(pb.DeleteRackRequest(name="dataCenters/bj-yz/racks/r03"))
        racks = seeded.ListRacks(pb.ListRacksRequest(parent="dataCenters/bj-yz")).racks
        assert [r.name for r in racks] == [
            "dataCenters/bj-yz/racks/r01",
            "dataCenters/bj-yz/racks/r02",
        ]


class TestPools:
    def test_create_pool_creates_its_nodes_spread_over_the_racks(self, seeded: Stub) -> None:
        """CreatePool with node_count makes that many nodes named <pool>-NNNN with the pool's
        shape, placed over the given racks in order; the pool reports its node_count."""
        reply = seeded.CreatePool(
            pb.CreatePoolRequest(
                parent="dataCenters/bj-yz",
                pool_id="infer",
                pool=pool(display_name="inference"),
                node_count=5,
                racks=["dataCenters/bj-yz/racks/r02", "dataCenters/bj-yz/racks/r01"],
            )
        )
        assert reply.pool == pool(
            name="dataCenters/bj-yz/pools/infer", display_name="inference", node_count=5
        )
        nodes = seeded.ListNodes(
            pb.ListNodesRequest(
                parent="dataCenters/bj-yz", filter='pool = "dataCenters/bj-yz/pools/infer"'
            )
        ).nodes
        assert [n.name for n in nodes] == [
            f"dataCenters/bj-yz/nodes/infer-{i:04d}" for i in range(5)
        ]
        racks = [n.rack.rsplit("/", 1)[-1] for n in nodes]
        assert racks == ["r02", "r01", "r02", "r01", "r02"]
        for n in nodes:
            assert (n.accelerator_model, n.accelerator_count, n.cpu_milli, n.memory_mib) == (
                "acceleratorModels/h100",
                8,
                192_000,
                2 * 1024 * 1024,
            )
            assert n.state == pb.Node.STATE_READY
        got = seeded.GetPool(pb.GetPoolRequest(name="dataCenters/bj-yz/pools/infer")).pool
        assert got == reply.pool

    def test_list_pools_across_data_centers_and_by_model(self, seeded: Stub) -> None:
        """dataCenters/- lists every pool with its node_count; a model filter keeps that model's."""
        every = seeded.ListPools(pb.ListPoolsRequest(parent="dataCenters/-")).pools
        assert [(p.name, p.node_count) for p in every] == [
            ("dataCenters/bj-yz/pools/h100", 3),
            ("dataCenters/hhht/pools/ascend", 2),
        ]
        npu = seeded.ListPools(
            pb.ListPoolsRequest(
                parent="dataCenters/-", filter='accelerator_model = "acceleratorModels/ascend-910b"'
            )
        )
        assert ([p.name for p in npu.pools], npu.total_size) == (
            ["dataCenters/hhht/pools/ascend"],
            1,
        )

    def test_update_changes_the_display_name_and_refuses_the_shape(self, seeded: Stub) -> None:
        """Only the display name of a pool may change; a mask naming its shape is
        INVALID_UPDATE_MASK and leaves the pool as it was."""
        name = "dataCenters/bj-yz/pools/h100"
        updated = seeded.UpdatePool(
            pb.UpdatePoolRequest(
                pool=pool(name=name, display_name="H100 #1"), update_mask=mask("display_name")
            )
        ).pool
        assert updated == pool(name=name, display_name="H100 #1", node_count=3)
        failure = refused(
            seeded.UpdatePool,
            pb.UpdatePoolRequest(
                pool=pool(name=name, accelerators_per_node=4),
                update_mask=mask("accelerators_per_node"),
            ),
        )
        assert (failure.code, failure.reason, failure.fields) == (
            INVALID,
            "INVALID_UPDATE_MASK",
            ("update_mask",),
        )
        assert seeded.GetPool(pb.GetPoolRequest(name=name)).pool == updated

    def test_delete_of_an_empty_pool_and_refusal_of_a_used_one(self, seeded: Stub) -> None:
        """A pool with nodes is FAILED_PRECONDITION (IN_USE); once its nodes go, it deletes."""
        name = "dataCenters/hhht/pools/ascend"
        failure = refused(seeded.DeletePool, pb.DeletePoolRequest(name=name))
        assert (failure.code, failure.reason) == (FAILED_PRECONDITION, "IN_USE")
        for i in range(2):
            seeded.DeleteNode(pb.DeleteNodeRequest(name=f"dataCenters/hhht/nodes/ascend-{i:04d}"))
        seeded.DeletePool(pb.DeletePoolRequest(name=name))
        assert refused(seeded.GetPool, pb.GetPoolRequest(name=name)).code == NOT_FOUND


class TestNodes:
    def test_create_then_get_returns_the_same_fields(self, seeded: Stub) -> None:
        """A node created in a pool, with a rack and position, reads back as sent."""
        sent = node(
            rack="dataCenters/bj-yz/racks/r02", rack_position_u=9, state=pb.Node.STATE_CORDONED
        )
        created = seeded.CreateNode(
            pb.CreateNodeRequest(parent="dataCenters/bj-yz", node_id="spare", node=sent)
        ).node
        sent.name = "dataCenters/bj-yz/nodes/spare"
        assert created == sent
        assert seeded.GetNode(pb.GetNodeRequest(name=sent.name)).node == sent
        got_pool = seeded.GetPool(pb.GetPoolRequest(name="dataCenters/bj-yz/pools/h100")).pool
        assert got_pool.node_count == 4

    def test_list_filters_by_pool_rack_and_state_across_data_centers(self, seeded: Stub) -> None:
        """Node filters by pool, rack and state (API enum names) work per data center and for
        dataCenters/-."""
        seeded.UpdateNode(
            pb.UpdateNodeRequest(
                node=pb.Node(
                    name="dataCenters/hhht/nodes/ascend-0001", state=pb.Node.STATE_CORDONED
                ),
                update_mask=mask("state"),
            )
        )

        def names(parent: str, flt: str = "") -> list[str]:
            reply = seeded.ListNodes(pb.ListNodesRequest(parent=parent, filter=flt))
            assert reply.total_size == len(reply.nodes)
            return [n.name.split("/", 1)[1] for n in reply.nodes]

        assert names("dataCenters/-") == [
            "bj-yz/nodes/h100-0000",
            "bj-yz/nodes/h100-0001",
            "bj-yz/nodes/h100-0002",
            "hhht/nodes/ascend-0000",
            "hhht/nodes/ascend-0001",
        ]
        assert names("dataCenters/hhht") == ["hhht/nodes/ascend-0000", "hhht/nodes/ascend-0001"]
        assert names("dataCenters/-", 'pool = "dataCenters/hhht/pools/ascend"') == [
            "hhht/nodes/ascend-0000",
            "hhht/nodes/ascend-0001",
        ]
        assert names("dataCenters/-", "state = STATE_CORDONED") == ["hhht/nodes/ascend-0001"]
        assert len(names("dataCenters/-", 'state = "STATE_READY"')) == 4
        assert names("dataCenters/bj-yz", 'rack = "dataCenters/bj-yz/racks/r02"') == [
            "bj-yz/nodes/h100-0001"
        ]
        assert names(
            "dataCenters/-", 'accelerator_model = "acceleratorModels/h100" AND state = STATE_READY'
        ) == [
            "bj-yz/nodes/h100-0000",
            "bj-yz/nodes/h100-0001",
            "bj-yz/nodes/h100-0002",
        ]

    def test_update_moves_a_node_and_keeps_unmasked_fields(self, seeded: Stub) -> None:
        """Moving a node to another rack leaves its position and state as they were; the shape
        cannot be updated (INVALID_UPDATE_MASK)."""
        name = "dataCenters/bj-yz/nodes/h100-0000"
        before = seeded.GetNode(pb.GetNodeRequest(name=name)).node
        moved = seeded.UpdateNode(
            pb.UpdateNodeRequest(
                node=pb.Node(
                    name=name,
                    rack="dataCenters/bj-yz/racks/r02",
                    rack_position_u=30,
                    state=pb.Node.STATE_CORDONED,
                ),
                update_mask=mask("rack"),
            )
        ).node
        want = copy.deepcopy(before)
        want.rack = "dataCenters/bj-yz/racks/r02"
        assert moved == want
        for path in ("pool", "accelerator_count", "name"):
            failure = refused(
                seeded.UpdateNode,
                pb.UpdateNodeRequest(
                    node=node(name=name, accelerator_count=4), update_mask=mask(path)
                ),
            )
            assert (failure.code, failure.reason) == (INVALID, "INVALID_UPDATE_MASK"), path
        assert seeded.GetNode(pb.GetNodeRequest(name=name)).node == want

    def test_delete_removes_the_node_from_its_totals(self, seeded: Stub) -> None:
        """A deleted node is gone and its data center and pool count one node fewer."""
        seeded.DeleteNode(pb.DeleteNodeRequest(name="dataCenters/bj-yz/nodes/h100-0002"))
        assert refused(
            seeded.GetNode, pb.GetNodeRequest(name="dataCenters/bj-yz/nodes/h100-0002")
        ).code == (NOT_FOUND)
        dc = seeded.GetDataCenter(pb.GetDataCenterRequest(name="dataCenters/bj-yz")).data_center
        assert (dc.node_count, dc.accelerator_count) == (2, 16)
        assert (
            seeded.GetPool(pb.GetPoolRequest(name="dataCenters/bj-yz/pools/h100")).pool.node_count
            == 2
        )


class TestLinks:
    def test_create_then_get_returns_the_same_fields(self, seeded: Stub) -> None:
        """A created link reads back as sent."""
        sent = link(region="regions/hohhot", data_center="dataCenters/hhht", rtt_ms=1.5)
        created = seeded.CreateLink(pb.CreateLinkRequest(link_id="hohhot-hhht", link=sent)).link
        sent.name = "links/hohhot-hhht"
        assert created == sent
        assert seeded.GetLink(pb.GetLinkRequest(name=sent.name)).link == sent

    def test_list_filters_by_region_and_data_center(self, seeded: Stub) -> None:
        """Links filter by region and by data center, given as names."""

        def names(flt: str) -> list[str]:
            return [x.name for x in seeded.ListLinks(pb.ListLinksRequest(filter=flt)).links]

        assert names('region = "regions/beijing"') == ["links/beijing-bj-yz", "links/beijing-hhht"]
        assert names('data_center = "dataCenters/hhht"') == ["links/beijing-hhht"]
        assert names('region = "regions/hohhot"') == []

    def test_update_and_delete(self, seeded: Stub) -> None:
        """The masked rtt changes (source kept); a deleted link is NOT_FOUND afterwards."""
        name = "links/beijing-hhht"
        updated = seeded.UpdateLink(
            pb.UpdateLinkRequest(
                link=pb.Link(name=name, rtt_ms=21.5, source=""), update_mask=mask("rtt_ms")
            )
        ).link
        assert (updated.rtt_ms, updated.source, updated.data_center) == (
            21.5,
            "estimate",
            "dataCenters/hhht",
        )
        seeded.DeleteLink(pb.DeleteLinkRequest(name=name))
        assert refused(seeded.GetLink, pb.GetLinkRequest(name=name)).code == NOT_FOUND


# --------------------------------------------------------------------------- lists


def _big_pool(stub: Stub, nodes: int) -> None:
    """One data center with a pool of ``nodes`` nodes and a second, one-node pool."""
    stub.CreateAcceleratorModel(
        pb.CreateAcceleratorModelRequest(accelerator_model_id="h100", accelerator_model=model())
    )
    stub.CreateRegion(pb.CreateRegionRequest(region_id="beijing", region=region()))
    stub.CreateDataCenter(
        pb.CreateDataCenterRequest(data_center_id="bj-yz", data_center=data_center())
    )
    stub.CreatePool(
        pb.CreatePoolRequest(
            parent="dataCenters/bj-yz", pool_id="big", pool=pool(), node_count=nodes
        )
    )
    stub.CreatePool(
        pb.CreatePoolRequest(parent="dataCenters/bj-yz", pool_id="small", pool=pool(), node_count=1)
    )


class TestPagination:
    def test_page_size_defaults_to_50_and_is_capped_at_1000(self, stub: Stub) -> None:
        """page_size 0 gives 50 items, a page_size above 1000 gives 1000; both say more follow."""
        _big_pool(stub, 1004)
        default = stub.ListNodes(pb.ListNodesRequest(parent="dataCenters/-"))
        assert (len(default.nodes), default.total_size) == (50, 1005)
        assert default.next_page_token
        capped = stub.ListNodes(pb.ListNodesRequest(parent="dataCenters/-", page_size=5000))
        assert (len(capped.nodes), capped.total_size) == (1000, 1005)
        assert capped.next_page_token
        rest = stub.ListNodes(
            pb.ListNodesRequest(
                parent="dataCenters/-", page_size=5000, page_token=capped.next_page_token
            )
        )
        assert (len(rest.nodes), rest.next_page_token) == (5, "")

    def test_pages_walk_every_match_once_in_name_order(self, stub: Stub) -> None:
        """Following next_page_token until it is empty yields every match once, in name order,
        with the same total_size on every page, with and without a filter."""
        _big_pool(stub, 23)
        every = [f"dataCenters/bj-yz/nodes/big-{i:04d}" for i in range(23)] + [
            "dataCenters/bj-yz/nodes/small-0000"
        ]
        for flt, want in (("", every), ('pool = "dataCenters/bj-yz/pools/big"', every[:-1])):
            request = pb.ListNodesRequest(parent="dataCenters/bj-yz", page_size=5, filter=flt)
            seen: list[str] = []
            pages = 0
            while True:
                page = stub.ListNodes(request)
                pages += 1
                assert page.total_size == len(want)
                assert len(page.nodes) <= 5
                seen += [n.name for n in page.nodes]
                if not page.next_page_token:
                    break
                request.page_token = page.next_page_token
            assert seen == want
            assert pages == math.ceil(len(want) / 5)

    def test_bad_page_tokens_are_invalid_page_token(self, seeded: Stub) -> None:
        """Garbage, truncated or edited tokens and tokens of another filter, parent or
        collection are INVALID_ARGUMENT with reason INVALID_PAGE_TOKEN; the token still works
        with its own query."""
        first = seeded.ListNodes(pb.ListNodesRequest(parent="dataCenters/-", page_size=2))
        token = first.next_page_token
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        raw["k"] = ["bj-yz", "h100-0001", "extra"]
        edited = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
        region_token = seeded.ListRegions(pb.ListRegionsRequest(page_size=1)).next_page_token
        cases = {
            "garbage": pb.ListNodesRequest(parent="dataCenters/-", page_token="not-a-token"),
            "truncated": pb.ListNodesRequest(parent="dataCenters/-", page_token=token[:-4]),
            "edited key": pb.ListNodesRequest(parent="dataCenters/-", page_token=edited),
            "other filter": pb.ListNodesRequest(
                parent="dataCenters/-", page_token=token, filter="state = STATE_READY"
            ),
            "other parent": pb.ListNodesRequest(parent="dataCenters/bj-yz", page_token=token),
            "other collection": pb.ListNodesRequest(
                parent="dataCenters/-", page_token=region_token
            ),
        }
        for label, request in cases.items():
            failure = refused(seeded.ListNodes, request)
            assert (failure.code, failure.reason, failure.fields) == (
                INVALID,
                "INVALID_PAGE_TOKEN",
                ("page_token",),
            ), label
        second = seeded.ListNodes(
            pb.ListNodesRequest(parent="dataCenters/-", page_size=2, page_token=token)
        )
        assert [n.name for n in second.nodes] == [
            "dataCenters/bj-yz/nodes/h100-0002",
            "dataCenters/hhht/nodes/ascend-0000",
        ]

    def test_negative_page_size_is_invalid_argument(self, seeded: Stub) -> None:
        """A negative page_size is INVALID_ARGUMENT naming page_size."""
        failure = refused(seeded.ListRegions, pb.ListRegionsRequest(page_size=-1))
        assert (failure.code, failure.fields) == (INVALID, ("page_size",))


# --------------------------------------------------------------------------- bad input

_LONG_ID = "a" * 64
Call = tuple[str, Any]
"""A method name and its request."""


def new_model(model_id: str = "h200", **kw: Any) -> Call:
    request = pb.CreateAcceleratorModelRequest(
        accelerator_model_id=model_id, accelerator_model=model(**kw)
    )
    return "CreateAcceleratorModel", request


def new_region(region_id: str = "north", **kw: Any) -> Call:
    return "CreateRegion", pb.CreateRegionRequest(region_id=region_id, region=region(**kw))


def new_dc(dc_id: str = "dc", **kw: Any) -> Call:
    request = pb.CreateDataCenterRequest(data_center_id=dc_id, data_center=data_center(**kw))
    return "CreateDataCenter", request


def new_rack(parent: str = "dataCenters/bj-yz", rack_id: str = "r9", **kw: Any) -> Call:
    return "CreateRack", pb.CreateRackRequest(parent=parent, rack_id=rack_id, rack=rack(**kw))


def new_pool(
    parent: str = "dataCenters/bj-yz",
    pool_id: str = "p",
    node_count: int = 0,
    racks: tuple[str, ...] = (),
    **kw: Any,
) -> Call:
    request = pb.CreatePoolRequest(
        parent=parent, pool_id=pool_id, pool=pool(**kw), node_count=node_count, racks=racks
    )
    return "CreatePool", request


def new_node(parent: str = "dataCenters/bj-yz", node_id: str = "n", **kw: Any) -> Call:
    return "CreateNode", pb.CreateNodeRequest(parent=parent, node_id=node_id, node=node(**kw))


def new_link(link_id: str = "l", **kw: Any) -> Call:
    return "CreateLink", pb.CreateLinkRequest(link_id=link_id, link=link(**kw))


def update(kind: str, message: Any, *paths: str) -> Call:
    """Update<kind> of ``message`` with a mask of ``paths``."""
    field = "".join(f"_{c.lower()}" if c.isupper() else c for c in kind).lstrip("_")
    request = getattr(pb, f"Update{kind}Request")(**{field: message}, update_mask=mask(*paths))
    return f"Update{kind}", request


_R01 = "dataCenters/bj-yz/racks/r01"
_R09 = "dataCenters/bj-yz/racks/r09"
_H0 = "dataCenters/bj-yz/nodes/h100-0000"
# The bad writes run with a node "placed" at this unit of rack r01.
_PLACED_U = 10
_UNKNOWN_ENUM: Any = 7

# (field the violation must name, the call); every call is INVALID_ARGUMENT.
_BAD_WRITES: list[tuple[str, Call]] = [
    ("accelerator_model_id", new_model("")),
    ("accelerator_model_id", new_model("H200")),
    ("accelerator_model_id", new_model(_LONG_ID)),
    ("accelerator_model_id", new_model("h200-")),
    ("accelerator_model_id", new_model("h200\n")),
    ("accelerator_model.memory_gib", new_model(memory_gib=-80.0)),
    ("accelerator_model.fp16_tflops", new_model(fp16_tflops=0.0)),
    ("accelerator_model.board_power_w", new_model(board_power_w=math.nan)),
    ("accelerator_model.display_name", new_model(display_name="H\x00200")),
    ("region_id", new_region("North")),
    ("region.latitude", new_region(latitude=91.0)),
    ("region.longitude", new_region(longitude=-181.0)),
    ("region.province", new_region(province=" ")),
    ("region.hub", new_region(hub="")),
    ("region.hub_class", new_region(hub_class=99)),
    ("data_center_id", new_dc("")),
    ("data_center.design_pue", new_dc(design_pue=0.9)),
    ("data_center.pue_target", new_dc(pue_target=0.5)),
    ("data_center.grid_carbon_g_per_kwh", new_dc(grid_carbon_g_per_kwh=-1.0)),
    ("data_center.electricity_price_cny_per_kwh", new_dc(electricity_price_cny_per_kwh=-0.1)),
    ("data_center.latitude", new_dc(latitude=-90.5)),
    ("data_center.commissioned_year", new_dc(commissioned_year=1800)),
    ("data_center.state", new_dc(state=9)),
    ("data_center.region", new_dc(region="regions/shanghai")),
    ("data_center.region", new_dc(region="beijing")),
    ("data_center.labels", new_dc(labels={"operator": "a\x00"})),
    ("rack_id", new_rack(rack_id="")),
    ("rack.u_height", new_rack(u_height=0)),
    ("rack.power_capacity_kw", new_rack(power_capacity_kw=-1.0)),
    ("rack.cooling_kw", new_rack(cooling_kw=-5.0)),
    ("parent", new_rack("dataCenters/nowhere")),
    ("parent", new_rack("bj-yz")),
    ("parent", new_rack("dataCenters/-")),
    ("pool_id", new_pool(pool_id="Pool")),
    ("pool_id", new_pool(pool_id="p" * 60, node_count=2)),
    ("pool.accelerators_per_node", new_pool(accelerators_per_node=-8)),
    ("pool.accelerators_per_node", new_pool(accelerators_per_node=0)),
    ("pool.cpu_milli_per_node", new_pool(cpu_milli_per_node=0)),
    ("pool.memory_mib_per_node", new_pool(memory_mib_per_node=-1)),
    ("pool.accelerator_model", new_pool(accelerator_model="acceleratorModels/a100")),
    ("pool.accelerator_model", new_pool(accelerator_model="")),
    ("parent", new_pool("dataCenters/nowhere")),
    ("node_count", new_pool(node_count=-1)),
    ("racks[0]", new_pool(node_count=2, racks=(_R09,))),
    ("racks[0]", new_pool("dataCenters/hhht", node_count=2, racks=(_R01,))),
    ("node.pool", new_node(accelerator_count=4)),
    ("node.pool", new_node(dc="hhht", pool_id="ascend")),
    ("node.pool", new_node(pool_id="nope")),
    ("node.pool", new_node(pool="")),
    ("node.rack", new_node(rack=_R09)),
    ("node.rack", new_node(rack="dataCenters/hhht/racks/r01")),
    ("node.cpu_milli", new_node(cpu_milli=-1)),
    ("node.accelerator_count", new_node(accelerator_count=-8)),
    ("node.rack_position_u", new_node(rack=_R01, rack_position_u=50)),
    ("node_id", new_node(node_id="N1")),
    ("node.rack_position_u", new_node(rack=_R01, rack_position_u=_PLACED_U)),
    ("link.rtt_ms", new_link(rtt_ms=-1.0)),
    ("link.rtt_ms", new_link(rtt_ms=0.0)),
    ("link.region", new_link(region="regions/shanghai")),
    ("link.data_center", new_link(data_center="dataCenters/sh-1")),
    ("link_id", new_link("")),
    ("request_id", ("CreateRegion", pb.CreateRegionRequest(region_id="x", request_id="r" * 201))),
    (
        "data_center.design_pue",
        update("DataCenter", data_center(name="dataCenters/bj-yz", design_pue=0.8), "design_pue"),
    ),
    (
        "region.latitude",
        update("Region", region(name="regions/beijing", latitude=-95.0), "latitude"),
    ),
    ("region.hub", update("Region", region(name="regions/beijing", hub=""), "hub")),
    ("region.name", update("Region", region(), "display_name")),
    (
        "node.rack",
        update("Node", pb.Node(name=_H0, rack=_R09), "rack"),
    ),
    (
        "node.rack",
        update("Node", pb.Node(name="dataCenters/hhht/nodes/ascend-0000", rack=_R01), "rack"),
    ),
    (
        "node.rack_position_u",
        update(
            "Node",
            pb.Node(name=_H0, rack_position_u=61),
            "rack_position_u",
        ),
    ),
    (
        "node.state",
        update("Node", pb.Node(name=_H0, state=_UNKNOWN_ENUM), "state"),
    ),
    ("link.rtt_ms", update("Link", pb.Link(name="links/beijing-hhht", rtt_ms=-3.0), "rtt_ms")),
    ("rack.u_height", update("Rack", rack(name=_R01, u_height=61), "u_height")),
    (
        "accelerator_model.memory_gib",
        update(
            "AcceleratorModel", model(name="acceleratorModels/h100", memory_gib=0.0), "memory_gib"
        ),
    ),
    (
        "node.rack_position_u",
        update("Node", pb.Node(name=_H0, rack=_R01, rack_position_u=_PLACED_U), "rack_position_u"),
    ),
    ("rack.u_height", update("Rack", rack(name=_R01, u_height=_PLACED_U - 1), "u_height")),
]


class TestInvalidInput:
    def test_bad_writes_name_the_field_and_change_nothing(self, seeded: Stub) -> None:
        """Every bad create or update is INVALID_ARGUMENT with a field violation naming the
        request field, and the inventory is unchanged afterwards."""
        method, request = new_node(node_id="placed", rack=_R01, rack_position_u=_PLACED_U)
        getattr(seeded, method)(request)
        before = export(seeded)
        for field, (method, request) in _BAD_WRITES:
            failure = refused(getattr(seeded, method), request)
            assert (failure.code, failure.reason) == (INVALID, "INVALID_ARGUMENT"), request
            assert field in failure.fields, f"{method} {request}: {failure.fields}"
        assert export(seeded) == before

    def test_duplicate_ids_are_already_exists_and_change_nothing(self, seeded: Stub) -> None:
        """Creating any kind under an id in use is ALREADY_EXISTS, also when only a node the new
        pool would generate clashes (then the pool is not created either)."""
        method, request = new_node(node_id="x-0001")
        getattr(seeded, method)(request)
        before = export(seeded)
        calls = [
            new_model("h100"),
            new_region("beijing"),
            new_dc("bj-yz"),
            new_rack(rack_id="r01"),
            new_pool(pool_id="h100"),
            new_pool(pool_id="x", node_count=3),
            new_node(node_id="h100-0000"),
            new_link("beijing-hhht"),
        ]
        for method, request in calls:
            failure = refused(getattr(seeded, method), request)
            assert (failure.code, failure.reason) == (ALREADY_EXISTS, "ALREADY_EXISTS"), request
        assert export(seeded) == before
        assert refused(
            seeded.GetPool, pb.GetPoolRequest(name="dataCenters/bj-yz/pools/x")
        ).code == (NOT_FOUND)

    def test_unknown_resources_are_not_found(self, seeded: Stub) -> None:
        """Get, Update and Delete of a well-formed name nothing has are NOT_FOUND."""
        calls: list[Call] = [
            ("GetAcceleratorModel", pb.GetAcceleratorModelRequest(name="acceleratorModels/a100")),
            (
                "DeleteAcceleratorModel",
                pb.DeleteAcceleratorModelRequest(name="acceleratorModels/a"),
            ),
            ("GetRegion", pb.GetRegionRequest(name="regions/shanghai")),
            update("Region", region(name="regions/shanghai"), "display_name"),
            ("GetDataCenter", pb.GetDataCenterRequest(name="dataCenters/sh-1")),
            ("DeleteDataCenter", pb.DeleteDataCenterRequest(name="dataCenters/sh-1")),
            ("GetRack", pb.GetRackRequest(name="dataCenters/hhht/racks/r01")),
            update("Rack", rack(name=_R09), "room"),
            ("GetPool", pb.GetPoolRequest(name="dataCenters/hhht/pools/h100")),
            ("DeletePool", pb.DeletePoolRequest(name="dataCenters/bj-yz/pools/nope")),
            ("GetNode", pb.GetNodeRequest(name="dataCenters/hhht/nodes/h100-0000")),
            ("DeleteNode", pb.DeleteNodeRequest(name="dataCenters/bj-yz/nodes/h100-0003")),
            update("Node", pb.Node(name="dataCenters/bj-yz/nodes/n9"), "state"),
            ("GetLink", pb.GetLinkRequest(name="links/nope")),
            update("Link", link(name="links/nope"), "rtt_ms"),
        ]
        before = export(seeded)
        for method, request in calls:
            failure = refused(getattr(seeded, method), request)
            assert (failure.code, failure.reason) == (NOT_FOUND, "NOT_FOUND"), request
        assert export(seeded) == before

    def test_malformed_names_are_invalid_argument(self, seeded: Stub) -> None:
        """Names of the wrong shape or with ids that cannot exist are INVALID_ARGUMENT naming
        the name field, never NOT_FOUND."""
        calls: list[tuple[str, Call]] = [
            ("name", ("GetRegion", pb.GetRegionRequest(name="beijing"))),
            ("name", ("GetRegion", pb.GetRegionRequest(name=""))),
            ("name", ("GetRegion", pb.GetRegionRequest(name="regions/"))),
            ("name", ("GetRegion", pb.GetRegionRequest(name="regions/beijing/x"))),
            ("name", ("GetRegion", pb.GetRegionRequest(name="regions/Beijing"))),
            ("name", ("GetRegion", pb.GetRegionRequest(name=f"regions/{_LONG_ID}"))),
            ("name", ("GetRack", pb.GetRackRequest(name="dataCenters/bj-yz"))),
            ("name", ("GetNode", pb.GetNodeRequest(name="dataCenters/-/nodes/h100-0000"))),
            ("name", ("GetNode", pb.GetNodeRequest(name="dataCenters/bj-yz/pools/h100"))),
            ("name", ("DeleteDataCenter", pb.DeleteDataCenterRequest(name="dataCenters/bj yz"))),
            ("name", ("DeleteLink", pb.DeleteLinkRequest(name="regions/beijing"))),
            ("data_center.name", update("DataCenter", pb.DataCenter(name="bj-yz"), "state")),
            ("parent", ("ListNodes", pb.ListNodesRequest(parent="bj-yz"))),
            ("parent", ("ListPools", pb.ListPoolsRequest(parent="dataCenters/BJ"))),
            ("parent", ("ListRacks", pb.ListRacksRequest(parent=""))),
        ]
        before = export(seeded)
        for field, (method, request) in calls:
            failure = refused(getattr(seeded, method), request)
            assert (failure.code, failure.fields) == (INVALID, (field,)), request
        assert export(seeded) == before

    def test_bad_update_masks_are_invalid_update_mask(self, seeded: Stub) -> None:
        """A mask naming an unknown, misspelt, nested, output-only or immutable field is
        INVALID_ARGUMENT with reason INVALID_UPDATE_MASK and the resource is unchanged."""
        dc = data_center(name="dataCenters/bj-yz", display_name="x")
        calls = [
            update("DataCenter", dc, "display_name", path)
            for path in ("bogus", "displayName", "labels.operator", "node_count", "region", "name")
        ]
        calls += [
            update("DataCenter", dc, "display_name", ""),
            update("DataCenter", dc, "*", "display_name"),
            update("Link", link(name="links/beijing-hhht"), "region"),
            update("Rack", rack(name=_R01), "name"),
            update("AcceleratorModel", model(name="acceleratorModels/h100"), "display_name.first"),
            update("Pool", pool(name="dataCenters/bj-yz/pools/h100"), "node_count"),
        ]
        before = export(seeded)
        for method, request in calls:
            failure = refused(getattr(seeded, method), request)
            assert (failure.code, failure.reason) == (INVALID, "INVALID_UPDATE_MASK"), request
            assert set(failure.fields) == {"update_mask"}, request
        assert export(seeded) == before

    def test_bad_filters_are_invalid_argument(self, seeded: Stub) -> None:
        """Malformed filters, filters on fields a list does not offer and unknown enum values
        are INVALID_ARGUMENT naming the filter field."""
        data_center_filters = [
            "province =",
            'province ~ "Beijing"',
            'province = "Beijing" OR state = STATE_ACTIVE',
            'province = "Beijing" AND',
            'province = "\\x"',
            'province = "a\\u0000"',
            'display_name = "x"',
            "state = STATE_ASLEEP",
        ]
        calls: list[Call] = [
            ("ListDataCenters", pb.ListDataCentersRequest(filter=f)) for f in data_center_filters
        ]
        calls += [
            ("ListRegions", pb.ListRegionsRequest(filter="hub_class = WESTERNISH")),
            ("ListNodes", pb.ListNodesRequest(parent="dataCenters/-", filter="cpu_milli = 1000")),
            ("ListLinks", pb.ListLinksRequest(filter='rtt_ms = "2"')),
            ("ListAcceleratorModels", pb.ListAcceleratorModelsRequest(filter="vendor")),
        ]
        for method, request in calls:
            failure = refused(getattr(seeded, method), request)
            assert (failure.code, failure.fields) == (INVALID, ("filter",)), request

    def test_deleting_resources_in_use_is_failed_precondition(self, seeded: Stub) -> None:
        """A model, region, rack or pool something still uses is FAILED_PRECONDITION with reason
        IN_USE, and nothing is deleted."""
        calls: list[Call] = [
            (
                "DeleteAcceleratorModel",
                pb.DeleteAcceleratorModelRequest(name="acceleratorModels/h100"),
            ),
            ("DeleteRegion", pb.DeleteRegionRequest(name="regions/beijing")),
            ("DeleteRegion", pb.DeleteRegionRequest(name="regions/hohhot")),
            ("DeleteRack", pb.DeleteRackRequest(name="dataCenters/bj-yz/racks/r02")),
            ("DeletePool", pb.DeletePoolRequest(name="dataCenters/bj-yz/pools/h100")),
        ]
        before = export(seeded)
        for method, request in calls:
            failure = refused(getattr(seeded, method), request)
            assert (failure.code, failure.reason) == (FAILED_PRECONDITION, "IN_USE"), request
        assert export(seeded) == before


# Any text protobuf can carry: every code point but the surrogates.
_GARBAGE = st.text(st.characters(codec="utf-8"), max_size=30)
_PREFIXES = st.sampled_from(
    [
        "",
        "regions/",
        "dataCenters/",
        "dataCenters/bj-yz/nodes/",
        "dataCenters/-/racks/",
        "links/",
        "acceleratorModels/",
    ]
)
# Quoted strings built from escapes, quotes and NUL, where a filter parser breaks first.
_QUOTED = st.text(st.sampled_from(["\\", '"', "x", "u", "0", "\x00", " "]), max_size=8).map(
    lambda t: f'"{t}"'
)
_FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class TestNeverInternal:
    @_FUZZ
    @given(name=st.builds(str.__add__, _PREFIXES, _GARBAGE))
    def test_garbage_names_never_fail_internally(self, seeded: Stub, name: str) -> None:
        """Any string as a resource name or parent gets a deliberate answer, never INTERNAL or
        UNKNOWN."""
        calls: list[tuple[Callable[[Any], Any], Any]] = [
            (seeded.GetRegion, pb.GetRegionRequest(name=name)),
            (seeded.GetNode, pb.GetNodeRequest(name=name)),
            (seeded.DeleteLink, pb.DeleteLinkRequest(name=name)),
            (seeded.ListRacks, pb.ListRacksRequest(parent=name)),
            (
                seeded.UpdateRack,
                pb.UpdateRackRequest(rack=rack(name=name), update_mask=mask("room")),
            ),
            (seeded.CreateRegion, pb.CreateRegionRequest(region_id=name, region=region())),
        ]
        for call, request in calls:
            code, details = outcome(call, request)
            assert code not in INTERNAL_CODES, (request, details)

    @_FUZZ
    @given(
        flt=st.one_of(
            _GARBAGE,
            st.builds(
                "{} {} {}".format,
                st.sampled_from(["state", "pool", "rack", "province", "hub_class", "bogus"]),
                st.sampled_from(["=", "==", "!=", ":"]),
                st.one_of(_GARBAGE, _GARBAGE.map(json.dumps), _QUOTED),
            ),
        ),
        token=st.one_of(st.just(""), _GARBAGE),
    )
    def test_garbage_filters_and_tokens_never_fail_internally(
        self, seeded: Stub, flt: str, token: str
    ) -> None:
        """Any string as a filter or page token gets a deliberate answer, never INTERNAL or
        UNKNOWN."""
        calls: list[tuple[Callable[[Any], Any], Any]] = [
            (
                seeded.ListNodes,
                pb.ListNodesRequest(parent="dataCenters/-", filter=flt, page_token=token),
            ),
            (seeded.ListDataCenters, pb.ListDataCentersRequest(filter=flt, page_token=token)),
            (seeded.ListRegions, pb.ListRegionsRequest(filter=flt, page_token=token)),
        ]
        for call, request in calls:
            code, details = outcome(call, request)
            assert code not in INTERNAL_CODES, (request, details)


# --------------------------------------------------------------------------- request_id


class TestRequestId:
    def test_repeated_create_returns_the_first_result(self, seeded: Stub) -> None:
        """A create retried with the same request_id returns the first result, even with a
        changed body, and creates nothing more."""
        first = seeded.CreateRegion(
            pb.CreateRegionRequest(
                region_id="shanghai", region=region(province="Shanghai"), request_id="req-1"
            )
        )
        again = seeded.CreateRegion(
            pb.CreateRegionRequest(
                region_id="shanghai", region=region(province="Zhejiang"), request_id="req-1"
            )
        )
        assert again == first
        assert seeded.ListRegions(pb.ListRegionsRequest()).total_size == 3
        no_key = refused(
            seeded.CreateRegion, pb.CreateRegionRequest(region_id="shanghai", region=region())
        )
        assert no_key.code == ALREADY_EXISTS

    def test_repeated_create_pool_creates_its_nodes_once(self, seeded: Stub) -> None:
        """A CreatePool retried with its request_id returns the pool without adding nodes."""
        request = pb.CreatePoolRequest(
            parent="dataCenters/hhht",
            pool_id="gpu",
            pool=pool(),
            node_count=3,
            request_id="pool-req",
        )
        first = seeded.CreatePool(request)
        assert seeded.CreatePool(request) == first
        nodes = seeded.ListNodes(
            pb.ListNodesRequest(parent="dataCenters/hhht", filter="pool = gpu")
        )
        assert nodes.total_size == 3
        assert (
            seeded.GetPool(pb.GetPoolRequest(name="dataCenters/hhht/pools/gpu")).pool.node_count
            == 3
        )

    def test_request_id_of_another_method_is_invalid_argument(self, seeded: Stub) -> None:
        """A request_id already used by another method is INVALID_ARGUMENT naming request_id,
        and the second resource is not created."""
        seeded.CreateRegion(
            pb.CreateRegionRequest(region_id="shanghai", region=region(), request_id="shared")
        )
        failure = refused(
            seeded.CreateAcceleratorModel,
            pb.CreateAcceleratorModelRequest(
                accelerator_model_id="a100", accelerator_model=model(), request_id="shared"
            ),
        )
        assert (failure.code, failure.fields) == (INVALID, ("request_id",))
        missing = refused(
            seeded.GetAcceleratorModel, pb.GetAcceleratorModelRequest(name="acceleratorModels/a100")
        )
        assert missing.code == NOT_FOUND


# --------------------------------------------------------------------------- import / export


def small_document() -> dict[str, Any]:
    """A small valid inventory file as data: every section, generated and explicit nodes."""
    return {
        "version": 1,
        "accelerator_models": [
            {"id": "h100", **H100},
            {"id": "ascend-910b", **ASCEND},
        ],
        "regions": [
            {
                "id": "beijing",
                "display_name": "北京",
                "province": "Beijing",
                "latitude": 39.9,
                "longitude": 116.4,
                "hub": "京津冀",
                "hub_class": "EASTERN",
            },
            {"id": "hohhot", "province": "Inner Mongolia", "latitude": 40.8, "longitude": 111.7},
        ],
        "data_centers": [
            {
                "id": "bj-yz",
                "region": "beijing",
                "province": "Beijing",
                "latitude": 39.8,
                "longitude": 116.5,
                "grid_carbon_g_per_kwh": 580.0,
                "electricity_price_cny_per_kwh": 0.65,
                "design_pue": 1.3,
                "pue_target": 1.25,
                "labels": {"operator": "China Mobile"},
                "source": "estimate",
            },
            {
                "id": "hhht",
                "region": "hohhot",
                "province": "Inner Mongolia",
                "latitude": 40.4,
                "longitude": 111.8,
                "grid_carbon_g_per_kwh": 700.0,
                "electricity_price_cny_per_kwh": 0.35,
                "design_pue": 1.15,
                "pue_target": 1.2,
                "state": "MAINTENANCE",
                "source": "estimate",
            },
        ],
        "racks": [
            {
                "data_center": "bj-yz",
                "id": "r01",
                "room": "A",
                "u_height": 42,
                "power_capacity_kw": 40.0,
            }
        ],
        "pools": [
            {
                "data_center": "bj-yz",
                "id": "h100",
                "accelerator_model": "h100",
                "accelerators_per_node": 8,
                "cpu_milli_per_node": 192000,
                "memory_mib_per_node": 2097152,
                "node_count": 2,
                "racks": ["r01"],
            },
            {
                "data_center": "hhht",
                "id": "ascend",
                "accelerator_model": "ascend-910b",
                "accelerators_per_node": 8,
                "cpu_milli_per_node": 192000,
                "memory_mib_per_node": 1048576,
                "node_count": 1,
            },
        ],
        "nodes": [{"data_center": "hhht", "id": "spare", "pool": "ascend", "state": "CORDONED"}],
        "links": [
            {
                "id": "beijing-hhht",
                "region": "beijing",
                "data_center": "hhht",
                "rtt_ms": 18.0,
                "source": "estimate",
            }
        ],
    }


def _counts(doc: dict[str, Any]) -> pb.ImportInventoryResponse:
    """The counts ImportInventory must report for ``doc``."""
    generated = sum(p.get("node_count", 0) for p in doc["pools"])
    sections = ("accelerator_models", "regions", "data_centers", "racks", "pools", "links")
    return pb.ImportInventoryResponse(
        **{s: len(doc[s]) for s in sections}, nodes=generated + len(doc["nodes"])
    )


def _yaml(doc: dict[str, Any]) -> bytes:
    return yaml.safe_dump(doc, allow_unicode=True).encode()


class TestImportInventory:
    def test_yaml_and_json_forms_create_the_same_inventory(
        self, stub: Stub, fresh_inventory_stub: Stub
    ) -> None:
        """A small YAML file creates everything it lists (counts in the response); its JSON
        form creates the same inventory on another server."""
        doc = small_document()
        from_yaml = stub.ImportInventory(pb.ImportInventoryRequest(content=_yaml(doc)))
        assert from_yaml == _counts(doc)
        from_json = fresh_inventory_stub.ImportInventory(
            pb.ImportInventoryRequest(
                content=json.dumps(doc).encode(), format=pb.INVENTORY_FORMAT_JSON
            )
        )
        assert from_json == _counts(doc)
        assert export(stub) == export(fresh_inventory_stub)
        spare = stub.GetNode(pb.GetNodeRequest(name="dataCenters/hhht/nodes/spare")).node
        assert (spare.state, spare.pool, spare.accelerator_count) == (
            pb.Node.STATE_CORDONED,
            "dataCenters/hhht/pools/ascend",
            8,
        )
        bj = stub.GetDataCenter(pb.GetDataCenterRequest(name="dataCenters/bj-yz")).data_center
        assert (bj.node_count, bj.accelerator_count, dict(bj.labels)) == (
            2,
            16,
            {"operator": "China Mobile"},
        )
        nodes = stub.ListNodes(pb.ListNodesRequest(parent="dataCenters/bj-yz")).nodes
        assert [n.rack for n in nodes] == ["dataCenters/bj-yz/racks/r01"] * 2

    def test_validate_only_checks_but_changes_nothing(self, stub: Stub) -> None:
        """validate_only reports the counts of a valid file and creates nothing, so the real
        import afterwards still succeeds."""
        doc = small_document()
        empty = export(stub)
        checked = stub.ImportInventory(
            pb.ImportInventoryRequest(content=_yaml(doc), validate_only=True)
        )
        assert checked == _counts(doc)
        assert export(stub) == empty
        assert stub.ListNodes(pb.ListNodesRequest(parent="dataCenters/-")).total_size == 0
        assert stub.ImportInventory(pb.ImportInventoryRequest(content=_yaml(doc))) == _counts(doc)

    def test_one_bad_field_anywhere_names_its_path_and_creates_nothing(self, stub: Stub) -> None:
        """A file with one bad field is INVALID_ARGUMENT whose violation gives the field's exact
        path in the file, and nothing of the file is created."""
        mutations: list[tuple[str, str, int, str, Any]] = [
            ("data_centers[1].design_pue", "data_centers", 1, "design_pue", 0.9),
            ("regions[0].latitude", "regions", 0, "latitude", 95.0),
            ("accelerator_models[1].memory_gib", "accelerator_models", 1, "memory_gib", -64.0),
            ("racks[0].u_height", "racks", 0, "u_height", 0),
            ("pools[1].accelerators_per_node", "pools", 1, "accelerators_per_node", -8),
            ("pools[0].accelerator_model", "pools", 0, "accelerator_model", "a100"),
            ("nodes[0].pool", "nodes", 0, "pool", "nope"),
            ("links[0].rtt_ms", "links", 0, "rtt_ms", -1.0),
            ("links[0].region", "links", 0, "region", "shanghai"),
            ("data_centers[0].region", "data_centers", 0, "region", "nowhere"),
            ("data_centers[1].display_name", "data_centers", 1, "display_name", "a\x00b"),
            ("regions[1].id", "regions", 1, "id", "Hohhot"),
        ]
        empty = export(stub)
        for path, section, index, key, value in mutations:
            doc = small_document()
            doc[section][index][key] = value
            failure = refused(stub.ImportInventory, pb.ImportInventoryRequest(content=_yaml(doc)))
            assert failure.code == INVALID, path
            assert path in failure.fields, f"{path}: {failure.fields}"
        assert export(stub) == empty

    def test_importing_existing_ids_is_already_exists_and_changes_nothing(self, stub: Stub) -> None:
        """A file whose last section reuses an id in the inventory is ALREADY_EXISTS and none of
        its new models, regions or data centers are created."""
        stub.ImportInventory(pb.ImportInventoryRequest(content=_yaml(small_document())))
        before = export(stub)
        doc = {
            "version": 1,
            "accelerator_models": [{"id": "a100", **H100}],
            "regions": [
                {"id": "shanghai", "province": "Shanghai", "latitude": 31.2, "longitude": 121.5}
            ],
            "data_centers": [
                {
                    "id": "sh-1",
                    "region": "shanghai",
                    "province": "Shanghai",
                    "latitude": 31.0,
                    "longitude": 121.0,
                    "grid_carbon_g_per_kwh": 580.0,
                    "electricity_price_cny_per_kwh": 0.7,
                    "design_pue": 1.3,
                    "pue_target": 1.25,
                }
            ],
            "links": [
                {"id": "beijing-hhht", "region": "shanghai", "data_center": "sh-1", "rtt_ms": 3.0}
            ],
        }
        failure = refused(stub.ImportInventory, pb.ImportInventoryRequest(content=_yaml(doc)))
        assert (failure.code, failure.reason) == (ALREADY_EXISTS, "ALREADY_EXISTS")
        assert export(stub) == before
        assert (
            refused(stub.GetRegion, pb.GetRegionRequest(name="regions/shanghai")).code == NOT_FOUND
        )

    def test_unreadable_content_is_invalid_argument_naming_content(self, stub: Stub) -> None:
        """Malformed YAML, malformed JSON, bytes that are not UTF-8 and a top-level list are
        INVALID_ARGUMENT naming content."""
        cases = [
            pb.ImportInventoryRequest(content=b"version: 1\nregions: [\n"),
            pb.ImportInventoryRequest(content=b"version: 1\n  regions: x\n - y"),
            pb.ImportInventoryRequest(content=b'{"version": 1,', format=pb.INVENTORY_FORMAT_JSON),
            pb.ImportInventoryRequest(
                content=_yaml(small_document()), format=pb.INVENTORY_FORMAT_JSON
            ),
            pb.ImportInventoryRequest(content=b"\xff\xfe\x00v"),
            pb.ImportInventoryRequest(content=b"- version: 1\n"),
        ]
        empty = export(stub)
        for request in cases:
            failure = refused(stub.ImportInventory, request)
            assert (failure.code, failure.fields) == (INVALID, ("content",)), request.content
        assert export(stub) == empty


class TestExportInventory:
    def test_export_then_import_into_a_fresh_server_round_trips(
        self, seeded: Stub, fresh_inventory_stub: Stub
    ) -> None:
        """An inventory built through the API (labels, cordoned and hand-placed nodes, racks)
        exports as JSON (the same data as the YAML export) that recreates the same resources on
        an empty server, whose YAML export is then byte-identical."""
        seeded.CreateNode(
            pb.CreateNodeRequest(
                parent="dataCenters/bj-yz",
                node_id="spare",
                node=node(rack="dataCenters/bj-yz/racks/r02", rack_position_u=40),
            )
        )
        seeded.UpdateNode(
            pb.UpdateNodeRequest(
                node=pb.Node(
                    name="dataCenters/bj-yz/nodes/h100-0001", state=pb.Node.STATE_CORDONED
                ),
                update_mask=mask("state"),
            )
        )
        content = export(seeded)
        as_json = seeded.ExportInventory(
            pb.ExportInventoryRequest(format=pb.INVENTORY_FORMAT_JSON)
        ).content
        assert json.loads(as_json) == yaml.safe_load(content)
        counts = fresh_inventory_stub.ImportInventory(
            pb.ImportInventoryRequest(content=as_json, format=pb.INVENTORY_FORMAT_JSON)
        )
        assert (counts.data_centers, counts.pools, counts.nodes, counts.links) == (2, 2, 6, 2)
        assert export(fresh_inventory_stub) == content
        listings: list[tuple[str, Callable[[Stub], Any], str]] = [
            (
                "ListAcceleratorModels",
                lambda s: pb.ListAcceleratorModelsRequest(),
                "accelerator_models",
            ),
            ("ListRegions", lambda s: pb.ListRegionsRequest(), "regions"),
            ("ListDataCenters", lambda s: pb.ListDataCentersRequest(), "data_centers"),
            ("ListRacks", lambda s: pb.ListRacksRequest(parent="dataCenters/-"), "racks"),
            ("ListPools", lambda s: pb.ListPoolsRequest(parent="dataCenters/-"), "pools"),
            ("ListNodes", lambda s: pb.ListNodesRequest(parent="dataCenters/-"), "nodes"),
            ("ListLinks", lambda s: pb.ListLinksRequest(), "links"),
        ]
        for method, request, items in listings:
            original = list_all(getattr(seeded, method), request(seeded), items)
            recreated = list_all(
                getattr(fresh_inventory_stub, method), request(fresh_inventory_stub), items
            )
            assert original == recreated, method

    def test_packaged_demo_network_imports(self, stub: Stub) -> None:
        """The packaged demo network imports through ImportInventory with the counts of the
        parsed document, and every data center reports its nodes."""
        demo = load_demo()
        content = (resources.files("inventory") / "data" / "demo_network.yaml").read_bytes()
        counts = stub.ImportInventory(pb.ImportInventoryRequest(content=content))
        assert counts == pb.ImportInventoryResponse(
            accelerator_models=len(demo.accelerator_models),
            regions=len(demo.regions),
            data_centers=len(demo.data_centers),
            racks=len(demo.racks),
            pools=len(demo.pools),
            nodes=len(demo.nodes),
            links=len(demo.links),
        )
        listed = list_all(stub.ListDataCenters, pb.ListDataCentersRequest(), "data_centers")
        per_dc = {dc.id: 0 for dc in demo.data_centers}
        for n in demo.nodes:
            per_dc[n.data_center] += 1
        assert {dc.name.split("/")[1]: dc.node_count for dc in listed} == per_dc
