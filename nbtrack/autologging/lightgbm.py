"""LightGBM autologging with ``mlflow.lightgbm.autolog``'s names.

``lightgbm.train`` and the scikit-learn wrappers (``LGBMClassifier.fit``...) log into the active
run, or into a run started for the call (tag ``mlflow.autologging = lightgbm``): the booster params
and ``train``'s other arguments, ``<valid name>-<metric>`` per iteration (``valid_sets`` /
``eval_set``), ``stopped_iteration``, ``best_iteration`` and the best iteration's metrics when
the booster has a best iteration (early stopping), ``feature_importance_split`` and
``feature_importance_gain`` as ``.json`` (and ``.png`` with matplotlib), and the model at
``runs:/<run_id>/model`` (the fitted estimator for the wrappers, with its signature).
"""
from __future__ import annotations

import inspect
from typing import Any

from ._boosting import BoostingAutolog, MetricRecorder, log_early_stopping, log_importance

__all__ = ["autolog", "is_enabled"]

FLAVOR_NAME = "lightgbm"


class _Record:
    """A LightGBM callback: each iteration's ``evaluation_result_list`` to the recorder."""

    order = 100  # after LightGBM's own callbacks have evaluated

    def __init__(self, recorder: MetricRecorder):
        self.recorder = recorder

    def __call__(self, env: Any) -> None:
        self.recorder.record(
            {f"{item[0]}-{item[1]}": item[2] for item in env.evaluation_result_list}, env.iteration
        )


class _LightGBM(BoostingAutolog):
    flavor = FLAVOR_NAME
    unlogged = frozenset({
        "params", "train_set", "valid_sets", "valid_names", "fobj", "feval", "init_model",
        "learning_rates", "callbacks",
    })

    def modules(self) -> tuple[Any, Any]:
        import lightgbm
        import lightgbm.sklearn

        return lightgbm, lightgbm.sklearn

    def estimator_classes(self) -> list[type]:
        import lightgbm.sklearn as wrappers

        return [c for c in vars(wrappers).values() if inspect.isclass(c) and issubclass(c, wrappers.LGBMModel)]

    def callback(self, recorder: MetricRecorder) -> Any:
        return _Record(recorder)

    def log_after_training(self, client: Any, run_id: str, model: Any, bound: inspect.BoundArguments,
                           recorder: MetricRecorder) -> None:
        best = int(model.best_iteration)
        if best > 0:  # LightGBM counts iterations from 1
            log_early_stopping(recorder, len(recorder.results), best, best - 1)
        features = model.feature_name()
        for kind in ("split", "gain"):
            values = model.feature_importance(importance_type=kind).tolist()
            log_importance(client, run_id, dict(zip(features, values)), kind, 2, self.silent)


_integration = _LightGBM()


def is_enabled() -> bool:
    return bool(_integration.patches)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Log every ``lightgbm.train`` and LightGBM scikit-learn ``fit`` (``disable=True`` stops it).

    Parameters follow ``mlflow.lightgbm.autolog``; ``log_input_examples``, ``log_datasets``,
    ``exclusive``, ``disable_for_unsupported_versions`` and ``extra_tags`` are accepted and
    have no effect (models are pickled, datasets are not recorded).
    """
    if disable:
        _integration.disable()
        return
    _integration.enable(
        log_model_signatures=log_model_signatures, log_models=log_models, silent=silent,
        registered_model_name=registered_model_name,
    )
