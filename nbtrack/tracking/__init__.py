"""``nbtrack.tracking.MlflowClient``: so ``from mlflow.tracking import MlflowClient`` ports by renaming."""
from __future__ import annotations

from ..client import MlflowClient, TrackingClient

__all__ = ["MlflowClient", "TrackingClient"]
