"""``MlflowStore``: the Store protocol over an MLflow tracking server, through MLflow's own client.

The server owns ids, uniqueness and param immutability; this class maps each Store verb to one
or a few ``MlflowClient`` calls and keeps the one thing a notebook needs that MLflow's client
lacks: ``append_metric`` costs a list append, and points reach the server in background
``log_batch`` requests (see :mod:`._shipper`). Params and tags stay synchronous, in requests of
at most 100 each (MLflow's limits).
"""
from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ...entities import Experiment, LifecycleStage, Metric, Run, RunInfo, RunStatus
from ...errors import (
    AlreadyExistsError,
    ExperimentNotFoundError,
    InvalidParameterError,
    NotFoundError,
    RunNotFoundError,
    TagNotFoundError,
)
from ...search.paging import all_pages
from .. import rules
from ..history import MetricHistory
from . import _connection as conn
from . import _convert, _search
from ._artifacts import RemoteArtifactRepository
from ._registry import RegistryMirror
from ._shipper import MetricShipper, Point

T = TypeVar("T")

MAX_PARAMS_PER_REQUEST = 100
MAX_TAGS_PER_REQUEST = 100
_PAGE = 1000


class MlflowStore:
    """Experiments, runs, metrics, artifacts and the registry of one MLflow tracking server.

    Parameters
    ----------
    uri : str
        ``http(s)://host:port[/path]`` (credentials come from MLflow's environment variables).
    """

    def __init__(self, uri: str) -> None:
        self.uri = conn.canonical_server_uri(uri)
        self.address = conn.server_address(self.uri)
        self.artifact_root = Path(tempfile.gettempdir()) / "nbtrack-remote-artifacts"
        self._client = conn.make_client(self.uri)
        from mlflow.entities import Metric as MlflowMetric
        from mlflow.entities import Param, RunTag

        self._mlflow_metric, self._param, self._tag = MlflowMetric, Param, RunTag
        self._shipper = MetricShipper(self._send_points, self._server_history, self.address)
        self._writable: set[str] = set()
        self._registry = RegistryMirror(self._client, self._call)

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return conn.call(self.address, what, fn, *args, **kwargs)

    def _raise_pending_error(self) -> None:
        error = self._shipper.take_error()
        if error is not None:
            raise error

    # -- experiments ---------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        try:
            return self._call(f"creating experiment {name!r}", self._client.create_experiment,
                              name, artifact_location, dict(tags or {}))
        except AlreadyExistsError:
            raise rules.experiment_name_taken(name) from None

    def get_experiment(self, experiment_id: str) -> Experiment:
        try:
            exp = self._call(f"reading experiment {experiment_id}", self._client.get_experiment, str(experiment_id))
        except (NotFoundError, InvalidParameterError):
            raise ExperimentNotFoundError(f"No experiment with id {experiment_id!r}") from None
        return _convert.experiment(exp)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        exp = self._call(f"reading experiment {name!r}", self._client.get_experiment_by_name, name)
        return None if exp is None else _convert.experiment(exp)

    def list_experiments(self) -> list[Experiment]:
        from mlflow.entities import ViewType

        pages = all_pages(functools.partial(self._call, "listing experiments", self._client.search_experiments),
                          view_type=ViewType.ALL, max_results=_PAGE)
        exps = [_convert.experiment(e) for e in pages]
        return sorted(exps, key=lambda e: (int(e.experiment_id) if e.experiment_id.isdigit() else 0, e.experiment_id))

    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        lifecycle_stage: str | None = None,
        tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> Experiment:
        current = self.get_experiment(experiment_id)
        what = f"changing experiment {experiment_id}"
        if name is not None and name != current.name:
            if self.get_experiment_by_name(name) is not None:
                raise rules.experiment_name_taken(name)
            self._call(what, self._client.rename_experiment, experiment_id, name)
        for key, value in (tags or {}).items():  # before a delete: MLflow refuses tags on deleted experiments
            self._call(what, self._client.set_experiment_tag, experiment_id, key, value)
        for key in delete_tags:
            if key in current.tags:
                self._call(what, self._client.delete_experiment_tag, experiment_id, key)
        if lifecycle_stage == LifecycleStage.DELETED and current.lifecycle_stage != LifecycleStage.DELETED:
            self._call(what, self._client.delete_experiment, experiment_id)
        if lifecycle_stage == LifecycleStage.ACTIVE and current.lifecycle_stage != LifecycleStage.ACTIVE:
            self._call(what, self._client.restore_experiment, experiment_id)
        return self.get_experiment(experiment_id)

    # -- runs ----------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int,
        tags: Mapping[str, str] | None = None,
        user_id: str = "",
    ) -> Run:
        self._raise_pending_error()
        exp = self.get_experiment(experiment_id)
        rules.require_active_experiment(exp)
        all_tags = dict(tags or {})
        if user_id:
            all_tags.setdefault("mlflow.user", user_id)
        run = self._call(f"starting a run in experiment {experiment_id}", self._client.create_run,
                         str(experiment_id), start_time=start_time, tags=all_tags, run_name=run_name or None)
        self._writable.add(run.info.run_id)
        return _convert.run(run)

    def get_run(self, run_id: str) -> Run:
        self._flush_run_quietly(run_id)
        run = self._get_mlflow_run(run_id)
        if run.info.lifecycle_stage == LifecycleStage.ACTIVE:
            self._writable.add(run_id)
        return _convert.run(run)

    def _get_mlflow_run(self, run_id: str) -> Any:
        try:
            return self._call(f"reading run {run_id}", self._client.get_run, run_id)
        except (NotFoundError, InvalidParameterError):
            raise RunNotFoundError(f"No run with id {run_id!r}") from None

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        lifecycle_stage: str | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        if status in RunStatus.TERMINATED or lifecycle_stage is not None:
            self._shipper.flush(run_id)
        current = self._get_mlflow_run(run_id).info
        what = f"changing run {run_id}"
        if status in RunStatus.TERMINATED:
            self._call(what, self._client.set_terminated, run_id, status, end_time)
        elif status is not None or run_name is not None:
            self._call(what, self._client.update_run, run_id, status=status, name=run_name)
        if run_name is not None and status in RunStatus.TERMINATED:
            self._call(what, self._client.update_run, run_id, name=run_name)
        if lifecycle_stage == LifecycleStage.DELETED and current.lifecycle_stage != LifecycleStage.DELETED:
            self._call(what, self._client.delete_run, run_id)
            self._writable.discard(run_id)
        if lifecycle_stage == LifecycleStage.ACTIVE and current.lifecycle_stage != LifecycleStage.ACTIVE:
            self._call(what, self._client.restore_run, run_id)
        return self.get_run(run_id).info

    def _check_writable(self, run_id: str) -> None:
        if run_id in self._writable:
            return
        rules.require_active_run(run_id, self._get_mlflow_run(run_id).info.lifecycle_stage)
        self._writable.add(run_id)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self._raise_pending_error()
        self._check_writable(run_id)
        if params:
            self._log_params(run_id, params)
        items = list((tags or {}).items())
        for start in range(0, len(items), MAX_TAGS_PER_REQUEST):
            chunk = [self._tag(k, v) for k, v in items[start:start + MAX_TAGS_PER_REQUEST]]
            self._call(f"setting tags of run {run_id}", self._client.log_batch, run_id, tags=chunk, synchronous=True)
        for m in metrics:
            self._shipper.add(run_id, m.key, m.value, m.timestamp, m.step)

    def _log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        existing = self._get_mlflow_run(run_id).data.params
        rules.require_same_params(run_id, existing, params)
        new = [(k, v) for k, v in params.items() if k not in existing]
        for start in range(0, len(new), MAX_PARAMS_PER_REQUEST):
            chunk = [self._param(k, v) for k, v in new[start:start + MAX_PARAMS_PER_REQUEST]]
            self._call(f"logging params of run {run_id}", self._client.log_batch, run_id, params=chunk, synchronous=True)

    def append_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        if self._shipper.error is not None:
            self._raise_pending_error()
        if run_id not in self._writable:
            self._check_writable(run_id)
        self._shipper.add(run_id, key, value, timestamp, step)

    def delete_tag(self, run_id: str, key: str) -> None:
        run = self._get_mlflow_run(run_id)
        if key not in run.data.tags:
            raise TagNotFoundError(f"Run {run_id} has no tag {key!r} to delete")
        self._call(f"deleting a tag of run {run_id}", self._client.delete_tag, run_id, key)

    def get_metric_history(self, run_id: str, key: str) -> MetricHistory:
        self._flush_run_quietly(run_id)
        self._get_mlflow_run(run_id)
        history = self._call(f"reading metric {key!r} of run {run_id}", self._client.get_metric_history, run_id, key)
        return _convert.history(key, history)

    def list_runs(self, experiment_ids: Sequence[str]) -> list[Run]:
        from mlflow.entities import ViewType

        self._flush_quietly()
        ids = [str(e) for e in experiment_ids]
        if not ids:
            return []
        pages = all_pages(functools.partial(self._call, "searching runs", self._client.search_runs, ids),
                          run_view_type=ViewType.ALL, max_results=_PAGE)
        return [_convert.run(r) for r in pages]

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str,
        run_view_type: int,
        max_results: int,
        order_by: Sequence[str],
        page_token: str | None,
    ) -> tuple[list[Run], str | None] | None:
        """One page found by the server, or None for a filter only nbtrack can apply (see :mod:`._search`)."""
        self._flush_quietly()
        return _search.search_runs(self._call, self._client, experiment_ids, filter_string, run_view_type,
                                   max_results, order_by, page_token)

    def search_experiments(
        self,
        view_type: int,
        max_results: int,
        filter_string: str,
        order_by: Sequence[str],
        page_token: str | None,
    ) -> tuple[list[Experiment], str | None] | None:
        """One page found by the server, or None for a filter only nbtrack can apply."""
        return _search.search_experiments(self._call, self._client, view_type, max_results, filter_string,
                                          order_by, page_token)

    def find_stale_runs(self, experiment_ids: Sequence[str] | None = None) -> list[str]:
        """Always empty: a server does not know whether a client's process is still alive."""
        return []

    # -- metrics -------------------------------------------------------------------------
    def _send_points(self, run_id: str, points: list[Point]) -> None:
        metrics = [self._mlflow_metric(p[1], p[2], p[3], p[4]) for p in points]
        self._client.log_batch(run_id, metrics=metrics, synchronous=True)

    def _server_history(self, run_id: str, key: str) -> list[tuple[float, int, int]]:
        return [(m.value, m.timestamp, m.step) for m in self._client.get_metric_history(run_id, key)]

    def flush(self, run_id: str | None = None) -> None:
        self._shipper.flush(run_id)

    def _flush_quietly(self) -> None:
        """Before a read: ship what is buffered; a failure is kept for the next write call."""
        if self._shipper.pending():
            self._shipper.ship()

    def _flush_run_quietly(self, run_id: str) -> None:
        if self._shipper.pending(run_id):
            self._shipper.ship()

    def pending_points(self) -> int:
        """Points logged in this process that the server has not accepted yet."""
        return self._shipper.pending()

    def close(self) -> None:
        self._shipper.ship()
        self._shipper.close()

    # -- artifacts -----------------------------------------------------------------------
    def artifact_repository(self, run: Run) -> RemoteArtifactRepository:
        """The run's artifacts on the server's artifact store, through MLflow's client."""
        return RemoteArtifactRepository(self._client, run.info.run_id, self._call)

    # -- registry ------------------------------------------------------------------------
    def read_registry(self) -> Mapping[str, Any]:
        return self._registry.read()

    def update_registry(self, fn: Callable[[dict[str, Any]], T]) -> T:
        return self._registry.update(fn)
