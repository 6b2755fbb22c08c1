"""The run verbs of ``TrackingClient``: create, log, tag, search and end runs (numpydoc once here)."""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from time import time as _time
from typing import Any

from .. import _validation as v
from .._identity import current_user
from ..entities import LifecycleStage, Metric, Param, Run, RunStatus, RunTag, ViewType
from ..errors import InvalidParameterError
from ..search.paging import PagedList, page, page_bounds, query_hash
from ..search.schemas import parse_filter, run_fields_read, sort_runs, validate_order_by
from ..store._appender import Target
from ..store._lru import ByteLRU
from ..store.base import ServerSearch
from ..store.history import MetricHistory
from ._base import SEARCH_MAX_RESULTS_DEFAULT, ClientBase, with_stage
from .checks import (
    check_entities,
    check_experiment_ids,
    check_metric,
    check_params,
    check_status,
    check_tags,
    check_view_type,
)
from .listeners import listeners, notify
from .run_defaults import RUN_NAME_TAG, USER_TAG, generate_run_name

_RUN_BYTES = 1500  # rough size of one Run entity, to bound the search memo by bytes
#: Answers of recent searches (all matching runs, sorted), per store and query.
_search_memo: ByteLRU[tuple[Any, ...], tuple[Any, list[Run]]] = ByteLRU(32 * 2**20)

__all__ = ["RunsMixin"]


