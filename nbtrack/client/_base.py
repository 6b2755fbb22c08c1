"""What every verb group of ``TrackingClient`` stands on: the store and the run lookups.

Each group (:mod:`.experiments`, :mod:`.runs`, :mod:`.artifacts`, :mod:`.registry`) subclasses
:class:`ClientBase`, so what a group may call on ``self`` is declared here once instead of
being assumed from a sibling mixin.
"""
from __future__ import annotations

from dataclasses import replace

from .. import _validation as v
from ..entities import LifecycleStage, Run
from ..errors import NotFoundError, RunStateError
from ..store.base import Store

__all__ = ["ClientBase", "SEARCH_MAX_RESULTS_DEFAULT", "with_stage"]

SEARCH_MAX_RESULTS_DEFAULT = 1000


class ClientBase:
    """The store a client talks to and the two run lookups every verb group needs."""

    _store: Store
    _tracking_uri: str

    @property
    def store(self) -> Store:
        """The store this client reads and writes (shared by every client on the same URI)."""
        return self._store

    def get_run(self, run_id: str) -> Run:
        """Return a run with its params, tags and latest metrics.

        Raises
        ------
        RunNotFoundError
            If no run has this id.
        """
        run = self._store.get_run(v.validate_id(run_id, "run id"))
        if run.info.lifecycle_stage == LifecycleStage.ACTIVE and self._experiment_deleted(run.info.experiment_id):
            return with_stage(run, LifecycleStage.DELETED)
        return run

    def _experiment_deleted(self, experiment_id: str) -> bool:
        """True if the experiment is deleted: its runs then count as deleted too (as in MLflow)."""
        try:
            return self._store.get_experiment(experiment_id).lifecycle_stage == LifecycleStage.DELETED
        except NotFoundError:
            return False

    def _active_run(self, run_id: str) -> Run:
        """The run, or RunStateError if it is deleted (deleted runs take no writes)."""
        run = self.get_run(run_id)
        if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
            raise RunStateError(
                f"Run {run.info.run_id} is deleted and cannot be changed; restore it with "
                "restore_run() first (or restore its experiment)"
            )
        return run


def with_stage(run: Run, stage: str) -> Run:
    """The run as seen with another lifecycle stage (a run of a deleted experiment is deleted)."""
    return replace(run, info=replace(run.info, lifecycle_stage=stage))
