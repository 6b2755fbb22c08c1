"""``nbtrack.pyfunc.load_model``: MLflow's generic loader name, so ``mlflow.pyfunc.load_model(uri)``
ports by renaming. The loaded object is the logged model itself (its own ``predict``)."""
from __future__ import annotations

from typing import Any

__all__ = ["load_model"]


def load_model(model_uri: str) -> Any:
    """Load a logged model from a ``runs:/`` or ``models:/`` URI (see ``TrackingClient.load_model``)."""
    from .fluent.lookup import load_model as _load

    return _load(model_uri)
