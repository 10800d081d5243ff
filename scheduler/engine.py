"""The scheduling engine: the job queue and lifecycle, the in-memory capacity ledger kept in
step with the inventory and the database, and the online placement of every submission.

The database is the truth: a job is committed before SubmitJob answers, and at start the
ledger is rebuilt from the inventory and the committed live jobs. The ledger is only touched
from the event loop thread, one decision at a time; database writes run in worker threads.

Online placement (every submission): hard constraints first (data center state, accelerator
model, residency, latency SLO, tenant quota, capacity), then a weighted, normalised score over
latency, energy cost, carbon and utilization picks the data center (``optimizer.online``),
then the packing policy picks nodes and accelerators inside it (``ledger.try_place``); when a
data center's capacity is too fragmented for the gang, the next best is tried.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import structlog

from computenet.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unavailable,
    Violations,
)
from inventory.domain import (
    AcceleratorModel,
    DataCenter,
    DataCenterState,
    Node,
    NodeState,
    Region,
    check_id,
)
from inventory.store import (
    ACCELERATOR_MODELS,
    DATA_CENTERS,
    LINKS,
    NODES,
    REGIONS,
    Change,
    InventoryStore,
)
from scheduler import ledger as ledger_mod
from scheduler.domain import (
    FINISHED_STATES,
    LIVE_STATES,
    Explanation,
    Job,
    JobKind,
    JobSpec,
    JobState,
    LatencyEstimate,
    PendingReason,
    Placement,
    Policy,
    QuotaLimit,
    Quote,
    TenantQuota,
    validate_spec,
)
from scheduler.ledger import Ledger
from scheduler.optimizer import (
    Option,
    PendingClass,
    Plan,
    Pool,
    Problem,
    Quota,
    RunningClass,
    SolveConfig,
    solve,
)
from scheduler.optimizer.packing import DEFAULT_POLICY as DEFAULT_PACKING
from scheduler.optimizer.packing import TaskMix, TaskShape
from scheduler.placement import Placer
from scheduler.store import Conflict, JobPage, JobStore

__all__ = ["POLICIES", "BatchReport", "Decision", "Engine", "JobEvent", "PueLookup"]

_log = structlog.get_logger("computenet.engine")

POLICIES: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy(
            "balanced",
            "a bit of everything: cost and carbon first, then latency",
            0.25,
            0.35,
            0.3,
            0.1,
        ),
        Policy("green", "least carbon, then cost", 0.05, 0.2, 0.7, 0.05),
        Policy("latency", "closest to the users or the data", 0.7, 0.1, 0.1, 0.1),
        Policy("cost", "cheapest electricity for the run", 0.1, 0.7, 0.1, 0.1),
        Policy("pack", "fill busy data centers first (consolidation)", 0.1, 0.1, 0.1, 0.7),
    )
}

PueLookup = Callable[[DataCenter], tuple[float, bool]]
"""Returns the PUE to use for a data center and whether it is measured (else design)."""

_ALTERNATIVES = 6
_MIX_WINDOW = 2000  # recent task shapes the packing policy's workload mix is built from
_MIX_EVERY = 256  # placements between rebuilds of that mix
_MAX_LEVELS = 12  # priority levels the batch model keeps (its weights double per level)
_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.PENDING: frozenset({JobState.FAILED}),
    JobState.SCHEDULED: frozenset({JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED}),
    JobState.RUNNING: frozenset({JobState.SUCCEEDED, JobState.FAILED}),
}


def _design_pue(dc: DataCenter) -> tuple[float, bool]:
    return dc.design_pue, False


def _now() -> datetime:
    return datetime.now(UTC)


def _check_text(field: str, text: str) -> None:
    # PostgreSQL text cannot hold NUL: refused here rather than failing the commit.
    if "\x00" in text:
        raise InvalidArgument(
            f"{field} must not contain NUL characters",
            [FieldViolation(field, "must not contain NUL characters")],
        )


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A job after a change, and its state before (None for a new job)."""

    job: Job
    """The job now."""
    previous: JobState | None
    """Its state before."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one online placement attempt."""

    placement: Placement | None
    """Where, or None when it waits."""
    allocations: tuple[ledger_mod.Allocation, ...]
    """What the ledger took (empty when it waits or nothing was committed)."""
    explanation: Explanation
    """Why."""


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What one batch placement run did."""

    pending_jobs: int
    """Pending jobs considered."""
    placed_jobs: int
    """Jobs placed (after node packing; the plan's count on a dry run)."""
    preempted_jobs: int
    """Running jobs preempted."""
    objective: float
    """Scaled objective of the plan."""
    best_bound: float | None
    """Proven bound, None when nothing was solved."""
    gap: float | None
    """Relative gap between objective and bound."""
    status: str
    """Solver status."""
    solve_seconds: float
    """Solver wall time."""
    job_classes: int
    """Classes after aggregation."""


_Write = tuple[list[Job], list[Job], dict[str, JobState], "asyncio.Future[list[int]]"]


class _GroupCommit:
    """Group commit: writes that arrive while one transaction is in flight share the next one
    (one fsync for many submissions). Every caller still waits for its own commit."""

    _MAX_BATCH = 512

    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._queue: list[_Write] = []
        self._flushing = False
        self._task: asyncio.Future[None] | None = None
        self.transactions = 0
        """Transactions committed (for metrics and benchmarks)."""
        self.after_commit: Callable[[], None] | None = None
        """Called after every commit (to tell other replicas)."""

    async def write(
        self,
        inserts: list[Job],
        updates: list[Job],
        expected: dict[str, JobState] | None = None,
    ) -> list[int]:
        """Commit; returns the submission numbers of ``inserts``. ``expected``: the state each
        updated job must still have in the database (else Conflict, and nothing written)."""
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._queue.append((inserts, updates, expected or {}, future))
        if not self._flushing:
            self._flushing = True
            self._task = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self._MAX_BATCH]
                del self._queue[: self._MAX_BATCH]
                await self._commit(batch)
        finally:
            self._flushing = False

    async def _commit(self, batch: list[_Write]) -> None:
        inserts = [j for ins, _, _, _ in batch for j in ins]
        updates = [j for _, ups, _, _ in batch for j in ups]
        expected = {k: v for _, _, exp, _ in batch for k, v in exp.items()}
        try:
            seqs = await asyncio.to_thread(self._store.write, inserts, updates, expected)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][3], exc=exc)
                return
            # One bad write (a duplicate id) must not fail its neighbours: retry one by one.
            for item in batch:
                await self._commit([item])
            return
        self.transactions += 1
        at = 0
        for ins, _, _, future in batch:
            _settle(future, result=seqs[at : at + len(ins)])
            at += len(ins)
        if self.after_commit is not None:
            self.after_commit()


