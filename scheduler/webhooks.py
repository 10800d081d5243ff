"""Webhooks for integrators: a tenant registers a URL, and every state change of its jobs is
POSTed there, signed, retried with backoff, and each attempt written to a delivery log.

The path of one job change::

    Engine._publish ──► subscriber queue ──► fan-out: the tenant's matching webhooks, taken
    from the store's in-memory index (no I/O), one delivery each ──► bounded delivery queue
    (full: dropped, with an error log line and a log row) ──► N workers: one HTTP attempt
    each under a total deadline ──► log row ──► on a retryable failure a timer puts the
    delivery back on the queue after an exponential, jittered backoff.

So a slow or dead receiver holds a worker for at most one timeout per attempt; it never
delays placement (the fan-out never waits on I/O) and never parks a worker in a backoff.

Guarantees and limits: at least once while the process runs (retries can repeat an event,
whose id stays the same); no ordering between events; deliveries still queued when the
process dies are lost (the queue is in memory; the log shows what was attempted). Body::

    {"id": "<event id>", "type": "job.state_changed", "time": "<RFC 3339>",
     "job": {"name": "tenants/t/jobs/j", "state": "RUNNING", "previous_state": "SCHEDULED",
             "data_center": "dataCenters/dc", ...}}

Headers: ``X-Computenet-Event-Id``, ``X-Computenet-Timestamp`` (Unix seconds),
``X-Computenet-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`` and
``X-Computenet-Attempt`` (from 1); receivers check them with
``clients.webhooks.verify_signature``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from computenet.config import Config
from computenet.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    QuotaViolation,
    ResourceExhausted,
    Violations,
)
from inventory.domain import check_id
from scheduler.domain import Job, JobState
from scheduler.engine import JobEvent
from scheduler.tables import DeliveryRow, WebhookRow

__all__ = [
    "DELIVERY_LOG_LIMIT",
    "EVENT_TYPE",
    "MAX_SECRET_LENGTH",
    "MAX_URL_LENGTH",
    "MAX_WEBHOOKS_PER_TENANT",
    "MIN_SECRET_LENGTH",
    "Delivery",
    "DeliveryPage",
    "DispatchSettings",
    "Dispatcher",
    "EventSource",
    "Webhook",
    "WebhookPage",
    "WebhookStore",
    "event_payload",
    "start_webhooks",
    "webhook_violations",
]

_log = structlog.get_logger("computenet.webhooks")

EVENT_TYPE = "job.state_changed"
MAX_URL_LENGTH = 2048
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 256
MAX_WEBHOOKS_PER_TENANT = 20
"""A fixed cap: each webhook multiplies the outbound traffic of a tenant's job changes."""
DELIVERY_LOG_LIMIT = 1000
"""Newest log rows kept per webhook by default; older ones are pruned as new ones come."""
_MAX_ERROR = 500
_USER_AGENT = "computenet-webhooks/1"


def _now() -> datetime:
    return datetime.now(UTC)


