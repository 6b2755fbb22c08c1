"""Tracking stores and how a tracking URI picks one.

``open_store(uri)`` returns one shared instance per URI per process, so the fluent API and every
``TrackingClient`` in a kernel share one metric buffer and one read cache.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

from ..errors import NbtrackError
from . import run_index
from .base import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, Store
from .discovery import (
    ENV_URI,
    NOTEBOOK_ENVS,
    PROJECT_ROOT_ENV,
    STORE_DIR,
    StoreLocation,
    canonical_uri,
    discover_store,
    existing_store_uri,
)
from .docstore import DocStore
from .documents import FileDocuments
from .memory_documents import MemoryDocuments

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DEFAULT_EXPERIMENT_NAME",
    "MemoryStore",
    "Store",
    "StoreLocation",
    "TinyDBStore",
    "canonical_uri",
    "default_uri",
    "discover_store",
    "existing_store_uri",
    "flush_all",
    "open_store",
    "resolve_uri",
]

DEFAULT_DIR = STORE_DIR

log = logging.getLogger("nbtrack.store")


class TinyDBStore(DocStore):
    """The default store: a folder of TinyDB JSON files, safe for several processes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        root = Path(root).resolve()
        docs = FileDocuments(root, sidecars={"runs/": run_index.encode})
        super().__init__(docs, f"tinydb://{root}", root / "artifacts")
        self.root = root


class MemoryStore(DocStore):
    """A store that lives in this process only (tests, scratch work); artifacts go to a temp dir.

    The temp dir is removed on :meth:`close`, or when the store is garbage-collected, or at
    interpreter exit, whichever comes first.
    """

    def __init__(self, name: str = "") -> None:
        artifacts = Path(tempfile.mkdtemp(prefix="nbtrack-memory-artifacts-"))
        super().__init__(MemoryDocuments(), f"memory:{name}", artifacts)
        self._remove_artifacts = weakref.finalize(self, shutil.rmtree, artifacts, ignore_errors=True)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._remove_artifacts()


def default_uri() -> str:
    """The store the discovery rule picks now (see :mod:`nbtrack.store.discovery`).

    Cached per environment and working folder once the store exists, so the walk up runs
    once per folder.
    """
    env = os.environ
    key = (env.get(ENV_URI), env.get(PROJECT_ROOT_ENV), *(env.get(v) for v in NOTEBOOK_ENVS),
           os.getcwd())
    uri = _discovered.get(key)
    if uri is None:
        location = discover_store()
        uri = location.uri
        if location.exists:  # a new one is looked for again until it is created
            _discovered[key] = uri
    return uri


def resolve_uri(uri: str | os.PathLike[str] | None = None) -> str:
    """Canonical form of a tracking URI (None: :func:`default_uri`); see ``canonical_uri``."""
    return default_uri() if uri is None else canonical_uri(uri)


_discovered: dict[tuple[str | None, ...], str] = {}
_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def _reset_lock_in_child() -> None:
    global _stores_lock
    _stores_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)


def open_store(uri: str | os.PathLike[str] | None = None) -> Store:
    """The shared store for ``uri`` (default: the discovery rule's, created if missing).

    ``http(s)://`` URIs open an :class:`~nbtrack.store.mlflow.MlflowStore`, importing MLflow's
    client library then (the optional extra ``nbtrack[mlflow]``).
    """
    key = resolve_uri(uri)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if key.startswith(("http://", "https://")):
                from .mlflow import MlflowStore

                store = MlflowStore(key)
            elif key.startswith("memory:"):
                store = MemoryStore(key[len("memory:"):])
            else:
                store = TinyDBStore(key[len("tinydb://"):])
            _stores[key] = store
        return store


def flush_all() -> None:
    """Flush every open store's metric buffer; raises the first failure after trying them all."""
    errors = []
    for store in list(_stores.values()):
        try:
            store.flush()
        except NbtrackError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def _flush_at_exit() -> None:
    try:
        flush_all()
    except NbtrackError as exc:
        log.error("nbtrack: metric points could not be written at exit: %s", exc)


atexit.register(_flush_at_exit)
