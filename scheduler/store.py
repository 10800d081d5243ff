"""Persistence of jobs and tenant quotas over SQLModel (SQLite or PostgreSQL).

Jobs are stored with their spec, placement and explanation as JSON documents beside the
columns that lists filter on; ``job_values`` / ``job_from_row`` are the only mapping.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from computenet.errors import Aborted, AlreadyExists, NotFound
from scheduler.domain import (
    LIVE_STATES,
    Allocation,
    Candidate,
    EnergyEstimate,
    Explanation,
    Job,
    JobKind,
    JobSpec,
    JobState,
    LatencyEstimate,
    Placement,
    QuotaLimit,
    ReplicaSpec,
    Residency,
    ScoreTerm,
    TenantQuota,
)
from scheduler.tables import JobRow, QuotaRow

__all__ = ["Conflict", "JobPage", "JobStore", "job_from_row", "job_values"]


class Conflict(Aborted):
    """Jobs changed in the database since they were read (by another replica)."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(f"jobs changed concurrently: {', '.join(names[:5])}", reason="JOB_STATE")
        self.names = tuple(names)


@dataclass(frozen=True, slots=True)
class JobPage:
    """One page of jobs, newest first."""

    jobs: tuple[Job, ...]
    """The jobs."""
    next_seq: int | None
    """Resume below this submission number, or None on the last page."""
    total_size: int
    """All matching jobs."""


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def spec_to_dict(spec: JobSpec) -> dict[str, Any]:
    r = spec.replica
    return {
        "kind": spec.kind.name,
        "replicas": spec.replicas,
        "replica": {
            "accelerator_count": r.accelerator_count,
            "accelerator_milli": r.accelerator_milli,
            "accelerator_models": list(r.accelerator_models),
            "min_accelerator_memory_gib": r.min_accelerator_memory_gib,
            "min_fp16_tflops": r.min_fp16_tflops,
            "cpu_milli": r.cpu_milli,
            "memory_mib": r.memory_mib,
        },
        "expected_duration_s": spec.expected_duration.total_seconds(),
        "deadline": _ts(spec.deadline),
        "priority": spec.priority,
        "preemptible": spec.preemptible,
        "user_region": spec.user_region,
        "max_rtt_ms": spec.max_rtt_ms,
        "data_region": spec.data_region,
        "residency": {
            "allowed_provinces": list(spec.residency.allowed_provinces),
            "allowed_regions": list(spec.residency.allowed_regions),
        },
        "policy": spec.policy,
        "expected_utilization": spec.expected_utilization,
        "labels": dict(spec.labels),
    }


def spec_from_dict(d: Mapping[str, Any]) -> JobSpec:
    r = d["replica"]
    return JobSpec(
        kind=JobKind[d["kind"]],
        replicas=d["replicas"],
        replica=ReplicaSpec(
            accelerator_count=r["accelerator_count"],
            accelerator_milli=r["accelerator_milli"],
            accelerator_models=tuple(r["accelerator_models"]),
            min_accelerator_memory_gib=r["min_accelerator_memory_gib"],
            min_fp16_tflops=r["min_fp16_tflops"],
            cpu_milli=r["cpu_milli"],
            memory_mib=r["memory_mib"],
        ),
        expected_duration=timedelta(seconds=d["expected_duration_s"]),
        deadline=_dt(d["deadline"]),
        priority=d["priority"],
        preemptible=d["preemptible"],
        user_region=d["user_region"],
        max_rtt_ms=d["max_rtt_ms"],
        data_region=d["data_region"],
        residency=Residency(
            tuple(d["residency"]["allowed_provinces"]), tuple(d["residency"]["allowed_regions"])
        ),
        policy=d["policy"],
        expected_utilization=d["expected_utilization"],
        labels=dict(d["labels"]),
    )


def _energy_to_dict(e: EnergyEstimate) -> dict[str, Any]:
    return {
        "it_energy_kwh": e.it_energy_kwh,
        "energy_kwh": e.energy_kwh,
        "cost_cny": e.cost_cny,
        "carbon_kg": e.carbon_kg,
        "pue": e.pue,
        "pue_measured": e.pue_measured,
    }


def _latency_to_dict(lat: LatencyEstimate | None) -> dict[str, Any] | None:
    return None if lat is None else {"rtt_ms": lat.rtt_ms, "estimated": lat.estimated}


def _latency_from_dict(d: Mapping[str, Any] | None) -> LatencyEstimate | None:
    return None if d is None else LatencyEstimate(d["rtt_ms"], d["estimated"])


def placement_to_dict(p: Placement) -> dict[str, Any]:
    return {
        "data_center": p.data_center,
        "accelerator_model": p.accelerator_model,
        "allocations": [
            [a.node, list(a.slots), a.milli, a.cpu_milli, a.memory_mib] for a in p.allocations
        ],
        "energy": _energy_to_dict(p.energy),
        "latency": _latency_to_dict(p.latency),
        "place_time": _ts(p.place_time),
    }