# -- domain -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Webhook:
    """A URL that receives a tenant's job events."""

    tenant: str
    """Tenant id."""
    id: str
    """Webhook id, unique in the tenant (empty on create: one is generated)."""
    url: str
    """http(s) URL the events are POSTed to."""
    states: frozenset[JobState] = frozenset()
    """Job states that trigger a delivery; empty means all."""
    secret: str = field(default="", repr=False)
    """HMAC-SHA256 signing secret; empty on webhooks read back for the API."""
    create_time: datetime | None = None
    """When it was registered."""
    uid: str = ""
    """Unique per registration: keys the delivery log across a delete and re-create."""

    @property
    def name(self) -> str:
        return f"tenants/{self.tenant}/webhooks/{self.id}"

    def wants(self, state: JobState) -> bool:
        """Whether a change into ``state`` is delivered."""
        return not self.states or state in self.states


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver an event to a webhook (or a record that none was made)."""

    webhook_uid: str
    """The webhook registration."""
    event_id: str
    """The event; the same on every attempt."""
    job: str
    """Name of the job the event is about."""
    state: JobState
    """The job state announced."""
    attempt: int
    """Attempt number, from 1."""
    attempt_time: datetime
    """When it was attempted (or dropped)."""
    http_status: int = 0
    """HTTP status, 0 when no answer came."""
    error: str = ""
    """Why it failed; empty when delivered."""
    delivered: bool = False
    """True when the receiver answered 2xx."""


@dataclass(frozen=True, slots=True)
class WebhookPage:
    """One page of a tenant's webhooks, by id."""

    webhooks: tuple[Webhook, ...]
    """The webhooks (without secrets)."""
    next_id: str | None
    """Resume after this id, or None on the last page."""


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    """One page of a webhook's delivery log, newest first."""

    deliveries: tuple[Delivery, ...]
    """The attempts."""
    next_seq: int | None
    """Resume below this log sequence number, or None on the last page."""


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """How deliveries are sent."""

    timeout_s: float = 5.0
    """Total deadline of one attempt (connect, send, answer)."""
    max_attempts: int = 5
    """Attempts per event, the first included."""
    backoff_s: float = 1.0
    """Delay before the first retry; it doubles per retry (with jitter)."""
    max_backoff_s: float = 60.0
    """Cap of one retry delay (a receiver's Retry-After included)."""
    workers: int = 8
    """Attempts in flight at once."""
    queue_size: int = 1000
    """Deliveries waiting for a worker; more are dropped."""

    @classmethod
    def from_config(cls, config: Config) -> DispatchSettings:
        return cls(
            timeout_s=config.webhook_timeout_seconds,
            max_attempts=config.webhook_max_attempts,
            backoff_s=config.webhook_backoff_seconds,
            max_backoff_s=config.webhook_max_backoff_seconds,
            workers=config.webhook_workers,
            queue_size=config.webhook_queue_size,
        )


def _url_problem(url: str) -> str | None:
    if not url:
        return "is required"
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "must not contain whitespace or control characters"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number in range
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        # It would be returned by ListWebhooks; the signature authenticates deliveries.
        return "must not carry a user name or password"
    return None


def webhook_violations(webhook: Webhook, *, request_id: str = "") -> list[FieldViolation]:
    """What is wrong with a webhook to register, as CreateWebhook field paths."""
    v = Violations()
    check_id(v, "parent", webhook.tenant)
    if webhook.id:
        check_id(v, "webhook_id", webhook.id)
    problem = _url_problem(webhook.url)
    if problem is not None:
        v.add("webhook.url", problem)
    if not webhook.secret:
        v.add("webhook.secret", "is required: deliveries are signed with it")
    elif not MIN_SECRET_LENGTH <= len(webhook.secret) <= MAX_SECRET_LENGTH:
        v.add(
            "webhook.secret",
            f"must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters long",
        )
    elif "\x00" in webhook.secret:
        v.add("webhook.secret", "must not contain NUL characters")
    if len(request_id) > 200 or "\x00" in request_id:
        v.add("request_id", "must be at most 200 characters, without NUL")
    return list(v.items)


# -- payload ------------------------------------------------------------------------------------


def _rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_payload(event: JobEvent, event_id: str) -> dict[str, Any]:
    """The JSON document POSTed for a job change."""
    job: Job = event.job
    p = job.placement
    return {
        "id": event_id,
        "type": EVENT_TYPE,
        "time": _rfc3339(job.update_time),
        "job": {
            "name": job.name,
            "tenant": f"tenants/{job.tenant}",
            "state": job.state.name,
            "previous_state": event.previous.name if event.previous else None,
            "state_message": job.state_message,
            "kind": job.spec.kind.name,
            "replicas": job.spec.replicas,
            "priority": job.spec.priority,
            "labels": dict(job.spec.labels),
            "data_center": f"dataCenters/{p.data_center}" if p else None,
            "accelerator_model": (
                f"acceleratorModels/{p.accelerator_model}" if p and p.accelerator_model else None
            ),
            "preemption_count": job.preemption_count,
            "create_time": _rfc3339(job.create_time),
            "update_time": _rfc3339(job.update_time),
            "start_time": _rfc3339(job.start_time),
            "end_time": _rfc3339(job.end_time),
        },
    }


