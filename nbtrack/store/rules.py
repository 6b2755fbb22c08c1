"""The write rules every store enforces the same way, whatever keeps its data.

A store owns the checks that need its own view of the data (a name already taken, a deleted
experiment or run, a param that already has a value). The file stores run them under their
lock, the MLflow-server store against what the server answers; both raise the same errors with
the same messages from here.
"""
from __future__ import annotations

from collections.abc import Mapping

from ..entities import Experiment, LifecycleStage
from ..errors import ExperimentAlreadyExistsError, ParamConflictError, RunStateError

__all__ = [
    "experiment_name_taken",
    "require_active_experiment",
    "require_active_run",
    "require_same_params",
]


def experiment_name_taken(name: str) -> ExperimentAlreadyExistsError:
    """The error for creating or renaming an experiment to a name another one has."""
    return ExperimentAlreadyExistsError(f"Experiment {name!r} already exists")


def require_active_experiment(exp: Experiment) -> None:
    """Runs start only in an active experiment."""
    if exp.lifecycle_stage != LifecycleStage.ACTIVE:
        raise RunStateError(
            f"Experiment {exp.name!r} (id {exp.experiment_id}) is deleted; restore it before starting runs"
        )


def require_active_run(run_id: str, lifecycle_stage: str) -> None:
    """A deleted run takes no params, tags or points."""
    if lifecycle_stage != LifecycleStage.ACTIVE:
        raise RunStateError(f"Run {run_id} is deleted; restore it before logging to it")


def require_same_params(run_id: str, existing: Mapping[str, str], params: Mapping[str, str]) -> None:
    """Params are immutable: logging one again is fine only with the value it has."""
    for key, value in params.items():
        old = existing.get(key)
        if old is not None and old != value:
            raise ParamConflictError(run_id, key, old, value)
