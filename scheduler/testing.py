"""A real computenet server running in a background thread, for tests and notebooks.

with serve_in_thread(Config(port=0, database_url="sqlite://")) as server:
    channel = grpc.insecure_channel(server.address)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from computenet.config import Config
from scheduler.server import Running, start

__all__ = ["ThreadedServer", "serve_in_thread"]


@dataclass
class ThreadedServer:
    """A started server and the loop it runs on."""

    running: Running
    loop: asyncio.AbstractEventLoop

    @property
    def address(self) -> str:
        return self.running.address


@contextmanager
def serve_in_thread(config: Config, *, timeout: float = 60.0) -> Iterator[ThreadedServer]:
    """Start a server on its own event loop in a daemon thread; stop it on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="computenet-server", daemon=True)
    thread.start()
    try:
        running = asyncio.run_coroutine_threadsafe(start(config), loop).result(timeout)
    except BaseException:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()
        raise
    try:
        yield ThreadedServer(running, loop)
    finally:
        asyncio.run_coroutine_threadsafe(running.stop(grace=1.0), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()
