"""Benchmark workloads, one per function, run the same way for every library.

Usage (one workload per fresh process; the driver ``bench/run.py`` does this)::

    python bench/workloads.py LIB WORKLOAD URI [name=value ...]

LIB is one of ``adapters.LIBRARIES``. The last stdout line is one JSON object of results
(times in seconds, memory in bytes). Each workload times only the operation it names: opening
the store, creating the experiment and first-call warm-ups happen before the clock starts and
are reported apart. Stdlib only, so it runs under every library's interpreter.
"""
from __future__ import annotations

import gc
import inspect
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adapters import Adapter, load_adapter  # noqa: E402
from search_data import search_runs_data  # noqa: E402

__all__ = ["WORKLOADS", "main"]

_clock = time.perf_counter
THREE_PARAMS = {"lr": "0.01", "model": "rf", "depth": "6"}


def _median_of(repeat: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        t0 = _clock()
        fn()
        times.append(_clock() - t0)
    return statistics.median(times)


def _rss() -> int:
    """Resident set size now, in bytes (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def start_params_end(a: Adapter, n: int = 100) -> dict[str, Any]:
    """``n`` runs, each started, given 3 params and ended; time per run."""
    a.open_experiment()
    a.start_run(params=THREE_PARAMS)
    a.end_run()  # first-call warm-up (lazy imports, prepared statements)
    t0 = _clock()
    for _ in range(n):
        a.start_run(params=THREE_PARAMS)
        a.end_run()
    total = _clock() - t0
    return {"per_op_s": total / n, "n": n, "total_s": total}


def _floor(n: int) -> float:
    """The physical floor of buffered logging: appending ``(step, value, time.time())``
    through one function call; seconds per call."""
    buf: list[tuple[int, float, float]] = []
    now = time.time

    def log(value: float, step: int) -> None:
        buf.append((step, value, now()))

    t0 = _clock()
    for i in range(n):
        log(1.0 / (i + 1), i)
    return (_clock() - t0) / n


def log_metric(a: Adapter, n: int = 100_000) -> dict[str, Any]:
    """``n`` single ``log_metric`` calls in one run, then the flush and the run end.

    A buffering library writes in the background, at ``flush()`` and at run end, so all of
    them are inside its clock. A synchronous library (MLflow) writes inside each call; its
    run end stays outside the clock, which can only flatter it. The floor is measured in the
    same process, just before.
    """
    floor = _floor(n)
    a.open_experiment()
    a.start_run()
    a.log_metric("warmup", 0.0, 0)
    t0 = _clock()
    for i in range(n):
        a.log_metric("loss", 1.0 / (i + 1), i)
    loop = _clock() - t0
    a.flush()
    flushed = _clock()
    a.end_run()
    total = (_clock() if a.buffered else flushed) - t0
    return {"per_op_s": total / n, "n": n, "total_s": total, "loop_s": loop, "floor_s": floor,
            "x_floor": total / n / floor}


def log_metrics(a: Adapter, n: int = 10_000, keys: int = 10) -> dict[str, Any]:
    """``n`` calls of ``log_metrics`` with ``keys`` metrics each; time per point."""
    floor = _floor(n * keys)
    a.open_experiment()
    a.start_run()
    names = [f"m{k}" for k in range(keys)]
    a.log_metrics(dict.fromkeys(names, 0.0), 0)
    t0 = _clock()
    for i in range(n):
        v = 1.0 / (i + 1)
        a.log_metrics({k: v for k in names}, i + 1)
    a.flush()
    flushed = _clock()
    a.end_run()
    total = (_clock() if a.buffered else flushed) - t0
    points = n * keys
    return {"per_op_s": total / points, "n": n, "keys": keys, "total_s": total, "floor_s": floor,
            "x_floor": total / points / floor}


def history_setup(a: Adapter, points: int = 10_000, bulk: int = 0) -> dict[str, Any]:
    """One finished run holding a ``points``-point metric (written in bulk if ``bulk``)."""
    a.open_experiment()
    t0 = _clock()
    run_id = a.write_history_bulk("loss", points) if bulk else a.write_history("loss", points)  # type: ignore[attr-defined]
    return {"run_id": run_id, "setup_s": _clock() - t0, "points": points}


def history_read(a: Adapter, run_id: str, repeat: int = 5) -> dict[str, Any]:
    """Read every value of the history in a fresh process: the first read and later reads."""
    a.open_run_store(run_id)  # open the store/connection; the history itself is not read yet
    t0 = _clock()
    values = a.read_history(run_id, "loss")
    cold = _clock() - t0
    warm = _median_of(repeat, lambda: a.read_history(run_id, "loss"))
    return {"cold_s": cold, "warm_s": warm, "points": len(values), "sum": float(sum(values))}


def search_setup(a: Adapter, runs: int = 500, bulk: int = 0) -> dict[str, Any]:
    """``runs`` finished runs (``search_data``): through the API, or in bulk if ``bulk``."""
    exp_id = a.open_experiment()
    t0 = _clock()
    if bulk:
        if a.name == "nbtrack":
            import nbtrack_bulk

            method = nbtrack_bulk.fill_search(a, exp_id, runs)
        else:
            import mlflow_bulk

            method = mlflow_bulk.fill_search(a, exp_id, runs)
    else:
        for r in search_runs_data(runs):
            a.start_run(r.name, r.params)
            a.log_metrics(r.metrics, 0)
            _tag(a, r.tags, r.metrics)
            a.end_run()
        a.flush()
        method = "the library's API"
    return {"experiment_id": exp_id, "setup_s": _clock() - t0, "runs": runs, "method": method}


def _tag(a: Adapter, tags: dict[str, str], metrics: dict[str, float]) -> None:
    if a.name == "aim":
        a.run["tags"] = tags  # type: ignore[attr-defined]
        for key, value in metrics.items():
            a.run[key] = value  # type: ignore[attr-defined]  # Aim's run query sees attributes
    elif hasattr(a, "api"):
        a.api.set_tags(tags)  # type: ignore[attr-defined]


def search_read(a: Adapter, experiment_id: str, repeat: int = 5) -> dict[str, Any]:
    """The filtered, ordered search: first call in a fresh process, then warm calls."""
    a.open_search_store(experiment_id)  # type: ignore[attr-defined]
    t0 = _clock()
    accs = a.search(experiment_id)
    cold = _clock() - t0
    warm = _median_of(repeat, lambda: a.search(experiment_id))
    return {"cold_s": cold, "warm_s": warm, "count": len(accs),
            "ordered": accs == sorted(accs, reverse=True), "first": accs[:3]}


def bigstore_setup(a: Adapter, runs: int = 5000, points: int = 1_000_000) -> dict[str, Any]:
    """Fill a store with ``runs`` finished runs and ``points`` metric points in all.

    nbtrack: its public client, one log_batch per run. MLflow: bulk copies of a template run
    (``mlflow_bulk``), because its API would need most of an hour here.
    """
    exp_id = a.open_experiment()
    per_run = points // runs
    t0 = _clock()
    if a.name == "mlflow":
        import mlflow_bulk

        method = mlflow_bulk.fill(a, exp_id, runs, per_run)
    elif a.name == "nbtrack":
        _fill_with_api(a, exp_id, runs, per_run)
        method = "client API: create_run, one log_batch per run, set_terminated"
    else:  # Trackio: runs through its API, their points as the rows its own bulk_log writes
        for i in range(runs):
            a.start_run(f"old-{i}", {f"p{k}": str(k) for k in range(10)})
            a.end_run()
        a.bulk_points_many([f"old-{i}" for i in range(runs)], per_run // 2)  # type: ignore[attr-defined]
        method = "init with 10 params + finish per run; points (2 keys a row) as the rows of its `bulk_log`, one transaction"
    a.flush()
    return {"setup_s": _clock() - t0, "runs": runs, "points": per_run * runs, "method": method}


def _fill_with_api(a: Any, exp_id: str, runs: int, per_run: int) -> None:
    params = [a.param(f"p{k}", str(k)) for k in range(10)]
    for i in range(runs):
        run_id = a.client.create_run(exp_id, run_name=f"old-{i}").info.run_id
        ts = int(time.time() * 1000)
        metrics = [a.metric(("loss", "acc")[j % 2], 1.0 / (j + 1), ts + j, j // 2) for j in range(per_run)]
        a.client.log_batch(run_id, metrics=metrics, params=params)
        a.client.set_terminated(run_id)


def new_run(a: Adapter, metrics: int = 100, runs: int = 5) -> dict[str, Any]:
    """A new run's writes (start, 10 params, ``metrics`` log_metric calls, end), ``runs``
    times in this process; the median, since one ~10 ms run is at the mercy of the machine."""
    t0 = _clock()
    a.open_experiment()
    open_s = _clock() - t0
    times = []
    for _ in range(runs):
        t0 = _clock()
        a.start_run(params={f"p{k}": str(k) for k in range(10)})
        for i in range(metrics):
            a.log_metric("loss", 1.0 / (i + 1), i)
        a.end_run()
        times.append(_clock() - t0)
    return {"write_s": statistics.median(times), "times_s": times, "open_s": open_s}


def memory(a: Adapter, points: int = 1_000_000) -> dict[str, Any]:
    """RSS while logging ``points`` points with log_metric in one run, and after it ends."""
    a.open_experiment()
    a.start_run()
    a.log_metric("warmup", 0.0, 0)
    a.flush()
    gc.collect()
    before, peak_before = _rss(), _peak_rss()
    peak = before
    for i in range(points):
        a.log_metric("loss", 1.0 / (i + 1), i)
        if i % 10_000 == 0:
            peak = max(peak, _rss())
    peak = max(peak, _rss())
    a.end_run()
    gc.collect()
    after = _rss()
    if _peak_rss() > peak_before:  # the kernel's own peak, if logging set a new one
        peak = max(peak, _peak_rss())
    return {"before_b": before, "peak_b": peak, "after_b": after, "points": points,
            "peak_growth_b": peak - before, "final_growth_b": after - before}


def buffer_memory(a: Adapter, points: int = 1_000_000) -> dict[str, Any]:
    """nbtrack only: RSS per *buffered* point (the flusher held back, so all ``points`` wait in
    memory), then RSS after the run ended (every point written) and ``gc.collect()``."""
    a.hold_flushes()  # type: ignore[attr-defined]
    a.open_experiment()
    a.start_run()
    a.log_metric("warmup", 0.0, 0)
    a.end_run()
    a.start_run()
    a.log_metric("loss", 0.0, 0)
    gc.collect()
    before = _rss()
    for i in range(1, points):
        a.log_metric("loss", 1.0 / (i + 1), i)
    buffered = _rss() - before
    a.end_run()
    gc.collect()
    after = _rss()
    return {"points": points, "before_b": before, "buffered_b": buffered, "per_point_b": buffered / points,
            "final_growth_b": after - before}


WORKLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    f.__name__: f
    for f in (start_params_end, log_metric, log_metrics, history_setup, history_read, search_setup,
              search_read, bigstore_setup, new_run, memory, buffer_memory)
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
    result["load1"] = _load1()
    print(json.dumps(result))


def _load1() -> float:
    try:
        with open("/proc/loadavg") as fh:
            return float(fh.read().split()[0])
    except OSError:
        return -1.0


if __name__ == "__main__":
    main(sys.argv[1:])
