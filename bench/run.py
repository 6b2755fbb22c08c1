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


def repeated(b: Backend, workload: str, repeat: int, **kwargs: Any) -> list[dict[str, Any]]:
    """``repeat`` runs of one workload, each on a fresh temporary store."""
    results = []
    for _ in range(repeat):
        folder = _fresh(b.label)
        try:
            results.append(run_workload(b, workload, folder, **kwargs))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def med(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


# -- the six workloads ----------------------------------------------------------------------
def bench_import(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    """``python -c "import x"`` minus ``python -c pass``, interleaved, median of several."""
    env_nb = {**os.environ, "PYTHONPATH": str(REPO)}
    cases = {"nbtrack": (sys.executable, "nbtrack", env_nb),
             "mlflow": (str(VENV_PY), "mlflow", dict(os.environ))}
    values: dict[str, float | None] = {}
    for lib, (python, module, env) in cases.items():
        bare, full = [], []
        for _ in range(s.import_repeat):
            bare.append(_time_cmd([python, "-c", "pass"], env))
            full.append(_time_cmd([python, "-c", f"import {module}"], env))
        raw[f"import-{lib}"] = {"bare": bare, "import": full}
        values[lib] = statistics.median(full) - statistics.median(bare)
    row = Row("`import` (fresh interpreter, minus bare start)",
              {b.label: values[b.lib] for b in bs}, 10,
              notes=["import: one MLflow figure serves both store columns (importing opens no store)."])
    return [row]


def _time_cmd(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), check=True, capture_output=True)
    return time.perf_counter() - t0


def bench_start_end(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    values = {}
    for b in bs:
        results = repeated(b, "start_end", s.repeat, n=s.start_end_n)
        raw[f"start_end-{b.label}"] = results
        values[b.label] = med(results, "per_op_s")
    return [Row(f"start + end run (fluent, per pair, N={s.start_end_n})", values, 4)]


def bench_log_metric(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    values = {}
    for b in bs:
        results = repeated(b, "log_metric", s.repeat, n=s.log_metric_n[b.lib])
        raw[f"log_metric-{b.label}"] = results
        values[b.label] = med(results, "per_op_s")
    n = s.log_metric_n
    return [Row(f"`log_metric` per call, flush + end_run included "
                f"(N={n['nbtrack']:,} nbtrack, {n['mlflow']:,} MLflow)", values, 400)]


def bench_history(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    cold, warm = {}, {}
    for b in bs:
        results = []
        for _ in range(s.repeat_heavy):
            folder = _fresh(b.label)
            try:
                setup = run_workload(b, "history_setup", folder, points=s.history_points)
                read = run_workload(b, "history_read", folder, run_id=setup["run_id"])
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            if read["points"] != s.history_points:
                raise RuntimeError(f"{b.label} returned {read['points']} points")
            results.append({**read, "setup_s": setup["setup_s"]})
        raw[f"history-{b.label}"] = results
        cold[b.label], warm[b.label] = med(results, "cold_s"), med(results, "warm_s")
    label = f"`get_metric_history`, {s.history_points:,} points"
    return [Row(f"{label}: first read in a fresh process", cold, 10),
            Row(f"{label}: warm (later reads)", warm, 10)]


def bench_search(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    cold, warm, counts, notes = {}, {}, set(), []
    for b in bs:
        folder = _fresh(b.label)
        try:
            setup = run_workload(b, "search_setup", folder, runs=s.search_runs)
            results = [run_workload(b, "search_read", folder,
                                    experiment_id=setup["experiment_id"])
                       for _ in range(s.repeat_heavy)]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        raw[f"search-{b.label}"] = {"setup": setup, "reads": results}
        counts |= {(r["count"], r["ordered"]) for r in results}
        cold[b.label], warm[b.label] = med(results, "cold_s"), med(results, "warm_s")
        notes.append(f"{b.label} {setup['setup_s']:.1f} s")
    if len(counts) != 1:
        raise RuntimeError(f"search results differ between libraries: {counts}")
    label = f"`search_runs` over {s.search_runs} runs, filter + order_by"
    return [Row(f"{label}: first call in a fresh process", cold, 5),
            Row(f"{label}: warm (second and later calls)", warm, 5,
                notes=[f"search: setup of {s.search_runs} runs through each client took "
                       + ", ".join(notes) + f"; all three returned the same {counts.pop()[0]} "
                       "runs in the same order."])]


def bench_big_store(bs: list[Backend], s: Sizes, raw: dict[str, Any]) -> list[Row]:
    empty, big, flat, notes = {}, {}, {}, []
    for b in bs:
        empty_runs = repeated(b, "new_run", s.repeat)
        folder = _fresh(b.label)
        try:
            setup = run_workload(b, "bigstore_setup", folder, runs=s.big_runs,
                                 points=s.big_points)
            big_runs = [run_workload(b, "new_run", folder) for _ in range(s.repeat_heavy)]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        raw[f"big-{b.label}"] = {"empty": empty_runs, "setup": setup, "big": big_runs}
        empty[b.label], big[b.label] = med(empty_runs, "write_s"), med(big_runs, "write_s")
        flat[b.label] = big[b.label] / empty[b.label]
        notes.append(f"big store, {b.label}: setup {setup['setup_s']:.1f} s ({setup['method']});"
                     f" opening the store (`set_experiment`, not in the timed writes) "
                     f"{med(empty_runs, 'open_s') * 1e3:.0f} ms empty, "
                     f"{med(big_runs, 'open_s') * 1e3:.0f} ms big")
    size = f"{s.big_runs:,} runs + {s.big_points:,} points"
    return [Row("new run's writes (start, 10 params, 100 `log_metric`, end): empty store",
                empty, None),
            Row(f"new run's writes: store holding {size}", big, None),
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
