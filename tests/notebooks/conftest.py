"""Run notebooks in real kernels (nbclient, papermill, nbconvert) against a store in tmp_path."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import nbtrack

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
KERNEL = "python3"
TIMEOUT_S = 120


@pytest.fixture
def store_uri(tmp_path, monkeypatch) -> str:
    """A fresh store; kernels started from this test inherit it (and this checkout on PYTHONPATH)."""
    uri = str(tmp_path / "store")
    monkeypatch.setenv("NBTRACK_TRACKING_URI", uri)
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", f"{REPO}{os.pathsep}{path}" if path else str(REPO))
    for var in ("NBTRACK_NOTEBOOK", "JPY_SESSION_NAME", "NBTRACK_EXPERIMENT_NAME", "NBTRACK_EXPERIMENT_ID"):
        monkeypatch.delenv(var, raising=False)
    return uri


@pytest.fixture
def client(store_uri) -> nbtrack.TrackingClient:
    return nbtrack.TrackingClient(store_uri)


def notebook(*sources: str) -> nbformat.NotebookNode:
    """A notebook of code cells."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb: nbformat.NotebookNode, cwd: Path, allow_errors: bool = False) -> nbformat.NotebookNode:
    """Execute ``nb`` in a fresh kernel whose working directory is ``cwd``."""
    NotebookClient(nb, kernel_name=KERNEL, timeout=TIMEOUT_S, allow_errors=allow_errors,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def output_text(cell: nbformat.NotebookNode) -> str:
    """Stream text, plain-text data and error names/values of one executed cell."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def runs_by_name(client: nbtrack.TrackingClient) -> dict[str, nbtrack.Run]:
    ids = [e.experiment_id for e in client.search_experiments()]
    return {r.info.run_name: r for r in client.search_runs(ids, max_results=1000)}


def artifact_text(client: nbtrack.TrackingClient, run_id: str, path: str, dest: Path) -> str:
    local = client.download_artifacts(run_id, path, str(dest / f"dl-{run_id}"))
    return Path(local).read_text(encoding="utf-8")
