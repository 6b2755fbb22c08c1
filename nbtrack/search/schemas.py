"""What filter names mean for runs, experiments, registered models and model versions.

``filter_runs(runs, "metrics.acc > 0.9 AND params.model = 'rf'")`` keeps the runs that match;
``sort_runs(runs, ["metrics.acc DESC", "start_time"])`` orders them. The grammar and its
parser live in :mod:`nbtrack.search.grammar`; this module holds one :class:`Schema` per kind
of search and applies parsed filters and orderings, so every search shares one semantics.

Semantics worth knowing:

* A metric compares by the run's latest value (``run.data.metrics``). Missing keys and NaN
  never satisfy a comparison, ``!=`` included (a model without the tag never matches
  ``tags.team != 'ml'``); ``IS NULL`` is true only for missing keys.
* ``tag.`` and ``tags.`` are the same prefix, and a prefix may be quoted (`` `metrics`.acc ``).
* ``LIKE`` is case-sensitive, ``ILIKE`` is not; ``%`` and ``_`` are the only wildcards.
* Inside quotes a doubled quote stands for one (``'it''s'``).
* ``tags."mlflow.runName"`` falls back to the run name when the run has no such tag.
* Sorting puts missing values last whichever the direction, NaN just before them; ties are
  broken by ``start_time DESC`` then ``run_id`` for runs. With no order_by, runs come newest
  first and experiments by ``last_update_time DESC`` (MLflow's default), ties by
  ``experiment_id`` descending (numeric ids compared as numbers).
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from nbtrack.entities import Experiment, Run
from nbtrack.errors import InvalidFilterError
from nbtrack.search.columns import EXPR_ATTRIBUTE
from nbtrack.search.grammar import (
    And,
    Comparison,
    Expr,
    Field,
    MatchAll,
    Or,
    Schema,
    parse_expression,
    parse_order_clause,
)

__all__ = [
    "Expr",
    "parse_filter",
    "filter_runs",
    "sort_runs",
    "validate_order_by",
    "filter_experiments",
    "sort_experiments",
    "validate_experiment_order_by",
    "filter_registered_models",
    "sort_registered_models",
    "filter_model_versions",
    "sort_model_versions",
    "RUN_NAME_TAG",
    "run_fields_read",
]

T = TypeVar("T")
RUN_NAME_TAG = "mlflow.runName"
_ATTRIBUTE_PREFIXES = {"attribute": "attribute", "attributes": "attribute", "attr": "attribute"}
_TAG_PREFIXES = {"tag": "tag", "tags": "tag"}


# --------------------------------------------------------------------------- run fields


def _run_attribute(key: str, numeric: bool = False, nullable: bool = False) -> Field:
    def get(run: Run) -> Any:
        return getattr(run.info, key)

    return Field("attribute", key, numeric, nullable, get)


def _metric_field(key: str) -> Field:
    return Field("metric", key, True, True, lambda run: run.data.metrics.get(key))


def _param_field(key: str) -> Field:
    return Field("param", key, False, True, lambda run: run.data.params.get(key))


def _run_tag_field(key: str) -> Field:
    if key != RUN_NAME_TAG:
        return Field("tag", key, False, True, lambda run: run.data.tags.get(key))

    def get(run: Run) -> str | None:
        value = run.data.tags.get(key)
        return value if value is not None else (run.info.run_name or None)

    return Field("tag", key, False, True, get)


def _run_schema() -> Schema:
    attributes = {
        name: _run_attribute(name)
        for name in ("run_id", "run_name", "status", "artifact_uri", "user_id", "lifecycle_stage")
    }
    attributes["start_time"] = _run_attribute("start_time", numeric=True)
    attributes["end_time"] = _run_attribute("end_time", numeric=True, nullable=True)
    names = tuple(attributes)
    attributes["created"] = attributes["start_time"]  # MLflow's aliases
    attributes["run name"] = attributes["run_name"]
    prefixes = {
        "metric": "metric",
        "metrics": "metric",
        "param": "param",
        "params": "param",
        "parameter": "param",
        "parameters": "param",
        "run": "attribute",
        **_TAG_PREFIXES,
        **_ATTRIBUTE_PREFIXES,
    }
    return Schema(
        prefixes=prefixes,
        attributes=attributes,
        keyed={"metric": _metric_field, "param": _param_field, "tag": _run_tag_field},
        prefix_phrase="one of metrics., params., tags., attributes.",
        attribute_names=names,
        name_phrase="a name such as metrics.<key>, params.<key>, tags.<key> or an attribute",
    )


# --------------------------------------------------------------------------- experiment fields


def _experiment_id_order(experiment: Experiment) -> tuple[int, int, str]:
    """Numeric ids order as numbers ("9" before "10"), other ids as text after them."""
    eid = experiment.experiment_id
    if eid.isascii() and eid.isdigit():
        return (0, int(eid), "")
    return (1, 0, eid)


def _experiment_attribute(key: str, numeric: bool = False, nullable: bool = False) -> Field:
    def get(experiment: Experiment) -> Any:
        return getattr(experiment, key)

    return Field("attribute", key, numeric, nullable, get)


def _experiment_tag_field(key: str) -> Field:
    return Field("tag", key, False, True, lambda experiment: experiment.tags.get(key))


def _experiment_schema() -> Schema:
    attributes = {name: _experiment_attribute(name) for name in ("name", "lifecycle_stage")}
    attributes["experiment_id"] = Field(
        "attribute",
        "experiment_id",
        False,
        False,
        lambda experiment: experiment.experiment_id,
        sort_key=_experiment_id_order,
    )
    for name in ("creation_time", "last_update_time"):
        attributes[name] = _experiment_attribute(name, numeric=True, nullable=True)
    return Schema(
        prefixes={**_TAG_PREFIXES, **_ATTRIBUTE_PREFIXES},
        attributes=attributes,
        keyed={"tag": _experiment_tag_field},
        prefix_phrase="one of tags., attributes.",
        attribute_names=tuple(attributes),
        name_phrase="a name such as tags.<key> or an attribute (name, experiment_id, ...)",
    )


# --------------------------------------------------------------------------- registry fields


def _entity_attribute(entity_key: str, numeric: bool = False, nullable: bool = False) -> Field:
    def get(item: Any) -> Any:
        return getattr(item, entity_key)

    return Field("attribute", entity_key, numeric, nullable, get)


def _entity_tag_field(key: str) -> Field:
    return Field("tag", key, False, True, lambda item: item.tags.get(key))


def _registry_schema(
    attributes: dict[str, Field], what: str, aliases: Mapping[str, str] | None = None
) -> Schema:
    names = tuple(attributes)
    for alias, name in (aliases or {}).items():
        attributes[alias] = attributes[name]
    return Schema(
        prefixes={**_TAG_PREFIXES, **_ATTRIBUTE_PREFIXES},
        attributes=attributes,
        keyed={"tag": _entity_tag_field},
        prefix_phrase="one of tags., attributes.",
        attribute_names=names,
        name_phrase=f"a name such as tags.<key> or {what} field ({', '.join(names)})",
    )


def _model_schema() -> Schema:
    attributes = {"name": _entity_attribute("name")}
    for name in ("creation_timestamp", "last_updated_timestamp"):
        attributes[name] = _entity_attribute(name, numeric=True)
    return _registry_schema(attributes, "a registered model")


def _version_schema() -> Schema:
    attributes = {name: _entity_attribute(name) for name in ("name", "current_stage", "status")}
    attributes["run_id"] = _entity_attribute("run_id", nullable=True)
    attributes["source_path"] = Field("attribute", "source_path", False, False, lambda v: v.source)
    attributes["version_number"] = Field(
        "attribute", "version_number", True, False, lambda v: v.version
    )
    for name in ("creation_timestamp", "last_updated_timestamp"):
        attributes[name] = _entity_attribute(name, numeric=True)
    return _registry_schema(attributes, "a model version", aliases={"source": "source_path"})


_RUNS = _run_schema()
_EXPERIMENTS = _experiment_schema()
_MODELS = _model_schema()
_VERSIONS = _version_schema()


# --------------------------------------------------------------------------- parsing


@lru_cache(maxsize=512)
def _parse_cached(text: str, schema: Schema) -> Expr:
    return parse_expression(text, schema)


@lru_cache(maxsize=512)
def _order_cached(clause: str, schema: Schema) -> tuple[Field, bool]:
    return parse_order_clause(clause, schema)


def _check_filter_type(filter_string: Any) -> str:
    if filter_string is None:
        return ""
    if not isinstance(filter_string, str):
        found = type(filter_string).__name__
        raise InvalidFilterError(repr(filter_string), 0, "a filter string", found)
    return filter_string


def _parse_order_by(order_by: Any, schema: Schema) -> list[tuple[Field, bool]]:
    if order_by is None:
        return []
    if isinstance(order_by, (str, bytes)) or not isinstance(order_by, (list, tuple)):
        expected = "a list of order_by strings such as ['metrics.acc DESC']"
        raise InvalidFilterError(repr(order_by), 0, expected, type(order_by).__name__)
    keys = []
    for clause in order_by:
        if not isinstance(clause, str):
            raise InvalidFilterError(repr(clause), 0, "an order_by string", type(clause).__name__)
        keys.append(_order_cached(clause, schema))
    return keys


def parse_filter(text: str) -> Expr:
    """Parse a run filter into an AST whose ``matches(run)`` applies it; blank text matches all.

    Parsed filters are cached, so repeating a search does not re-parse. The ``test`` of the
    expression names the expression (see :mod:`.columns`), so a store handed only ``test`` can
    apply the filter to columns before it builds rows.
    """
    expr = _parse_cached(_check_filter_type(text), _RUNS)
    if not isinstance(expr, MatchAll) and not hasattr(expr.test, EXPR_ATTRIBUTE):
        setattr(expr.test, EXPR_ATTRIBUTE, expr)
    return expr


def run_fields_read(filter_string: str | None, order_by: Sequence[str] | None) -> tuple[tuple[str, str], ...]:
    """The (entity, key) pairs a run filter and ordering read, e.g. ``(("metric", "acc"),)``:
    what a store must load of each run to apply them (attributes by canonical name)."""
    found: list[tuple[str, str]] = []

    def walk(expr: Expr) -> None:
        if isinstance(expr, Comparison):
            found.append((expr.field.entity, expr.field.key))
        elif isinstance(expr, (And, Or)):
            for term in expr.terms:
                walk(term)

    walk(parse_filter(filter_string or ""))
    found.extend((fld.entity, fld.key) for fld, _ in _parse_order_by(order_by, _RUNS))
    return tuple(dict.fromkeys(found))


def validate_order_by(order_by: Sequence[str] | None) -> None:
    """Raise :class:`InvalidFilterError` unless ``order_by`` is None or a list of valid clauses."""
    _parse_order_by(order_by, _RUNS)


def validate_experiment_order_by(order_by: Sequence[str] | None) -> None:
    """Like :func:`validate_order_by`, for ``search_experiments``."""
    _parse_order_by(order_by, _EXPERIMENTS)


# --------------------------------------------------------------------------- applying


def filter_runs(runs: Iterable[Run], filter_string: str | None) -> list[Run]:
    """The runs matching ``filter_string`` (None or blank keeps all), in their given order."""
    test = parse_filter(_check_filter_type(filter_string)).test
    return [run for run in runs if test(run)]


def filter_experiments(
    experiments: Iterable[Experiment], filter_string: str | None
) -> list[Experiment]:
    """The experiments matching a filter on ``name``, ids, times, ``lifecycle_stage`` or tags."""
    text = _check_filter_type(filter_string)
    test = _parse_cached(text, _EXPERIMENTS).test
    return [experiment for experiment in experiments if test(experiment)]


def filter_registered_models(models: Iterable[T], filter_string: str | None) -> list[T]:
    """Registered models matching a filter on ``name``, timestamps or ``tags.<key>``."""
    test = _parse_cached(_check_filter_type(filter_string), _MODELS).test
    return [model for model in models if test(model)]


def sort_registered_models(models: Iterable[T], order_by: Sequence[str] | None) -> list[T]:
    """Registered models ordered by ``order_by`` clauses, ties (and the default) by ``name``."""
    keys = _parse_order_by(order_by, _MODELS)
    return _sort(_sort(list(models), [(_MODELS.attributes["name"], True)]), keys)


def filter_model_versions(versions: Iterable[T], filter_string: str | None) -> list[T]:
    """Model versions matching a filter on ``name``, ``run_id``, ``version_number``, tags, ..."""
    test = _parse_cached(_check_filter_type(filter_string), _VERSIONS).test
    return [version for version in versions if test(version)]


def sort_model_versions(versions: Iterable[T], order_by: Sequence[str] | None) -> list[T]:
    """Versions ordered by ``order_by``, ties (and the default) by ``name``, newest version first."""
    keys = _parse_order_by(order_by, _VERSIONS)
    default = [(_VERSIONS.attributes["name"], True), (_VERSIONS.attributes["version_number"], False)]
    return _sort(_sort(list(versions), default), keys)


def _run_default_order(run: Run) -> tuple[int, str]:
    return (-(run.info.start_time or 0), run.info.run_id)


def sort_runs(runs: Iterable[Run], order_by: Sequence[str] | None) -> list[Run]:
    """Runs ordered by ``order_by`` clauses, then ``start_time DESC``, then ``run_id``."""
    keys = _parse_order_by(order_by, _RUNS)
    return _sort(sorted(runs, key=_run_default_order), keys)


def sort_experiments(
    experiments: Iterable[Experiment], order_by: Sequence[str] | None
) -> list[Experiment]:
    """Experiments ordered by ``order_by`` (default ``last_update_time DESC``), ties by id DESC."""
    keys = _parse_order_by(order_by, _EXPERIMENTS)
    if not keys:
        keys = [(_EXPERIMENTS.attributes["last_update_time"], False)]
    ordered = sorted(experiments, key=_experiment_id_order, reverse=True)
    return _sort(ordered, keys)


def _sort(items: list[T], keys: list[tuple[Field, bool]]) -> list[T]:
    """Stable multi-key sort: apply keys last to first; missing values end up last."""
    for fld, ascending in reversed(keys):
        items = _sort_one(items, fld.get, fld.sort_key, ascending)
    return items


def _sort_one(
    items: list[T], get: Callable[[T], Any], sort_key: Callable[[T], Any] | None, ascending: bool
) -> list[T]:
    """``items`` by ``sort_key`` (by the value ``get`` reads if None), NaN then missing last."""
    present: list[tuple[Any, T]] = []
    nan: list[T] = []
    missing: list[T] = []
    for item in items:
        value = get(item)
        if value is None:
            missing.append(item)
        elif value != value:  # NaN: after every real value, before missing ones
            nan.append(item)
        else:
            present.append((value if sort_key is None else sort_key(item), item))
    present.sort(key=_first, reverse=not ascending)  # Python's sort stays stable in reverse
    return [item for _, item in present] + nan + missing


_first = operator.itemgetter(0)
