"""The server's TrackingClients, called from a pool of worker threads, off the event loop.

Store calls take file locks and read TinyDB files; running them on Tornado's loop would freeze
every other Jupyter request meanwhile. Several workers let a slow search (a huge store, a LIKE
over long values) run while other requests are served; each worker thread opens its own client,
so no client is ever used by two threads at once (the store's file locks order their writes, as
they do between processes).
"""
from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..client import TrackingClient

__all__ = ["Backend"]

T = TypeVar("T")
WORKERS = 4


class Backend:
    """Lazily opens ``TrackingClient(tracking_uri)`` and runs calls on it off the event loop."""

    def __init__(self, tracking_uri: str):
        self.tracking_uri = tracking_uri
        self._local = threading.local()
        self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="nbtrack-server")

    def _client_now(self) -> TrackingClient:
        client = getattr(self._local, "client", None)
        if client is None:
            from ..client import TrackingClient  # deferred: keeps server start cheap

            client = self._local.client = TrackingClient(self.tracking_uri)
        return client

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        return fn(self._client_now(), *args, **kwargs)

    def warm(self) -> None:
        """Import the client and store layers and open one client on a worker, in the background,
        so the first request after the server starts does not pay for them (the store itself is
        read only when asked)."""
        self._executor.submit(self._client_now)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Await ``fn(client, *args, **kwargs)`` run on a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self._call, fn, args, kwargs)
        )

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Await a blocking call that needs no client (e.g. reading a file) on a worker."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def close(self) -> None:
        """Stop the worker threads (pending calls finish first)."""
        self._executor.shutdown(wait=True)
