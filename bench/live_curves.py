"""How much a displayed LiveCurves slows a training loop that logs metrics.

Runs inside a real IPython kernel (started with jupyter_client; this script drains iopub like
a front end would), on a fresh TinyDB store, and times N ``nbtrack.log_metric`` calls:

- **paced**: each step does fixed busy work calibrated so the loop logs ~10,000 points/s
  without live curves (the issue's target: <= 10% slower with them);
- **tight**: the loop does nothing but log, 5x as many points (worst case: all overhead, no
  work to hide it).

Each mode runs with and without a LiveCurves following the run (displayed, so its redraws
really go out as comm messages) as back-to-back pairs, ``--repeats`` times, alternating which
goes first; the median times and the median ratio of the pairs are printed as a table, or as
JSON (``--json``).

    python bench/live_curves.py                 # 40,000 points, 5 pairs (~1 min)
    python bench/live_curves.py --points 20000 --repeats 1
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

from jupyter_client import KernelManager

REPO = Path(__file__).resolve().parents[1]
TIGHT_FACTOR = 5  # the tight loop logs 5x more points so it lasts about as long as the paced one

KERNEL_SETUP = textwrap.dedent(
    """
    import json, time
    import nbtrack
    from nbtrack.widgets import LiveCurves

    nbtrack.set_experiment("bench-live-curves")

    def _work(k):
        x = 0.0
        for j in range(k):
            x += j * 0.5
        return x

    def _loop(points, k, live):
        with nbtrack.start_run() as run:
            curves = None
            if live:
                curves = LiveCurves(run.info.run_id)
                curves.show()
            log = nbtrack.log_metric
            t0 = time.perf_counter()
            for i in range(points):
                if k:
                    _work(k)
                log("train_loss", 1.0 / (i + 1), step=i)
            elapsed = time.perf_counter() - t0
            if curves is not None:
                curves.finalize()
        return elapsed

    def _calibrate(target_s):
        per_log = _loop(5000, 0, False) / 5000
        t0 = time.perf_counter(); _work(100_000); per_unit = (time.perf_counter() - t0) / 100_000
        k = max(1, int((target_s - per_log) / per_unit))
        for _ in range(2):  # correct for what the isolated timing missed
            per_point = _loop(5000, k, False) / 5000
            k = max(1, int(k * (target_s - per_log) / max(per_point - per_log, 1e-9)))
        return k, per_log
    """
)


def _run(kc, code: str) -> str:
    """Execute ``code`` in the kernel, draining iopub; return what it printed."""
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = kc.execute_interactive(code, output_hook=hook, timeout=900)
    if reply["content"]["status"] != "ok":
        raise RuntimeError("kernel code failed:\n" + "".join(out))
    return "".join(out)


def measure(points: int, repeats: int, rate: float) -> dict:
    """Median loop times (s) with and without live curves, for the paced and tight loops."""
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        env = {**os.environ, "NBTRACK_TRACKING_URI": str(Path(tmp) / "store"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        # IPC transport: no TCP port race with other processes on a shared machine
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(tmp) / "kernel"))
        km.start_kernel(env=env, cwd=tmp)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            _run(kc, KERNEL_SETUP)
            k, per_log = json.loads(_run(kc, f"print(json.dumps(_calibrate({1.0 / rate})))"))
            times: dict[str, list[float]] = {"paced": [], "paced_live": [], "tight": [], "tight_live": []}
            for r in range(repeats):
                for mode, work, n in (("paced", k, points), ("tight", 0, points * TIGHT_FACTOR)):
                    order = (False, True) if r % 2 == 0 else (True, False)  # ABBA: no order bias
                    for live in order:
                        code = f"print(_loop({n}, {work}, {live}))"
                        times[mode + ("_live" if live else "")].append(float(_run(kc, code)))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    result = {"points": points, "repeats": repeats, "work_units": k,
              "log_metric_us": per_log * 1e6, "median_s": med, "times_s": times}
    for mode in ("paced", "tight"):
        # each pair ran back to back: its ratio cancels the drift of a shared, loaded machine
        ratios = [b / a for a, b in zip(times[mode], times[mode + "_live"])]
        n = points * (TIGHT_FACTOR if mode == "tight" else 1)
        result[f"{mode}_points_per_s"] = n / med[mode]
        result[f"{mode}_ratio"] = statistics.median(ratios)
        result[f"{mode}_ratio_range"] = (min(ratios), max(ratios))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=40_000, help="log_metric calls per loop")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved pairs (median)")
    parser.add_argument("--rate", type=float, default=10_000.0, help="paced loop target, points/s")
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    args = parser.parse_args(argv)
    if args.points < 1000 or args.repeats < 1 or args.rate <= 0:
        parser.error("need --points >= 1000, --repeats >= 1 and --rate > 0")
    result = measure(args.points, args.repeats, args.rate)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    med = result["median_s"]
    print(f"{result['points']} points, {result['repeats']} interleaved pairs; log_metric alone "
          f"{result['log_metric_us']:.1f} us/call")
    print("| loop | without LiveCurves | with LiveCurves | slowdown (median pair) | pair range |")
    print("|---|---|---|---|---|")
    for mode in ("paced", "tight"):
        rate = result[f"{mode}_points_per_s"]
        lo, hi = result[f"{mode}_ratio_range"]
        print(f"| {mode} ({rate:,.0f} points/s) | {med[mode]:.3f} s | {med[mode + '_live']:.3f} s "
              f"| {100 * (result[mode + '_ratio'] - 1):+.1f}% | {100 * (lo - 1):+.1f}% .. "
              f"{100 * (hi - 1):+.1f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
