"""Tests of the TelemetryService through a real in-process gRPC server on both backends:
meters, readings (stream and batch, all or nothing, idempotent), PUE, compliance with the
policy targets, utilization, and the end-to-end path from streamed readings to the PUE the
scheduler prices a job with."""

from __future__ import annotations

import functools
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from computenet.v1 import common_pb2, inventory_pb2, inventory_pb2_grpc
from computenet.v1 import scheduler_pb2 as spb
from computenet.v1 import scheduler_pb2_grpc as spb_grpc
from computenet.v1 import telemetry_pb2 as pb
from computenet.v1 import telemetry_pb2_grpc as pb_grpc
from scheduler.testing import ThreadedServer

_TIMEOUT = 20.0
STEP = timedelta(minutes=15)


def _dc(dc_id: str, region: str, design: float, target: float, year: int) -> dict[str, Any]:
    return {
        "id": dc_id,
        "region": region,
        "province": "Anhui" if region == "anhui-wuhu" else "Fujian",
        "latitude": 26.0,
        "longitude": 119.3,
        "grid_carbon_g_per_kwh": 400.0,
        "electricity_price_cny_per_kwh": 0.6,
        "design_pue": design,
        "pue_target": target,
        "commissioned_year": year,
    }


# Two Fuzhou sites (Changle is a district of Fuzhou) and one in the eastern 长三角 hub.
NETWORK = {
    "version": 1,
    "accelerator_models": [
        {"id": "gpu", "memory_gib": 80.0, "fp16_tflops": 400.0, "board_power_w": 400.0},
    ],
    "regions": [
        {"id": "fujian-fuzhou", "province": "Fujian", "latitude": 26.07, "longitude": 119.3},
        {"id": "fujian-changle", "province": "Fujian", "latitude": 25.96, "longitude": 119.52},
        {
            "id": "anhui-wuhu",
            "province": "Anhui",
            "latitude": 31.33,
            "longitude": 118.43,
            "hub": "长三角",
            "hub_class": "EASTERN",
        },
    ],
    "data_centers": [
        _dc("fz-a", "fujian-fuzhou", 1.4, 1.3, 2023),
        _dc("fz-b", "fujian-changle", 1.35, 1.3, 2024),
        _dc("wuhu", "anhui-wuhu", 1.2, 1.25, 2016),
    ],
    "pools": [
        {
            "data_center": dc,
            "id": "gpu-pool",
            "accelerator_model": "gpu",
            "accelerators_per_node": 8,
            "cpu_milli_per_node": 64_000,
            "memory_mib_per_node": 512 * 1024,
            "node_count": 2,
        }
        for dc in ("fz-a", "fz-b", "wuhu")
    ],
}

# Constant loads: (IT kW, facility kW), so each PUE is exact.
LOADS = {"fz-a": (100.0, 125.0), "fz-b": (300.0, 390.0), "wuhu": (200.0, 230.0)}


