"""Every change of the model registry, applied to a plain JSON dict. No I/O, no locks.

The store keeps the dict and runs each mutation below under its cross-process lock
(``store.update_registry(fn)``), so the functions here only need to be correct on one dict.
Each mutation checks everything before it changes anything, so an error leaves the state as it
was. Layout::

    {"models": {name: {"name", "creation_timestamp", "last_updated_timestamp", "description",
                       "tags", "aliases": {alias: version}, "next_version",
                       "versions": {"<n>": {version record}}}},
     "audit": {name: [event, ...]}}

The audit lives beside the models (per model name) so a deleted model's history stays readable.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._validation import validate_key, validate_name, validate_tag_value
from ..entities import ModelVersion, RegisteredModel
from ..errors import (
    InvalidParameterError,
    RegisteredModelAlreadyExistsError,
)

# The checks and reads are re-exported so callers see the registry's rules as one module (``rs.``).
from .checks import (
    ACTIVE_STAGES,
    MAX_ALIAS_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    STAGE_BY_LOWER,
    STAGES,
    Actor,
    canonical_stage,
    coerce_version,
    model_name,
    validate_alias,
    validate_description,
    validate_tags,
)
from .queries import (
    get_audit,
    get_highest_version,
    get_latest_versions,
    get_model_version,
    get_registered_model,
    get_version_by_alias,
    get_version_in_stage,
    iter_model_versions,
    iter_registered_models,
    model_entity,
    model_record,
    models_of,
    version_entity,
    version_record,
)

__all__ = [
    "ACTIVE_STAGES", "MAX_ALIAS_LENGTH", "MAX_DESCRIPTION_LENGTH", "STAGE_BY_LOWER", "STAGES",
    "Actor", "canonical_stage", "coerce_version", "validate_alias", "validate_description",
    "validate_tags", "get_audit", "get_highest_version", "get_latest_versions", "get_model_version",
    "get_registered_model", "get_version_by_alias", "get_version_in_stage", "iter_model_versions",
    "iter_registered_models", "create_registered_model", "rename_registered_model",
    "update_registered_model", "delete_registered_model", "set_registered_model_tag",
    "delete_registered_model_tag", "create_model_version", "update_model_version",
    "delete_model_version", "set_model_version_tag", "delete_model_version_tag",
    "transition_stage", "set_alias", "delete_alias",
]



# -- mutations ------------------------------------------------------------------------------


def _record(
    state: dict[str, Any], actor: Actor, action: str, name: str,
    version: int | None = None, before: Any = None, after: Any = None,
) -> None:
    event = {
        "timestamp": actor.timestamp, "user": actor.user, "host": actor.host, "action": action,
        "name": name, "version": version, "before": before, "after": after,
    }
    state.setdefault("audit", {}).setdefault(name, []).append(event)


def _touch(model: dict[str, Any], actor: Actor, record: dict[str, Any] | None = None) -> None:
    model["last_updated_timestamp"] = actor.timestamp
    if record is not None:
        record["last_updated_timestamp"] = actor.timestamp


def create_registered_model(
    state: dict[str, Any], actor: Actor, name: Any,
    tags: Mapping[str, Any] | None = None, description: Any = None,
) -> RegisteredModel:
    name = model_name(name)
    tags, description = validate_tags(tags), validate_description(description)
    if name in models_of(state):
        raise RegisteredModelAlreadyExistsError(f"Registered model {name!r} already exists")
    model = {
        "name": name, "creation_timestamp": actor.timestamp,
        "last_updated_timestamp": actor.timestamp, "description": description, "tags": tags,
        "aliases": {}, "next_version": 1, "versions": {},
    }
    state.setdefault("models", {})[name] = model
    _record(state, actor, "create_registered_model", name, after={"description": description, "tags": tags})
    return model_entity(model)


def rename_registered_model(
    state: dict[str, Any], actor: Actor, name: Any, new_name: Any
) -> RegisteredModel:
    model = model_record(state, name)
    new_name = validate_name(new_name, "New registered model name")
    if new_name == model["name"]:
        return model_entity(model)
    if new_name in models_of(state):
        raise RegisteredModelAlreadyExistsError(
            f"Cannot rename {model['name']!r} to {new_name!r}: a registered model with that name exists"
        )
    old = model["name"]
    models = state["models"]
    del models[old]
    model["name"] = new_name
    models[new_name] = model
    _touch(model, actor)
    audit = state.setdefault("audit", {})
    merged = audit.pop(new_name, []) + audit.pop(old, [])  # a deleted namesake's history stays
    audit[new_name] = sorted(merged, key=lambda e: e["timestamp"])
    _record(state, actor, "rename_registered_model", new_name, before=old, after=new_name)
    return model_entity(model)


def update_registered_model(
    state: dict[str, Any], actor: Actor, name: Any, description: Any
) -> RegisteredModel:
    model = model_record(state, name)
    description = validate_description(description)
    before, model["description"] = model["description"], description
    _touch(model, actor)
    _record(state, actor, "update_registered_model", model["name"], before=before, after=description)
    return model_entity(model)


def delete_registered_model(state: dict[str, Any], actor: Actor, name: Any) -> None:
    model = model_record(state, name)
    del state["models"][model["name"]]
    before = {"versions": sorted(int(v) for v in model["versions"]), "aliases": dict(model["aliases"])}
    _record(state, actor, "delete_registered_model", model["name"], before=before)


def set_registered_model_tag(state: dict[str, Any], actor: Actor, name: Any, key: Any, value: Any) -> None:
    model = model_record(state, name)
    key = validate_key(key, "tag")
    value = validate_tag_value(key, value)
    before = model["tags"].get(key)
    model["tags"][key] = value
    _touch(model, actor)
    _record(
        state, actor, "set_registered_model_tag", model["name"],
        before={key: before}, after={key: value},
    )


def delete_registered_model_tag(state: dict[str, Any], actor: Actor, name: Any, key: Any) -> None:
    model = model_record(state, name)
    if key not in model["tags"]:
        return  # MLflow: deleting a tag that is not there is a no-op
    before = model["tags"].pop(key)
    _touch(model, actor)
    _record(state, actor, "delete_registered_model_tag", model["name"], before={key: before})


def create_model_version(
    state: dict[str, Any], actor: Actor, name: Any, source: Any, run_id: str | None = None,
    tags: Mapping[str, Any] | None = None, description: Any = None, status: str = "READY",
) -> ModelVersion:
    """Add the next version (numbers are never reused, even after deletes)."""
    model = model_record(state, name)
    if not isinstance(source, str) or not source:
        raise InvalidParameterError(f"Model version source must be a non-empty string, got {source!r}")
    tags, description = validate_tags(tags), validate_description(description)
    number = model["next_version"]
    model["next_version"] = number + 1
    record = {
        "version": number, "creation_timestamp": actor.timestamp,
        "last_updated_timestamp": actor.timestamp, "current_stage": "None",
        "description": description, "source": source, "run_id": run_id, "status": status,
        "tags": tags, "user_id": actor.user,
    }
    model["versions"][str(number)] = record
    _touch(model, actor)
    after = {"source": source, "run_id": run_id, "stage": "None"}
    _record(state, actor, "create_model_version", model["name"], number, after=after)
    return version_entity(model, record)


def update_model_version(
    state: dict[str, Any], actor: Actor, name: Any, version: Any, description: Any
) -> ModelVersion:
    model = model_record(state, name)
    record = version_record(model, version)
    description = validate_description(description)
    before, record["description"] = record["description"], description
    _touch(model, actor, record)
    _record(state, actor, "update_model_version", model["name"], record["version"], before, description)
    return version_entity(model, record)


def delete_model_version(state: dict[str, Any], actor: Actor, name: Any, version: Any) -> None:
    """Remove a version and every alias pointing at it; its number is not handed out again."""
    model = model_record(state, name)
    record = version_record(model, version)
    number = record["version"]
    dropped = sorted(a for a, v in model["aliases"].items() if v == number)
    for alias in dropped:
        del model["aliases"][alias]
    del model["versions"][str(number)]
    _touch(model, actor)
    before = {"stage": record["current_stage"], "aliases": dropped, "source": record["source"]}
    _record(state, actor, "delete_model_version", model["name"], number, before=before)


def set_model_version_tag(
    state: dict[str, Any], actor: Actor, name: Any, version: Any, key: Any, value: Any
) -> None:
    model = model_record(state, name)
    record = version_record(model, version)
    key = validate_key(key, "tag")
    value = validate_tag_value(key, value)
    before = record["tags"].get(key)
    record["tags"][key] = value
    _touch(model, actor, record)
    _record(
        state, actor, "set_model_version_tag", model["name"], record["version"],
        before={key: before}, after={key: value},
    )


def delete_model_version_tag(state: dict[str, Any], actor: Actor, name: Any, version: Any, key: Any) -> None:
    model = model_record(state, name)
    record = version_record(model, version)
    if key not in record["tags"]:
        return  # MLflow: deleting a tag that is not there is a no-op
    before = record["tags"].pop(key)
    _touch(model, actor, record)
    _record(state, actor, "delete_model_version_tag", model["name"], record["version"], {key: before})


def transition_stage(
    state: dict[str, Any], actor: Actor, name: Any, version: Any, stage: Any,
    archive_existing_versions: bool = False,
) -> ModelVersion:
    """Move a version to ``stage``; optionally archive the others already in that stage."""
    model = model_record(state, name)
    record = version_record(model, version)
    stage = canonical_stage(stage)
    if not isinstance(archive_existing_versions, bool):
        raise InvalidParameterError(
            f"archive_existing_versions must be True or False, got {archive_existing_versions!r}"
        )
    if archive_existing_versions and stage not in ACTIVE_STAGES:
        raise InvalidParameterError(
            f"archive_existing_versions=True only works with stage Staging or Production, not {stage!r}"
        )
    if archive_existing_versions:
        for other in sorted(model["versions"].values(), key=lambda r: r["version"]):
            if other is not record and other["current_stage"] == stage:
                reason = f"archive_existing_versions (v{record['version']})"
                _set_stage(state, actor, model, other, "Archived", reason=reason)
    _set_stage(state, actor, model, record, stage)
    return version_entity(model, record)


def _set_stage(
    state: dict[str, Any], actor: Actor, model: dict[str, Any], record: dict[str, Any],
    stage: str, reason: str | None = None,
) -> None:
    before, record["current_stage"] = record["current_stage"], stage
    _touch(model, actor, record)
    after: Any = stage if reason is None else {"stage": stage, "reason": reason}
    _record(state, actor, "transition_model_version_stage", model["name"], record["version"], before, after)


def set_alias(state: dict[str, Any], actor: Actor, name: Any, alias: Any, version: Any) -> ModelVersion:
    """Point ``alias`` at ``version``, moving it if another version held it."""
    model = model_record(state, name)
    alias = validate_alias(alias)
    record = version_record(model, version)
    old = model["aliases"].get(alias)
    model["aliases"][alias] = record["version"]
    _touch(model, actor)
    before = None if old is None else {"alias": alias, "version": old}
    after = {"alias": alias, "version": record["version"]}
    _record(state, actor, "set_registered_model_alias", model["name"], record["version"], before, after)
    return version_entity(model, record)


def delete_alias(state: dict[str, Any], actor: Actor, name: Any, alias: Any) -> bool:
    """Drop ``alias``; a missing alias is a no-op (MLflow's behaviour). True if one was removed."""
    model = model_record(state, name)
    alias = validate_alias(alias)
    old = model["aliases"].pop(alias, None)
    if old is None:
        return False
    _touch(model, actor)
    before = {"alias": alias, "version": old}
    _record(state, actor, "delete_registered_model_alias", model["name"], old, before=before)
    return True
