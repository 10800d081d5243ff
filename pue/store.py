"""Persistence of meters and their readings over SQLModel (SQLite or PostgreSQL).

Readings are keyed by (meter, read_time). Inserting them is idempotent: a reading whose key
is already stored is ignored and counted as a duplicate (the first value stored stays; a
collector that re-sends after a timeout must not double any energy), so is a second reading
with the same key inside one batch. Late and out-of-order readings are stored like any
other: the PUE maths sorts by time. A batch is one transaction, all of it or none.

Window queries return, per meter, the readings inside [start, end) plus the last one before
``start`` and the first one at or after ``end``, so that ``pue.compute`` can interpolate the
intervals that the window edges cut.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from computenet.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from pue.domain import Meter, MeteringPoint, Reading, Window
from pue.tables import MeterRow, ReadingRow

__all__ = ["FILTERABLE", "InsertResult", "MeterPage", "TelemetryStore"]

FILTERABLE = frozenset({"metering_point"})
"""Meter fields a list filter may name."""

# Plain columns, not ORM entities: building an ORM object per reading costs several times
# more than the query itself on month-long windows.
_READING_COLUMNS = (
    col(ReadingRow.meter),
    col(ReadingRow.read_time),
    col(ReadingRow.energy_kwh),
    col(ReadingRow.power_kw),
)

# Rows per INSERT statement: 4 parameters a row stays far below SQLite's 32,766 variables.
_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class MeterPage:
    """One page of meters, ordered by id."""

    items: tuple[Meter, ...]
    """The meters."""
    next_key: tuple[str, ...] | None
    """Key of the last item when more follow, else None."""
    total_size: int
    """All meters matching the query."""


@dataclass(frozen=True, slots=True)
class InsertResult:
    """What a batch of readings did to the store."""

    accepted: int
    """Readings newly stored."""
    duplicates: int
    """Readings ignored because their (meter, time) was already stored or repeated."""


def _meter_from_row(row: MeterRow) -> Meter:
    return Meter(
        id=row.id,
        data_center_id=row.data_center,
        metering_point=MeteringPoint(row.metering_point),
        description=row.description or None,
    )


def _reading_from_row(row: Any) -> Reading:
    return Reading(
        meter_id=row.meter,
        timestamp=_aware(row.read_time),
        energy_kwh=row.energy_kwh,
        power_kw=row.power_kw,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class TelemetryStore:
    """Meters and readings over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # SQLite allows one writer; serialising writes here avoids busy-waits inside SQLite.
        self._write_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- meters ------------------------------------------------------------------------------

    def create_meter(self, meter: Meter, *, request_id: str = "") -> Meter:
        """Insert a meter; a repeated ``request_id`` returns the meter it created first."""
        if len(request_id) > 200 or "\x00" in request_id:
            raise InvalidArgument(
                "request_id is invalid",
                [FieldViolation("request_id", "must be at most 200 characters, without NUL")],
            )
        with self._write_lock, Session(self._engine) as session:
            if request_id:
                earlier = session.exec(
                    select(MeterRow).where(MeterRow.request_id == request_id)
                ).first()
                if earlier is not None:
                    return _meter_from_row(earlier)
            if session.get(MeterRow, meter.id) is not None:
                raise AlreadyExists(f"meter {meter.id!r} already exists")
            session.add(
                MeterRow(
                    id=meter.id,
                    data_center=meter.data_center_id,
                    metering_point=meter.metering_point.value,
                    description=meter.description or "",
                    request_id=request_id or None,
                    create_time=datetime.now(UTC),
                )
            )
            try:
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise AlreadyExists(f"meter {meter.id!r} was created concurrently") from exc
        return meter

    def get_meter(self, meter_id: str) -> Meter:
        with Session(self._engine) as session:
            row = session.get(MeterRow, meter_id)
        if row is None:
            raise NotFound(f"meter {meter_id!r} does not exist")
        return _meter_from_row(row)

    def find_meters(self, meter_ids: Iterable[str]) -> dict[str, Meter]:
        """The meters among ``meter_ids`` that exist, by id."""
        wanted = sorted(set(meter_ids))
        found: dict[str, Meter] = {}
        with Session(self._engine) as session:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                rows = session.exec(select(MeterRow).where(col(MeterRow.id).in_(chunk))).all()
                found.update((r.id, _meter_from_row(r)) for r in rows)
        return found

    def meters(self, data_center: str | None = None) -> list[Meter]:
        """Every meter (of one data center when given), ordered by id."""
        query = select(MeterRow)
        if data_center is not None:
            query = query.where(MeterRow.data_center == data_center)
        with Session(self._engine) as session:
            rows = session.exec(query.order_by(col(MeterRow.id))).all()
        return [_meter_from_row(r) for r in rows]

    def data_centers(self) -> set[str]:
        """Data centers with at least one meter."""
        with Session(self._engine) as session:
            return set(session.exec(select(MeterRow.data_center).distinct()).all())

    def list_meters(
        self,
        *,
        data_center: str | None = None,
        filters: Mapping[str, str] | None = None,
        page_size: int = 50,
        after: tuple[str, ...] | None = None,
    ) -> MeterPage:
        """Meters ordered by id; ``filters`` are equality terms on ``FILTERABLE`` fields."""
        filters = dict(filters or {})
        unknown = sorted(set(filters) - FILTERABLE)
        if unknown:
            raise InvalidArgument(
                f"cannot filter meters by {', '.join(unknown)}",
                [FieldViolation("filter", f"filterable fields: {', '.join(sorted(FILTERABLE))}")],
            )
        conditions: list[Any] = []
        if data_center is not None:
            conditions.append(col(MeterRow.data_center) == data_center)
        for name, value in filters.items():
            conditions.append(col(getattr(MeterRow, name)) == value)
        with Session(self._engine) as session:
            total = session.exec(
                select(func.count()).select_from(MeterRow).where(*conditions)
            ).one()
            query = select(MeterRow).where(*conditions)
            if after is not None:
                query = query.where(col(MeterRow.id) > after[0])
            rows = session.exec(query.order_by(col(MeterRow.id)).limit(page_size + 1)).all()
        items = tuple(_meter_from_row(r) for r in rows[:page_size])
        next_key = (items[-1].id,) if len(rows) > page_size and items else None
        return MeterPage(items, next_key, int(total))

    def delete_meter(self, meter_id: str) -> Meter:
        """Delete a meter and all its readings."""
        with self._write_lock, Session(self._engine) as session:
            row = session.get(MeterRow, meter_id)
            if row is None:
                raise NotFound(f"meter {meter_id!r} does not exist")
            meter = _meter_from_row(row)
            # Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only
            # with foreign_keys=ON on the connection.
            session.execute(sa.delete(ReadingRow).where(col(ReadingRow.meter) == meter_id))
            session.delete(row)
            session.commit()
        return meter

    # -- readings ----------------------------------------------------------------------------

    def insert_readings(self, readings: Sequence[Reading]) -> InsertResult:
        """Store ``readings`` in one transaction, ignoring and counting duplicates.

        Every reading's meter must exist (``pue.ingest`` checks first); a meter deleted
        meanwhile fails the whole batch with FAILED_PRECONDITION.
        """
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, datetime]] = set()
        for r in readings:
            key = (r.meter_id, r.timestamp)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "meter": r.meter_id,
                    "read_time": r.timestamp,
                    "energy_kwh": r.energy_kwh,
                    "power_kw": r.power_kw,
                }
            )
        accepted = 0
        with self._write_lock, Session(self._engine) as session:
            insert = (
                postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
            )
            try:
                for start in range(0, len(rows), _CHUNK):
                    statement = (
                        insert(ReadingRow)
                        .values(rows[start : start + _CHUNK])
                        .on_conflict_do_nothing(index_elements=["meter", "read_time"])
                        .returning(col(ReadingRow.meter))
                    )
                    # RETURNING yields only the rows actually inserted on both backends,
                    # which counts duplicates exactly even against concurrent writers.
                    accepted += len(session.execute(statement).all())
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise FailedPrecondition(
                    "a meter of these readings was deleted while they were recorded; "
                    "nothing was stored"
                ) from exc
        return InsertResult(accepted=accepted, duplicates=len(readings) - accepted)

    def readings(self, meter_ids: Iterable[str], window: Window) -> list[Reading]:
        """Readings of the meters inside ``window``, plus each meter's nearest reading
        before it and at or after its end, ordered by meter and time."""
        ids = sorted(set(meter_ids))
        if not ids:
            return []
        out: list[Reading] = []
        with Session(self._engine) as session:
            inner = session.execute(
                sa.select(*_READING_COLUMNS)
                .where(
                    col(ReadingRow.meter).in_(ids),
                    col(ReadingRow.read_time) >= window.start,
                    col(ReadingRow.read_time) < window.end,
                )
                .order_by(col(ReadingRow.meter), col(ReadingRow.read_time))
            ).all()
            by_meter: dict[str, list[Reading]] = {m: [] for m in ids}
            for row in inner:
                by_meter[row.meter].append(_reading_from_row(row))
            for meter_id in ids:
                before = session.execute(
                    sa.select(*_READING_COLUMNS)
                    .where(
                        col(ReadingRow.meter) == meter_id,
                        col(ReadingRow.read_time) < window.start,
                    )
                    .order_by(col(ReadingRow.read_time).desc())
                    .limit(1)
                ).first()
                after = session.execute(
                    sa.select(*_READING_COLUMNS)
                    .where(
                        col(ReadingRow.meter) == meter_id,
                        col(ReadingRow.read_time) >= window.end,
                    )
                    .order_by(col(ReadingRow.read_time))
                    .limit(1)
                ).first()
                if before is not None:
                    out.append(_reading_from_row(before))
                out.extend(by_meter[meter_id])
                if after is not None:
                    out.append(_reading_from_row(after))
        return out

    def last_readings(self, meter_ids: Iterable[str]) -> dict[str, Reading]:
        """The latest reading of each meter that has one."""
        out: dict[str, Reading] = {}
        with Session(self._engine) as session:
            for meter_id in sorted(set(meter_ids)):
                row = session.execute(
                    sa.select(*_READING_COLUMNS)
                    .where(col(ReadingRow.meter) == meter_id)
                    .order_by(col(ReadingRow.read_time).desc())
                    .limit(1)
                ).first()
                if row is not None:
                    out[meter_id] = _reading_from_row(row)
        return out

    def reading_count(self, meter_id: str | None = None) -> int:
        """Readings stored (of one meter when given)."""
        query = select(func.count()).select_from(ReadingRow)
        if meter_id is not None:
            query = query.where(ReadingRow.meter == meter_id)
        with Session(self._engine) as session:
            return int(session.exec(query).one())
