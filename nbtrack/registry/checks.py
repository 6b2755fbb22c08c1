"""The registry's argument rules: stage names, version numbers, aliases, descriptions, tags.

Pure checks with the constants they use, shared by the registry rules (:mod:`.rules`), model
URIs (:mod:`.models`) and the REST handlers, so each rule is written once. ``Actor`` says who
makes a change and when.
"""
from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._identity import current_user, host_name
from .._validation import now_ms, validate_key, validate_name, validate_tag_value
from ..errors import (
    InvalidParameterError,
)

__all__ = [
    "STAGES", "ACTIVE_STAGES", "STAGE_BY_LOWER", "MAX_ALIAS_LENGTH", "MAX_DESCRIPTION_LENGTH",
    "Actor", "canonical_stage", "coerce_version", "validate_alias", "validate_description",
    "validate_tags", "model_name",
]

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
    def now(cls) -> Actor:
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


def model_name(name: Any) -> str:
    return validate_name(name, "Registered model name")
