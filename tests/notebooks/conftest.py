"""Run notebooks in real kernels (nbclient, papermill, nbconvert) against a store in tmp_path."""
from __future__ import annotations

import os
import queue
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import nbtrack

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
KERNEL = "python3"
TIMEOUT_S = 120
# How long outputs may trail a cell's execute reply. nbclient's default (4 s) silently drops
# them on a loaded machine; here a late output waits, and a missing one fails loudly.
IOPUB_S = 120
# Starting a kernel on a loaded 2-core machine can take tens of seconds: wait generously, and
# on a real reply, never on heartbeats.
KERNEL_READY_S = 180


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
    NotebookClient(nb, kernel_name=KERNEL, timeout=TIMEOUT_S, startup_timeout=KERNEL_READY_S,
                   iopub_timeout=IOPUB_S, raise_on_iopub_timeout=True, allow_errors=allow_errors, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def wait_until_replying(kc: Any, timeout: float = KERNEL_READY_S) -> dict[str, Any]:
    """Block until the kernel answers a ``kernel_info_request``; returns the reply.

    A client built from a connection file has no process to poll, and its ``wait_for_ready``
    takes missed heartbeats for a dead kernel, which a busy machine produces. A reply on the
    shell channel is proof of life. A request sent before the kernel's sockets were up may be
    dropped, so it is sent again every few seconds.
    """
    deadline = time.monotonic() + timeout
    kc.kernel_info()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the kernel did not answer kernel_info within {timeout} s")
        try:
            reply = kc.get_shell_msg(timeout=min(remaining, 5.0))
        except queue.Empty:
            kc.kernel_info()
            continue
        if reply["msg_type"] == "kernel_info_reply":
            _drain(kc.get_iopub_msg)
            return reply


def _drain(get: Any) -> None:
    """Drop the messages already waiting on a channel (startup status and stream noise)."""
    while True:
        try:
            get(timeout=0.2)
        except queue.Empty:
            return


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