def _signature(secret: str, timestamp: str, body: bytes) -> str:
    # The same formula as clients.webhooks.sign (the tests hold the two together); the
    # server does not import the client package.
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


# -- store --------------------------------------------------------------------------------------


def _hook_from_row(row: WebhookRow) -> Webhook:
    return Webhook(
        tenant=row.tenant,
        id=row.id,
        url=row.url,
        states=frozenset(JobState[s] for s in row.states),
        secret=row.secret,
        create_time=row.create_time,
        uid=row.uid,
    )


def _public(hook: Webhook) -> Webhook:
    return replace(hook, secret="")


def _delivery_from_row(row: DeliveryRow) -> Delivery:
    return Delivery(
        webhook_uid=row.webhook,
        event_id=row.event_id,
        job=row.job,
        state=JobState[row.state],
        attempt=row.attempt,
        attempt_time=row.attempt_time,
        http_status=row.http_status,
        error=row.error,
        delivered=row.delivered,
    )


class WebhookStore:
    """Webhooks and their delivery log over one SQLAlchemy engine, plus an in-memory index of
    the registered webhooks by tenant for the dispatcher, kept in step by ``create`` and
    ``delete`` and rebuilt by ``load`` (which also picks up other replicas' changes)."""

    def __init__(
        self,
        engine: DbEngine,
        *,
        clock: Callable[[], datetime] = _now,
        log_limit: int = DELIVERY_LOG_LIMIT,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._log_limit = log_limit
        self._write_lock = threading.Lock()
        # Copy-on-write: readers on the event loop take a reference, writers swap in new dicts.
        self._by_tenant: dict[str, tuple[Webhook, ...]] = {}
        self._by_uid: dict[str, Webhook] = {}

    # -- index (no I/O) ----------------------------------------------------------------------

    def matching(self, tenant: str, state: JobState) -> tuple[Webhook, ...]:
        """The tenant's webhooks that want a change into ``state`` (with their secrets)."""
        return tuple(h for h in self._by_tenant.get(tenant, ()) if h.wants(state))

    def active(self, uid: str) -> Webhook | None:
        """The registration ``uid`` if it still exists (with its secret)."""
        return self._by_uid.get(uid)

    def _swap(self, hooks: Iterable[Webhook]) -> None:
        by_tenant: dict[str, list[Webhook]] = {}
        by_uid: dict[str, Webhook] = {}
        for h in hooks:
            by_tenant.setdefault(h.tenant, []).append(h)
            by_uid[h.uid] = h
        self._by_tenant = {t: tuple(hs) for t, hs in by_tenant.items()}
        self._by_uid = by_uid

    def load(self) -> None:
        """Rebuild the index from the database."""
        with self._write_lock, Session(self._engine) as session:
            rows = session.exec(select(WebhookRow)).all()
            self._swap(_hook_from_row(r) for r in rows)

    # -- webhooks ----------------------------------------------------------------------------

    def create(self, webhook: Webhook, *, request_id: str = "") -> Webhook:
        """Register a webhook (an id is generated when it has none); a repeated
        ``request_id`` returns the webhook it created first. The answer carries no secret."""
        violations = webhook_violations(webhook, request_id=request_id)
        if violations:
            raise InvalidArgument("the webhook is invalid", violations)
        created = self._clock()
        hook = replace(
            webhook,
            id=webhook.id or f"wh-{uuid.uuid4().hex[:16]}",
            uid=uuid.uuid4().hex,
            create_time=created,
        )
        with self._write_lock, Session(self._engine) as session:
            if request_id:
                earlier = session.exec(
                    select(WebhookRow).where(
                        WebhookRow.tenant == hook.tenant, WebhookRow.request_id == request_id
                    )
                ).first()
                if earlier is not None:
                    return _public(_hook_from_row(earlier))
            count = session.exec(
                select(func.count()).select_from(WebhookRow).where(WebhookRow.tenant == hook.tenant)
            ).one()
            if count >= MAX_WEBHOOKS_PER_TENANT:
                raise ResourceExhausted(
                    f"tenants/{hook.tenant} has {count} webhooks, the most allowed",
                    [
                        QuotaViolation(
                            f"tenants/{hook.tenant}",
                            f"at most {MAX_WEBHOOKS_PER_TENANT} webhooks per tenant",
                        )
                    ],
                )
            session.add(
                WebhookRow(
                    uid=hook.uid,
                    tenant=hook.tenant,
                    id=hook.id,
                    url=hook.url,
                    states=sorted(s.name for s in hook.states),
                    secret=hook.secret,
                    request_id=request_id or None,
                    create_time=created,
                )
            )
            try:
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise AlreadyExists(f"webhook {hook.name} exists") from exc
            self._swap((*self._by_uid.values(), hook))
        return _public(hook)

    def _row(self, session: Session, tenant: str, webhook_id: str) -> WebhookRow:
        row = session.exec(
            select(WebhookRow).where(WebhookRow.tenant == tenant, WebhookRow.id == webhook_id)
        ).first()
        if row is None:
            raise NotFound(f"webhook tenants/{tenant}/webhooks/{webhook_id} does not exist")
        return row

    def get(self, tenant: str, webhook_id: str) -> Webhook:
        """A webhook, without its secret."""
        with Session(self._engine) as session:
            return _public(_hook_from_row(self._row(session, tenant, webhook_id)))

    def list(self, tenant: str, *, after_id: str | None = None, page_size: int = 50) -> WebhookPage:
        """The tenant's webhooks by id, without secrets."""
        query = select(WebhookRow).where(WebhookRow.tenant == tenant)
        if after_id is not None:
            query = query.where(col(WebhookRow.id) > after_id)
        with Session(self._engine) as session:
            rows = session.exec(query.order_by(col(WebhookRow.id)).limit(page_size + 1)).all()
        hooks = tuple(_public(_hook_from_row(r)) for r in rows[:page_size])
        return WebhookPage(hooks, hooks[-1].id if len(rows) > page_size and hooks else None)

    def delete(self, tenant: str, webhook_id: str) -> None:
        """Delete a webhook and its delivery log; deliveries in flight stop at their next try."""
        with self._write_lock, Session(self._engine) as session:
            row = self._row(session, tenant, webhook_id)
            uid = row.uid
            # Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only
            # with its foreign_keys pragma on.
            session.execute(sa.delete(DeliveryRow).where(col(DeliveryRow.webhook) == uid))
            session.delete(row)
            session.commit()
            self._swap(h for h in self._by_uid.values() if h.uid != uid)

    # -- delivery log ------------------------------------------------------------------------

    def record(self, deliveries: Sequence[Delivery]) -> int:
        """Append attempts to the log (those of deleted webhooks are skipped) and prune each
        webhook's log to its newest ``log_limit`` rows; returns the rows written."""
        if not deliveries:
            return 0
        with self._write_lock:
            try:
                return self._record(deliveries)
            except IntegrityError:
                # Another replica deleted a webhook between our check and our commit.
                return self._record(deliveries)

    def _record(self, deliveries: Sequence[Delivery]) -> int:
        with Session(self._engine) as session:
            uids = {d.webhook_uid for d in deliveries}
            live = set(
                session.exec(select(WebhookRow.uid).where(col(WebhookRow.uid).in_(uids))).all()
            )
            rows = [
                DeliveryRow(
                    webhook=d.webhook_uid,
                    event_id=d.event_id,
                    job=d.job,
                    state=d.state.name,
                    attempt=d.attempt,
                    attempt_time=d.attempt_time,
                    http_status=d.http_status,
                    error=d.error[:_MAX_ERROR],
                    delivered=d.delivered,
                )
                for d in deliveries
                if d.webhook_uid in live
            ]
            session.add_all(rows)
            session.flush()
            for uid in live:
                cutoff = (
                    select(DeliveryRow.seq)
                    .where(DeliveryRow.webhook == uid)
                    .order_by(col(DeliveryRow.seq).desc())
                    .offset(self._log_limit)
                    .limit(1)
                    .scalar_subquery()
                )
                session.execute(
                    sa.delete(DeliveryRow).where(
                        col(DeliveryRow.webhook) == uid, col(DeliveryRow.seq) <= cutoff
                    )
                )
            session.commit()
            return len(rows)

    def deliveries(
        self,
        tenant: str,
        webhook_id: str,
        *,
        before_seq: int | None = None,
        page_size: int = 50,
    ) -> DeliveryPage:
        """A webhook's logged attempts, newest first."""
        with Session(self._engine) as session:
            uid = self._row(session, tenant, webhook_id).uid
            query = select(DeliveryRow).where(DeliveryRow.webhook == uid)
            if before_seq is not None:
                query = query.where(col(DeliveryRow.seq) < before_seq)
            rows = session.exec(query.order_by(col(DeliveryRow.seq).desc()).limit(page_size + 1))
            rows_ = rows.all()
        page = rows_[:page_size]
        next_seq = page[-1].seq if len(rows_) > page_size and page else None
        return DeliveryPage(tuple(_delivery_from_row(r) for r in page), next_seq)


# -- dispatcher ---------------------------------------------------------------------------------


class EventSource(Protocol):
    """Where job changes come from (``scheduler.engine.Engine``)."""

    def subscribe(self) -> asyncio.Queue[JobEvent]: ...

    def unsubscribe(self, queue: asyncio.Queue[JobEvent]) -> None: ...


@dataclass(eq=False, slots=True)
class _Pending:
    """One event on its way to one webhook (compared by identity)."""

    webhook_uid: str
    event_id: str
    job: str
    state: JobState
    body: bytes
    attempt: int = 1


def _retry_after(value: str | None) -> float | None:
    """Seconds of a ``Retry-After`` given in seconds (an HTTP date is ignored)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < float("inf") else None


_MAX_PENDING_ROWS = 10_000


class Dispatcher:
    """Delivers job events to webhooks: fan-out, a bounded queue, a worker pool, retries.

    ``start()`` subscribes to the events and starts the tasks; ``await stop()`` stops them,
    logs every delivery it leaves unsent, and writes the log. The ``httpx.AsyncClient`` is
    injected and stays the caller's to close.
    """

    def __init__(
        self,
        store: WebhookStore,
        events: EventSource,
        client: httpx.AsyncClient,
        settings: DispatchSettings | None = None,
        *,
        clock: Callable[[], datetime] = _now,
        rng: random.Random | None = None,
        reload_seconds: float = 30.0,
    ) -> None:
        settings = settings or DispatchSettings()
        if settings.workers < 1 or settings.queue_size < 1 or settings.max_attempts < 1:
            raise ValueError("webhook workers, queue size and attempts must be at least 1")
        if settings.timeout_s <= 0:
            raise ValueError("the webhook timeout must be positive")
        self._store = store
        self._events = events
        self._client = client
        self._s = settings
        self._clock = clock
        self._rng = rng or random.Random()
        self._reload_s = reload_seconds
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue(maxsize=settings.queue_size)
        self._subscription: asyncio.Queue[JobEvent] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._writer: asyncio.Task[None] | None = None
        self._timers: dict[_Pending, asyncio.TimerHandle] = {}
        self._rows: list[Delivery] = []
        self._rows_ready = asyncio.Event()
        self._closing = False
        self.delivered = 0
        """Events delivered since start."""
        self.failed = 0
        """Events given up on after their last attempt."""
        self.dropped = 0
        """Deliveries dropped because the queue was full."""

    def start(self) -> None:
        """Subscribe to the events and start the fan-out, the workers and the log writer."""
        if self._subscription is not None:
            raise RuntimeError("the dispatcher is already started")
        self._subscription = self._events.subscribe()
        spawn = asyncio.get_running_loop().create_task
        self._tasks = [spawn(self._fan_out(self._subscription), name="webhook-fan-out")]
        self._tasks += [spawn(self._work(), name=f"webhook-{i}") for i in range(self._s.workers)]
        if self._reload_s > 0:
            self._tasks.append(spawn(self._reload(), name="webhook-reload"))
        self._writer = spawn(self._write_log(), name="webhook-log")

    async def stop(self) -> None:
        """Stop: attempts in flight are cancelled, and those and every queued or waiting
        delivery get a log row saying they were not completed; then the log is written."""
        if self._subscription is None or self._closing:
            return
        self._events.unsubscribe(self._subscription)
        self._closing = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        unsent = list(self._timers)
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        while not self._queue.empty():
            unsent.append(self._queue.get_nowait())
        for p in unsent:
            self._log_row(p, error="not attempted: the server stopped")
        if unsent:
            _log.warning("webhook deliveries left unsent at stop", count=len(unsent))
        self._rows_ready.set()
        if self._writer is not None:
            await self._writer

    # -- fan-out -----------------------------------------------------------------------------

    async def _fan_out(self, subscription: asyncio.Queue[JobEvent]) -> None:
        # Never awaits anything but the next event: the engine drops a subscriber that
        # falls 10,000 events behind.
        while True:
            event = await subscription.get()
            try:
                self._on_event(event)
            except Exception as exc:  # one bad event must not end webhook delivery
                _log.error("webhook fan-out failed", job=event.job.name, exc_info=exc)

    def _on_event(self, event: JobEvent) -> None:
        job = event.job
        if event.previous is job.state:
            return  # a change of placement or explanation, not of state
        hooks = self._store.matching(job.tenant, job.state)
        if not hooks:
            return
        event_id = str(uuid.uuid4())
        payload = event_payload(event, event_id)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        for hook in hooks:
            self._enqueue(_Pending(hook.uid, event_id, job.name, job.state, body))

    def _enqueue(self, p: _Pending) -> None:
        if self._closing:
            self._log_row(p, error="not attempted: the server stopped")
            return
        try:
            self._queue.put_nowait(p)
        except asyncio.QueueFull:
            self.dropped += 1
            _log.error(
                "webhook delivery dropped: the queue is full",
                webhook_uid=p.webhook_uid,
                job=p.job,
                event_id=p.event_id,
                queue_size=self._s.queue_size,
            )
            self._log_row(
                p,
                error=f"dropped: the delivery queue is full ({self._s.queue_size} waiting)",
            )

    # -- attempts ----------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            p = await self._queue.get()
            try:
                await self._attempt(p)
            except asyncio.CancelledError:
                self._log_row(p, error="interrupted: the server stopped during the attempt")
                raise
            except Exception as exc:  # a worker must outlive one bad delivery
                _log.error("webhook attempt failed", job=p.job, exc_info=exc)

    async def _attempt(self, p: _Pending) -> None:
        hook = self._store.active(p.webhook_uid)
        if hook is None:
            return  # deleted meanwhile: its log went with it
        at = self._clock()
        timestamp = str(int(at.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            "X-Computenet-Event-Id": p.event_id,
            "X-Computenet-Timestamp": timestamp,
            "X-Computenet-Signature": _signature(hook.secret, timestamp, p.body),
            "X-Computenet-Attempt": str(p.attempt),
        }
        status, reason, error = 0, "", ""
        retryable = False
        retry_after: float | None = None
        try:
            # httpx's timeout bounds each read; this bounds the whole attempt, so a receiver
            # that trickles bytes cannot hold a worker.
            async with (
                asyncio.timeout(self._s.timeout_s),
                self._client.stream(
                    "POST",
                    hook.url,
                    content=p.body,
                    headers=headers,
                    timeout=self._s.timeout_s,
                    follow_redirects=False,
                ) as response,
            ):
                # The body is never read: only the status matters, and it may be large.
                status, reason = response.status_code, response.reason_phrase
                retry_after = _retry_after(response.headers.get("retry-after"))
        except (TimeoutError, httpx.TimeoutException):
            if not status:
                error, retryable = f"no answer within {self._s.timeout_s:g} s", True
        except httpx.UnsupportedProtocol as exc:
            error = f"UnsupportedProtocol: {exc}"
        except httpx.TransportError as exc:
            # Refused, reset, DNS: the receiver may be back soon.
            error, retryable = f"{type(exc).__name__}: {exc}", True
        except Exception as exc:  # anything else is recorded, not retried
            error = f"{type(exc).__name__}: {exc}"
            _log.warning("webhook attempt raised", webhook=hook.name, exc_info=exc)
        delivered = 200 <= status < 300
        if status and not delivered:
            error = f"HTTP {status} {reason}".strip()
            retryable = status == 429 or status >= 500
        self._log_row(p, at=at, status=status, error=error, delivered=delivered)
        if delivered:
            self.delivered += 1
        elif retryable and p.attempt < self._s.max_attempts:
            self._retry_later(p, self._backoff(p.attempt, retry_after))
        else:
            self.failed += 1
            _log.warning(
                "webhook delivery failed",
                webhook=hook.name,
                job=p.job,
                event_id=p.event_id,
                attempts=p.attempt,
                error=error,
            )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Delay before attempt ``attempt + 1``: doubling from ``backoff_s``, capped, with
        jitter in [50 %, 100 %] so receivers that failed together are not retried together."""
        delay = min(self._s.max_backoff_s, self._s.backoff_s * 2.0 ** min(attempt - 1, 30))
        delay *= 0.5 + 0.5 * self._rng.random()
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._s.max_backoff_s))
        return delay

    def _retry_later(self, p: _Pending, delay: float) -> None:
        # A timer, not a sleeping worker: waiting for one receiver blocks no one else.
        nxt = replace(p, attempt=p.attempt + 1)
        loop = asyncio.get_running_loop()
        self._timers[nxt] = loop.call_later(delay, self._due, nxt)

    def _due(self, p: _Pending) -> None:
        self._timers.pop(p, None)
        self._enqueue(p)

    # -- log and index -----------------------------------------------------------------------

    def _log_row(
        self,
        p: _Pending,
        *,
        at: datetime | None = None,
        status: int = 0,
        error: str = "",
        delivered: bool = False,
    ) -> None:
        if len(self._rows) >= _MAX_PENDING_ROWS:
            _log.error("webhook delivery log is behind; row dropped", job=p.job, error=error)
            return
        self._rows.append(
            Delivery(
                webhook_uid=p.webhook_uid,
                event_id=p.event_id,
                job=p.job,
                state=p.state,
                attempt=p.attempt,
                attempt_time=at or self._clock(),
                http_status=status,
                error=error,
                delivered=delivered,
            )
        )
        self._rows_ready.set()

    async def _write_log(self) -> None:
        # One writer, many rows per transaction: the attempts never wait on the database.
        while True:
            await self._rows_ready.wait()
            self._rows_ready.clear()
            rows, self._rows = self._rows, []
            if rows:
                try:
                    await asyncio.to_thread(self._store.record, rows)
                except Exception as exc:  # the log is best effort; delivery goes on
                    _log.error("webhook delivery log write failed", rows=len(rows), exc_info=exc)
            if self._closing and not self._rows:
                return

    async def _reload(self) -> None:
        # Other replicas register webhooks too; this process learns of them here.
        while True:
            await asyncio.sleep(self._reload_s)
            try:
                await asyncio.to_thread(self._store.load)
            except Exception as exc:  # keep the old index and try again next round
                _log.error("webhook index reload failed", exc_info=exc)


async def start_webhooks(
    engine: DbEngine, events: EventSource, config: Config
) -> tuple[WebhookStore, asyncio.Task[None]]:
    """The webhook store and a dispatcher task, built from ``config``, subscribed to
    ``events`` before this returns. Cancelling the task stops the dispatcher (see
    ``Dispatcher.stop``) and closes its HTTP client."""
    store = WebhookStore(engine)
    await asyncio.to_thread(store.load)
    settings = DispatchSettings.from_config(config)
    client = httpx.AsyncClient(
        timeout=settings.timeout_s,
        follow_redirects=False,
        limits=httpx.Limits(
            max_connections=settings.workers, max_keepalive_connections=settings.workers
        ),
    )
    dispatcher = Dispatcher(store, events, client, settings)
    dispatcher.start()

    async def run() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            try:
                await dispatcher.stop()
            finally:
                await client.aclose()

    return store, asyncio.create_task(run(), name="webhook-dispatcher")
