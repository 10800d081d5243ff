"""Tests of scheduler/telemetry_runtime.py through a real server: a collector targets file
makes the server scrape a Prometheus endpoint into its meters, and stopping the server ends
the telemetry work promptly."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import grpc
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import start_http_server

from computenet.config import Config
from computenet.v1 import inventory_pb2, inventory_pb2_grpc
from computenet.v1 import telemetry_pb2 as pb
from computenet.v1 import telemetry_pb2_grpc as pb_grpc
from scheduler.testing import serve_in_thread
from tests.scheduler.test_views import NETWORK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestCollector:
    def test_targets_file_feeds_the_meters(self, sqlite_url: str, tmp_path: Path) -> None:
        """With collector_targets set, the server scrapes the endpoint every interval and
        stores the counter as readings of the configured meter."""
        registry = CollectorRegistry()
        energy = Counter("pdu_energy_wh", "PDU energy.", ["feed"], registry=registry)
        energy.labels("A").inc(5000.0)
        pdu_port = free_port()
        httpd, thread = start_http_server(pdu_port, "127.0.0.1", registry=registry)
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            "interval_s: 0.2\n"
            "targets:\n"
            "  - kind: prometheus\n"
            f"    url: http://127.0.0.1:{pdu_port}/metrics\n"
            "    series:\n"
            "      - {meter: south-pdu, metric: pdu_energy_wh, unit: Wh, labels: {feed: A}}\n",
            encoding="utf-8",
        )
        config = Config(
            port=0,
            database_url=sqlite_url,
            batch_interval_seconds=0,
            collector_targets=str(targets),
        )
        try:
            with serve_in_thread(config) as server:
                with grpc.insecure_channel(server.address) as ch:
                    inv = inventory_pb2_grpc.InventoryServiceStub(ch)
                    inv.ImportInventory(
                        inventory_pb2.ImportInventoryRequest(
                            content=json.dumps(NETWORK).encode(),
                            format=inventory_pb2.INVENTORY_FORMAT_JSON,
                        ),
                        timeout=20,
                    )
                    pb_grpc.TelemetryServiceStub(ch).CreateMeter(
                        pb.CreateMeterRequest(
                            parent="dataCenters/dc-south",
                            meter_id="south-pdu",
                            meter=pb.Meter(metering_point=pb.METERING_POINT_PDU_OUTPUT),
                        ),
                        timeout=20,
                    )
                runtime = server.running.telemetry
                assert runtime is not None
                deadline = time.monotonic() + 15
                while runtime.store.reading_count("south-pdu") < 2:
                    assert time.monotonic() < deadline, "no scrapes stored in time"
                    time.sleep(0.1)
                (last,) = runtime.store.last_readings(["south-pdu"]).values()
                assert last.energy_kwh == 5.0
                assert runtime.collector is not None
                stats = runtime.collector.stats()
                assert sum(s.scrapes_ok for s in stats.values()) >= 2
                started = time.monotonic()
            # Leaving the block stopped the server, the collector and the PUE cache loop.
            assert time.monotonic() - started < 5.0
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(5)
