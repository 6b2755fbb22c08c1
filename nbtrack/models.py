"""Model signatures: the input and output schema of a logged model, as MLflow describes them.

``from mlflow.models import infer_signature`` ports as ``from nbtrack.models import
infer_signature``. A signature is stored in the model's manifest (``MLmodel.json``) as
``{"inputs": [...], "outputs": [...]}``: a DataFrame gives one ``{"name", "type"}`` column spec
per column, an array one ``{"type": "tensor", "tensor-spec": {"dtype", "shape"}}`` with ``-1``
for the batch dimension (MLflow's JSON form).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ModelSignature", "infer_signature"]

_KIND_TYPES = {"b": "boolean", "i": "long", "u": "long", "f": "double", "O": "string", "U": "string", "S": "binary"}


@dataclass(frozen=True)
class ModelSignature:
    """What a model takes and returns; ``to_dict()`` is the stored form."""

    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "outputs": self.outputs}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSignature:
        return cls(list(data.get("inputs") or []), data.get("outputs"))


def infer_signature(model_input: Any, model_output: Any = None) -> ModelSignature:
    """The signature of a model from an example input and, optionally, its output."""
    return ModelSignature(_schema(model_input), None if model_output is None else _schema(model_output))


def _schema(value: Any) -> list[dict[str, Any]]:
    if hasattr(value, "dtypes") and hasattr(value, "columns"):  # a DataFrame
        return [{"name": str(c), "type": _type_name(t), "required": True} for c, t in value.dtypes.items()]
    if hasattr(value, "dtype") and hasattr(value, "name") and hasattr(value, "to_frame"):  # a Series
        return [{"type": _type_name(value.dtype), "required": True}]
    import numpy as np

    arr = np.asarray(value)
    shape = [-1, *arr.shape[1:]] if arr.ndim else []
    return [{"type": "tensor", "tensor-spec": {"dtype": str(arr.dtype), "shape": shape}}]


def _type_name(dtype: Any) -> str:
    kind = getattr(dtype, "kind", "O")
    if kind == "f" and getattr(dtype, "itemsize", 8) == 4:
        return "float"
    if kind in ("i", "u") and getattr(dtype, "itemsize", 8) <= 4:
        return "integer"
    return _KIND_TYPES.get(kind, "string")
