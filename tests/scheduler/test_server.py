"""The server starts on port 0, serves health and reflection, and lists the three services."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from scheduler.server import SERVICE_NAMES


class TestServer:
    def test_health_reports_serving_for_every_service(self, channel: grpc.Channel) -> None:
        """Health answers SERVING for the server and each computenet service."""
        stub = health_pb2_grpc.HealthStub(channel)
        for name in ("", *SERVICE_NAMES):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING

    def test_reflection_lists_services(self, channel: grpc.Channel) -> None:
        """Reflection (what grpcurl uses) lists the computenet services, health and itself."""
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (reply,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
        names = {s.name for s in reply.list_services_response.service}
        assert set(SERVICE_NAMES) <= names
        assert "grpc.health.v1.Health" in names
        assert "grpc.reflection.v1alpha.ServerReflection" in names
