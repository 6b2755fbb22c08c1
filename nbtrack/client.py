"""``TrackingClient``: experiments, runs, metrics and artifacts addressed by explicit ids.

Method names and semantics follow MLflow's ``MlflowClient`` so its users and its docs carry
over. Every input is validated here (the store validates nothing); the fluent API in
``nbtrack.fluent`` is a thin layer over this class and points here for documentation.
"""
from __future__ import annotations

import getpass
import logging
import os
import random
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import _validation as v
from ._paging import PagedList, page, query_hash
from .artifacts import ArtifactsMixin, local_path_from_uri
from .entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from .errors import InvalidParameterError, ParamConflictError, RunStateError
from .registry import RegistryMixin
from .store import DEFAULT_EXPERIMENT_ID, default_uri, open_store, resolve_uri

__all__ = ["TrackingClient", "add_metric_listener", "get_tracking_uri", "set_tracking_uri"]

log = logging.getLogger(__name__)

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"
SEARCH_MAX_RESULTS_DEFAULT = 1000

# ---------------------------------------------------------------------------------------
# Process-wide state: the tracking URI chosen by set_tracking_uri and the metric listeners.
# ---------------------------------------------------------------------------------------
_tracking_uri: str | None = None
_metric_listeners: list[Callable[[str, list[Metric]], None]] = []

_SERVER_SCHEMES = ("http://", "https://", "databricks")


def _canonical_uri(uri: Any) -> str:
    """Canonical store URI; server URIs get an error that says nbtrack has no server."""
    raw = os.fspath(uri) if isinstance(uri, os.PathLike) else uri
    if isinstance(raw, str) and raw.strip().lower().startswith(_SERVER_SCHEMES):
        raise InvalidParameterError(
            f"Tracking URI {raw!r} points at a tracking server, but nbtrack has no server: it "
            "keeps runs in local files. Use a folder path (default ./nbtrack-store), "
            "'tinydb:///abs/path' or 'memory:'."
        )
    if not isinstance(raw, str):
        raise InvalidParameterError(
            f"Tracking URI must be a string or path, got {type(uri).__name__} {uri!r}"
        )
    return resolve_uri(raw)


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Choose the store used by clients created without a URI (None: back to the default).

    Relative paths are resolved now, so a later change of directory does not move the store.
    """
    global _tracking_uri
    _tracking_uri = None if uri is None else _canonical_uri(uri)


def get_tracking_uri() -> str:
    """The default store URI: set_tracking_uri, else $NBTRACK_TRACKING_URI, else ./nbtrack-store."""
    if _tracking_uri is not None:
        return _tracking_uri
    return _canonical_uri(default_uri())


def add_metric_listener(fn: Callable[[str, list[Metric]], None]) -> Callable[[], None]:
    """Call ``fn(run_id, metrics)`` after every successful metric log; returns a remover.

    Listener errors are logged and swallowed: a broken live plot must never stop training.
    """
    if not callable(fn):
        raise InvalidParameterError(f"metric listener must be callable, got {fn!r}")
    _metric_listeners.append(fn)

    def remove() -> None:
        if fn in _metric_listeners:
            _metric_listeners.remove(fn)

    return remove


def _notify(run_id: str, metrics: list[Metric]) -> None:
    for fn in tuple(_metric_listeners):
        try:
            fn(run_id, metrics)
        except Exception:  # noqa: BLE001 - listeners must never break training code
            log.exception("nbtrack metric listener %r failed", fn)


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------
_ADJECTIVES = (
    "amber able bold brave bright calm clever crisp daring eager fancy gentle glad honest "
    "jolly keen lively lucky merry mighty nimble noble polite proud quick quiet rare silent "
    "smooth sturdy sunny swift tidy vivid warm wise witty zesty"
).split()
_NOUNS = (
    "ant badger bee crane deer dolphin eagle falcon ferret finch fox gecko hare hawk heron "
    "ibis koala lark lemur lynx mole moth newt otter owl panda puffin quail raven robin seal "
    "shrew sloth snail swan tiger toad trout vole wasp whale wren yak"
).split()


def generate_run_name() -> str:
    """An MLflow-like readable name: ``adjective-noun-NNN``."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 999):03d}"


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "unknown"


def _check_tags(tags: Mapping[str, Any] | None, what: str = "tags") -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidParameterError(f"{what} must be a dict of key -> value, got {tags!r}")
    return {v.validate_key(k, "tag"): v.validate_tag_value(k, val) for k, val in tags.items()}


def _check_view_type(view_type: Any, what: str) -> int:
    if view_type not in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL) or isinstance(
        view_type, bool
    ):
        raise InvalidParameterError(
            f"{what} must be ViewType.ACTIVE_ONLY (1), DELETED_ONLY (2) or ALL (3), got {view_type!r}"
        )
    return int(view_type)