def _settle(
    future: asyncio.Future[list[int]],
    *,
    result: list[int] | None = None,
    exc: BaseException | None = None,
) -> None:
    if future.done():  # the caller went away (cancelled RPC); the write stands
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result or [])


class Engine:
    """Jobs, the ledger and online placement over a job store and the inventory."""

    def __init__(
        self,
        jobs: JobStore,
        inventory: InventoryStore,
        *,
        default_policy: str = "balanced",
        packing_policy: str = DEFAULT_PACKING,
        pue: PueLookup = _design_pue,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if default_policy not in POLICIES:
            raise ValueError(f"unknown default policy {default_policy!r}")
        self._store = jobs
        self._commit = _GroupCommit(jobs)
        self._inventory = inventory
        self.default_policy = default_policy
        self._packing = packing_policy
        self._pue = pue
        self._clock = clock
        self.ledger = Ledger()
        self._dcs: dict[str, DataCenter] = {}
        self._dc_order: list[str] = []
        self._models: dict[str, AcceleratorModel] = {}
        self._regions: dict[str, Region] = {}
        self._links: dict[tuple[str, str], float] = {}
        self._rows: dict[str, int] = {}
        self._node_jobs: dict[str, set[str]] = defaultdict(set)
        self._cordoned: set[str] = set()
        self._jobs: dict[str, Job] = {}
        self._allocs: dict[str, tuple[ledger_mod.Allocation, ...]] = {}
        self._requests: dict[tuple[str, str], str] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[Job]] = {}
        self._changing: dict[str, asyncio.Future[None]] = {}
        self._quotas: dict[str, dict[str, float]] = {}
        self._usage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._subscribers: set[asyncio.Queue[JobEvent]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._placer = Placer(
            self.ledger,
            dcs=self._dcs,
            models=self._models,
            regions=self._regions,
            links=self._links,
            quotas=self._quotas,
            usage=self._usage,
            pue=pue,
            try_place=self._try_place,
        )
        # Job ids need to be unique, not secret: a seeded PRNG avoids an os.urandom (a GIL
        # round trip) per submission.
        self._ids = random.Random()
        self._recent: deque[TaskShape] = deque()
        self._recent_counts: Counter[TaskShape] = Counter()
        self._since_mix = 0
        self._mix: TaskMix | None = None
        self._leader: Callable[[], bool] = lambda: True
        self._replicated = False
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_again = False
        self._notify_task: asyncio.Future[None] | None = None
        self._drain_scheduled = False
        self._drain_again = False
        self._batch_lock = asyncio.Lock()
        self.last_batch: Plan | None = None
        """The last batch plan (for metrics)."""
        self.placements = 0
        """Jobs placed since start (for metrics)."""

    # -- start-up ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the inventory and the unfinished jobs, rebuild the ledger, follow changes."""
        self._loop = asyncio.get_running_loop()
        inv = await asyncio.to_thread(self._inventory.export_document)
        for m in inv.accelerator_models:
            self._models[m.id] = m
        for r in inv.regions:
            self._regions[r.id] = r
        for dc in inv.data_centers:
            self._set_dc(dc)
        for link in inv.links:
            self._links[(link.region, link.data_center)] = link.rtt_ms
        for node in inv.nodes:
            self._add_node(node)
        self._quotas.update(
            {
                t: {q.accelerator_model: q.limit for q in quota.limits}
                for t, quota in (await asyncio.to_thread(self._store.quotas)).items()
            }
        )
        unfinished = await asyncio.to_thread(self._store.unfinished)
        for job in unfinished:
            allocs = self._ledger_allocs(job) if job.state in LIVE_STATES else ()
            if allocs:
                self.ledger.apply(allocs)
            self._register(job, allocs)
        self._inventory.subscribe(self._on_inventory_change)
        self._inventory.add_node_delete_guard(self._node_guard)
        _log.info(
            "engine started",
            nodes=len(self.ledger),
            data_centers=len(self._dcs),
            live_jobs=sum(1 for j in unfinished if j.state in LIVE_STATES),
            pending_jobs=sum(1 for j in unfinished if j.state is JobState.PENDING),
        )
        self._schedule_drain()

    def _ledger_allocs(self, job: Job) -> tuple[ledger_mod.Allocation, ...]:
        assert job.placement is not None
        out = []
        for a in job.placement.allocations:
            key = f"{a.data_center}/{a.node}"
            row = self._rows.get(key)
            if row is None:
                raise RuntimeError(f"job {job.name} holds node {key}, which the inventory lacks")
            out.append(
                ledger_mod.Allocation(
                    key, a.data_center, row, a.slots, a.milli, a.cpu_milli, a.memory_mib
                )
            )
        return tuple(out)

    # -- inventory following -----------------------------------------------------------------

    def _on_inventory_change(self, change: Change) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._apply_change(change)
        else:
            loop.call_soon_threadsafe(self._apply_change, change)

    def _apply_change(self, change: Change) -> None:
        obj = change.obj
        if change.kind == DATA_CENTERS.name:
            if change.op == "delete":
                self._dcs.pop(obj.id, None)
                self._dc_order = sorted(self._dcs)
            else:
                self._set_dc(obj)
        elif change.kind == ACCELERATOR_MODELS.name:
            if change.op == "delete":
                self._models.pop(obj.id, None)
            else:
                self._models[obj.id] = obj
        elif change.kind == REGIONS.name:
            if change.op == "delete":
                self._regions.pop(obj.id, None)
            else:
                self._regions[obj.id] = obj
        elif change.kind == LINKS.name:
            if change.op == "delete":
                self._links.pop((obj.region, obj.data_center), None)
            else:
                self._links[(obj.region, obj.data_center)] = obj.rtt_ms
        elif change.kind == NODES.name:
            key = f"{obj.data_center}/{obj.id}"
            if change.op == "create":
                self._add_node(obj)
            elif change.op == "delete":
                if key in self.ledger:
                    self.ledger.remove_node(key)
                self._rows.pop(key, None)
                self._cordoned.discard(key)
            elif obj.state is NodeState.CORDONED:
                self._cordoned.add(key)
            else:
                self._cordoned.discard(key)
        self._placer.invalidate()
        self._schedule_drain()

    def _set_dc(self, dc: DataCenter) -> None:
        self._dcs[dc.id] = dc
        self._dc_order = sorted(self._dcs)
        self._placer.invalidate()

    def _add_node(self, node: Node) -> None:
        key = f"{node.data_center}/{node.id}"
        self._rows[key] = self.ledger.add_node(
            key,
            node.data_center,
            model=node.accelerator_model,
            accelerators=node.accelerator_count,
            cpu_milli=node.cpu_milli,
            memory_mib=node.memory_mib,
        )
        if node.state is NodeState.CORDONED:
            self._cordoned.add(key)

    def _node_guard(self, node: Node) -> str | None:
        jobs = self._node_jobs.get(f"{node.data_center}/{node.id}")
        return f"{len(jobs)} jobs hold capacity on it" if jobs else None

    # -- replicas ----------------------------------------------------------------------------

    def enable_replication(self, notify: Callable[[], None], is_leader: Callable[[], bool]) -> None:
        """Run as one of several replicas: place only while ``is_leader()``, call ``notify``
        (blocking, run in a thread) after every commit so the others re-read."""
        self._replicated = True
        self._leader = is_leader
        loop_holder = self

        def after_commit() -> None:
            loop = loop_holder._loop
            if loop is not None:
                loop_holder._notify_task = loop.run_in_executor(None, notify)

        self._commit.after_commit = after_commit

    @property
    def is_leader(self) -> bool:
        """Whether this engine places jobs (always, unless it is one of several replicas)."""
        return self._leader()

    async def become_leader(self) -> None:
        """This replica just took the placer lock: catch up with the database, then place."""
        await self.resync()
        self._schedule_drain()

    def on_peer_change(self) -> None:
        """Another replica committed something: re-read the unfinished jobs (coalesced)."""
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_again = True
            return
        self._resync_task = asyncio.ensure_future(self._resync_loop())

    async def _resync_loop(self) -> None:
        while True:
            self._resync_again = False
            try:
                await self.resync()
            except Exception as exc:
                _log.error("re-reading jobs after a peer's change failed", exc_info=exc)
            if not self._resync_again:
                break
        if self.is_leader:
            self._schedule_drain()

    async def resync(self) -> None:
        """Bring the in-memory jobs and ledger in line with the database's unfinished jobs
        (what other replicas submitted, cancelled or finished; what the placer placed)."""
        fresh = {j.name: j for j in await asyncio.to_thread(self._store.unfinished)}
        for name, job in list(self._jobs.items()):
            if name in self._changing:
                continue  # our own change is being committed; its end settles it
            new = fresh.get(name)
            if new is None:
                stored = await asyncio.to_thread(self._store.get, job.tenant, job.id)
                self._unregister(job)
                self._publish(stored, job.state)
            elif (new.state, new.placement) != (job.state, job.placement):
                self._unregister(job)
                self._register_fresh(new)
                self._publish(new, job.state)
            elif new != job:
                self._jobs[name] = new
        for name, new in fresh.items():
            if name not in self._jobs and name not in self._changing:
                self._register_fresh(new)
                self._publish(new, None)

    async def _refresh(self, job: Job) -> None:
        """Replace one in-memory job by its database row (after a Conflict)."""
        stored = await asyncio.to_thread(self._store.get, job.tenant, job.id)
        self._unregister(job)
        if stored.state not in FINISHED_STATES:
            self._register_fresh(stored)
        self._publish(stored, job.state)

    def _register_fresh(self, job: Job) -> None:
        allocs = self._ledger_allocs(job) if job.state in LIVE_STATES else ()
        if allocs:
            self.ledger.apply(allocs)
        self._register(job, allocs)

    # -- reads -------------------------------------------------------------------------------

    def policies(self) -> list[Policy]:
        return list(POLICIES.values())

    async def get(self, tenant: str, job_id: str) -> Job:
        job = self._jobs.get(f"tenants/{tenant}/jobs/{job_id}")
        # With several replicas memory may lag the database by one notice: read the truth.
        if job is not None and not self._replicated:
            return job
        return await asyncio.to_thread(self._store.get, tenant, job_id)

    async def list(
        self,
        tenant: str | None,
        *,
        filters: dict[str, str] | None = None,
        page_size: int = 50,
        before_seq: int | None = None,
    ) -> JobPage:
        return await asyncio.to_thread(
            lambda: self._store.list(
                tenant, filters=filters, page_size=page_size, before_seq=before_seq
            )
        )

    def unfinished(self) -> list[Job]:
        """Jobs that hold capacity or wait for it (in memory)."""
        return sorted(self._jobs.values(), key=lambda j: j.seq)

    def subscribe(self) -> asyncio.Queue[JobEvent]:
        """A queue that receives every job change from now on; ``unsubscribe`` it when done."""
        queue: asyncio.Queue[JobEvent] = asyncio.Queue(maxsize=10_000)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[JobEvent]) -> None:
        self._subscribers.discard(queue)

    def _publish(self, job: Job, previous: JobState | None) -> None:
        event = JobEvent(job, previous)
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A watcher that cannot keep up is dropped rather than slowing placement.
                self._subscribers.discard(queue)

    # -- submission --------------------------------------------------------------------------

    async def submit(
        self, tenant: str, spec: JobSpec, *, job_id: str = "", request_id: str = ""
    ) -> Job:
        """Place (or queue) a job and commit it; a repeated ``request_id`` returns the first job."""
        self._check_spec(spec)
        v = Violations()
        if job_id:
            check_id(v, "job_id", job_id)
        v.check(len(request_id) <= 200, "request_id", "must be at most 200 characters")
        v.check("\x00" not in request_id, "request_id", "must not contain NUL characters")
        v.raise_if_any()
        key = (tenant, request_id)
        if request_id:
            earlier = await self._replay(key)
            if earlier is not None:
                return earlier
        job_id = job_id or f"job-{self._ids.getrandbits(64):016x}"
        name = f"tenants/{tenant}/jobs/{job_id}"
        if name in self._jobs:
            raise AlreadyExists(f"job {name} exists")
        future: asyncio.Future[Job] | None = None
        if request_id:
            future = asyncio.get_running_loop().create_future()
            self._inflight[key] = future
        try:
            job = await self._submit(tenant, job_id, spec, request_id)
        except BaseException as exc:
            if future is not None:
                future.set_exception(exc)
                future.exception()  # mark retrieved: a waiting retry re-raises it itself
            raise
        else:
            if future is not None:
                future.set_result(job)
            return job
        finally:
            if request_id:
                self._inflight.pop(key, None)

    async def _replay(self, key: tuple[str, str]) -> Job | None:
        # Memory knows every unfinished job's request_id. A retry of a finished job (or of one
        # another replica took) is caught by the database's unique (tenant, request_id) key at
        # insert, which answers with the stored job: no database round trip on the hot path.
        inflight = self._inflight.get(key)
        if inflight is not None:
            return await asyncio.shield(inflight)
        name = self._requests.get(key)
        if name is not None and name in self._jobs:
            return self._jobs[name]
        return None

    async def _submit(self, tenant: str, job_id: str, spec: JobSpec, request_id: str) -> Job:
        now = self._clock()
        if self.is_leader:
            decision = self._decide(tenant, spec, take=True)
        else:
            decision = Decision(
                None,
                (),
                Explanation(
                    policy=spec.policy or self.default_policy,
                    pending_reason="queued for the active placer (another replica)",
                    summary="accepted by a standby replica; the active placer places it",
                ),
            )
        job = Job(
            tenant=tenant,
            id=job_id,
            spec=spec,
            state=JobState.SCHEDULED if decision.placement else JobState.PENDING,
            create_time=now,
            update_time=now,
            placement=decision.placement,
            explanation=decision.explanation,
            request_id=request_id,
        )
        self._register(job, decision.allocations)
        marker = self._begin_change([job.name])
        try:
            (seq,) = await self._commit.write([job], [])
        except BaseException as exc:
            self._end_change([job.name], marker)
            self._unregister(job)
            if isinstance(exc, AlreadyExists):
                if request_id:
                    # The same request reached another replica first: answer with its job.
                    earlier = await asyncio.to_thread(self._store.find_request, tenant, request_id)
                    if earlier is not None:
                        return earlier
                raise AlreadyExists(f"job {job.name} exists") from None
            if isinstance(exc, Exception):
                _log.error("commit failed", job=job.name, exc_info=exc)
                raise Unavailable(
                    "the job could not be committed; retry with the same request_id"
                ) from exc
            raise
        job = replace(job, seq=seq)
        self._jobs[job.name] = job
        self._end_change([job.name], marker)
        if decision.placement:
            self.placements += 1
        self._publish(job, None)
        return job

    def _check_spec(self, spec: JobSpec) -> None:
        v = validate_spec(spec)
        if spec.policy and spec.policy not in POLICIES:
            v.add("spec.policy", f"unknown policy; choose one of {', '.join(POLICIES)}")
        for i, m in enumerate(spec.replica.accelerator_models):
            if m not in self._models:
                v.add(f"spec.replica.accelerator_models[{i}]", f"unknown accelerator model {m!r}")
        for field in ("user_region", "data_region"):
            region = getattr(spec, field)
            if region and region not in self._regions:
                v.add(f"spec.{field}", f"unknown region {region!r}")
        for i, region in enumerate(spec.residency.allowed_regions):
            if region not in self._regions:
                v.add(f"spec.residency.allowed_regions[{i}]", f"unknown region {region!r}")
        if spec.kind is JobKind.INFERENCE and spec.max_rtt_ms and not spec.user_region:
            v.add("spec.user_region", "an inference job with a latency limit needs its user region")
        v.raise_if_any()

    async def quote(self, tenant: str, spec: JobSpec) -> Quote:
        """Where the job would run now and at what energy, cost and carbon; commits nothing."""
        self._check_spec(spec)
        decision = self._decide(tenant, spec, take=True)
        if decision.allocations:
            self.ledger.release(decision.allocations)
        now = self._clock()
        start = now if decision.placement else self._predicted_start(spec, now)
        return Quote(
            decision.placement is not None, decision.placement, start, decision.explanation
        )

    def _predicted_start(self, spec: JobSpec, now: datetime) -> datetime:
        """When capacity is expected to free: the earliest expected end of a running job that
        uses an accelerator model this job accepts (a lower bound, not a promise)."""
        models = set(self._eligible_models(spec))
        ends = [
            (j.start_time or j.placement.place_time) + j.spec.expected_duration
            for j in self._jobs.values()
            if j.placement is not None
            and j.state in LIVE_STATES
            and (j.placement.accelerator_model in models or not models)
        ]
        return max(now, min(ends)) if ends else now

    # -- lifecycle ---------------------------------------------------------------------------

    async def cancel(self, tenant: str, job_id: str, reason: str = "") -> Job:
        _check_text("reason", reason)
        return await self._finish(tenant, job_id, JobState.CANCELLED, reason or "cancelled")

    async def set_state(self, tenant: str, job_id: str, state: JobState, message: str = "") -> Job:
        """Operator or integration report: RUNNING, SUCCEEDED or FAILED."""
        if state not in {JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED}:
            raise InvalidArgument(
                "state must be RUNNING, SUCCEEDED or FAILED",
                [FieldViolation("state", "must be RUNNING, SUCCEEDED or FAILED")],
            )
        _check_text("message", message)
        return await self._finish(tenant, job_id, state, message)

    async def _finish(self, tenant: str, job_id: str, state: JobState, message: str) -> Job:
        name = f"tenants/{tenant}/jobs/{job_id}"
        # One change of a job at a time: a second cancel waits for the first's commit and then
        # finds the job finished, instead of both passing the checks and both succeeding.
        await self._settled(name)
        marker = self._begin_change([name])
        try:
            return await self._finish_now(tenant, job_id, state, message)
        finally:
            self._end_change([name], marker)

    async def _finish_now(
        self, tenant: str, job_id: str, state: JobState, message: str, *, retried: bool = False
    ) -> Job:
        name = f"tenants/{tenant}/jobs/{job_id}"
        job = self._jobs.get(name)
        if job is None:
            stored = await asyncio.to_thread(self._store.get, tenant, job_id)
            raise FailedPrecondition(
                f"job {name} is {stored.state.name} and cannot become {state.name}",
                reason="JOB_STATE",
            )
        if job.state is state and state is JobState.RUNNING:
            return job
        allowed = _TRANSITIONS.get(job.state, frozenset())
        if state is not JobState.CANCELLED and state not in allowed:
            raise FailedPrecondition(
                f"job {name} is {job.state.name} and cannot become {state.name}", reason="JOB_STATE"
            )
        now = self._clock()
        changes: dict[str, Any] = {"state": state, "update_time": now, "state_message": message}
        if state is JobState.RUNNING:
            changes["start_time"] = now
        else:
            changes["end_time"] = now
        updated = replace(job, **changes)
        try:
            await self._commit.write([], [updated], {name: job.state})
        except Conflict:
            if not retried:
                # Another replica changed the job (placed, cancelled or finished it): read it
                # again and decide on the fresh state.
                await self._refresh(job)
                return await self._finish_now(tenant, job_id, state, message, retried=True)
            raise
        if state in FINISHED_STATES:
            self._unregister(job)
        else:
            self._jobs[name] = updated
        self._publish(updated, job.state)
        if state in FINISHED_STATES:
            self._schedule_drain()
        return updated

    # -- quotas ------------------------------------------------------------------------------

    def quota(self, tenant: str) -> tuple[TenantQuota, dict[str, float]]:
        """A tenant's limits and what it uses now (accelerators by model, ``*`` for all)."""
        limits = self._quotas.get(tenant, {})
        usage = {m: milli / 1000.0 for m, milli in self._usage.get(tenant, {}).items() if milli}
        return TenantQuota(
            tenant, tuple(QuotaLimit(m, lim) for m, lim in sorted(limits.items()))
        ), usage

    def quotas(self) -> list[TenantQuota]:
        return [self.quota(t)[0] for t in sorted(self._quotas)]

    async def set_quota(self, quota: TenantQuota) -> None:
        v = Violations()
        for i, q in enumerate(quota.limits):
            if q.accelerator_model != "*" and q.accelerator_model not in self._models:
                v.add(
                    f"quota.limits[{i}].accelerator_model",
                    f"unknown accelerator model {q.accelerator_model!r}",
                )
            if not math.isfinite(q.limit) or q.limit < 0:
                v.add(f"quota.limits[{i}].limit", "must be a number >= 0")
        if len({q.accelerator_model for q in quota.limits}) != len(quota.limits):
            v.add("quota.limits", "each accelerator model may appear once")
        v.raise_if_any()
        await asyncio.to_thread(self._store.set_quota, quota)
        self._quotas[quota.tenant] = {q.accelerator_model: q.limit for q in quota.limits}
        if not quota.limits:
            self._quotas.pop(quota.tenant, None)
        self._schedule_drain()

    # -- in-memory bookkeeping ---------------------------------------------------------------

    def _register(self, job: Job, allocs: tuple[ledger_mod.Allocation, ...]) -> None:
        self._jobs[job.name] = job
        if job.request_id:
            self._requests[(job.tenant, job.request_id)] = job.name
        if allocs:
            self._allocs[job.name] = allocs
            for a in allocs:
                self._node_jobs[a.node_id].add(job.name)
            model = job.placement.accelerator_model if job.placement else ""
            milli = job.spec.replicas * job.spec.replica.milli
            usage = self._usage[job.tenant]
            usage[model] += milli
            usage["*"] += milli

    def _unregister(self, job: Job) -> None:
        self._jobs.pop(job.name, None)
        if job.request_id:
            self._requests.pop((job.tenant, job.request_id), None)
        allocs = self._allocs.pop(job.name, ())
        if allocs:
            self.ledger.release(allocs)
            for a in allocs:
                holders = self._node_jobs.get(a.node_id)
                if holders is not None:
                    holders.discard(job.name)
                    if not holders:
                        del self._node_jobs[a.node_id]
            model = job.placement.accelerator_model if job.placement else ""
            milli = job.spec.replicas * job.spec.replica.milli
            usage = self._usage[job.tenant]
            usage[model] -= milli
            usage["*"] -= milli

    # -- changes in flight ------------------------------------------------------------------

    def _begin_change(self, names: Iterable[str]) -> asyncio.Future[None]:
        """Mark jobs whose change is being committed; ``_settled`` waits for the mark."""
        marker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for name in names:
            self._changing[name] = marker
        return marker

    def _end_change(self, names: Iterable[str], marker: asyncio.Future[None]) -> None:
        for name in names:
            if self._changing.get(name) is marker:
                del self._changing[name]
        if not marker.done():
            marker.set_result(None)
        if self._drain_again:
            self._drain_again = False
            self._schedule_drain()

    async def _settled(self, name: str) -> None:
        """Wait until no change of the job is being committed."""
        while (marker := self._changing.get(name)) is not None:
            await asyncio.shield(marker)

    # -- pending queue -----------------------------------------------------------------------

    def _schedule_drain(self) -> None:
        if self._drain_scheduled or self._loop is None or not self.is_leader:
            return
        if not any(j.state is JobState.PENDING for j in self._jobs.values()):
            return
        self._drain_scheduled = True
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._drain()))

    async def _drain(self) -> None:
        """Try the pending jobs again, highest priority and oldest first."""
        self._drain_scheduled = False
        waiting = [j for j in self._jobs.values() if j.state is JobState.PENDING]
        # A job whose change is being committed is left for the drain its end schedules.
        pending = sorted(
            (j for j in waiting if j.name not in self._changing),
            key=lambda j: (-j.spec.priority, j.seq),
        )
        self._drain_again = len(pending) < len(waiting)
        placed: list[tuple[Job, Job, tuple[ledger_mod.Allocation, ...]]] = []
        for job in pending:
            decision = self._decide(job.tenant, job.spec, take=True)
            if decision.placement is None:
                if decision.explanation.pending_reason != (
                    job.explanation.pending_reason if job.explanation else ""
                ):
                    self._jobs[job.name] = replace(job, explanation=decision.explanation)
                continue
            now = self._clock()
            updated = replace(
                job,
                state=JobState.SCHEDULED,
                placement=decision.placement,
                explanation=decision.explanation,
                update_time=now,
            )
            self._register(updated, decision.allocations)
            placed.append((job, updated, decision.allocations))
        if not placed:
            return
        names = [u.name for _, u, _ in placed]
        marker = self._begin_change(names)
        try:
            try:
                await self._commit.write(
                    [], [u for _, u, _ in placed], dict.fromkeys(names, JobState.PENDING)
                )
            except Conflict as conflict:
                # Another replica cancelled some of them meanwhile: give their capacity back,
                # commit the others.
                gone = set(conflict.names)
                for old, updated, _ in placed:
                    if updated.name in gone:
                        self._unregister(updated)
                        self._register(old, ())
                placed = [p for p in placed if p[1].name not in gone]
                await self._commit.write(
                    [], [u for _, u, _ in placed], {u.name: JobState.PENDING for _, u, _ in placed}
                )
                self.on_peer_change()
        except Exception as exc:
            _log.error("commit of placed pending jobs failed; they stay pending", exc_info=exc)
            for old, updated, _ in placed:
                self._unregister(updated)
                self._register(old, ())
            return
        finally:
            self._end_change(names, marker)
        for old, updated, _ in placed:
            self.placements += 1
            self._publish(updated, old.state)

    # -- online placement --------------------------------------------------------------------

    def _eligible_models(self, spec: JobSpec) -> list[str]:
        return self._placer.eligible_models(spec)

    def rtt(self, region: str, dc: DataCenter) -> LatencyEstimate:
        """RTT from a region to a data center: the recorded link, else the distance estimate."""
        return self._placer.rtt(region, dc)

    def _decide(
        self, tenant: str, spec: JobSpec, *, take: bool, only: tuple[str, str] | None = None
    ) -> Decision:
        """Choose a data center and nodes; with ``take`` the ledger keeps the allocation."""
        policy = POLICIES[spec.policy or self.default_policy]
        out = self._placer.decide(tenant, spec, policy, self._clock(), only=only)
        if not take and out.allocations:
            self.ledger.release(out.allocations)
            return Decision(out.placement, (), out.explanation)
        return Decision(out.placement, out.allocations, out.explanation)

    def _try_place(
        self, dc_id: str, shape: TaskShape, replicas: int
    ) -> tuple[ledger_mod.Allocation, ...] | None:
        """``ledger.try_place`` that never chooses a cordoned node."""
        # The ledger knows no cordons: what is left on the data center's cordoned nodes is
        # taken for the duration of the choice, so the policy packs around them (rejecting
        # a choice that touched one would call the whole data center full).
        blockers = self._cordon_blockers(dc_id)
        if blockers:
            self.ledger.apply(blockers)
        try:
            self._note_shape(shape)
            return self.ledger.try_place(
                dc_id, shape, replicas, policy=self._packing, mix=self._mix
            )
        finally:
            if blockers:
                self.ledger.release(blockers)

    def _note_shape(self, shape: TaskShape) -> None:
        """Keep the recent task shapes: the packing policy (FGD-style) scores fragmentation
        against the workload's mix of shapes, as it does on the trace replay."""
        # Counted as shapes enter and leave the window; memory is not part of the mix (FGD).
        key = TaskShape(shape.cpu_milli, 0, shape.num_accel, shape.accel_milli)
        self._recent.append(key)
        self._recent_counts[key] += 1
        if len(self._recent) > _MIX_WINDOW:
            old = self._recent.popleft()
            self._recent_counts[old] -= 1
            if not self._recent_counts[old]:
                del self._recent_counts[old]  # shapes no longer seen do not pile up
        self._since_mix += 1
        if self._mix is None or self._since_mix >= _MIX_EVERY:
            self._mix = TaskMix.from_counts(self._recent_counts)
            self._since_mix = 0

    def _cordon_blockers(self, dc_id: str) -> tuple[ledger_mod.Allocation, ...]:
        """Allocations taking everything still free on the data center's cordoned nodes."""
        keys = [k for k in self._cordoned if k.split("/", 1)[0] == dc_id and k in self.ledger]
        if not keys:
            return ()
        arrays = self.ledger.node_arrays(dc_id)
        out: list[ledger_mod.Allocation] = []
        for key in keys:
            row = self._rows[key]
            for slot in range(int(arrays.n_slots[row])):
                free = int(arrays.free_milli[row, slot])
                if free > 0:
                    out.append(ledger_mod.Allocation(key, dc_id, row, (slot,), free, 0, 0))
            cpu, mem = max(int(arrays.free_cpu[row]), 0), max(int(arrays.free_mem[row]), 0)
            if cpu or mem:
                out.append(ledger_mod.Allocation(key, dc_id, row, (), 0, cpu, mem))
        return tuple(out)

    # -- batch placement ---------------------------------------------------------------------

    async def run_batch(self, *, time_limit: float = 5.0, dry_run: bool = False) -> BatchReport:
        """Hand the pending queue to CP-SAT (job classes × data-center/model pools, warm-started
        from the greedy plan), then apply its plan: evict what it evicts (back to PENDING),
        pack what it places; a job that does not pack stays pending for the next round."""
        if not self.is_leader:
            raise FailedPrecondition(
                "this replica is not the active placer; the placer runs batch placement",
                reason="NOT_ACTIVE_PLACER",
            )
        async with self._batch_lock:
            built = self._build_problem()
            if built is None:
                return BatchReport(0, 0, 0, 0.0, None, None, "NOTHING_PENDING", 0.0, 0)
            problem, pending_of, running_of, n_pending = built
            config = SolveConfig(time_limit_seconds=time_limit, num_workers=2)
            plan = await asyncio.to_thread(solve, problem, config)
            self.last_batch = plan
            placed, preempted = (
                (0, 0) if dry_run else await self._apply_plan(plan, pending_of, running_of)
            )
            _log.info(
                "batch placement",
                pending=n_pending,
                classes=len(problem.pending),
                placed=placed,
                preempted=preempted,
                status=plan.status,
                gap=plan.gap,
                seconds=round(plan.wall_seconds, 3),
                dry_run=dry_run,
            )
            return BatchReport(
                n_pending,
                placed if not dry_run else plan.placed_jobs,
                preempted if not dry_run else plan.evicted_jobs,
                float(plan.objective),
                plan.best_bound,
                plan.gap,
                plan.status,
                plan.wall_seconds,
                len(problem.pending),
            )

    def _build_problem(
        self,
    ) -> tuple[Problem, dict[str, list[str]], dict[str, list[str]], int] | None:
        pending = sorted(
            (j for j in self._jobs.values() if j.state is JobState.PENDING), key=lambda j: j.seq
        )
        if not pending:
            return None
        levels = self._priority_levels(
            [
                j.spec.priority
                for j in self._jobs.values()
                if j.state in LIVE_STATES | {JobState.PENDING}
            ]
        )
        classes: dict[str, PendingClass] = {}
        pending_of: dict[str, list[str]] = defaultdict(list)
        options_of: dict[str, tuple[Option, ...]] = {}
        class_ids: dict[str, str] = {}
        for job in pending:
            key = self._class_key(job)
            if key not in options_of:
                options_of[key] = self._options(job)
            cid = class_ids.setdefault(key, f"p{len(class_ids)}")
            pending_of[cid].append(job.name)
            r = job.spec.replica
            classes[cid] = PendingClass(
                class_id=cid,
                count=len(pending_of[cid]),
                replicas=job.spec.replicas,
                milli_per_replica=r.milli or 0,
                priority=levels[job.spec.priority],
                tenant=job.tenant,
                options=options_of[key],
                preemptible=job.spec.preemptible,
            )
        running: dict[str, RunningClass] = {}
        running_of: dict[str, list[str]] = defaultdict(list)
        for job in sorted(self._jobs.values(), key=lambda j: j.seq):
            if job.state not in LIVE_STATES or not job.spec.preemptible or job.placement is None:
                continue
            if not job.placement.accelerator_model:
                continue
            pool = f"{job.placement.data_center}/{job.placement.accelerator_model}"
            spec = job.spec
            rid = f"r:{pool}:{job.tenant}:{spec.priority}:{spec.replicas}:{spec.replica.milli}"
            running_of[rid].append(job.name)
            running[rid] = RunningClass(
                class_id=rid,
                pool_id=pool,
                count=len(running_of[rid]),
                replicas=job.spec.replicas,
                milli_per_replica=job.spec.replica.milli,
                priority=levels[job.spec.priority],
                tenant=job.tenant,
                preemptible=True,
            )
        pools = self._pools()
        known = {p.pool_id for p in pools}
        pending_classes = tuple(
            replace(c, options=tuple(o for o in c.options if o.pool_id in known))
            for c in classes.values()
        )
        quotas = tuple(
            Quota(
                tenant, model, max(0, int(limit * 1000) - self._usage.get(tenant, {}).get(model, 0))
            )
            for tenant, limits in self._quotas.items()
            for model, limit in limits.items()
            if model != "*"
        )
        problem = Problem(
            pools=pools,
            pending=pending_classes,
            running=tuple(r for r in running.values() if r.pool_id in known),
            quotas=quotas,
        )
        return problem, dict(pending_of), dict(running_of), len(pending)

    @staticmethod
    def _priority_levels(priorities: Iterable[int]) -> dict[int, int]:
        """Map priorities (0..1000) to at most _MAX_LEVELS ranks, keeping their order."""
        distinct = sorted(set(priorities))
        n = len(distinct)
        return {p: (i * _MAX_LEVELS) // n if n > _MAX_LEVELS else i for i, p in enumerate(distinct)}

    def _class_key(self, job: Job) -> str:
        spec = replace(job.spec, labels={}, deadline=None)
        return f"{job.tenant}|{spec!r}"

    def _options(self, job: Job) -> tuple[Option, ...]:
        """The pools a pending job could use, with the online score as the per-job cost."""
        policy = POLICIES[job.spec.policy or self.default_policy]
        return tuple(
            Option(f"{dc}/{model}", cost)
            for dc, model, cost in self._placer.options(job.tenant, job.spec, policy)
        )

    def _pools(self) -> tuple[Pool, ...]:
        pools = []
        model_names = self.ledger.models
        for dc_id in self._dc_order:
            if (
                dc_id not in self.ledger.data_centers
                or self._dcs[dc_id].state is not DataCenterState.ACTIVE
            ):
                continue
            arrays = self.ledger.node_arrays(dc_id)
            whole = (arrays.free_milli == 1000).sum(axis=1)
            for mid, model in enumerate(model_names):
                ms = self.ledger.model_summary(dc_id, model)
                if not ms.total:
                    continue
                rows = arrays.model == mid
                hist = np.bincount(whole[rows], minlength=int(arrays.n_slots[rows].max()) + 1)
                pools.append(
                    Pool(
                        f"{dc_id}/{model}", dc_id, model, ms.free_milli, tuple(int(x) for x in hist)
                    )
                )
        return tuple(pools)

    async def _apply_plan(
        self, plan: Plan, pending_of: dict[str, list[str]], running_of: dict[str, list[str]]
    ) -> tuple[int, int]:
        now = self._clock()
        changed: list[tuple[Job, Job]] = []
        for eviction in plan.evictions:
            victims = [
                n for n in reversed(running_of.get(eviction.class_id, [])) if n in self._jobs
            ]
            for name in victims[: eviction.count]:
                job = self._jobs[name]
                if job.state not in LIVE_STATES:
                    continue
                self._unregister(job)
                requeued = replace(
                    job,
                    state=JobState.PENDING,
                    placement=None,
                    update_time=now,
                    preemption_count=job.preemption_count + 1,
                    state_message="preempted by higher-priority work; waiting again",
                    explanation=Explanation(
                        policy=job.explanation.policy if job.explanation else self.default_policy,
                        pending_reason=PendingReason.PRIORITY.value,
                        summary="preempted by higher-priority work (batch placement)",
                        decided_by="batch",
                    ),
                )
                self._register(requeued, ())
                changed.append((job, requeued))
        preempted = len(changed)
        placed = 0
        for cp in plan.classes:
            queue = [n for n in pending_of.get(cp.class_id, []) if n in self._jobs]
            for assignment in cp.assignments:
                dc, model = assignment.pool_id.split("/", 1)
                taken = 0
                while queue and taken < assignment.count:
                    job = self._jobs[queue.pop(0)]
                    if job.state is not JobState.PENDING:
                        continue
                    decision = self._decide(job.tenant, job.spec, take=True, only=(dc, model))
                    if decision.placement is None:
                        continue
                    updated = replace(
                        job,
                        state=JobState.SCHEDULED,
                        placement=decision.placement,
                        update_time=now,
                        explanation=replace(decision.explanation, decided_by="batch"),
                    )
                    self._register(updated, decision.allocations)
                    changed.append((job, updated))
                    placed += 1
                    taken += 1
        if not changed:
            return 0, 0
        try:
            await self._commit.write(
                [], [new for _, new in changed], {new.name: old.state for old, new in changed}
            )
        except Exception as exc:
            _log.error("commit of the batch plan failed; it is undone", exc_info=exc)
            for old, new in reversed(changed):
                self._unregister(new)
                allocs = self._ledger_allocs(old) if old.state in LIVE_STATES else ()
                if allocs:
                    self.ledger.apply(allocs)
                self._register(old, allocs)
            if isinstance(exc, Conflict):
                self.on_peer_change()
            return 0, 0
        for old, new in changed:
            if new.state is JobState.PENDING:
                self._publish(replace(new, state=JobState.PREEMPTED), old.state)
                self._publish(new, JobState.PREEMPTED)
            else:
                self.placements += 1
                self._publish(new, old.state)
        return placed, preempted

    # -- inspection --------------------------------------------------------------------------

    def allocated_milli(self) -> dict[str, int]:
        """Milli-units allocated per ledger node id, from the live jobs (for consistency checks)."""
        out: dict[str, int] = defaultdict(int)
        for allocs in self._allocs.values():
            for a in allocs:
                out[a.node_id] += a.milli * len(a.slots)
        return dict(out)

    def data_center(self, dc_id: str) -> DataCenter:
        try:
            return self._dcs[dc_id]
        except KeyError:
            raise NotFound(f"data center {dc_id!r} does not exist") from None

    def models(self) -> dict[str, AcceleratorModel]:
        return dict(self._models)

    def jobs_in_memory(self) -> dict[str, Job]:
        return dict(self._jobs)

    def allocations(self) -> dict[str, tuple[ledger_mod.Allocation, ...]]:
        return dict(self._allocs)
