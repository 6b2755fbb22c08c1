"""Tracking stores and how a tracking URI picks one.

``open_store(uri)`` returns one shared instance per URI per process, so the fluent API and every
``TrackingClient`` in a kernel share one metric buffer and one read cache.
"""
from __future__ import annotations

import atexit
import logging
import os
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import InvalidParameterError, NbtrackError
from .base import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, Store
from .docstore import DocStore
from .documents import FileDocuments, MemoryDocuments

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DEFAULT_EXPERIMENT_NAME",
    "MemoryStore",
    "Store",
    "TinyDBStore",
    "default_uri",
    "flush_all",
    "open_store",
    "resolve_uri",
]

ENV_URI = "NBTRACK_TRACKING_URI"
DEFAULT_DIR = "nbtrack-store"

log = logging.getLogger("nbtrack.store")


class TinyDBStore(DocStore):
    """The default store: a folder of TinyDB JSON files, safe for several processes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        root = Path(root).resolve()
        super().__init__(FileDocuments(root), f"tinydb://{root}", root / "artifacts")
        self.root = root


class MemoryStore(DocStore):
    """A store that lives in this process only (tests, scratch work); artifacts go to a temp dir."""

    def __init__(self, name: str = "") -> None:
        artifacts = Path(tempfile.mkdtemp(prefix="nbtrack-memory-artifacts-"))
        super().__init__(MemoryDocuments(), f"memory:{name}", artifacts)


def default_uri() -> str:
    return os.environ.get(ENV_URI) or DEFAULT_DIR


def resolve_uri(uri: str | os.PathLike[str] | None = None) -> str:
    """Canonical form of a tracking URI: ``memory:<name>``, ``tinydb:///absolute/path`` or
    ``http(s)://host:port`` (an MLflow tracking server)."""
    raw = os.fspath(uri) if uri is not None else default_uri()
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidParameterError(f"Tracking URI must be a non-empty string or path, got {uri!r}")
    raw = raw.strip()
    if raw.startswith("memory:"):
        return raw
    if raw.startswith("mlflow+"):
        raise NbtrackError(
            f"Tracking URI {raw!r} needs the MLflow team backend, which is not installed in this "
            "version; use a local path, 'tinydb:///abs/path' or 'memory:'"
        )
    if raw.lower().startswith(_SERVER_SCHEMES):
        from .mlflow._connection import canonical_server_uri  # no MLflow import here

        return canonical_server_uri(raw)
    if "://" in raw:
        parsed = urlparse(raw)
        if parsed.scheme not in ("tinydb", "file"):
            raise NbtrackError(
                f"Tracking URI {raw!r} is not supported. Use a local path, 'tinydb:///abs/path', "
                "'memory:' or an MLflow tracking server 'http(s)://host:port'"
            )
        if parsed.netloc not in ("", "localhost"):
            raise InvalidParameterError(
                f"Tracking URI {raw!r} names host {parsed.netloc!r}; a tinydb URI is a local path "
                "and needs three slashes: tinydb:///abs/path"
            )
        raw = unquote(parsed.path)
    return f"tinydb://{Path(raw).expanduser().resolve()}"


_SERVER_SCHEMES = ("http://", "https://")
_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def _reset_lock_in_child() -> None:
    global _stores_lock
    _stores_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)


def open_store(uri: str | os.PathLike[str] | None = None) -> Store:
    """The shared store for ``uri`` (default: ``$NBTRACK_TRACKING_URI`` or ``./nbtrack-store``).

    ``http(s)://`` URIs open an :class:`~nbtrack.store.mlflow.MlflowStore`, importing MLflow's
    client library then (the optional extra ``nbtrack[mlflow]``).
    """
    key = resolve_uri(uri)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if key.startswith(_SERVER_SCHEMES):
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
