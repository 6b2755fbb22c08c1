"""TrackingClient run lifecycle: create / get / update / terminate / delete / restore / stale runs."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nbtrack
from nbtrack import (
    ExperimentNotFoundError,
    InvalidParameterError,
    LifecycleStage,
    NbtrackError,
    RunNotFoundError,
    RunStateError,
    RunStatus,
    TrackingClient,
    ViewType,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def c(any_uri) -> TrackingClient:
    return TrackingClient(any_uri)


def test_create_run_defaults(c):
    run = c.create_run("0")
    assert run.info.status == RunStatus.RUNNING
    assert run.info.experiment_id == "0"
    assert run.info.lifecycle_stage == LifecycleStage.ACTIVE
    assert run.info.end_time is None
    assert run.data.tags["mlflow.runName"] == run.info.run_name
    assert c.get_run(run.info.run_id) == run


def test_create_run_with_name_time_and_tags(c):
    run = c.create_run("0", start_time=1_700_000_000_000, tags={"k": 1}, run_name="named")
    assert (run.info.run_name, run.info.start_time) == ("named", 1_700_000_000_000)
    assert run.data.tags["k"] == "1"
    assert c.create_run("0", tags={"mlflow.runName": "from-tag"}).info.run_name == "from-tag"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"experiment_id": "404"}, ExperimentNotFoundError),
        ({"experiment_id": None}, InvalidParameterError),
        ({"start_time": 1.5}, InvalidParameterError),
        ({"run_name": ""}, InvalidParameterError),
        ({"run_name": 3}, InvalidParameterError),
        ({"tags": {"bad key?": "v"}}, InvalidParameterError),
        ({"tags": "k=v"}, InvalidParameterError),
    ],
)
def test_create_run_bad_inputs(c, kwargs, error):
    args = {"experiment_id": "0", **kwargs}
    with pytest.raises(error):
        c.create_run(**args)


def test_get_run_missing(c):
    with pytest.raises(RunNotFoundError):
        c.get_run("d" * 32)
    with pytest.raises(InvalidParameterError):
        c.get_run("")


@pytest.mark.parametrize("status", [RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED])
def test_set_terminated(c, status):
    run_id = c.create_run("0").info.run_id
    c.set_terminated(run_id, status, end_time=1_800_000_000_000)
    info = c.get_run(run_id).info
    assert (info.status, info.end_time) == (status, 1_800_000_000_000)


def test_set_terminated_default_end_time_and_bad_input(c):
    run = c.create_run("0")
    c.set_terminated(run.info.run_id)
    info = c.get_run(run.info.run_id).info
    assert info.status == RunStatus.FINISHED and info.end_time >= info.start_time
    with pytest.raises(InvalidParameterError, match="status"):
        c.set_terminated(run.info.run_id, "DONE")
    with pytest.raises(InvalidParameterError):
        c.set_terminated(run.info.run_id, end_time="later")
    with pytest.raises(RunNotFoundError):
        c.set_terminated("e" * 32)


def test_update_run(c):
    run_id = c.create_run("0", run_name="a").info.run_id
    c.update_run(run_id, name="b")
    c.update_run(run_id, status=RunStatus.FAILED)
    got = c.get_run(run_id)
    assert (got.info.run_name, got.data.tags["mlflow.runName"], got.info.status) == ("b", "b", RunStatus.FAILED)
    assert got.info.end_time is None  # update_run leaves the end time alone, as in MLflow
    with pytest.raises(InvalidParameterError):
        c.update_run(run_id, status="PAUSED")
    with pytest.raises(InvalidParameterError):
        c.update_run(run_id, name="")


def test_delete_and_restore_run(c):
    run_id = c.create_run("0").info.run_id
    c.delete_run(run_id)
    assert c.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    assert run_id not in [r.info.run_id for r in c.search_runs(["0"])]
    with pytest.raises(RunStateError):
        c.update_run(run_id, name="x")
    c.restore_run(run_id)
    assert c.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE
    assert run_id in [r.info.run_id for r in c.search_runs(["0"], run_view_type=ViewType.ACTIVE_ONLY)]
    with pytest.raises(RunNotFoundError):
        c.delete_run("f" * 32)


def test_log_batch_empty_checks_the_run(c):
    run_id = c.create_run("0").info.run_id
    c.log_batch(run_id)
    c.delete_run(run_id)
    with pytest.raises(RunStateError):
        c.log_batch(run_id)


def test_stale_runs_are_found_and_closed(tracking_uri):
    """A run whose process died without ending it is stale; closing marks it KILLED."""
    code = textwrap.dedent(
        f"""
        import os, nbtrack
        c = nbtrack.TrackingClient({tracking_uri!r})
        run = c.create_run("0")
        print(run.info.run_id, flush=True)
        os._exit(0)  # no atexit: the run stays RUNNING
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    dead = out.stdout.strip()
    client = TrackingClient(tracking_uri)
    alive = client.create_run("0").info.run_id
    stale = client.find_stale_runs()
    assert dead in stale and alive not in stale
    assert client.find_stale_runs(["0"]) == stale
    assert client.close_stale_runs() == stale
    info = client.get_run(dead).info
    assert info.status == RunStatus.KILLED and info.end_time is not None
    assert client.get_run(alive).info.status == RunStatus.RUNNING
    assert client.find_stale_runs() == []
    with pytest.raises(InvalidParameterError):
        client.find_stale_runs(experiment_ids=42.0)


