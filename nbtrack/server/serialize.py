"""Turn nbtrack entities into JSON for the REST API.

Entities are frozen dataclasses; their field names are looked up once per class. JSON has no NaN
or infinity, and ``JSON.parse`` in the browser rejects Python's ``NaN`` token, so every
non-finite float is sent as :mod:`nbtrack._floats` spells it (``"NaN"``, ``"Infinity"``,
``"-Infinity"``; ``Number("NaN")`` turns it back). Finite numbers stay numbers. The text is
compact (orjson, no spaces): a page of 200 runs is ~120 kB and encodes in a few milliseconds.

Errors travel in MLflow's shape (:func:`error_body`).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from .._floats import encode_float
from ..errors import InvalidFilterError, NbtrackError, error_code_for_status

__all__ = ["to_jsonable", "dumps", "error_body"]


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def to_jsonable(value: Any) -> Any:
    """Plain JSON-safe data from entities, mappings, sequences and scalars."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return encode_float(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_jsonable(getattr(value, name)) for name in _field_names(kind)}
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return str(value)


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (strict: no NaN tokens ever reach the browser)."""
    return orjson.dumps(to_jsonable(value)).decode("utf-8")


def error_body(exc: NbtrackError | None, status: int = 500, message: str = "") -> dict[str, Any]:
    """MLflow's error JSON (``error_code``, ``message``) for ``exc``, plus ``error`` (the class
    name) and a filter's ``position``; with no ``exc``, the code MLflow gives ``status``."""
    if exc is None:
        return {"error_code": error_code_for_status(status), "message": message, "error": "HTTPError"}
    body: dict[str, Any] = {"error_code": exc.error_code, "message": exc.message, "error": type(exc).__name__}
    if isinstance(exc, InvalidFilterError):
        body["position"] = exc.position
    return body
