"""Tests of the pull collector against httpx.MockTransport: parsing, retries and failures."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx
import pytest
from structlog.testing import capture_logs

from pue.collect import (
    Collector,
    CollectorConfig,
    EnergyUnit,
    ParseError,
    PowerUnit,
    PrometheusSeries,
    PrometheusTarget,
    RedfishTarget,
    RetryPolicy,
    Target,
    backoff_delay,
    parse_prometheus,
    parse_redfish,
)
from pue.domain import Reading

NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

EXPOSITION = """\
# HELP dc_energy_wh_total Energy through each utility feed.
# TYPE dc_energy_wh_total counter
dc_energy_wh_total{feed="A"} 1.5e6
dc_energy_wh_total{feed="B"} 2500000
# TYPE pdu_energy_joules_total counter
pdu_energy_joules_total{pdu="p1",room="r2"} 7.2e9
# TYPE rack_power_watts gauge
rack_power_watts{rack="r1"} 12500
ups_output_power_kw 80.5 1735689600000
"""

SERIES = (
    PrometheusSeries("feed-a", "dc_energy_wh", EnergyUnit.WH, (("feed", "A"),)),
    PrometheusSeries("feed-b", "dc_energy_wh_total", EnergyUnit.WH, (("feed", "B"),)),
    PrometheusSeries("pdu-1", "pdu_energy_joules_total", EnergyUnit.J, (("pdu", "p1"),)),
    PrometheusSeries("rack-1", "rack_power_watts", PowerUnit.W, (("rack", "r1"),)),
    PrometheusSeries("ups-1", "ups_output_power_kw", PowerUnit.KW),
)

LEGACY_POWER = {
    "@odata.id": "/redfish/v1/Chassis/1/Power",
    "@odata.type": "#Power.v1_7_1.Power",
    "PowerControl": [
        {"MemberId": "0", "PowerConsumedWatts": 590, "PowerCapacityWatts": 1600},
        {"MemberId": "1", "PowerConsumedWatts": 410.5},
    ],
}

ENVIRONMENT_METRICS = {
    "@odata.id": "/redfish/v1/Chassis/1/EnvironmentMetrics",
    "@odata.type": "#EnvironmentMetrics.v1_3_0.EnvironmentMetrics",
    "PowerWatts": {"Reading": 374.5, "DataSourceUri": "/redfish/v1/Chassis/1/Sensors/Power"},
    "EnergykWh": {"Reading": 4000.25, "LifetimeReading": 9000.0},
}

POWER_SUPPLY_METRICS = {
    "@odata.id": "/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies/0/Metrics",
    "@odata.type": "#PowerSupplyMetrics.v1_1_0.PowerSupplyMetrics",
    "InputPowerWatts": {"Reading": 512.0},
    "OutputPowerWatts": {"Reading": 480.0},
    "EnergykWh": {"Reading": 123.5},
}


class Recorder:
    """Collects what the collector hands over: sink batches and requested sleeps."""

    def __init__(self) -> None:
        self.batches: list[list[Reading]] = []
        self.sleeps: list[float] = []

    async def sink(self, readings: Sequence[Reading]) -> None:
        self.batches.append(list(readings))

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


Handler = Callable[[httpx.Request], httpx.Response]


async def scrape(
    targets: Sequence[Target],
    handler: Handler,
    recorder: Recorder,
    *,
    retry: RetryPolicy | None = None,
    seed: int | None = 1,
) -> tuple[list[Reading], Collector]:
    config = CollectorConfig(
        targets=tuple(targets), retry=retry or RetryPolicy(), timeout_s=0.5, seed=seed
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        collector = Collector(
            config, client, recorder.sink, clock=lambda: NOW, sleep=recorder.sleep
        )
        readings = await collector.scrape_once()
    return readings, collector


def by_meter(readings: Sequence[Reading]) -> dict[str, Reading]:
    return {r.meter_id: r for r in readings}


class TestParsePrometheus:
    def test_units_are_converted(self) -> None:
        """Wh, J, W become kWh, kW: 1.5e6 Wh = 1500 kWh, 7.2e9 J = 2000 kWh, 12500 W = 12.5 kW."""
        result = parse_prometheus(EXPOSITION, SERIES, scraped_at=NOW)
        got = by_meter(result.readings)
        assert result.problems == ()
        assert got["feed-a"].energy_kwh == pytest.approx(1500.0)
        assert got["feed-b"].energy_kwh == pytest.approx(2500.0)
        assert got["pdu-1"].energy_kwh == pytest.approx(7.2e9 / 3.6e6)
        assert got["rack-1"].power_kw == pytest.approx(12.5)
        assert got["rack-1"].energy_kwh is None
        assert got["ups-1"].power_kw == pytest.approx(80.5)

    def test_sample_timestamp_wins_over_scrape_time(self) -> None:
        """A sample's own timestamp (ms since epoch) is kept; others get the scrape time."""
        got = by_meter(parse_prometheus(EXPOSITION, SERIES, scraped_at=NOW).readings)
        assert got["ups-1"].timestamp == datetime(2025, 1, 1, tzinfo=UTC)
        assert got["feed-a"].timestamp == NOW

    def test_missing_and_ambiguous_series_are_reported(self) -> None:
        """A series absent from the body, or matching two samples, is a problem, not a crash."""
        series = (
            *SERIES[:1],
            PrometheusSeries("ghost", "no_such_metric", EnergyUnit.KWH),
            PrometheusSeries("both-feeds", "dc_energy_wh_total", EnergyUnit.WH),
        )
        result = parse_prometheus(EXPOSITION, series, scraped_at=NOW)
        assert [r.meter_id for r in result.readings] == ["feed-a"]
        assert len(result.problems) == 2
        assert "ghost" in result.problems[0]
        assert "2 samples" in result.problems[1]

    def test_negative_value_is_a_problem(self) -> None:
        """A negative or NaN value is not turned into a reading."""
        body = "m_power_watts -5\nm_energy_kwh NaN\n"
        series = (
            PrometheusSeries("a", "m_power_watts", PowerUnit.W),
            PrometheusSeries("b", "m_energy_kwh", EnergyUnit.KWH),
        )
        result = parse_prometheus(body, series, scraped_at=NOW)
        assert result.readings == ()
        assert len(result.problems) == 2

    @pytest.mark.parametrize("body", ["<html>502 Bad Gateway</html>", '{"a": 1}', "foo bar", ""])
    def test_malformed_body_raises(self, body: str) -> None:
        """A body that is not exposition text, or holds no sample, is a ParseError."""
        with pytest.raises(ParseError):
            parse_prometheus(body, SERIES, scraped_at=NOW)


