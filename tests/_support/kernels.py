"""Notebooks executed in real kernels (nbclient) against a store in tmp_path."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

KERNEL = "python3"
TIMEOUT_S = 120
# How long outputs may trail a cell's execute reply. nbclient's default (4 s) silently drops
# them on a loaded machine; here a late output waits, and a missing one fails loudly.
IOPUB_S = 120
# Starting a kernel on a loaded 2-core machine can take tens of seconds: wait generously, and
# on a real reply, never on heartbeats.
KERNEL_READY_S = 180


def notebook(*sources: str) -> nbformat.NotebookNode:
    """A notebook of code cells."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    return nb


def notebook_client(nb: nbformat.NotebookNode, cwd: Path, timeout: float = TIMEOUT_S, **kwargs: Any) -> NotebookClient:
    """An nbclient client for ``nb`` in a fresh kernel whose working directory is ``cwd``."""
    return NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, startup_timeout=KERNEL_READY_S,
                          iopub_timeout=IOPUB_S, raise_on_iopub_timeout=True,
                          resources={"metadata": {"path": str(cwd)}}, **kwargs)


def execute(nb: nbformat.NotebookNode, cwd: Path, allow_errors: bool = False) -> nbformat.NotebookNode:
    """Execute ``nb`` in a fresh kernel whose working directory is ``cwd``."""
    notebook_client(nb, cwd, allow_errors=allow_errors).execute()
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
