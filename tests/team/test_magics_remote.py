"""Magics against a server: ``%track_experiment --uri`` and the panel magics' ``--uri``."""
from __future__ import annotations

import uuid

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

import nbtrack
from nbtrack import TrackingClient
from nbtrack.entities import Metric
from nbtrack.fluent import runs as fluent


@pytest.fixture
def ip(extension_loaded, tmp_path, monkeypatch):
    """A real shell with the extension, whose default store is a local folder."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    local = str(tmp_path / "local-store")
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)  # it would come before --uri
    nbtrack.set_tracking_uri(local)
    monkeypatch.chdir(tmp_path)
    with extension_loaded(shell):
        yield shell
    fluent._reset()


def _cell(ip, code: str):
    with capture_output() as captured:
        result = ip.run_cell(code)
    assert result.success, result.error_in_exec
    return captured


def _twin(captured) -> str:
    return next(o.data["text/html"] for o in captured.outputs
                if "text/html" in o.data and "nbtrack-twin" in o.data["text/html"])


def test_track_experiment_uri_sends_the_next_runs_to_the_server(ip, mlflow_server, mlflow_client):
    name = f"magic-{uuid.uuid4().hex[:8]}"
    out = _cell(ip, f"%track_experiment {name} --uri {mlflow_server.uri}")
    assert f"experiment {name!r}" in out.stdout and mlflow_server.uri in out.stdout
    _cell(ip, "import nbtrack")
    _cell(ip, "%%track_run first\nfor i in range(5):\n    nbtrack.log_metric('loss', 1 / (i + 1), step=i)")
    exp = mlflow_client.get_experiment_by_name(name)
    (run,) = mlflow_client.search_runs([exp.experiment_id])
    assert run.info.run_name == "first" and run.info.status == "FINISHED"
    assert [m.step for m in mlflow_client.get_metric_history(run.info.run_id, "loss")] == list(range(5))
    assert nbtrack.get_tracking_uri() == mlflow_server.uri


def test_track_experiment_uri_alone_and_a_dead_server_changes_nothing(ip, mlflow_server, monkeypatch):
    out = _cell(ip, f"%track_experiment --uri {mlflow_server.uri}")
    assert mlflow_server.uri in out.stdout
    before = nbtrack.get_tracking_uri()
    monkeypatch.setenv("NBTRACK_MLFLOW_TIMEOUT", "5")
    dead = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(UsageError, match=r"127\.0\.0\.1:\d+.*tracking URI is unchanged"):
        ip.run_line_magic("track_experiment", f"x --uri {dead}")
    assert nbtrack.get_tracking_uri() == before
    with pytest.raises(UsageError, match="NAME, --uri URI, or both"):
        ip.run_line_magic("track_experiment", "")


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_panels_read_the_store_given_by_uri(ip, mlflow_server):
    client = TrackingClient(mlflow_server.uri)
    name = f"panels-{uuid.uuid4().hex[:8]}"
    exp_id = client.create_experiment(name)
    ids = []
    for i in range(2):
        run = client.create_run(exp_id, run_name=f"remote-{i}")
        client.log_batch(run.info.run_id, metrics=[Metric("acc", i / 2, 0, 0)])
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    browse = _cell(ip, f"%nbtrack_browse {name} --uri {mlflow_server.uri}")
    assert f"nbtrack store: {mlflow_server.uri}" in browse.stdout or any(
        mlflow_server.uri in o.data.get("text/plain", "") for o in browse.outputs)
    html = _twin(browse)
    assert "remote-0" in html and "remote-1" in html
    compare = _cell(ip, f"%nbtrack_compare remote-0 remote-1 --uri {mlflow_server.uri}")
    assert "Comparison of 2 runs" in _twin(compare)
    client.log_model(ids[1], {"w": 1}, "model", registered_model_name=f"{name}-model")
    registry = _cell(ip, f"%nbtrack_registry {name}-model --uri {mlflow_server.uri}")
    assert f"{name}-model" in _twin(registry)
    assert nbtrack.get_tracking_uri() != mlflow_server.uri  # the panels changed nothing
