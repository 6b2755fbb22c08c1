"""A real IPython InteractiveShell with the nbtrack extension, on a TinyDB store in tmp_path."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import nbtrack


@pytest.fixture(scope="session")
def shell() -> InteractiveShell:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config)


@pytest.fixture
def store_uri(tmp_path, monkeypatch) -> str:
    uri = str(tmp_path / "store")
    monkeypatch.setenv("NBTRACK_TRACKING_URI", uri)
    nbtrack.set_tracking_uri(uri)
    return uri


@pytest.fixture
def ip(shell, store_uri, monkeypatch, tmp_path, extension_loaded):
    """The shared shell, extension loaded, namespace and run stack clean before and after."""
    monkeypatch.delenv("NBTRACK_NOTEBOOK", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    shell.history_manager.reset()  # a fresh session: earlier tests' cells are not this test's
    with extension_loaded(shell):
        yield shell


@pytest.fixture
def client(store_uri) -> nbtrack.TrackingClient:
    return nbtrack.TrackingClient(store_uri)


def all_runs(client: nbtrack.TrackingClient) -> list:
    """Every run of every experiment, oldest first."""
    ids = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(ids, max_results=1000)
    return sorted(runs, key=lambda r: r.info.start_time)


def artifact_text(client: nbtrack.TrackingClient, run_id: str, path: str, tmp_path) -> str:
    local = client.download_artifacts(run_id, path, str(tmp_path / f"dl-{run_id}"))
    with open(local, encoding="utf-8") as f:
        return f.read()


REPO = Path(__file__).resolve().parents[2]


def python_env() -> dict[str, str]:
    """Environment for a child Python that must import this checkout of nbtrack."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO)}
