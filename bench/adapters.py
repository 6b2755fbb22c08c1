"""Each tracking library behind one small interface of the operations the workloads time.

nbtrack and MLflow share one implementation (nbtrack keeps MLflow's verb names, so only the
client class and ``flush()`` differ); Trackio and Aim map the same operations onto their own
APIs, the way their docs show them. Which operations a library lacks is said by
``unsupported`` (the workload then reports why instead of a time). This module runs under
every library's interpreter: stdlib only.
"""
from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["Adapter", "load_adapter", "REPO_ROOT", "LIBRARIES"]

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = "bench"
LIBRARIES = ("nbtrack", "mlflow", "trackio", "aim")


def _now_ms() -> int:
    return int(time.time() * 1000)


class Adapter:
    """One tracking library opened on one store location."""

    name = ""
    #: True if logged metrics wait in memory until a flush (then run end is a write too).
    buffered = False
    #: Operation name -> why this library cannot do it.
    unsupported: dict[str, str] = {}

    def __init__(self, uri: str) -> None:
        self.uri = uri

    # The operations every workload is written in.
    def open_experiment(self) -> str:
        """Open the store and make the benchmark experiment (project) current; its id."""
        raise NotImplementedError

    def start_run(self, name: str | None = None, params: dict[str, str] | None = None) -> None:
        raise NotImplementedError

    def log_metric(self, key: str, value: float, step: int) -> None:
        raise NotImplementedError

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        raise NotImplementedError

    def end_run(self) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Make every logged metric durable (a no-op where logging is synchronous)."""

    def write_history(self, key: str, points: int) -> str:
        """A finished run holding ``points`` points of ``key``; returns its id."""
        raise NotImplementedError

    def read_history(self, run_id: str, key: str) -> Sequence[float]:
        """Every value of the metric, materialised as the library's users get them."""
        raise NotImplementedError

    def search(self, experiment_id: str) -> list[float]:
        """Runs with acc > 0.5 and model = rf, best acc first: their acc values."""
        raise NotImplementedError