class Timed:
    """A stub whose every call has a deadline, so a hung server fails the test."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub

    def __getattr__(self, method: str) -> Any:
        return functools.partial(getattr(self._stub, method), timeout=_TIMEOUT)


class Api:
    """Telemetry, scheduler and inventory stubs of one server, with NETWORK imported."""

    def __init__(self, channel: grpc.Channel, server: ThreadedServer) -> None:
        self.tel = Timed(pb_grpc.TelemetryServiceStub(channel))
        self.sched = Timed(spb_grpc.SchedulerServiceStub(channel))
        self.inv = Timed(inventory_pb2_grpc.InventoryServiceStub(channel))
        self.server = server
        self.inv.ImportInventory(
            inventory_pb2.ImportInventoryRequest(
                content=json.dumps(NETWORK).encode(), format=inventory_pb2.INVENTORY_FORMAT_JSON
            )
        )

    def meter(self, dc: str, meter_id: str, point: pb.MeteringPoint) -> pb.Meter:
        reply: pb.CreateMeterResponse = self.tel.CreateMeter(
            pb.CreateMeterRequest(
                parent=f"dataCenters/{dc}", meter_id=meter_id, meter=pb.Meter(metering_point=point)
            )
        )
        return reply.meter

    def standard_meters(self, *dcs: str) -> None:
        for dc in dcs:
            self.meter(dc, f"{dc}-fac", pb.METERING_POINT_UTILITY_INPUT)
            self.meter(dc, f"{dc}-it", pb.METERING_POINT_IT_INPUT)

    def stored(self) -> int:
        telemetry = self.server.running.telemetry
        assert telemetry is not None
        return telemetry.store.reading_count()


@pytest.fixture
def api(channel: grpc.Channel, server: ThreadedServer) -> Api:
    """Stubs of the per-test server (both backends) with the three-site network imported."""
    return Api(channel, server)


def reading(dc: str, kind: str, at: datetime, kwh: float) -> pb.Reading:
    msg = pb.Reading(meter=f"dataCenters/{dc}/meters/{dc}-{kind}", energy_kwh=kwh)
    msg.read_time.FromDatetime(at)
    return msg


def day_of_readings(
    dc: str, end: datetime, span: timedelta = timedelta(hours=24)
) -> list[pb.Reading]:
    """Counter readings every 15 minutes over ``span`` up to ``end`` at the site's load."""
    it_kw, fac_kw = LOADS[dc]
    out = []
    n = int(span / STEP)
    for i in range(n + 1):
        at = end - span + i * STEP
        hours = i * STEP.total_seconds() / 3600.0
        out.append(reading(dc, "fac", at, 5000.0 + fac_kw * hours))
        out.append(reading(dc, "it", at, 4000.0 + it_kw * hours))
    return out


def interval(start: datetime, end: datetime) -> common_pb2.Interval:
    msg = common_pb2.Interval()
    msg.start_time.FromDatetime(start)
    msg.end_time.FromDatetime(end)
    return msg


def fail(call: Any, *args: Any) -> tuple[grpc.StatusCode, dict[str, str], str]:
    """Run a call that must fail: its code, field violations and ErrorInfo reason."""
    with pytest.raises(grpc.RpcError) as info:
        call(*args)
    err = info.value
    status = rpc_status.from_call(err)
    fields: dict[str, str] = {}
    reason = ""
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields.update((v.field, v.description) for v in bad.field_violations)
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                ei = error_details_pb2.ErrorInfo()
                detail.Unpack(ei)
                reason = ei.reason
    return err.code(), fields, reason


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def quote_in(api: Api, region: str) -> spb.QuoteJobResponse:
    spec = spb.JobSpec(
        kind=spb.JOB_KIND_TRAINING,
        replicas=1,
        replica=spb.ReplicaSpec(accelerator_count=4, cpu_milli=1000, memory_mib=1024),
        residency=spb.Residency(allowed_regions=[f"regions/{region}"]),
    )
    spec.expected_duration.FromTimedelta(timedelta(hours=10))
    result: spb.QuoteJobResponse = api.sched.QuoteJob(
        spb.QuoteJobRequest(parent="tenants/acme", spec=spec)
    )
    return result


