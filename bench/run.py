"""Benchmark nbtrack beside MLflow (sqlite and file stores) and write bench/README.md.

    python bench/run.py            # full run (~10 min on 2 cores), rewrites the README block
    python bench/run.py --quick    # small sizes, one repeat: a smoke test, README untouched

Creates ``bench/.venv`` with the MLflow of ``requirements-mlflow.txt`` if it is missing. Every
measurement runs ``workloads.py`` in a fresh subprocess on a fresh temporary store (the big
store is built once per backend and then measured from several fresh processes); the table
shows medians. Raw numbers go to ``bench/out/results.json``.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
VENV_PY = VENV / "bin" / "python"
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

from report import Row, load_average, machine_lines, render_table, splice_readme  # noqa: E402

__all__ = ["main"]


@dataclass
class Sizes:
    repeat: int = 5  # cheap workloads: fresh store per repeat
    repeat_heavy: int = 3  # workloads with a setup step or a big store
    import_repeat: int = 9
    start_end_n: int = 100
    log_metric_n: dict[str, int] = field(default_factory=lambda: {"nbtrack": 20000, "mlflow": 300})
    history_points: int = 10000
    search_runs: int = 500
    big_runs: int = 5000
    big_points: int = 1_000_000


QUICK = Sizes(repeat=1, repeat_heavy=1, import_repeat=3, start_end_n=20,
              log_metric_n={"nbtrack": 2000, "mlflow": 50}, history_points=2000,
              search_runs=40, big_runs=200, big_points=20000)


@dataclass
class Backend:
    label: str
    lib: str
    python: Path
    scheme: str  # "path", "sqlite" or "file"
    env: dict[str, str] = field(default_factory=dict)

    def uri(self, folder: Path) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{folder}/mlflow.db"
        if self.scheme == "file":
            return f"file://{folder}/mlruns"
        return str(folder / "nbtrack-store")


def backends() -> list[Backend]:
    return [
        Backend("nbtrack", "nbtrack", Path(sys.executable), "path"),
        Backend("mlflow-sqlite", "mlflow", VENV_PY, "sqlite"),
        # MLflow 3.x refuses the file store ("maintenance mode") unless this opt-out is set.
        Backend("mlflow-file", "mlflow", VENV_PY, "file", {"MLFLOW_ALLOW_FILE_STORE": "true"}),
    ]


def ensure_venv() -> None:
    """Create bench/.venv with MLflow unless it is there already with the pinned version."""
    reqs = HERE / "requirements-mlflow.txt"
    pinned = [ln.split("==")[1].strip() for ln in reqs.read_text().splitlines()
              if ln.startswith("mlflow==")][0]
    if VENV_PY.exists() and _mlflow_version() == pinned:
        return
    print(f"installing mlflow=={pinned} into {VENV} (a few minutes, once) ...", flush=True)
    OUT.mkdir(exist_ok=True)
    with open(OUT / "pip.log", "w") as log:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV_PY), "-m", "pip", "install", "-r", str(reqs)],
                       stdout=log, stderr=subprocess.STDOUT, check=True)


def _mlflow_version() -> str:
    done = subprocess.run([str(VENV_PY), "-c", "import mlflow; print(mlflow.__version__)"],
                          capture_output=True, text=True)
    return done.stdout.strip()


def run_workload(b: Backend, workload: str, folder: Path, **kwargs: Any) -> dict[str, Any]:
    """Run one workload in a fresh process; returns its JSON result."""
    args = [str(b.python), str(HERE / "workloads.py"), b.lib, workload, b.uri(folder)]
    args += [f"{k}={v}" for k, v in kwargs.items()]
    env = {**os.environ, **b.env}
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=900)
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


def round_robin(bs: list[Backend], repeat: int,
                fn: Callable[[Backend], dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``repeat`` calls of ``fn`` per backend, taking turns, so that load from other work on
    the shared machine falls on every backend alike rather than on one column."""
    out: dict[str, list[dict[str, Any]]] = {b.label: [] for b in bs}
    for _ in range(repeat):
        for b in bs:
            out[b.label].append(fn(b))
    return out


