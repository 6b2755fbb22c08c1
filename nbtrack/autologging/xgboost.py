"""XGBoost autologging with ``mlflow.xgboost.autolog``'s names.

``xgboost.train`` and the scikit-learn wrappers (``XGBClassifier.fit``...) log into the active run,
or into a run started for the call (tag ``mlflow.autologging = xgboost``): the booster params and
``train``'s other arguments, ``<eval name>-<metric>`` per iteration (``evals`` / ``eval_set``),
``stopped_iteration``, ``best_iteration`` and the best iteration's metrics when
``early_stopping_rounds`` is given, ``feature_importance_<type>.json`` (and ``.png`` with
matplotlib) for each of ``importance_types`` (default ``["weight"]``), and the model at
``runs:/<run_id>/model`` (the fitted estimator for the wrappers, with its signature); a wrapper's
later ``score(X, y)`` is logged as ``<Class>_score_<X's variable name>``.
"""
from __future__ import annotations

import inspect
from typing import Any

from ._boosting import BoostingAutolog, MetricRecorder, log_early_stopping, log_importance

__all__ = ["autolog", "is_enabled"]

FLAVOR_NAME = "xgboost"


class _XGBoost(BoostingAutolog):
    flavor = FLAVOR_NAME
    post_training_score = True
    unlogged = frozenset({
        "params", "dtrain", "evals", "obj", "feval", "evals_result", "xgb_model", "callbacks",
        "learning_rates",
    })

    def modules(self) -> tuple[Any, Any]:
        import xgboost
        import xgboost.sklearn

        return xgboost, xgboost.sklearn

    def estimator_classes(self) -> list[type]:
        import xgboost.sklearn as wrappers

        return [c for c in vars(wrappers).values() if inspect.isclass(c) and issubclass(c, wrappers.XGBModel)]

    def callback(self, recorder: MetricRecorder) -> Any:
        import xgboost

        class _Record(xgboost.callback.TrainingCallback):
            def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
                recorder.record(
                    {f"{data}-{metric}": values[-1] for data, metrics in evals_log.items()
                     for metric, values in metrics.items()},
                    epoch,
                )
                return False

        return _Record()

    def log_after_training(self, client: Any, run_id: str, model: Any, bound: inspect.BoundArguments,
                           recorder: MetricRecorder) -> None:
        if bound.arguments.get("early_stopping_rounds") and recorder.results:
            best = int(model.best_iteration)
            log_early_stopping(recorder, len(recorder.results) - 1, best, best)
        for kind in self.config.get("importance_types") or ["weight"]:
            importance = model.get_score(importance_type=kind)
            if importance:
                log_importance(client, run_id, importance, kind, None, self.silent)


_integration = _XGBoost()


def is_enabled() -> bool:
    return bool(_integration.patches)


def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Log every ``xgboost.train`` and XGBoost scikit-learn ``fit`` (``disable=True`` stops it).

    Parameters follow ``mlflow.xgboost.autolog``; ``log_input_examples``, ``log_datasets``,
    ``exclusive``, ``disable_for_unsupported_versions``, ``model_format`` and ``extra_tags``
    are accepted and have no effect (models are pickled, datasets are not recorded).
    """
    if disable:
        _integration.disable()
        return
    _integration.enable(
        importance_types=importance_types, log_model_signatures=log_model_signatures,
        log_models=log_models, silent=silent, registered_model_name=registered_model_name,
    )
