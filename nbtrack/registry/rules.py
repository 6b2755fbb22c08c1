"""Every rule of the model registry, applied to a plain JSON dict. No I/O, no locks.

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

import numbers
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from .._identity import current_user, host_name
from .._validation import now_ms, validate_key, validate_name, validate_tag_value
from ..entities import AuditEvent, ModelVersion, RegisteredModel
from ..errors import (
    InvalidParameterError,
    ModelVersionNotFoundError,
    RegisteredModelAlreadyExistsError,
    RegisteredModelNotFoundError,
)

STAGES = ("None", "Staging", "Production", "Archived")
ACTIVE_STAGES = ("Staging", "Production")
MAX_ALIAS_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 50_000
STAGE_BY_LOWER = {s.lower(): s for s in STAGES}
_ALIAS_RE = re.compile(r"^[\w\-]+$")
_RESERVED_ALIAS_RE = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)


# -- who is acting --------------------------------------------------------------------------




@dataclass(frozen=True)
class Actor:
    """Who makes a change and when; built inside the locked transaction so times are ordered."""

    user: str
    host: str
    timestamp: int

    @classmethod
    def now(cls) -> "Actor":
        return cls(current_user(), host_name(), now_ms())


# -- argument rules -------------------------------------------------------------------------


def canonical_stage(stage: Any) -> str:
    """``staging`` -> ``Staging``; anything but the four stages is an error listing them."""
    if isinstance(stage, str) and stage.lower() in STAGE_BY_LOWER:
        return STAGE_BY_LOWER[stage.lower()]
    raise InvalidParameterError(
        f"Invalid model version stage {stage!r}: use one of {', '.join(STAGES)} (any case)"
    )


def coerce_version(version: Any) -> int:
    """Versions are ints from 1; numeric strings like ``"3"`` are accepted."""
    if isinstance(version, bool):
        value = None
    elif isinstance(version, numbers.Integral):  # numpy ints from a DataFrame too
        value = int(version)
    elif isinstance(version, str) and version.strip().isdigit() and version.strip().isascii():
        value = int(version.strip())
    else:
        value = None
    if value is None or value < 1:
        raise InvalidParameterError(
            f"Model version must be a positive integer or numeric string, got {version!r}"
        )
    return value


def validate_alias(alias: Any) -> str:
    """Alias names: letters, digits, ``_`` and ``-``, at most 255; ``latest`` and ``v<n>`` are reserved."""
    if not isinstance(alias, str) or not _ALIAS_RE.match(alias):
        raise InvalidParameterError(
            f"Invalid alias {alias!r}: aliases are non-empty strings of letters, digits, "
            "underscores (_) and dashes (-)"
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameterError(
            f"Alias {alias[:40]!r}... is {len(alias)} characters; the limit is {MAX_ALIAS_LENGTH}"
        )
    if _RESERVED_ALIAS_RE.match(alias):
        raise InvalidParameterError(
            f"Alias {alias!r} is reserved: 'latest' and 'v<number>' already name versions in model URIs"
        )
    return alias


def validate_description(description: Any) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidParameterError(
            f"Description must be a string, got {type(description).__name__} {description!r}"
        )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidParameterError(
            f"Description is {len(description)} characters; the limit is {MAX_DESCRIPTION_LENGTH}"
        )
    return description


def validate_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidParameterError(f"Tags must be a mapping of str to str, got {type(tags).__name__}")
    return {validate_key(k, "tag"): validate_tag_value(k, v) for k, v in tags.items()}


def _model_name(name: Any) -> str:
    return validate_name(name, "Registered model name")


# -- reads ----------------------------------------------------------------------------------


def _models(state: Mapping[str, Any]) -> Mapping[str, Any]:
    return state.get("models") or {}


def _model(state: Mapping[str, Any], name: Any) -> dict[str, Any]:
    name = _model_name(name)
    model = _models(state).get(name)
    if model is None:
        raise RegisteredModelNotFoundError(f"Registered model {name!r} does not exist")
    return model


def _version(model: Mapping[str, Any], version: Any) -> dict[str, Any]:
    number = coerce_version(version)
    record = model["versions"].get(str(number))
    if record is None:
        have = ", ".join(sorted(model["versions"], key=int)) or "none"
        raise ModelVersionNotFoundError(
            f"Registered model {model['name']!r} has no version {number} (versions: {have})"
        )
    return record


def version_entity(model: Mapping[str, Any], record: Mapping[str, Any]) -> ModelVersion:
    number = record["version"]
    aliases = sorted(a for a, v in model["aliases"].items() if v == number)
    return ModelVersion(
        name=model["name"],
        version=number,
        creation_timestamp=record["creation_timestamp"],
        last_updated_timestamp=record["last_updated_timestamp"],
        current_stage=record["current_stage"],
        description=record["description"] or None,
        source=record["source"],
        run_id=record["run_id"],
        status=record["status"],
        tags=dict(record["tags"]),
        aliases=aliases,
        user_id=record.get("user_id", ""),
    )


def _latest_records(model: Mapping[str, Any], stages: Iterable[str]) -> list[dict[str, Any]]:
    best: dict[str, dict[str, Any]] = {}
    for record in model["versions"].values():
        held = best.get(record["current_stage"])
        if held is None or record["version"] > held["version"]:
            best[record["current_stage"]] = record
    return [best[s] for s in stages if s in best]


def model_entity(model: Mapping[str, Any]) -> RegisteredModel:
    latest = _latest_records(model, STAGES)
    return RegisteredModel(
        name=model["name"],
        creation_timestamp=model["creation_timestamp"],
        last_updated_timestamp=model["last_updated_timestamp"],
        description=model["description"] or None,
        latest_versions=[version_entity(model, r) for r in latest],
        tags=dict(model["tags"]),
        aliases={alias: str(number) for alias, number in model["aliases"].items()},
    )


def get_registered_model(state: Mapping[str, Any], name: Any) -> RegisteredModel:
    return model_entity(_model(state, name))


def iter_registered_models(state: Mapping[str, Any]) -> Iterator[RegisteredModel]:
    return (model_entity(m) for m in _models(state).values())


def iter_model_versions(state: Mapping[str, Any]) -> Iterator[ModelVersion]:
    for model in _models(state).values():
        for record in model["versions"].values():
            yield version_entity(model, record)


def get_model_version(state: Mapping[str, Any], name: Any, version: Any) -> ModelVersion:
    model = _model(state, name)
    return version_entity(model, _version(model, version))


def get_latest_versions(
    state: Mapping[str, Any], name: Any, stages: Iterable[str] | str | None = None
) -> list[ModelVersion]:
    """Highest version in each requested stage (every stage when ``stages`` is None or empty,
    as in MLflow)."""
    model = _model(state, name)
    requested = [stages] if isinstance(stages, str) else list(stages or ())
    wanted = [canonical_stage(s) for s in requested] or list(STAGES)
    return [version_entity(model, r) for r in _latest_records(model, dict.fromkeys(wanted))]


def get_version_by_alias(state: Mapping[str, Any], name: Any, alias: Any) -> ModelVersion:
    model = _model(state, name)
    alias = validate_alias(alias)
    number = model["aliases"].get(alias)
    if number is None:
        have = ", ".join(sorted(model["aliases"])) or "none"
        raise ModelVersionNotFoundError(
            f"Registered model {model['name']!r} has no alias {alias!r} (aliases: {have})"
        )
    return version_entity(model, model["versions"][str(number)])


def get_version_in_stage(state: Mapping[str, Any], name: Any, stage: Any) -> ModelVersion:
    """Highest version in ``stage``; says which stages do have versions when it finds none."""
    model = _model(state, name)
    stage = canonical_stage(stage)
    found = _latest_records(model, [stage])
    if not found:
        held = sorted({r["current_stage"] for r in model["versions"].values()}, key=STAGES.index)
        raise ModelVersionNotFoundError(
            f"Registered model {model['name']!r} has no version in stage {stage!r} "
            f"(stages in use: {', '.join(held) or 'none, the model has no versions'})"
        )
    return version_entity(model, found[0])


def get_highest_version(state: Mapping[str, Any], name: Any) -> ModelVersion:
    model = _model(state, name)
    if not model["versions"]:
        raise ModelVersionNotFoundError(f"Registered model {model['name']!r} has no versions")
    return version_entity(model, model["versions"][max(model["versions"], key=int)])


def get_audit(state: Mapping[str, Any], name: Any, version: Any = None) -> list[AuditEvent]:
    """Events of one model name (kept after the model is deleted), optionally of one version.

    A version's events include alias moves away from it (``before["version"]``).
    """
    name = _model_name(name)
    events = (state.get("audit") or {}).get(name)
    if events is None:
        raise RegisteredModelNotFoundError(
            f"Registered model {name!r} does not exist and has no audit trail"
        )
    number = None if version is None else coerce_version(version)
    return [
        AuditEvent(**e) for e in events if number is None or _concerns_version(e, number)
    ]


def _concerns_version(event: Mapping[str, Any], number: int) -> bool:
    before = event.get("before")
    return event.get("version") == number or (isinstance(before, dict) and before.get("version") == number)


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
    name = _model_name(name)
    tags, description = validate_tags(tags), validate_description(description)
    if name in _models(state):
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
    model = _model(state, name)
    new_name = validate_name(new_name, "New registered model name")
    if new_name == model["name"]:
        return model_entity(model)
    if new_name in _models(state):
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
    model = _model(state, name)
    description = validate_description(description)
    before, model["description"] = model["description"], description
    _touch(model, actor)
    _record(state, actor, "update_registered_model", model["name"], before=before, after=description)
    return model_entity(model)


def delete_registered_model(state: dict[str, Any], actor: Actor, name: Any) -> None:
    model = _model(state, name)
    del state["models"][model["name"]]
    before = {"versions": sorted(int(v) for v in model["versions"]), "aliases": dict(model["aliases"])}
    _record(state, actor, "delete_registered_model", model["name"], before=before)


def set_registered_model_tag(state: dict[str, Any], actor: Actor, name: Any, key: Any, value: Any) -> None:
    model = _model(state, name)
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
    model = _model(state, name)
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
    model = _model(state, name)
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
    model = _model(state, name)
    record = _version(model, version)
    description = validate_description(description)
    before, record["description"] = record["description"], description
    _touch(model, actor, record)
    _record(state, actor, "update_model_version", model["name"], record["version"], before, description)
    return version_entity(model, record)


def delete_model_version(state: dict[str, Any], actor: Actor, name: Any, version: Any) -> None:
    """Remove a version and every alias pointing at it; its number is not handed out again."""
    model = _model(state, name)
    record = _version(model, version)
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
    model = _model(state, name)
    record = _version(model, version)
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
    model = _model(state, name)
    record = _version(model, version)
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
    model = _model(state, name)
    record = _version(model, version)
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
    model = _model(state, name)
    alias = validate_alias(alias)
    record = _version(model, version)
    old = model["aliases"].get(alias)
    model["aliases"][alias] = record["version"]
    _touch(model, actor)
    before = None if old is None else {"alias": alias, "version": old}
    after = {"alias": alias, "version": record["version"]}
    _record(state, actor, "set_registered_model_alias", model["name"], record["version"], before, after)
    return version_entity(model, record)


def delete_alias(state: dict[str, Any], actor: Actor, name: Any, alias: Any) -> bool:
    """Drop ``alias``; a missing alias is a no-op (MLflow's behaviour). True if one was removed."""
    model = _model(state, name)
    alias = validate_alias(alias)
    old = model["aliases"].pop(alias, None)
    if old is None:
        return False
    _touch(model, actor)
    before = {"alias": alias, "version": old}
    _record(state, actor, "delete_registered_model_alias", model["name"], old, before=before)
    return True
