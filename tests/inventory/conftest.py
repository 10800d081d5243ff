"""Fixtures of the inventory tests: stubs of InventoryService on the shared real server, and a
second, empty server on the same backend for export/import round trips."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa

from computenet import db
from computenet.config import Config
from computenet.v1 import inventory_pb2_grpc
from scheduler.testing import serve_in_thread

__all__ = ["TimedStub", "fresh_inventory_stub", "inventory_stub"]

# Where tests/conftest.py puts the per-test PostgreSQL schema in the URL it hands out.
_SCHEMA_OPTION = "options=-csearch_path%3D"
_CALL_TIMEOUT_SECONDS = 20.0


class TimedStub:
    """An InventoryService stub whose every call has a deadline, so a hung server fails the
    test instead of hanging the run."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = inventory_pb2_grpc.InventoryServiceStub(channel)  # type: ignore[no-untyped-call]

    def __getattr__(self, method: str) -> Any:
        return functools.partial(getattr(self._stub, method), timeout=_CALL_TIMEOUT_SECONDS)


@pytest.fixture
def inventory_stub(channel: grpc.Channel) -> TimedStub:
    """A stub of InventoryService on the real server of ``channel`` (each backend)."""
    return TimedStub(channel)


@contextmanager
def _second_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A URL of another empty database on the backend of ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base, found, schema = database_url.partition(_SCHEMA_OPTION)
    assert found, f"expected a per-test schema in {database_url!r}"
    fresh = f"{schema}_b"
    admin = sa.create_engine(db.normalise_url(base.rstrip("?&")))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{fresh}"'))
    try:
        yield f"{base}{_SCHEMA_OPTION}{fresh}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{fresh}" CASCADE'))
        admin.dispose()


@pytest.fixture
def fresh_inventory_stub(database_url: str, tmp_path: Path) -> Iterator[TimedStub]:
    """A stub of a second real server over its own empty database, same backend."""
    with _second_database(database_url, tmp_path) as url:
        config = Config(host="127.0.0.1", port=0, database_url=url, batch_interval_seconds=0)
        with serve_in_thread(config) as running, grpc.insecure_channel(running.address) as ch:
            grpc.channel_ready_future(ch).result(timeout=10)
            yield TimedStub(ch)
