"""Documents held in a dict, for tests and ``memory:`` stores: the semantics of the files.

Every update round-trips through the same JSON encoding as a file (:func:`.documents.dumps`),
so a value that could not survive a file cannot survive memory either.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from ._journal import Change, apply_changes
from .documents import dumps, register_fork_reset

__all__ = ["MemoryDocuments"]

T = TypeVar("T")


class MemoryDocuments:
    """Documents in a dict; same copy-on-update semantics as files."""

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any]] = {}
        self._versions: dict[str, int] = {}
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.RLock()
        register_fork_reset(self)

    def reset_after_fork(self) -> None:
        self._lock = threading.RLock()

    def read(self, name: str) -> dict[str, Any]:
        return self._docs.get(name, {})

    load = read

    def version(self, name: str) -> Any:
        return self._versions.get(name)

    def update(self, name: str, fn: Callable[[dict[str, Any]], T]) -> T:
        with self._lock:
            current = self._docs.get(name)
            data = orjson.loads(dumps(current)) if current is not None else {}
            result = fn(data)
            self._docs[name] = orjson.loads(dumps(data))
            self._versions[name] = self._versions.get(name, 0) + 1
            return result

    def update_entries(self, name: str, fn: Callable[[dict[str, Any]], tuple[T, Change]]) -> T:
        def apply(data: dict[str, Any]) -> T:
            result, changes = fn(data)
            apply_changes(data, ((t, i, e) for (t, i), e in changes.items()))
            return result

        return self.update(name, apply)

    def put(self, name: str, data: dict[str, Any]) -> None:
        self.update(name, lambda raw: raw.update(data))

    def compact(self, name: str, then_create: str | None = None) -> None:
        pass  # no journal in memory; a missing document reads as empty

    def put_bytes(self, name: str, payload: bytes) -> None:
        with self._lock:
            self._blobs[name] = bytes(payload)

    def load_bytes(self, name: str) -> bytes | None:
        return self._blobs.get(name)

    def names(self, prefix: str) -> list[str]:
        with self._lock:
            return sorted(n for n in self._docs if n.startswith(prefix))

    def describe(self, name: str) -> str:
        return f"memory document {name!r}"