class TestEndToEnd:
    def test_streamed_readings_reach_pue_compliance_and_the_scheduler(self, api: Api) -> None:
        """Readings streamed for three sites give their exact PUE, a compliance report against
        own and policy targets with the energy-weighted Fuzhou average, and move a quote's
        energy from the design PUE to the measured one; re-streaming counts duplicates."""
        before = quote_in(api, "fujian-fuzhou")
        assert before.placeable
        e0 = before.placement.energy
        assert e0.pue_basis == common_pb2.PUE_BASIS_DESIGN
        assert e0.pue == pytest.approx(1.4)

        api.standard_meters("fz-a", "fz-b", "wuhu")
        end = now()
        messages = [pb.RecordReadingsRequest(readings=day_of_readings(dc, end)) for dc in LOADS]
        total = sum(len(m.readings) for m in messages)
        reply = api.tel.RecordReadings(iter(messages))
        assert (reply.accepted, reply.duplicates) == (total, 0)

        pue = api.tel.GetPue(
            pb.GetPueRequest(
                data_center="dataCenters/fz-a", interval=interval(end - timedelta(hours=24), end)
            )
        ).pue
        assert pue.value == pytest.approx(1.25)
        assert pue.coverage == pytest.approx(1.0)
        assert pue.category == pb.PUE_CATEGORY_ADVANCED
        assert pue.it_energy_kwh == pytest.approx(100.0 * 24)
        assert pue.facility_energy_kwh == pytest.approx(125.0 * 24)
        assert pue.cue_kg_per_kwh == pytest.approx(1.25 * 0.4)
        assert not pue.partial
        assert not pue.gaps

        report = api.tel.GetComplianceReport(
            pb.GetComplianceReportRequest(interval=interval(end - timedelta(hours=24), end))
        )
        entries = {e.data_center.split("/")[-1]: e for e in report.entries}
        assert set(entries) == {"fz-a", "fz-b", "wuhu"}
        a, b, w = entries["fz-a"], entries["fz-b"], entries["wuhu"]
        assert all(e.basis == common_pb2.PUE_BASIS_MEASURED for e in entries.values())
        assert (a.pue, a.policy_target, a.compliant) == (pytest.approx(1.25), 1.3, True)
        assert "new" in a.policy_target_source
        assert "2023" in a.policy_target_source
        assert (b.pue, b.compliant, b.excess) == (pytest.approx(1.3), True, pytest.approx(0.0))
        # wuhu: existing (2016) ≤ 1.5 but eastern hub ≤ 1.25 is stricter.
        assert (w.pue, w.policy_target) == (pytest.approx(1.15), 1.25)
        assert "hub" in w.policy_target_source
        (city,) = report.city_averages
        assert city.region == "regions/fujian-fuzhou"
        # Energy-weighted: (125 + 390) / (100 + 300), not the mean of 1.25 and 1.3.
        assert city.pue == pytest.approx(515.0 / 400.0)
        assert (city.target, city.compliant) == (1.35, True)

        # The placer re-reads PUEs at most once a second: poll briefly rather than sleep.
        deadline = time.monotonic() + 10.0
        while True:
            after = quote_in(api, "fujian-fuzhou")
            e1 = after.placement.energy
            if e1.pue_basis == common_pb2.PUE_BASIS_MEASURED or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert e1.pue_basis == common_pb2.PUE_BASIS_MEASURED
        assert e1.pue == pytest.approx(1.25, rel=1e-6)
        assert e1.energy_kwh == pytest.approx(e1.it_energy_kwh * e1.pue)
        assert e1.it_energy_kwh == pytest.approx(e0.it_energy_kwh)
        assert e1.energy_kwh < e0.energy_kwh
        assert "measured" in after.explanation.summary

        again = api.tel.RecordReadings(iter(messages))
        assert (again.accepted, again.duplicates) == (0, total)
        assert api.stored() == total


