"""Fixtures of the client tests: a real server over SQLite, a recording fake gRPC server that
answers every computenet RPC (for wiring, retries and deadlines), and a small inventory file."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor as _descriptor

from computenet.config import Config
from computenet.v1 import inventory_pb2, scheduler_pb2, telemetry_pb2
from scheduler.testing import ThreadedServer, serve_in_thread

SERVICES = (
    (inventory_pb2, "InventoryService"),
    (scheduler_pb2, "SchedulerService"),
    (telemetry_pb2, "TelemetryService"),
)

INVENTORY_YAML = """\
version: 1
accelerator_models:
  - {id: h100-sxm, display_name: NVIDIA H100 SXM5 80GB, vendor: NVIDIA, memory_gib: 80,
     fp16_tflops: 989.4, board_power_w: 700, source: NVIDIA H100 datasheet (dense FP16)}
  - {id: ascend-910b, display_name: Huawei Ascend 910B, vendor: Huawei, memory_gib: 64,
     fp16_tflops: 280, board_power_w: 350, source: Ascend docs; power estimate}
regions:
  - {id: fujian-fuzhou, display_name: 福州, province: Fujian, latitude: 26.07, longitude: 119.3}
  - {id: fujian-putian, display_name: 莆田, province: Fujian, latitude: 25.45, longitude: 119.01}
  - {id: ningxia-zhongwei, display_name: 中卫, province: Ningxia, latitude: 37.5, longitude: 105.19,
     hub: 宁夏, hub_class: WESTERN}
data_centers:
  - {id: fj-ai, display_name: Fujian AI, region: fujian-fuzhou, province: Fujian, latitude: 26.0,
     longitude: 119.4, grid_carbon_g_per_kwh: 409.2, electricity_price_cny_per_kwh: 0.63,
     design_pue: 1.25, pue_target: 1.3, commissioned_year: 2023, source: estimate}
  - {id: nx-zw, display_name: Zhongwei, region: ningxia-zhongwei, province: Ningxia, latitude: 37.5,
     longitude: 105.2, grid_carbon_g_per_kwh: 550.0, electricity_price_cny_per_kwh: 0.36,
     design_pue: 1.15, pue_target: 1.2, source: estimate}
racks:
  - {data_center: fj-ai, id: r01, room: hall-a, u_height: 42, power_capacity_kw: 40, cooling_kw: 40}
pools:
  - {data_center: fj-ai, id: h100, accelerator_model: h100-sxm, accelerators_per_node: 8,
     cpu_milli_per_node: 192000, memory_mib_per_node: 2097152, node_count: 2, racks: [r01]}
  - {data_center: nx-zw, id: ascend, accelerator_model: ascend-910b, accelerators_per_node: 8,
     cpu_milli_per_node: 192000, memory_mib_per_node: 1048576, node_count: 3}
links:
  - {id: fuzhou-fj-ai, region: fujian-fuzhou, data_center: fj-ai, rtt_ms: 1.2, source: estimate}
  - {id: fuzhou-nx-zw, region: fujian-fuzhou, data_center: nx-zw, rtt_ms: 38.0, source: estimate}
"""


@pytest.fixture
def sqlite_server(sqlite_url: str) -> Iterator[ThreadedServer]:
    """A real computenet server on port 0 over an empty SQLite file (fast: one backend)."""
    config = Config(host="127.0.0.1", port=0, database_url=sqlite_url, batch_interval_seconds=0)
    with serve_in_thread(config) as running:
        yield running


@pytest.fixture
def inventory_file(tmp_path: Path) -> Path:
    """A small valid inventory: 2 models, 3 regions, 2 data centers, 1 rack, 2 pools (5 nodes),
    2 links."""
    path = tmp_path / "network.yaml"
    path.write_text(INVENTORY_YAML, encoding="utf-8")
    return path


@dataclass
class Received:
    """One call the fake server saw."""

    method: str
    """RPC name, e.g. ``GetDataCenter``."""
    request: Any
    """The request (a list of them for client streams)."""
    metadata: dict[str, str]
    """Invocation metadata."""
    time_remaining: float | None
    """Seconds left of the call's deadline when it arrived (None: no deadline)."""


