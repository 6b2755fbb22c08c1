"""``nbtrack.autolog()``: turn on automatic logging for every supported library that is installed.

scikit-learn (:mod:`.sklearn`) is supported, following ``mlflow.sklearn.autolog``'s names so
runs read the same in both tools. (XGBoost and LightGBM callbacks are not written yet.)
"""
from __future__ import annotations

import importlib.util
from typing import Any

__all__ = ["autolog"]


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


# -- one run's scope (``%%track_run --autolog``) --------------------------------------------
_scoped: dict[str, bool] = {}  # run id -> was autologging already on before the scope began


def enter_scope(run_id: str) -> None:
    """Autolog during one run only (the magics call this as the run opens)."""
    from . import sklearn

    _scoped[run_id] = sklearn.is_enabled()
    if not _scoped[run_id]:
        autolog()


def exit_scope(run_id: str) -> None:
    """End the scope of :func:`enter_scope`: autologging is off again unless it was on before."""
    was_on = _scoped.pop(run_id, None)
    if was_on is False and not any(v is False for v in _scoped.values()):
        autolog(disable=True)
