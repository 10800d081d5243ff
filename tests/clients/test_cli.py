"""The ``computenet`` client commands, run with typer's CliRunner against a real server over
SQLite (inventory) and the recording fake (request building, streams, telemetry files)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
import structlog
import yaml
from typer.testing import CliRunner, Result

from clients import types as t
from clients.cli import app, jsonable
from clients.client import Client
from computenet.config import Config
from computenet.v1 import scheduler_pb2, telemetry_pb2
from scheduler.testing import ThreadedServer, serve_in_thread

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def cli(address: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the CLI against ``address``."""
    return CliRunner().invoke(app, ["--address", address, *args], env={**ENV, **(env or {})})


@pytest.fixture(autouse=True)
def server_logs_to_stderr() -> Iterator[None]:
    """The in-process server logs with structlog to whatever sys.stdout is when it logs; the
    CliRunner swaps sys.stdout, so send those lines to the real stderr instead."""
    saved = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.__stderr__))
    try:
        yield
    finally:
        structlog.configure(**saved)


@pytest.fixture
def address(sqlite_server: ThreadedServer) -> str:
    """The address of a real, empty server."""
    return sqlite_server.address


@pytest.fixture
def loaded(address: str, inventory_file: Path) -> str:
    """The address of a real server holding the small inventory."""
    with Client(address) as c:
        c.import_inventory(inventory_file)
    return address


@pytest.fixture
def sdk(address: str) -> Iterator[Client]:
    """An SDK client of the same server, to check what the CLI did."""
    with Client(address) as c:
        yield c


