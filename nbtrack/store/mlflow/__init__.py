"""The MLflow tracking server store (optional extra ``nbtrack[mlflow]``).

Importing this package imports MLflow's client library; ``nbtrack.store.open_store`` does so
only for ``http(s)://`` URIs.
"""
from __future__ import annotations

from ._connection import canonical_server_uri
from .store import MlflowStore

__all__ = ["MlflowStore", "canonical_server_uri"]
