"""Several server replicas over one PostgreSQL: one active placer, elected with a session
advisory lock, and change notices between replicas with LISTEN/NOTIFY.

Every replica accepts and persists submissions and serves reads; only the holder of the
advisory lock places jobs (like kube-scheduler's single active scheduler with leader
election). When the placer's process dies its database session ends, PostgreSQL releases the
lock, and the next replica to poll takes it over, rebuilds its ledger from the database and
places what waits. After every commit a replica sends a NOTIFY; the others re-read the
unfinished jobs, so the placer learns of new submissions and cancellations at once.

No home-made consensus: the lock and the notices are PostgreSQL's. The lock and the listener
each use their own autocommit connection, outside the SQLAlchemy pool.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import psycopg
import structlog
from sqlalchemy.engine import make_url

__all__ = ["Coordinator", "conninfo"]

_log = structlog.get_logger("computenet.replication")


def conninfo(sqlalchemy_url: str) -> str:
    """A libpq URI for psycopg from a SQLAlchemy PostgreSQL URL (query options kept)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Coordinator:
    """Leader election and change notices for one replica."""

    def __init__(
        self,
        database_url: str,
        *,
        on_leader: Callable[[], Awaitable[None]],
        on_change: Callable[[], None],
        poll_seconds: float = 1.0,
    ) -> None:
        self._dsn = conninfo(database_url)
        self._on_leader = on_leader
        self._on_change = on_change
        self._poll = poll_seconds
        self._lock_conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._notify_conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._notify_lock = threading.Lock()
        self._own_pid = -1
        self._key = 0
        self._channel = ""
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.is_leader = False
        """Whether this replica is the active placer now."""

    async def start(self) -> None:
        """Work out the lock key and channel (per database schema), start listening and
        electing; returns at once (the first election runs right away)."""
        self._loop = asyncio.get_running_loop()
        self._key, self._channel = await asyncio.to_thread(self._names)
        self._listener = threading.Thread(
            target=self._listen, name="computenet-listen", daemon=True
        )
        self._listener.start()
        await self._elect_once()
        self._task = asyncio.create_task(self._elect_loop(), name="computenet-election")

    def _names(self) -> tuple[int, str]:
        # Advisory locks and channels are per database: key them by schema too, so that
        # deployments (and test runs) in other schemas of the same database do not collide.
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            row = conn.execute(
                "select hashtext('computenet.placer:' || current_schema()), "
                "'computenet_' || substr(md5(current_schema()), 1, 16)"
            ).fetchone()
        assert row is not None
        return int(row[0]), str(row[1])  # type: ignore[call-overload]

    async def stop(self) -> None:
        """Stop electing and listening; releases the lock (by closing its session)."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.to_thread(self._close)
        if self._listener is not None:
            await asyncio.to_thread(self._listener.join, 5.0)

    def _close(self) -> None:
        if self._lock_conn is not None:
            self._lock_conn.close()
        self._lock_conn = None
        self.is_leader = False
        with self._notify_lock:  # a notice in flight must not reopen it behind our back
            self._drop_notify_conn()

    def _drop_notify_conn(self) -> None:
        if self._notify_conn is not None:
            self._notify_conn.close()
        self._notify_conn = None

    # -- election -----------------------------------------------------------------------------

    async def _elect_loop(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self._poll)
            try:
                await self._elect_once()
            except Exception as exc:  # keep electing: the database may come back
                _log.warning("election round failed", error=str(exc))

    async def _elect_once(self) -> None:
        was = self.is_leader
        now = await asyncio.to_thread(self._hold_or_try)
        self.is_leader = now
        if now and not was:
            _log.info("this replica is now the active placer")
            await self._on_leader()
        elif was and not now:
            _log.warning("this replica lost the placer lock; it stops placing")

    def _hold_or_try(self) -> bool:
        try:
            if self._lock_conn is None or self._lock_conn.closed:
                self._lock_conn = psycopg.connect(self._dsn, autocommit=True)
                self.is_leader = False
            if self.is_leader:
                # Still our session? If the connection broke, PostgreSQL dropped the lock.
                self._lock_conn.execute("select 1")
                return True
            row = self._lock_conn.execute(
                "select pg_try_advisory_lock(%s)", (self._key,)
            ).fetchone()
            return bool(row and row[0])
        except psycopg.Error as exc:
            _log.warning("placer lock connection failed", error=str(exc))
            if self._lock_conn is not None:
                self._lock_conn.close()
            self._lock_conn = None
            return False

    # -- notices ------------------------------------------------------------------------------

    def notify(self) -> None:
        """Tell the other replicas that jobs changed (call after a commit; blocking, quick)."""
        with self._notify_lock:
            if self._stop.is_set():
                return  # stopping: a connection opened now would never be closed
            try:
                if self._notify_conn is None or self._notify_conn.closed:
                    self._notify_conn = psycopg.connect(self._dsn, autocommit=True)
                    self._own_pid = self._notify_conn.info.backend_pid
                self._notify_conn.execute(f'notify "{self._channel}"')
            except psycopg.Error as exc:
                _log.warning("notify failed; peers catch up on their next notice", error=str(exc))
                self._drop_notify_conn()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f'listen "{self._channel}"')
                    while not self._stop.is_set():
                        got = False
                        for notice in conn.notifies(timeout=0.5):
                            # Our own notices need no re-read.
                            got = got or notice.pid != self._own_pid
                        if got and self._loop is not None:
                            self._loop.call_soon_threadsafe(self._on_change)
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    _log.warning("listener connection failed; retrying", error=str(exc))
                    self._stop.wait(1.0)