class TestRecord:
    def test_bad_batch_names_each_field_and_stores_nothing(self, api: Api) -> None:
        """A batch with bad readings is INVALID_ARGUMENT naming readings[i].<field>, and none
        of its readings, good ones included, is stored."""
        api.standard_meters("fz-a")
        t = now()
        good = reading("fz-a", "it", t, 1.0)
        ghost = pb.Reading(meter="dataCenters/fz-a/meters/ghost", energy_kwh=1.0)
        ghost.read_time.FromDatetime(t)
        negative = reading("fz-a", "it", t - STEP, -3.0)
        unset = pb.Reading(meter="dataCenters/fz-a/meters/fz-a-it", energy_kwh=1.0)
        empty = pb.Reading(meter="dataCenters/fz-a/meters/fz-a-fac")
        empty.read_time.FromDatetime(t)
        code, fields, _ = fail(
            api.tel.BatchRecordReadings,
            pb.BatchRecordReadingsRequest(readings=[good, ghost, negative, unset, empty]),
        )
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert set(fields) == {
            "readings[1].meter",
            "readings[2].energy_kwh",
            "readings[3].read_time",
            "readings[4]",
        }
        assert api.stored() == 0

    def test_stream_is_one_batch_indexed_across_messages(self, api: Api) -> None:
        """A bad reading in a later message refuses the whole stream, its index counted
        across the messages."""
        api.standard_meters("fz-a")
        t = now()
        first = pb.RecordReadingsRequest(
            readings=[
                reading("fz-a", "it", t - 2 * STEP, 1.0),
                reading("fz-a", "it", t - STEP, 2.0),
            ]
        )
        second = pb.RecordReadingsRequest(readings=[reading("fz-a", "fac", t, -1.0)])
        code, fields, _ = fail(api.tel.RecordReadings, iter([first, second]))
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert list(fields) == ["readings[2].energy_kwh"]
        assert api.stored() == 0

    def test_batch_duplicates_and_late_readings(self, api: Api) -> None:
        """A batch stores new readings, counts repeated ones, and takes late ones."""
        api.standard_meters("fz-a")
        t = now()
        r1 = api.tel.BatchRecordReadings(
            pb.BatchRecordReadingsRequest(readings=[reading("fz-a", "it", t, 10.0)])
        )
        r2 = api.tel.BatchRecordReadings(
            pb.BatchRecordReadingsRequest(
                readings=[reading("fz-a", "it", t, 10.0), reading("fz-a", "it", t - STEP, 9.0)]
            )
        )
        assert (r1.accepted, r1.duplicates, r2.accepted, r2.duplicates) == (1, 0, 1, 1)
        assert api.stored() == 2


class TestMeters:
    def test_create_get_list_delete(self, api: Api) -> None:
        """A meter is created under its data center, read back, listed (filtered and paged)
        and deleted with its readings."""
        made = api.meter("fz-a", "fz-a-cool", pb.METERING_POINT_COOLING)
        assert made.name == "dataCenters/fz-a/meters/fz-a-cool"
        assert made.metering_point == pb.METERING_POINT_COOLING
        api.standard_meters("fz-a", "wuhu")
        got = api.tel.GetMeter(pb.GetMeterRequest(name=made.name)).meter
        assert got == made
        listed = api.tel.ListMeters(pb.ListMetersRequest(parent="dataCenters/fz-a"))
        assert listed.total_size == 3
        its = api.tel.ListMeters(
            pb.ListMetersRequest(parent="dataCenters/-", filter='metering_point = "IT_INPUT"')
        )
        assert [m.name for m in its.meters] == [
            "dataCenters/fz-a/meters/fz-a-it",
            "dataCenters/wuhu/meters/wuhu-it",
        ]
        names, token = [], ""
        while True:
            page = api.tel.ListMeters(
                pb.ListMetersRequest(parent="dataCenters/-", page_size=2, page_token=token)
            )
            names += [m.name for m in page.meters]
            token = page.next_page_token
            if not token:
                break
        assert len(names) == 5 == len(set(names))
        api.tel.DeleteMeter(pb.DeleteMeterRequest(name=made.name))
        code, _, _ = fail(api.tel.GetMeter, pb.GetMeterRequest(name=made.name))
        assert code == grpc.StatusCode.NOT_FOUND

    def test_bad_creates_are_invalid_argument(self, api: Api) -> None:
        """An unknown data center, a bad id, or no metering point is INVALID_ARGUMENT at the
        field; a taken id is ALREADY_EXISTS; a request_id retry returns the first meter."""

        def create(**kw: Any) -> Any:
            return api.tel.CreateMeter(pb.CreateMeterRequest(**kw))

        ok = pb.Meter(metering_point=pb.METERING_POINT_IT_INPUT)
        cases = [
            ({"parent": "dataCenters/nowhere", "meter_id": "m", "meter": ok}, "parent"),
            ({"parent": "dataCenters/fz-a", "meter_id": "Bad_Id", "meter": ok}, "meter_id"),
            (
                {"parent": "dataCenters/fz-a", "meter_id": "m", "meter": pb.Meter()},
                "meter.metering_point",
            ),
            ({"parent": "fz-a", "meter_id": "m", "meter": ok}, "parent"),
        ]
        for kw, field in cases:
            code, fields, _ = fail(lambda kw=kw: create(**kw))
            assert code == grpc.StatusCode.INVALID_ARGUMENT
            assert field in fields
        first = create(parent="dataCenters/fz-a", meter_id="m", meter=ok, request_id="req-1")
        again = create(parent="dataCenters/fz-a", meter_id="m", meter=ok, request_id="req-1")
        assert again == first
        code, _, _ = fail(lambda: create(parent="dataCenters/fz-a", meter_id="m", meter=ok))
        assert code == grpc.StatusCode.ALREADY_EXISTS

    def test_meter_of_another_data_center_is_not_found(self, api: Api) -> None:
        """A meter asked for under the wrong data center does not exist there."""
        api.standard_meters("fz-a")
        code, _, _ = fail(
            api.tel.GetMeter, pb.GetMeterRequest(name="dataCenters/wuhu/meters/fz-a-it")
        )
        assert code == grpc.StatusCode.NOT_FOUND