Behaviour = Callable[[Any, grpc.ServicerContext], Any]


@dataclass
class FakeServer:
    """A grpc server answering every computenet RPC: by ``behaviours[method]`` when set (it
    may abort), else with an empty response (no messages for server streams)."""

    address: str
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    calls: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, method: str) -> int:
        with self.lock:
            return sum(1 for c in self.calls if c.method == method)

    def last(self, method: str) -> Received:
        with self.lock:
            return [c for c in self.calls if c.method == method][-1]


def _handler(fake: FakeServer, module: Any, method: _descriptor.MethodDescriptor) -> Any:
    request_cls = getattr(module, method.input_type.name)
    response_cls = getattr(module, method.output_type.name)
    name = method.name

    def record(request: Any, context: grpc.ServicerContext) -> None:
        with fake.lock:
            fake.calls.append(
                Received(
                    name,
                    request,
                    {k: str(v) for k, v in context.invocation_metadata()},
                    context.time_remaining(),
                )
            )

    def answer(request: Any, context: grpc.ServicerContext) -> Any:
        behaviour = fake.behaviours.get(name)
        return behaviour(request, context) if behaviour else None

    if method.client_streaming:

        def client_stream(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
            items = list(requests)
            record(items, context)
            return answer(items, context) or response_cls()

        return grpc.stream_unary_rpc_method_handler(
            client_stream,
            request_deserializer=request_cls.FromString,
            response_serializer=response_cls.SerializeToString,
        )
    if method.server_streaming:

        def server_stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            record(request, context)
            yield from answer(request, context) or ()

        return grpc.unary_stream_rpc_method_handler(
            server_stream,
            request_deserializer=request_cls.FromString,
            response_serializer=response_cls.SerializeToString,
        )

    def unary(request: Any, context: grpc.ServicerContext) -> Any:
        record(request, context)
        return answer(request, context) or response_cls()

    return grpc.unary_unary_rpc_method_handler(
        unary,
        request_deserializer=request_cls.FromString,
        response_serializer=response_cls.SerializeToString,
    )


@contextmanager
def serve_fake(credentials: grpc.ServerCredentials | None = None) -> Iterator[FakeServer]:
    """Run the recording fake on 127.0.0.1, port 0 (over TLS with ``credentials``)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    fake = FakeServer(f"127.0.0.1:{port}")
    for module, service in SERVICES:
        descriptor = module.DESCRIPTOR.services_by_name[service]
        handlers = {m.name: _handler(fake, module, m) for m in descriptor.methods}
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(descriptor.full_name, handlers),)
        )
    server.start()
    try:
        yield fake
    finally:
        server.stop(grace=None)


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """The recording fake on 127.0.0.1, port 0."""
    with serve_fake() as fake:
        yield fake


@dataclass(frozen=True)
class Pki:
    """A throwaway CA with a server certificate for 127.0.0.1 and a client certificate."""

    directory: Path
    ca: bytes
    server_key: bytes
    server_cert: bytes
    client_key: bytes
    client_cert: bytes


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Certificates made with the openssl command (P-256 keys, valid one day)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    d = tmp_path_factory.mktemp("pki")
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
             "-subj", "/CN=computenet test CA", cwd=d)  # fmt: skip
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        (d / f"{name}.ext").write_text(ext + "\n")
        _openssl("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=d)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "1",
                 "-extfile", f"{name}.ext", cwd=d)  # fmt: skip
    files = {p.name: p.read_bytes() for p in d.iterdir()}
    return Pki(
        d,
        files["ca.pem"],
        files["server.key"],
        files["server.pem"],
        files["client.key"],
        files["client.pem"],
    )


@pytest.fixture
def mtls_fake_server(pki: Pki) -> Iterator[FakeServer]:
    """The recording fake behind TLS that requires a client certificate from the test CA."""
    credentials = grpc.ssl_server_credentials(
        [(pki.server_key, pki.server_cert)], root_certificates=pki.ca, require_client_auth=True
    )
    with serve_fake(credentials) as fake:
        yield fake
