"""Loss window and writer RSS while logging for a minute at 10k, 100k and unthrottled points/s.

Usage: ``python bench/lag.py [--seconds 60] [--rates 10000,100000,0]`` (0 = unthrottled). Per rate,
a writer process logs ``log_metric("x", ..., step=i)`` to a fresh store in a temp folder, paced to
the rate, and publishes (points logged, time of the newest) in an 8-byte-pair shared file after
every 100 points. This process polls every ``POLL_S``: it reads the run's history *file* as
committed on disk (``metrics/<run_id>.json`` and the sealed chunk it ends with), never the
writer's memory (decoded with the store's own column reader), and samples the writer's RSS from
``/proc/<pid>/statm``.

The loss window at a poll is the timestamp of the newest logged point minus that of the newest
durable one: what a SIGKILL at that instant would lose, in seconds of logging. Reported per rate:
its median, 95th percentile and maximum, and the 95th percentile in each 10 s of the run (flat =
alike from first to last); the points logged and stored; RSS at the first poll, at the last, its
maximum and its maximum in each 10 s. Raw samples land in
``bench/out/lag.json``. Numbers from a shared machine depend on its load: the 1-minute load
average is printed with them.
"""
from __future__ import annotations

import argparse
import json
import mmap
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from nbtrack.store import _columns, metric_docs

HERE = Path(__file__).resolve().parent
POLL_S = 0.1
WINDOW_S = 10
PAGE = os.sysconf("SC_PAGE_SIZE")
PROGRESS = struct.Struct("qq")  # points logged, timestamp (ms) of the newest


def write(uri: str, rate: int, seconds: float, progress_path: str) -> None:
    """The writer process: log at ``rate`` points/s (0: as fast as possible) for ``seconds``."""
    import nbtrack

    nbtrack.set_tracking_uri(uri)
    run = nbtrack.start_run()
    with open(progress_path, "r+b") as fh:
        progress = mmap.mmap(fh.fileno(), PROGRESS.size)
    print(run.info.run_id, flush=True)
    log, i, started = nbtrack.log_metric, 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        target = i + 100 if rate == 0 else min(int(elapsed * rate), i + 1000)  # behind: check the clock often
        if target <= i:
            time.sleep(0.001)  # pacing, not synchronisation
            continue
        while i < target:
            log("x", float(i), step=i)
            i += 1
            if i % 100 == 0:
                PROGRESS.pack_into(progress, 0, i, int(time.time() * 1000))
        PROGRESS.pack_into(progress, 0, i, int(time.time() * 1000))
    nbtrack.end_run()
    print(i, flush=True)


def durable(store: Path, run_id: str) -> tuple[int, int]:
    """(points committed, timestamp of the newest) read from the history files on disk."""
    try:
        doc = orjson.loads((store / "metrics" / f"{run_id}.json").read_bytes())
    except FileNotFoundError:
        return 0, 0
    table = doc.get("x", {})
    if not table:
        return 0, 0
    chunks = [table[c] for c in sorted(table, key=int)]
    count = sum(c["count"] for c in chunks)
    last = chunks[-1]
    if metric_docs.is_open(last):
        timestamps = metric_docs.inline_parts(last)[2]
    else:  # sealed: its own binary file of packed columns
        timestamps = _columns.unpack((store / f"{last['columns']}.col").read_bytes())[2]
    return count, int(timestamps[-1])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


