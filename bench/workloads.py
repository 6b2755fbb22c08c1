"""Benchmark workloads, one per function, run the same way for nbtrack and for MLflow.

Usage (one workload per fresh process; the driver ``bench/run.py`` does this)::

    python bench/workloads.py LIB WORKLOAD URI [name=value ...]

LIB is ``nbtrack`` or ``mlflow``. The last stdout line is one JSON object of results (times in
seconds). Each workload times only the operation it names: opening the store, creating the
experiment and first-call warm-ups happen before the clock starts and are reported apart.
Stdlib only, so it runs under both interpreters.
"""
from __future__ import annotations

import inspect
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adapters import Adapter, load_adapter  # noqa: E402

__all__ = ["WORKLOADS", "main"]

EXPERIMENT = "bench"
SEARCH_FILTER = "metrics.acc > 0.5 AND params.model = 'rf'"
SEARCH_ORDER = ["metrics.acc DESC"]
MODELS = ("rf", "lr", "svm", "knn")
_clock = time.perf_counter


def _now_ms() -> int:
    return int(time.time() * 1000)


def _open_experiment(a: Adapter) -> tuple[str, float]:
    """Open the store and make the benchmark experiment current; returns (id, seconds)."""
    t0 = _clock()
    exp = a.api.set_experiment(EXPERIMENT)
    return exp.experiment_id, _clock() - t0


def start_end(a: Adapter, n: int = 100) -> dict[str, Any]:
    """Start and end ``n`` empty runs through the fluent API; time per pair."""
    _, open_s = _open_experiment(a)
    a.api.start_run()
    a.api.end_run()  # first-call warm-up (lazy imports, prepared statements)
    t0 = _clock()
    for _ in range(n):
        a.api.start_run()
        a.api.end_run()
    total = _clock() - t0
    return {"per_op_s": total / n, "n": n, "total_s": total, "open_s": open_s}


def log_metric(a: Adapter, n: int = 20000) -> dict[str, Any]:
    """``n`` single ``log_metric`` calls in one run, then the flush.

    A buffering library (nbtrack) writes at ``flush()`` and ``end_run``, so both are inside
    its clock. MLflow writes inside each call; its ``end_run`` stays outside the clock, which
    can only make MLflow's per-call figure look better.
    """
    _, open_s = _open_experiment(a)
    a.api.start_run()
    a.api.log_metric("warmup", 0.0, step=0)
    t0 = _clock()
    for i in range(n):
        a.api.log_metric("loss", 1.0 / (i + 1), step=i)
    a.flush()
    flushed = _clock()
    a.api.end_run()
    total = (_clock() if a.buffered else flushed) - t0
    return {"per_op_s": total / n, "n": n, "total_s": total, "loop_flush_s": flushed - t0,
            "open_s": open_s}


def _log_points(a: Adapter, run_id: str, key: str, points: int, batch: int) -> None:
    ts = _now_ms()
    for start in range(0, points, batch):
        stop = min(points, start + batch)
        metrics = [a.metric(key, 1.0 / (i + 1), ts + i, i) for i in range(start, stop)]
        a.client.log_batch(run_id, metrics=metrics)


def history_setup(a: Adapter, points: int = 10000) -> dict[str, Any]:
    """One finished run holding a ``points``-point metric, written with log_batch."""
    exp_id, _ = _open_experiment(a)
    t0 = _clock()
    run = a.client.create_run(exp_id)
    run_id = run.info.run_id
    _log_points(a, run_id, "loss", points, 1000)  # MLflow caps a batch at 1000 metrics
    a.client.set_terminated(run_id)
    a.flush()
    return {"run_id": run_id, "setup_s": _clock() - t0, "points": points}


def history_read(a: Adapter, run_id: str, repeat: int = 5) -> dict[str, Any]:
    """Read the history in a fresh process: first read (cold) and the median of later reads."""
    a.client.get_run(run_id)  # open the store/connection; the history itself is not read yet
    t0 = _clock()
    points = a.client.get_metric_history(run_id, "loss")
    cold = _clock() - t0
    warm = _median_of(repeat, lambda: a.client.get_metric_history(run_id, "loss"))
    return {"cold_s": cold, "warm_s": warm, "points": len(points)}


