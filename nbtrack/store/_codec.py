"""Conversion between stored JSON documents and entities.

Non-finite floats are stored in the spelling of :mod:`nbtrack._floats` and decoded back exactly.
"""
from __future__ import annotations

from typing import Any, TypeVar

from .._floats import NON_FINITE, decode_float, encode_float
from ..entities import Experiment, Run, RunData, RunInfo

T = TypeVar("T")

__all__ = ["encode_float", "decode_float", "experiment_from_doc", "run_from_doc", "is_newer"]


def experiment_from_doc(experiment_id: str, doc: dict[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=experiment_id,
        name=doc["name"],
        artifact_location=doc["artifact_location"],
        lifecycle_stage=doc["lifecycle_stage"],
        tags=dict(doc.get("tags", {})),
        creation_time=doc.get("creation_time"),
        last_update_time=doc.get("last_update_time"),
    )


def _frozen(cls: type[T], fields: dict[str, Any]) -> T:
    """A frozen dataclass filled without its __init__ (3x cheaper; searches build one per run)."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def run_from_doc(doc: dict[str, Any]) -> Run:
    get = doc.get
    info = _frozen(RunInfo, {
        "run_id": doc["run_id"],
        "run_name": doc["run_name"],
        "experiment_id": doc["experiment_id"],
        "status": doc["status"],
        "start_time": doc["start_time"],
        "end_time": get("end_time"),
        "lifecycle_stage": doc["lifecycle_stage"],
        "artifact_uri": doc["artifact_uri"],
        "user_id": get("user_id", ""),
    })
    metrics = {k: (NON_FINITE[v[0]] if type(v[0]) is str else float(v[0])) for k, v in get("metrics", {}).items()}
    data = _frozen(RunData, {"params": dict(get("params", {})), "metrics": metrics, "tags": dict(get("tags", {}))})
    return _frozen(Run, {"info": info, "data": data})


def is_newer(step: int, timestamp: int, value: float, latest: list[Any] | None) -> bool:
    """MLflow's latest-metric rule: highest step, then timestamp, then value."""
    if latest is None:
        return True
    old_value, old_ts, old_step = latest
    return (step, timestamp, value) >= (old_step, old_ts, decode_float(old_value))