class TestParseRedfish:
    def test_legacy_power_control(self) -> None:
        """PowerControl[0].PowerConsumedWatts 590 W becomes 0.59 kW at the scrape time."""
        result = parse_redfish(json.dumps(LEGACY_POWER), meter_id="srv-1", scraped_at=NOW)
        (reading,) = result.readings
        assert reading.power_kw == pytest.approx(0.59)
        assert reading.energy_kwh is None
        assert reading.timestamp == NOW

    def test_legacy_power_control_member(self) -> None:
        """The configured PowerControl member is read: member 1 is 410.5 W."""
        result = parse_redfish(
            LEGACY_POWER, meter_id="srv-1", scraped_at=NOW, power_control_index=1
        )
        assert result.readings[0].power_kw == pytest.approx(0.4105)

    def test_environment_metrics(self) -> None:
        """EnergykWh.Reading is the counter and PowerWatts.Reading the power (374.5 W)."""
        result = parse_redfish(json.dumps(ENVIRONMENT_METRICS), meter_id="pdu-9", scraped_at=NOW)
        (reading,) = result.readings
        assert reading.energy_kwh == pytest.approx(4000.25)
        assert reading.power_kw == pytest.approx(0.3745)

    def test_power_supply_metrics(self) -> None:
        """A PowerSubsystem power supply's InputPowerWatts (512 W) and EnergykWh are read."""
        result = parse_redfish(POWER_SUPPLY_METRICS, meter_id="psu-0", scraped_at=NOW)
        (reading,) = result.readings
        assert reading.energy_kwh == pytest.approx(123.5)
        assert reading.power_kw == pytest.approx(0.512)

    def test_null_reading_is_a_problem(self) -> None:
        """A null PowerConsumedWatts (sensor unavailable) yields no reading and a problem."""
        body = {"PowerControl": [{"PowerConsumedWatts": None}]}
        result = parse_redfish(body, meter_id="srv-1", scraped_at=NOW)
        assert result.readings == ()
        assert "null" in result.problems[0]

    @pytest.mark.parametrize(
        "body",
        [
            "not json at all",
            "[1, 2, 3]",
            json.dumps({"Id": "1", "Name": "Chassis"}),
            json.dumps({"PowerControl": "590"}),
            json.dumps({"PowerWatts": {"Reading": "lots"}}),
        ],
    )
    def test_malformed_body_raises(self, body: str) -> None:
        """Non-JSON, non-objects, unknown shapes and non-numeric readings are ParseErrors."""
        with pytest.raises(ParseError):
            parse_redfish(body, meter_id="srv-1", scraped_at=NOW)


