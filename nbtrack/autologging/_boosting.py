"""Logging shared by the gradient-boosting integrations (XGBoost, LightGBM), after
``mlflow.xgboost.autolog`` / ``mlflow.lightgbm.autolog``:

- params: the booster params dict, then every other argument of ``train`` (defaults included)
  except the data, callbacks and functions;
- per-iteration eval metrics ``<dataset>-<metric>`` at step = iteration (``@`` becomes ``_at_``);
- with early stopping, ``stopped_iteration`` and ``best_iteration``, and the best iteration's
  metrics again at step = number of iterations;
- feature importance per type as ``feature_importance_<type>.json`` and, when matplotlib is
  installed, ``feature_importance_<type>.png``.
"""
from __future__ import annotations

import importlib.util
import inspect
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._validation import now_ms
from ._common import guarded, log_bytes, param_text

__all__ = ["MetricRecorder", "bind", "log_train_params", "log_early_stopping", "log_importance"]


def bind(fn: Callable[..., Any], args: tuple, kwargs: dict) -> inspect.BoundArguments:
    return inspect.signature(fn).bind(*args, **kwargs)


def log_train_params(
    client: Any, run_id: str, bound: inspect.BoundArguments, booster_params: Mapping[str, Any] | None,
    unlogged: frozenset[str],
) -> None:
    from ..entities import Param

    params = {str(k): param_text(v) for k, v in (booster_params or {}).items()}
    for name, p in bound.signature.parameters.items():
        if name in unlogged or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        params.setdefault(name, param_text(bound.arguments.get(name, p.default)))
    client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])


def with_callback(bound: inspect.BoundArguments, callback: Any) -> inspect.BoundArguments:
    """``bound`` with ``callback`` appended to its ``callbacks`` (the caller's list is not changed)."""
    bound.arguments["callbacks"] = [*(bound.arguments.get("callbacks") or ()), callback]
    return bound


class MetricRecorder:
    """Logs one iteration's eval results at step = iteration and keeps them for early stopping."""

    def __init__(self, client: Any, run_id: str, silent: bool = False):
        self.client, self.run_id, self.silent = client, run_id, silent
        self.results: list[dict[str, float]] = []

    def record(self, values: Mapping[str, Any], step: int) -> None:
        metrics = {k.replace("@", "_at_"): float(v) for k, v in values.items()}
        self.results.append(metrics)
        guarded("log eval metrics", lambda: self.log(metrics, step), self.silent)

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        from ..entities import Metric

        stamp = now_ms()
        self.client.log_batch(self.run_id, metrics=[Metric(k, v, stamp, step) for k, v in metrics.items()])


def log_early_stopping(recorder: MetricRecorder, stopped: int, best: int, best_index: int) -> None:
    """``stopped_iteration``/``best_iteration`` at step 0, the best results at the next step."""
    recorder.log({"stopped_iteration": float(stopped), "best_iteration": float(best)}, 0)
    if 0 <= best_index < len(recorder.results):
        recorder.log(recorder.results[best_index], len(recorder.results))


def log_importance(
    client: Any, run_id: str, importance: Mapping[str, Any], kind: str, indent: int | None, silent: bool,
) -> None:
    """``feature_importance_<kind>.json`` and, with matplotlib, its bar chart as a PNG."""
    client.log_text(run_id, json.dumps(dict(importance), indent=indent), f"feature_importance_{kind}.json")
    png = guarded("draw the feature importance", lambda: importance_png(importance, kind), silent)
    if png is not None:
        log_bytes(client, run_id, png, f"feature_importance_{kind}.png")