def med(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def medians(by_backend: dict[str, list[dict[str, Any]]], key: str) -> dict[str, float | None]:
    return {label: med(results, key) for label, results in by_backend.items()}


class SetUpStores:
    """One set-up store per backend, kept until the ``with`` block ends."""

    def __init__(self, bs: list[Backend], workload: str, **kwargs: Any) -> None:
        self.bs, self.workload, self.kwargs = bs, workload, kwargs
        self.folders: dict[str, Path] = {}
        self.setup: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> "SetUpStores":
        for b in self.bs:
            self.folders[b.label] = _fresh(b.label)
            self.setup[b.label] = run_workload(b, self.workload, self.folders[b.label],
                                               **self.kwargs)
        # Write back the setup's dirty pages now, so no measured fsync (nbtrack's, sqlite's)
        # waits behind hundreds of MB of someone else's writeback.
        os.sync()
        return self

    def __exit__(self, *exc: object) -> None:
        for folder in self.folders.values():
            shutil.rmtree(folder, ignore_errors=True)


# -- the six workloads ----------------------------------------------------------------------
def bench_import(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    """``python -c "import x"`` minus ``python -c pass``, interleaved, median of several."""
    env_nb = {**os.environ, "PYTHONPATH": str(REPO)}
    cases = {"nbtrack": (sys.executable, "nbtrack", env_nb),
             "mlflow": (str(VENV_PY), "mlflow", dict(os.environ))}
    times: dict[str, dict[str, list[float]]] = {lib: {"bare": [], "import": []} for lib in cases}
    for _ in range(s.import_repeat):
        for lib, (python, module, env) in cases.items():
            times[lib]["bare"].append(_time_cmd([python, "-c", "pass"], env))
            times[lib]["import"].append(_time_cmd([python, "-c", f"import {module}"], env))
    raw["import"] = times
    values = {lib: statistics.median(t["import"]) - statistics.median(t["bare"])
              for lib, t in times.items()}
    row = Row("`import` (fresh interpreter, minus bare start)",
              {b.label: values[b.lib] for b in bs}, 10,
              notes=["import: one MLflow figure serves both store columns (importing opens no store)."])
    return [row]


def _time_cmd(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), check=True, capture_output=True)
    return time.perf_counter() - t0


def bench_start_end(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    results = round_robin(bs, s.repeat, lambda b: fresh_run(b, "start_end", n=s.start_end_n))
    raw["start_end"] = results
    return [Row(f"start + end run (fluent, per pair, N={s.start_end_n})",
                medians(results, "per_op_s"), 4)]


def bench_log_metric(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    n = s.log_metric_n
    results = round_robin(bs, s.repeat, lambda b: fresh_run(b, "log_metric", n=n[b.lib]))
    raw["log_metric"] = results
    return [Row(f"`log_metric` per call incl. flush (+ end_run for nbtrack) "
                f"(N={n['nbtrack']:,} nbtrack, {n['mlflow']:,} MLflow)",
                medians(results, "per_op_s"), 400)]


def _history_once(b: Backend, s: Sizes) -> dict[str, Any]:
    folder = _fresh(b.label)
    try:
        setup = run_workload(b, "history_setup", folder, points=s.history_points)
        read = run_workload(b, "history_read", folder, run_id=setup["run_id"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if read["points"] != s.history_points:
        raise RuntimeError(f"{b.label} returned {read['points']} of {s.history_points} points")
    return {**read, "setup_s": setup["setup_s"]}


def bench_history(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    results = round_robin(bs, s.repeat_heavy, lambda b: _history_once(b, s))
    raw["history"] = results
    label = f"`get_metric_history`, {s.history_points:,} points"
    return [Row(f"{label}: first read in a fresh process", medians(results, "cold_s"), 10),
            Row(f"{label}: warm (later reads)", medians(results, "warm_s"), 10)]


def bench_search(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    with SetUpStores(bs, "search_setup", runs=s.search_runs) as stores:
        results = round_robin(bs, s.repeat_heavy, lambda b: run_workload(
            b, "search_read", stores.folders[b.label],
            experiment_id=stores.setup[b.label]["experiment_id"]))
    raw["search"] = {"setup": stores.setup, "reads": results}
    answers = {(r["count"], r["ordered"]) for rs in results.values() for r in rs}
    if len(answers) != 1 or not next(iter(answers))[1]:
        raise RuntimeError(f"search results differ between libraries or are unordered: {answers}")
    setup = ", ".join(f"{k} {v['setup_s']:.1f} s" for k, v in stores.setup.items())
    label = f"`search_runs` over {s.search_runs} runs, filter + order_by"
    return [Row(f"{label}: first call in a fresh process", medians(results, "cold_s"), 5),
            Row(f"{label}: warm (second and later calls)", medians(results, "warm_s"), 5,
                notes=[f"search: setup of {s.search_runs} runs through each client took "
                       f"{setup}; all three returned the same {next(iter(answers))[0]} runs "
                       "in the same order."])]


def bench_big_store(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    empty = round_robin(bs, s.repeat, lambda b: fresh_run(b, "new_run"))
    with SetUpStores(bs, "bigstore_setup", runs=s.big_runs, points=s.big_points) as stores:
        big = round_robin(bs, s.repeat_heavy,
                          lambda b: run_workload(b, "new_run", stores.folders[b.label]))
    raw["big_store"] = {"empty": empty, "setup": stores.setup, "big": big}
    e, g = medians(empty, "write_s"), medians(big, "write_s")
    flat = {k: g[k] / e[k] for k in e}  # type: ignore[operator]
    notes = [f"big store, {k}: setup {v['setup_s']:.1f} s ({v['method']}); opening the store "
             f"(`set_experiment`, outside the timed writes) {med(empty[k], 'open_s') * 1e3:.0f}"
             f" ms empty, {med(big[k], 'open_s') * 1e3:.0f} ms big"
             for k, v in stores.setup.items()]
    size = f"{s.big_runs:,} runs + {s.big_points:,} points"
    return [Row("new run's writes (start, 10 params, 100 `log_metric`, end; median of 5 "
                "per process): empty store",
                e, None),
            Row(f"new run's writes: store holding {size}", g, None),
            Row(f"new run's writes: {size} ÷ empty (must stay flat)", flat, 1.5, kind="flat",
                notes=notes)]


BENCHES: dict[str, Callable[[list[Backend], Sizes, dict[str, Any]], list[Row]]] = {
    "import": bench_import,
    "start_end": bench_start_end,
    "log_metric": bench_log_metric,
    "history": bench_history,
    "search": bench_search,
    "big_store": bench_big_store,
}


def versions() -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout.strip()

    probe = "import sys, {m}; print(sys.version.split()[0], {m}.__version__)"
    py_nb, tinydb = out([sys.executable, "-c", probe.format(m="tinydb")]).split()
    py_ml, mlflow = out([str(VENV_PY), "-c", probe.format(m="mlflow")]).split()
    commit = out(["git", "rev-parse", "--short", "HEAD"])
    return {"nbtrack": f"git {commit}, Python {py_nb}, TinyDB {tinydb}",
            "MLflow": f"{mlflow} (bench/.venv, Python {py_ml}), telemetry off, sync logging"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; README untouched")
    parser.add_argument("--only", default=",".join(BENCHES),
                        help=f"comma-separated subset of {','.join(BENCHES)}")
    opts = parser.parse_args(argv)
    chosen = opts.only.split(",")
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}: choose from {list(BENCHES)}")
    ensure_venv()
    sizes = QUICK if opts.quick else Sizes()
    started, rows, raw, load = time.perf_counter(), [], {}, load_average()
    for name in chosen:
        t0 = time.perf_counter()
        rows += BENCHES[name](backends(), sizes, raw)
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    wall = time.perf_counter() - started
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    repeats = (f"medians of {sizes.repeat} fresh processes (setup-heavy workloads: "
               f"{sizes.repeat_heavy}; import: {sizes.import_repeat})")
    block = (render_table(rows) + f"\n\n- {repeats}\n"
             + machine_lines(versions(), date, wall, f"{load} / {load_average()}"))
    print(block)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(raw, indent=1))
    if not opts.quick and chosen == list(BENCHES):
        splice_readme(HERE / "README.md", block)
        print(f"wrote {HERE / 'README.md'}")


if __name__ == "__main__":
    main()
