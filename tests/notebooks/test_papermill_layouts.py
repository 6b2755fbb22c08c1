"""Papermill's injected parameters are logged whether the parameters cell comes before or after
``%load_ext nbtrack`` (real papermill, real kernel)."""
from __future__ import annotations

import nbformat
import pytest

from .conftest import IOPUB_S, KERNEL, KERNEL_READY_S, TIMEOUT_S, notebook, runs_by_name

papermill = pytest.importorskip("papermill")

DEFAULTS = "alpha = 0.1\nlabel = 'default'"
LOAD = "%load_ext nbtrack\nimport nbtrack"
TRACKED = "%%track_run tuned\nnbtrack.log_metric('alpha_seen', alpha)"


@pytest.mark.parametrize("layout", ["parameters-first", "load-ext-first"])
def test_injected_parameters_are_logged(layout, store_uri, client, tmp_path):
    cells = [DEFAULTS, LOAD, TRACKED] if layout == "parameters-first" else [LOAD, DEFAULTS, TRACKED]
    nb = notebook(*cells)
    nb.cells[cells.index(DEFAULTS)].metadata["tags"] = ["parameters"]
    source = tmp_path / "in.ipynb"
    nbformat.write(nb, source)
    papermill.execute_notebook(
        str(source), str(tmp_path / "out.ipynb"), parameters={"alpha": 0.5, "label": "injected"},
        kernel_name=KERNEL, cwd=str(tmp_path), progress_bar=False, execution_timeout=TIMEOUT_S,
        start_timeout=KERNEL_READY_S, iopub_timeout=IOPUB_S, raise_on_iopub_timeout=True,
    )
    run = runs_by_name(client)["tuned"]
    assert run.data.params == {"alpha": "0.5", "label": "injected"}
    assert run.data.tags["nbtrack.papermill"] == "true"
    assert run.data.metrics == {"alpha_seen": 0.5}
