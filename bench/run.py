"""Benchmark nbtrack beside MLflow (sqlite and file stores), Trackio and Aim; write bench/README.md.

    python bench/run.py                 # full run (~25 min on an idle 2-core machine), rewrites the README block
    python bench/run.py --quick         # small sizes, one repeat: a smoke test (README untouched)
    python bench/run.py --only search   # a subset (README untouched)

``setup_peers.py`` creates one venv per peer first (pip only, once). Every measurement runs
``workloads.py`` in a fresh subprocess on a fresh temporary store (big stores are built once per
library and then measured from several fresh processes); the tools take turns on every repeat,
and each result records the 1-minute load average. Raw numbers go to ``bench/out/results.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import setup_peers  # noqa: E402
from report import Row, load_average, machine_lines, render_chart, render_table, splice_readme  # noqa: E402

__all__ = ["main"]

Results = dict[str, list[dict[str, Any]]]  # backend label -> one result per repeat


@dataclass
class Sizes:
    """Sizes per workload; dicts are per library (slow synchronous peers get fewer calls)."""

    repeat: int = 3
    repeat_heavy: int = 2
    import_repeat: int = 3
    start_end_n: dict[str, int] = field(default_factory=lambda: {
        "nbtrack": 100, "mlflow": 30, "trackio": 100, "aim": 5})
    log_metric_n: dict[str, int] = field(default_factory=lambda: {
        "nbtrack": 100_000, "mlflow": 300, "trackio": 100_000, "aim": 2000})
    log_metrics_n: dict[str, int] = field(default_factory=lambda: {  # calls of 10 keys
        "nbtrack": 10_000, "mlflow": 30, "trackio": 10_000, "aim": 200})
    history_small: int = 10_000
    history_big: int = 1_000_000
    search_small: int = 500
    search_big: int = 100_000
    big_runs: int = 5000
    big_points: int = 1_000_000
    memory_points: dict[str, int] = field(default_factory=lambda: {
        "nbtrack": 1_000_000, "mlflow": 3000, "trackio": 200_000, "aim": 3000})


QUICK = Sizes(repeat=1, repeat_heavy=1, import_repeat=2,
              start_end_n={"nbtrack": 20, "mlflow": 5, "trackio": 20, "aim": 2},
              log_metric_n={"nbtrack": 100_000, "mlflow": 50, "trackio": 20_000, "aim": 200},
              log_metrics_n={"nbtrack": 10_000, "mlflow": 5, "trackio": 2000, "aim": 20},
              history_small=2000, history_big=100_000, search_small=40, search_big=2000,
              big_runs=100, big_points=20_000,
              memory_points={"nbtrack": 200_000, "mlflow": 500, "trackio": 50_000, "aim": 500})


@dataclass
class Backend:
    label: str
    lib: str
    scheme: str  # "path", "sqlite" or "file"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return Path(sys.executable) if self.lib == "nbtrack" else setup_peers.venv_python(self.lib)

    def uri(self, folder: Path) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{folder}/mlflow.db"
        if self.scheme == "file":
            return f"file://{folder}/mlruns"
        return str(folder / f"{self.lib}-store")


ALL_BACKENDS = [
    Backend("nbtrack", "nbtrack", "path"),
    Backend("mlflow-sqlite", "mlflow", "sqlite"),
    # MLflow 3.x refuses the file store ("maintenance mode") unless this opt-out is set.
    Backend("mlflow-file", "mlflow", "file", {"MLFLOW_ALLOW_FILE_STORE": "true"}),
    Backend("trackio", "trackio", "path"),
    Backend("aim", "aim", "path"),
]


def run_workload(b: Backend, workload: str, folder: Path, **kwargs: Any) -> dict[str, Any]:
    """Run one workload in a fresh process; returns its JSON result."""
    args = [str(b.python), str(HERE / "workloads.py"), b.lib, workload, b.uri(folder)]
    args += [f"{k}={v}" for k, v in kwargs.items()]
    env = {**os.environ, **b.env}
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=2400)
    if done.returncode != 0:
        raise RuntimeError(f"{b.label} {workload} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fresh(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"nbtrack-bench-{prefix}-"))


def fresh_run(b: Backend, workload: str, **kwargs: Any) -> dict[str, Any]:
    """One workload on a fresh temporary store, removed afterwards."""
    folder = _fresh(b.label)
    try:
        return run_workload(b, workload, folder, **kwargs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def round_robin(bs: list[Backend], repeat: int, fn: Callable[[Backend], dict[str, Any]]) -> Results:
    """``repeat`` calls of ``fn`` per backend, taking turns (the order alternates every
    repeat), so load from other work on the shared machine falls on every column alike."""
    out: Results = {b.label: [] for b in bs}
    for i in range(repeat):
        for b in (bs if i % 2 == 0 else bs[::-1]):
            out[b.label].append(fn(b))
    return out


class SetUpStores:
    """One set-up store per backend, kept until the ``with`` block ends."""

    def __init__(self, bs: list[Backend], workload: str, **kwargs: Any) -> None:
        self.bs, self.workload, self.kwargs = bs, workload, kwargs
        self.folders: dict[str, Path] = {}
        self.setup: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> SetUpStores:
        for b in self.bs:
            self.folders[b.label] = _fresh(b.label)
            self.setup[b.label] = run_workload(b, self.workload, self.folders[b.label], **self.kwargs)
        # Write back the setup's dirty pages now, so no measured fsync waits behind them.
        os.sync()
        return self

    def __exit__(self, *exc: object) -> None:
        for folder in self.folders.values():
            shutil.rmtree(folder, ignore_errors=True)


def only(bs: list[Backend], why: dict[str, str]) -> tuple[list[Backend], dict[str, str]]:
    """The backends not excused by ``why`` (label or lib -> reason), and the reasons by label."""
    skipped = {b.label: why.get(b.label) or why[b.lib] for b in bs if b.label in why or b.lib in why}
    return [b for b in bs if b.label not in skipped], skipped


# -- the workloads ---------------------------------------------------------------------------
def bench_import(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    """``python -c "import x"`` minus ``python -c pass``, interleaved; every repeat a sample."""
    modules = {"nbtrack": "nbtrack", "mlflow": "mlflow", "trackio": "trackio", "aim": "aim"}
    libs = {b.lib: b for b in bs}
    samples: dict[str, list[dict[str, Any]]] = {lib: [] for lib in libs}
    env_nb = {**os.environ, "PYTHONPATH": str(REPO)}
    for i in range(s.import_repeat):
        for lib, b in (list(libs.items()) if i % 2 == 0 else list(libs.items())[::-1]):
            env = env_nb if lib == "nbtrack" else dict(os.environ)
            bare = _time_cmd([str(b.python), "-c", "pass"], env)
            imp = _time_cmd([str(b.python), "-c", f"import {modules[lib]}"], env)
            samples[lib].append({"s": imp - bare, "load1": float(load_average())})
    raw["import"] = samples
    return [Row("`import` (fresh interpreter, minus bare start)",
                {b.label: samples[b.lib] for b in bs}, "s",
                notes=["import: one MLflow figure serves both store columns (importing opens no store)."])]


def _time_cmd(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), check=True, capture_output=True)
    return time.perf_counter() - t0


def bench_start_end(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    res = round_robin(bs, s.repeat, lambda b: fresh_run(b, "start_params_end", n=s.start_end_n[b.lib]))
    raw["start_params_end"] = res
    n = ", ".join(f"{k} {v}" for k, v in s.start_end_n.items())
    return [Row(f"run start + 3 params + end, per run (runs per process: {n})", res, "per_op_s",
                target="≤ Trackio", met=lambda v: _le(v, "nbtrack", "trackio"))]


def bench_log_metric(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    res = round_robin(bs, s.repeat, lambda b: fresh_run(b, "log_metric", n=s.log_metric_n[b.lib]))
    raw["log_metric"] = res
    n = ", ".join(f"{k} {v:,}" for k, v in s.log_metric_n.items())
    floor = Row("`log_metric` ÷ floor (appending (step, value, time.time()) through a call, same process)",
                res, "x_floor", kind="x", target="nbtrack ≤ 3×", met=lambda v: _at_most(v, "nbtrack", 3))
    return [Row(f"`log_metric` per call, flush and run end included (calls: {n})", res, "per_op_s"), floor]


def bench_log_metrics(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    res = round_robin(bs, s.repeat, lambda b: fresh_run(b, "log_metrics", n=s.log_metrics_n[b.lib]))
    raw["log_metrics"] = res
    lm = raw.get("log_metric", {}).get("nbtrack")
    single = statistics.median(r["per_op_s"] for r in lm) if lm else None
    n = ", ".join(f"{k} {v:,}" for k, v in s.log_metrics_n.items())
    floor = Row("`log_metrics` per point ÷ floor (the same floor, measured in its process)", res, "x_floor",
                kind="x", target="nbtrack ≤ 3×", met=lambda v: _at_most(v, "nbtrack", 3))
    return [Row(f"`log_metrics` with 10 keys, per point (calls: {n})", res, "per_op_s",
                target="nbtrack ≤ its `log_metric`",
                met=lambda v: None if single is None or v.get("nbtrack") is None else v["nbtrack"] <= single), floor]


def _history_once(b: Backend, points: int, bulk: int) -> dict[str, Any]:
    folder = _fresh(b.label)
    try:
        setup = run_workload(b, "history_setup", folder, points=points, bulk=bulk)
        read = run_workload(b, "history_read", folder, run_id=setup["run_id"], repeat=5 if not bulk else 1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if read["points"] != points:
        raise RuntimeError(f"{b.label} returned {read['points']} of {points} points")
    return {**read, "setup_s": setup["setup_s"]}


def bench_history(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    small = round_robin(bs, s.repeat_heavy, lambda b: _history_once(b, s.history_small, 0))
    big_bs, skipped = only(bs, {
        "aim": "no bulk writer; 1M `track` calls take ~30 min here",
        "mlflow-sqlite": "its read runs at ~60-80 µs a point here (see the 10,000-point line): over a minute per "
                         "1M-point read; the file store is its faster store on 10,000 points",
        "mlflow-file": "one first read of its 1M-point metric file took over 8 minutes here (2026-12-01, idle "
                       "machine, stopped there): a line would cost most of an hour; see the 10,000-point line"})
    big = round_robin(big_bs, s.repeat_heavy, lambda b: _history_once(b, s.history_big, 1))
    raw["history"] = {"small": small, "big": big}
    lab = "`get_metric_history`, every value read"
    mlflow_10x = lambda v: _ratio_at_least(v, "nbtrack", ("mlflow-sqlite", "mlflow-file"), 10)  # noqa: E731
    return [
        Row(f"{lab}, {s.history_small:,} points: first read in a fresh process", small, "cold_s",
            target="≥ 10× better MLflow", met=mlflow_10x),
        Row(f"{lab}, {s.history_small:,} points: warm", small, "warm_s"),
        Row(f"{lab}, {s.history_big:,} points: first read in a fresh process", big, "cold_s",
            target="< 150 ms", met=lambda v: _below(v, "nbtrack", 0.150), skipped=skipped,
            notes=["history: nbtrack's read is `get_metric_history(...).values` (one float64 `array`: the history is "
                   "column-backed); MLflow's `[m.value for m in get_metric_history(...)]`; Trackio's "
                   "`SQLiteStorage.get_metric_values`; Aim's `run.get_metric(...).values.values_list()`. "
                   "1M-point histories are written in bulk (nbtrack: client `log_batch`; MLflow: SQL rows or "
                   "the metric file; Trackio: its own `bulk_log`)."]),
        Row(f"{lab}, {s.history_big:,} points: warm", big, "warm_s", skipped=skipped),
    ]


def _search_rows(bs: list[Backend], s: Sizes, raw: dict[str, Any], runs: int, bulk: int,
                 skipped_why: dict[str, str], cold_target: tuple[str, Callable] | None,
                 warm_target: tuple[str, Callable] | None) -> list[Row]:
    use, skipped = only(bs, skipped_why)
    with SetUpStores(use, "search_setup", runs=runs, bulk=bulk) as stores:
        res = round_robin(use, s.repeat_heavy, lambda b: run_workload(
            b, "search_read", stores.folders[b.label], experiment_id=stores.setup[b.label]["experiment_id"],
            repeat=1 if bulk else 5))
    raw[f"search_{runs}"] = {"setup": stores.setup, "reads": res}
    answers = {(r["count"], r["ordered"], tuple(round(x, 9) for x in r["first"])) for rs in res.values() for r in rs}
    if len(answers) != 1 or not next(iter(answers))[1]:
        raise RuntimeError(f"search results differ between libraries or are unordered: {answers}")
    setup = ", ".join(f"{k} {v['setup_s']:.1f} s ({v['method']})" for k, v in stores.setup.items())
    label = f"`search_runs` over {runs:,} runs, filter + order_by"
    ct, cm = cold_target or (None, None)
    wt, wm = warm_target or (None, None)
    return [Row(f"{label}: first call in a fresh process", res, "cold_s", target=ct, met=cm, skipped=skipped),
            Row(f"{label}: warm", res, "warm_s", target=wt, met=wm, skipped=skipped,
                notes=[f"search over {runs:,}: setup {setup}; all returned the same "
                       f"{next(iter(answers))[0]} runs in the same order."])]


def bench_search(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    no_search = {"trackio": "no run search API (runs are listed per project; filtering is the caller's)",
                 "aim": "`Repo.query_runs` found none of the runs its own API had just written, in a fresh "
                        "process (3.29.1; they are not indexed yet), so there is nothing to time"}
    small = _search_rows(bs, s, raw, s.search_small, 0, no_search, None, None)
    big_skip = {**no_search, "mlflow-file": "100k runs are ~1M small files; its search lists every run folder "
                "(~0.7 ms a run at 500 runs: over a minute a call)",
                }
    big = _search_rows(bs, s, raw, s.search_big, 1, big_skip,
                       ("< 1 s", lambda v: _below(v, "nbtrack", 1.0)),
                       ("< 50 ms", lambda v: _below(v, "nbtrack", 0.050)))
    return small + big


def bench_big_store(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    use, skipped = only(bs, {"aim": "a run costs ~0.6 s through its API here (5,000 runs: ~50 min)"})
    empty = round_robin(use, s.repeat, lambda b: fresh_run(b, "new_run"))
    with SetUpStores(use, "bigstore_setup", runs=s.big_runs, points=s.big_points) as stores:
        big = round_robin(use, s.repeat_heavy, lambda b: run_workload(b, "new_run", stores.folders[b.label]))
    raw["big_store"] = {"empty": empty, "setup": stores.setup, "big": big}
    flat = {k: [{"flat": statistics.median(r["write_s"] for r in big[k])
                 / statistics.median(r["write_s"] for r in empty[k]),
                 "load1": statistics.median(r["load1"] for r in big[k])}] for k in big}
    notes = [f"big store, {k}: setup {v['setup_s']:.1f} s ({v['method']})" for k, v in stores.setup.items()]
    size = f"{s.big_runs:,} runs + {s.big_points:,} points"
    return [Row("new run's writes (start, 10 params, 100 `log_metric`, end): empty store", empty, "write_s",
                skipped=skipped),
            Row(f"new run's writes: store holding {size}", big, "write_s", skipped=skipped),
            Row(f"new run's writes: {size} ÷ empty (must stay flat)", flat, "flat", kind="x",
                target="nbtrack ≤ 1.5×", met=lambda v: _at_most(v, "nbtrack", 1.5), skipped=skipped, notes=notes)]


def bench_memory(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    res = round_robin(bs, s.repeat_heavy,
                      lambda b: fresh_run(b, "memory", points=s.memory_points[b.lib]))
    raw["memory"] = res
    for rs in res.values():
        for r in rs:
            r["peak_per_point_b"] = r["peak_growth_b"] / r["points"]
    n = ", ".join(f"{k} {v:,}" for k, v in s.memory_points.items())
    nb = s.memory_points["nbtrack"]
    ours = [b for b in bs if b.lib == "nbtrack"]
    held = round_robin(ours, s.repeat_heavy, lambda b: fresh_run(b, "buffer_memory", points=nb))
    raw["buffer_memory"] = held
    return [Row(f"RSS per buffered point (flusher held back, {nb:,} points waiting)", held, "per_point_b",
                kind="bytes", compare=False, target="nbtrack ≤ 40 B", met=lambda v: _at_most(v, "nbtrack", 40)),
            Row("RSS after that run ended (all points written), above the pre-logging RSS", held,
                "final_growth_b", kind="bytes", compare=False, target="nbtrack ≤ 20 MB",
                met=lambda v: _at_most(v, "nbtrack", 20 * 2**20)),
            Row(f"RSS growth while logging, peak (points: {n})", res, "peak_growth_b", kind="bytes", compare=False),
            Row("RSS growth while logging, peak, per point", res, "peak_per_point_b", kind="bytes",
                target="nbtrack ≤ 40 B", met=lambda v: _at_most(v, "nbtrack", 40)),
            Row(f"RSS after the run ended, above the pre-logging RSS ({nb:,} points for nbtrack)", res,
                "final_growth_b", kind="bytes", target="nbtrack ≤ 20 MB", compare=False,
                met=lambda v: _at_most(v, "nbtrack", 20 * 2**20))]


def _le(v: dict[str, float], ours: str, theirs: str) -> bool | None:
    return None if v.get(ours) is None or v.get(theirs) is None else v[ours] <= v[theirs]


def _at_most(v: dict[str, float], ours: str, limit: float) -> bool | None:
    return None if v.get(ours) is None else v[ours] <= limit


def _below(v: dict[str, float], ours: str, limit: float) -> bool | None:
    return None if v.get(ours) is None else v[ours] < limit


def _ratio_at_least(v: dict[str, float], ours: str, theirs: tuple[str, ...], ratio: float) -> bool | None:
    peers = [v[t] for t in theirs if v.get(t) is not None]
    return None if v.get(ours) is None or not peers else min(peers) / v[ours] >= ratio


BENCHES: dict[str, Callable[[list[Backend], Sizes, dict[str, Any]], list[Row]]] = {
    "import": bench_import,
    "start_end": bench_start_end,
    "log_metric": bench_log_metric,
    "log_metrics": bench_log_metrics,
    "history": bench_history,
    "search": bench_search,
    "memory": bench_memory,
    "big_store": bench_big_store,
}


def versions(bs: list[Backend]) -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout.strip()

    commit = out(["git", "rev-parse", "--short", "HEAD"])
    tinydb = out([sys.executable, "-c", "import tinydb; print(tinydb.__version__)"])
    found = {"nbtrack": f"git {commit}, Python {sys.version.split()[0]}, TinyDB {tinydb}"}
    for lib in dict.fromkeys(b.lib for b in bs if b.lib != "nbtrack"):
        found[lib] = f"{setup_peers.installed_version(lib)} (bench/.venvs/{lib}, pip)"
    if "mlflow" in found:
        found["mlflow"] += ", telemetry off, synchronous logging"
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; README untouched")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}")
    parser.add_argument("--libs", default="", help="comma-separated subset of backends (labels)")
    parser.add_argument("--write", action="store_true", help="rewrite the README block even for a subset")
    opts = parser.parse_args(argv)
    chosen = opts.only.split(",")
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}: choose from {list(BENCHES)}")
    bs = [b for b in ALL_BACKENDS if not opts.libs or b.label in opts.libs.split(",")]
    missing = {b.lib for b in bs if b.lib != "nbtrack" and not setup_peers.ensure_peer(b.lib)}
    bs = [b for b in bs if b.lib not in missing]
    sizes = QUICK if opts.quick else Sizes()
    started, rows, raw, load = time.perf_counter(), [], {}, load_average()
    OUT.mkdir(exist_ok=True)
    failed: list[str] = []
    for name in chosen:
        t0 = time.perf_counter()
        try:
            rows += BENCHES[name](bs, sizes, raw)
        except Exception as exc:  # one broken workload must not cost the whole run's numbers
            failed.append(f"{name}: {str(exc).splitlines()[0][:300]}")
            traceback.print_exc()
        print(f"{name}: {time.perf_counter() - t0:.0f} s (load {load_average()})", flush=True)
        stem = "results" if chosen == list(BENCHES) else "results-" + "-".join(chosen)
        (OUT / f"{stem}.json").write_text(json.dumps(raw, indent=1))
        if not opts.quick and (chosen == list(BENCHES) or opts.write):  # progress survives a stop
            _publish(rows, bs, sizes, started, load, missing, failed + [f"{n}: not run yet" for n in
                                                                        chosen[chosen.index(name) + 1:]])
    _publish(rows, bs, sizes, started, load, missing, failed, write=not opts.quick and (
        chosen == list(BENCHES) or opts.write))


def _publish(rows: list[Row], bs: list[Backend], sizes: Sizes, started: float, load: str, missing: set[str],
             failed: list[str], write: bool = True) -> None:
    """Print the results block; with ``write``, splice it into the README and redraw the chart."""
    wall = time.perf_counter() - started
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    repeats = (f"medians of {sizes.repeat} fresh processes, spread = lowest–highest (setup-heavy workloads: "
               f"{sizes.repeat_heavy}; import: {sizes.import_repeat})")
    block = (render_table(rows, [b.label for b in bs]) + f"\n\n- {repeats}\n"
             + machine_lines(versions(bs), date, wall, f"{load} / {load_average()}")
             + (f"\n- not installed: {', '.join(sorted(missing))}" if missing else "")
             + "".join(f"\n- FAILED or not run: {f}" for f in failed))
    print(block, flush=True)
    if write:
        (HERE / "results.svg").write_text(render_chart(rows, [b.label for b in bs]))
        splice_readme(HERE / "README.md", block)
        print(f"wrote {HERE / 'README.md'} and {HERE / 'results.svg'}", flush=True)


if __name__ == "__main__":
    main()
