"""What ``start_run`` decides before a run exists: which run to resume, its parent, its source tags.

Kept apart from :mod:`nbtrack.fluent.runs` (which owns the active-run stack) so each rule reads alone
and is tested alone. Semantics follow MLflow's ``mlflow.start_run``.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from .._validation import validate_id
from ..entities import LifecycleStage, Run
from ..errors import InvalidParameterError, RunNotFoundError, RunStateError

if TYPE_CHECKING:
    from ..client import TrackingClient

__all__ = ["RUN_ID_ENVS", "take_env_run_id", "get_run_to_resume", "check_parent", "source_tags"]

# MLflow's variable first, so a script launched by MLflow tooling resumes the same run here.
RUN_ID_ENVS = ("MLFLOW_RUN_ID", "NBTRACK_RUN_ID")
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"


def take_env_run_id() -> str | None:
    """The run id to resume from ``$MLFLOW_RUN_ID`` / ``$NBTRACK_RUN_ID``, removed once taken.

    MLflow deletes the variable when it resumes the run, so a second ``start_run`` in the same
    process starts a new run instead of resuming the first one again; we do the same.
    """
    for name in RUN_ID_ENVS:
        value = os.environ.get(name)
        if value:
            for other in RUN_ID_ENVS:
                os.environ.pop(other, None)
            return value
    return None


def get_run_to_resume(client: TrackingClient, run_id: object) -> Run:
    """The run ``start_run(run_id)`` resumes; a name passed where the id goes gets a clear error.

    ``start_run``'s first positional argument is ``run_id`` (MLflow's order). Code written for
    an older nbtrack that passed the run *name* first must not silently start a wrong run.
    """
    hint = (
        "start_run's first argument is run_id (MLflow's order); to name a new run, call "
        f"start_run(run_name={run_id!r})"
    )
    try:
        return client.get_run(validate_id(run_id, "run id"))
    except RunNotFoundError:
        raise RunNotFoundError(f"No run has id {run_id!r}: {hint}") from None
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"{exc}. {hint}") from None


def check_parent(client: TrackingClient, parent_run_id: str | None, active_id: str | None) -> str | None:
    """The parent of a new run: ``parent_run_id`` if given (it must be the active run, if any,
    and not deleted), else the active run."""
    if parent_run_id is None:
        return active_id
    if active_id is not None and parent_run_id != active_id:
        raise InvalidParameterError(
            f"Current run {active_id} does not match parent_run_id {parent_run_id}. To start a "
            f"nested run under {active_id}, omit parent_run_id (nested=True); to start one under "
            f"{parent_run_id}, first end the current run with nbtrack.end_run()."
        )
    parent = client.get_run(validate_id(parent_run_id, "parent run id"))
    if parent.info.lifecycle_stage != LifecycleStage.ACTIVE:
        raise RunStateError(
            f"Cannot start a run under parent run {parent_run_id}: it is deleted"
        )
    return parent.info.run_id


def source_tags() -> dict[str, str]:
    """MLflow's default source tags: the entry script (``sys.argv[0]``) and type ``LOCAL``.

    ``%%track_run`` replaces them with the notebook path and type ``NOTEBOOK``.
    """
    name = sys.argv[0] if sys.argv and sys.argv[0] else "<console>"
    return {SOURCE_NAME_TAG: name, SOURCE_TYPE_TAG: "LOCAL"}