def placement_from_dict(d: Mapping[str, Any]) -> Placement:
    dc = d["data_center"]
    return Placement(
        data_center=dc,
        accelerator_model=d["accelerator_model"],
        allocations=tuple(
            Allocation(dc, node, tuple(slots), milli, cpu, mem)
            for node, slots, milli, cpu, mem in d["allocations"]
        ),
        energy=EnergyEstimate(**d["energy"]),
        latency=_latency_from_dict(d["latency"]),
        place_time=_dt(d["place_time"]) or datetime.now(UTC),
    )


def _term_to_list(t: ScoreTerm) -> list[Any]:
    return [t.name, t.value, t.unit, t.normalized, t.weight]


def _term_from_list(t: Sequence[Any]) -> ScoreTerm:
    return ScoreTerm(t[0], t[1], t[2], t[3], t[4])


def explanation_to_dict(e: Explanation) -> dict[str, Any]:
    return {
        "policy": e.policy,
        "terms": [_term_to_list(t) for t in e.terms],
        "binding_constraints": list(e.binding_constraints),
        "runner_up": e.runner_up,
        "runner_up_reason": e.runner_up_reason,
        "pending_reason": e.pending_reason,
        "summary": e.summary,
        "decided_by": e.decided_by,
        "alternatives": [
            {
                "data_center": c.data_center,
                "accelerator_model": c.accelerator_model,
                "score": c.score,
                "terms": [_term_to_list(t) for t in c.terms],
                "energy": _energy_to_dict(c.energy) if c.energy else None,
                "latency": _latency_to_dict(c.latency),
                "infeasible_reason": c.infeasible_reason,
            }
            for c in e.alternatives
        ],
    }


def explanation_from_dict(d: Mapping[str, Any]) -> Explanation:
    return Explanation(
        policy=d["policy"],
        terms=tuple(_term_from_list(t) for t in d["terms"]),
        binding_constraints=tuple(d["binding_constraints"]),
        runner_up=d["runner_up"],
        runner_up_reason=d["runner_up_reason"],
        pending_reason=d["pending_reason"],
        summary=d["summary"],
        decided_by=d.get("decided_by", "online"),
        alternatives=tuple(
            Candidate(
                data_center=c["data_center"],
                accelerator_model=c["accelerator_model"],
                score=float(c["score"]) if c["score"] is not None else float("nan"),
                terms=tuple(_term_from_list(t) for t in c["terms"]),
                energy=EnergyEstimate(**c["energy"]) if c["energy"] else None,
                latency=_latency_from_dict(c["latency"]),
                infeasible_reason=c["infeasible_reason"],
            )
            for c in d["alternatives"]
        ),
    )


def _json_safe_score(e: dict[str, Any]) -> dict[str, Any]:
    # JSON has no NaN/inf (PostgreSQL's json type refuses them): store null instead.
    for c in e["alternatives"]:
        if c["score"] != c["score"] or c["score"] in (float("inf"), float("-inf")):
            c["score"] = None
    return e


def job_values(job: Job) -> dict[str, Any]:
    """The column values of a job's row, but ``seq`` (the database's for a new job).

    Plain values, no ORM object: the hot path writes them with Core (group commit).
    """
    return {
        "tenant": job.tenant,
        "id": job.id,
        "request_id": job.request_id or None,
        "state": job.state.name,
        "kind": job.spec.kind.name,
        "priority": job.spec.priority,
        "data_center": job.placement.data_center if job.placement else None,
        "spec": spec_to_dict(job.spec),
        "placement": placement_to_dict(job.placement) if job.placement else None,
        "explanation": _json_safe_score(explanation_to_dict(job.explanation))
        if job.explanation
        else None,
        "create_time": job.create_time,
        "update_time": job.update_time,
        "start_time": job.start_time,
        "end_time": job.end_time,
        "preemption_count": job.preemption_count,
        "state_message": job.state_message,
    }


def job_from_row(row: JobRow) -> Job:
    """The job of a row."""
    return Job(
        tenant=row.tenant,
        id=row.id,
        spec=spec_from_dict(row.spec),
        state=JobState[row.state],
        create_time=_aware(row.create_time) or datetime.now(UTC),
        update_time=_aware(row.update_time) or datetime.now(UTC),
        placement=placement_from_dict(row.placement) if row.placement else None,
        explanation=explanation_from_dict(row.explanation) if row.explanation else None,
        start_time=_aware(row.start_time),
        end_time=_aware(row.end_time),
        preemption_count=row.preemption_count,
        state_message=row.state_message,
        request_id=row.request_id or "",
        seq=row.seq or 0,
    )


_UPDATABLE = (
    "state",
    "data_center",
    "placement",
    "explanation",
    "update_time",
    "start_time",
    "end_time",
    "preemption_count",
    "state_message",
)


