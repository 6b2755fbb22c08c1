"""scikit-learn autologging with ``mlflow.sklearn.autolog``'s names.

On the outermost ``fit`` (``fit_transform``, ``fit_predict``) of any estimator:

- the active run is used, or a run is started for the fit and ended after it (tag
  ``mlflow.autologging = sklearn``), as MLflow does;
- params: ``get_params(deep=True)`` (a search's own ``get_params(deep=False)`` plus
  ``best_<param>``), tags ``estimator_name`` and ``estimator_class``;
- training metrics on the fit data: ``training_score`` and, for classifiers,
  ``training_accuracy_score``, ``training_precision_score``, ``training_recall_score``,
  ``training_f1_score`` (weighted), ``training_log_loss`` and ``training_roc_auc`` (with
  ``predict_proba``); for regressors ``training_mean_squared_error``,
  ``training_root_mean_squared_error``, ``training_mean_absolute_error``, ``training_r2_score``;
- artifacts ``estimator.html``, ``model`` (with its signature), a classifier's training plots
  (:mod:`.sklearn_plots`, with matplotlib) and, for a search,
  ``cv_results.csv``, ``best_cv_score``, and one child run per candidate (the best
  ``max_tuning_runs`` by rank) holding its params and cv-result metrics;
- afterwards ``estimator.score(X, y)`` logs ``<Class>_score_<X's variable name>`` into the run
  the estimator was fitted in (``-2``, ``-3``... on repeated calls).

Logging never breaks training: a logging failure is a warning, the fit's result is returned.
"""
from __future__ import annotations

import functools
import inspect
import logging
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from ._common import in_library_session

__all__ = ["autolog", "is_enabled", "remember_fit", "wrap_score"]

log = logging.getLogger(__name__)

AUTOLOG_TAG = "mlflow.autologging"
FIT_METHODS = ("fit", "fit_transform", "fit_predict")
_PARAM_LIMIT = 6000

_config: dict[str, Any] = {}
_patched: list[tuple[type, str, Callable[..., Any]]] = []
_local = threading.local()
_fitted_in: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_call_counts: dict[tuple[str, str], int] = {}


def is_enabled() -> bool:
    return bool(_patched)


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
    """Patch scikit-learn's estimators (``disable=True`` removes the patches).

    Options of ``mlflow.sklearn.autolog`` that nbtrack does not implement are accepted and
    ignored with a warning, so MLflow code runs unchanged.
    """
    if mlflow_options and not silent:
        log.warning("nbtrack.sklearn.autolog ignores the MLflow options %s", sorted(mlflow_options))
    _unpatch()
    if disable:
        return
    _config.update(
        log_models=log_models, log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_post_training_metrics=log_post_training_metrics, max_tuning_runs=max_tuning_runs,
        silent=silent,
    )
    for cls in _estimator_classes():
        for name in FIT_METHODS:
            if name in vars(cls):
                _patch(cls, name, _wrap_fit)
        if "score" in vars(cls):
            _patch(cls, "score", wrap_score)


@functools.lru_cache(maxsize=1)
def _estimator_classes() -> list[type]:
    """Every scikit-learn estimator class and its sklearn bases (found once: it imports them all)."""
    from sklearn.utils import all_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classes = [cls for _, cls in all_estimators()]
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline

    seen: set[type] = set()
    out = []
    for cls in [*classes, Pipeline, GridSearchCV, RandomizedSearchCV]:
        for klass in cls.__mro__:  # fit may live on a base class (BaseSearchCV.fit)
            if klass.__module__.startswith("sklearn") and klass not in seen:
                seen.add(klass)
                out.append(klass)
    return out


def _patch(cls: type, name: str, wrapper: Callable[..., Any]) -> None:
    original = vars(cls)[name]
    if not inspect.isfunction(original) or getattr(original, "_nbtrack_original", None) is not None:
        return  # descriptors (available_if) stay as they are; their inner calls are patched
    patched = wrapper(original)
    patched._nbtrack_original = original
    setattr(cls, name, patched)
    _patched.append((cls, name, original))


def _unpatch() -> None:
    while _patched:
        cls, name, original = _patched.pop()
        setattr(cls, name, original)


def _warn(what: str, exc: BaseException) -> None:
    if not _config.get("silent"):
        log.warning("nbtrack autolog: could not %s: %s", what, exc)


# -- fit ----------------------------------------------------------------------------------
def _wrap_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "busy", False) or in_library_session():
            return original(self, *args, **kwargs)
        _local.busy = True
        try:
            return _fit_and_log(original, self, args, kwargs)
        finally:
            _local.busy = False

    return fit


