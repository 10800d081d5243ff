"""Shared fixtures: databases (SQLite always; PostgreSQL when reachable, required in CI) and a
real in-process gRPC server on port 0.

PostgreSQL: ``COMPUTENET_TEST_POSTGRES_URL`` (default: the local server, database ``test``).
Each test gets its own schema, dropped afterwards. Without a server the PostgreSQL cases skip
with the reason, unless ``COMPUTENET_REQUIRE_POSTGRES=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from computenet import db
from computenet.config import Config
from scheduler.testing import ThreadedServer, serve_in_thread

POSTGRES_URL = os.environ.get(
    "COMPUTENET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("COMPUTENET_REQUIRE_POSTGRES", "") == "1"

_postgres_error: str | None = None
_postgres_checked = False


def _postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    global _postgres_checked, _postgres_error
    if not _postgres_checked:
        _postgres_checked = True
        try:
            engine = sa.create_engine(
                db.normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 3}
            )
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
        except Exception as exc:  # any failure to connect means "not here"
            _postgres_error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _postgres_error


def _postgres_schema_url() -> Iterator[str]:
    why = _postgres_unavailable()
    if why is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(
                f"COMPUTENET_REQUIRE_POSTGRES=1 but PostgreSQL at {POSTGRES_URL} is unusable: {why}"
            )
        pytest.skip(
            f"no PostgreSQL server at {POSTGRES_URL} ({why}); set COMPUTENET_TEST_POSTGRES_URL"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(db.normalise_url(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'computenet.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of a fresh PostgreSQL schema (skips, or fails in CI, without a server)."""
    yield from _postgres_schema_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of an empty SQLite file, for tests that need only one backend."""
    return f"sqlite:///{tmp_path / 'computenet.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    eng = db.create_engine(database_url)
    db.migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def server(database_url: str) -> Iterator[ThreadedServer]:
    """A real server on 127.0.0.1, port 0, over an empty database on each backend."""
    config = Config(host="127.0.0.1", port=0, database_url=database_url, batch_interval_seconds=0)
    with serve_in_thread(config) as running:
        yield running


@pytest.fixture
def channel(server: ThreadedServer) -> Iterator[grpc.Channel]:
    """A plain channel to ``server``."""
    with grpc.insecure_channel(server.address) as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        yield ch
