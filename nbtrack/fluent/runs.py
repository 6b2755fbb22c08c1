"""Module-level MLflow verbs over an active-run stack (``nbtrack.start_run``, ``nbtrack.log_metric``...).

State is a module-level stack behind a ``threading.RLock`` rather than a ContextVar, which some
ipykernel releases lose between cells. Each verb documents itself briefly; the full parameter
documentation lives once on :class:`nbtrack.client.TrackingClient`.

Unlike MLflow, logging with no active run raises :class:`NoActiveRunError` instead of quietly
starting a run that stays RUNNING until the kernel dies.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from .._identity import current_user
from .._validation import validate_name
from ..client import TrackingClient, get_tracking_uri
from ..client import set_tracking_uri as _set_default_uri
from ..client.checks import check_status, check_tags
from ..client.run_defaults import USER_TAG
from ..entities import Experiment, LifecycleStage, Param, Run, RunData, RunInfo, RunStatus, RunTag
from ..errors import (
    InvalidParameterError,
    NoActiveRunError,
    RunStateError,
)
from ..store import flush_all
from ..store._appender import Target, run_appender
from ..system_metrics import start_system_metrics, stop_system_metrics, system_metrics_wanted
from .run_start import check_parent, get_run_to_resume, source_tags, take_env_run_id

__all__ = [
    "ActiveRun",
    "set_tracking_uri",
    "get_tracking_uri",
    "set_experiment",
    "start_run",
    "end_run",
    "active_run",
    "last_active_run",
    "log_param",
    "log_params",
    "log_metric",
    "log_metrics",
    "set_tag",
    "set_tags",
    "delete_tag",
    "log_artifact",
    "log_artifacts",
    "log_text",
    "log_dict",
    "log_figure",
    "flush",
    "log_model",
]

log = logging.getLogger(__name__)

EXPERIMENT_NAME_ENV = "NBTRACK_EXPERIMENT_NAME"
EXPERIMENT_ID_ENV = "NBTRACK_EXPERIMENT_ID"
PARENT_RUN_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"

_lock = threading.RLock()


def _reset_lock_in_child() -> None:
    """A fork taken while another thread ended a run must not leave the child's lock held."""
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)
_run_stack: list[ActiveRun] = []
_last_run: tuple[TrackingClient, str] | None = None
_active_experiment: tuple[str, str] | None = None  # (tracking uri, experiment id)
_client: TrackingClient | None = None


class ActiveRun:
    """A run started by :func:`start_run`; a context manager that ends it.

    Leaving the ``with`` block ends the run FINISHED, or FAILED if the block raised, or KILLED
    on KeyboardInterrupt.
    """

    def __init__(self, run: Run, client: TrackingClient):
        self._run_id = run.info.run_id
        self._info = run.info
        self._client = client
        #: Where ``log_metric`` sends this run's points while it is the innermost active run.
        self.metric_target = client.metric_target(self._run_id)

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def client(self) -> TrackingClient:
        """The client this run logs through (explicit-id verbs on the same store)."""
        return self._client

    @property
    def info(self) -> RunInfo:
        """Run info: as of the start while the run is active (no store read), current once it ended."""
        if self in _run_stack:
            return self._info
        return self._client.get_run(self._run_id).info

    @property
    def data(self) -> RunData:
        """The run's params, tags and latest metrics now (buffered points included)."""
        return self._client.get_run(self._run_id).data

    def __repr__(self) -> str:
        return f"<ActiveRun run_id={self._run_id!r}>"

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: Any, tb: Any) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        with _lock:
            if self in _run_stack:  # not already ended by end_run()
                while _run_stack:  # end runs nested inside this one too
                    top = _run_stack[-1]
                    _end_top(status)
                    if top is self:
                        break


