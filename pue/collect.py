"""Pull collector: scrape meter endpoints over HTTP and turn their bodies into Readings.

Two formats are understood:

* Prometheus text exposition (PDU, UPS and power-meter exporters). Configuration maps a
  sample name plus a label subset to one meter, with the unit of the value: a cumulative
  counter in kWh, Wh or J, or a power gauge in W or kW.
* Redfish JSON from a BMC or PDU: the legacy ``/redfish/v1/Chassis/{id}/Power`` resource
  (``PowerControl[i].PowerConsumedWatts``) and the newer excerpt shape used by
  ``EnvironmentMetrics``, ``PowerDistributionMetrics`` and the ``PowerSubsystem`` power
  supplies' ``PowerSupplyMetrics`` (``EnergykWh.Reading``, ``PowerWatts.Reading`` or
  ``InputPowerWatts.Reading``).

Fetching retries timeouts, transport errors, 429 and 5xx with exponential backoff and
seedable jitter. One target's failure is logged and counted and never stops the others or
the loop. The HTTP client, the clock and the sleep are injected, so tests run against
``httpx.MockTransport`` without waiting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import math
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Timestamp
from structlog.typing import FilteringBoundLogger

from pue.domain import Reading

__all__ = [
    "CollectError",
    "Collector",
    "CollectorConfig",
    "EnergyUnit",
    "FetchError",
    "ParseError",
    "ParseResult",
    "PowerUnit",
    "PrometheusSeries",
    "PrometheusTarget",
    "RedfishTarget",
    "RetryPolicy",
    "Sink",
    "Target",
    "TargetStats",
    "backoff_delay",
    "parse_prometheus",
    "parse_redfish",
]


class CollectError(Exception):
    """A target could not be scraped; the collector logs it, counts it and carries on."""


class FetchError(CollectError):
    """The HTTP exchange failed: every attempt timed out, errored or got a bad status."""

    def __init__(self, message: str, *, status_code: int | None, attempts: int) -> None:
        super().__init__(message)
        self.status_code = status_code
        """Last HTTP status received, or None if no response came back."""
        self.attempts = attempts
        """How many requests were made."""


class ParseError(CollectError):
    """The body is not the format the target is configured for."""


class EnergyUnit(enum.StrEnum):
    """Unit of a cumulative energy counter."""

    KWH = "kWh"
    WH = "Wh"
    J = "J"


class PowerUnit(enum.StrEnum):
    """Unit of a power gauge."""

    W = "W"
    KW = "kW"


_KWH_PER = {EnergyUnit.KWH: 1.0, EnergyUnit.WH: 1e-3, EnergyUnit.J: 1.0 / 3.6e6}
_KW_PER = {PowerUnit.W: 1e-3, PowerUnit.KW: 1.0}

# Statuses worth retrying: the server said "later" or failed on its side.
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class PrometheusSeries:
    """Which Prometheus sample feeds which meter, and in what unit."""

    meter_id: str
    """The meter the sample's value belongs to."""
    metric: str
    """Sample name as exposed, e.g. ``pdu_energy_wh_total``; a counter's name without
    ``_total`` also matches its ``_total`` sample."""
    unit: EnergyUnit | PowerUnit
    """An EnergyUnit makes the value a cumulative counter, a PowerUnit a power gauge."""
    labels: tuple[tuple[str, str], ...] = ()
    """Label pairs the sample must carry (a subset of its labels); exactly one sample
    must match."""


@dataclass(frozen=True, slots=True)
class PrometheusTarget:
    """A Prometheus text-exposition endpoint and the series read from it."""

    url: str
    """Full URL of the exposition, e.g. ``http://pdu-3:9100/metrics``."""
    series: tuple[PrometheusSeries, ...]
    """The series to turn into readings."""
    name: str = ""
    """Name in logs and stats; the URL when empty."""


@dataclass(frozen=True, slots=True)
class RedfishTarget:
    """A Redfish resource that reports the power or energy of one meter."""

    url: str
    """Full URL of the resource, e.g. ``https://bmc/redfish/v1/Chassis/1/Power``."""
    meter_id: str
    """The meter this resource measures."""
    power_control_index: int = 0
    """Which ``PowerControl`` member to read in the legacy Power resource."""
    name: str = ""
    """Name in logs and stats; the URL when empty."""