def search_setup(a: Adapter, runs: int = 500) -> dict[str, Any]:
    """``runs`` finished runs with 5 params, 3 metrics and 2 tags each (fixed seed)."""
    exp_id, _ = _open_experiment(a)
    rng = random.Random(7)
    t0 = _clock()
    for i in range(runs):
        run_id = a.client.create_run(exp_id, run_name=f"run-{i}").info.run_id
        ts = _now_ms()
        params = {"model": MODELS[i % len(MODELS)], "depth": str(rng.randint(2, 12)),
                  "lr": f"{rng.random():.4f}", "seed": str(i), "features": "all"}
        metrics = [a.metric(k, rng.random(), ts, 0) for k in ("acc", "f1", "loss")]
        a.client.log_batch(run_id, metrics=metrics,
                           params=[a.param(k, v) for k, v in params.items()])
        a.client.set_tag(run_id, "team", "bench")
        a.client.set_tag(run_id, "batch", str(i // 100))
        a.client.set_terminated(run_id)
    a.flush()
    return {"experiment_id": exp_id, "setup_s": _clock() - t0, "runs": runs}


def search_read(a: Adapter, experiment_id: str, repeat: int = 5) -> dict[str, Any]:
    """search_runs with a filter and order_by: first call in a fresh process, then warm calls."""
    a.client.get_experiment(experiment_id)  # open the store/connection first

    def search() -> list[Any]:
        return list(a.client.search_runs([experiment_id], filter_string=SEARCH_FILTER,
                                         order_by=SEARCH_ORDER, max_results=1000))

    t0 = _clock()
    found = search()
    cold = _clock() - t0
    warm = _median_of(repeat, search)
    accs = [r.data.metrics["acc"] for r in found]
    return {"cold_s": cold, "warm_s": warm, "count": len(found),
            "ordered": accs == sorted(accs, reverse=True)}


def bigstore_setup(a: Adapter, runs: int = 5000, points: int = 1_000_000) -> dict[str, Any]:
    """Fill a store with ``runs`` finished runs and ``points`` metric points in all.

    nbtrack: public client API, one log_batch per run. MLflow: bulk copies of a template run
    (see ``mlflow_bulk``), because its API would need hours for a million points here.
    """
    exp_id, _ = _open_experiment(a)
    per_run = points // runs
    t0 = _clock()
    if a.name == "mlflow":
        import mlflow_bulk

        method = mlflow_bulk.fill(a, exp_id, runs, per_run)
    else:
        _fill_with_api(a, exp_id, runs, per_run)
        method = "client API: create_run, one log_batch per run, set_terminated"
    a.flush()
    return {"setup_s": _clock() - t0, "runs": runs, "points": per_run * runs, "method": method}


def _fill_with_api(a: Adapter, exp_id: str, runs: int, per_run: int) -> None:
    params = [a.param(f"p{k}", str(k)) for k in range(10)]
    for i in range(runs):
        run_id = a.client.create_run(exp_id, run_name=f"old-{i}").info.run_id
        ts = _now_ms()
        metrics = [a.metric(("loss", "acc")[j % 2], 1.0 / (j + 1), ts + j, j // 2)
                   for j in range(per_run)]
        a.client.log_batch(run_id, metrics=metrics, params=params)
        a.client.set_terminated(run_id)


def new_run(a: Adapter, metrics: int = 100, runs: int = 5) -> dict[str, Any]:
    """A new run's writes (start, 10 params, ``metrics`` log_metric calls, end), ``runs``
    times in this process; the median, since one ~10 ms run is at the mercy of the machine."""
    _, open_s = _open_experiment(a)
    times = []
    for _ in range(runs):
        t0 = _clock()
        a.api.start_run()
        a.api.log_params({f"p{k}": str(k) for k in range(10)})
        for i in range(metrics):
            a.api.log_metric("loss", 1.0 / (i + 1), step=i)
        a.api.end_run()
        times.append(_clock() - t0)
    return {"write_s": statistics.median(times), "times_s": times, "open_s": open_s}


def _median_of(repeat: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        t0 = _clock()
        fn()
        times.append(_clock() - t0)
    return statistics.median(times)


WORKLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    f.__name__: f
    for f in (start_end, log_metric, history_setup, history_read, search_setup, search_read,
              bigstore_setup, new_run)
}


def _parse_kwargs(fn: Callable[..., Any], items: list[str]) -> dict[str, Any]:
    """``name=value`` strings to keyword arguments; ints where the parameter's default is one."""
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in params:
            raise SystemExit(f"bad argument {item!r} for {fn.__name__}: expected one of "
                             f"{[p for p in params if p != 'a']} as name=value")
        kwargs[key] = int(value) if isinstance(params[key].default, int) else value
    return kwargs


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] not in WORKLOADS:
        raise SystemExit(f"usage: workloads.py LIB {{{'|'.join(WORKLOADS)}}} URI [name=value ...]")
    lib, workload, uri = argv[:3]
    fn = WORKLOADS[workload]
    kwargs = _parse_kwargs(fn, argv[3:])
    result = fn(load_adapter(lib, uri), **kwargs)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