def _fit_and_log(original: Callable[..., Any], est: Any, args: tuple, kwargs: dict) -> Any:
    from .. import fluent

    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y", kwargs.get("Y"))
    run = fluent.active_run()
    own = run is None
    if run is None:
        try:
            run = fluent.start_run(tags={AUTOLOG_TAG: "sklearn"})
        except Exception as exc:  # noqa: BLE001 - no run, still train
            _warn("start a run", exc)
            return original(est, *args, **kwargs)
    client, run_id = run.client, run.run_id
    try:
        result = original(est, *args, **kwargs)
    except BaseException as exc:
        if own:
            fluent.end_run("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    try:
        _log_fit(client, run_id, est, X, y, kwargs.get("sample_weight"))
        _fitted_in[est] = run_id
    except Exception as exc:  # noqa: BLE001 - training succeeded; logging must not undo it
        _warn("log the fit", exc)
    finally:
        if own:
            fluent.end_run()
    return result


def _log_fit(client: Any, run_id: str, est: Any, X: Any, y: Any, sample_weight: Any) -> None:
    from ..entities import Metric, Param, RunTag

    search = _is_search(est)
    params = {k: _param_text(v) for k, v in est.get_params(deep=not search).items()}
    if search and hasattr(est, "best_params_"):
        params.update({f"best_{k}": _param_text(v) for k, v in est.best_params_.items()})
    tags = {"estimator_name": type(est).__name__, "estimator_class": f"{type(est).__module__}.{type(est).__qualname__}"}
    metrics = training_metrics(est, X, y, sample_weight) if y is not None else {}
    if search and hasattr(est, "best_score_"):
        metrics["best_cv_score"] = float(est.best_score_)
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, None, 0) for k, v in metrics.items()],  # type: ignore[arg-type]
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in tags.items()],
    )
    _log_artifacts(client, run_id, est, X)
    if y is not None:
        _log_plots(client, run_id, est, X, y, sample_weight)
    if search and hasattr(est, "cv_results_"):
        _log_search(client, run_id, est)


def _param_text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _PARAM_LIMIT else text[: _PARAM_LIMIT - 3] + "..."


def _is_search(est: Any) -> bool:
    from sklearn.model_selection._search import BaseSearchCV

    return isinstance(est, BaseSearchCV)


def training_metrics(est: Any, X: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
    """MLflow's ``training_*`` metrics of a fitted estimator on its training data."""
    from sklearn import metrics as skm
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}

    def put(name: str, fn: Callable[[], Any]) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[name] = float(fn())
        except Exception as exc:  # noqa: BLE001 - a metric that does not apply is skipped
            log.debug("autolog: %s skipped: %s", name, exc)

    sw = {"sample_weight": sample_weight}
    if is_classifier(est):
        pred = est.predict(X)
        put("training_precision_score", lambda: skm.precision_score(y, pred, average="weighted", **sw))
        put("training_recall_score", lambda: skm.recall_score(y, pred, average="weighted", **sw))
        put("training_f1_score", lambda: skm.f1_score(y, pred, average="weighted", **sw))
        put("training_accuracy_score", lambda: skm.accuracy_score(y, pred, **sw))
        if hasattr(est, "predict_proba"):
            proba = est.predict_proba(X)
            put("training_log_loss", lambda: skm.log_loss(y, proba, **sw))
            put("training_roc_auc", lambda: _roc_auc(skm, y, proba, sw))
    elif is_regressor(est):
        pred = est.predict(X)
        put("training_mean_squared_error", lambda: skm.mean_squared_error(y, pred, **sw))
        put("training_root_mean_squared_error", lambda: skm.mean_squared_error(y, pred, **sw) ** 0.5)
        put("training_mean_absolute_error", lambda: skm.mean_absolute_error(y, pred, **sw))
        put("training_r2_score", lambda: skm.r2_score(y, pred, **sw))
    if hasattr(est, "score"):
        put("training_score", lambda: est.score(X, y, **({} if sample_weight is None else sw)))
    return out


def _roc_auc(skm: Any, y: Any, proba: Any, sw: dict[str, Any]) -> float:
    if proba.shape[1] == 2:
        return skm.roc_auc_score(y, proba[:, 1], **sw)
    return skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted", **sw)


def _log_artifacts(client: Any, run_id: str, est: Any, X: Any) -> None:
    try:
        from sklearn.utils import estimator_html_repr

        client.log_text(run_id, estimator_html_repr(est), "estimator.html")
    except Exception as exc:  # noqa: BLE001
        _warn("log estimator.html", exc)
    if not _config.get("log_models", True):
        return
    signature = example = None
    if X is not None and hasattr(est, "predict"):
        try:
            from ..models import infer_signature

            sample = X[:5] if hasattr(X, "__getitem__") else X
            example = sample if _config.get("log_input_examples") else None
            if _config.get("log_model_signatures", True):
                signature = infer_signature(sample, est.predict(sample))
        except Exception as exc:  # noqa: BLE001
            _warn("infer the model signature", exc)
    try:
        client.log_model(run_id, est, "model", input_example=example, signature=signature, flavor="sklearn")
    except Exception as exc:  # noqa: BLE001
        _warn("log the model", exc)


