"""MLflow's ``mlflow.lightgbm`` names, so ``mlflow.lightgbm.autolog()`` and ``log_model`` port by renaming.

LightGBM itself is imported only when autologging is switched on or a model is logged.
Loading unpickles the model, which runs code chosen by whoever wrote it: only load models
from a store you trust.
"""
from __future__ import annotations

from typing import Any

from ._flavor_verbs import load_logged_model, log_model_in_active_run
from .registry.models import ModelInfo

__all__ = ["autolog", "log_model", "load_model", "FLAVOR_NAME"]

FLAVOR_NAME = "lightgbm"


def autolog(**options: Any) -> None:
    """Log every LightGBM training call (see :func:`nbtrack.autologging.lightgbm.autolog`)."""
    from .autologging import lightgbm as _autolog

    _autolog.autolog(**options)


def log_model(
    lgb_model: Any,
    artifact_path: str | None = None,
    registered_model_name: str | None = None,
    input_example: Any = None,
    signature: Any = None,
    *,
    name: str | None = None,
) -> ModelInfo:
    """Log a LightGBM booster or scikit-learn wrapper in the active run (see
    ``TrackingClient.log_model``); ``name`` is MLflow 3's name for ``artifact_path``."""
    return log_model_in_active_run(
        "lightgbm", lgb_model, artifact_path, name, registered_model_name, input_example, signature
    )


def load_model(model_uri: str) -> Any:
    """Load a LightGBM model logged by nbtrack (see ``TrackingClient.load_model``)."""
    return load_logged_model(model_uri)
