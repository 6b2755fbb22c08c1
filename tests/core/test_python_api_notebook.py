"""notebooks/python-api.ipynb runs top to bottom in a real kernel and shows what it promises."""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "python-api.ipynb"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


def test_notebook_runs(monkeypatch, capsys):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    started = time.monotonic()
    NotebookClient(nb, timeout=120, startup_timeout=180, iopub_timeout=120,
                   raise_on_iopub_timeout=True, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    elapsed = time.monotonic() - started
    outputs = [_text(c) for c in nb.cells if c.cell_type == "code"]
    joined = "\n".join(outputs)
    assert "'FAILED'" in joined
    assert "start_run(nested=True)" in joined
    assert "deleted: ['diverges']" in joined
    assert "lr-0.5" in joined and "completed" in joined
    with capsys.disabled():
        print(f"\n[python-api.ipynb executed in {elapsed:.1f} s]")
