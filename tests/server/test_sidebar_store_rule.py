"""In a real JupyterLab and headless Chromium: the runs of a notebook in a subfolder are the runs
the sidebar shows (one store rule for kernel and server), with no env var and no store yet."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.client import TrackingClient
from tests._support.lab import CHROMIUM, chromium_page, lab_env, serve_lab

from .test_sidebar_browser import _notebook, _row, _run_cell, _wait_idle

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
    with serve_lab(project, lab_env(tmp_path, None), tmp_path / "lab.log") as (url, token):
        yield url, token, project


def test_notebook_in_a_subfolder_and_the_sidebar_show_the_same_runs(project_lab):
    url, token, project = project_lab
    with chromium_page(f"{url}/lab/tree/sub/train.ipynb?token={token}") as page:
        _wait_idle(page)
        _run_cell(page, 0, 1)
        _run_cell(page, 1, 2)
        page.locator('.jp-SideBar [data-id="nbtrack-experiments"]').click()
        page.locator('[data-testid="nbtrack-panel"]').wait_for()
        _row(page, "from-sub").wait_for()
        shown = _row(page, "from-sub").get_attribute("data-run-id")
    store = project / "nbtrack-store"
    runs = TrackingClient(str(store)).search_runs(
        [TrackingClient(str(store)).get_experiment_by_name("sub-notebook").experiment_id])
    assert [r.info.run_id for r in runs] == [shown]
    assert not (project / "sub" / "nbtrack-store").exists()
