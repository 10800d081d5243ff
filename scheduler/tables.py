"""SQLModel tables of the scheduler: jobs, tenant quotas, webhooks and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

__all__ = ["DeliveryRow", "JobRow", "QuotaRow", "WebhookRow"]


class JobRow(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("tenant", "id", name="uq_jobs_tenant_id"),
        UniqueConstraint("tenant", "request_id", name="uq_jobs_tenant_request_id"),
        Index("ix_jobs_state", "state"),
    )

    # Submission order; also what ties of priority are served by.
    # SQLite only auto-increments a column typed exactly INTEGER (a rowid alias).
    seq: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    tenant: str = Field(max_length=63)
    id: str = Field(max_length=63)
    request_id: str | None = Field(default=None, max_length=200)
    state: str
    kind: str
    priority: int
    data_center: str | None = Field(default=None, max_length=63, index=True)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    placement: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    explanation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    create_time: datetime
    update_time: datetime
    start_time: datetime | None = None
    end_time: datetime | None = None
    preemption_count: int = 0
    state_message: str = ""


class QuotaRow(SQLModel, table=True):
    __tablename__ = "tenant_quotas"

    tenant: str = Field(primary_key=True, max_length=63)
    accelerator_model: str = Field(primary_key=True, max_length=63)
    limit: float


class WebhookRow(SQLModel, table=True):
    __tablename__ = "webhooks"
    __table_args__ = (
        UniqueConstraint("tenant", "id", name="uq_webhooks_tenant_id"),
        UniqueConstraint("tenant", "request_id", name="uq_webhooks_tenant_request_id"),
    )

    # A fresh uid per registration keys the delivery log: an attempt still in flight for a
    # deleted webhook cannot land in the log of a new one created under the same name.
    uid: str = Field(primary_key=True, max_length=32)
    tenant: str = Field(max_length=63)
    id: str = Field(max_length=63)
    url: str = Field(max_length=2048)
    # Job state names; empty means every state.
    states: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # Kept as given: signing needs it. It is never returned over the API.
    secret: str = Field(max_length=256)
    request_id: str | None = Field(default=None, max_length=200)
    create_time: datetime


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_seq", "webhook", "seq"),)

    seq: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    webhook: str = Field(
        sa_column=Column(String(32), ForeignKey("webhooks.uid", ondelete="CASCADE"), nullable=False)
    )
    event_id: str = Field(max_length=36)
    job: str = Field(max_length=200)
    state: str = Field(max_length=16)
    attempt: int
    attempt_time: datetime
    http_status: int = 0
    error: str = ""
    delivered: bool = False
