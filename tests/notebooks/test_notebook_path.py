"""The notebook path, as a kernel started by a real Jupyter server sees it."""
from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient

from tests._support.lab import serve_jupyter_server, wait_for

from .conftest import KERNEL_READY_S, runs_by_name, wait_until_replying

TOKEN = "nbtrack-test-token"
WAIT_S = 120


def api(url: str, method: str = "GET", body: dict | None = None):
    request = urllib.request.Request(
        url, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def server(store_uri, tmp_path, monkeypatch):
    """A real `jupyter server` subprocess with its own runtime dir; yields (base url, root, runtime)."""
    runtime, root = tmp_path / "runtime", tmp_path / "root"
    runtime.mkdir()
    (root / "project").mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    with serve_jupyter_server(root, dict(os.environ), tmp_path / "server.log", TOKEN) as base:
        yield base, root, runtime


def run_in_kernel(kc: BlockingKernelClient, code: str) -> str:
    """Execute ``code`` and return its stdout; fail on an error reply."""
    out: list[str] = []

    def collect(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=WAIT_S, output_hook=collect)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


@contextmanager
def server_kernel(runtime: Path, kernel_id: str) -> Iterator[BlockingKernelClient]:
    """A client of a kernel the server started, once it answers (readiness: kernel_info, not heartbeats)."""
    connection = runtime / f"kernel-{kernel_id}.json"
    wait_for(connection.exists, KERNEL_READY_S, "the kernel connection file")
    kc = BlockingKernelClient(connection_file=str(connection))
    kc.load_connection_file()
    kc.start_channels()
    try:
        wait_until_replying(kc)
        yield kc
    finally:
        kc.stop_channels()


def test_kernel_finds_its_notebook_via_env_and_via_the_sessions_api(server, client):
    base, root, runtime = server
    session = api(f"{base}/api/sessions", "POST", {
        "path": "project/train.ipynb", "name": "train.ipynb", "type": "notebook",
        "kernel": {"name": "python3"}})
    with server_kernel(runtime, session["kernel"]["id"]) as kc:
        expected = str(root / "project" / "train.ipynb")
        seen = run_in_kernel(kc, "import os; print(os.environ.get('JPY_SESSION_NAME'))").strip()
        assert seen == expected  # what JupyterLab's server hands the kernel
        # Without the variable (older servers), the sessions API of the running server is asked.
        probe = ("del os.environ['JPY_SESSION_NAME']\n"
                 "from nbtrack import capture\nprint(capture.find_notebook_path({}))")
        assert run_in_kernel(kc, probe).strip() == expected
        run_in_kernel(kc, "%load_ext nbtrack")
        run_in_kernel(kc, "%%track_run located\nx = 1")
    run = runs_by_name(client)["located"]
    assert run.data.tags["nbtrack.notebook"] == run.data.tags["mlflow.source.name"] == expected
    assert Path(run.data.tags["nbtrack.notebook"]).parent == root / "project"
