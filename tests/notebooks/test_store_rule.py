"""The store rule in real kernels: a notebook in a subfolder logs where the project (and the
sidebar's REST API) reads, not into a store of its own."""
from __future__ import annotations

import os

import pytest

import nbtrack
from tests._support.lab import serve_jupyter_server

from .conftest import execute, notebook, runs_by_name
from .test_notebook_path import TOKEN, api

LOAD = "%load_ext nbtrack\nimport nbtrack"
TRACKED = "%%track_run from-sub\nnbtrack.log_metric('m', 1.0)"


@pytest.fixture
def project(store_uri, tmp_path, monkeypatch):
    """tmp/project/sub, no store above tmp, no NBTRACK_TRACKING_URI, not a git work tree."""
    monkeypatch.delenv("NBTRACK_TRACKING_URI")
    monkeypatch.delenv("NBTRACK_PROJECT_ROOT", raising=False)
    assert not any((p / "nbtrack-store").is_dir() for p in tmp_path.parents), "stray store above tmp"
    (tmp_path / "project" / "sub").mkdir(parents=True)
    return tmp_path / "project"


def test_notebook_in_a_subfolder_logs_to_the_project_store(project):
    nbtrack.TrackingClient(str(project / "nbtrack-store")).create_experiment("made-at-root")
    execute(notebook(LOAD, TRACKED), project / "sub")
    assert "from-sub" in runs_by_name(nbtrack.TrackingClient(str(project / "nbtrack-store")))
    assert not (project / "sub" / "nbtrack-store").exists()


def test_kernel_started_by_the_server_and_the_sidebar_api_share_one_store(project, tmp_path):
    """No store yet: the kernel of sub/train.ipynb creates it at the server root, where the
    REST API behind the sidebar reads, and the API names that store."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    with serve_jupyter_server(project, env, tmp_path / "server.log", TOKEN,
                              "--ServerApp.jpserver_extensions={'nbtrack.server': True}") as base:
        session = api(f"{base}/api/sessions", "POST", {
            "path": "sub/train.ipynb", "name": "train.ipynb", "type": "notebook",
            "kernel": {"name": "python3"}})
        kernel_id = session["kernel"]["id"]
        _execute_via_rest(base, kernel_id, runtime)
        body = api(f"{base}/nbtrack/api/experiments")
        assert body["tracking_uri"] == f"tinydb://{project.resolve() / 'nbtrack-store'}"
        runs = api(f"{base}/nbtrack/api/runs?experiment_ids=0")["runs"]
        assert [r["info"]["run_name"] for r in runs] == ["from-sub"]
    assert not (project / "sub" / "nbtrack-store").exists()


def _execute_via_rest(base: str, kernel_id: str, runtime) -> None:
    """Run LOAD and TRACKED in the server's kernel through its connection file."""
    from .test_notebook_path import run_in_kernel, server_kernel

    with server_kernel(runtime, kernel_id) as kc:
        run_in_kernel(kc, LOAD)
        run_in_kernel(kc, TRACKED)