Target = PrometheusTarget | RedfishTarget
"""Anything the collector can scrape."""

Sink = Callable[[Sequence[Reading]], Awaitable[None]]
"""Async callable that receives each scrape's readings (e.g. the ingest path)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a failed request is retried."""

    max_attempts: int = 3
    """Requests per target per scrape, the first included."""
    base_delay_s: float = 0.5
    """Delay before the first retry, before jitter; doubles on each further retry."""
    max_delay_s: float = 10.0
    """Ceiling on the delay before jitter."""
    jitter: float = 0.5
    """Fraction of the delay taken away at random (0 = none, 1 = full jitter), so that
    collectors restarted together do not retry in lockstep."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("delays must be non-negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be in [0, 1]")


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    """What to scrape and how often."""

    targets: tuple[Target, ...]
    """Endpoints to scrape on every tick."""
    interval_s: float = 60.0
    """Seconds from the start of one scrape round to the start of the next."""
    timeout_s: float = 5.0
    """Timeout of each HTTP request (connect, read, write and pool)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Retry policy for each target."""
    max_concurrency: int = 32
    """Targets scraped at the same time, so a large fleet does not open thousands of
    sockets at once."""
    seed: int | None = None
    """Seed of the jitter generator; set it for reproducible delays."""

    def __post_init__(self) -> None:
        if self.interval_s <= 0 or self.timeout_s <= 0:
            raise ValueError("interval_s and timeout_s must be positive")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Readings parsed from one body, and the configured meters that could not be read."""

    readings: tuple[Reading, ...]
    """One reading per meter found."""
    problems: tuple[str, ...] = ()
    """One message per configured meter missing or unusable in the body."""


@dataclass(frozen=True, slots=True)
class TargetStats:
    """Counters of one target since the collector started."""

    target: str
    """Target name (or URL)."""
    scrapes_ok: int = 0
    """Scrapes that returned a parsable body."""
    scrapes_failed: int = 0
    """Scrapes that failed after all retries, or whose body could not be parsed."""
    retries: int = 0
    """Requests repeated after a retryable failure."""
    readings: int = 0
    """Readings produced."""
    missing_series: int = 0
    """Configured meters absent or unusable in otherwise good bodies."""
    last_error: str | None = None
    """Message of the most recent failure, if any."""


# ---------------------------------------------------------------------------------------
# Parsing (pure)
# ---------------------------------------------------------------------------------------


def _finite_non_negative(value: object) -> float | None:
    # bool is an int in Python but never a meter value.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _sample_time(timestamp: float | Timestamp | None, scraped_at: datetime) -> datetime:
    if timestamp is None:
        return scraped_at
    seconds = (
        timestamp.sec + timestamp.nsec / 1e9 if isinstance(timestamp, Timestamp) else timestamp
    )
    return datetime.fromtimestamp(seconds, UTC)


def _reading_from_value(
    meter_id: str, value: float, unit: EnergyUnit | PowerUnit, at: datetime
) -> Reading:
    if isinstance(unit, EnergyUnit):
        return Reading(meter_id, at, energy_kwh=value * _KWH_PER[unit])
    return Reading(meter_id, at, power_kw=value * _KW_PER[unit])


def parse_prometheus(
    text: str, series: Sequence[PrometheusSeries], *, scraped_at: datetime
) -> ParseResult:
    """Readings from a Prometheus text exposition.

    A sample's own timestamp is used when it has one, else `scraped_at`. Raises
    ParseError when the body is not valid exposition text or holds no sample at all.
    """
    try:
        samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    except ValueError as exc:
        raise ParseError(f"not Prometheus text exposition: {exc}") from exc
    if not samples:
        raise ParseError("the exposition holds no samples")

    readings: list[Reading] = []
    problems: list[str] = []
    for wanted in series:
        names = {wanted.metric, f"{wanted.metric}_total"}
        required = dict(wanted.labels)
        matches = [
            s
            for s in samples
            if s.name in names and all(s.labels.get(k) == v for k, v in required.items())
        ]
        if len(matches) != 1:
            what = "no sample" if not matches else f"{len(matches)} samples"
            problems.append(
                f"meter {wanted.meter_id}: {what} match {wanted.metric}{required or ''}"
            )
            continue
        value = _finite_non_negative(matches[0].value)
        if value is None:
            problems.append(
                f"meter {wanted.meter_id}: {wanted.metric} has unusable value {matches[0].value}"
            )
            continue
        at = _sample_time(matches[0].timestamp, scraped_at)
        readings.append(_reading_from_value(wanted.meter_id, value, wanted.unit, at))
    return ParseResult(tuple(readings), tuple(problems))


