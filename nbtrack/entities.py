"""Read-only domain objects, named and shaped like MLflow's so its users feel at home."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "RunStatus",
    "LifecycleStage",
    "ViewType",
    "Experiment",
    "Metric",
    "Param",
    "RunTag",
    "RunInfo",
    "RunData",
    "Run",
    "FileInfo",
    "RegisteredModel",
    "ModelVersion",
    "AuditEvent",
]


class _Iterable:
    """``dict(entity)`` gives its fields, as MLflow's entities allow (``dict(run.info)``)."""

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for f in fields(self):  # type: ignore[arg-type]
            yield f.name, getattr(self, f.name)


class RunStatus:
    """Run statuses (strings, as MLflow returns them)."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINATED = (FINISHED, FAILED, KILLED)


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"


class ViewType:
    """Which lifecycle stages a search returns (MLflow's ``run_view_type``)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @staticmethod
    def matches(view_type: int, lifecycle_stage: str) -> bool:
        if view_type == ViewType.ALL:
            return True
        if view_type == ViewType.DELETED_ONLY:
            return lifecycle_stage == LifecycleStage.DELETED
        return lifecycle_stage == LifecycleStage.ACTIVE


@dataclass(frozen=True)
class Experiment(_Iterable):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: Mapping[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass(frozen=True)
class Metric(_Iterable):
    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclass(frozen=True)
class Param(_Iterable):
    key: str
    value: str


@dataclass(frozen=True)
class RunTag(_Iterable):
    key: str
    value: str


@dataclass(frozen=True)
class RunInfo(_Iterable):
    run_id: str
    run_name: str
    experiment_id: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str
    user_id: str = ""

    @property
    def run_uuid(self) -> str:  # MLflow's old name
        return self.run_id

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        yield from super().__iter__()
        yield "run_uuid", self.run_id


@dataclass(frozen=True)
class RunData(_Iterable):
    """Params, tags, and the latest value of each metric (highest step, then timestamp)."""

    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData


@dataclass(frozen=True)
class FileInfo(_Iterable):
    path: str
    is_dir: bool
    file_size: int | None


@dataclass(frozen=True)
class ModelVersion(_Iterable):
    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str = "None"
    description: str | None = None
    source: str = ""
    run_id: str | None = None
    status: str = "READY"
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    user_id: str = ""


@dataclass(frozen=True)
class RegisteredModel(_Iterable):
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEvent:
    """One recorded registry change: who did what, when, from which state to which."""

    timestamp: int
    user: str
    host: str
    action: str
    name: str
    version: int | None = None
    before: Any = None
    after: Any = None
