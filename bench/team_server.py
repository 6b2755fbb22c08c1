"""nbtrack on an MLflow tracking server: per-call ``log_metric`` beside MLflow's own client on
the same server, and ``nbtrack sync`` throughput.

    python bench/team_server.py                 # starts its own server (sqlite), full sizes
    python bench/team_server.py --quick         # small sizes
    python bench/team_server.py --uri http://127.0.0.1:5000   # an already running server

The server comes from ``.ci/venvs/mlflow-server`` (made by ``.ci/setup``) or
``$NBTRACK_MLFLOW_SERVER``. Each figure is the median of ``--repeats`` runs, each in a fresh
process; the 1-minute load average is printed beside it (the machine is shared).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NBTRACK_LOOP = """
import sys, time, nbtrack
nbtrack.set_tracking_uri(sys.argv[1]); nbtrack.set_experiment("bench-log-metric")
n = int(sys.argv[2])
run = nbtrack.start_run()
nbtrack.log_metric("warmup", 0.0); nbtrack.flush()
t = time.perf_counter()
for i in range(n):
    nbtrack.log_metric("loss", 1.0 / (i + 1), step=i)
loop = time.perf_counter() - t
nbtrack.end_run()  # waits until the server holds every point
print(loop / n * 1e6, (time.perf_counter() - t) / n * 1e6)
"""

MLFLOW_LOOP = """
import sys, time, mlflow
mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment("bench-log-metric-mlflow")
n = int(sys.argv[2])
run = mlflow.start_run()
mlflow.log_metric("warmup", 0.0)
t = time.perf_counter()
for i in range(n):
    mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
elapsed = time.perf_counter() - t
mlflow.end_run()
print(elapsed / n * 1e6)
"""

FILL = """
import sys, nbtrack
nbtrack.set_tracking_uri(sys.argv[1]); nbtrack.set_experiment(sys.argv[2])
runs, points = int(sys.argv[3]), int(sys.argv[4])
for r in range(runs):
    with nbtrack.start_run(run_name=f"r{r}"):
        nbtrack.log_param("r", r)
        for i in range(points):
            nbtrack.log_metric("loss", 1.0 / (i + 1), step=i)
"""

PUSH = """
import sys, time, json
from nbtrack.sync import push
t = time.perf_counter()
report = push(sys.argv[1], sys.argv[2], [sys.argv[3]], show_progress=False)
first = time.perf_counter() - t
t = time.perf_counter()
again = push(sys.argv[1], sys.argv[2], [sys.argv[3]], show_progress=False)
print(json.dumps({"points": report.points, "seconds": first, "writes": report.writes,
                  "second_seconds": time.perf_counter() - t, "second_writes": again.writes}))
"""


def _py(code: str, *args: str, python: str = sys.executable) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([python, "-c", code, *args], check=True, capture_output=True, text=True, env=env)
    lines = out.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _server(tmp: Path):
    spec = importlib.util.spec_from_file_location("_team_servers", ROOT / "tests/team/_servers.py")
    servers = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = servers  # dataclasses look their module up while the class is made
    spec.loader.exec_module(servers)
    return servers.start_sqlite_server(tmp)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--uri", help="an MLflow server already running (default: start one)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sync-only", action="store_true", help="skip the log_metric comparison")
    a = p.parse_args()
    n_ours, n_theirs = (10_000, 200) if a.quick else (100_000, 1_000)
    runs, points = (10, 2_000) if a.quick else (100, 10_000)
    server = None
    tmp = Path(tempfile.mkdtemp(prefix="nbtrack-bench-team-"))
    uri = a.uri
    if uri is None:
        server = _server(tmp / "server")
        uri = server.uri
    try:
        ours, ends, theirs = [], [], []
        for _ in range(0 if a.sync_only else a.repeats):  # alternate, so load falls on both alike
            loop, end = map(float, _py(NBTRACK_LOOP, uri, str(n_ours)).split())
            ours.append(loop)
            ends.append(end)
            theirs.append(float(_py(MLFLOW_LOOP, uri, str(n_theirs))))
        if ours:
            mo, me, mt = statistics.median(ours), statistics.median(ends), statistics.median(theirs)
            print(f"log_metric per call to {uri}: nbtrack {mo:.2f} us in the loop ({n_ours:,} calls; "
                  f"{me:.0f} us a point until the server holds them all), MLflow's client {mt:.0f} us "
                  f"({n_theirs:,} calls): {mt / mo:.0f}x per call  [load {os.getloadavg()[0]:.1f}]", flush=True)
        exp = f"bench-sync-{int(time.time())}"
        store = tmp / "store"
        t = time.perf_counter()
        _py(FILL, str(store), exp, str(runs), str(points))
        fill_s = time.perf_counter() - t
        result = json.loads(_py(PUSH, str(store), uri, exp))
        print(f"sync --to: {runs} runs x {points:,} points = {result['points']:,} points in "
              f"{result['seconds']:.1f} s = {result['points'] / result['seconds']:,.0f} points/s "
              f"({result['writes']} write requests); rerun {result['second_seconds']:.1f} s, "
              f"{result['second_writes']} writes  [local fill {fill_s:.1f} s, load {os.getloadavg()[0]:.1f}]")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