class RunsMixin(ClientBase):
    """Runs, their params, metrics and tags, run search and stale runs."""

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a RUNNING run.

        Parameters
        ----------
        experiment_id : str
            An active experiment.
        start_time : int, optional
            Milliseconds since the epoch; default now.
        tags : dict, optional
            Run tags. ``mlflow.runName`` names the run when ``run_name`` is None.
        run_name : str, optional
            Default: a generated ``adjective-noun-NNN`` name. Mirrored in tag ``mlflow.runName``.

        Returns
        -------
        Run

        Raises
        ------
        ExperimentNotFoundError
            If the experiment does not exist.
        RunStateError
            If the experiment is deleted.
        """
        experiment_id = v.validate_id(experiment_id, "experiment id")
        start_time = v.validate_timestamp(start_time)
        tags = check_tags(tags)
        tag_name = tags.get(RUN_NAME_TAG)
        if run_name is not None and tag_name and run_name != tag_name:
            raise InvalidParameterError(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name={run_name!r}, mlflow.runName={tag_name!r})"
            )
        if run_name is None:
            run_name = tag_name or generate_run_name()
        tags[RUN_NAME_TAG] = v.validate_name(run_name, "Run name")
        user = tags.get(USER_TAG) or current_user()
        return self._store.create_run(experiment_id, run_name, start_time, tags, user_id=user)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status and/or name; the end time is left as it is (as in MLflow)."""
        if status is not None:
            check_status(status)
        if name is not None:
            name = v.validate_name(name, "Run name")
        run_id = self._active_run(run_id).info.run_id
        if name is not None:
            self._store.log_batch(run_id, tags={RUN_NAME_TAG: name})
        if status is not None or name is not None:
            self._store.update_run(run_id, status=status, run_name=name)

    def set_terminated(
        self, run_id: str, status: str = RunStatus.FINISHED, end_time: int | None = None
    ) -> None:
        """End a run: its buffered metrics are written, then its status and end time.

        Parameters
        ----------
        run_id : str
        status : str
            ``FINISHED`` (default), ``FAILED`` or ``KILLED`` (any run status is accepted).
        end_time : int, optional
            Milliseconds since the epoch; default now.
        """
        status = check_status(status)
        end_time = v.validate_timestamp(end_time)
        self._store.update_run(v.validate_id(run_id, "run id"), status=status, end_time=end_time)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run: hidden from default searches, refuses further logging."""
        self._store.update_run(v.validate_id(run_id, "run id"), lifecycle_stage=LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""
        self._store.update_run(v.validate_id(run_id, "run id"), lifecycle_stage=LifecycleStage.ACTIVE)

    def log_param(self, run_id: str, key: str, value: Any) -> str:
        """Log a param (stored as a string, at most 6000 characters).

        Returns
        -------
        str
            The stored value.

        Raises
        ------
        ParamConflictError
            If the param already has a different value (params are immutable).
        """
        self.log_batch(run_id, params=[Param(key, value)])
        return str(value)

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        """Log one metric point (``log_batch`` with one item).

        Parameters
        ----------
        run_id : str
        key : str
            Letters, digits and ``_-. :/``, at most 250 characters.
        value : float
            int, float, bool or numpy scalar; NaN and +-inf are kept exactly.
        timestamp : int, optional
            Milliseconds since the epoch; default now.
        step : int, optional
            Integer step; default 0.
        """
        self.log_batch(run_id, metrics=[Metric(key, value, timestamp, step)])  # type: ignore[arg-type]

    def log_batch(
        self,
        run_id: str,
        metrics: Iterable[Metric] = (),
        params: Iterable[Param] = (),
        tags: Iterable[RunTag] = (),
    ) -> None:
        """Log metrics, params and tags of one run at once.

        Parameters
        ----------
        run_id : str
        metrics : iterable of Metric
            ``timestamp=None`` / ``step=None`` mean now / 0.
        params : iterable of Param
        tags : iterable of RunTag
            Tag ``mlflow.runName`` also renames the run.

        Raises
        ------
        ParamConflictError
            If a param is logged with a value different from the stored (or batched) one.
        RunStateError
            If the run is deleted.
        """
        run_id = v.validate_id(run_id, "run id")
        good_metrics = [check_metric(m) for m in check_entities(metrics, Metric, "metrics")]
        good_params = check_params(run_id, check_entities(params, Param, "params"))
        good_tags = check_tags({v.validate_key(t.key, "tag"): t.value for t in check_entities(tags, RunTag, "tags")})
        if not (good_metrics or good_params or good_tags):
            self._active_run(run_id)
            return
        run_name = good_tags.get(RUN_NAME_TAG)
        if run_name is not None:
            v.validate_name(run_name, "Run name")
        self._store.log_batch(run_id, good_metrics, good_params, good_tags)
        if run_name is not None:
            self._store.update_run(run_id, run_name=run_name)
        if good_metrics and listeners:
            notify(run_id, good_metrics)

    def append_metric(
        self, run_id: str, key: str, value: Any, step: Any = None, timestamp: Any = None
    ) -> None:
        """Validate one point and append it to the store's buffer: no reads, no copies.

        The hot path for a run the caller knows is active (the fluent ``log_metric`` uses it).
        Unlike :meth:`log_metric` it does not check that the run exists and is not deleted:
        a point for a missing run is refused when the buffer is flushed.
        """
        # The common cases (a known key, a float, no step/time given) skip the validators' calls.
        try:
            known = key in v.GOOD_KEYS
        except TypeError:  # unhashable: validate_key says why it is not a key
            known = False
        if not known:
            v.validate_key(key, "metric")
        if type(value) is not float:
            value = v.validate_metric_value(key, value)
        timestamp = int(_time() * 1000) if timestamp is None else v.validate_timestamp(timestamp)
        step = 0 if step is None else v.validate_step(step)
        self._store.append_metric(run_id, key, value, timestamp, step)
        if listeners:
            notify(run_id, [Metric(key, value, timestamp, step)])

    def metric_target(self, run_id: str) -> Target:
        """Where the logging hot path (:func:`nbtrack.store._appender.run_appender`) sends one
        run's points, for a run the caller knows is active (the fluent verbs use it).

        On a store with a fast path (the file and memory stores), a plain point (known key,
        ``float`` value, ``int`` or no step and timestamp) goes straight into the buffer's
        columns; everything else through :meth:`append_metric` / :meth:`append_metrics`, with
        their rules.
        """
        return Target(getattr(self._store, "metric_buffer", None), run_id,
                      functools.partial(self.append_metric, run_id),
                      functools.partial(self.append_metrics, run_id), listeners)

    def append_metrics(
        self, run_id: str, metrics: Mapping[Any, Any], step: Any = None, timestamp: Any = None
    ) -> None:
        """:meth:`append_metric` for a dict of points sharing a step and time.

        Every point is checked first (all or none are taken, as with ``log_batch``), then each
        goes straight to the store's buffer.
        """
        timestamp = int(_time() * 1000) if timestamp is None else v.validate_timestamp(timestamp)
        step = 0 if step is None else v.validate_step(step)
        good_keys = v.GOOD_KEYS
        points = []
        for key, value in metrics.items():
            try:
                known = key in good_keys
            except TypeError:
                known = False
            if not known:
                v.validate_key(key, "metric")
            if type(value) is not float:
                value = v.validate_metric_value(key, value)
            points.append((key, value))
        append = self._store.append_metric
        for key, value in points:
            append(run_id, key, value, timestamp, step)
        if listeners:
            notify(run_id, [Metric(key, value, timestamp, step) for key, value in points])

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set a run tag (value stored as a string, at most 8000 characters).

        Tag ``mlflow.runName`` also renames the run.
        """
        self.log_batch(run_id, tags=[RunTag(key, value)])

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag.

        Raises
        ------
        InvalidParameterError
            If the run has no such tag.
        """
        key = v.validate_key(key, "tag")
        self._store.delete_tag(self._active_run(run_id).info.run_id, key)

    def get_metric_history(
        self, run_id: str, key: str, max_results: int | None = None, page_token: str | None = None
    ) -> MetricHistory | PagedList:
        """All points of one metric in logging order (empty if never logged).

        With ``max_results`` (or a ``page_token`` from a previous page) the points come in
        pages: a ``PagedList`` of ``Metric`` whose ``token`` fetches the next page (None on the
        last), as MLflow's store returns them.

        The result reads like MLflow's ``list[Metric]`` (index, slice, iterate, compare with a
        list) but holds the points as columns and builds each ``Metric`` on access;
        ``to_numpy()`` and ``to_pandas()`` give the columns without per-point objects.

        Raises
        ------
        RunNotFoundError
            If no run has this id.
        """
        run_id = v.validate_id(run_id, "run id")
        history = self._store.get_metric_history(run_id, v.validate_key(key, "metric"))
        if max_results is None and page_token is None:
            return history
        size = len(history) or 1 if max_results is None else v.validate_max_results(max_results)
        return page(history, size, page_token, query_hash("metric_history", run_id, key))

    def search_runs(
        self,
        experiment_ids: str | Sequence[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Search runs of some experiments.

        Parameters
        ----------
        experiment_ids : str or list of str
            Experiments to search (each must exist).
        filter_string : str
            MLflow filter grammar plus ``OR`` and parentheses, e.g.
            ``"metrics.acc >= 0.9 AND params.model = 'rf'"``.
        run_view_type : int
            ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``. Runs of a deleted
            experiment count as deleted.
        max_results : int
            Page size, 1 to 50,000.
        order_by : list of str, optional
            e.g. ``["metrics.acc DESC", "start_time"]``; ties, and the default order, are
            start time newest first, then run id.
        page_token : str, optional
            ``token`` of the previous page of the same search.

        On an MLflow tracking server the server does the search when its grammar can express
        the filter (no ``OR``, parentheses or ``IS NULL``); otherwise nbtrack filters the runs
        it lists (see :mod:`nbtrack.store.mlflow._search`). The answer is the same.

        Returns
        -------
        PagedList of Run
            With ``.token`` for the next page (None on the last).

        Raises
        ------
        ExperimentNotFoundError
            If an experiment id does not exist.
        InvalidFilterError
            If ``filter_string`` or ``order_by`` cannot be parsed.
        """
        ids = check_experiment_ids(experiment_ids)
        run_view_type = check_view_type(run_view_type, "run_view_type")
        max_results = v.validate_max_results(max_results)
        parse_filter(filter_string)
        validate_order_by(order_by)
        if isinstance(self._store, ServerSearch) and not self._deleted_experiments(ids):
            found = self._store.search_runs(ids, filter_string or "", run_view_type, max_results,
                                            list(order_by or ()), page_token)
            if found is not None:
                return PagedList(*found)
        rows = self._search_sorted(ids, filter_string, run_view_type, order_by)
        qhash = query_hash("runs", sorted(set(ids)), filter_string or "", run_view_type, order_by)
        start, end, token = page_bounds(len(rows), max_results, page_token, qhash)
        return PagedList(self._page_runs(rows, start, end), token)

    def _page_runs(self, rows: list[Any], start: int, end: int) -> list[Run]:
        """The runs of ``rows[start:end]``, built once: the memoised answer keeps them."""
        todo = [i for i in range(start, min(end, len(rows))) if not isinstance(rows[i], Run)]
        if todo:
            deleted = self._deleted_experiments(sorted({rows[i].info.experiment_id for i in todo}))
            runs_of_rows = self._store.runs_of_rows  # type: ignore[attr-defined]  # rows come only from stores that have it
            for i, run in zip(todo, runs_of_rows([rows[i] for i in todo])):
                rows[i] = with_stage(run, LifecycleStage.DELETED) if run.info.experiment_id in deleted else run
        return rows[start:end]

    def _search_sorted(
        self, ids: list[str], filter_string: str, run_view_type: int, order_by: Sequence[str] | None
    ) -> list[Any]:
        """Every matching run in order, as runs or as the store's light rows standing for them
        (``search_rows``); reused until any run or experiment of the store changes."""
        key = (self._store.uri, tuple(sorted(set(ids))), filter_string or "", run_view_type, tuple(order_by or ()))
        # Stores with a cheap change marker (the file and memory stores) let an answer be reused.
        versioned = getattr(self._store, "runs_version", None)
        version = versioned() if versioned is not None else None
        hit = _search_memo.get(key) if version is not None else None
        if hit is not None and hit[0] == version:
            return hit[1]
        deleted = self._deleted_experiments(ids)
        test = parse_filter(filter_string).test
        rows_of = getattr(self._store, "search_rows", None)
        if rows_of is None:
            runs = [
                with_stage(r, LifecycleStage.DELETED) if r.info.experiment_id in deleted else r
                for r in self._store.list_runs(ids)
            ]
            runs = [r for r in runs if ViewType.matches(run_view_type, r.info.lifecycle_stage) and test(r)]
        else:

            def keep(row: Any) -> bool:
                if row.info["experiment_id"] in deleted:
                    row.info["lifecycle_stage"] = LifecycleStage.DELETED  # a row's info is its own dict
                return ViewType.matches(run_view_type, row.info["lifecycle_stage"]) and test(row)

            fields = run_fields_read(filter_string, order_by)
            if deleted:
                runs = rows_of(ids, fields, keep)
            else:  # the store judges the stage itself, before it builds a row
                stages = None if run_view_type == ViewType.ALL else {
                    s for s in (LifecycleStage.ACTIVE, LifecycleStage.DELETED) if ViewType.matches(run_view_type, s)
                }
                runs = rows_of(ids, fields, test, stages=stages)
        runs = sort_runs(runs, order_by)
        if version is not None:
            _search_memo.put(key, (version, runs), _RUN_BYTES * len(runs) + 1000)
        return runs

    def _deleted_experiments(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` are deleted; ExperimentNotFoundError for an unknown id."""
        stages = {e.experiment_id: e.lifecycle_stage for e in self._store.list_experiments()}
        for exp_id in ids:
            if exp_id not in stages:
                self._store.get_experiment(exp_id)  # raises ExperimentNotFoundError
        return {e for e in ids if stages.get(e) == LifecycleStage.DELETED}

    def find_stale_runs(self, experiment_ids: Sequence[str] | None = None) -> list[str]:
        """Ids of RUNNING runs whose process is gone (dead pid on this host, or no heartbeat)."""
        ids = None if experiment_ids is None else check_experiment_ids(experiment_ids)
        return self._store.find_stale_runs(ids)

    def close_stale_runs(self, experiment_ids: Sequence[str] | None = None) -> list[str]:
        """Mark every stale run KILLED with end time now; returns their ids."""
        stale = self.find_stale_runs(experiment_ids)
        for run_id in stale:
            self._store.update_run(run_id, status=RunStatus.KILLED, end_time=v.now_ms())
        return stale

    def flush(self) -> None:
        """Write buffered metric points to disk now (otherwise within about 0.5 s)."""
        self._store.flush()
