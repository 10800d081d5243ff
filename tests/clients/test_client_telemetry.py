"""The client against the real TelemetryService (meters, readings, PUE, compliance,
utilization) and the webhooks of SchedulerService: SDK and CLI. Enable by moving into
tests/clients/ once those services have landed; it uses the fixtures of
tests/clients/conftest.py."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner, Result

from clients import (
    Client,
    InvalidArgumentError,
    JobKind,
    JobSpec,
    JobState,
    Meter,
    MeteringPoint,
    NotFoundError,
    PueBasis,
    PueCategory,
    Reading,
    ReplicaSpec,
    UtilizationGroupBy,
    Webhook,
)
from clients.cli import app
from scheduler.testing import ThreadedServer

END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
START = END - timedelta(hours=24)


def counters(it_kwh_per_step: float = 100.0, pue: float = 1.25) -> list[Reading]:
    """24 h of cumulative energy counters every 15 min for fj-ai's IT and utility meters,
    the facility drawing ``pue`` times the IT energy."""
    out = []
    for i in range(24 * 4 + 1):
        when = START + timedelta(minutes=15 * i)
        out.append(Reading(meter="dataCenters/fj-ai/meters/it", read_time=when,
                           energy_kwh=it_kwh_per_step * i))  # fmt: skip
        out.append(Reading(meter="dataCenters/fj-ai/meters/utility", read_time=when,
                           energy_kwh=it_kwh_per_step * pue * i))  # fmt: skip
    return out


@pytest.fixture
def address(sqlite_server: ThreadedServer, inventory_file: Path) -> str:
    """A real server with the small inventory and fj-ai's two meters."""
    with Client(sqlite_server.address) as c:
        c.import_inventory(inventory_file)
        c.create_meter("fj-ai", "it", Meter(metering_point=MeteringPoint.IT_INPUT))
        c.create_meter("fj-ai", "utility", Meter(metering_point=MeteringPoint.UTILITY_INPUT))
    return sqlite_server.address


@pytest.fixture
def client(address: str) -> Iterator[Client]:
    with Client(address) as c:
        yield c


class TestMetersAndReadings:
    def test_meters_are_listed_and_deleted(self, client: Client) -> None:
        """Meters list per data center, read back by short name, and delete."""
        assert [m.name for m in client.iter_meters("fj-ai")] == [
            "dataCenters/fj-ai/meters/it",
            "dataCenters/fj-ai/meters/utility",
        ]
        assert client.get_meter("fj-ai/it").metering_point is MeteringPoint.IT_INPUT
        client.delete_meter("fj-ai/utility")
        with pytest.raises(NotFoundError):
            client.get_meter("fj-ai/utility")

    def test_readings_are_stored_once(self, client: Client) -> None:
        """A stream stores every reading; sending it again stores none (duplicates)."""
        readings = counters()
        first = client.record_readings(readings, batch_size=50)
        assert (first.accepted, first.duplicates) == (len(readings), 0)
        again = client.batch_record_readings(readings[:10])
        assert (again.accepted, again.duplicates) == (0, 10)

    def test_unknown_meter_is_refused_by_field(self, client: Client) -> None:
        """A reading of an unregistered meter is refused with its index."""
        bad = Reading(meter="dataCenters/fj-ai/meters/nope", read_time=END, energy_kwh=1.0)
        with pytest.raises(InvalidArgumentError) as info:
            client.record_readings([bad])
        assert info.value.field_violations[0].field == "readings[0].meter"