class TestInventoryCommands:
    def test_import_then_list_as_a_table(self, address: str, inventory_file: Path) -> None:
        """import reports its counts; list prints one row per data center."""
        result = cli(address, "inventory", "import", str(inventory_file))
        assert result.exit_code == 0, result.output
        assert "nodes" in result.stdout
        listed = cli(address, "inventory", "list", "data-centers")
        assert listed.exit_code == 0, listed.output
        lines = [line for line in listed.stdout.splitlines() if "fj-ai" in line or "nx-zw" in line]
        assert len(lines) == 2
        assert "design_pue" in listed.stdout
        assert "1.25" in lines[0]

    def test_json_output_matches_the_sdk(self, loaded: str, sdk: Client) -> None:
        """--output json prints exactly the SDK's results, with full resource names."""
        result = cli(loaded, "--output", "json", "inventory", "list", "nodes")
        assert result.exit_code == 0, result.output
        nodes = json.loads(result.stdout)
        assert nodes == jsonable(list(sdk.iter_nodes()))
        assert nodes[0]["name"].startswith("dataCenters/")
        assert nodes[0]["state"] == "READY"

    def test_output_can_come_from_the_environment(self, loaded: str) -> None:
        """COMPUTENET_OUTPUT=json has the same effect as --output json."""
        result = cli(loaded, "inventory", "get", "region", "fujian-fuzhou",
                     env={"COMPUTENET_OUTPUT": "json"})  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["display_name"] == "福州"

    def test_list_narrows_by_data_center_filter_and_limit(self, loaded: str) -> None:
        """--data-center, --filter and --limit narrow a list."""
        by_dc = json.loads(
            cli(loaded, "--output", "json", "inventory", "list", "nodes", "-d", "nx-zw").stdout
        )
        assert {n["pool"] for n in by_dc} == {"dataCenters/nx-zw/pools/ascend"}
        fujian = cli(loaded, "--output", "json", "inventory", "list", "data-centers",
                     "--filter", 'province = "Fujian"')  # fmt: skip
        assert [dc["name"] for dc in json.loads(fujian.stdout)] == ["dataCenters/fj-ai"]
        two = cli(loaded, "--output", "json", "inventory", "list", "nodes", "--limit", "2")
        assert len(json.loads(two.stdout)) == 2

    def test_get_shows_every_field(self, loaded: str) -> None:
        """get prints each field with its value, totals included."""
        result = cli(loaded, "inventory", "get", "data-center", "fj-ai")
        assert result.exit_code == 0, result.output
        for text in ("dataCenters/fj-ai", "design_pue", "1.25", "accelerator_count", "16"):
            assert text in result.stdout

    def test_create_from_flags(self, address: str, sdk: Client) -> None:
        """create builds the resource from typed flags."""
        result = cli(address, "inventory", "create", "region", "fujian-putian",
                     "--display-name", "莆田", "--province", "Fujian", "--latitude", "25.45",
                     "--longitude", "119.01", "--hub-class", "none")  # fmt: skip
        assert result.exit_code == 0, result.output
        region = sdk.get_region("fujian-putian")
        assert region.display_name == "莆田"
        assert region.latitude == pytest.approx(25.45)
        assert region.hub_class is t.HubClass.NONE

    def test_create_from_a_file_with_flags_overriding(
        self, loaded: str, tmp_path: Path, sdk: Client
    ) -> None:
        """create -f reads the fields (and id) from YAML; a flag beats the file."""
        spec = tmp_path / "dc.yaml"
        spec.write_text(
            yaml.safe_dump(
                {
                    "id": "pt-edge",
                    "display_name": "Putian edge",
                    "region": "fujian-putian",
                    "province": "Fujian",
                    "latitude": 25.4,
                    "longitude": 119.0,
                    "grid_carbon_g_per_kwh": 409.2,
                    "electricity_price_cny_per_kwh": 0.6,
                    "design_pue": 1.4,
                    "pue_target": 1.3,
                    "labels": {"kind": "edge"},
                }
            ),
            encoding="utf-8",
        )
        result = cli(loaded, "inventory", "create", "data-center", "-f", str(spec),
                     "--design-pue", "1.28")  # fmt: skip
        assert result.exit_code == 0, result.output
        dc = sdk.get_data_center("pt-edge")
        assert dc.design_pue == pytest.approx(1.28)
        assert dc.region == "regions/fujian-putian"
        assert dc.labels == {"kind": "edge"}

    def test_create_pool_makes_its_nodes(self, loaded: str, sdk: Client) -> None:
        """create pool with --node-count and --rack adds that many nodes in the rack."""
        result = cli(loaded, "inventory", "create", "pool", "fj-ai", "ascend",
                     "--accelerator-model", "ascend-910b", "--accelerators-per-node", "8",
                     "--cpu-milli-per-node", "192000", "--memory-mib-per-node", "1048576",
                     "--node-count", "2", "--rack", "r01")  # fmt: skip
        assert result.exit_code == 0, result.output
        nodes = list(sdk.iter_nodes("fj-ai", filter='pool = "ascend"'))
        assert len(nodes) == 2
        assert {n.rack for n in nodes} == {"dataCenters/fj-ai/racks/r01"}

    def test_delete(self, loaded: str, sdk: Client) -> None:
        """delete removes the resource."""
        result = cli(loaded, "inventory", "delete", "link", "fuzhou-nx-zw")
        assert result.exit_code == 0, result.output
        assert [link.name for link in sdk.iter_links()] == ["links/fuzhou-fj-ai"]

    def test_export_to_a_file_imports_into_another_server(
        self, loaded: str, tmp_path: Path, sdk: Client
    ) -> None:
        """export -o writes a file that import accepts on an empty server, giving the same
        inventory."""
        out = tmp_path / "export.json"
        result = cli(loaded, "inventory", "export", "--format", "json", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert json.loads(out.read_text(encoding="utf-8"))["version"] == 1
        config = Config(
            port=0, database_url=f"sqlite:///{tmp_path / 'b.db'}", batch_interval_seconds=0
        )
        with serve_in_thread(config) as other:
            imported = cli(other.address, "inventory", "import", str(out))
            assert imported.exit_code == 0, imported.output
            with Client(other.address) as c:
                assert c.export_inventory("json") == sdk.export_inventory("json")

    def test_export_yaml_to_stdout(self, loaded: str) -> None:
        """export without -o prints YAML."""
        result = cli(loaded, "inventory", "export")
        assert result.exit_code == 0, result.output
        doc = yaml.safe_load(result.stdout)
        assert {dc["id"] for dc in doc["data_centers"]} == {"fj-ai", "nx-zw"}

    def test_validate_only_changes_nothing(
        self, address: str, inventory_file: Path, sdk: Client
    ) -> None:
        """import --validate-only checks the file and creates nothing."""
        result = cli(address, "inventory", "import", "--validate-only", str(inventory_file))
        assert result.exit_code == 0, result.output
        assert "would create" in result.stdout
        assert sdk.list_regions().items == ()


class TestJsonOutput:
    def test_non_finite_numbers_become_strings(self) -> None:
        """An unlimited quota (infinity) prints as proto3 JSON does, so strict parsers accept
        the output."""
        quota = t.TenantQuota(
            name="tenants/acme/quota",
            limits=(t.QuotaLimit(accelerator_model="*", limit=float("inf"), used=8.0),),
        )
        text = json.dumps(jsonable(quota), allow_nan=False)
        assert json.loads(text)["limits"][0]["limit"] == "Infinity"

    def test_times_durations_and_enums_are_readable(self) -> None:
        """Times are ISO 8601, durations "Ns", enums by name."""
        spec = t.JobSpec(
            kind=t.JobKind.TRAINING,
            expected_duration=timedelta(hours=2),
            deadline=datetime(2025, 3, 1, tzinfo=UTC),
        )
        data = jsonable(spec)
        assert data["kind"] == "TRAINING"
        assert data["expected_duration"] == "7200s"
        assert data["deadline"] == "2025-03-01T00:00:00+00:00"


class TestErrorOutput:
    def test_api_error_prints_code_message_and_violations(self, address: str) -> None:
        """A refused call prints the code, message and every field violation on stderr and
        exits 1."""
        result = cli(address, "inventory", "create", "region", "fujian-fuzhou",
                     "--province", "", "--latitude", "91", "--longitude", "119")  # fmt: skip
        assert result.exit_code == 1
        assert result.stdout == ""
        assert "INVALID_ARGUMENT" in result.stderr
        assert "region.latitude" in result.stderr
        assert "region.province" in result.stderr

    def test_errors_are_red(self, address: str) -> None:
        """With colour on, the error lines are red."""
        result = CliRunner().invoke(
            app,
            ["--address", address, "inventory", "get", "data-center", "nope"],
            env={"COLUMNS": "200", "FORCE_COLOR": "1"},
        )
        assert result.exit_code == 1
        assert "\x1b[1;31m" in result.stderr
        assert "NOT_FOUND" in result.stderr

    def test_bad_import_file_names_the_fields(self, address: str, tmp_path: Path) -> None:
        """A bad inventory file is reported with the paths of its bad fields."""
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            "version: 1\nregions:\n  - {id: x, province: Fujian, latitude: 91, longitude: 0}\n"
        )
        result = cli(address, "inventory", "import", str(bad))
        assert result.exit_code == 1
        assert "regions[0].latitude" in result.stderr

    def test_unreachable_server_says_where_and_how_to_start_one(self) -> None:
        """A connection failure names the address and the command that starts a server."""
        result = cli("127.0.0.1:1", "--timeout", "5", "inventory", "list", "regions")
        assert result.exit_code == 1
        assert "127.0.0.1:1" in result.stderr
        assert "computenet serve --demo" in result.stderr

    @pytest.mark.parametrize(
        "args",
        [
            ["inventory", "list", "regions", "--bogus"],
            ["inventory", "create", "region", "r1", "--hub-class", "central"],
            ["inventory", "create", "data-center", "d1", "--label", "no-equals-sign"],
            ["--output", "xml", "inventory", "list", "regions"],
            ["jobs", "submit", "--kind", "training", "--duration", "soon"],
            ["quota", "set", "acme", "--limit", "h100"],
        ],
    )
    def test_bad_usage_exits_2(self, address: str, args: list[str]) -> None:
        """Unknown options, bad choices and malformed values are usage errors: exit 2."""
        result = cli(address, *args)
        assert result.exit_code == 2, result.output