def measure(rate: int, seconds: float) -> dict[str, Any]:
    """Run one writer at ``rate`` and poll its store; returns the samples and their summary."""
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-lag-"))
    progress_path = folder / "progress"
    progress_path.write_bytes(b"\0" * PROGRESS.size)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    proc = subprocess.Popen([sys.executable, __file__, "--writer", str(folder / "store"), str(rate), str(seconds),
                             str(progress_path)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    with open(progress_path, "rb") as fh:
        progress = mmap.mmap(fh.fileno(), PROGRESS.size, access=mmap.ACCESS_READ)
    samples: list[dict[str, float]] = []
    started: float | None = None  # the first commit: the writer logs from ~FLUSH_INTERVAL_S before
    while proc.poll() is None:
        count, newest = durable(folder / "store", run_id)
        logged, logged_at = PROGRESS.unpack_from(progress, 0)
        try:
            rss = rss_mb(proc.pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            break
        if not rss:  # the writer is exiting
            break
        if count:  # from the first commit on (the first flush comes ``FLUSH_INTERVAL_S`` after the first point)
            started = time.monotonic() if started is None else started
            samples.append({"t": time.monotonic() - started, "logged": logged, "durable": count,
                            "lag_s": max(logged_at - newest, 0) / 1000, "rss_mb": rss})
        time.sleep(POLL_S)  # sampling period of the measurement
    final = int(proc.stdout.read().split()[-1])
    proc.wait()
    stored, _ = durable(folder / "store", run_id)
    while samples and samples[-1]["logged"] == final:  # the writer had stopped logging
        samples.pop()
    return {"rate": rate, "seconds": seconds, "logged": final, "stored": stored, "samples": samples,
            **summary(samples, seconds)}


def summary(samples: list[dict[str, float]], seconds: float) -> dict[str, Any]:
    lag = sorted(s["lag_s"] for s in samples)
    windows = [[s for s in samples if start <= s["t"] < start + WINDOW_S] for start in range(0, int(seconds), WINDOW_S)]
    return {"lag_median_s": statistics.median(lag), "lag_p95_s": _p95(lag), "lag_max_s": lag[-1],
            "lag_p95_per_window_s": [_p95(sorted(s["lag_s"] for s in w)) for w in windows if w],
            "rss_max_per_window_mb": [max(s["rss_mb"] for s in w) for w in windows if w],
            "rss_start_mb": samples[0]["rss_mb"], "rss_end_mb": samples[-1]["rss_mb"],
            "rss_max_mb": max(s["rss_mb"] for s in samples)}


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| rate, points/s (achieved) | points logged = stored | loss window median / p95 / max "
             f"| loss window p95, each {WINDOW_S} s | RSS start / end / max | RSS max, each {WINDOW_S} s |",
             "|---|---|---|---|---|---|"]
    for r in results:
        rate = "unthrottled" if r["rate"] == 0 else f"{r['rate']:,}"
        same = "=" if r["logged"] == r["stored"] else "≠"
        lines.append(
            f"| {rate} ({r['logged'] / r['seconds']:,.0f}) | {r['logged']:,} {same} {r['stored']:,} "
            f"| {r['lag_median_s']:.2f} / {r['lag_p95_s']:.2f} / {r['lag_max_s']:.2f} s "
            f"| {' '.join(f'{x:.2f}' for x in r['lag_p95_per_window_s'])} s "
            f"| {r['rss_start_mb']:.0f} / {r['rss_end_mb']:.0f} / {r['rss_max_mb']:.0f} MB "
            f"| {' '.join(f'{x:.0f}' for x in r['rss_max_per_window_mb'])} MB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rates", default="10000,100000,0", help="points/s, comma-separated; 0 = unthrottled")
    parser.add_argument("--writer", nargs=4, metavar=("URI", "RATE", "SECONDS", "PROGRESS"), help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.writer:
        uri, rate, seconds, progress = opts.writer
        write(uri, int(rate), float(seconds), progress)
        return
    load = [os.getloadavg()[0]]
    results = []
    for rate in (int(r) for r in opts.rates.split(",")):
        results.append(measure(rate, opts.seconds))
        load.append(os.getloadavg()[0])
        print(table(results[-1:]).splitlines()[-1], f"(load {load[-1]:.1f})", flush=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "lag.json").write_text(json.dumps({"load1": load, "results": results}))
    print(table(results))
    print(f"\n1-minute load average before / after each rate: {' / '.join(f'{x:.1f}' for x in load)}; "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
