"""The few places where nbtrack and MLflow differ, behind one small interface.

Everything else in the workloads calls the same MLflow-named verbs on ``adapter.api`` (the
fluent module) and ``adapter.client`` (the explicit-id client), so both libraries run the very
same code. This module runs under two interpreters (ours and ``bench/.venv``): stdlib only.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["Adapter", "load_adapter", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class Adapter:
    """One tracking library opened on one store URI."""

    name = ""
    #: True if logged metrics wait in memory until a flush (then run end is a write too).
    buffered = False

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.api: Any = None
        self.entities: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The explicit-id client (created on first use, like the libraries do themselves)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        raise NotImplementedError

    def metric(self, key: str, value: float, timestamp: int, step: int) -> Any:
        return self.entities.Metric(key, value, timestamp, step)

    def param(self, key: str, value: str) -> Any:
        return self.entities.Param(key, value)

    def flush(self) -> None:
        """Make every logged metric durable (a no-op where logging is synchronous)."""
        raise NotImplementedError


class _Nbtrack(Adapter):
    name = "nbtrack"
    buffered = True

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        self.api = importlib.import_module("nbtrack")
        self.entities = importlib.import_module("nbtrack.entities")
        self.api.set_tracking_uri(uri)

    def _make_client(self) -> Any:
        return self.api.TrackingClient(self.uri)

    def flush(self) -> None:
        self.api.flush()


class _Mlflow(Adapter):
    name = "mlflow"

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        # No network here, and neither library phones home in the nbtrack column either.
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        os.environ.setdefault("DO_NOT_TRACK", "true")
        self.api = importlib.import_module("mlflow")
        self.entities = importlib.import_module("mlflow.entities")
        self.api.set_tracking_uri(uri)

    def _make_client(self) -> Any:
        return self.api.MlflowClient(self.uri)

    def flush(self) -> None:
        # Logging is synchronous unless MLFLOW_ENABLE_ASYNC_LOGGING is set; this makes sure.
        flush_async = getattr(self.api, "flush_async_logging", None)
        if flush_async is not None:
            flush_async()


def load_adapter(lib: str, uri: str) -> Adapter:
    """Open ``lib`` ("nbtrack" or "mlflow") on the store at ``uri``."""
    if lib == "nbtrack":
        return _Nbtrack(uri)
    if lib == "mlflow":
        return _Mlflow(uri)
    raise ValueError(f"unknown library {lib!r}: expected 'nbtrack' or 'mlflow'")
