"""The server's one TrackingClient, called from a worker thread so the event loop never blocks.

Store calls take file locks and read TinyDB files; running them on Tornado's loop would freeze
every other Jupyter request meanwhile. One worker thread keeps the client single-threaded.
"""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from ..client import TrackingClient

__all__ = ["Backend"]

T = TypeVar("T")


class Backend:
    """Lazily opens ``TrackingClient(tracking_uri)`` and runs calls on it off the event loop."""

    def __init__(self, tracking_uri: str):
        self.tracking_uri = tracking_uri
        self._client: TrackingClient | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbtrack-server")

    def _client_now(self) -> "TrackingClient":
        if self._client is None:
            from ..client import TrackingClient  # deferred: keeps server start cheap

            self._client = TrackingClient(self.tracking_uri)
        return self._client

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        return fn(self._client_now(), *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Await ``fn(client, *args, **kwargs)`` run on the worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self._call, fn, args, kwargs)
        )

    def close(self) -> None:
        """Stop the worker thread (pending calls finish first)."""
        self._executor.shutdown(wait=True)
