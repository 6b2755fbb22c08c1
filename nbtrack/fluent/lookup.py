"""Module-level MLflow verbs that look things up or change them by id, with no active run needed.

Experiments by id or name, ``get_run``, ``search_runs``, ``load_model``, ``register_model``,
``search_experiments``, experiment tags of the active experiment, ``get_parent_run``,
``delete_run``, the registry searches and the registry URI. Each is a thin call on the fluent
client; the full documentation lives once on :class:`nbtrack.client.TrackingClient`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..client.run_search import collect_runs, experiment_ids_for, runs_to_frame
from ..entities import Experiment, Run, ViewType
from ..errors import InvalidParameterError
from ..search.paging import collect_pages
from .runs import PARENT_RUN_TAG, active_experiment_id, fluent_client

__all__ = [
    "create_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "delete_experiment",
    "get_run",
    "search_runs",
    "load_model",
    "register_model",
    "search_experiments",
    "set_experiment_tag",
    "set_experiment_tags",
    "delete_experiment_tag",
    "get_parent_run",
    "delete_run",
    "search_registered_models",
    "search_model_versions",
    "set_registry_uri",
    "get_registry_uri",
]

_PAGE = 50_000
SEARCH_MAX_RESULTS_FLUENT = 100_000
_registry_uri: str | None = None


def _all_pages(fetch: Any, max_results: int | None) -> list[Any]:
    """Follow page tokens until ``max_results`` items (every item when None)."""
    if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 0):
        raise InvalidParameterError(f"max_results must be a non-negative integer or None, got {max_results!r}")
    return collect_pages(fetch, max_results, _PAGE)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Every matching experiment as a list (see ``TrackingClient.search_experiments``)."""
    client = fluent_client()
    return _all_pages(
        lambda size, token: client.search_experiments(view_type, size, filter_string, order_by, token),
        max_results,
    )


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the active experiment (:func:`nbtrack.set_experiment`, else Default)."""
    client = fluent_client()
    client.set_experiment_tag(active_experiment_id(client), key, value)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags on the active experiment."""
    if not isinstance(tags, Mapping):
        raise InvalidParameterError(f"tags must be a dict of name -> value, got {tags!r}")
    for key, value in tags.items():
        set_experiment_tag(key, value)


def delete_experiment_tag(key: str) -> None:
    """Delete a tag of the active experiment (see ``TrackingClient.delete_experiment_tag``)."""
    client = fluent_client()
    client.delete_experiment_tag(active_experiment_id(client), key)


def get_parent_run(run_id: str) -> Run | None:
    """The run's parent (tag ``mlflow.parentRunId``), or None for a top-level run."""
    client = fluent_client()
    parent = client.get_run(run_id).data.tags.get(PARENT_RUN_TAG)
    return None if parent is None else client.get_run(parent)


def delete_run(run_id: str) -> None:
    """Soft-delete a run (see ``TrackingClient.delete_run``)."""
    fluent_client().delete_run(run_id)


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Any]:
    """Every matching registered model as a list (see ``TrackingClient.search_registered_models``)."""
    client = fluent_client()
    return _all_pages(
        lambda size, token: client.search_registered_models(filter_string, size, order_by, token),
        max_results,
    )


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Any]:
    """Every matching model version as a list, newest first by default."""
    client = fluent_client()
    return _all_pages(
        lambda size, token: client.search_model_versions(filter_string, size, order_by, token),
        max_results,
    )


def set_registry_uri(uri: str | None) -> None:
    """Accept the registry URI MLflow code sets; nbtrack's registry is the tracking store's.

    ``None`` or the tracking URI itself are accepted. A different store is refused, so a model
    is never registered somewhere other than where the code expects (README: differences).
    """
    global _registry_uri
    if uri is None:
        _registry_uri = None
        return
    from ..client import _canonical_uri

    canonical = _canonical_uri(uri)
    if canonical != fluent_client().tracking_uri:
        raise InvalidParameterError(
            f"Registry URI {uri!r} differs from the tracking URI {fluent_client().tracking_uri!r}: "
            "nbtrack keeps the model registry in the tracking store; call set_tracking_uri instead"
        )
    _registry_uri = canonical


def get_registry_uri() -> str:
    """The registry's store: the tracking URI (see :func:`set_registry_uri`)."""
    return _registry_uri or fluent_client().tracking_uri


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    """Create an experiment and return its id (see ``TrackingClient.create_experiment``)."""
    return fluent_client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id (see ``TrackingClient.get_experiment``)."""
    return fluent_client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return fluent_client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    """Soft-delete an experiment (see ``TrackingClient.delete_experiment``)."""
    fluent_client().delete_experiment(experiment_id)


def get_run(run_id: str) -> Run:
    """A run by id (see ``TrackingClient.get_run``)."""
    return fluent_client().get_run(run_id)


def load_model(model_uri: str) -> Any:
    """Load a model from ``runs:/`` or ``models:/`` URI (see ``TrackingClient.load_model``)."""
    return fluent_client().load_model(model_uri)


def register_model(model_uri: str, name: str) -> Any:
    """Register a logged model as a new version of ``name`` (see ``TrackingClient.register_model``)."""
    return fluent_client().register_model(model_uri, name)


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_FLUENT,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Search runs; returns a pandas DataFrame (default) or, with ``output_format="list"``, Runs.

    Experiments: ``experiment_ids`` or ``experiment_names`` (not both; names that match no
    experiment, and None, are skipped as in MLflow), else every experiment if
    ``search_all_experiments``, else the active one. No experiment, or ``max_results=0``, gives
    an empty result. Filter, view type and order_by are as
    in ``TrackingClient.search_runs``; pages are fetched until ``max_results`` runs.

    The DataFrame has MLflow's columns: ``run_id, experiment_id, status, artifact_uri,
    start_time, end_time`` (UTC datetimes), then ``metrics.*``, ``params.*``, ``tags.*``.
    When pandas is not installed, ``"pandas"`` falls back to a list of Runs.
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameterError(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 0:
        raise InvalidParameterError(f"max_results must be a non-negative integer, got {max_results!r}")
    client = fluent_client()
    ids = experiment_ids_for(
        client, experiment_ids, experiment_names, search_all_experiments,
        lambda: active_experiment_id(client),
    )
    runs = collect_runs(client, ids, filter_string, run_view_type, max_results, order_by) if ids else []
    if output_format == "list":
        return runs
    try:
        import pandas  # noqa: F401
    except ImportError:
        return runs
    return runs_to_frame(runs)
