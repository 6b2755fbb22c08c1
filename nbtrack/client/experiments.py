"""The experiment verbs of ``TrackingClient`` (MLflow ``MlflowClient`` names, numpydoc once here)."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from .. import _validation as v
from ..entities import Experiment, LifecycleStage, ViewType
from ..errors import (
    ExperimentAlreadyExistsError,
    ExperimentNotFoundError,
    InvalidParameterError,
    TagNotFoundError,
)
from ..search.paging import PagedList, page, query_hash
from ..search.schemas import filter_experiments, sort_experiments, validate_experiment_order_by
from ..store import DEFAULT_EXPERIMENT_ID
from ..store.base import ServerSearch
from ._base import SEARCH_MAX_RESULTS_DEFAULT, ClientBase
from .checks import check_artifact_location, check_tags, check_view_type

__all__ = ["ExperimentsMixin"]


class ExperimentsMixin(ClientBase):
    """Create, find, search, rename, delete and restore experiments."""

    def create_experiment(
        self,
        name: str,
        artifact_location: str | os.PathLike[str] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an experiment.

        Parameters
        ----------
        name : str
            Unique experiment name.
        artifact_location : str or path-like, optional
            Folder for the experiment's run artifacts; a relative path is resolved against the
            current directory and stored absolute. Default: ``<store>/artifacts/<id>``.
        tags : dict, optional
            Experiment tags.

        Returns
        -------
        str
            The new experiment id.

        Raises
        ------
        ExperimentAlreadyExistsError
            If an experiment (active or deleted) already has this name.
        """
        name = v.validate_name(name, "Experiment name")
        location = check_artifact_location(artifact_location)
        return self._store.create_experiment(name, location, check_tags(tags))

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return the experiment with this id (deleted ones included).

        Raises
        ------
        ExperimentNotFoundError
            If no experiment has this id.
        """
        return self._store.get_experiment(v.validate_id(experiment_id, "experiment id"))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name (deleted ones included), or None."""
        return self._store.get_experiment_by_name(v.validate_name(name, "Experiment name"))

    def get_or_create_experiment(self, name: str) -> Experiment:
        """The experiment named ``name`` (deleted ones included), created if missing.

        Another process may create it between the lookup and the creation; then its
        experiment is returned.

        Raises
        ------
        InvalidParameterError
            If the name is not a valid experiment name.
        """
        exp = self.get_experiment_by_name(name)
        if exp is not None:
            return exp
        try:
            return self.get_experiment(self.create_experiment(name))
        except ExperimentAlreadyExistsError:
            exp = self.get_experiment_by_name(name)
            if exp is None:  # created and deleted for good meanwhile: report the clash
                raise
            return exp

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Search experiments.

        Parameters
        ----------
        view_type : int
            ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results : int
            Page size, 1 to 50,000.
        filter_string : str, optional
            e.g. ``"name LIKE 'churn%' AND tags.team = 'ml'"``.
        order_by : list of str, optional
            e.g. ``["name ASC"]``; default last update time, newest first.
        page_token : str, optional
            ``token`` of the previous page of the same search.

        On an MLflow tracking server the server does the search when its grammar can express
        the filter (no ``OR``, parentheses or ``IS NULL``); otherwise nbtrack filters.

        Returns
        -------
        PagedList of Experiment
            With ``.token`` for the next page (None on the last).

        Raises
        ------
        InvalidFilterError
            If ``filter_string`` or ``order_by`` cannot be parsed.
        """
        view_type = check_view_type(view_type, "view_type")
        max_results = v.validate_max_results(max_results)
        validate_experiment_order_by(order_by)
        if isinstance(self._store, ServerSearch):
            filter_experiments((), filter_string)  # refuses a bad filter before any request
            found = self._store.search_experiments(view_type, max_results, filter_string or "",
                                                   list(order_by or ()), page_token)
            if found is not None:
                return PagedList(*found)
        exps = filter_experiments(
            (e for e in self._store.list_experiments() if ViewType.matches(view_type, e.lifecycle_stage)),
            filter_string,
        )
        exps = sort_experiments(exps, order_by)
        qhash = query_hash("experiments", view_type, filter_string or "", order_by)
        return page(exps, max_results, page_token, qhash)

    def list_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """List experiments ordered by id (MLflow 1.x; prefer :meth:`search_experiments`).

        Parameters
        ----------
        view_type : int
            ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results : int, optional
            Page size; every experiment when None.
        page_token : str, optional
            ``token`` of the previous page.

        Returns
        -------
        PagedList of Experiment
        """
        view_type = check_view_type(view_type, "view_type")
        exps = [e for e in self._store.list_experiments() if ViewType.matches(view_type, e.lifecycle_stage)]
        size = max(len(exps), 1) if max_results is None else v.validate_max_results(max_results)
        return page(exps, size, page_token, query_hash("list_experiments", view_type))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment.

        Raises
        ------
        ExperimentAlreadyExistsError
            If ``new_name`` is taken.
        InvalidParameterError
            If the experiment is deleted.
        """
        exp = self.get_experiment(experiment_id)
        new_name = v.validate_name(new_name, "Experiment name")
        if exp.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidParameterError(
                f"Cannot rename experiment {exp.experiment_id!r} ({exp.name!r}): it is deleted; "
                "restore it first",
                error_code="INVALID_STATE",
            )
        self._store.update_experiment(exp.experiment_id, name=new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment: it and its runs drop out of default searches.

        Raises
        ------
        ExperimentNotFoundError
            If no active experiment has this id: unknown, or already deleted (MLflow's
            ``RESOURCE_DOES_NOT_EXIST`` in both cases).
        InvalidParameterError
            For the Default experiment ``"0"`` (reserved, as in MLflow's file store).
        """
        exp = self.get_experiment(experiment_id)
        if exp.experiment_id == DEFAULT_EXPERIMENT_ID:
            raise InvalidParameterError(
                "Cannot delete the default experiment '0': it is reserved for runs started "
                "without an experiment"
            )
        if exp.lifecycle_stage == LifecycleStage.DELETED:
            raise ExperimentNotFoundError(
                f"No active experiment with id {exp.experiment_id!r}: {exp.name!r} is already deleted"
            )
        self._store.update_experiment(exp.experiment_id, lifecycle_stage=LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment, and with it the visibility of its runs.

        Raises
        ------
        ExperimentNotFoundError
            If no deleted experiment has this id: unknown, or active (MLflow's
            ``RESOURCE_DOES_NOT_EXIST`` in both cases).
        """
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage != LifecycleStage.DELETED:
            raise ExperimentNotFoundError(
                f"No deleted experiment with id {exp.experiment_id!r}: {exp.name!r} is active"
            )
        self._store.update_experiment(exp.experiment_id, lifecycle_stage=LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment (value stored as a string, at most 8000 characters).

        Raises
        ------
        ExperimentNotFoundError
        InvalidParameterError
            If the experiment is deleted (as in MLflow: deleted experiments take no writes).
        """
        exp = self._writable_experiment(experiment_id)
        self._store.update_experiment(exp.experiment_id, tags=check_tags({v.validate_key(key, "tag"): value}))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment.

        Raises
        ------
        ExperimentNotFoundError
        InvalidParameterError
            If the experiment is deleted.
        TagNotFoundError
            If the experiment has no such tag (MLflow's ``RESOURCE_DOES_NOT_EXIST``).
        """
        exp = self._writable_experiment(experiment_id)
        key = v.validate_key(key, "tag")
        if key not in exp.tags:
            raise TagNotFoundError(f"Experiment {exp.experiment_id} has no tag {key!r} to delete")
        self._store.update_experiment(exp.experiment_id, delete_tags=[key])

    def _writable_experiment(self, experiment_id: str) -> Experiment:
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidParameterError(
                f"The experiment {exp.experiment_id} must be in the 'active' state to be changed; "
                f"it is {exp.lifecycle_stage} (restore it with restore_experiment)"
            )
        return exp
