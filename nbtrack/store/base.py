"""The contract every tracking store fulfils.

A store persists experiments, runs (info, params, tags, latest metrics), metric histories and
the registry state. It validates nothing about user input (the client does) but it does own the
rules that need its lock: unique experiment names, immutable params, atomic registry updates.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from ..entities import Experiment, Metric, Run, RunInfo
from .history import MetricHistory

T = TypeVar("T")

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


@runtime_checkable
class Store(Protocol):
    """Persistence for nbtrack. Implementations: ``TinyDBStore`` (default), ``MemoryStore``."""

    #: URI the store was opened from (``tinydb:///abs/path`` or ``memory:``).
    uri: str
    #: Folder under which experiments keep their artifacts by default.
    artifact_root: Path

    # -- experiments ---------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        """Create an experiment and return its id; ExperimentAlreadyExistsError if the name is taken."""

    def get_experiment(self, experiment_id: str) -> Experiment:
        """ExperimentNotFoundError if missing (deleted experiments are returned)."""

    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    def list_experiments(self) -> list[Experiment]:
        """Every experiment, any lifecycle stage, ordered by id. Creates "Default" (id "0") if empty."""

    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        lifecycle_stage: str | None = None,
        tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> Experiment:
        """Rename (unique), change lifecycle stage, merge tags, or remove tags (missing ones ignored)."""

    # -- runs ----------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int,
        tags: Mapping[str, str] | None = None,
        user_id: str = "",
    ) -> Run:
        """Create a RUNNING run; records pid, host and a heartbeat for stale detection."""

    def get_run(self, run_id: str) -> Run:
        """RunNotFoundError if missing. Includes this process's buffered metrics."""

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        lifecycle_stage: str | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Params and tags are written now; metrics go to an in-memory buffer flushed <= ~0.5 s later.

        Raises ParamConflictError if a param exists with another value (same value: no-op).
        """

    def append_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """The logging hot path: one validated point into the buffer, no file I/O."""

    def delete_tag(self, run_id: str, key: str) -> None:
        """NotFoundError-free: RunNotFoundError for a missing run, InvalidParameterError for a missing tag."""

    def get_metric_history(self, run_id: str, key: str) -> MetricHistory:
        """All points of one metric in logging order (step, timestamp as logged)."""

    def list_runs(self, experiment_ids: Sequence[str]) -> list[Run]:
        """Every run of these experiments, any lifecycle stage, unordered."""

    def find_stale_runs(self, experiment_ids: Sequence[str] | None = None) -> list[str]:
        """Ids of RUNNING runs whose process is gone (dead pid on this host, or no heartbeat)."""

    def flush(self) -> None:
        """Write buffered metrics now (also done at run end, cell end and interpreter exit)."""

    def close(self) -> None: ...

    # -- registry ------------------------------------------------------------------------
    def read_registry(self) -> Mapping[str, Any]:
        """The registry state as a plain JSON-like dict (do not mutate)."""

    def update_registry(self, fn: Callable[[dict[str, Any]], T]) -> T:
        """Apply ``fn`` to the registry state under the store lock and persist it atomically."""


@runtime_checkable
class ServerSearch(Protocol):
    """A store whose backend answers searches itself, one page per request (the MLflow-server store).

    Each method returns ``(items, next_page_token)``, or None when the query needs nbtrack's own
    engine (syntax the backend lacks); the client then filters the listed runs or experiments.
    Arguments arrive validated; ``experiment_ids`` exist and none is deleted.
    """

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str,
        run_view_type: int,
        max_results: int,
        order_by: Sequence[str],
        page_token: str | None,
    ) -> tuple[list[Run], str | None] | None: ...

    def search_experiments(
        self,
        view_type: int,
        max_results: int,
        filter_string: str,
        order_by: Sequence[str],
        page_token: str | None,
    ) -> tuple[list[Experiment], str | None] | None: ...
