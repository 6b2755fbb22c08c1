"""Headless pipeline: execute a notebook with nbconvert, export HTML, find the static twins.

The exported HTML must show the run table and the loss curves without JavaScript: nbconvert
prefers the widget view of a bundle once the notebook stores widget state, so the panels
publish their static twin as a separate output.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from .conftest import REPO
from .svgparse import div_blocks, elements, path_commands, table_rows

N_POINTS = 37
WIDGET = "application/vnd.jupyter.widget-view+json"

CELLS = [
    "%load_ext nbtrack\nimport nbtrack\nnbtrack.set_experiment('pipeline')",
    "for i in range(3):\n"
    "    with nbtrack.start_run(run_name=f'sweep-{i}'):\n"
    "        nbtrack.log_params({'lr': 10 ** -i, 'note': '<i>x</i>'})\n"
    "        nbtrack.log_metric('acc', 0.5 + i / 10)",
    "%%track_run 'live <b>run</b>' --live\n"
    f"for i in range({N_POINTS}):\n"
    "    nbtrack.log_metric('train_loss', 1.0 / (i + 1), step=i)\n"
    "    nbtrack.log_metric('val_loss', 1.5 / (i + 1), step=i)",
    "from nbtrack.widgets import ExperimentBrowser\nExperimentBrowser()",
]


def _nbconvert(*args: str, cwd, env) -> None:
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", *args], cwd=cwd, env=env,
                   check=True, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """(executed notebook, exported HTML) of the pipeline notebook."""
    folder = tmp_path_factory.mktemp("pipeline")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbformat.write(nb, folder / "train.ipynb")
    env = {**os.environ, "NBTRACK_TRACKING_URI": str(folder / "store"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    _nbconvert("--to", "notebook", "--execute", "--ExecutePreprocessor.iopub_timeout=120",
               "--ExecutePreprocessor.raise_on_iopub_timeout=True", "train.ipynb", "--output", "run.ipynb",
               cwd=folder, env=env)
    _nbconvert("--to", "html", "run.ipynb", cwd=folder, env=env)
    return json.loads((folder / "run.ipynb").read_text()), (folder / "run.html").read_text()


def _twin_blocks(html: str) -> list[str]:
    return div_blocks(html, "nbtrack-twin")


def test_the_executed_notebook_keeps_widgets_and_twins(executed):
    nb, _ = executed
    live_cell, browse_cell = nb["cells"][2], nb["cells"][3]
    for cell in (live_cell, browse_cell):
        kinds = [set(o.get("data", {})) for o in cell["outputs"]]
        assert any(WIDGET in k for k in kinds), kinds
        assert any("text/html" in k and WIDGET not in k for k in kinds), kinds
    assert "application/vnd.jupyter.widget-state+json" in nb["metadata"]["widgets"]


def test_html_shows_the_loss_curves_with_every_point(executed):
    _, html = executed
    paths = {p["data-key"]: p["d"] for p in elements(html, "path", "nbtrack-line")}
    assert set(paths) == {"train_loss", "val_loss"}
    assert path_commands(paths["train_loss"]) == "M" + "L" * (N_POINTS - 1)
    assert path_commands(paths["val_loss"]) == "M" + "L" * (N_POINTS - 1)


def test_html_shows_the_run_table_rows(executed):
    _, html = executed
    (table,) = [b for b in _twin_blocks(html) if "nbtrack-runs" in b]
    rows = table_rows(table)
    assert rows[0][:5] == ["name", "status", "start", "duration", "run_id"]
    assert sorted(r[0] for r in rows[1:]) == ["live <b>run</b>", "sweep-0", "sweep-1", "sweep-2"]
    assert all(r[1] == "FINISHED" for r in rows[1:])
    assert "params.note" in rows[0] and "<i>x</i>" in {c for r in rows for c in r}


def test_twins_need_no_script_and_escape_user_text(executed):
    _, html = executed
    blocks = _twin_blocks(html)
    assert len(blocks) == 2
    assert all("<script" not in b for b in blocks)
    assert "<b>run</b>" not in html and "<i>x</i>" not in html
