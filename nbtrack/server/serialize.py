"""Turn nbtrack entities into JSON for the REST API.

Entities are frozen dataclasses, so ``dataclasses.asdict`` gives plain dicts. JSON has no NaN or
infinity, and ``JSON.parse`` in the browser rejects Python's ``NaN`` token, so every non-finite
float is sent as :mod:`nbtrack._floats` spells it (``"NaN"``, ``"Infinity"``, ``"-Infinity"``;
``Number("NaN")`` turns it back). Finite numbers stay numbers.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from .._floats import encode_float

__all__ = ["to_jsonable", "dumps"]


def to_jsonable(value: Any) -> Any:
    """Plain JSON-safe data from entities, mappings, sequences and scalars."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return str(value)


def dumps(value: Any) -> str:
    """JSON text of ``value`` (strict: no NaN tokens ever reach the browser)."""
    return json.dumps(to_jsonable(value), allow_nan=False)