class TestBackoff:
    def test_delay_doubles_and_is_capped(self) -> None:
        """Without jitter the delays are base, 2 × base, 4 × base, then the cap."""
        policy = RetryPolicy(max_attempts=5, base_delay_s=0.5, max_delay_s=3.0, jitter=0.0)
        rng = random.Random(0)
        assert [backoff_delay(a, policy, rng) for a in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]

    def test_jitter_is_bounded_and_seedable(self) -> None:
        """With jitter 0.5 each delay lies in [d/2, d], and the same seed repeats it."""
        policy = RetryPolicy(base_delay_s=1.0, max_delay_s=60.0, jitter=0.5)
        first = [backoff_delay(a, policy, random.Random(42)) for a in (1, 2, 3)]
        again = [backoff_delay(a, policy, random.Random(42)) for a in (1, 2, 3)]
        assert first == again
        for attempt, delay in zip((1, 2, 3), first, strict=True):
            full = 2.0 ** (attempt - 1)
            assert full / 2 <= delay <= full


class TestCollector:
    def test_scrape_once_feeds_the_sink(self) -> None:
        """One Prometheus and one Redfish target yield 6 readings, handed to the sink at once."""

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/metrics":
                return httpx.Response(200, text=EXPOSITION)
            return httpx.Response(200, json=ENVIRONMENT_METRICS)

        targets: list[Target] = [
            PrometheusTarget("http://pdu-gw/metrics", SERIES),
            RedfishTarget("https://bmc-1/redfish/v1/Chassis/1/EnvironmentMetrics", "srv-1"),
        ]
        recorder = Recorder()
        readings, collector = asyncio.run(scrape(targets, handler, recorder))
        assert len(readings) == 6
        assert recorder.batches == [readings]
        assert recorder.sleeps == []
        stats = collector.stats()
        assert stats["http://pdu-gw/metrics"].readings == 5
        assert stats["http://pdu-gw/metrics"].scrapes_ok == 1

    def test_timeout_then_success(self) -> None:
        """A read timeout is retried after a jittered backoff and the second try succeeds."""
        calls = 0

        def handler(request: httpx.Request) -> httpx.Response:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise httpx.ReadTimeout("BMC too slow", request=request)
            return httpx.Response(200, json=LEGACY_POWER)

        recorder = Recorder()
        retry = RetryPolicy(max_attempts=3, base_delay_s=0.2, jitter=0.5)
        target = RedfishTarget("https://bmc-2/redfish/v1/Chassis/1/Power", "srv-2", name="bmc-2")
        readings, collector = asyncio.run(scrape([target], handler, recorder, retry=retry))
        assert calls == 2
        assert [r.power_kw for r in readings] == [pytest.approx(0.59)]
        assert len(recorder.sleeps) == 1
        assert 0.1 <= recorder.sleeps[0] <= 0.2
        stats = collector.stats()["bmc-2"]
        assert (stats.scrapes_ok, stats.scrapes_failed, stats.retries) == (1, 0, 1)

    def test_same_seed_same_delays(self) -> None:
        """Two collectors with the same seed wait the same jittered delays."""

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(503)

        target = RedfishTarget("https://bmc-3/redfish/v1/Chassis/1/Power", "srv-3")
        retry = RetryPolicy(max_attempts=4, base_delay_s=1.0, jitter=1.0)
        a, b = Recorder(), Recorder()
        asyncio.run(scrape([target], handler, a, retry=retry, seed=9))
        asyncio.run(scrape([target], handler, b, retry=retry, seed=9))
        assert len(a.sleeps) == 3
        assert a.sleeps == b.sleeps

    def test_server_error_exhausts_retries_and_is_reported(self) -> None:
        """A target answering 500 is tried max_attempts times, logged, counted; others still run."""
        calls: dict[str, int] = {}

        def handler(request: httpx.Request) -> httpx.Response:
            calls[request.url.host] = calls.get(request.url.host, 0) + 1
            if request.url.host == "broken":
                return httpx.Response(500, text="internal error")
            return httpx.Response(200, json=LEGACY_POWER)

        targets: list[Target] = [
            RedfishTarget("http://broken/redfish/v1/Chassis/1/Power", "srv-x", name="broken"),
            RedfishTarget("http://fine/redfish/v1/Chassis/1/Power", "srv-y", name="fine"),
        ]
        recorder = Recorder()
        retry = RetryPolicy(max_attempts=3, base_delay_s=0.5, max_delay_s=10.0, jitter=0.5)
        with capture_logs() as logs:
            readings, collector = asyncio.run(scrape(targets, handler, recorder, retry=retry))
        assert calls == {"broken": 3, "fine": 1}
        assert [r.meter_id for r in readings] == ["srv-y"]
        # Exponential: the second wait is drawn from twice the first one's range.
        assert len(recorder.sleeps) == 2
        assert 0.25 <= recorder.sleeps[0] <= 0.5
        assert 0.5 <= recorder.sleeps[1] <= 1.0
        broken = collector.stats()["broken"]
        assert (broken.scrapes_ok, broken.scrapes_failed, broken.retries) == (0, 1, 2)
        assert broken.last_error is not None
        assert "HTTP 500" in broken.last_error
        failures = [e for e in logs if e["event"] == "pue.collect.target_failed"]
        assert len(failures) == 1
        assert failures[0]["target"] == "broken"
        assert failures[0]["log_level"] == "warning"

    def test_client_error_is_not_retried(self) -> None:
        """A 404 will not fix itself: one request, no sleep, one failure."""
        calls = 0

        def handler(request: httpx.Request) -> httpx.Response:
            nonlocal calls
            calls += 1
            return httpx.Response(404)

        recorder = Recorder()
        target = RedfishTarget("http://bmc/redfish/v1/Chassis/9/Power", "srv-9", name="bmc")
        _, collector = asyncio.run(scrape([target], handler, recorder))
        assert calls == 1
        assert recorder.sleeps == []
        assert collector.stats()["bmc"].scrapes_failed == 1

    def test_malformed_body_is_reported(self) -> None:
        """An HTML error page where exposition text was expected fails that target only."""

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.host == "proxy":
                return httpx.Response(200, text="<html>login required</html>")
            return httpx.Response(200, text="{not json")

        targets: list[Target] = [
            PrometheusTarget("http://proxy/metrics", SERIES, name="prom"),
            RedfishTarget("http://bmc/redfish/v1/Chassis/1/Power", "srv-1", name="redfish"),
        ]
        recorder = Recorder()
        with capture_logs() as logs:
            readings, collector = asyncio.run(scrape(targets, handler, recorder))
        assert readings == []
        assert recorder.batches == []  # nothing to hand over
        assert recorder.sleeps == []  # a bad body is not retried
        for name in ("prom", "redfish"):
            stats = collector.stats()[name]
            assert stats.scrapes_failed == 1
        errors = {e["target"]: e["error_type"] for e in logs if "error_type" in e}
        assert errors == {"prom": "ParseError", "redfish": "ParseError"}

    def test_missing_series_logged_and_counted(self) -> None:
        """A configured series absent from a good body is counted and logged, the rest kept."""

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, text=EXPOSITION)

        series = (*SERIES, PrometheusSeries("ghost", "absent_metric", EnergyUnit.KWH))
        target = PrometheusTarget("http://pdu/metrics", series, name="pdu")
        recorder = Recorder()
        with capture_logs() as logs:
            readings, collector = asyncio.run(scrape([target], handler, recorder))
        assert len(readings) == 5
        stats = collector.stats()["pdu"]
        assert (stats.scrapes_ok, stats.missing_series) == (1, 1)
        assert any(e["event"] == "pue.collect.series_missing" for e in logs)

    def test_sink_failure_does_not_crash(self) -> None:
        """A sink that raises is logged and counted; scrape_once still returns the readings."""

        async def failing_sink(readings: Sequence[Reading]) -> None:
            raise RuntimeError("database is locked")

        async def go() -> tuple[list[Reading], Collector]:
            config = CollectorConfig(
                targets=(RedfishTarget("http://bmc/redfish/v1/Chassis/1/Power", "srv-1"),)
            )
            transport = httpx.MockTransport(lambda r: httpx.Response(200, json=LEGACY_POWER))
            async with httpx.AsyncClient(transport=transport) as client:
                collector = Collector(config, client, failing_sink, clock=lambda: NOW)
                return await collector.scrape_once(), collector

        with capture_logs():
            readings, collector = asyncio.run(go())
        assert len(readings) == 1
        assert collector.sink_errors == 1

    def test_run_loops_until_stopped(self) -> None:
        """run() scrapes repeatedly, survives a failing target, and returns when stopped."""
        rounds: list[int] = []

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.host == "down":
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, json=ENVIRONMENT_METRICS)

        async def go() -> Collector:
            stop = asyncio.Event()

            async def sink(readings: Sequence[Reading]) -> None:
                rounds.append(len(readings))
                if len(rounds) == 3:
                    stop.set()

            async def no_wait(seconds: float) -> None:
                return None

            config = CollectorConfig(
                targets=(
                    RedfishTarget("http://up/redfish/v1/Chassis/1/EnvironmentMetrics", "a"),
                    RedfishTarget("http://down/redfish/v1/Chassis/1/Power", "b", name="down"),
                ),
                interval_s=0.01,
                retry=RetryPolicy(max_attempts=2),
            )
            transport = httpx.MockTransport(handler)
            async with httpx.AsyncClient(transport=transport) as client:
                collector = Collector(config, client, sink, sleep=no_wait)
                await asyncio.wait_for(collector.run(stop), timeout=5.0)
            return collector

        with capture_logs():
            collector = asyncio.run(go())
        assert rounds == [1, 1, 1]
        down = collector.stats()["down"]
        assert (down.scrapes_failed, down.retries) == (3, 3)
        assert down.last_error is not None
        assert "transport error" in down.last_error

    def test_config_validation(self) -> None:
        """Nonsensical settings are refused up front."""
        with pytest.raises(ValueError, match="max_attempts"):
            RetryPolicy(max_attempts=0)
        with pytest.raises(ValueError, match="jitter"):
            RetryPolicy(jitter=1.5)
        with pytest.raises(ValueError, match="positive"):
            CollectorConfig(targets=(), interval_s=0)
