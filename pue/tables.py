"""SQLModel tables of PUE telemetry; ``pue.store`` maps these rows to ``pue.domain`` objects."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["MeterRow", "ReadingRow"]


class MeterRow(SQLModel, table=True):
    __tablename__ = "meters"
    __table_args__ = (UniqueConstraint("request_id", name="uq_meters_request_id"),)

    # Meter ids are unique across the network (readings name the meter alone), so the id is
    # the key and the data center an indexed attribute. No foreign key to data_centers:
    # pue and inventory are independent; the service checks the data center exists.
    id: str = Field(primary_key=True, max_length=63)
    data_center: str = Field(max_length=63, index=True)
    metering_point: str = Field(max_length=32)
    description: str = ""
    request_id: str | None = Field(default=None, max_length=200)
    create_time: datetime


class ReadingRow(SQLModel, table=True):
    __tablename__ = "meter_readings"

    # The primary key (meter, read_time) is the idempotency key of ingest and the index of
    # every window query, which always names the meter.
    meter: str = Field(
        sa_column=Column(String(63), ForeignKey("meters.id", ondelete="CASCADE"), primary_key=True)
    )
    read_time: datetime = Field(primary_key=True)
    energy_kwh: float | None = None
    power_kw: float | None = None