def _excerpt_reading(doc: Mapping[str, Any], key: str) -> float | None:
    """``doc[key]["Reading"]`` of a Redfish sensor excerpt, None when absent or null."""
    if key not in doc or doc[key] is None:
        return None
    excerpt = doc[key]
    if not isinstance(excerpt, Mapping):
        raise ParseError(f"Redfish {key} is not an object")
    raw = excerpt.get("Reading")
    if raw is None:
        return None
    value = _finite_non_negative(raw)
    if value is None:
        raise ParseError(f"Redfish {key}.Reading is not a non-negative number: {raw!r}")
    return value


def parse_redfish(
    body: str | bytes | Mapping[str, Any],
    *,
    meter_id: str,
    scraped_at: datetime,
    power_control_index: int = 0,
) -> ParseResult:
    """One reading from a Redfish Power, EnvironmentMetrics-like or PowerSupplyMetrics body.

    Redfish sensor excerpts carry no timestamp, so the reading is stamped `scraped_at`.
    Raises ParseError when the body is not JSON or has none of the known shapes.
    """
    if isinstance(body, Mapping):
        doc: object = body
    else:
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise ParseError(f"Redfish body is not JSON: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise ParseError("Redfish body is not a JSON object")

    if "PowerControl" in doc:
        controls = doc["PowerControl"]
        if not isinstance(controls, list):
            raise ParseError("Redfish PowerControl is not an array")
        if not 0 <= power_control_index < len(controls) or not isinstance(
            controls[power_control_index], Mapping
        ):
            return ParseResult(
                (), (f"meter {meter_id}: no PowerControl member {power_control_index}",)
            )
        raw = controls[power_control_index].get("PowerConsumedWatts")
        if raw is None:
            # A BMC reports null while its power sensor is unavailable.
            return ParseResult((), (f"meter {meter_id}: PowerConsumedWatts is null",))
        watts = _finite_non_negative(raw)
        if watts is None:
            raise ParseError(f"Redfish PowerConsumedWatts is not a non-negative number: {raw!r}")
        return ParseResult((Reading(meter_id, scraped_at, power_kw=watts / 1000.0),))

    if not any(k in doc for k in ("EnergykWh", "PowerWatts", "InputPowerWatts")):
        raise ParseError(
            "Redfish body has neither PowerControl nor EnergykWh / PowerWatts / InputPowerWatts"
        )
    energy = _excerpt_reading(doc, "EnergykWh")
    watts = _excerpt_reading(doc, "PowerWatts")
    if watts is None:
        watts = _excerpt_reading(doc, "InputPowerWatts")
    if energy is None and watts is None:
        return ParseResult((), (f"meter {meter_id}: every Redfish reading is null",))
    power_kw = None if watts is None else watts / 1000.0
    return ParseResult((Reading(meter_id, scraped_at, energy_kwh=energy, power_kw=power_kw),))


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    base × 2^(attempt-1), capped at max_delay, then reduced by up to `jitter` of itself.
    """
    capped = min(policy.max_delay_s, policy.base_delay_s * 2.0 ** (attempt - 1))
    return capped * (1.0 - policy.jitter * rng.random())


# ---------------------------------------------------------------------------------------
# The collector
# ---------------------------------------------------------------------------------------


def _target_name(target: Target) -> str:
    return target.name or target.url


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Collector:
    """Scrapes every configured target each interval and hands the readings to a sink."""

    def __init__(
        self,
        config: CollectorConfig,
        client: httpx.AsyncClient,
        sink: Sink,
        *,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        logger: FilteringBoundLogger | None = None,
    ) -> None:
        self._config = config
        self._client = client
        self._sink = sink
        self._clock = clock
        self._sleep = sleep
        self._log: FilteringBoundLogger = (
            logger if logger is not None else structlog.get_logger("pue.collect")
        )
        self._rng = random.Random(config.seed)
        self._stats = {_target_name(t): TargetStats(_target_name(t)) for t in config.targets}
        self.sink_errors = 0
        """Scrape rounds whose readings the sink refused."""

    def stats(self) -> dict[str, TargetStats]:
        """A snapshot of every target's counters, keyed by target name."""
        return dict(self._stats)

    def _bump(self, name: str, *, error: str | None = None, **increments: int) -> None:
        current = self._stats[name]
        changes: dict[str, Any] = {k: getattr(current, k) + v for k, v in increments.items()}
        if error is not None:
            changes["last_error"] = error
        self._stats[name] = dataclasses.replace(current, **changes)

    async def _fetch(self, target: Target) -> str:
        name = _target_name(target)
        policy = self._config.retry
        last_error = ""
        last_status: int | None = None
        for attempt in range(1, policy.max_attempts + 1):
            try:
                response = await self._client.get(target.url, timeout=self._config.timeout_s)
            except httpx.TimeoutException as exc:
                last_error, last_status = f"timeout ({type(exc).__name__})", None
            except httpx.TransportError as exc:
                last_error, last_status = f"transport error: {exc}", None
            else:
                if response.is_success:
                    return response.text
                last_error, last_status = f"HTTP {response.status_code}", response.status_code
                if response.status_code not in _RETRYABLE_STATUS:
                    raise FetchError(last_error, status_code=last_status, attempts=attempt)
            if attempt < policy.max_attempts:
                delay = backoff_delay(attempt, policy, self._rng)
                self._bump(name, retries=1)
                self._log.info(
                    "pue.collect.retry",
                    target=name,
                    attempt=attempt,
                    error=last_error,
                    delay_s=round(delay, 3),
                )
                await self._sleep(delay)
        raise FetchError(
            f"{last_error} after {policy.max_attempts} attempts",
            status_code=last_status,
            attempts=policy.max_attempts,
        )

    def _parse(self, target: Target, body: str, scraped_at: datetime) -> ParseResult:
        if isinstance(target, PrometheusTarget):
            return parse_prometheus(body, target.series, scraped_at=scraped_at)
        return parse_redfish(
            body,
            meter_id=target.meter_id,
            scraped_at=scraped_at,
            power_control_index=target.power_control_index,
        )

    async def _scrape_target(self, target: Target, gate: asyncio.Semaphore) -> list[Reading]:
        name = _target_name(target)
        try:
            async with gate:
                body = await self._fetch(target)
            result = self._parse(target, body, self._clock())
        except CollectError as exc:
            self._bump(name, scrapes_failed=1, error=str(exc))
            self._log.warning(
                "pue.collect.target_failed",
                target=name,
                error=str(exc),
                error_type=type(exc).__name__,
            )
            return []
        except Exception as exc:
            # A bug or an unexpected library error on one target must not stop the rest.
            self._bump(name, scrapes_failed=1, error=repr(exc))
            self._log.exception("pue.collect.target_crashed", target=name)
            return []
        for problem in result.problems:
            self._log.warning("pue.collect.series_missing", target=name, problem=problem)
        self._bump(
            name,
            scrapes_ok=1,
            readings=len(result.readings),
            missing_series=len(result.problems),
        )
        return list(result.readings)

    async def scrape_once(self) -> list[Reading]:
        """Scrape every target once, pass the readings to the sink, and return them."""
        gate = asyncio.Semaphore(self._config.max_concurrency)
        batches = await asyncio.gather(
            *(self._scrape_target(t, gate) for t in self._config.targets)
        )
        readings = [r for batch in batches for r in batch]
        if readings:
            try:
                await self._sink(readings)
            except Exception:
                self.sink_errors += 1
                self._log.exception("pue.collect.sink_failed", readings=len(readings))
        return readings

    async def run(self, stop_event: asyncio.Event) -> None:
        """Scrape every `interval_s` until `stop_event` is set; never raises on target errors."""
        loop = asyncio.get_running_loop()
        while not stop_event.is_set():
            started = loop.time()
            await self.scrape_once()
            remaining = self._config.interval_s - (loop.time() - started)
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=max(0.0, remaining))
            except TimeoutError:
                continue