_JOBS = JobRow.__table__  # type: ignore[attr-defined]
_INSERT = sa.insert(_JOBS).returning(_JOBS.c.seq, sort_by_parameter_order=True)
_UPDATE = sa.update(_JOBS).where(
    _JOBS.c.tenant == sa.bindparam("t"), _JOBS.c.id == sa.bindparam("i")
)
_UPDATE_IF = _UPDATE.where(_JOBS.c.state == sa.bindparam("s"))


class _Stale(Exception):
    """Raised inside the transaction to roll it back (an expected state did not hold)."""


class JobStore:
    """Jobs and quotas over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._write_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine

    def write(
        self,
        inserts: Sequence[Job],
        updates: Sequence[Job],
        expected: Mapping[str, JobState] | None = None,
    ) -> list[int]:
        """Insert and update in ONE transaction. ``expected`` maps job names to the state each
        row must still be in (another replica may have changed it): if any is not, nothing is
        written and Aborted names the jobs."""
        rows = [job_values(j) for j in inserts]
        expected = expected or {}
        stale: list[str] = []
        try:
            # A Core connection, not an ORM session: the hot path writes many small rows
            # (group commit) and a session's bookkeeping cost more than the rows.
            with self._write_lock, self._engine.begin() as conn:
                seqs = [int(r[0]) for r in conn.execute(_INSERT, rows)] if rows else []
                for job in updates:
                    new = job_values(job)
                    # Parameters named after columns become the SET clause.
                    params = {k: new[k] for k in _UPDATABLE} | {"t": job.tenant, "i": job.id}
                    if job.name in expected:
                        params["s"] = expected[job.name].name
                        if conn.execute(_UPDATE_IF, params).rowcount == 0:
                            stale.append(job.name)
                    else:
                        conn.execute(_UPDATE, params)
                if stale:
                    raise _Stale
        except _Stale:
            raise Conflict(stale) from None
        except IntegrityError as exc:
            raise AlreadyExists(f"a job with that id or request_id exists: {exc.orig}") from exc
        return seqs

    def get(self, tenant: str, job_id: str) -> Job:
        with Session(self._engine) as session:
            row = session.exec(
                select(JobRow).where(JobRow.tenant == tenant, JobRow.id == job_id)
            ).first()
        if row is None:
            raise NotFound(f"job tenants/{tenant}/jobs/{job_id} does not exist")
        return job_from_row(row)

    def find_request(self, tenant: str, request_id: str) -> Job | None:
        with Session(self._engine) as session:
            row = session.exec(
                select(JobRow).where(JobRow.tenant == tenant, JobRow.request_id == request_id)
            ).first()
        return job_from_row(row) if row is not None else None

    def list(
        self,
        tenant: str | None,
        *,
        filters: Mapping[str, str] | None = None,
        page_size: int = 50,
        before_seq: int | None = None,
    ) -> JobPage:
        """Jobs newest first; ``tenant`` None lists every tenant's."""
        conditions: list[Any] = []
        if tenant is not None:
            conditions.append(col(JobRow.tenant) == tenant)
        for name, value in (filters or {}).items():
            conditions.append(col(getattr(JobRow, name)) == value)
        with Session(self._engine) as session:
            total = session.exec(select(func.count()).select_from(JobRow).where(*conditions)).one()
            query = select(JobRow).where(*conditions)
            if before_seq is not None:
                query = query.where(col(JobRow.seq) < before_seq)
            rows = session.exec(query.order_by(col(JobRow.seq).desc()).limit(page_size + 1)).all()
        jobs = tuple(job_from_row(r) for r in rows[:page_size])
        next_seq = jobs[-1].seq if len(rows) > page_size and jobs else None
        return JobPage(jobs, next_seq, int(total))

    def unfinished(self) -> list[Job]:
        """Every job that holds capacity or waits for it, in submission order."""
        states = [s.name for s in (*LIVE_STATES, JobState.PENDING)]
        with Session(self._engine) as session:
            rows = session.exec(
                select(JobRow).where(col(JobRow.state).in_(states)).order_by(col(JobRow.seq))
            ).all()
        return [job_from_row(r) for r in rows]

    def count(self) -> int:
        with Session(self._engine) as session:
            return int(session.exec(select(func.count()).select_from(JobRow)).one())

    # -- quotas ------------------------------------------------------------------------------

    def quotas(self) -> dict[str, TenantQuota]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(QuotaRow).order_by(QuotaRow.tenant, QuotaRow.accelerator_model)
            ).all()
        out: dict[str, list[QuotaLimit]] = {}
        for r in rows:
            out.setdefault(r.tenant, []).append(QuotaLimit(r.accelerator_model, r.limit))
        return {t: TenantQuota(t, tuple(limits)) for t, limits in out.items()}

    def set_quota(self, quota: TenantQuota) -> None:
        """Replace a tenant's limits."""
        with self._write_lock, Session(self._engine) as session:
            session.execute(sa.delete(QuotaRow).where(col(QuotaRow.tenant) == quota.tenant))
            session.add_all(
                QuotaRow(tenant=quota.tenant, accelerator_model=q.accelerator_model, limit=q.limit)
                for q in quota.limits
            )
            session.commit()
