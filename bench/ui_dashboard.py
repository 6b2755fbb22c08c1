"""Dashboard timings in a real browser: open an experiment of 10,000 runs, draw a 1M-point metric.

Builds a store (10,000 runs cloned by ``nbtrack_bulk.fill_search``; one run with a 1,000,000-point
``loss``), starts ``jupyter lab`` on a free 127.0.0.1 port with this checkout's extension, and
drives headless Chromium. Each time is measured inside the page with ``performance.now()``:
from the click to the frame where the rows (or the chart's line) are in the DOM, so it covers
the REST call, the server's search or LTTB, JSON, React and layout.

    python bench/ui_dashboard.py [--runs 10000] [--points 1000000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from nbtrack_bulk import fill_search  # noqa: E402

from nbtrack.client import TrackingClient  # noqa: E402
from tests._support.lab import CHROMIUM, CHROMIUM_ARGS, free_port, lab_env, stop, wait_http  # noqa: E402

# Resolves with the ms from the click to the first frame where `done()` holds.
DASH = '[data-testid="nbtrack-dashboard"]'
_TIMED_CLICK = """
async ([selector, done]) => {
  const check = new Function('return (' + done + ')()');
  const t0 = performance.now();
  document.querySelector(selector).click();
  while (!check()) {
    await new Promise(r => requestAnimationFrame(r));
    if (performance.now() - t0 > 60000) return -1;
  }
  return performance.now() - t0;
}
"""
# Resolves with the ms from an x-axis change to the frame where the chart (its axis labels and
# line) has been redrawn.
_TIMED_AXIS = """
async (axis) => {
  const path = () => document.querySelector('[data-testid="run-view"] path.nbtrack-line');
  const svg = () => document.querySelector('[data-testid="run-view"] [data-testid="metric-chart"] svg');
  const before = svg().textContent;
  const select = document.querySelector('[data-testid="run-view"] [data-testid="x-axis"]');
  const t0 = performance.now();
  const setter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
  setter.call(select, axis);
  select.dispatchEvent(new Event('change', { bubbles: true }));
  while (!path() || svg().textContent === before || path().getAttribute('d').split('L').length < 500) {
    await new Promise(r => requestAnimationFrame(r));
    if (performance.now() - t0 > 60000) return -1;
  }
  return performance.now() - t0;
}
"""
ROWS_OF = """() => {{
  const rows = document.querySelectorAll('[data-testid="nbtrack-dashboard"] [data-testid="run-row"]');
  return rows.length >= 200 && rows[0].closest('table') && document.querySelector(
    '[data-testid="experiment-item"][data-experiment-id="{exp}"]').parentElement.classList.contains('nbtrack-active')
    && [...rows].every(r => r.dataset.runName.startsWith('{prefix}'));
}}"""
LINE_DRAWN = """() => {
  const p = document.querySelector('[data-testid="run-view"] [data-testid="metric-chart"] path.nbtrack-line');
  return p && p.getAttribute('d').length > 1000 && p.getAttribute('d').split('L').length >= 500;
}"""


# The nbtrack API requests the page made, with the time the server took to answer
# (request sent to last byte, so server work plus transfer) and the JSON's size.
_REQUESTS = """
(since) => performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/nbtrack/api/') && e.startTime >= since)
  .map(e => ({path: e.name.split('/nbtrack/api/')[1].split('?')[0].slice(0, 60),
              ms: Math.round(e.responseEnd - e.requestStart), kB: Math.round(e.encodedBodySize / 1024)}))
"""


def build_store(root: Path, runs: int, points: int) -> dict[str, str]:
    client = TrackingClient(str(root / "store"))
    t = time.perf_counter()
    big = client.create_experiment("big")
    fill_search(SimpleNamespace(client=client), big, runs)
    hist = client.create_experiment("history")
    run = client.create_run(hist, run_name="million").info.run_id
    for step in range(points):
        client.append_metric(run, "loss", 1.0 / (1 + step / 1000) + (step % 97) * 1e-4, step=step)
    client.set_terminated(run)
    client.flush()
    print(f"store built in {time.perf_counter() - t:.1f} s", flush=True)
    return {"big": big, "history": hist, "run": run}


def measure(lab_url: str, token: str, ids: dict[str, str], repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list] = {"open_10k": [], "draw_1m": [], "requests_open_10k": [], "requests_draw_1m": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{lab_url}/lab?token={token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('nbtrack:open-dashboard')")
        page.evaluate("() => window.jupyterapp.commands.execute('nbtrack:open-dashboard')")
        page.locator('[data-testid="experiment-item"]').first.wait_for()
        page.evaluate("() => { performance.clearResourceTimings(); performance.setResourceTimingBufferSize(100000); }")
        big = f'[data-testid="experiment-item"][data-experiment-id="{ids["big"]}"]'
        hist = f'[data-testid="experiment-item"][data-experiment-id="{ids["history"]}"]'
        for _ in range(repeat):
            page.locator(hist).click()
            page.locator(f'{DASH} [data-testid="run-row"][data-run-name="million"]').wait_for()
            since = page.evaluate("() => performance.now()")
            ms = page.evaluate(_TIMED_CLICK, [big, ROWS_OF.format(exp=ids["big"], prefix="")])
            out["open_10k"].append(ms)
            out["requests_open_10k"].append(page.evaluate(_REQUESTS, since))
        page.locator(hist).click()
        page.locator(f'{DASH} [data-testid="run-row"][data-run-name="million"] [data-testid="run-link"]').click()
        page.get_by_test_id("run-view").wait_for()
        # cold: the server reads the 1M-point history from the store, thins it, the chart draws
        since = page.evaluate("() => performance.now()")
        out["draw_1m"].append(page.evaluate(_TIMED_CLICK, ['[data-testid="run-tab-metrics"]', LINE_DRAWN]))
        out["requests_draw_1m"].append(page.evaluate(_REQUESTS, since))
        # warm server: each x-axis change is a new request (not in the page's cache) and a redraw
        for axis in ["wall", "relative", "step", "wall", "relative"][: repeat - 1]:
            out["draw_1m"].append(page.evaluate(_TIMED_AXIS, axis))
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nbtrack-ui-bench-") as tmp_name:
        tmp = Path(tmp_name)
        ids = build_store(tmp, args.runs, args.points)
        (tmp / "root").mkdir()
        port, token = free_port(), secrets.token_hex(16)
        log = tmp / "lab.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                 f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                 f"--ServerApp.root_dir={tmp / 'root'}", "--ServerApp.allow_root=True",
                 "--LabApp.expose_app_in_browser=True"],
                env=lab_env(tmp, tmp / "store"), stdout=fh, stderr=subprocess.STDOUT)
        try:
            wait_http(f"http://127.0.0.1:{port}/api/status", token, proc, log)
            times = measure(f"http://127.0.0.1:{port}", token, ids, args.repeat)
        finally:
            stop(proc)
    result: dict = {k: {"first_ms": round(v[0]), "median_ms": round(statistics.median(v)),
                        "all_ms": [round(x) for x in v]} for k, v in times.items() if not k.startswith("requests")}
    result.update({k: v for k, v in times.items() if k.startswith("requests")})
    result["load_average"] = list(os.getloadavg())
    result["runs"], result["points"] = args.runs, args.points
    print(json.dumps(result, indent=2))
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "ui_dashboard.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