class TestPue:
    def test_partial_pue_of_cooling(self, api: Api) -> None:
        """With a cooling meter, the partial PUE is (IT + cooling) / IT and is marked partial."""
        api.standard_meters("fz-a")
        api.meter("fz-a", "fz-a-cool", pb.METERING_POINT_COOLING)
        end = now()
        cooling = []
        for i in range(9):
            r = pb.Reading(meter="dataCenters/fz-a/meters/fz-a-cool", energy_kwh=20.0 * i * 0.25)
            r.read_time.FromDatetime(end - timedelta(hours=2) + i * STEP)
            cooling.append(r)
        api.tel.BatchRecordReadings(
            pb.BatchRecordReadingsRequest(
                readings=day_of_readings("fz-a", end, timedelta(hours=2)) + cooling
            )
        )
        got = api.tel.GetPue(
            pb.GetPueRequest(
                data_center="dataCenters/fz-a",
                interval=interval(end - timedelta(hours=2), end),
                subsystem=pb.METERING_POINT_COOLING,
            )
        ).pue
        assert got.partial
        assert got.value == pytest.approx((100.0 + 20.0) / 100.0)
        assert got.category == pb.PUE_CATEGORY_ADVANCED
        assert got.cue_kg_per_kwh == 0.0

    def test_annualised_window_and_gaps(self, api: Api) -> None:
        """An annualised PUE covers the 12 months to the interval's end: two hours of data
        are a sliver of it, and everything before is reported as a gap."""
        api.standard_meters("wuhu")
        end = now()
        api.tel.BatchRecordReadings(
            pb.BatchRecordReadingsRequest(readings=day_of_readings("wuhu", end, timedelta(hours=2)))
        )
        got = api.tel.GetPue(
            pb.GetPueRequest(
                data_center="dataCenters/wuhu",
                interval=interval(end - timedelta(hours=1), end),
                window_kind=pb.PUE_WINDOW_KIND_ANNUALISED,
            )
        ).pue
        assert got.value == pytest.approx(1.15)
        start = got.interval.start_time.ToDatetime(tzinfo=UTC)
        assert timedelta(days=364) < end - start <= timedelta(days=366)
        assert got.coverage == pytest.approx(2.0 / (24 * (end - start).days), rel=0.01)
        assert got.gaps[0].start_time.ToDatetime(tzinfo=UTC) == start

    def test_errors(self, api: Api) -> None:
        """No meters is FAILED_PRECONDITION (INSUFFICIENT_METER_DATA); an unknown data center
        NOT_FOUND; a reversed interval or a non-subsystem INVALID_ARGUMENT at the field."""
        code, _, reason = fail(api.tel.GetPue, pb.GetPueRequest(data_center="dataCenters/fz-a"))
        assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_METER_DATA")
        code, _, _ = fail(api.tel.GetPue, pb.GetPueRequest(data_center="dataCenters/nowhere"))
        assert code == grpc.StatusCode.NOT_FOUND
        t = now()
        code, fields, _ = fail(
            api.tel.GetPue,
            pb.GetPueRequest(data_center="dataCenters/fz-a", interval=interval(t, t - STEP)),
        )
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert "interval.start_time" in fields
        code, fields, _ = fail(
            api.tel.GetPue,
            pb.GetPueRequest(data_center="dataCenters/fz-a", subsystem=pb.METERING_POINT_IT_INPUT),
        )
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert "subsystem" in fields

    def test_compliance_without_readings_uses_design_and_filters(self, api: Api) -> None:
        """With no readings every site is judged on design PUE; a province filter narrows."""
        report = api.tel.GetComplianceReport(
            pb.GetComplianceReportRequest(filter='province = "Fujian"')
        )
        entries = {e.data_center: e for e in report.entries}
        assert set(entries) == {"dataCenters/fz-a", "dataCenters/fz-b"}
        a = entries["dataCenters/fz-a"]
        assert (a.basis, a.pue, a.coverage, a.compliant) == (
            common_pb2.PUE_BASIS_DESIGN,
            1.4,
            0.0,
            False,
        )
        assert a.excess == pytest.approx(0.1)
        assert not report.city_averages