class TestTlsOptions:
    def test_ca_cert_and_key_files_make_an_mtls_call(self, mtls_fake_server: Any, pki: Any) -> None:
        """--ca-file, --cert-file and --key-file connect over mTLS."""
        d = pki.directory
        result = cli(mtls_fake_server.address, "--ca-file", str(d / "ca.pem"),
                     "--cert-file", str(d / "client.pem"), "--key-file", str(d / "client.key"),
                     "inventory", "list", "regions")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert mtls_fake_server.count("ListRegions") == 1

    def test_missing_key_file_is_a_usage_error(self, mtls_fake_server: Any, pki: Any) -> None:
        """A certificate without its key is refused before any call (exit 2)."""
        result = cli(mtls_fake_server.address, "--cert-file", str(pki.directory / "client.pem"),
                     "inventory", "list", "regions")  # fmt: skip
        assert result.exit_code == 2
        assert mtls_fake_server.calls == []


class TestJobCommands:
    def test_submit_builds_the_spec_from_a_file_and_flags(
        self, fake_server: Any, tmp_path: Path
    ) -> None:
        """submit -f reads a JobSpec file; flags override it; ids become resource names."""
        job = tmp_path / "job.yaml"
        job.write_text(
            yaml.safe_dump(
                {
                    "kind": "inference",
                    "replicas": 2,
                    "replica": {"accelerator_count": 1, "cpu_milli": 8000, "memory_mib": 65536},
                    "expected_duration": "90m",
                    "user_region": "fujian-fuzhou",
                    "residency": {"allowed_provinces": ["Fujian"]},
                    "labels": {"team": "nlp"},
                }
            ),
            encoding="utf-8",
        )
        result = cli(fake_server.address, "--tenant", "acme", "jobs", "submit", "--id", "chat",
                     "-f", str(job), "--max-rtt-ms", "5", "--model", "h100-sxm",
                     "--accelerators", "2")  # fmt: skip
        assert result.exit_code == 0, result.output
        request = fake_server.last("SubmitJob").request
        assert request.parent == "tenants/acme"
        assert request.job_id == "chat"
        assert request.request_id
        spec = request.spec
        assert spec.kind == scheduler_pb2.JOB_KIND_INFERENCE
        assert spec.replicas == 2
        assert spec.replica.accelerator_count == 2
        assert list(spec.replica.accelerator_models) == ["acceleratorModels/h100-sxm"]
        assert spec.expected_duration.seconds == 90 * 60
        assert spec.user_region == "regions/fujian-fuzhou"
        assert spec.max_rtt_ms == 5.0
        assert list(spec.residency.allowed_provinces) == ["Fujian"]
        assert dict(spec.labels) == {"team": "nlp"}

    def test_get_shows_placement_and_explanation(self, fake_server: Any) -> None:
        """get prints where the job runs and why, with its score terms and alternatives."""
        placed = scheduler_pb2.Job(
            name="tenants/acme/jobs/chat",
            state=scheduler_pb2.Job.STATE_SCHEDULED,
            placement=scheduler_pb2.Placement(data_center="dataCenters/fj-ai"),
            explanation=scheduler_pb2.Explanation(
                summary="placed in fj-ai: lowest latency",
                policy="latency",
                terms=[scheduler_pb2.ScoreTerm(name="latency", value=1.2, unit="ms")],
                runner_up="dataCenters/nx-zw",
                runner_up_reason="38 ms > 5 ms",
                alternatives=[scheduler_pb2.Candidate(data_center="dataCenters/nx-zw")],
            ),
        )
        fake_server.behaviours["GetJob"] = lambda r, c: scheduler_pb2.GetJobResponse(job=placed)
        result = cli(fake_server.address, "--tenant", "acme", "jobs", "get", "chat")
        assert result.exit_code == 0, result.output
        assert fake_server.last("GetJob").request.name == "tenants/acme/jobs/chat"
        for text in ("SCHEDULED", "dataCenters/fj-ai", "lowest latency", "38 ms > 5 ms", "nx-zw"):
            assert text in result.stdout

    def test_watch_prints_json_lines(self, fake_server: Any) -> None:
        """watch --output json prints one JSON object per event and stops after --count."""

        def events(request: Any, context: grpc.ServicerContext) -> Any:
            return [
                scheduler_pb2.WatchJobsResponse(
                    job=scheduler_pb2.Job(
                        name=f"tenants/acme/jobs/{n}", state=scheduler_pb2.Job.STATE_SCHEDULED
                    ),
                    previous_state=scheduler_pb2.Job.STATE_PENDING,
                )
                for n in ("a", "b", "c")
            ]

        fake_server.behaviours["WatchJobs"] = events
        result = cli(fake_server.address, "--output", "json", "jobs", "watch", "--count", "2",
                     "--state", "scheduled")  # fmt: skip
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [e["job"]["name"] for e in lines] == ["tenants/acme/jobs/a", "tenants/acme/jobs/b"]
        assert lines[0]["previous_state"] == "PENDING"
        assert fake_server.last("WatchJobs").request.filter == 'state = "SCHEDULED"'

    def test_quota_set_sends_the_limits(self, fake_server: Any) -> None:
        """quota set replaces the limits with MODEL=N pairs, * for all models."""
        result = cli(fake_server.address, "quota", "set", "acme", "--limit", "h100-sxm=16",
                     "--limit", "*=64")  # fmt: skip
        assert result.exit_code == 0, result.output
        quota = fake_server.last("SetTenantQuota").request.quota
        assert quota.name == "tenants/acme/quota"
        assert [(q.accelerator_model, q.limit) for q in quota.limits] == [
            ("acceleratorModels/h100-sxm", 16.0),
            ("*", 64.0),
        ]


