"""Reads of the registry state: records looked up by name and number, entities built from them.

Pure functions on the plain dict whose layout :mod:`.rules` describes; a missing model or
version raises the matching ``NotFoundError``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..entities import AuditEvent, ModelVersion, RegisteredModel
from ..errors import (
    ModelVersionNotFoundError,
    RegisteredModelNotFoundError,
)
from .checks import STAGES, canonical_stage, coerce_version, model_name, validate_alias

__all__ = [
    "models_of", "model_record", "version_record", "version_entity", "model_entity",
    "get_registered_model", "iter_registered_models", "iter_model_versions", "get_model_version",
    "get_latest_versions", "get_version_by_alias", "get_version_in_stage", "get_highest_version",
    "get_audit",
]


def models_of(state: Mapping[str, Any]) -> Mapping[str, Any]:
    return state.get("models") or {}


def model_record(state: Mapping[str, Any], name: Any) -> dict[str, Any]:
    name = model_name(name)
    model = models_of(state).get(name)
    if model is None:
        raise RegisteredModelNotFoundError(f"Registered model {name!r} does not exist")
    return model


def version_record(model: Mapping[str, Any], version: Any) -> dict[str, Any]:
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
    return model_entity(model_record(state, name))


def iter_registered_models(state: Mapping[str, Any]) -> Iterator[RegisteredModel]:
    return (model_entity(m) for m in models_of(state).values())


def iter_model_versions(state: Mapping[str, Any]) -> Iterator[ModelVersion]:
    for model in models_of(state).values():
        for record in model["versions"].values():
            yield version_entity(model, record)


def get_model_version(state: Mapping[str, Any], name: Any, version: Any) -> ModelVersion:
    model = model_record(state, name)
    return version_entity(model, version_record(model, version))


def get_latest_versions(
    state: Mapping[str, Any], name: Any, stages: Iterable[str] | str | None = None
) -> list[ModelVersion]:
    """Highest version in each requested stage (every stage when ``stages`` is None or empty,
    as in MLflow)."""
    model = model_record(state, name)
    requested = [stages] if isinstance(stages, str) else list(stages or ())
    wanted = [canonical_stage(s) for s in requested] or list(STAGES)
    return [version_entity(model, r) for r in _latest_records(model, dict.fromkeys(wanted))]


def get_version_by_alias(state: Mapping[str, Any], name: Any, alias: Any) -> ModelVersion:
    model = model_record(state, name)
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
    model = model_record(state, name)
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
    model = model_record(state, name)
    if not model["versions"]:
        raise ModelVersionNotFoundError(f"Registered model {model['name']!r} has no versions")
    return version_entity(model, model["versions"][max(model["versions"], key=int)])


def get_audit(state: Mapping[str, Any], name: Any, version: Any = None) -> list[AuditEvent]:
    """Events of one model name (kept after the model is deleted), optionally of one version.

    A version's events include alias moves away from it (``before["version"]``).
    """
    name = model_name(name)
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
