"""Overhead of system-metrics sampling (issue 12: must stay under 1% CPU).

Two measures, both of CPU time so that other load on a shared machine does not blur them:

1. the sampler alone: ``time.thread_time()`` around ``SAMPLES`` calls of
   ``SystemSampler.sample()`` -> CPU per sample, and its share of one core at the default 10 s;
2. the real thing: a run with ``log_system_metrics=True`` sampling every ``INTERVAL`` s (10x the
   default rate) for ``SECONDS`` s while the main thread is busy; the monitor thread's own CPU
   time (sampling *and* logging into the TinyDB store) divided by the wall time, then scaled to
   the default 10 s interval.

Run: ``python bench/system_metrics.py`` (uses a temporary store).
"""
from __future__ import annotations

import tempfile
import time

import nbtrack
from nbtrack import system_metrics as sm

SAMPLES = 200
INTERVAL = 1.0
SECONDS = 20.0


def sampler_cost() -> float:
    sampler = sm.SystemSampler()
    start = time.thread_time()
    for _ in range(SAMPLES):
        sampler.sample()
    return (time.thread_time() - start) / SAMPLES


def monitored_share() -> tuple[float, int]:
    """CPU share of the monitor thread while the main thread spins; and how many samples it logged."""
    with tempfile.TemporaryDirectory() as tmp:
        nbtrack.set_tracking_uri(tmp)
        nbtrack.set_system_metrics_sampling_interval(INTERVAL)
        with nbtrack.start_run(log_system_metrics=True) as run:
            monitor = sm._monitors[run.info.run_id]
            t0 = time.perf_counter()
            x = 0
            while time.perf_counter() - t0 < SECONDS:
                x += 1
            wall = time.perf_counter() - t0
            cpu, samples = monitor.cpu_seconds, monitor.step
        nbtrack.set_tracking_uri(None)
    return cpu / wall, samples


def main() -> None:
    per_sample = sampler_cost()
    print(f"sampler alone: {per_sample * 1e3:.3f} ms CPU per sample -> "
          f"{per_sample / sm.DEFAULT_INTERVAL * 100:.4f}% of one core at the default "
          f"{sm.DEFAULT_INTERVAL:.0f} s interval")
    share, samples = monitored_share()
    scaled = share * INTERVAL / sm.DEFAULT_INTERVAL
    print(f"monitor thread (sample + log to TinyDB), {samples} samples at {INTERVAL:.0f} s over "
          f"{SECONDS:.0f} s: {share * 100:.3f}% of one core -> {scaled * 100:.4f}% at the default "
          f"{sm.DEFAULT_INTERVAL:.0f} s interval (target < 1%)")


if __name__ == "__main__":
    main()
