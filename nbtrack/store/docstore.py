"""The Store implementation shared by the TinyDB and memory backends.

Layout (document names; ``FileDocuments`` maps "runs/ab" to ``runs/ab.json``), each a TinyDB
database:

- ``meta``: table ``experiments`` (doc id = experiment id).
- ``runs/<nnnnnn>``: table ``runs``, one document per run (info, params, tags, latest metrics,
  pid/host/heartbeat). Shards fill in creation order, ``RUNS_PER_SHARD`` runs each, and a run id
  ends with its shard's number, so starting or ending a run rewrites one bounded file however
  large the store grows, and a search of a few hundred runs reads a handful of files.
- ``metrics/<run_id>``: one table per metric key holding chunk documents of parallel arrays
  (step, value, timestamp). A chunk that reaches ``CHUNK_POINTS`` is sealed into its own
  immutable file ``metrics/<run_id>.<key digest>-<chunk>`` and replaced by a reference, so a
  flush rewrites at most one open chunk per key, however long the run's history grows.
- ``registry``: a plain JSON state owned by the registry service.
"""
from __future__ import annotations

import getpass
import hashlib
import math
import os
import socket
import threading
import uuid
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from tinydb import TinyDB, where
from tinydb.storages import Storage
from tinydb.table import Document

from ..entities import Experiment, LifecycleStage, Metric, Run, RunInfo, RunStatus
from ..errors import (
    ExperimentAlreadyExistsError,
    ExperimentNotFoundError,
    InvalidParameterError,
    ParamConflictError,
    RunNotFoundError,
    RunStateError,
    StoreCorruptedError,
)
from ..history import MetricHistory
from .._validation import now_ms
from . import _codec
from ._lru import ByteLRU
from ._metric_buffer import Batch, MetricBuffer
from .base import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME
from .documents import Documents, pid_alive

T = TypeVar("T")

CHUNK_POINTS = 5000
RUNS_PER_SHARD = 100
Columns = tuple[list[int], list[float], list[int]]  # steps, values, timestamps
_STEP, _VALUE, _TIMESTAMP = itemgetter(0), itemgetter(1), itemgetter(2)
_SHARD_DIGITS = 6
HEARTBEAT_EVERY_MS = 60_000
#: A RUNNING run from another host with no heartbeat for this long is stale.
STALE_AFTER_MS = 15 * 60_000
_HOST = socket.gethostname()
#: Read-cache budgets in bytes: metric histories (24 B a point), and run entities per shard.
HISTORY_CACHE_BYTES = int(os.environ.get("NBTRACK_HISTORY_CACHE_MB", "32")) * 2**20
RUNS_CACHE_BYTES = int(os.environ.get("NBTRACK_RUNS_CACHE_MB", "32")) * 2**20
_RUN_BYTES = 1500  # rough size of one Run entity with a handful of params, tags and metrics


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return ""