class _MlflowLike(Adapter):
    """nbtrack and MLflow: the same MLflow verbs on ``api`` (fluent) and ``client``."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.api: Any = None
        self.entities: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        raise NotImplementedError

    def metric(self, key: str, value: float, timestamp: int, step: int) -> Any:
        return self.entities.Metric(key, value, timestamp, step)

    def param(self, key: str, value: str) -> Any:
        return self.entities.Param(key, value)

    def open_experiment(self) -> str:
        return self.api.set_experiment(EXPERIMENT).experiment_id

    def start_run(self, name: str | None = None, params: dict[str, str] | None = None) -> None:
        self.api.start_run(run_name=name)
        if params:
            self.api.log_params(params)

    def log_metric(self, key: str, value: float, step: int) -> None:
        self.api.log_metric(key, value, step=step)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self.api.log_metrics(metrics, step=step)

    def end_run(self) -> None:
        self.api.end_run()

    def write_history(self, key: str, points: int) -> str:
        exp_id = self.open_experiment()
        run_id = self.client.create_run(exp_id).info.run_id
        ts = _now_ms()
        for start in range(0, points, 1000):  # MLflow caps a batch at 1000 metrics
            batch = [self.metric(key, 1.0 / (i + 1), ts + i, i) for i in range(start, min(points, start + 1000))]
            self.client.log_batch(run_id, metrics=batch)
        self.client.set_terminated(run_id)
        self.flush()
        return run_id

    def read_history(self, run_id: str, key: str) -> Sequence[float]:
        return [m.value for m in self.client.get_metric_history(run_id, key)]

    def write_history_bulk(self, key: str, points: int) -> str:
        import mlflow_bulk

        return mlflow_bulk.fill_history(self, self.open_experiment(), key, points)

    def search(self, experiment_id: str) -> list[float]:
        found = self.client.search_runs([experiment_id], filter_string="metrics.acc > 0.5 AND params.model = 'rf'",
                                        order_by=["metrics.acc DESC"], max_results=1000)
        return [r.data.metrics["acc"] for r in found]

    def open_run_store(self, run_id: str) -> None:
        self.client.get_run(run_id)

    def open_search_store(self, experiment_id: str) -> None:
        self.client.get_experiment(experiment_id)


class _Nbtrack(_MlflowLike):
    name = "nbtrack"
    buffered = True

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        self.api = importlib.import_module("nbtrack")
        self.entities = importlib.import_module("nbtrack.entities")
        self.api.set_tracking_uri(uri)

    def _make_client(self) -> Any:
        return self.api.TrackingClient(self.uri)

    def flush(self) -> None:
        self.api.flush()

    def write_history_bulk(self, key: str, points: int) -> str:
        return self.write_history(key, points)  # log_batch through the client is fast enough

    def read_history(self, run_id: str, key: str) -> Sequence[float]:
        # The history is column-backed: its values are one packed float64 array (array('d')),
        # every value in the caller's hands without importing numpy or making a float per point.
        return self.client.get_metric_history(run_id, key).values

    def hold_flushes(self) -> None:
        """Keep every logged point in the buffer until the run ends (to weigh buffered points)."""
        from nbtrack.store import _metric_buffer

        _metric_buffer.FLUSH_INTERVAL_S = 10**6
        _metric_buffer.BACKLOG_POINTS = 10**12


class _Mlflow(_MlflowLike):
    name = "mlflow"

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        # No network here, and no library phones home in any column.
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        os.environ.setdefault("DO_NOT_TRACK", "true")
        self.api = importlib.import_module("mlflow")
        self.entities = importlib.import_module("mlflow.entities")
        self.api.set_tracking_uri(uri)

    def _make_client(self) -> Any:
        return self.api.MlflowClient(self.uri)

    def flush(self) -> None:
        # Logging is synchronous unless MLFLOW_ENABLE_ASYNC_LOGGING is set; this makes sure.
        flush_async = getattr(self.api, "flush_async_logging", None)
        if flush_async is not None:
            flush_async()


class _Trackio(Adapter):
    """Trackio: a project is the experiment, params are the run's ``config`` given at ``init``.

    Its store is one SQLite database per project under ``TRACKIO_DIR`` (set to ``uri``);
    ``log`` queues rows that a background thread writes about every half second, and
    ``finish`` waits for them.
    """

    name = "trackio"
    buffered = True
    unsupported = {"search": "no run search API (runs are listed per project; filtering is the caller's)"}

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        os.environ["TRACKIO_DIR"] = uri
        os.environ.setdefault("DO_NOT_TRACK", "true")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.tk = importlib.import_module("trackio")
        self._storage: Any = None
        self._params: dict[str, str] = {}
        self._run_name: str | None = None
        self._started = False

    def open_experiment(self) -> str:
        return EXPERIMENT

    def start_run(self, name: str | None = None, params: dict[str, str] | None = None) -> None:
        # Trackio takes a run's params (its config) at init, as its docs show.
        self.tk.init(project=EXPERIMENT, name=name, config=dict(params or {}), embed=False)

    def log_metric(self, key: str, value: float, step: int) -> None:
        self.tk.log({key: value}, step=step)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self.tk.log(metrics, step=step)

    def end_run(self) -> None:
        self.tk.finish()

    def write_history(self, key: str, points: int) -> str:
        name = f"history-{points}"
        self.start_run(name)
        for i in range(points):
            self.tk.log({key: 1.0 / (i + 1)}, step=i)
        self.end_run()
        return name

    def write_history_bulk(self, key: str, points: int) -> str:
        """Rows through Trackio's own ``bulk_log`` (what its background sender calls)."""
        name = f"history-{points}"
        self.start_run(name)
        self.end_run()
        self.bulk_points(name, points, (key,))
        return name

    def bulk_points(self, run: str, steps: int, keys: tuple[str, ...] = ("loss", "acc")) -> None:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S")
        for start in range(0, steps, 10_000):
            chunk = list(range(start, min(steps, start + 10_000)))
            self._store().bulk_log(project=EXPERIMENT, run=run, steps=chunk, timestamps=[ts] * len(chunk),
                                   metrics_list=[dict.fromkeys(keys, 1.0 / (i + 1)) for i in chunk])

    def bulk_points_many(self, runs: list[str], steps: int) -> None:
        """The rows ``bulk_log`` would write for each run, in one transaction (the same INSERT;
        5,000 separate ``bulk_log`` calls cost ~0.15 s each on this loaded machine)."""
        import orjson  # Trackio's own dependency

        store = self._store()
        ts = time.strftime("%Y-%m-%dT%H:%M:%S")
        rows = [(ts, run, run, j, orjson.dumps({"loss": 1.0 / (j + 1), "acc": 1.0 / (j + 1)}), None, None)
                for run in runs for j in range(steps)]
        with store._get_connection(store.init_db(EXPERIMENT)) as conn:
            conn.executemany("INSERT OR IGNORE INTO metrics (timestamp, run_id, run_name, step, metrics, log_id, "
                             "space_id) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def _store(self) -> Any:
        if self._storage is None:
            self._storage = importlib.import_module("trackio.sqlite_storage").SQLiteStorage
        return self._storage

    def open_run_store(self, run_id: str) -> None:
        self._store().get_runs(EXPERIMENT)

    def read_history(self, run_id: str, key: str) -> Sequence[float]:
        rows = self._store().get_metric_values(EXPERIMENT, run_id, key)
        return [r["value"] for r in rows]


class _Aim(Adapter):
    """Aim: a ``Repo`` folder at ``uri``; a ``Run`` per run, params as ``run["hparams"]``.

    ``track`` writes each point into the run's RocksDB container; search is Aim's query
    language over run objects (``repo.query_runs``).
    """

    name = "aim"
    unsupported = {"search": "`Repo.query_runs` found none of the runs its own API had just written, "
                             "in a fresh process (3.29.1: runs are not indexed yet)"}

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        os.environ.setdefault("DO_NOT_TRACK", "true")
        self.aim = importlib.import_module("aim")
        self.repo_path = uri
        self.run: Any = None
        self._repo: Any = None

    def open_experiment(self) -> str:
        if not os.path.isdir(os.path.join(self.repo_path, ".aim")):
            self.aim.Repo.from_path(self.repo_path, init=True)
        return EXPERIMENT

    def start_run(self, name: str | None = None, params: dict[str, str] | None = None) -> None:
        self.run = self.aim.Run(repo=self.repo_path, experiment=EXPERIMENT, system_tracking_interval=None,
                                capture_terminal_logs=False, log_system_params=False)
        if name:
            self.run.name = name
        if params:
            self.run["hparams"] = dict(params)

    def log_metric(self, key: str, value: float, step: int) -> None:
        self.run.track(value, name=key, step=step)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self.run.track(metrics, step=step)

    def end_run(self) -> None:
        self.run.close()
        self.run = None

    def write_history(self, key: str, points: int) -> str:
        self.start_run(f"history-{points}")
        run_hash = self.run.hash
        for i in range(points):
            self.run.track(1.0 / (i + 1), name=key, step=i)
        self.end_run()
        return run_hash

    def _repo_open(self) -> Any:
        if self._repo is None:
            self._repo = self.aim.Repo.from_path(self.repo_path)
        return self._repo

    def open_run_store(self, run_id: str) -> None:
        self._repo_open()

    def read_history(self, run_id: str, key: str) -> Sequence[float]:
        # A read_only Run sees no metrics of an unindexed run here, so the run is reopened.
        run = self.aim.Run(run_hash=run_id, repo=self.repo_path, system_tracking_interval=None,
                           capture_terminal_logs=False, log_system_params=False)
        for metric in run.metrics():
            if metric.name == key:
                return metric.values.values_list()
        return []

    def open_search_store(self, experiment_id: str) -> None:
        self._repo_open()

    def search(self, experiment_id: str) -> list[float]:
        query = "run.hparams.model == 'rf' and run.acc > 0.5"
        found = [(r.run["acc"]) for r in self._repo_open().query_runs(query, report_mode=0).iter_runs()]
        return sorted(found, reverse=True)[:1000]


def load_adapter(lib: str, uri: str) -> Adapter:
    """Open ``lib`` (one of ``LIBRARIES``) on the store at ``uri``."""
    classes = {"nbtrack": _Nbtrack, "mlflow": _Mlflow, "trackio": _Trackio, "aim": _Aim}
    if lib not in classes:
        raise ValueError(f"unknown library {lib!r}: expected one of {LIBRARIES}")
    return classes[lib](uri)