def test_clients_share_one_store_and_buffer(any_uri):
    a, b = TrackingClient(any_uri), TrackingClient(any_uri)
    run_id = a.create_run("0").info.run_id
    a.log_metric(run_id, "m", 1.0)
    assert b.get_run(run_id).data.metrics == {"m": 1.0}
    b.flush()
    assert a._store is b._store


# -- tracking URIs -------------------------------------------------------------------------
@pytest.mark.parametrize("uri", ["databricks", "databricks://profile"])
def test_databricks_uris_are_refused(uri):
    with pytest.raises(NbtrackError, match="Databricks"):
        TrackingClient(uri)
    with pytest.raises(NbtrackError, match="Databricks"):
        nbtrack.set_tracking_uri(uri)


def test_server_uris_with_credentials_are_refused_without_echoing_them():
    with pytest.raises(NbtrackError, match="MLFLOW_TRACKING_USERNAME") as err:
        nbtrack.set_tracking_uri("http://alice:s3cret@127.0.0.1:5000")
    assert "s3cret" not in str(err.value)


@pytest.mark.parametrize("uri", [3, "", "   "])
def test_bad_uri_types(uri):
    with pytest.raises(InvalidParameterError):
        TrackingClient(uri)


def test_relative_uri_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nbtrack.set_tracking_uri("rel-store")
    assert nbtrack.get_tracking_uri() == f"tinydb://{tmp_path.resolve() / 'rel-store'}"
    monkeypatch.chdir("/")
    assert TrackingClient().tracking_uri == f"tinydb://{tmp_path.resolve() / 'rel-store'}"


def test_default_and_env_uri(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)
    nbtrack.set_tracking_uri(None)
    assert nbtrack.get_tracking_uri() == f"tinydb://{tmp_path.resolve() / 'nbtrack-store'}"
    monkeypatch.setenv("NBTRACK_TRACKING_URI", str(tmp_path / "env-store"))
    assert nbtrack.get_tracking_uri() == f"tinydb://{tmp_path.resolve() / 'env-store'}"
    with nbtrack.start_run() as run:
        pass
    assert TrackingClient(str(tmp_path / "env-store")).get_run(run.run_id).info.status == RunStatus.FINISHED


def test_switching_uri_keeps_active_run_in_its_store(tmp_path):
    nbtrack.set_tracking_uri(str(tmp_path / "one"))
    with nbtrack.start_run() as run:
        nbtrack.set_tracking_uri(str(tmp_path / "two"))
        nbtrack.log_metric("m", 1.0)
    assert TrackingClient(str(tmp_path / "one")).get_run(run.run_id).data.metrics == {"m": 1.0}
    with pytest.raises(RunNotFoundError):
        TrackingClient(str(tmp_path / "two")).get_run(run.run_id)


def test_path_objects_are_accepted(tmp_path):
    client = TrackingClient(tmp_path / "p")
    assert client.tracking_uri == f"tinydb://{(tmp_path / 'p').resolve()}"
    assert os.path.isdir(tmp_path / "p")
    assert "TrackingClient(" in repr(client)
