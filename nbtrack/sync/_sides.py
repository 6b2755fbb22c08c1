"""The two ends of a sync, behind one small interface: an nbtrack store, or an MLflow tracking
store reached through MLflow's own client (a server, a ``./mlruns`` folder, a sqlite file).

Every write a sync makes goes through one of these methods, so the transfer logic is written
once for both directions.
"""
from __future__ import annotations

import logging
import os
import posixpath
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..artifacts import ArtifactRepository, local_path_from_uri
from ..entities import Experiment, Metric, Run
from ..registry import rules as rs
from ..search.paging import all_pages
from ..store import open_store

#: Tag on a run (or model version) created by sync: its id on the side it came from.
SOURCE_TAG = "nbtrack.sync.source_id"
log = logging.getLogger("nbtrack.sync")
MAX_METRICS, MAX_PARAMS, MAX_TAGS = 1000, 100, 100
Point = tuple[int, float, int]  # step, value, timestamp


class LocalSide:
    """An nbtrack store (TinyDB folder or memory)."""

    def __init__(self, uri: str) -> None:
        self.store: Any = open_store(uri)  # a DocStore: named documents, per-run flush
        self.uri = self.store.uri

    def experiments(self) -> list[Experiment]:
        return self.store.list_experiments()

    def experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(name)

    def create_experiment(self, name: str, tags: Mapping[str, str]) -> str:
        return self.store.create_experiment(name, None, dict(tags))

    def runs(self, experiment_id: str) -> list[Run]:
        return self.store.list_runs([experiment_id])

    def find_run(self, experiment_id: str, source_id: str) -> str | None:
        return next((r.info.run_id for r in self.runs(experiment_id) if r.data.tags.get(SOURCE_TAG) == source_id), None)

    def create_run(self, experiment_id: str, run: Run, source_id: str) -> str:
        tags = {**run.data.tags, SOURCE_TAG: source_id}
        made = self.store.create_run(experiment_id, run.info.run_name, run.info.start_time, tags, run.info.user_id)
        return made.info.run_id

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(run_id)

    def history(self, run_id: str, key: str) -> list[Point]:
        h = self.store.get_metric_history(run_id, key)
        return [(m.step, m.value, m.timestamp) for m in h]

    def log(self, run_id: str, params: Mapping[str, str], tags: Mapping[str, str], points: Sequence[tuple[str, Point]]) -> int:
        metrics = [Metric(key, value, ts, step) for key, (step, value, ts) in points]
        self.store.log_batch(run_id, metrics, dict(params), dict(tags))
        self.store.flush(run_id)
        return 1

    def finish(self, run_id: str, status: str, end_time: int | None) -> None:
        self.store.update_run(run_id, status=status, end_time=end_time)

    def delete_run(self, run_id: str) -> None:
        self.store.update_run(run_id, lifecycle_stage="deleted")

    def _repo(self, run_id: str) -> ArtifactRepository:
        return ArtifactRepository(local_path_from_uri(self.get_run(run_id).info.artifact_uri))

    def artifacts(self, run_id: str) -> dict[str, int]:
        root = self._repo(run_id).root
        if not root.is_dir():
            return {}
        found = {}
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if name.startswith(".") and name.endswith(".tmp"):
                    continue
                path = Path(dirpath) / name
                found[path.relative_to(root).as_posix()] = path.stat().st_size
        return found

    def fetch_artifact(self, run_id: str, path: str, _tmp: Path) -> Path:
        return self._repo(run_id).resolve(path)

    def put_artifact(self, run_id: str, path: str, local_file: Path) -> None:
        self._repo(run_id).write_bytes(path, local_file.read_bytes())

    # -- registry ------------------------------------------------------------------------
    def registry(self) -> Mapping[str, Any]:
        return self.store.read_registry()

    def _change(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return self.store.update_registry(lambda state: fn(state, rs.Actor.now(), *args, **kwargs))

    def create_model(self, name: str, tags: Mapping[str, str], description: str) -> None:
        self._change(rs.create_registered_model, name, dict(tags), description or None)

    def update_model(self, name: str, tags: Mapping[str, str], description: str) -> None:
        for key, value in tags.items():
            self._change(rs.set_registered_model_tag, name, key, value)
        if description is not None:
            self._change(rs.update_registered_model, name, description)

    def create_version(self, name: str, record: Mapping[str, Any], source: str, run_id: str | None) -> int:
        version = self._change(rs.create_model_version, name, source, run_id, dict(record["tags"]),
                               record["description"] or None)
        return int(version.version)

    def set_stage(self, name: str, version: int, stage: str) -> None:
        self._change(rs.transition_stage, name, version, stage)

    def set_version_description(self, name: str, version: int, description: str) -> None:
        self._change(rs.update_model_version, name, version, description)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self._change(rs.set_alias, name, alias, version)


class MlflowSide:
    """An MLflow tracking store through MLflow's client: ``http(s)://``, a folder, ``sqlite:///``."""

    def __init__(self, uri: str) -> None:
        from ..store.mlflow._connection import make_client
        from ..store.mlflow._registry import RegistryMirror

        self.uri = uri
        self.client = make_client(uri)
        self._registry = RegistryMirror(self.client, lambda _what, fn, *a, **k: fn(*a, **k))
        from mlflow.entities import Metric as MlflowMetric
        from mlflow.entities import Param, RunTag, ViewType

        self._metric, self._param, self._tag, self._all = MlflowMetric, Param, RunTag, ViewType.ALL

    def experiments(self) -> list[Experiment]:
        from ..store.mlflow._convert import experiment

        return [experiment(e) for e in all_pages(self.client.search_experiments, view_type=self._all, max_results=1000)]

    def experiment_by_name(self, name: str) -> Experiment | None:
        from ..store.mlflow._convert import experiment

        exp = self.client.get_experiment_by_name(name)
        return None if exp is None else experiment(exp)

    def create_experiment(self, name: str, tags: Mapping[str, str]) -> str:
        return self.client.create_experiment(name, tags=dict(tags) or None)

    def runs(self, experiment_id: str) -> list[Run]:
        from ..store.mlflow._convert import run

        return [run(r) for r in all_pages(self.client.search_runs, experiment_ids=[experiment_id],
                                       run_view_type=self._all, max_results=1000)]

    def find_run(self, experiment_id: str, source_id: str) -> str | None:
        found = self.client.search_runs([experiment_id], f"tags.`{SOURCE_TAG}` = '{source_id}'",
                                        run_view_type=self._all, max_results=1)
        return found[0].info.run_id if found else None

    def create_run(self, experiment_id: str, run: Run, source_id: str) -> str:
        tags = {**run.data.tags, SOURCE_TAG: source_id}
        if run.info.user_id:
            tags.setdefault("mlflow.user", run.info.user_id)
        made = self.client.create_run(experiment_id, start_time=run.info.start_time, tags=tags,
                                      run_name=run.info.run_name or None)
        return made.info.run_id

    def get_run(self, run_id: str) -> Run:
        from ..store.mlflow._convert import run

        return run(self.client.get_run(run_id))

    def history(self, run_id: str, key: str) -> list[Point]:
        return [(m.step, m.value, m.timestamp) for m in self.client.get_metric_history(run_id, key)]

    def log(self, run_id: str, params: Mapping[str, str], tags: Mapping[str, str], points: Sequence[tuple[str, Point]]) -> int:
        """Params, then tags, then points, in requests within MLflow's limits; returns the count."""
        requests = 0
        param_items = [self._param(k, v) for k, v in params.items()]
        for start in range(0, len(param_items), MAX_PARAMS):
            self.client.log_batch(run_id, params=param_items[start:start + MAX_PARAMS], synchronous=True)
            requests += 1
        tag_items = [self._tag(k, v) for k, v in tags.items()]
        for start in range(0, len(tag_items), MAX_TAGS):
            self.client.log_batch(run_id, tags=tag_items[start:start + MAX_TAGS], synchronous=True)
            requests += 1
        metrics = [self._metric(key, value, ts, step) for key, (step, value, ts) in points]
        for start in range(0, len(metrics), MAX_METRICS):
            self.client.log_batch(run_id, metrics=metrics[start:start + MAX_METRICS], synchronous=True)
            requests += 1
        return requests

    def finish(self, run_id: str, status: str, end_time: int | None) -> None:
        self.client.set_terminated(run_id, status, end_time)

    def delete_run(self, run_id: str) -> None:
        self.client.delete_run(run_id)

    def artifacts(self, run_id: str) -> dict[str, int]:
        """Every artifact file and its size; {} (with a warning) if the artifact store is out of reach.

        A database file read directly knows a server's ``mlflow-artifacts:`` locations but not
        the server that serves them.
        """
        found: dict[str, int] = {}
        folders: list[str | None] = [None]
        try:
            while folders:
                for info in self.client.list_artifacts(run_id, folders.pop()):
                    if info.is_dir:
                        folders.append(info.path)
                    else:
                        found[info.path] = int(info.file_size or 0)
        except Exception as exc:  # noqa: BLE001 - MLflow raises many types for an unreachable store
            from ..store.mlflow._connection import cause_of

            log.warning("nbtrack sync: artifacts of run %s are not reachable from %s (%s)", run_id,
                        self.uri, cause_of(exc))
            return {}
        return found

    def fetch_artifact(self, run_id: str, path: str, tmp: Path) -> Path:
        return Path(self.client.download_artifacts(run_id, path, str(tmp)))

    def put_artifact(self, run_id: str, path: str, local_file: Path) -> None:
        folder = posixpath.dirname(path) or None
        if local_file.name != posixpath.basename(path):  # MLflow names the upload after the file
            renamed = local_file.with_name(posixpath.basename(path))
            renamed.write_bytes(local_file.read_bytes())
            local_file = renamed
        self.client.log_artifact(run_id, str(local_file), folder)

    # -- registry ------------------------------------------------------------------------
    def registry(self) -> Mapping[str, Any]:
        return self._registry.read()

    def create_model(self, name: str, tags: Mapping[str, str], description: str) -> None:
        self.client.create_registered_model(name, tags=dict(tags) or None, description=description or None)

    def update_model(self, name: str, tags: Mapping[str, str], description: str | None) -> None:
        for key, value in tags.items():
            self.client.set_registered_model_tag(name, key, value)
        if description is not None:
            self.client.update_registered_model(name, description)

    def create_version(self, name: str, record: Mapping[str, Any], source: str, run_id: str | None) -> int:
        mv = self.client.create_model_version(name, source, run_id=run_id, tags=dict(record["tags"]) or None,
                                              description=record["description"] or None)
        return int(mv.version)

    def set_stage(self, name: str, version: int, stage: str) -> None:
        with warnings.catch_warnings():  # stages are deprecated in MLflow; nbtrack keeps them
            warnings.simplefilter("ignore", FutureWarning)
            self.client.transition_model_version_stage(name, str(version), stage, False)

    def set_version_description(self, name: str, version: int, description: str) -> None:
        self.client.update_model_version(name, str(version), description)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self.client.set_registered_model_alias(name, alias, str(version))


def open_side(uri: str) -> LocalSide | MlflowSide:
    """The MLflow side for server, ``sqlite:``/``file:`` and MLflow ``mlruns`` URIs, else nbtrack's."""
    if uri.lower().startswith(("http://", "https://")):
        from ..store.mlflow._connection import canonical_server_uri

        return MlflowSide(canonical_server_uri(uri))
    if uri.startswith(("sqlite:", "postgresql:", "mysql:")):
        return MlflowSide(uri)
    path = Path(uri.removeprefix("file://")).expanduser()
    if uri.startswith("file:") or (path / "0" / "meta.yaml").exists() or path.name == "mlruns":
        # MLflow 3 refuses its folder store unless asked: reading one to bring it in is the point.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        return MlflowSide(path.resolve().as_uri())
    return LocalSide(uri)