def _check_status(status: Any) -> str:
    if status not in RunStatus.ALL:
        raise InvalidParameterError(
            f"Run status must be one of {', '.join(RunStatus.ALL)}, got {status!r}"
        )
    return status


def _check_experiment_ids(experiment_ids: Any) -> list[str]:
    if isinstance(experiment_ids, (str, int)) and not isinstance(experiment_ids, bool):
        experiment_ids = [experiment_ids]
    if not isinstance(experiment_ids, (list, tuple)):
        raise InvalidParameterError(
            f"experiment_ids must be a list of experiment ids, got {experiment_ids!r}"
        )
    return [v.validate_id(e, "experiment id") for e in experiment_ids]


class TrackingClient(ArtifactsMixin, RegistryMixin):
    """Client for an nbtrack store: experiments, runs, metrics, artifacts and the registry.

    Parameters
    ----------
    tracking_uri : str or path-like, optional
        Store location: a folder path, ``tinydb:///abs/path`` or ``memory:<name>``. Defaults to
        :func:`nbtrack.get_tracking_uri` (``set_tracking_uri``, else ``$NBTRACK_TRACKING_URI``,
        else ``./nbtrack-store``). ``http(s)://`` URIs are rejected: nbtrack has no server.

    Notes
    -----
    Clients on the same URI in one process share one store object, so metric buffers and
    caches are shared with the fluent API.
    """

    def __init__(self, tracking_uri: str | os.PathLike[str] | None = None):
        uri = get_tracking_uri() if tracking_uri is None else _canonical_uri(tracking_uri)
        self._tracking_uri = uri
        self._store = open_store(uri)

    @property
    def tracking_uri(self) -> str:
        """The canonical URI this client was opened on."""
        return self._tracking_uri

    def __repr__(self) -> str:
        return f"TrackingClient({self._tracking_uri!r})"

    # -- experiments ---------------------------------------------------------------------
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
        location = None
        if artifact_location is not None:
            raw = os.fspath(artifact_location) if isinstance(artifact_location, os.PathLike) else artifact_location
            if not isinstance(raw, str) or not raw.strip() or ("://" in raw and not raw.startswith("file:")):
                raise InvalidParameterError(
                    f"artifact_location must be a local folder (path or file:// URI), got "
                    f"{artifact_location!r}"
                )
            location = str(local_path_from_uri(raw).expanduser().resolve())
        return self._store.create_experiment(name, location, _check_tags(tags))

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

        Returns
        -------
        PagedList of Experiment
            With ``.token`` for the next page (None on the last).

        Raises
        ------
        InvalidFilterError
            If ``filter_string`` or ``order_by`` cannot be parsed.
        """
        from .filters import filter_experiments, sort_experiments, validate_experiment_order_by

        view_type = _check_view_type(view_type, "view_type")
        max_results = v.validate_max_results(max_results)
        validate_experiment_order_by(order_by)
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
        view_type = _check_view_type(view_type, "view_type")
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
                "restore it first"
            )
        self._store.update_experiment(exp.experiment_id, name=new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment: it and its runs drop out of default searches.

        Raises
        ------
        InvalidParameterError
            For the Default experiment ``"0"`` (reserved, as in MLflow's file store) or an
            experiment that is already deleted.
        """
        exp = self.get_experiment(experiment_id)
        if exp.experiment_id == DEFAULT_EXPERIMENT_ID:
            raise InvalidParameterError(
                "Cannot delete the default experiment '0': it is reserved for runs started "
                "without an experiment"
            )
        if exp.lifecycle_stage == LifecycleStage.DELETED:
            raise InvalidParameterError(
                f"Experiment {exp.experiment_id!r} ({exp.name!r}) is already deleted"
            )
        self._store.update_experiment(exp.experiment_id, lifecycle_stage=LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment, and with it the visibility of its runs.

        Raises
        ------
        InvalidParameterError
            If the experiment is not deleted.
        """
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage != LifecycleStage.DELETED:
            raise InvalidParameterError(
                f"Cannot restore experiment {exp.experiment_id!r} ({exp.name!r}): it is not deleted"
            )
        self._store.update_experiment(exp.experiment_id, lifecycle_stage=LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment (value stored as a string, at most 8000 characters)."""
        exp = self.get_experiment(experiment_id)
        self._store.update_experiment(exp.experiment_id, tags=_check_tags({key: value}))

    # -- runs ----------------------------------------------------------------------------
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
        tags = _check_tags(tags)
        if run_name is None:
            run_name = tags.get(RUN_NAME_TAG) or generate_run_name()
        tags[RUN_NAME_TAG] = v.validate_name(run_name, "Run name")
        user = tags.get(USER_TAG) or _current_user()
        return self._store.create_run(experiment_id, run_name, start_time, tags, user_id=user)

    def get_run(self, run_id: str) -> Run:
        """Return a run with its params, tags and latest metrics.

        Raises
        ------
        RunNotFoundError
            If no run has this id.
        """
        return self._store.get_run(v.validate_id(run_id, "run id"))

    def _active_run(self, run_id: str) -> Run:
        """The run, or RunStateError if it is deleted (deleted runs take no writes)."""
        run = self.get_run(run_id)
        if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
            raise RunStateError(
                f"Run {run.info.run_id} is deleted and cannot be changed; restore it with "
                "restore_run() first"
            )
        return run

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status and/or name; the end time is left as it is (as in MLflow)."""
        if status is not None:
            _check_status(status)
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
        status = _check_status(status)
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
        good_metrics = [_check_metric(m) for m in _entities(metrics, Metric, "metrics")]
        good_params = _params_dict(run_id, _entities(params, Param, "params"))
        good_tags = _check_tags({t.key: t.value for t in _entities(tags, RunTag, "tags")})
        if not (good_metrics or good_params or good_tags):
            self._active_run(run_id)
            return
        run_name = good_tags.get(RUN_NAME_TAG)
        if run_name is not None:
            v.validate_name(run_name, "Run name")
        self._store.log_batch(run_id, good_metrics, good_params, good_tags)
        if run_name is not None:
            self._store.update_run(run_id, run_name=run_name)
        if good_metrics and _metric_listeners:
            _notify(run_id, good_metrics)

    def _log_metric_fast(self, run_id: str, key: str, value: Any, step: Any, timestamp: Any) -> None:
        """Fluent hot path: validate and append to the store's buffer; no reads, no copies."""
        metric = Metric(
            v.validate_key(key, "metric"),
            v.validate_metric_value(key, value),
            v.validate_timestamp(timestamp),
            v.validate_step(step),
        )
        self._store.log_batch(run_id, (metric,))
        if _metric_listeners:
            _notify(run_id, [metric])

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

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """All points of one metric in logging order (empty if never logged).

        Raises
        ------
        RunNotFoundError
            If no run has this id.
        """
        run_id = v.validate_id(run_id, "run id")
        return self._store.get_metric_history(run_id, v.validate_key(key, "metric"))

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
        from .filters import filter_runs, parse_filter, sort_runs, validate_order_by

        ids = _check_experiment_ids(experiment_ids)
        run_view_type = _check_view_type(run_view_type, "run_view_type")
        max_results = v.validate_max_results(max_results)
        parse_filter(filter_string)
        validate_order_by(order_by)
        deleted = self._deleted_experiments(ids)
        runs = filter_runs(
            (
                r
                for r in self._store.list_runs(ids)
                if ViewType.matches(
                    run_view_type,
                    LifecycleStage.DELETED if r.info.experiment_id in deleted else r.info.lifecycle_stage,
                )
            ),
            filter_string,
        )
        runs = sort_runs(runs, order_by)
        qhash = query_hash("runs", sorted(set(ids)), filter_string or "", run_view_type, order_by)
        return page(runs, max_results, page_token, qhash)

    def _deleted_experiments(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` are deleted; ExperimentNotFoundError for an unknown id."""
        stages = {e.experiment_id: e.lifecycle_stage for e in self._store.list_experiments()}
        for exp_id in ids:
            if exp_id not in stages:
                self._store.get_experiment(exp_id)  # raises ExperimentNotFoundError
        return {e for e in ids if stages.get(e) == LifecycleStage.DELETED}

    def find_stale_runs(self, experiment_ids: Sequence[str] | None = None) -> list[str]:
        """Ids of RUNNING runs whose process is gone (dead pid on this host, or no heartbeat)."""
        ids = None if experiment_ids is None else _check_experiment_ids(experiment_ids)
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


def _check_metric(m: Metric) -> Metric:
    return Metric(
        v.validate_key(m.key, "metric"),
        v.validate_metric_value(m.key, m.value),
        v.validate_timestamp(m.timestamp),
        v.validate_step(m.step),
    )


def _entities(items: Iterable[Any], cls: type, what: str) -> list[Any]:
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidParameterError(
            f"{what} must be a list of {cls.__name__} objects, got {type(items).__name__}"
        )
    out = list(items)
    for item in out:
        if not isinstance(item, cls):
            raise InvalidParameterError(
                f"{what} must contain {cls.__name__} objects, got {type(item).__name__} {item!r}"
            )
    return out


def _params_dict(run_id: str, params: list[Param]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in params:
        key = v.validate_key(p.key, "param")
        value = v.validate_param_value(key, p.value)
        if key in out and out[key] != value:
            raise ParamConflictError(run_id, key, out[key], value)
        out[key] = value
    return out
