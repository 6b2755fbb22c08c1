"""``nbtrack.sklearn.log_model`` / ``load_model``: MLflow's sklearn flavour names, so
``mlflow.sklearn.log_model(model, "model", registered_model_name=...)`` reads the same.

Loading unpickles the model, which runs code chosen by whoever wrote it: only load models from
a store you trust.
"""
from __future__ import annotations

from typing import Any

from .errors import InvalidParameterError, NoActiveRunError
from .registry.models import ModelInfo

__all__ = ["log_model", "load_model", "autolog", "FLAVOR_NAME"]

FLAVOR_NAME = "sklearn"


def _check_estimator(sk_model: Any) -> None:
    """Accept scikit-learn estimators and anything shaped like one (``fit`` and ``predict``
    or ``transform``)."""
    try:
        from sklearn.base import BaseEstimator
    except ImportError:  # duck typing still works without scikit-learn
        BaseEstimator = ()
    if isinstance(sk_model, BaseEstimator):
        return
    if callable(getattr(sk_model, "fit", None)) and (
        callable(getattr(sk_model, "predict", None)) or callable(getattr(sk_model, "transform", None))
    ):
        return
    raise InvalidParameterError(
        f"nbtrack.sklearn.log_model expects a scikit-learn estimator, got {type(sk_model).__qualname__}; "
        "log other objects with nbtrack.log_model()"
    )


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    registered_model_name: str | None = None,
    input_example: Any = None,
    signature: Any = None,
    *,
    name: str | None = None,
) -> ModelInfo:
    """Log a scikit-learn model in the active run (see ``TrackingClient.log_model``).

    ``name`` is MLflow 3's name for ``artifact_path``; give one of them.
    """
    _check_estimator(sk_model)
    if (artifact_path is None) == (name is None):
        raise InvalidParameterError("nbtrack.sklearn.log_model needs exactly one of artifact_path or name")
    path: str = artifact_path if artifact_path is not None else name  # type: ignore[assignment]
    from .fluent import active_run

    run = active_run()
    if run is None:
        raise NoActiveRunError("log a model")
    # the client the run was started on, so the model lands in that run's store
    return run.client.log_model(
        run.run_id, sk_model, path, registered_model_name, input_example,
        flavor=FLAVOR_NAME, signature=signature,
    )


def load_model(model_uri: str) -> Any:
    """Load a scikit-learn model (see ``TrackingClient.load_model``); other flavours are refused
    before anything is unpickled."""
    from .client import TrackingClient

    return TrackingClient().load_model(model_uri, flavor=FLAVOR_NAME)


def autolog(
    log_models: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_post_training_metrics: bool = True,
    max_tuning_runs: int | None = 5,
    disable: bool = False,
    silent: bool = False,
    **mlflow_options: Any,
) -> None:
    """Log every scikit-learn ``fit``: params, training metrics and the model (MLflow's names).

    See :func:`nbtrack.autologging.sklearn.autolog`; other MLflow options are accepted and
    ignored with a warning.
    """
    from .autologging import sklearn as _sk

    _sk.autolog(
        log_models=log_models, log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures, log_post_training_metrics=log_post_training_metrics,
        max_tuning_runs=max_tuning_runs, disable=disable, silent=silent, **mlflow_options,
    )
