"""Every notebook in notebooks/ runs headless and records runs: nbclient, papermill, nbconvert."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

import nbtrack

from .conftest import IOPUB_S, KERNEL_READY_S, NOTEBOOKS, TIMEOUT_S, execute, runs_by_name

ALL = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_notebooks_folder_is_not_empty():
    assert {p.name for p in ALL} >= {"quickstart.ipynb", "sklearn-sweep.ipynb"}


# Appended to each notebook: reports what the notebook left in whichever store it used.
PROBE = """\
import json as _json, nbtrack as _nbt
_client = _nbt.TrackingClient()
_runs = _client.search_runs([e.experiment_id for e in _client.search_experiments()], max_results=50000)
print("NBTRACK-PROBE " + _json.dumps({
    "uri": _nbt.get_tracking_uri(),
    "runs": len(_runs),
    "running": [r.info.run_name for r in _runs if r.info.status == "RUNNING"],
    "tracked_cells": sum("nbtrack.cell_source" in r.data.tags for r in _runs),
    "active": _nbt.active_run() is not None,
}))
"""


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_notebook_runs_headless_and_records_runs(path, store_uri, tmp_path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit no outputs"
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    execute(nb, tmp_path)
    # A print can reach the notebook as several stream outputs (the kernel flushes on a timer).
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    [line] = [ln for ln in text.splitlines() if ln.startswith("NBTRACK-PROBE ")]
    report = json.loads(line.split(" ", 1)[1])
    assert report["runs"] > 0, f"{path.name} recorded no runs"
    assert report["running"] == [] and not report["active"], f"{path.name} left runs open"


@pytest.mark.parametrize("name", ["quickstart", "sklearn-sweep"])
def test_magic_notebooks_honour_the_tracking_uri(name, store_uri, client, tmp_path):
    execute(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4), tmp_path)
    runs = runs_by_name(client)
    assert runs and {r.info.status for r in runs.values()} == {"FINISHED"}
    assert any("nbtrack.cell_source" in r.data.tags for r in runs.values())
    assert not (tmp_path / "nbtrack-store").exists()


def test_without_a_tracking_uri_the_store_sits_beside_the_notebook(store_uri, tmp_path, monkeypatch):
    monkeypatch.delenv("NBTRACK_TRACKING_URI")
    shutil.copy(NOTEBOOKS / "quickstart.ipynb", tmp_path)
    execute(nbformat.read(tmp_path / "quickstart.ipynb", as_version=4), tmp_path)
    beside = nbtrack.TrackingClient(str(tmp_path / "nbtrack-store"))
    assert "gd-baseline" in runs_by_name(beside)


def test_papermill_parameters_are_logged_on_every_tracked_run(store_uri, client, tmp_path):
    papermill = pytest.importorskip("papermill")
    papermill.execute_notebook(
        str(NOTEBOOKS / "sklearn-sweep.ipynb"), str(tmp_path / "out.ipynb"),
        parameters={"max_iter": 300, "test_size": 0.3}, kernel_name="python3",
        cwd=str(tmp_path), progress_bar=False, execution_timeout=TIMEOUT_S,
        start_timeout=KERNEL_READY_S, iopub_timeout=IOPUB_S, raise_on_iopub_timeout=True,
    )
    runs = runs_by_name(client)
    tracked = {name: r for name, r in runs.items() if "nbtrack.cell_source" in r.data.tags}
    assert set(tracked) == {"C=0.01", "C=1.0", "sweep"}
    for run in tracked.values():
        assert run.data.tags["nbtrack.papermill"] == "true"
        assert run.data.params["max_iter"] == "300" and run.data.params["test_size"] == "0.3"
    nested = [r for r in runs.values() if "mlflow.parentRunId" in r.data.tags]
    assert len(nested) == 3 and {r.data.params["max_iter"] for r in nested} == {"300"}


def test_nbconvert_execute_records_the_same_runs(store_uri, client, tmp_path):
    shutil.copy(NOTEBOOKS / "quickstart.ipynb", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.iopub_timeout=120", "--ExecutePreprocessor.raise_on_iopub_timeout=True",
         "--output", "executed.ipynb", "quickstart.ipynb"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    runs = runs_by_name(client)
    assert {"gd-baseline", "gd-fast", "exploration", "python-api"} <= set(runs)
    assert runs["gd-baseline"].data.params["learning_rate"] == "0.5"
    assert len(client.get_metric_history(runs["gd-baseline"].info.run_id, "loss")) == 60
    executed = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    assert any("nbtrack run 'gd-baseline'" in o.get("data", {}).get("text/plain", "")
               for c in executed.cells if c.cell_type == "code" for o in c.outputs)
