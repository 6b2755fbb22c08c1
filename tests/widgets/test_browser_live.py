"""Real JupyterLab + headless Chromium: a running ``%%track_run --live`` cell visibly moves its
curve, and clicking "Promote to Production" in a RegistryPanel changes the stage in the store.

Everything waits on conditions (server status, DOM selectors, a file the test writes, the
store), never on sleeps. The server and browser are always stopped in ``finally``.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

import nbtrack

from .conftest import REPO

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
MODEL = "lab-model"
LINE = ".bqplot g.curve path.line"

CELLS = [
    "%load_ext nbtrack\nimport pathlib\nimport time\nimport nbtrack\nnbtrack.set_experiment('lab')",
    # the workload: log a point every 20 ms until the test writes the stop file
    "%%track_run lab-run --live\n"
    "i = 0\n"
    "while not pathlib.Path('stop').exists() and i < 20_000:\n"
    "    nbtrack.log_metric('loss', 1.0 / (i + 1), step=i)\n"
    "    i += 1\n"
    "    time.sleep(0.02)",
    f"from nbtrack.widgets import RegistryPanel\nRegistryPanel(model={MODEL!r})",
]


def _wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)  # polling interval of a condition wait, not a synchronising sleep
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_up(port: int, token: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _prepare(tmp_path: Path) -> tuple[Path, Path]:
    """A store with a registered model (2 versions) and the notebook to run."""
    root, store = tmp_path / "root", tmp_path / "store"
    root.mkdir()
    client = nbtrack.TrackingClient(str(store))
    exp = client.create_experiment("models")
    run = client.create_run(exp, run_name="trainer")
    for i in range(2):
        client.log_model(run.info.run_id, {"w": i}, f"m{i}", registered_model_name=MODEL)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbformat.write(nb, root / "live.ipynb")
    return root, store


def _start_lab(tmp_path: Path, root: Path, store: Path, port: int, token: str) -> subprocess.Popen:
    env = {**os.environ, "NBTRACK_TRACKING_URI": str(store),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
           f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}))
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and the kernels it started (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # kernels left in the group
    except ProcessLookupError:
        pass


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def test_live_curve_moves_and_promotion_reaches_the_store(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (bash .ci/setup installs it)")
    root, store = _prepare(tmp_path)
    port, token = _free_port(), secrets.token_hex(16)
    server = _start_lab(tmp_path, root, store, port, token)
    try:
        _wait_until(lambda: _server_up(port, token) or server.poll() is not None, 90,
                    "jupyter lab to answer /api/status")
        assert server.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(60_000)
                try:
                    _check_in_lab(page, port, token, root, store)
                except Exception:
                    page.screenshot(path=str(tmp_path / "failure.png"))  # kept for diagnosis
                    raise
            finally:
                browser.close()
    finally:
        (root / "stop").touch()
        _stop(server)


def _check_in_lab(page, port: int, token: str, root: Path, store: Path) -> None:
    page.goto(f"http://127.0.0.1:{port}/lab/tree/live.ipynb?token={token}")
    # the kernel is connected once the status bar names it and says Idle
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
    _run_all(page)
    page.locator(".jp-InputPrompt", has_text="[1]:").first.wait_for(timeout=60_000)

    # the live curve: its path exists, then changes while the cell is still running
    line = page.wait_for_selector(LINE, timeout=120_000)
    page.wait_for_function(f"() => (document.querySelector({LINE!r})?.getAttribute('d') || '').length > 20")
    before = line.get_attribute("d")
    page.wait_for_function(f"(d) => document.querySelector({LINE!r}).getAttribute('d') !== d", arg=before,
                           timeout=30_000)
    assert page.get_attribute(".jp-Notebook-ExecutionIndicator", "data-status") == "busy"
    assert not (root / "stop").exists()
    # the widget rendered, so its static twin is hidden
    twin = page.wait_for_selector(".nbtrack-twin", state="attached")
    assert not twin.is_visible()

    # end the loop, then promote version 2 from the RegistryPanel the next cell shows
    (root / "stop").touch()
    button = page.get_by_role("button", name="Promote to Production", exact=True)
    button.wait_for(timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    client = nbtrack.TrackingClient(str(store))
    assert client.get_model_version(MODEL, 2).current_stage == "None"
    button.click()
    _wait_until(lambda: client.get_model_version(MODEL, 2).current_stage == "Production", 60,
                "version 2 to reach Production in the store")
    page.wait_for_selector("text=is now in Production")
    assert client.get_model_version(MODEL, 1).current_stage == "None"
    run = client.search_runs([client.get_experiment_by_name("lab").experiment_id])[0]
    assert run.info.status == "FINISHED" and run.data.metrics["loss"] < 1.0
