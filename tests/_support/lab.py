"""A real ``jupyter lab`` or ``jupyter server`` (random 127.0.0.1 port, token auth) and headless
Debian Chromium.

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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .env import REPO, checkout_pythonpath

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
UI_TIMEOUT_MS = 60_000
#: How long a server may take to answer on a loaded 2-core machine (a failure bound, not a wait).
SERVER_READY_S = 180


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

    wait_for(ready, SERVER_READY_S, url)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def lab_env(tmp: Path, store: Path | None) -> dict[str, str]:
    """Isolated Jupyter dirs, this checkout's built lab extension and package first on the paths.

    ``store`` becomes ``NBTRACK_TRACKING_URI``; with None every ``NBTRACK_*`` variable is removed,
    so the store is found by the discovery rule.
    """
    data = tmp / "jupyter-data"
    built = REPO / "nbtrack" / "labextension"
    if (built / "package.json").exists():
        (data / "labextensions").mkdir(parents=True, exist_ok=True)
        link = data / "labextensions" / "nbtrack"
        if not link.exists():
            link.symlink_to(built)
    quiet_settings(tmp / "settings")
    env = {k: v for k, v in os.environ.items() if store is not None or not k.startswith("NBTRACK_")}
    if store is not None:
        env["NBTRACK_TRACKING_URI"] = str(store)
    return {
        **env,
        "JUPYTER_PATH": str(data) + os.pathsep + os.environ.get("JUPYTER_PATH", ""),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "PYTHONPATH": checkout_pythonpath(),
    }


def quiet_settings(settings_dir: Path) -> None:
    """No news toast over the screenshots: JupyterLab asks about news on first start."""
    target = settings_dir / "@jupyterlab" / "apputils-extension"
    target.mkdir(parents=True, exist_ok=True)
    (target / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')


@contextmanager
def running_server(cmd: list[str], env: dict[str, str], log: Path, port: int, token: str,
                   cwd: Path | None = None) -> Iterator[str]:
    """Run a Jupyter server command until the block ends; yields its URL once it answers."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/status", token, proc, log)
        yield url
    finally:
        stop(proc)


@contextmanager
def serve_lab(root: Path, env: dict[str, str], log: Path, *args: str) -> Iterator[tuple[str, str]]:
    """``jupyter lab`` rooted at ``root`` until the block ends; yields its URL and token."""
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.allow_root=True", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", *args]
    with running_server(cmd, env, log, port, token, cwd=root) as url:
        yield url, token


@contextmanager
def serve_jupyter_server(root: Path, env: dict[str, str], log: Path, token: str, *args: str) -> Iterator[str]:
    """``jupyter server`` (no lab front end) rooted at ``root`` until the block ends; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
           "--ServerApp.port_retries=0", "--ServerApp.allow_root=True", *args]
    with running_server(cmd, env, log, port, token, cwd=root) as url:
        yield url


def new_page(browser: Any, width: int = 1400, height: int = 860) -> Any:
    """A page in a new browser context of that viewport, with the UI tests' default timeout."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context.new_page()


@contextmanager
def chromium_page(url: str, width: int = 1280, height: int = 760) -> Iterator[Any]:
    """Headless Chromium on ``url`` until the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = new_page(browser, width, height)
            page.goto(url)
            yield page
        finally:
            browser.close()