# -- tracking URI and client ------------------------------------------------------------
def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Set the store for the fluent API and new clients: a folder, ``tinydb:///abs/path``, ``memory:``.

    ``$NBTRACK_TRACKING_URI``, when set, still comes first (see ``nbtrack.client.set_tracking_uri``).
    The active experiment chosen with :func:`set_experiment` belongs to the old store and is
    forgotten; runs already started keep logging to their own store.
    """
    global _client
    with _lock:
        _set_default_uri(uri)
        _client = None


def fluent_client() -> TrackingClient:
    """The fluent client, rebuilt when the effective tracking URI changed."""
    global _client
    uri = get_tracking_uri()
    current = _client
    if current is not None and current.tracking_uri == uri:
        return current
    with _lock:
        if _client is None or _client.tracking_uri != uri:
            _client = TrackingClient(uri)
        return _client


# -- experiments -------------------------------------------------------------------------
def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment active for the next runs, creating it (by name) if missing.

    Raises
    ------
    InvalidParameterError
        Unless exactly one of name / id is given, or if the experiment is deleted (restore it
        with ``TrackingClient.restore_experiment``).
    ExperimentNotFoundError
        If ``experiment_id`` does not exist.
    """
    global _active_experiment
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameterError(
            "set_experiment needs exactly one of experiment_name or experiment_id, got "
            f"experiment_name={experiment_name!r}, experiment_id={experiment_id!r}"
        )
    client = fluent_client()
    with _lock:
        if experiment_id is not None:
            exp = client.get_experiment(experiment_id)
        else:
            exp = client.get_or_create_experiment(validate_name(experiment_name, "Experiment name"))
        if exp.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidParameterError(
                f"Cannot activate deleted experiment {exp.name!r} (id {exp.experiment_id}); restore "
                "it with TrackingClient().restore_experiment(id) or choose another name"
            )
        _active_experiment = (client.tracking_uri, exp.experiment_id)
    return exp


def active_experiment_id(client: TrackingClient) -> str:
    """set_experiment's choice, else $NBTRACK_EXPERIMENT_ID / $NBTRACK_EXPERIMENT_NAME, else "0"."""
    chosen = _active_experiment
    if chosen is not None and chosen[0] == client.tracking_uri:
        return chosen[1]
    env_id = os.environ.get(EXPERIMENT_ID_ENV)
    if env_id:
        return env_id
    env_name = os.environ.get(EXPERIMENT_NAME_ENV)
    if env_name:
        return client.get_or_create_experiment(env_name).experiment_id
    return "0"


