"""``nbtrack.autolog()``: turn on automatic logging for every supported library that is installed.

scikit-learn (:mod:`.sklearn`), XGBoost (:mod:`.xgboost`) and LightGBM (:mod:`.lightgbm`) are
supported, each following MLflow's autolog of the same name so runs read the same in both tools.
"""
from __future__ import annotations

import importlib.util
import sys
from typing import Any

from ._common import warn

__all__ = ["autolog", "is_enabled"]


def autolog(
    log_models: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
    **mlflow_options: Any,
) -> None:
    """Enable (or with ``disable=True`` disable) autologging for every installed integration.

    Parameters
    ----------
    log_models : bool
        Log each fitted model as ``runs:/<run_id>/model`` with its signature.
    log_input_examples, log_model_signatures : bool
        As in MLflow.
    disable : bool
        Turn autologging off again (the patches are removed).
    exclusive, silent : bool
        Accepted for MLflow's signature; ``silent`` hides nbtrack's autolog warnings.
    """
    if importlib.util.find_spec("sklearn") is not None:
        from . import sklearn

        sklearn.autolog(
            log_models=log_models, log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures, disable=disable, silent=silent,
            **mlflow_options,
        )
    for name in _BOOSTING:
        loaded = f"{__name__}.{name}" in sys.modules
        if (loaded or not disable) and importlib.util.find_spec(name) is not None:
            module = importlib.import_module(f"{__name__}.{name}")
            try:
                module.autolog(
                    log_models=log_models, log_input_examples=log_input_examples,
                    log_model_signatures=log_model_signatures, disable=disable, silent=silent,
                )
            except ImportError as exc:  # an installed but broken library: the others still log
                warn(f"turn on {name} autologging", exc, silent)


_BOOSTING = ("xgboost", "lightgbm")


def is_enabled() -> bool:
    """Whether any integration is switched on."""
    return any(
        getattr(sys.modules.get(f"{__name__}.{name}"), "is_enabled", lambda: False)()
        for name in ("sklearn", *_BOOSTING)
    )


# -- one run's scope (``%%track_run --autolog``) --------------------------------------------
_scoped: dict[str, bool] = {}  # run id -> was autologging already on before the scope began


def enter_scope(run_id: str) -> None:
    """Autolog during one run only (the magics call this as the run opens)."""
    _scoped[run_id] = is_enabled()
    if not _scoped[run_id]:
        autolog()


def exit_scope(run_id: str) -> None:
    """End the scope of :func:`enter_scope`: autologging is off again unless it was on before."""
    was_on = _scoped.pop(run_id, None)
    if was_on is False and not any(v is False for v in _scoped.values()):
        autolog(disable=True)
