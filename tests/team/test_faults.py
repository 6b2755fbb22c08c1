"""Faults on the way to an MLflow server: nothing lost, nothing duplicated, errors that say where."""
from __future__ import annotations

import socket
import sys
import uuid

import pytest

import nbtrack
from nbtrack import TrackingClient
from nbtrack.errors import NbtrackError, StoreError, StoreWriteError
from nbtrack.fluent import runs as fluent
from nbtrack.store.mlflow import MlflowStore


def _steps(mlflow_client, run_id: str, key: str = "m") -> list[int]:
    return sorted(m.step for m in mlflow_client.get_metric_history(run_id, key))


def test_line_down_mid_run_keeps_points_and_says_where(proxy, mlflow_client):
    nbtrack.set_tracking_uri(proxy.uri)
    nbtrack.set_experiment(f"faults-{uuid.uuid4().hex[:8]}")
    with nbtrack.start_run() as run:
        for i in range(300):
            nbtrack.log_metric("m", float(i), step=i)
        nbtrack.flush()
        proxy.down()  # the server is gone for the client: connections refused
        for i in range(300, 600):
            nbtrack.log_metric("m", float(i), step=i)  # buffering never fails
        with pytest.raises(StoreWriteError, match=f"127.0.0.1:{proxy.port}.*refused") as err:
            nbtrack.flush()
        assert "kept in memory" in str(err.value)
        raised = 0
        for i in range(600, 900):  # the outage is reported once more at most, at a log call
            try:
                nbtrack.log_metric("m", float(i), step=i)
            except StoreWriteError:
                raised += 1
                nbtrack.log_metric("m", float(i), step=i)  # the caller retries this one point
        assert raised <= 1
        proxy.up()
        nbtrack.flush()
    assert _steps(mlflow_client, run.info.run_id) == list(range(900))
    assert mlflow_client.get_run(run.info.run_id).info.status == "FINISHED"


def test_request_applied_but_answer_lost_is_not_sent_twice(proxy, mlflow_client):
    store = MlflowStore(proxy.uri)
    run_id = store.create_run("0", "lost-answers", 1000).info.run_id
    proxy.drop_responses()  # the server applies each request, the client never hears back
    for i in range(2500):
        store.append_metric(run_id, "m", float(i), 1000 + i, i)
    with pytest.raises(StoreWriteError, match=f"127.0.0.1:{proxy.port}"):
        store.flush()
    proxy.up()
    store.flush()
    assert _steps(mlflow_client, run_id) == list(range(2500))
    store.close()


def test_closed_port_is_a_clear_error(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}.*[Cc]onnection refused"):
        TrackingClient(f"http://127.0.0.1:{port}").search_experiments()


def test_server_that_never_answers_fails_after_the_timeout(monkeypatch):
    """A listening socket nobody serves: the call ends with an error naming it, not a hang."""
    monkeypatch.setenv("NBTRACK_MLFLOW_TIMEOUT", "2")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with pytest.raises(NbtrackError, match=f"127.0.0.1:{port}.*timed out"):
            MlflowStore(f"http://127.0.0.1:{port}").list_experiments()


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own (it gets stopped), on sqlite in tmp."""
    servers = sys.modules["_team_servers"]
    if servers.mlflow_executable() is None:
        pytest.fail("no mlflow server: .ci/setup creates .ci/venvs/mlflow-server (or set $NBTRACK_MLFLOW_SERVER)")
    server = servers.start_sqlite_server(tmp_path / "own")
    yield server
    fluent._reset()
    server.stop()


def test_server_process_stopped_mid_run_then_restarted_loses_nothing(own_server):
    """The real server process stops (SIGTERM) and comes back on the same port and database."""
    from mlflow.tracking import MlflowClient

    nbtrack.set_tracking_uri(own_server.uri)
    nbtrack.set_experiment("restarted")
    run = nbtrack.start_run()
    for i in range(200):
        nbtrack.log_metric("m", float(i), step=i)
    nbtrack.flush()
    own_server.stop()
    for i in range(200, 500):
        nbtrack.log_metric("m", float(i), step=i)  # buffering never fails, the server is gone
    with pytest.raises(StoreWriteError, match=f"127.0.0.1:{own_server.port}.*refused") as err:
        nbtrack.flush()
    assert "kept in memory" in str(err.value)
    own_server.start()
    nbtrack.flush()
    nbtrack.end_run()
    reader = MlflowClient(own_server.uri)
    assert _steps(reader, run.info.run_id) == list(range(500))
    assert reader.get_run(run.info.run_id).info.status == "FINISHED"