# -- runs --------------------------------------------------------------------------------
def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it active; use it as a context manager.

    Arguments are MLflow's, in MLflow's order: the first positional one is ``run_id``.
    Without ``run_id``, ``$MLFLOW_RUN_ID`` / ``$NBTRACK_RUN_ID`` name a run to resume (and are
    then removed from the environment, as MLflow does). ``nested=True`` (or ``parent_run_id``)
    starts a child run (tag ``mlflow.parentRunId``); ``description`` goes in tag
    ``mlflow.note.content``. Without ``experiment_id`` the run goes to the active experiment
    (:func:`set_experiment`, ``$NBTRACK_EXPERIMENT_ID``, ``$NBTRACK_EXPERIMENT_NAME``, else
    Default "0"). ``log_system_metrics`` samples CPU, memory, disk, network and GPU under
    ``system/...`` (default: :func:`enable_system_metrics_logging` or
    ``$MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING`` / ``$NBTRACK_ENABLE_SYSTEM_METRICS_LOGGING``).

    Raises
    ------
    RunStateError
        If a run is already active and ``nested`` is False, or ``run_id`` is deleted or active.
    RunNotFoundError
        If ``run_id`` names no run (a run *name* passed positionally lands here: use
        ``run_name=``).
    InvalidParameterError
        If ``run_name`` disagrees with tag ``mlflow.runName``, ``description`` with tag
        ``mlflow.note.content``, or ``parent_run_id`` with the active run.
    """
    global _last_run
    with _lock:
        top = _run_stack[-1] if _run_stack else None
        if top is not None and not nested and parent_run_id is None:
            raise RunStateError(
                f"Run {top.run_id} is already active. To start a nested run inside it, call "
                "start_run(nested=True); to start a new top-level run, first call "
                "nbtrack.end_run() (or use `with nbtrack.start_run(): ...` so runs end themselves).",
                error_code="INVALID_STATE",
            )
        client = top.client if top is not None else fluent_client()
        run_id = run_id if run_id is not None else take_env_run_id()
        if run_id is not None:
            extra = _start_tags(tags, None, description)
            run = _resume_run(client, run_id, run_name, experiment_id, extra)
        else:
            parent = check_parent(client, parent_run_id, top.run_id if top else None)
            extra = _start_tags(tags, parent, description)
            exp_id = experiment_id if experiment_id is not None else active_experiment_id(client)
            extra.setdefault(USER_TAG, current_user())
            for key, value in source_tags().items():
                extra.setdefault(key, value)
            run = client.create_run(exp_id, tags=extra, run_name=run_name)
        active = ActiveRun(run, client)
        _run_stack.append(active)
        log_metric.retarget(active.metric_target)
        _last_run = (client, active.run_id)
    if system_metrics_wanted(log_system_metrics):
        start_system_metrics(client, active.run_id)
    return active


def _start_tags(
    tags: Mapping[str, Any] | None, parent: str | None, description: str | None
) -> dict[str, str]:
    """The caller's tags plus the parent run's id and the description, as system tags."""
    extra = check_tags(tags)
    if parent is not None:
        extra[PARENT_RUN_TAG] = parent
    if description is not None:
        if not isinstance(description, str):
            raise InvalidParameterError(f"description must be a string, got {description!r}")
        if NOTE_TAG in extra and extra[NOTE_TAG] != description:
            raise InvalidParameterError(
                f"Description is already set via the tag {NOTE_TAG} in tags; remove that tag "
                "or omit the description"
            )
        extra[NOTE_TAG] = description
    return extra


def _resume_run(
    client: TrackingClient,
    run_id: str,
    run_name: str | None,
    experiment_id: str | None,
    tags: dict[str, str],
) -> Run:
    run = get_run_to_resume(client, run_id)
    if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
        raise RunStateError(
            f"Cannot resume run {run.info.run_id}: it is deleted; restore it first"
        )
    if any(a.run_id == run.info.run_id for a in _run_stack):
        raise RunStateError(f"Run {run.info.run_id} is already active", error_code="INVALID_STATE")
    if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
        raise InvalidParameterError(
            f"Run {run.info.run_id} belongs to experiment {run.info.experiment_id}, not "
            f"{experiment_id!r}; omit experiment_id when resuming a run"
        )
    if tags:
        client.log_batch(run.info.run_id, tags=[RunTag(k, val) for k, val in tags.items()])
    client.update_run(run.info.run_id, status=RunStatus.RUNNING, name=run_name)
    return client.get_run(run.info.run_id)


def _end_top(status: str) -> None:
    """Pop the innermost run and terminate it (called with _lock held)."""
    active = _run_stack.pop()
    log_metric.retarget(_run_stack[-1].metric_target if _run_stack else _NO_RUN)
    stop_system_metrics(active.run_id)
    active.client.set_terminated(active.run_id, status)


def end_run(status: str = RunStatus.FINISHED) -> None:
    """End the innermost active run with ``status`` (FINISHED, FAILED, KILLED); no-op if none."""
    check_status(status)
    with _lock:
        if _run_stack:
            _end_top(status)


def active_run() -> ActiveRun | None:
    """The innermost active run, or None."""
    return _run_stack[-1] if _run_stack else None


def last_active_run() -> Run | None:
    """The run most recently started by this process (active or ended), or None."""
    last = _last_run
    return None if last is None else last[0].get_run(last[1])


def require_active_run(what: str) -> ActiveRun:
    """The innermost active run, or NoActiveRunError saying how to start one (``what`` names the verb)."""
    try:
        return _run_stack[-1]
    except IndexError:
        raise NoActiveRunError(what) from None


# -- logging -----------------------------------------------------------------------------
def _log_metric(key: str, value: float, step: int | None = None, timestamp: int | None = None) -> None:
    """Log a metric point to the active run (see ``TrackingClient.log_metric``)."""


def _no_run_one(key: Any, value: Any, step: Any, timestamp: Any) -> None:
    raise NoActiveRunError(f"log metric {key!r}")


def _no_run_many(metrics: Any, step: Any, timestamp: Any) -> None:
    raise NoActiveRunError("log metrics")


_NO_RUN = Target(None, "", _no_run_one, _no_run_many)

#: The fluent ``log_metric`` is the logging hot path itself (one frame to the buffer), pointed at
#: the innermost active run whenever the run stack changes (``start_run``, ``_end_top``).
log_metric = run_appender(_NO_RUN, like=_log_metric, name="log_metric")


def log_metrics(metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None) -> None:
    """Log several metrics at one step and time."""
    if not _run_stack:
        raise NoActiveRunError("log metrics")
    if type(metrics) is not dict and not isinstance(metrics, Mapping):
        raise InvalidParameterError(f"metrics must be a dict of name -> number, got {metrics!r}")
    log_metric.many(metrics, step, timestamp)


def log_param(key: str, value: Any) -> Any:
    """Log a param of the active run; returns ``value``. Params are immutable."""
    active = require_active_run(f"log param {key!r}")
    active.client.log_param(active.run_id, key, value)
    return value


def log_params(params: Mapping[str, Any]) -> None:
    """Log several params of the active run."""
    active = require_active_run("log params")
    if not isinstance(params, Mapping):
        raise InvalidParameterError(f"params must be a dict of name -> value, got {params!r}")
    active.client.log_batch(active.run_id, params=[Param(k, val) for k, val in params.items()])


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run."""
    active = require_active_run(f"set tag {key!r}")
    active.client.set_tag(active.run_id, key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags on the active run."""
    active = require_active_run("set tags")
    if not isinstance(tags, Mapping):
        raise InvalidParameterError(f"tags must be a dict of name -> value, got {tags!r}")
    active.client.log_batch(active.run_id, tags=[RunTag(k, val) for k, val in tags.items()])


def delete_tag(key: str) -> None:
    """Delete a tag of the active run."""
    active = require_active_run(f"delete tag {key!r}")
    active.client.delete_tag(active.run_id, key)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy a local file (or a folder, under its own name) into the active run's artifacts."""
    active = require_active_run("log an artifact")
    active.client.log_artifact(active.run_id, local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy a local folder's contents into the active run's artifacts."""
    active = require_active_run("log artifacts")
    active.client.log_artifacts(active.run_id, local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    """Save text as an artifact file of the active run."""
    active = require_active_run("log text")
    active.client.log_text(active.run_id, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str) -> None:
    """Save a dict as a JSON (or YAML) artifact file of the active run."""
    active = require_active_run("log a dict")
    active.client.log_dict(active.run_id, dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str) -> None:
    """Save a matplotlib / plotly figure as an artifact image of the active run."""
    active = require_active_run("log a figure")
    active.client.log_figure(active.run_id, figure, artifact_file)


def flush() -> None:
    """Write every buffered metric point now (otherwise within about 0.5 s).

    Raises StoreWriteError (like ``TrackingClient.flush``) when points could not be written; they
    stay in memory and are retried.
    """
    flush_all()


# -- models (delegating to the client's registry methods) -------------------------------
def log_model(
    model: Any,
    artifact_path: str,
    registered_model_name: str | None = None,
    input_example: Any = None,
    signature: Any = None,
) -> Any:
    """Save ``model`` in the active run's artifacts (see ``TrackingClient.log_model``)."""
    active = require_active_run("log a model")
    return active.client.log_model(
        active.run_id, model, artifact_path,
        registered_model_name=registered_model_name, input_example=input_example, signature=signature,
    )


# -- search ------------------------------------------------------------------------------
# -- process exit and test support -------------------------------------------------------
def _end_all(status: str = RunStatus.FINISHED) -> None:
    """End every active run (innermost first), logging rather than raising errors."""
    with _lock:
        while _run_stack:
            try:
                _end_top(status)
            except Exception:  # noqa: BLE001 - at exit or in cleanup, keep ending the others
                log.exception("nbtrack: could not end an active run")


def _reset() -> None:
    """End active runs and forget all fluent state (tests; switching stores in a session)."""
    global _last_run, _active_experiment, _client
    _end_all()
    with _lock:
        _last_run = None
        _active_experiment = None
        _client = None
        _set_default_uri(None)


atexit.register(_end_all)
