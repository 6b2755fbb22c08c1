"""In a real JupyterLab and headless Chromium: the runs of a notebook in a subfolder are the runs
the sidebar shows (one store rule for kernel and server), with no env var and no store yet."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.client import TrackingClient

from .test_sidebar_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    _free_port,
    _notebook,
    _row,
    _run_cell,
    _wait_for,
    _wait_idle,
)

pytestmark = pytest.mark.slow

CELLS = ["%load_ext nbtrack\nimport nbtrack",
         "%%track_run from-sub -e sub-notebook\nnbtrack.log_metric('acc', 0.9)"]


@pytest.fixture
def project_lab(tmp_path, monkeypatch) -> Iterator[tuple[str, str, Path]]:
    """``jupyter lab`` rooted at tmp/project (not a git tree, no store, no NBTRACK_* variable)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    assert not any((p / "nbtrack-store").is_dir() for p in tmp_path.parents), "stray store above tmp"
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "sub" / "train.ipynb").write_text(json.dumps(_notebook(CELLS)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_")}
    env.update({
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    })
    with open(tmp_path / "lab.log", "wb") as log:
        yield from _serve(project, env, log, tmp_path)


def _serve(project: Path, env: dict[str, str], log, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    port, token = _free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={project}",
         "--ServerApp.allow_root=True", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=project,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
            req = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=2) as response:
                return response.status == 200

        _wait_for(ready, 120, "jupyter lab /api/status")
        yield url, token, project
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_notebook_in_a_subfolder_and_the_sidebar_show_the_same_runs(project_lab):
    from playwright.sync_api import sync_playwright

    url, token, project = project_lab
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 760})
            context.set_default_timeout(UI_TIMEOUT_MS)
            page = context.new_page()
            page.goto(f"{url}/lab/tree/sub/train.ipynb?token={token}")
            _wait_idle(page)
            _run_cell(page, 0, 1)
            _run_cell(page, 1, 2)
            page.locator('.jp-SideBar [data-id="nbtrack-experiments"]').click()
            page.locator('[data-testid="nbtrack-panel"]').wait_for()
            _row(page, "from-sub").wait_for()
            shown = _row(page, "from-sub").get_attribute("data-run-id")
        finally:
            browser.close()
    store = project / "nbtrack-store"
    runs = TrackingClient(str(store)).search_runs(
        [TrackingClient(str(store)).get_experiment_by_name("sub-notebook").experiment_id])
    assert [r.info.run_id for r in runs] == [shown]
    assert not (project / "sub" / "nbtrack-store").exists()
