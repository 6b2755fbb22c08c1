"""The Store implementation shared by the TinyDB and memory backends.

Layout (document names; ``FileDocuments`` maps "runs/ab" to ``runs/ab.json``), each a TinyDB
database:

- ``meta``: table ``experiments`` (doc id = experiment id; see :mod:`.experiment_docs`).
- ``runs/<nnnnnn>``: table ``runs``, one document per run (info, params, tags, latest metrics,
  pid/host/heartbeat). Shards fill in creation order, ``RUNS_PER_SHARD`` runs each, and a run id
  ends with its shard's number, so starting or ending a run rewrites one bounded file however
  large the store grows, and a search of a few hundred runs reads a handful of files.
- ``metrics/<run_id>``: the run's metric histories in chunks, and the exactly-once rule that
  commits them: see :mod:`.metric_docs`.
- ``registry``: a plain JSON state owned by the registry service.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import os
import uuid
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson
from tinydb import TinyDB
from tinydb.table import Document

from .._identity import current_user, host_name
from .._validation import now_ms
from ..entities import Experiment, LifecycleStage, Metric, Run, RunInfo, RunStatus
from ..errors import (
    ExperimentNotFoundError,
    NbtrackError,
    RunNotFoundError,
    RunStateError,
    StoreCorruptedError,
    StoreError,
    StoreWriteError,
    TagNotFoundError,
    describe_os_error,
)
from . import _codec, _columns, experiment_docs, metric_docs, rules, run_docs, run_index
from ._columns import Parts
from ._lru import ByteLRU
from ._metric_buffer import DroppedPointsError, MetricBuffer, RunPoints
from .base import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME
from .documents import Documents
from .history import MetricHistory
from .tinydb_tables import DictStorage

T = TypeVar("T")

RUNS_PER_SHARD = 100
HEARTBEAT_EVERY_MS = 60_000
#: Read-cache budgets in bytes: metric histories (24 B a point), and run entities per shard.
HISTORY_CACHE_BYTES = int(os.environ.get("NBTRACK_HISTORY_CACHE_MB", "32")) * 2**20
RUNS_CACHE_BYTES = int(os.environ.get("NBTRACK_RUNS_CACHE_MB", "32")) * 2**20
_RUN_BYTES = 1500  # rough size of one Run entity with a handful of params, tags and metrics


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
        self._end_failed: set[str] = set()  # runs whose end could not be written (shown as stale)
        self._shard_hint: int | None = None  # the shard this process last added a run to
        self._ensure_default_experiment()
        _STORES.add(self)

    def _reset_after_fork(self) -> None:
        """In a forked child: fresh read caches (a parent's thread may hold their locks)."""
        self._runs_cache = ByteLRU(self._runs_cache.budget)
        self._history_cache = ByteLRU(self._history_cache.budget)

    # -- helpers -------------------------------------------------------------------------
    def _update_table(self, name: str, table: str, fn: Callable[[Any], T]) -> T:
        return self._docs.update(name, lambda raw: fn(TinyDB(raw, storage=DictStorage).table(table)))

    def _ensure_default_experiment(self) -> None:
        try:
            if DEFAULT_EXPERIMENT_ID in self._docs.read("meta").get("experiments", {}):
                return
        except StoreCorruptedError:
            return  # runs and histories stay readable; experiment calls raise, naming meta.json

        def add(table: Any) -> None:
            if not table.contains(doc_id=0):
                table.insert(Document(experiment_docs.new(DEFAULT_EXPERIMENT_NAME, None, {}, "0", self.artifact_root), doc_id=0))

        self._update_table("meta", "experiments", add)

    # -- experiments ---------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        floor = None if experiment_docs.NEXT_ID in self._docs.read("meta") else self._highest_id_in_use() + 1

        def add(raw: dict[str, Any]) -> str:
            return experiment_docs.insert(raw, name, artifact_location, tags or {}, floor, self.artifact_root)

        return self._docs.update("meta", add)

    def _highest_id_in_use(self) -> int:
        """Largest experiment id any run or artifact folder uses: ids are never reused, even after
        ``meta.json`` is lost (scanned only when the store has no id counter yet)."""
        ids = [-1]
        for name in self._docs.names("runs/"):
            with self._decoding(name):
                ids.extend(int(d["experiment_id"]) for d in self._docs.read(name).get("runs", {}).values())
        try:
            ids.extend(int(e.name) for e in os.scandir(self.artifact_root) if e.name.isdigit())
        except OSError:
            pass
        return max(ids)

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
        delete_tags: Sequence[str] = (),
    ) -> Experiment:
        def change(table: Any) -> None:
            experiment_docs.change(table, experiment_id, name, lifecycle_stage, tags, delete_tags)

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
        rules.require_active_experiment(exp)
        doc = {
            "run_id": "",
            "run_name": run_name,
            "experiment_id": exp.experiment_id,
            "status": RunStatus.RUNNING,
            "start_time": start_time,
            "end_time": None,
            "lifecycle_stage": LifecycleStage.ACTIVE,
            "artifact_uri": "",
            "user_id": user_id or current_user(),
            "params": {},
            "tags": dict(tags or {}),
            "metrics": {},
            "pid": os.getpid(),
            "host": host_name(),
            "heartbeat": now_ms(),
        }

        def insert_if_room(current: dict[str, Any], number: int) -> tuple[bool, dict[tuple[str, str], Any]]:
            table = current.get("runs", {})
            if len(table) >= RUNS_PER_SHARD:
                return False, {}
            run_id = uuid.uuid4().hex[: 32 - run_docs.SHARD_DIGITS] + f"{number:0{run_docs.SHARD_DIGITS}x}"
            doc.update(run_id=run_id, artifact_uri=f"{exp.artifact_location.rstrip('/')}/{run_id}")
            entry_id = str(len(table) + 1)  # entries are 1..n, never removed
            if entry_id in table:
                entry_id = str(max(map(int, table), default=0) + 1)
            filled[0] = len(table) + 1 >= RUNS_PER_SHARD
            return True, {("runs", entry_id): dict(doc)}

        filled = [False]  # whether this run took the shard's last place
        number = self._shard_hint if self._shard_hint is not None else run_docs.last_shard(self._docs.names("runs/"))
        while not self._docs.update_entries(run_docs.shard_name(number), functools.partial(insert_if_room, number=number)):
            self._docs.compact(run_docs.shard_name(number))  # full: searches read it as one file from now on
            number += 1  # (maybe filled by another process meanwhile)
        if filled[0]:
            # This run filled it: fold its journal and create the next shard ahead, in the background.
            self._docs.compact(run_docs.shard_name(number), then_create=run_docs.shard_name(number + 1))
        self._shard_hint = number  # shards only ever fill up, so later runs never go to an earlier one
        self._active_runs.add(str(doc["run_id"]))
        return _codec.run_from_doc(doc)

    def _run_doc(self, run_id: str) -> dict[str, Any]:
        with self._decoding(run_docs.shard_of(run_id)):
            for doc in self._docs.read(run_docs.shard_of(run_id)).get("runs", {}).values():
                if doc["run_id"] == run_id:
                    return doc
        raise RunNotFoundError(f"No run with id {run_id!r}")

    @contextlib.contextmanager
    def _decoding(self, name: str) -> Iterator[None]:
        """A record of ``name`` with a missing or mistyped field is that file's corruption, named."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            if isinstance(exc, NbtrackError):
                raise
            raise StoreCorruptedError(
                self._docs.describe(name), f"a record has a missing or malformed field ({type(exc).__name__}: {exc})"
            ) from None

    def get_run(self, run_id: str) -> Run:
        self._flush_quietly(run_id)
        doc = self._run_doc(run_id)
        with self._decoding(run_docs.shard_of(run_id)):
            return _codec.run_from_doc(doc)

    def _change_run(self, run_id: str, fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Apply ``fn`` to a copy of the run's document under the shard lock; returns the new one."""

        def change(current: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
            for entry_id, old in current.get("runs", {}).items():
                if old["run_id"] == run_id:
                    doc = orjson.loads(orjson.dumps(old))  # entries are shared: change a deep copy
                    fn(doc)
                    return doc, ({("runs", entry_id): doc} if doc != old else {})
            raise RunNotFoundError(f"No run with id {run_id!r}")

        return self._docs.update_entries(run_docs.shard_of(run_id), change)

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        lifecycle_stage: str | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        ending = status in RunStatus.TERMINATED
        try:
            if ending or lifecycle_stage is not None:
                self._buffer.flush(run_id)
            doc = self._change_run(run_id, lambda doc: run_docs.change_info(doc, status, end_time, lifecycle_stage, run_name))
        except Exception:
            if ending:
                self._note_end_failed(run_id)
            raise
        if ending:
            self._end_failed.discard(run_id)
            self._buffer.forget(run_id)
        elif lifecycle_stage is not None:
            self._buffer.stop_fast_path(run_id)  # the next point meets the deleted-run check
        if doc["lifecycle_stage"] == LifecycleStage.ACTIVE and not ending:
            self._active_runs.add(run_id)
        else:
            self._active_runs.discard(run_id)  # bounded: only runs open in this process
        return _codec.run_from_doc(doc).info

    def _note_end_failed(self, run_id: str) -> None:
        """Ending failed: make the run visible to find_stale_runs here and, if writable, everywhere."""
        self._end_failed.add(run_id)
        try:
            self._change_run(run_id, lambda doc: doc.update(end_failed=now_ms()))
        except Exception:
            pass  # the store cannot be written at all; this process still reports it as stale

    def _check_writable(self, run_id: str) -> None:
        if run_id in self._active_runs:
            return
        doc = self._run_doc(run_id)
        rules.require_active_run(run_id, doc["lifecycle_stage"])
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
                rules.require_active_run(run_id, doc["lifecycle_stage"])
                rules.require_same_params(run_id, doc["params"], params or {})
                doc["params"].update(params or {})
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

    @property
    def metric_buffer(self) -> MetricBuffer:
        """The buffer whose series :func:`~._appender.run_appender`'s fast path appends to; its
        validating path must end in :meth:`append_metric`."""
        return self._buffer

    def _params_already_logged(self, run_id: str, params: Mapping[str, str]) -> bool:
        """True when every param already has this value (a no-op that needs no write)."""
        doc = self._run_doc(run_id)
        if doc["lifecycle_stage"] != LifecycleStage.ACTIVE:
            return False  # let the locked update raise RunStateError
        return all(doc["params"].get(k) == v for k, v in params.items())

    def delete_tag(self, run_id: str, key: str) -> None:
        def change(doc: dict[str, Any]) -> None:
            if key not in doc["tags"]:
                raise TagNotFoundError(f"Run {run_id} has no tag {key!r} to delete")
            del doc["tags"][key]

        self._change_run(run_id, change)

    def get_metric_history(self, run_id: str, key: str) -> MetricHistory:
        self._flush_quietly(run_id)
        self._run_doc(run_id)
        name = f"metrics/{run_id}"
        version = self._docs.version(name)
        cached = self._history_cache.get((run_id, key))
        if cached is not None and cached[0] == version:
            return cached[1]  # immutable, so every caller may share it
        with self._decoding(name):
            table = self._docs.read(name).get(key, {})
            history = MetricHistory.from_parts(key, metric_docs.history_parts(table, functools.partial(metric_docs.read_sealed, self._docs)))
        self._history_cache.put((run_id, key), (version, history), history.nbytes())
        return history

    def list_runs(self, experiment_ids: Sequence[str]) -> list[Run]:
        self._flush_quietly()
        wanted = {str(e) for e in experiment_ids}
        out: list[Run] = []
        for name in self._docs.names("runs/"):
            out.extend(r for r in self._shard_runs(name) if r.info.experiment_id in wanted)
        return out

    def search_rows(
        self,
        experiment_ids: Sequence[str],
        fields: Sequence[tuple[str, str]],
        keep: Callable[[Any], bool],
        stages: Collection[str] | None = None,
    ) -> list[Any]:
        """Light stand-ins for the runs of these experiments (in one of ``stages``, if given) that
        ``keep`` accepts, holding only ``fields`` (see :mod:`.run_index`); ``runs_of_rows`` turns
        some of them into runs."""
        self._flush_quietly()
        wanted = {str(e) for e in experiment_ids}
        fields = tuple(fields)
        out: list[Any] = []
        collecting = gc.isenabled()
        gc.disable()  # the scan allocates ~10 containers a run: full collections over them cost more than the scan
        try:
            for name in self._docs.names("runs/"):
                with self._decoding(name):
                    out.extend(run_index.shard_rows(self._docs, name, fields, keep, wanted, stages))
        finally:
            if collecting:
                gc.enable()
        return out

    def runs_of_rows(self, rows: Sequence[Any]) -> list[Run]:
        """The ``Run`` of each row returned by ``search_rows``."""
        read = getattr(self._docs, "read_sidecar", lambda name, reader: None)
        return run_index.runs_from_lines(
            list(rows), read, lambda name: self._docs.read(name).get("runs", {}).values(), self._decoding
        )

    def runs_version(self) -> Any:
        """Changes whenever any run or experiment does (a search may reuse its answer until then)."""
        self._flush_quietly()
        return self._docs.version("meta"), tuple((n, self._docs.version(n)) for n in self._docs.names("runs/"))

    def _shard_runs(self, name: str) -> list[Run]:
        version = self._docs.version(name)
        cached = self._runs_cache.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._decoding(name):
            runs = [_codec.run_from_doc(d) for d in self._docs.read(name).get("runs", {}).values()]
        self._runs_cache.put(name, (version, runs), _RUN_BYTES * len(runs))
        return runs

    def find_stale_runs(self, experiment_ids: Sequence[str] | None = None) -> list[str]:
        wanted = None if experiment_ids is None else {str(e) for e in experiment_ids}
        now = now_ms()
        stale = []
        for name in self._docs.names("runs/"):
            with self._decoding(name):
                for doc in self._docs.read(name).get("runs", {}).values():
                    if doc["status"] != RunStatus.RUNNING or (wanted and doc["experiment_id"] not in wanted):
                        continue
                    if run_docs.is_gone(doc, now, self._end_failed):
                        stale.append(doc["run_id"])
        return stale

    # -- metrics -------------------------------------------------------------------------
    def flush(self, run_id: str | None = None) -> None:
        """Write buffered points; raises the first run's failure (StoreWriteError...) after trying all."""
        self._buffer.flush(run_id)

    def _flush_quietly(self, run_id: str | None = None) -> None:
        """Before a read: write this process's points if possible. A failure never blocks the read
        of committed data; it stays recorded and is raised at the next log call or flush."""
        if run_id is None or self._buffer.has_points(run_id):
            self._buffer.flush(run_id, report=False)

    def _write_metrics(self, run_id: str, seq: int, batch: RunPoints) -> None:
        """Commit one batch of a run exactly once (see the module docstring's rule)."""
        name = f"metrics/{run_id}"
        try:
            self._check_still_active(run_id)
            seal = functools.partial(self._seal, run_id)
            writer = self._buffer.writer_id
            self._docs.update(name, lambda raw: metric_docs.append_batch(raw, writer, seq, batch, seal))
            name = run_docs.shard_of(run_id)
            self._change_run(run_id, lambda doc: metric_docs.update_latest(run_id, doc, batch, HEARTBEAT_EVERY_MS))
        except (RunNotFoundError, RunStateError) as exc:
            self._active_runs.discard(run_id)
            points = sum(map(len, batch.values()))
            raise DroppedPointsError(f"{points} metric points of run {run_id} were not stored: {exc}") from None
        except (StoreError, OSError) as exc:
            points = sum(map(len, batch.values()))
            path = getattr(exc, "path", None) or self._docs.describe(name)
            cause = exc.cause if isinstance(exc, StoreWriteError) else describe_os_error(exc)
            raise StoreWriteError(
                path, cause, f"{points} metric points of run {run_id} are kept in memory and retried."
            ) from exc

    def _check_still_active(self, run_id: str) -> None:
        """Points of a run deleted meanwhile (by any process) are refused, not silently kept."""
        if self._run_doc(run_id)["lifecycle_stage"] != LifecycleStage.ACTIVE:
            raise RunStateError(f"run {run_id} was deleted")

    def _seal(self, run_id: str, key: str, chunk_id: int, parts: Parts) -> dict[str, Any]:
        """Write a full chunk's packed columns to their own immutable file; the history keeps a reference."""
        name = metric_docs.sealed_chunk_name(run_id, key, chunk_id)
        self._docs.put_bytes(name, _columns.pack(*parts))
        return {"columns": name, "count": len(parts[2])}

    def close(self) -> None:
        self._buffer.close()

    # -- registry ------------------------------------------------------------------------
    def read_registry(self) -> Mapping[str, Any]:
        return self._docs.read("registry")

    def update_registry(self, fn: Callable[[dict[str, Any]], T]) -> T:
        return self._docs.update("registry", fn)

    # -- named documents of other services (sync's id mapping) ----------------------------
    def read_document(self, name: str) -> Mapping[str, Any]:
        """The JSON document ``name`` kept in the store for a service such as ``nbtrack sync``."""
        return self._docs.read(f"services/{name}")

    def update_document(self, name: str, fn: Callable[[dict[str, Any]], T]) -> T:
        """Apply ``fn`` to the document ``name`` under the store lock and persist it atomically."""
        return self._docs.update(f"services/{name}", fn)


_STORES: weakref.WeakSet[DocStore] = weakref.WeakSet()


def _reset_stores_in_child() -> None:
    for store in list(_STORES):
        store._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_stores_in_child)