def _record_behaviour(requests: Any, context: grpc.ServicerContext) -> Any:
    return telemetry_pb2.RecordReadingsResponse(accepted=sum(len(m.readings) for m in requests))


class TestTelemetryPush:
    def test_csv_streams_every_row_in_batches(self, fake_server: Any, tmp_path: Path) -> None:
        """A CSV file goes out in batches of --batch-size, every row once, bare meter ids
        named in --data-center."""
        start = datetime(2025, 3, 1, tzinfo=UTC)
        rows = ["meter,read_time,energy_kwh,power_kw"]
        for i in range(1200):
            meter = "it" if i % 2 else "utility"
            rows.append(f"{meter},{(start + timedelta(minutes=i)).isoformat()},{i * 1.5},")
        path = tmp_path / "readings.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        fake_server.behaviours["RecordReadings"] = _record_behaviour
        result = cli(fake_server.address, "telemetry", "push", str(path), "-d", "fj-ai",
                     "--batch-size", "500")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "1200 readings stored" in result.stdout
        messages = fake_server.last("RecordReadings").request
        assert [len(m.readings) for m in messages] == [500, 500, 200]
        last = messages[-1].readings[-1]
        assert last.meter == "dataCenters/fj-ai/meters/it"
        assert last.energy_kwh == pytest.approx(1199 * 1.5)
        assert not last.HasField("power_kw")

    def test_json_lines_take_the_given_zone(self, fake_server: Any, tmp_path: Path) -> None:
        """Times without an offset are read in --timezone."""
        path = tmp_path / "readings.jsonl"
        row = {
            "meter": "dataCenters/fj-ai/meters/it",
            "read_time": "2025-03-01T08:00:00",
            "power_kw": 410.0,
        }
        path.write_text(json.dumps(row) + "\n", encoding="utf-8")
        result = cli(fake_server.address, "telemetry", "push", str(path),
                     "--timezone", "Asia/Shanghai")  # fmt: skip
        assert result.exit_code == 0, result.output
        (message,) = fake_server.last("RecordReadings").request
        sent = message.readings[0].read_time.ToDatetime(tzinfo=UTC)
        assert sent == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)

    def test_a_bad_line_is_reported_by_number(self, fake_server: Any, tmp_path: Path) -> None:
        """A malformed row stops the upload with its line number, exit 1."""
        path = tmp_path / "readings.csv"
        path.write_text(
            "meter,read_time,energy_kwh,power_kw\n"
            "dataCenters/fj-ai/meters/it,2025-03-01T00:00:00Z,1.0,\n"
            "dataCenters/fj-ai/meters/it,2025-03-01T00:15:00Z,lots,\n",
            encoding="utf-8",
        )
        result = cli(fake_server.address, "telemetry", "push", str(path))
        assert result.exit_code == 1
        assert "readings.csv line 3" in result.stderr

    def test_naive_times_need_a_zone(self, fake_server: Any, tmp_path: Path) -> None:
        """Without --timezone a time with no offset is refused, not guessed."""
        path = tmp_path / "readings.csv"
        path.write_text(
            "meter,read_time,energy_kwh\ndataCenters/fj-ai/meters/it,2025-03-01 08:00,1\n",
            encoding="utf-8",
        )
        result = cli(fake_server.address, "telemetry", "push", str(path))
        assert result.exit_code == 1
        assert "no UTC offset" in result.stderr