def _log_plots(client: Any, run_id: str, est: Any, X: Any, y: Any, sample_weight: Any) -> None:
    """MLflow's training plots of a classifier (PNG, when matplotlib is installed)."""
    from sklearn.base import is_classifier

    from ._common import guarded
    from .sklearn_plots import classifier_plots

    if not is_classifier(est):
        return
    plots = guarded("compute the training plots", lambda: classifier_plots(est, X, y, sample_weight),
                    bool(_config.get("silent"))) or {}
    for name, draw in plots.items():
        guarded(f"log {name}", functools.partial(_log_drawn, client, run_id, draw, name),
                bool(_config.get("silent")))


def _log_drawn(client: Any, run_id: str, draw: Callable[[], bytes], name: str) -> None:
    from ._common import log_bytes

    log_bytes(client, run_id, draw(), name)


def _log_search(client: Any, parent_id: str, search: Any) -> None:
    import pandas as pd

    from ..entities import Metric, Param

    results = pd.DataFrame(search.cv_results_)
    client.log_text(parent_id, results.to_csv(index=False), "cv_results.csv")
    parent = client.get_run(parent_id)
    order = results.sort_values("rank_test_score", kind="stable").index if "rank_test_score" in results else results.index
    limit = _config.get("max_tuning_runs", 5)
    chosen = list(order if limit is None else order[:limit])
    base = search.estimator
    metric_cols = [
        c for c in results.columns
        if not c.startswith(("param_", "split")) and c != "params" and pd.api.types.is_numeric_dtype(results[c])
    ]
    for i in chosen:
        child = client.create_run(
            parent.info.experiment_id,
            tags={
                "mlflow.parentRunId": parent_id, AUTOLOG_TAG: "sklearn",
                "estimator_name": type(base).__name__,
                "estimator_class": f"{type(base).__module__}.{type(base).__qualname__}",
            },
        )
        params = {k: _param_text(v) for k, v in base.get_params(deep=True).items()}
        params.update({k: _param_text(v) for k, v in results.loc[i, "params"].items()})
        client.log_batch(
            child.info.run_id,
            metrics=[Metric(c, float(results.loc[i, c]), None, 0) for c in metric_cols],  # type: ignore[arg-type]
            params=[Param(k, v) for k, v in params.items()],
        )
        client.set_terminated(child.info.run_id)


# -- score after training -----------------------------------------------------------------
def remember_fit(est: Any, run_id: str) -> None:
    """Note the run ``est`` was fitted in, so a later ``score()`` is logged there (the
    XGBoost wrappers use this too)."""
    _fitted_in[est] = run_id


def wrap_score(original: Callable[..., Any]) -> Callable[..., Any]:
    """``score`` that logs ``<Class>_score_<X's variable name>`` into the run the estimator was
    fitted in, as MLflow's post-training metrics."""
    @functools.wraps(original)
    def score(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = original(self, *args, **kwargs)
        if getattr(_local, "busy", False) or not _config.get("log_post_training_metrics", True):
            return value
        run_id = _fitted_in.get(self)
        if run_id is None:
            return value
        X = args[0] if args else kwargs.get("X")
        try:
            name = f"{type(self).__name__}_score"
            dataset = _variable_name(X, inspect.currentframe())
            count = _call_counts[(run_id, f"{name}_{dataset}")] = _call_counts.get((run_id, f"{name}_{dataset}"), 0) + 1
            key = f"{name}{'' if count == 1 else f'-{count}'}_{dataset}"
            from .. import fluent
            from ..client import TrackingClient

            active = fluent.active_run()
            client = active.client if active is not None else TrackingClient()
            client.log_metric(run_id, key, float(value))
        except Exception as exc:  # noqa: BLE001
            _warn("log a post-training score", exc)
        return value

    return score


def _variable_name(value: Any, frame: Any) -> str:
    """The caller's name for ``value`` (MLflow names post-training metrics after the dataset)."""
    caller = frame.f_back if frame is not None else None
    while caller is not None and caller.f_globals.get("__name__", "").startswith(("sklearn", __name__)):
        caller = caller.f_back
    if caller is not None:
        for scope in (caller.f_locals, caller.f_globals):
            for name, obj in scope.items():
                if obj is value and not name.startswith("_"):
                    return name
    return "unknown_dataset"
