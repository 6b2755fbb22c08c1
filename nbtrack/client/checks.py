"""Input checks shared by ``TrackingClient`` and the fluent API (the store validates nothing).

Single values (keys, metric values, names...) are checked by :mod:`nbtrack._validation`; the
checks here are for the containers and enums the client accepts, built on those rules.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from .. import _validation as v
from ..artifacts import local_path_from_uri
from ..entities import Metric, Param, RunStatus, ViewType
from ..errors import InvalidParameterError, ParamConflictError


def check_tags(tags: Mapping[str, Any] | None, what: str = "tags") -> dict[str, str]:
    """``{key: value}`` with valid tag keys and values as strings; None is no tags."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidParameterError(f"{what} must be a dict of key -> value, got {tags!r}")
    return {v.validate_key(k, "tag"): v.validate_tag_value(k, val) for k, val in tags.items()}


def check_view_type(view_type: Any, what: str) -> int:
    """One of ``ViewType.ACTIVE_ONLY``, ``DELETED_ONLY``, ``ALL`` (booleans are refused)."""
    if view_type not in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL) or isinstance(
        view_type, bool
    ):
        raise InvalidParameterError(
            f"{what} must be ViewType.ACTIVE_ONLY (1), DELETED_ONLY (2) or ALL (3), got {view_type!r}"
        )
    return int(view_type)


def check_status(status: Any) -> str:
    """One of the run statuses in ``RunStatus.ALL``."""
    if status not in RunStatus.ALL:
        raise InvalidParameterError(
            f"Run status must be one of {', '.join(RunStatus.ALL)}, got {status!r}"
        )
    return status


def check_experiment_ids(experiment_ids: Any) -> list[str]:
    """A list of experiment ids; a single id (str or int) becomes a one-item list."""
    if isinstance(experiment_ids, (str, int)) and not isinstance(experiment_ids, bool):
        experiment_ids = [experiment_ids]
    if not isinstance(experiment_ids, (list, tuple)):
        raise InvalidParameterError(
            f"experiment_ids must be a list of experiment ids, got {experiment_ids!r}"
        )
    return [v.validate_id(e, "experiment id") for e in experiment_ids]


def check_artifact_location(artifact_location: Any) -> str | None:
    """An experiment's artifact folder as an absolute local path (None: the store default)."""
    if artifact_location is None:
        return None
    raw = os.fspath(artifact_location) if isinstance(artifact_location, os.PathLike) else artifact_location
    if not isinstance(raw, str) or not raw.strip() or ("://" in raw and not raw.startswith("file:")):
        raise InvalidParameterError(
            f"artifact_location must be a local folder (path or file:// URI), got "
            f"{artifact_location!r}"
        )
    return str(local_path_from_uri(raw).expanduser().resolve())


def check_metric(m: Metric) -> Metric:
    """The metric with a valid key and value; ``timestamp=None`` / ``step=None`` become now / 0."""
    return Metric(
        v.validate_key(m.key, "metric"),
        v.validate_metric_value(m.key, m.value),
        v.validate_timestamp(m.timestamp),
        v.validate_step(m.step),
    )


def check_entities(items: Iterable[Any], cls: type, what: str) -> list[Any]:
    """``items`` as a list, each an instance of ``cls`` (a str or dict is not a list of them)."""
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


def check_params(run_id: str, params: list[Param]) -> dict[str, str]:
    """``{key: value as str}``; ParamConflictError if one batch gives a key two values."""
    out: dict[str, str] = {}
    for p in params:
        key = v.validate_key(p.key, "param")
        value = v.validate_param_value(key, p.value)
        if key in out and out[key] != value:
            raise ParamConflictError(run_id, key, out[key], value)
        out[key] = value
    return out
