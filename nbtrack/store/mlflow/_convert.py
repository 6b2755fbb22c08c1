"""MLflow's entities to nbtrack's (same names and fields, our frozen dataclasses)."""
from __future__ import annotations

from typing import Any

from ...entities import Experiment, Metric, Run, RunData, RunInfo
from ...store.history import MetricHistory


def experiment(exp: Any) -> Experiment:
    return Experiment(
        experiment_id=str(exp.experiment_id),
        name=exp.name,
        artifact_location=exp.artifact_location,
        lifecycle_stage=exp.lifecycle_stage,
        tags=dict(exp.tags),
        creation_time=exp.creation_time,
        last_update_time=exp.last_update_time,
    )


def run(r: Any) -> Run:
    info = r.info
    return Run(
        RunInfo(
            run_id=info.run_id,
            run_name=info.run_name or "",
            experiment_id=str(info.experiment_id),
            status=info.status,
            start_time=info.start_time,
            end_time=info.end_time,
            lifecycle_stage=info.lifecycle_stage,
            artifact_uri=info.artifact_uri,
            user_id=info.user_id or "",
        ),
        RunData(params=dict(r.data.params), metrics=dict(r.data.metrics), tags=dict(r.data.tags)),
    )


def metric(m: Any) -> Metric:
    return Metric(key=m.key, value=m.value, timestamp=m.timestamp, step=m.step)


def history(key: str, metrics: list[Any]) -> MetricHistory:
    """MLflow's list of points as our column-wise history."""
    return MetricHistory(key, [m.step for m in metrics], [m.value for m in metrics], [m.timestamp for m in metrics])
