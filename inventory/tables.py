"""SQLModel tables of the inventory; stores map these rows to ``inventory.domain`` objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index
from sqlmodel import Field, SQLModel

__all__ = [
    "AcceleratorModelRow",
    "DataCenterRow",
    "LinkRow",
    "NodeRow",
    "PoolRow",
    "RackRow",
    "RegionRow",
    "RequestIdRow",
]


class AcceleratorModelRow(SQLModel, table=True):
    __tablename__ = "accelerator_models"

    id: str = Field(primary_key=True, max_length=63)
    display_name: str = ""
    vendor: str = ""
    memory_gib: float
    fp16_tflops: float
    board_power_w: float
    source: str = ""


class RegionRow(SQLModel, table=True):
    __tablename__ = "regions"

    id: str = Field(primary_key=True, max_length=63)
    display_name: str = ""
    province: str
    latitude: float
    longitude: float
    hub: str = ""
    hub_class: str = "NONE"


class DataCenterRow(SQLModel, table=True):
    __tablename__ = "data_centers"

    id: str = Field(primary_key=True, max_length=63)
    display_name: str = ""
    region: str = Field(foreign_key="regions.id", index=True)
    province: str
    latitude: float
    longitude: float
    grid_carbon_g_per_kwh: float
    electricity_price_cny_per_kwh: float
    design_pue: float
    pue_target: float
    commissioned_year: int = 0
    state: str = "ACTIVE"
    labels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str = ""


class RackRow(SQLModel, table=True):
    __tablename__ = "racks"

    data_center: str = Field(foreign_key="data_centers.id", primary_key=True)
    id: str = Field(primary_key=True, max_length=63)
    room: str = ""
    u_height: int = 42
    power_capacity_kw: float = 0.0
    cooling_kw: float = 0.0


class PoolRow(SQLModel, table=True):
    __tablename__ = "pools"

    data_center: str = Field(foreign_key="data_centers.id", primary_key=True)
    id: str = Field(primary_key=True, max_length=63)
    accelerator_model: str | None = Field(default=None, foreign_key="accelerator_models.id")
    accelerators_per_node: int
    cpu_milli_per_node: int
    memory_mib_per_node: int
    display_name: str = ""


class NodeRow(SQLModel, table=True):
    __tablename__ = "nodes"
    __table_args__ = (
        ForeignKeyConstraint(["data_center", "pool"], ["pools.data_center", "pools.id"]),
        ForeignKeyConstraint(["data_center", "rack"], ["racks.data_center", "racks.id"]),
        Index("ix_nodes_pool", "data_center", "pool"),
    )

    data_center: str = Field(foreign_key="data_centers.id", primary_key=True)
    id: str = Field(primary_key=True, max_length=63)
    pool: str
    rack: str | None = None
    rack_position_u: int = 0
    accelerator_model: str | None = Field(default=None, foreign_key="accelerator_models.id")
    accelerator_count: int
    cpu_milli: int
    memory_mib: int
    state: str = "READY"


class LinkRow(SQLModel, table=True):
    __tablename__ = "links"

    id: str = Field(primary_key=True, max_length=63)
    region: str = Field(foreign_key="regions.id", index=True)
    data_center: str = Field(foreign_key="data_centers.id", index=True)
    rtt_ms: float
    source: str = ""


class RequestIdRow(SQLModel, table=True):
    """Create requests already served, so a retry with the same request_id (AIP-155) returns
    the first result instead of ALREADY_EXISTS."""

    __tablename__ = "inventory_request_ids"

    request_id: str = Field(primary_key=True, max_length=200)
    method: str
    resource: str
    create_time: datetime
