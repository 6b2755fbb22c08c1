"""Fixtures for the panel tests: real TinyDB stores in tmp_path, runs made through the client."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack.entities import Metric, Param

REPO = Path(__file__).resolve().parents[2]
XSS = "<script>alert('x')</script>"


def make_runs(client: nbtrack.TrackingClient, experiment_id: str, n: int, *,
              start: int = 0, finish: bool = True) -> list[str]:
    """``n`` runs named ``run-<i>`` with params lr/model and metrics acc/loss; returns their ids."""
    ids = []
    for i in range(start, start + n):
        run = client.create_run(experiment_id, run_name=f"run-{i:04d}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", i / 1000, 0, 0), Metric("loss", 1 - i / 1000, 0, 0)],
            params=[Param("lr", str(10.0 ** -(i % 4))), Param("model", ["rf", "svm"][i % 2])],
        )
        if finish:
            client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return ids


def make_stale_run(uri: str, experiment_id: str) -> str:
    """A RUNNING run created by a process that then died: the store reports it stale."""
    code = (
        "import sys, nbtrack\n"
        "c = nbtrack.TrackingClient(sys.argv[1])\n"
        "print(c.create_run(sys.argv[2], run_name='orphan').info.run_id)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code, uri, experiment_id], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def experiment_id(client) -> str:
    return client.create_experiment("widgets")


@pytest.fixture
def ip(tracking_uri, monkeypatch, tmp_path, extension_loaded):
    """A real IPython InteractiveShell with the nbtrack extension, on the test's store.

    Panels must not leave hooks behind once their twins are current (checked on exit).
    """
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    monkeypatch.setenv("NBTRACK_TRACKING_URI", tracking_uri)
    monkeypatch.chdir(tmp_path)
    with extension_loaded(shell):
        yield shell