class _DictStorage(Storage):
    """Lets TinyDB's table API work on a document already loaded (and written) by Documents."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def read(self) -> dict[str, Any]:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        if data is not self._data:
            self._data.clear()
            self._data.update(data)


def _shard(run_id: str) -> str:
    return f"runs/{run_id[-_SHARD_DIGITS:]}"


def _shard_name(number: int) -> str:
    return f"runs/{number:0{_SHARD_DIGITS}x}"


class DocStore:
    """Store over a ``Documents`` backend; see the module docstring for the layout."""

    def __init__(self, docs: Documents, uri: str, artifact_root: Path) -> None:
        self.uri = uri
        self.artifact_root = artifact_root
        self._docs = docs
        self._buffer = MetricBuffer(self._write_metrics)
        # Keyed by document version, so a cached value never pins the parsed document itself.
        self._runs_cache: ByteLRU[str, tuple[Any, list[Run]]] = ByteLRU(RUNS_CACHE_BYTES)
        self._history_cache: ByteLRU[tuple[str, str], tuple[Any, MetricHistory]] = ByteLRU(HISTORY_CACHE_BYTES)
        self._active_runs: set[str] = set()  # run ids known to exist and not deleted
        self._lock = threading.Lock()
        self._ensure_default_experiment()

    # -- helpers -------------------------------------------------------------------------
    def _update_table(self, name: str, table: str, fn: Callable[[Any], T]) -> T:
        return self._docs.update(name, lambda raw: fn(TinyDB(raw, storage=_DictStorage).table(table)))

    def _ensure_default_experiment(self) -> None:
        if DEFAULT_EXPERIMENT_ID in self._docs.read("meta").get("experiments", {}):
            return

        def add(table: Any) -> None:
            if not table.contains(doc_id=0):
                table.insert(Document(self._new_experiment_doc(DEFAULT_EXPERIMENT_NAME, None, {}, "0"), doc_id=0))

        self._update_table("meta", "experiments", add)

    def _new_experiment_doc(
        self, name: str, artifact_location: str | None, tags: Mapping[str, str], exp_id: str
    ) -> dict[str, Any]:
        now = now_ms()
        return {
            "name": name,
            "artifact_location": artifact_location or str(self.artifact_root / exp_id),
            "lifecycle_stage": LifecycleStage.ACTIVE,
            "tags": dict(tags),
            "creation_time": now,
            "last_update_time": now,
        }

    # -- experiments ---------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        def add(table: Any) -> str:
            if table.contains(where("name") == name):
                raise ExperimentAlreadyExistsError(f"Experiment {name!r} already exists")
            exp_id = str(max((d.doc_id for d in table.all()), default=-1) + 1)
            table.insert(Document(self._new_experiment_doc(name, artifact_location, tags or {}, exp_id), doc_id=int(exp_id)))
            return exp_id

        return self._update_table("meta", "experiments", add)

    def get_experiment(self, experiment_id: str) -> Experiment:
        doc = self._docs.read("meta").get("experiments", {}).get(str(experiment_id))
        if doc is None:
            raise ExperimentNotFoundError(f"No experiment with id {experiment_id!r}")
        return _codec.experiment_from_doc(str(experiment_id), doc)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        for exp_id, doc in self._docs.read("meta").get("experiments", {}).items():
            if doc["name"] == name:
                return _codec.experiment_from_doc(exp_id, doc)
        return None

    def list_experiments(self) -> list[Experiment]:
        exps = self._docs.read("meta").get("experiments", {})
        return [_codec.experiment_from_doc(i, exps[i]) for i in sorted(exps, key=int)]

    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        lifecycle_stage: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment:
        doc_id = int(experiment_id) if str(experiment_id).isdigit() else -1

        def change(table: Any) -> None:
            doc = table.get(doc_id=doc_id)
            if doc is None:
                raise ExperimentNotFoundError(f"No experiment with id {experiment_id!r}")
            fields: dict[str, Any] = {"last_update_time": now_ms()}
            if name is not None and name != doc["name"]:
                if table.contains(where("name") == name):
                    raise ExperimentAlreadyExistsError(f"Experiment {name!r} already exists")
                fields["name"] = name
            if lifecycle_stage is not None:
                fields["lifecycle_stage"] = lifecycle_stage
            if tags:
                fields["tags"] = {**doc.get("tags", {}), **tags}
            table.update(fields, doc_ids=[doc_id])

        self._update_table("meta", "experiments", change)
        return self.get_experiment(experiment_id)

    # -- runs ----------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int,
        tags: Mapping[str, str] | None = None,
        user_id: str = "",
    ) -> Run:
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage != LifecycleStage.ACTIVE:
            raise RunStateError(
                f"Experiment {exp.name!r} (id {exp.experiment_id}) is deleted; restore it before starting runs"
            )
        doc = {
            "run_id": "",
            "run_name": run_name,
            "experiment_id": exp.experiment_id,
            "status": RunStatus.RUNNING,
            "start_time": start_time,
            "end_time": None,
            "lifecycle_stage": LifecycleStage.ACTIVE,
            "artifact_uri": "",
            "user_id": user_id or _user(),
            "params": {},
            "tags": dict(tags or {}),
            "metrics": {},
            "pid": os.getpid(),
            "host": _HOST,
            "heartbeat": now_ms(),
        }

        def insert_if_room(table: Any, number: int) -> bool:
            if len(table) >= RUNS_PER_SHARD:
                return False
            run_id = uuid.uuid4().hex[: 32 - _SHARD_DIGITS] + f"{number:0{_SHARD_DIGITS}x}"
            doc.update(run_id=run_id, artifact_uri=f"{exp.artifact_location.rstrip('/')}/{run_id}")
            table.insert(doc)
            return True

        shards = self._docs.names("runs/")
        number = int(shards[-1][len("runs/"):], 16) if shards else 0
        while not self._update_table(_shard_name(number), "runs", lambda t: insert_if_room(t, number)):
            number += 1  # this shard is full (maybe filled by another process meanwhile)
        self._active_runs.add(doc["run_id"])
        return _codec.run_from_doc(doc)

    def _run_doc(self, run_id: str) -> dict[str, Any]:
        for doc in self._docs.read(_shard(run_id)).get("runs", {}).values():
            if doc["run_id"] == run_id:
                return doc
        raise RunNotFoundError(f"No run with id {run_id!r}")

    def get_run(self, run_id: str) -> Run:
        self._flush_quietly()
        return _codec.run_from_doc(self._run_doc(run_id))

    def _change_run(self, run_id: str, fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Apply ``fn`` to the run's document under the shard lock; returns the new document."""

        def change(table: Any) -> dict[str, Any]:
            docs = table.search(where("run_id") == run_id)
            if not docs:
                raise RunNotFoundError(f"No run with id {run_id!r}")
            doc = dict(docs[0])
            fn(doc)
            table.update(doc, doc_ids=[docs[0].doc_id])
            return doc

        return self._update_table(_shard(run_id), "runs", change)

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        lifecycle_stage: str | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        if status in RunStatus.TERMINATED or lifecycle_stage is not None:
            self.flush()

        def change(doc: dict[str, Any]) -> None:
            if status is not None:
                doc["status"] = status
                if status == RunStatus.RUNNING:
                    doc.update(pid=os.getpid(), host=_HOST, heartbeat=now_ms(), end_time=None)
            if end_time is not None:
                doc["end_time"] = end_time
            if lifecycle_stage is not None:
                doc["lifecycle_stage"] = lifecycle_stage
            if run_name is not None:
                doc["run_name"] = run_name

        doc = self._change_run(run_id, change)
        if doc["lifecycle_stage"] == LifecycleStage.ACTIVE:
            self._active_runs.add(run_id)
        else:
            self._active_runs.discard(run_id)
        return _codec.run_from_doc(doc).info

    def _check_writable(self, run_id: str) -> None:
        if run_id in self._active_runs:
            return
        doc = self._run_doc(run_id)
        if doc["lifecycle_stage"] != LifecycleStage.ACTIVE:
            raise RunStateError(f"Run {run_id} is deleted; restore it before logging to it")
        self._active_runs.add(run_id)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        if params or tags:

            def change(doc: dict[str, Any]) -> None:
                if doc["lifecycle_stage"] != LifecycleStage.ACTIVE:
                    raise RunStateError(f"Run {run_id} is deleted; restore it before logging to it")
                for key, value in (params or {}).items():
                    old = doc["params"].get(key)
                    if old is not None and old != value:
                        raise ParamConflictError(run_id, key, old, value)
                    doc["params"][key] = value
                doc["tags"].update(tags or {})

            if tags or not self._params_already_logged(run_id, params or {}):
                self._change_run(run_id, change)
        if metrics:
            self._check_writable(run_id)
            for m in metrics:
                self._buffer.add(run_id, m.key, m.value, m.timestamp, m.step)

    def append_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        if run_id not in self._active_runs:
            self._check_writable(run_id)
        self._buffer.add(run_id, key, value, timestamp, step)

    def _params_already_logged(self, run_id: str, params: Mapping[str, str]) -> bool:
        """True when every param already has this value (a no-op that needs no write)."""
        doc = self._run_doc(run_id)
        if doc["lifecycle_stage"] != LifecycleStage.ACTIVE:
            return False  # let the locked update raise RunStateError
        return all(doc["params"].get(k) == v for k, v in params.items())

    def delete_tag(self, run_id: str, key: str) -> None:
        def change(doc: dict[str, Any]) -> None:
            if key not in doc["tags"]:
                raise InvalidParameterError(f"Run {run_id} has no tag {key!r} to delete")
            del doc["tags"][key]

        self._change_run(run_id, change)

    def get_metric_history(self, run_id: str, key: str) -> MetricHistory:
        self._flush_quietly()
        self._run_doc(run_id)
        name = f"metrics/{run_id}"
        version = self._docs.version(name)
        cached = self._history_cache.get((run_id, key))
        if cached is not None and cached[0] == version:
            return cached[1]  # immutable, so every caller may share it
        table = self._docs.read(name).get(key, {})
        history = MetricHistory.from_chunks(key, (self._chunk(table[c]) for c in sorted(table, key=int)))
        self._history_cache.put((run_id, key), (version, history), history.nbytes())
        return history

    def _chunk(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """An inline chunk as it is; a sealed one loaded from its file (not kept parsed)."""
        if "file" in chunk:
            name = chunk["file"]
            chunk = self._docs.load(name)
            if not all(isinstance(chunk.get(c), list) for c in ("step", "value", "timestamp")):
                raise StoreCorruptedError(name, "sealed metric chunk is missing or has no point columns")
        return chunk

    def list_runs(self, experiment_ids: Sequence[str]) -> list[Run]:
        self._flush_quietly()
        wanted = {str(e) for e in experiment_ids}
        out: list[Run] = []
        for name in self._docs.names("runs/"):
            out.extend(r for r in self._shard_runs(name) if r.info.experiment_id in wanted)
        return out

    def _shard_runs(self, name: str) -> list[Run]:
        version = self._docs.version(name)
        cached = self._runs_cache.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        runs = [_codec.run_from_doc(d) for d in self._docs.read(name).get("runs", {}).values()]
        self._runs_cache.put(name, (version, runs), _RUN_BYTES * len(runs))
        return runs

    def find_stale_runs(self, experiment_ids: Sequence[str] | None = None) -> list[str]:
        wanted = None if experiment_ids is None else {str(e) for e in experiment_ids}
        now = now_ms()
        stale = []
        for name in self._docs.names("runs/"):
            for doc in self._docs.read(name).get("runs", {}).values():
                if doc["status"] != RunStatus.RUNNING or (wanted and doc["experiment_id"] not in wanted):
                    continue
                if doc.get("host") == _HOST:
                    gone = not pid_alive(int(doc.get("pid") or 0))
                else:
                    gone = now - int(doc.get("heartbeat") or 0) > STALE_AFTER_MS
                if gone:
                    stale.append(doc["run_id"])
        return stale

    # -- metrics -------------------------------------------------------------------------
    def flush(self) -> None:
        self._buffer.flush()

    def _flush_quietly(self) -> None:
        if self._buffer.pending():
            self._buffer.flush()

    def _write_metrics(self, batch: Batch) -> None:
        for run_id, points_by_key in batch.items():
            columns: dict[str, Columns] = {}
            for key, points in points_by_key.items():
                columns[key] = (
                    list(map(_STEP, points)),
                    list(map(_VALUE, points)),
                    list(map(_TIMESTAMP, points)),
                )
            self._docs.update(f"metrics/{run_id}", lambda raw: self._append_columns(run_id, raw, columns))
            self._change_run(run_id, lambda doc: _update_latest(doc, columns))

    def _append_columns(self, run_id: str, raw: dict[str, Any], columns: dict[str, Columns]) -> None:
        enc = _codec.encode_float
        for key, (steps, values, timestamps) in columns.items():
            table = raw.setdefault(key, {})
            chunk_id = max(map(int, table), default=0)
            chunk = table.get(str(chunk_id))
            start = 0
            while start < len(steps):
                if chunk is None or "file" in chunk or len(chunk["step"]) >= CHUNK_POINTS:
                    chunk_id += 1
                    chunk = table[str(chunk_id)] = {"step": [], "value": [], "timestamp": []}
                end = start + CHUNK_POINTS - len(chunk["step"])
                chunk["step"].extend(steps[start:end])
                part = values[start:end]
                # sum() is finite only if every value is: one C-level check, then a plain copy.
                chunk["value"].extend(part if math.isfinite(sum(part)) else [enc(x) for x in part])
                chunk["timestamp"].extend(timestamps[start:end])
                start = end
                if len(chunk["step"]) >= CHUNK_POINTS:
                    chunk = table[str(chunk_id)] = self._seal(run_id, key, chunk_id, chunk)

    def _seal(self, run_id: str, key: str, chunk_id: int, chunk: dict[str, Any]) -> dict[str, Any]:
        """Write a full chunk to its own immutable file; the run's history keeps a reference."""
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        name = f"metrics/{run_id}.{digest}-{chunk_id}"
        self._docs.update(name, lambda raw: raw.update(chunk))
        return {"file": name, "count": len(chunk["step"])}

    def close(self) -> None:
        self._buffer.close()

    # -- registry ------------------------------------------------------------------------
    def read_registry(self) -> Mapping[str, Any]:
        return self._docs.read("registry")

    def update_registry(self, fn: Callable[[dict[str, Any]], T]) -> T:
        return self._docs.update("registry", fn)


def _update_latest(doc: dict[str, Any], columns: dict[str, Columns]) -> None:
    latest = doc.setdefault("metrics", {})
    for key, (steps, values, timestamps) in columns.items():
        # MLflow's rule: highest step, then timestamp, then value.
        step, timestamp, value = max(zip(steps, timestamps, values))
        if _codec.is_newer(step, timestamp, value, latest.get(key)):
            latest[key] = [_codec.encode_float(value), timestamp, step]
    now = now_ms()
    if now - int(doc.get("heartbeat") or 0) > HEARTBEAT_EVERY_MS:
        doc["heartbeat"] = now