class TestPue:
    def test_pue_is_the_ratio_of_energy_sums(self, client: Client) -> None:
        """Over the recorded day, PUE = facility / IT energy = 1.25, category advanced (IT
        metered at the equipment input), full coverage."""
        client.record_readings(counters())
        pue = client.get_pue("fj-ai", start=START, end=END)
        assert pue.value == pytest.approx(1.25)
        assert pue.it_energy_kwh == pytest.approx(96 * 100.0)
        assert pue.facility_energy_kwh == pytest.approx(96 * 125.0)
        assert pue.category is PueCategory.ADVANCED
        assert pue.coverage == pytest.approx(1.0)
        assert pue.interval is not None
        assert pue.interval.start_time == START

    def test_compliance_uses_the_measurement(self, client: Client) -> None:
        """With telemetry the report uses the measured PUE; without, the design PUE."""
        client.record_readings(counters(pue=1.4))
        report = client.get_compliance_report(start=START, end=END)
        entries = {e.data_center: e for e in report.entries}
        measured = entries["dataCenters/fj-ai"]
        assert measured.basis is PueBasis.MEASURED
        assert measured.pue == pytest.approx(1.4)
        assert not measured.compliant  # its target is 1.3
        assert measured.excess == pytest.approx(0.1)
        assert entries["dataCenters/nx-zw"].basis is PueBasis.DESIGN

    def test_utilization_counts_allocated_accelerators(self, client: Client) -> None:
        """An 8-GPU job shows as 8 of the network's 40 accelerators."""
        job = client.submit_job(
            JobSpec(
                kind=JobKind.TRAINING,
                replicas=1,
                replica=ReplicaSpec(accelerator_count=8, cpu_milli=64_000, memory_mib=262_144),
                expected_duration=timedelta(hours=1),
            )
        )
        report = client.get_utilization(group_by=UtilizationGroupBy.DATA_CENTER)
        assert report.total is not None
        assert report.total.total_accelerators == 40
        assert report.total.allocated_accelerators == 8
        assert job.placement is not None
        row = next(r for r in report.rows if r.key == job.placement.data_center)
        assert row.allocated_accelerators == 8
        assert 0 < report.ai_compute_share <= 1


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class TestWebhooks:
    def test_webhook_receives_a_job_event(self, client: Client) -> None:
        """A registered webhook gets the SCHEDULED event of a new job and records the
        delivery; deleting it removes it."""
        receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{receiver.server_port}/hook"
            created = client.create_webhook(
                "w1",
                Webhook(url=url, states=(JobState.SCHEDULED,), secret="0123456789abcdef-x"),
            )
            assert created.name == "tenants/default/webhooks/w1"
            assert created.secret == ""  # input only
            client.submit_job(
                JobSpec(
                    kind=JobKind.TRAINING,
                    replicas=1,
                    replica=ReplicaSpec(accelerator_count=1, cpu_milli=8_000, memory_mib=65_536),
                    expected_duration=timedelta(hours=1),
                ),
                "hooked",
            )
            deadline = time.monotonic() + 10
            deliveries = []
            while not deliveries and time.monotonic() < deadline:
                deliveries = list(client.iter_webhook_deliveries("w1"))
                time.sleep(0.05)
            assert deliveries[0].delivered
            assert deliveries[0].job == "tenants/default/jobs/hooked"
            assert deliveries[0].state is JobState.SCHEDULED
            client.delete_webhook("w1")
            assert list(client.iter_webhooks()) == []
        finally:
            receiver.shutdown()
            receiver.server_close()


@pytest.fixture
def quiet_server_logs() -> Iterator[None]:
    """Keep the in-process server's log lines out of the CliRunner's stdout."""
    saved = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.__stderr__))
    try:
        yield
    finally:
        structlog.configure(**saved)


def cli(address: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--address", address, *args], env={"COLUMNS": "200"})


@pytest.mark.usefixtures("quiet_server_logs")
class TestTelemetryCommands:
    def test_push_then_pue_get_and_report(self, address: str, tmp_path: Path) -> None:
        """telemetry push stores a CSV; pue get shows the PUE; pue report and util print."""
        path = tmp_path / "readings.csv"
        lines = ["meter,read_time,energy_kwh"]
        lines += [f"{r.meter},{r.read_time.isoformat()},{r.energy_kwh}" for r in counters()]  # type: ignore[union-attr]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pushed = cli(address, "telemetry", "push", str(path))
        assert pushed.exit_code == 0, pushed.output
        assert f"{len(lines) - 1} readings stored" in pushed.stdout
        again = cli(address, "telemetry", "push", str(path))
        assert f"{len(lines) - 1} duplicates" in again.stdout
        pue = cli(address, "--output", "json", "pue", "get", "fj-ai",
                  "--start", START.isoformat(), "--end", END.isoformat())  # fmt: skip
        assert pue.exit_code == 0, pue.output
        assert json.loads(pue.stdout)["value"] == pytest.approx(1.25)
        report = cli(
            address, "pue", "report", "--start", START.isoformat(), "--end", END.isoformat()
        )
        assert report.exit_code == 0, report.output
        assert "fj-ai" in report.stdout
        util = cli(address, "--output", "json", "util", "--by", "model")
        assert {row["key"] for row in json.loads(util.stdout)["rows"]} >= {
            "acceleratorModels/h100-sxm",
            "acceleratorModels/ascend-910b",
        }

    def test_add_meter_and_list(self, address: str) -> None:
        """add-meter registers a meter that meters lists."""
        added = cli(address, "telemetry", "add-meter", "nx-zw", "pdu", "--point", "pdu-output")
        assert added.exit_code == 0, added.output
        listed = cli(address, "--output", "json", "telemetry", "meters", "nx-zw")
        assert [m["metering_point"] for m in json.loads(listed.stdout)] == ["PDU_OUTPUT"]
