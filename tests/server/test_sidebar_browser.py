"""The sidebar in a real JupyterLab, driven by headless Debian Chromium through playwright.

A notebook kernel creates runs; the Experiments panel must list them, pick up a new one by
itself, and promote a model version in the store. Every wait is on a condition with a timeout.
Set NBTRACK_SCREENSHOT=1 to refresh docs/sidebar.png from this test.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.client import TrackingClient
from tests._support.env import REPO
from tests._support.lab import CHROMIUM, chromium_page, lab_env, serve_lab, wait_for

pytestmark = pytest.mark.slow

CELL_RUNS = """\
import nbtrack
nbtrack.set_experiment("browser-demo")
for lr in (0.1, 0.03, 0.01):
    with nbtrack.start_run(run_name=f"lr-{lr}"):
        nbtrack.log_params({"lr": lr, "model": "mlp"})
        for step in range(30):
            nbtrack.log_metric("loss", (1 - lr) ** step, step=step)
        nbtrack.log_metric("acc", round(0.8 + lr, 3))
try:
    with nbtrack.start_run(run_name="diverged"):
        nbtrack.log_param("lr", 1.0)
        raise FloatingPointError("loss is nan")
except FloatingPointError:
    pass
"""
CELL_START = 'live = nbtrack.start_run(run_name="live-run")\nnbtrack.log_metric("loss", 0.5)'
CELL_END = "nbtrack.end_run()"


def _notebook(cells: list[str]) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
             "outputs": [], "source": src}
            for i, src in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                    "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


class Lab:
    def __init__(self, url: str, token: str, store: Path):
        self.url, self.token, self.store = url, token, store


@pytest.fixture
def lab(tmp_path) -> Iterator[Lab]:
    """``jupyter lab`` on a free port with a random token, serving a tmp store; killed after."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    root, store = tmp_path / "root", tmp_path / "store"
    root.mkdir()
    (root / "demo.ipynb").write_text(json.dumps(_notebook([CELL_RUNS, CELL_START, CELL_END])))
    seed = TrackingClient(str(store))
    run = seed.create_run(seed.create_experiment("models-src"), run_name="trainer").info.run_id
    seed.log_model(run, {"weights": [1, 2]}, "model", registered_model_name="churn")
    seed.set_terminated(run)

    with serve_lab(root, lab_env(tmp_path, store), tmp_path / "lab.log") as (url, token):
        yield Lab(url, token, store)


@pytest.fixture
def page(lab):
    with chromium_page(f"{lab.url}/lab/tree/demo.ipynb?token={lab.token}") as page:
        yield page


def _run_cell(page, index: int, count: int) -> None:
    """Run notebook cell ``index``; wait until its prompt shows execution ``count`` and Idle."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    prompt = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt")
    prompt.filter(has_text=f"[{count}]").wait_for()
    _wait_idle(page)


def _wait_idle(page) -> None:
    page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\|\s*Idle")).wait_for()


def _row(page, name: str):
    return page.locator(f'[data-testid="run-row"][data-run-name="{name}"]')


def test_sidebar_lists_runs_follows_kernel_and_promotes(lab, page, tmp_path):
    _wait_idle(page)  # the notebook's kernel started
    _run_cell(page, 0, 1)

    page.locator('.jp-SideBar [data-id="nbtrack-experiments"]').click()
    sidebar = page.locator('[data-testid="nbtrack-panel"]')
    sidebar.wait_for()
    for name in ("lr-0.1", "lr-0.03", "lr-0.01"):
        _row(page, name).wait_for()
        assert "FINISHED" in _row(page, name).get_by_test_id("status-badge").inner_text()
    assert "FAILED" in _row(page, "diverged").get_by_test_id("status-badge").inner_text()
    selected = page.locator('[data-testid="experiment-select"] option:checked').inner_text()
    assert selected == "browser-demo"  # the newest experiment is followed

    _screenshot(page, tmp_path)

    # A run started by the kernel appears without clicking refresh (idle poll), then its
    # RUNNING badge turns FINISHED on its own (fast poll while a run is live).
    _run_cell(page, 1, 2)
    _row(page, "live-run").get_by_test_id("status-badge").filter(has_text="RUNNING").wait_for()
    _run_cell(page, 2, 3)
    _row(page, "live-run").get_by_test_id("status-badge").filter(has_text="FINISHED").wait_for()

    # A bad filter is reported inline with its position; a good one narrows the table.
    page.get_by_test_id("filter-input").fill("metrics.acc >> 1")
    page.get_by_test_id("filter-input").press("Enter")
    assert "position 13" in page.get_by_test_id("filter-error").inner_text()
    page.get_by_test_id("filter-input").fill("params.lr = '0.01'")
    page.get_by_test_id("filter-input").press("Enter")
    page.get_by_test_id("filter-error").wait_for(state="detached")
    wait_for(lambda: page.get_by_test_id("run-row").count() == 1, 30, "filtered table")
    run_id = _row(page, "lr-0.01").get_attribute("data-run-id")
    _row(page, "lr-0.01").click()
    detail = page.get_by_test_id("run-detail")
    assert "mlp" in detail.inner_text()
    detail.get_by_test_id("metric-chart").filter(has_text="loss").locator("path.nbtrack-line").wait_for()

    # "Insert code" puts a loader for this run into the notebook's active cell.
    detail.get_by_test_id("insert-run-code").click()
    active = page.locator(".jp-Notebook .jp-Cell.jp-mod-active .jp-InputArea-editor")
    active.filter(has_text=f'get_run("{run_id}")').wait_for()

    # Promote a version created before the lab started; the store must change.
    page.get_by_test_id("tab-models").click()
    page.locator('[data-testid="model-row"][data-model-name="churn"]').click()
    version = page.locator('[data-testid="version-row"][data-version="1"]')
    version.get_by_test_id("promote-production").click()
    page.locator('[data-testid="version-row"][data-version="1"][data-stage="Production"]').wait_for()
    stage = TrackingClient(str(lab.store)).get_model_version("churn", 1).current_stage
    assert stage == "Production"


def _widen_sidebar(page, width: int) -> None:
    """Drag the handle between the left sidebar and the notebook area to ``width`` px."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(width, box["y"] + 200, steps=5)
    page.mouse.up()
    wait_for(lambda: page.get_by_test_id("nbtrack-panel").bounding_box()["width"] > width - 80,
              10, "the sidebar to widen")


def _screenshot(page, tmp_path: Path) -> None:
    """The sidebar beside the notebook; copied to docs/ only when NBTRACK_SCREENSHOT=1."""
    _widen_sidebar(page, 560)
    shot = tmp_path / "sidebar.png"
    page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": 1180, "height": 480})
    assert 0 < shot.stat().st_size < 300_000
    if os.environ.get("NBTRACK_SCREENSHOT") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "sidebar.png")
