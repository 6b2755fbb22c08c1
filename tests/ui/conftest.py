"""Fixtures for the UI tests: one real ``jupyter lab`` per module (random 127.0.0.1 port, token
auth) over a seeded demo store, and headless Debian Chromium driven by playwright.

The lab loads the extension built in this checkout (``nbtrack/labextension``) ahead of any
installed copy: JUPYTER_PATH points at a folder that links to it.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .seed import seed_demo

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
UI_TIMEOUT_MS = 60_000
DARK = "JupyterLab Dark"
LIGHT = "JupyterLab Light"


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)  # poll interval, not a synchronisation sleep


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, token: str, proc: subprocess.Popen, log: Path) -> None:
    """Wait until ``url`` answers 200 with the token; fail early if the server died."""

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {log.read_text()[-2000:]}")
        req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=2) as response:
            return response.status == 200

    wait_for(ready, 90, url)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def jupyter_env(tmp: Path, store: Path) -> dict[str, str]:
    """Isolated Jupyter dirs; this checkout's built lab extension first on the path."""
    data = tmp / "jupyter-data"
    built = REPO / "nbtrack" / "labextension"
    if (built / "package.json").exists():
        (data / "labextensions").mkdir(parents=True, exist_ok=True)
        link = data / "labextensions" / "nbtrack"
        if not link.exists():
            link.symlink_to(built)
    quiet_settings(tmp / "settings")
    return {
        **os.environ,
        "NBTRACK_TRACKING_URI": str(store),
        "JUPYTER_PATH": str(data) + os.pathsep + os.environ.get("JUPYTER_PATH", ""),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }


@dataclass
class Lab:
    url: str
    token: str
    store: Path
    ids: dict[str, str]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """``jupyter lab`` serving a seeded demo store (app exposed to the page for theme changes)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    tmp = tmp_path_factory.mktemp("lab")
    root, store = tmp / "root", tmp / "store"
    root.mkdir()
    ids = seed_demo(str(store), tmp / "artifacts")
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--ServerApp.allow_root=True", "--LabApp.news_url=",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.expose_app_in_browser=True"],
            env=jupyter_env(tmp, store), stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/status", token, proc, log)
        yield Lab(url, token, store, ids)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser, width: int = 1400, height: int = 860):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context.new_page()


def set_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme through its command and wait until it is applied."""
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('apputils:change-theme')")
    page.evaluate("t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme)
    page.locator(f'body[data-jp-theme-name="{theme}"]').wait_for(state="attached")


def quiet_settings(settings_dir: Path) -> None:
    """No news toast over the screenshots: JupyterLab asks about news on first start."""
    target = settings_dir / "@jupyterlab" / "apputils-extension"
    target.mkdir(parents=True, exist_ok=True)
    (target / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
