"""Malformed and random requests against every RPC of the three services, through one real
server: requests parsed from random bytes, and requests whose fields hypothesis fills with
random strings and resource names, extreme and negative numbers, unknown enum values and
long repeated fields (over a valid request where one is easy to write, so that the checks
behind the first one are reached too).

What must hold: no call ends INTERNAL or UNKNOWN (a bug, not a bad request), no unary call
hangs, and a rejected call changes nothing (the inventory export, every job, every meter and
every quota are the same before and after it); read-only RPCs change nothing at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message as pb_message
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from computenet.config import Config
from computenet.v1 import inventory_pb2 as ipb
from computenet.v1 import inventory_pb2_grpc as ipb_grpc
from computenet.v1 import scheduler_pb2 as spb
from computenet.v1 import scheduler_pb2_grpc as spb_grpc
from computenet.v1 import telemetry_pb2 as tpb
from computenet.v1 import telemetry_pb2_grpc as tpb_grpc
from scheduler.testing import serve_in_thread

__all__: list[str] = []

TIMEOUT = 15.0
EXAMPLES = 25
"""Hypothesis examples per RPC: ~60 RPCs stay well under a minute together."""
BAD_CODES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}

MODULES = {"InventoryService": ipb, "SchedulerService": spb, "TelemetryService": tpb}
STUBS: dict[str, Callable[[grpc.Channel], Any]] = {
    "InventoryService": ipb_grpc.InventoryServiceStub,
    "SchedulerService": spb_grpc.SchedulerServiceStub,
    "TelemetryService": tpb_grpc.TelemetryServiceStub,
}
METHODS: list[tuple[str, MethodDescriptor]] = [
    (service, method)
    for service, module in MODULES.items()
    for method in module.DESCRIPTOR.services_by_name[service].methods
]
READ_ONLY = ("Get", "List", "Export", "Quote", "Watch")
"""RPCs whose names start so must never change state, valid or not."""

NETWORK = {
    "version": 1,
    "accelerator_models": [
        {"id": "gpu", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0}
    ],
    "regions": [{"id": "east", "province": "Fujian", "latitude": 26.0, "longitude": 119.3}],
    "data_centers": [
        {
            "id": dc,
            "region": "east",
            "province": "Fujian",
            "latitude": 26.0,
            "longitude": 119.3,
            "grid_carbon_g_per_kwh": 500.0,
            "electricity_price_cny_per_kwh": 0.5,
            "design_pue": 1.2,
            "pue_target": 1.3,
        }
        for dc in ("dc-a", "dc-b")
    ],
    "pools": [
        {
            "data_center": dc,
            "id": "gpu-pool",
            "accelerator_model": "gpu",
            "accelerators_per_node": 8,
            "cpu_milli_per_node": 256_000,
            "memory_mib_per_node": 1_048_576,
            "node_count": 2,
        }
        for dc in ("dc-a", "dc-b")
    ],
}

NAMES = [
    "",
    "-",
    "/",
    "tenants/acme",
    "tenants/-",
    "tenants/acme/quota",
    "tenants/acme/jobs/seed-1",
    "tenants/acme/webhooks/h",
    "dataCenters/dc-a",
    "dataCenters/-",
    "dataCenters/dc-a/racks/r1",
    "dataCenters/dc-a/pools/gpu-pool",
    "dataCenters/dc-a/nodes/gpu-pool-0000",
    "dataCenters/dc-a/meters/utility",
    "regions/east",
    "acceleratorModels/gpu",
    "links/east~east",
    "*",
    "balanced",
    'state = "PENDING"',
    'state = "NOPE" AND kind = TRAINING',
    'metering_point = "UTILITY_INPUT"',
    "http://127.0.0.1:9/hook",
    "tenants/acme/jobs/../../etc",
    "tenants/ACME",
    "tenants/a\x00b",
    "x" * 64,
    "' OR 1=1 --",
]
"""Strings that look like what the fields hold, so that random ones reach past the parsers."""
COLLECTIONS = [
    "tenants",
    "jobs",
    "dataCenters",
    "regions",
    "acceleratorModels",
    "racks",
    "pools",
    "nodes",
    "links",
    "meters",
    "webhooks",
]


def _text() -> st.SearchStrategy[str]:
    segment = st.one_of(st.sampled_from(COLLECTIONS), st.text(max_size=12))
    return st.one_of(
        st.sampled_from(NAMES),
        st.text(max_size=40),
        st.lists(segment, min_size=1, max_size=6).map("/".join),
        st.text(alphabet="abc-0123456789", min_size=60, max_size=300),
    )


_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_ENUM: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = sorted({lo, hi, 0, 1, -1, 2, 999, 1000, 1001, 10**6, 2**31 - 1, -(2**31)})
    return st.one_of(
        st.sampled_from([e for e in edges if lo <= e <= hi]),
        st.integers(min(max(lo, -2), hi), min(hi, 2000)),
        st.integers(lo, hi),
    )


def _scalar(f: FieldDescriptor) -> st.SearchStrategy[Any]:
    if f.type == FieldDescriptor.TYPE_STRING:
        return _text()
    if f.type == FieldDescriptor.TYPE_BYTES:
        return st.one_of(st.binary(max_size=200), _text().map(str.encode))
    if f.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.one_of(
            st.sampled_from([0.0, -1.0, 1.0, 1e308, -1e308, float("inf"), float("nan")]),
            st.floats(allow_nan=True, allow_infinity=True, width=32),
        )
    if f.type == FieldDescriptor.TYPE_ENUM:
        assert f.enum_type is not None
        known = [v.number for v in f.enum_type.values]
        return st.one_of(st.sampled_from(known), _integers(*_INT_RANGES[f.type]))
    return _integers(*_INT_RANGES[f.type])


def _is_map(f: FieldDescriptor) -> bool:
    return f.message_type is not None and f.message_type.GetOptions().map_entry


def _value(f: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    """Values for field ``f``: one for a singular field, a list (or dict for a map)."""
    if f.message_type is not None and _is_map(f):
        key, val = f.message_type.fields_by_name["key"], f.message_type.fields_by_name["value"]
        if val.message_type is not None:
            return st.dictionaries(_scalar(key), _message(val.message_type, depth + 1), max_size=3)
        return st.dictionaries(_scalar(key), _scalar(val), max_size=5)
    one = _message(f.message_type, depth + 1) if f.message_type is not None else _scalar(f)
    if f.is_repeated:
        return st.lists(one, max_size=40 if depth == 0 else 3)
    return one


@dataclass
class Fields:
    """Field values to set on a message (a message type's strategy draws these)."""

    descriptor: Descriptor
    values: dict[str, Any] = field(default_factory=dict)


def _message(descriptor: Descriptor, depth: int) -> st.SearchStrategy[Fields]:
    if depth > 3:
        return st.just(Fields(descriptor))
    options = {
        f.name: st.deferred(lambda f=f: _value(f, depth))  # type: ignore[misc]
        for f in descriptor.fields
    }
    return st.fixed_dictionaries({}, optional=options).map(lambda v: Fields(descriptor, v))


def _apply(msg: Any, fields: Fields) -> None:
    """Set ``fields`` on ``msg`` (over what it holds); values the runtime refuses are left."""
    for name, value in fields.values.items():
        f = fields.descriptor.fields_by_name[name]
        target = getattr(msg, name)
        try:
            if _is_map(f):
                target.clear()
                for k, v in value.items():
                    if isinstance(v, Fields):
                        _apply(target[k], v)
                    else:
                        target[k] = v
            elif f.is_repeated:
                del target[:]
                for v in value:
                    if isinstance(v, Fields):
                        _apply(target.add(), v)
                    else:
                        target.append(v)
            elif isinstance(value, Fields):
                target.SetInParent()
                _apply(target, value)
            else:
                setattr(msg, name, value)
        except (ValueError, TypeError):
            continue  # e.g. a float out of a float32's range: not a request anyone can send


def _bases() -> dict[str, Any]:
    """Valid requests to mutate, for the RPCs whose first checks random values rarely pass."""
    spec = spb.JobSpec(
        kind=spb.JOB_KIND_TRAINING,
        replicas=1,
        replica=spb.ReplicaSpec(accelerator_count=1, cpu_milli=1000, memory_mib=1024),
        labels={"fuzz": "1"},
    )
    reading = tpb.Reading(meter="dataCenters/dc-a/meters/utility", power_kw=100.0)
    reading.read_time.FromSeconds(1_750_000_000)
    return {
        "SubmitJob": spb.SubmitJobRequest(parent="tenants/acme", spec=spec),
        "QuoteJob": spb.QuoteJobRequest(parent="tenants/acme", spec=spec),
        "ListJobs": spb.ListJobsRequest(parent="tenants/-"),
        "WatchJobs": spb.WatchJobsRequest(parent="tenants/acme", send_initial=True),
        "GetJob": spb.GetJobRequest(name="tenants/acme/jobs/seed-1"),
        "SetJobState": spb.SetJobStateRequest(
            name="tenants/acme/jobs/seed-1", state=spb.Job.STATE_RUNNING
        ),
        "SetTenantQuota": spb.SetTenantQuotaRequest(
            quota=spb.TenantQuota(
                name="tenants/acme/quota", limits=[spb.QuotaLimit(accelerator_model="*", limit=8)]
            )
        ),
        "RunBatchPlacement": spb.RunBatchPlacementRequest(dry_run=True),
        "CreateWebhook": spb.CreateWebhookRequest(
            parent="tenants/acme",
            webhook_id="h",
            webhook=spb.Webhook(url="http://127.0.0.1:9/hook", secret="s" * 32),
        ),
        "CreateRegion": ipb.CreateRegionRequest(
            region_id="west", region=ipb.Region(province="Gansu", latitude=36.0, longitude=103.8)
        ),
        "UpdateRegion": ipb.UpdateRegionRequest(
            region=ipb.Region(name="regions/east", display_name="East"),
        ),
        "CreatePool": ipb.CreatePoolRequest(
            parent="dataCenters/dc-a",
            pool_id="p2",
            pool=ipb.Pool(accelerator_model="acceleratorModels/gpu", accelerators_per_node=8),
            node_count=1,
        ),
        "GetNode": ipb.GetNodeRequest(name="dataCenters/dc-a/nodes/gpu-pool-0000"),
        "CreateMeter": tpb.CreateMeterRequest(
            parent="dataCenters/dc-b",
            meter_id="it",
            meter=tpb.Meter(metering_point=tpb.METERING_POINT_UPS_OUTPUT),
        ),
        "BatchRecordReadings": tpb.BatchRecordReadingsRequest(readings=[reading]),
        "RecordReadings": tpb.RecordReadingsRequest(readings=[reading]),
        "GetPue": tpb.GetPueRequest(data_center="dataCenters/dc-a"),
        "GetUtilization": tpb.GetUtilizationRequest(group_by=tpb.UTILIZATION_GROUP_BY_DATA_CENTER),
    }


BASES = _bases()


@dataclass
class Fuzz:
    """The module's server, its stubs and the last state seen."""

    stubs: dict[str, Any]
    baseline: tuple[bytes, ...] = ()
    calls: dict[str, int] = field(default_factory=dict)
    """Calls made per status code name, over the whole module."""

    def snapshot(self) -> tuple[bytes, ...]:
        """The inventory export, every job, meter and quota, serialized deterministically."""
        inv, sch, tel = (
            self.stubs["InventoryService"],
            self.stubs["SchedulerService"],
            self.stubs["TelemetryService"],
        )
        parts = [inv.ExportInventory(ipb.ExportInventoryRequest(), timeout=TIMEOUT).content]
        for lister, make, items in (
            (sch.ListJobs, lambda t: spb.ListJobsRequest(parent="tenants/-", page_token=t), "jobs"),
            (
                tel.ListMeters,
                lambda t: tpb.ListMetersRequest(parent="dataCenters/-", page_token=t),
                "meters",
            ),
            (sch.ListTenantQuotas, lambda t: spb.ListTenantQuotasRequest(page_token=t), "quotas"),
        ):
            token = ""
            while True:
                request = make(token)
                request.page_size = 1000
                page = lister(request, timeout=TIMEOUT)
                parts += [m.SerializeToString(deterministic=True) for m in getattr(page, items)]
                token = page.next_page_token
                if not token:
                    break
            parts.append(b"--")
        return tuple(parts)

    def call(self, service: str, method: MethodDescriptor, requests: list[Any]) -> grpc.StatusCode:
        """Send ``requests`` (one, or a stream's messages) and return the final status."""
        stub_method = getattr(self.stubs[service], method.name)
        try:
            if method.client_streaming:
                stub_method(iter(requests), timeout=TIMEOUT)
            elif method.server_streaming:
                stream = stub_method(requests[0], timeout=TIMEOUT)
                for _ in stream:
                    pass
            else:
                stub_method(requests[0], timeout=TIMEOUT)
        except grpc.RpcError as exc:
            code: grpc.StatusCode = exc.code()
        else:
            code = grpc.StatusCode.OK
        self.calls[code.name] = self.calls.get(code.name, 0) + 1
        return code


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    """One server (authentication off: every caller is an admin, so every check is reached)
    with a small network, a meter, a quota and two jobs; WatchJobs streams last 0.3 s."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "computenet.db"
    config = Config(
        port=0,
        database_url=f"sqlite:///{path}",
        batch_interval_seconds=0,
        max_watch_seconds=0.3,
        webhook_max_attempts=1,
        webhook_timeout_seconds=0.5,
    )
    with serve_in_thread(config) as server, grpc.insecure_channel(server.address) as channel:
        stubs = {name: make(channel) for name, make in STUBS.items()}
        inv, sch, tel = (
            stubs["InventoryService"],
            stubs["SchedulerService"],
            stubs["TelemetryService"],
        )
        inv.ImportInventory(
            ipb.ImportInventoryRequest(
                content=json.dumps(NETWORK).encode(), format=ipb.INVENTORY_FORMAT_JSON
            ),
            timeout=TIMEOUT,
        )
        tel.CreateMeter(
            tpb.CreateMeterRequest(
                parent="dataCenters/dc-a",
                meter_id="utility",
                meter=tpb.Meter(metering_point=tpb.METERING_POINT_UTILITY_INPUT),
            ),
            timeout=TIMEOUT,
        )
        sch.SetTenantQuota(BASES["SetTenantQuota"], timeout=TIMEOUT)
        for job_id in ("seed-1", "seed-2"):
            sch.SubmitJob(
                spb.SubmitJobRequest(
                    parent="tenants/acme", job_id=job_id, spec=BASES["SubmitJob"].spec
                ),
                timeout=TIMEOUT,
            )
        f = Fuzz(stubs)
        f.baseline = f.snapshot()
        yield f


def _requests(method: MethodDescriptor) -> st.SearchStrategy[list[Any] | None]:
    """Lists of request messages for ``method`` (None when random bytes did not parse)."""
    cls = getattr(MODULES_BY_FILE[method.input_type.file.name], method.input_type.name)
    base = BASES.get(method.name)

    def from_bytes(raw: bytes) -> Any:
        try:
            return cls.FromString(raw)
        except pb_message.DecodeError:
            return None

    def from_fields(fields: Fields) -> Any:
        msg = cls()
        if base is not None:
            msg.CopyFrom(base)
        _apply(msg, fields)
        return msg

    one = st.one_of(
        st.binary(max_size=300).map(from_bytes),
        _message(method.input_type, 0).map(from_fields),
    )
    count = st.integers(1, 3) if method.client_streaming else st.just(1)
    return count.flatmap(lambda n: st.lists(one, min_size=n, max_size=n)).map(
        lambda msgs: None if any(m is None for m in msgs) else msgs
    )


MODULES_BY_FILE = {m.DESCRIPTOR.name: m for m in MODULES.values()}


@pytest.mark.parametrize(("service", "method"), METHODS, ids=[f"{s}.{m.name}" for s, m in METHODS])
class TestFuzz:
    def test_random_requests_never_break_the_server(
        self, fuzz: Fuzz, service: str, method: MethodDescriptor
    ) -> None:
        """Random and malformed requests never end INTERNAL or UNKNOWN nor hang, a rejected
        one changes no state, and a read-only RPC changes none at all."""
        read_only = method.name.startswith(READ_ONLY)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
            ],
        )
        @given(requests=_requests(method))
        def run(requests: list[Any] | None) -> None:
            if requests is None:
                return
            code = fuzz.call(service, method, requests)
            assert code not in BAD_CODES, (method.name, requests)
            if code is grpc.StatusCode.DEADLINE_EXCEEDED:
                raise AssertionError(f"{method.name} hung: {requests}")
            if read_only:
                return
            after = fuzz.snapshot()
            if code is not grpc.StatusCode.OK:
                assert after == fuzz.baseline, f"rejected {method.name} changed state: {requests}"
            fuzz.baseline = after

        run()
        if read_only:
            assert fuzz.snapshot() == fuzz.baseline, f"{method.name} changed state"