class TestUtilization:
    def test_rows_follow_allocations(self, api: Api) -> None:
        """A placed job shows as allocated accelerators and PFLOPS in its data center, pool,
        model and tenant rows; the tenant's total is the network's."""
        spec = spb.JobSpec(
            kind=spb.JOB_KIND_TRAINING,
            replicas=2,
            replica=spb.ReplicaSpec(accelerator_count=4, cpu_milli=1000, memory_mib=1024),
            residency=spb.Residency(allowed_regions=["regions/anhui-wuhu"]),
        )
        api.sched.SubmitJob(spb.SubmitJobRequest(parent="tenants/acme", spec=spec))

        def rows(
            group: pb.UtilizationGroupBy, flt: str = ""
        ) -> tuple[dict[str, pb.UtilizationRow], Any]:
            reply = api.tel.GetUtilization(pb.GetUtilizationRequest(group_by=group, filter=flt))
            return {r.key: r for r in reply.rows}, reply

        by_dc, reply = rows(pb.UTILIZATION_GROUP_BY_DATA_CENTER)
        assert set(by_dc) == {"dataCenters/fz-a", "dataCenters/fz-b", "dataCenters/wuhu"}
        w = by_dc["dataCenters/wuhu"]
        assert (w.allocated_accelerators, w.total_accelerators) == (8.0, 16.0)
        assert w.utilization == pytest.approx(0.5)
        assert w.allocated_pflops == pytest.approx(8 * 400.0 / 1000)
        assert w.total_pflops == pytest.approx(16 * 400.0 / 1000)
        assert w.running_jobs == 1
        assert reply.total.total_accelerators == 48.0
        assert reply.total.allocated_accelerators == 8.0
        assert 0.0 < reply.ai_compute_share < 1.0
        by_pool, _ = rows(pb.UTILIZATION_GROUP_BY_POOL)
        assert by_pool["dataCenters/wuhu/pools/gpu-pool"].allocated_accelerators == 8.0
        by_model, _ = rows(pb.UTILIZATION_GROUP_BY_ACCELERATOR_MODEL)
        assert by_model["acceleratorModels/gpu"].allocated_accelerators == 8.0
        by_tenant, _ = rows(pb.UTILIZATION_GROUP_BY_TENANT)
        t = by_tenant["tenants/acme"]
        assert (t.allocated_accelerators, t.total_accelerators) == (8.0, 48.0)
        filtered, reply = rows(pb.UTILIZATION_GROUP_BY_DATA_CENTER, 'region = "fujian-fuzhou"')
        assert list(filtered) == ["dataCenters/fz-a"]
        assert reply.total.allocated_accelerators == 0.0
