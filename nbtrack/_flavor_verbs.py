"""``log_model`` / ``load_model`` for the library-named modules (``nbtrack.xgboost``,
``nbtrack.lightgbm``): a model logged into the active run, loaded back by URI."""
from __future__ import annotations

from typing import Any

from .errors import InvalidParameterError, NoActiveRunError
from .registry.models import ModelInfo

__all__ = ["log_model_in_active_run", "load_logged_model"]


def log_model_in_active_run(
    module: str, model: Any, artifact_path: str | None, name: str | None,
    registered_model_name: str | None, input_example: Any, signature: Any,
) -> ModelInfo:
    """Log ``model`` in the active run (``name`` is MLflow 3's word for ``artifact_path``)."""
    if (artifact_path is None) == (name is None):
        raise InvalidParameterError(f"nbtrack.{module}.log_model needs exactly one of artifact_path or name")
    path: str = artifact_path if artifact_path is not None else name  # type: ignore[assignment]
    from .fluent import active_run

    run = active_run()
    if run is None:
        raise NoActiveRunError("log a model")
    return run.client.log_model(run.run_id, model, path, registered_model_name, input_example, signature=signature)


def load_logged_model(model_uri: str) -> Any:
    """The object logged at ``model_uri`` (see ``TrackingClient.load_model``)."""
    from .client import TrackingClient

    return TrackingClient().load_model(model_uri)