def importance_png(importance: Mapping[str, Any], kind: str) -> bytes | None:
    """A horizontal bar chart of ``importance`` (largest at the top); None without matplotlib."""
    if importlib.util.find_spec("matplotlib") is None:
        return None
    from matplotlib.figure import Figure

    def size(value: Any) -> float:
        return float(sum(abs(v) for v in value)) if isinstance(value, Sequence) else float(value)

    ranked = sorted(importance.items(), key=lambda kv: size(kv[1]))
    height = 4.8 + (0.1 * len(ranked) if len(ranked) > 10 else 0.0)
    fig = Figure(figsize=(6.4, height))
    ax = fig.add_subplot()
    ax.barh(range(len(ranked)), [size(v) for _, v in ranked], align="center", height=0.5)
    ax.set_yticks(range(len(ranked)))
    ax.set_yticklabels([k for k, _ in ranked])
    ax.set_xlabel("Importance")
    ax.set_title(f"Feature Importance ({kind})")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class BoostingAutolog:
    """One library's autologging: patches its ``train`` (and the name its scikit-learn wrappers
    call) and the wrappers' ``fit``; subclasses say what differs between libraries."""

    flavor = ""
    unlogged: frozenset[str] = frozenset()
    post_training_score = False  # log the wrappers' ``score()`` afterwards, as MLflow does

    def __init__(self) -> None:
        import threading

        from ._common import Patches

        self.patches = Patches()
        self.config: dict[str, Any] = {}
        self.local = threading.local()

    # -- what each library defines ------------------------------------------------------
    def modules(self) -> tuple[Any, Any]:
        """The library's top-level module and its scikit-learn wrapper module."""
        raise NotImplementedError

    def estimator_classes(self) -> list[type]:
        raise NotImplementedError

    def callback(self, recorder: MetricRecorder) -> Any:
        raise NotImplementedError

    def log_after_training(self, client: Any, run_id: str, model: Any, bound: inspect.BoundArguments,
                           recorder: MetricRecorder) -> None:
        """Early-stopping metrics and feature importance."""
        raise NotImplementedError

    # -- switching on and off ----------------------------------------------------------
    def enable(self, **config: Any) -> None:
        self.patches.remove()
        self.config = config
        top, wrappers = self.modules()
        self.patches.apply(top, "train", lambda original: self.wrap_train(original, log_model=True))
        self.patches.apply(wrappers, "train", lambda original: self.wrap_train(original, log_model=False))
        for cls in self.estimator_classes():
            if "fit" in vars(cls):
                self.patches.apply(cls, "fit", self.wrap_fit)
            if self.post_training_score and callable(getattr(cls, "score", None)):
                from .sklearn import wrap_score

                self.patches.apply(cls, "score", wrap_score)

    def disable(self) -> None:
        self.patches.remove()

    # -- train ---------------------------------------------------------------------------
    def wrap_train(self, original: Callable[..., Any], log_model: bool) -> Callable[..., Any]:
        import functools

        from ._common import library_session, training_run

        @functools.wraps(original)
        def train(*args: Any, **kwargs: Any) -> Any:
            if getattr(self.local, "training", False):
                return original(*args, **kwargs)
            self.local.training = True
            try:
                with library_session(), training_run(self.flavor, self.silent) as target:
                    if target is None:
                        return original(*args, **kwargs)
                    return self.train_and_log(original, target, log_model, args, kwargs)
            finally:
                self.local.training = False

        return train

    @property
    def silent(self) -> bool:
        return bool(self.config.get("silent"))

    def train_and_log(self, original: Callable[..., Any], target: tuple[Any, str], log_model: bool,
                      args: tuple, kwargs: dict) -> Any:
        client, run_id = target
        bound = bind(original, args, kwargs)
        booster_params = bound.arguments.get("params")
        guarded("log the training params",
                lambda: log_train_params(client, run_id, bound, booster_params, self.unlogged), self.silent)
        recorder = MetricRecorder(client, run_id, self.silent)
        bound = with_callback(bound, self.callback(recorder))
        model = original(*bound.args, **bound.kwargs)
        guarded("log the results of training",
                lambda: self.log_after_training(client, run_id, model, bound, recorder), self.silent)
        if log_model and self.config.get("log_models", True):
            guarded("log the model", lambda: self.log_model(client, run_id, model, None), self.silent)
        return model

    def log_model(self, client: Any, run_id: str, model: Any, X: Any) -> None:
        signature = None
        if X is not None and self.config.get("log_model_signatures", True):
            from ..models import infer_signature

            sample = X[:5]
            signature = guarded("infer the model signature",
                                lambda: infer_signature(sample, model.predict(sample)), self.silent)
        client.log_model(run_id, model, "model", self.config.get("registered_model_name"),
                         signature=signature)

    # -- scikit-learn wrappers -------------------------------------------------------------
    def wrap_fit(self, original: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        from ._common import library_session, training_run

        @functools.wraps(original)
        def fit(est: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(self.local, "fitting", False):
                return original(est, *args, **kwargs)
            self.local.fitting = True
            try:
                with library_session(), training_run(self.flavor, self.silent) as target:
                    result = original(est, *args, **kwargs)
                    if target is not None and self.config.get("log_models", True):
                        X = args[0] if args else kwargs.get("X")
                        guarded("log the model", lambda: self.log_model(*target, est, X), self.silent)
                    if target is not None and self.post_training_score:
                        from .sklearn import remember_fit

                        remember_fit(est, target[1])
                    return result
            finally:
                self.local.fitting = False

        return fit
