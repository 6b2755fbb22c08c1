"""The parts of the fluent ``search_runs`` that need no fluent state.

Which experiments to search, collecting pages up to ``max_results``, and MLflow's DataFrame of
runs. pandas is imported only when a DataFrame is built.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..entities import Run, ViewType
from ..errors import InvalidParameterError
from ..search.paging import collect_pages
from .checks import check_experiment_ids

if TYPE_CHECKING:
    from . import TrackingClient

log = logging.getLogger(__name__)

PAGE_LIMIT = 50_000  # the client's largest page


def experiment_ids_for(
    client: TrackingClient,
    experiment_ids: Sequence[str] | None,
    experiment_names: Sequence[str] | None,
    search_all: bool,
    active_id: Callable[[], str],
) -> list[str]:
    """Ids to search: by id or by name (not both), else every experiment, else ``active_id()``."""
    if experiment_ids and experiment_names:
        raise InvalidParameterError("Pass experiment_ids or experiment_names to search_runs, not both")
    if experiment_names:
        if isinstance(experiment_names, str):
            experiment_names = [experiment_names]
        ids = []
        for name in experiment_names:
            exp = None if name is None else client.get_experiment_by_name(name)
            if exp is None:  # as in MLflow: skipped with a warning, not an error
                if name is not None:
                    log.warning("nbtrack: no experiment named %r to search", name)
                continue
            ids.append(exp.experiment_id)
        return ids
    if experiment_ids:
        return check_experiment_ids(experiment_ids)
    if search_all:
        return [e.experiment_id for e in client.list_experiments(view_type=ViewType.ALL)]
    return [active_id()]


def collect_runs(
    client: TrackingClient,
    ids: list[str],
    filter_string: str,
    run_view_type: int,
    max_results: int,
    order_by: Sequence[str] | None,
) -> list[Run]:
    """Fetch pages of ``client.search_runs`` until ``max_results`` runs or the last page."""
    return collect_pages(
        lambda size, token: client.search_runs(ids, filter_string, run_view_type, size, order_by, token),
        max_results,
        PAGE_LIMIT,
    )


def runs_to_frame(runs: list[Run]) -> Any:
    """MLflow's search_runs DataFrame: fixed run columns, then metrics.*, params.*, tags.*."""
    import pandas as pd

    columns: dict[str, list[Any]] = {
        name: [getattr(r.info, name) for r in runs]
        for name in ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")
    }
    for col in ("start_time", "end_time"):
        columns[col] = pd.to_datetime(pd.Series(columns[col], dtype="float64"), unit="ms", utc=True)
    for prefix, field, missing in (("metrics", "metrics", float("nan")), ("params", "params", None), ("tags", "tags", None)):
        keys = sorted({k for r in runs for k in getattr(r.data, field)})
        for key in keys:
            columns[f"{prefix}.{key}"] = [getattr(r.data, field).get(key, missing) for r in runs]
    return pd.DataFrame(columns)
