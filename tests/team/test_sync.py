"""``nbtrack sync`` against a real MLflow server and against stores MLflow itself wrote."""
from __future__ import annotations

import io
import multiprocessing
import random
import signal
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import pytest

import nbtrack
from nbtrack import TrackingClient, cli
from nbtrack.sync import pull, push
from nbtrack.sync._sides import SOURCE_TAG

_AUTO_TAGS = ("mlflow.", "nbtrack.sync.")


def _fill(store: Path, exp: str, runs: int = 3, points: int = 1500) -> str:
    """A local store with runs of every kind: params, tags, long histories, artifacts, a model."""
    nbtrack.set_tracking_uri(store)
    nbtrack.set_experiment(exp)
    for r in range(runs):
        with nbtrack.start_run(run_name=f"r{r}"):
            nbtrack.log_params({"lr": 0.1 * (r + 1), "layers": r})
            nbtrack.set_tags({"team": "a", "idx": str(r)})
            for i in range(points):
                nbtrack.log_metric("loss", 1.0 / (i + 1), step=i)
            now = int(time.time() * 1000)  # one timestamp: two calls may fall in two milliseconds
            nbtrack.log_metric("acc", 0.5 + r / 10, timestamp=now)
            nbtrack.log_metric("acc", 0.5 + r / 10, timestamp=now)  # an identical point: MLflow keeps one
            nbtrack.log_text(f"notes of run {r}\n" * (r + 1), "notes/readme.txt")
            nbtrack.log_dict({"r": r}, "cfg/config.json")
    name = f"{exp}-model"
    for _ in range(2):
        with nbtrack.start_run(run_name="model-run"):
            nbtrack.log_model({"w": 1}, "model", registered_model_name=name)
    client = TrackingClient()
    client.set_registered_model_tag(name, "owner", "a")
    client.transition_model_version_stage(name, 1, "Production")
    client.set_registered_model_alias(name, "champion", 2)
    return name


def _snapshot(client, exp_name: str) -> dict:
    """Counts of runs, params, tags, points and artifact bytes of one experiment, per run name."""
    exp = client.get_experiment_by_name(exp_name)
    out = {}
    for run in client.search_runs([exp.experiment_id], run_view_type=3):
        rid = run.info.run_id
        points = {k: len(client.get_metric_history(rid, k)) for k in run.data.metrics}
        out[run.info.run_name] = {
            "status": run.info.status,
            "params": dict(run.data.params),
            "tags": {k: v for k, v in run.data.tags.items() if not k.startswith(_AUTO_TAGS)},
            "points": points,
            "bytes": _artifact_bytes(client, rid),
        }
    return out


def _artifact_bytes(client, run_id, path=None) -> dict:
    sizes = {}
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            sizes.update(_artifact_bytes(client, run_id, info.path))
        else:
            sizes[info.path] = info.file_size
    return sizes


def _writes_in_log(server) -> int:
    """Write requests the server logged so far (searches are POSTs but read nothing new)."""
    lines = server.log_path.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if ('"POST /api/' in line or '"PUT /api/' in line or '"DELETE /api/' in line)
               and "/search" not in line)


def _local_snapshot(store: Path, exp: str) -> dict:
    snap = _snapshot(TrackingClient(store), exp)
    for run in snap.values():  # a local store keeps identical points; MLflow stores them once
        run["points"] = {k: (1 if k == "acc" else n) for k, n in run["points"].items()}
    return snap


@pytest.fixture
def exp_name():
    return f"sync-{uuid.uuid4().hex[:10]}"


def test_push_then_pull_both_ways_twice(mlflow_server, mlflow_client, tmp_path, exp_name):
    local = tmp_path / "laptop"
    model_name = _fill(local, exp_name, points=1200)
    first = push(str(local), mlflow_server.uri, [exp_name])
    assert first.runs_created == 5 and first.points == 3 * 1201 and first.versions == 2
    assert _snapshot(mlflow_client, exp_name) == _local_snapshot(local, exp_name)
    model = mlflow_client.get_registered_model(model_name)
    assert (model.tags, model.aliases) == ({"owner": "a"}, {"champion": "2"})
    stages = {v.version: v.current_stage for v in mlflow_client.search_model_versions(f"name='{model_name}'")}
    assert stages == {"1": "Production", "2": "None"}

    before = _writes_in_log(mlflow_server)
    again = push(str(local), mlflow_server.uri, [exp_name])
    assert again.writes == 0 and again.runs_created == 0
    assert _writes_in_log(mlflow_server) == before

    # pull into another machine's store, twice; then push that store back: nothing moves
    other = tmp_path / "desktop"
    pulled = pull(str(other), mlflow_server.uri, [exp_name])
    assert pulled.runs_created == 5
    assert _snapshot(TrackingClient(other), exp_name) == _local_snapshot(local, exp_name)
    assert pull(str(other), mlflow_server.uri, [exp_name]).writes == 0
    before = _writes_in_log(mlflow_server)
    back = push(str(other), mlflow_server.uri, [exp_name])
    assert back.writes == 0 and _writes_in_log(mlflow_server) == before
    # and the original store pulling from the server gets nothing new either
    assert pull(str(local), mlflow_server.uri, [exp_name]).writes == 0
    remote_runs = mlflow_client.search_runs([mlflow_client.get_experiment_by_name(exp_name).experiment_id])
    assert all(r.data.tags[SOURCE_TAG] for r in remote_runs)


def test_new_points_and_runs_move_on_the_next_sync(mlflow_server, mlflow_client, tmp_path, exp_name):
    local = tmp_path / "store"
    _fill(local, exp_name, runs=1, points=10)
    push(str(local), mlflow_server.uri)
    nbtrack.set_tracking_uri(local)
    nbtrack.set_experiment(exp_name)
    with nbtrack.start_run(run_name="later"):
        nbtrack.log_metric("loss", 0.5, step=0)
    report = push(str(local), mlflow_server.uri)
    assert (report.runs_created, report.runs_updated, report.points) == (1, 0, 1)
    assert _snapshot(mlflow_client, exp_name) == _local_snapshot(local, exp_name)


def test_dry_run_lists_and_writes_nothing(mlflow_server, tmp_path, exp_name):
    local = tmp_path / "store"
    _fill(local, exp_name, runs=2, points=5)
    before = _writes_in_log(mlflow_server)
    out = io.StringIO()
    assert cli.main(["--tracking-uri", str(local), "sync", "--to", mlflow_server.uri, "-e", exp_name,
                     "--dry-run"], out=out) == 0
    text = out.getvalue()
    assert f"create experiment '{exp_name}'" in text and "create run r0" in text and "would copy" in text
    assert _writes_in_log(mlflow_server) == before
    out = io.StringIO()
    assert cli.main(["--tracking-uri", str(local), "sync", "--to", mlflow_server.uri, "-e", exp_name], out=out) == 0
    assert "copied 1 new experiment(s), 4 new run(s)" in out.getvalue()


def _push_in_child(local: str, uri: str, exp: str) -> None:
    push(local, uri, [exp], show_progress=False)


def test_sync_killed_ten_times_then_completes_without_duplicates(mlflow_server, mlflow_client, tmp_path, exp_name):
    local = tmp_path / "store"
    _fill(local, exp_name, runs=6, points=800)  # ~50 write requests in all
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(14)
    kills = 0
    for _ in range(10):
        start = _writes_in_log(mlflow_server)
        kill_after = rng.randint(1, 4)  # kill once the server has seen this many more writes
        child = ctx.Process(target=_push_in_child, args=(str(local), mlflow_server.uri, exp_name))
        child.start()
        while child.is_alive() and _writes_in_log(mlflow_server) - start < kill_after:
            child.join(timeout=0.02)  # polling the server's request log, not a timed wait
        if child.is_alive():
            child.kill()  # SIGKILL: no cleanup, no flush
            kills += 1
        child.join()
        assert child.exitcode in (0, -signal.SIGKILL)
    assert kills == 10, "a sync finished before its kill: the data set is too small to test resumption"
    push(str(local), mlflow_server.uri, [exp_name])
    exp = mlflow_client.get_experiment_by_name(exp_name)
    remote = mlflow_client.search_runs([exp.experiment_id], run_view_type=3)
    assert len(remote) == 8 and len({r.data.tags[SOURCE_TAG] for r in remote}) == 8
    assert _snapshot(mlflow_client, exp_name) == _local_snapshot(local, exp_name)
    assert push(str(local), mlflow_server.uri, [exp_name]).writes == 0


MAKE_MLFLOW_STORES = """
import sys, mlflow
from mlflow.tracking import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("made-by-mlflow")
for r in range(3):
    with mlflow.start_run(run_name=f"m{r}"):
        mlflow.log_params({"alpha": r, "kind": "ridge"})
        mlflow.set_tag("origin", "mlflow")
        for i in range(50):
            mlflow.log_metric("rmse", 1.0 / (i + 1), step=i)
        mlflow.log_text("hello from mlflow", "out/hello.txt")
"""


def test_pull_from_an_mlruns_folder_mlflow_wrote(mlflow_server, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    python = Path(mlflow_server.executable).with_name("python")
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "make.py"
    script.write_text(textwrap.dedent(MAKE_MLFLOW_STORES))
    subprocess.run([str(python), str(script), str(tmp_path / "mlruns")], check=True, capture_output=True,
                   timeout=300, env={"PATH": "/usr/bin:/bin", "MLFLOW_ALLOW_FILE_STORE": "true", "HOME": str(tmp_path)})
    local = tmp_path / "store"
    report = pull(str(local), "./mlruns")
    assert report.runs_created == 3 and report.points == 150 and report.artifact_files == 3
    theirs = _snapshot(MlflowClient((tmp_path / "mlruns").as_uri()), "made-by-mlflow")
    assert _snapshot(TrackingClient(local), "made-by-mlflow") == theirs
    assert pull(str(local), "./mlruns").writes == 0


def test_pull_from_a_sqlite_file_mlflow_wrote(mlflow_server, mlflow_client, tmp_path, exp_name):
    """The shared server's own sqlite file, written by MLflow's server from MLflow's client."""
    from mlflow.entities import Metric, Param, RunTag

    exp_id = mlflow_client.create_experiment(exp_name)
    for r in range(3):
        rid = mlflow_client.create_run(exp_id, run_name=f"m{r}").info.run_id
        mlflow_client.log_batch(rid, metrics=[Metric("rmse", 1.0 / (i + 1), 1000 + i, i) for i in range(50)],
                                params=[Param("alpha", str(r))], tags=[RunTag("origin", "mlflow")])
        mlflow_client.set_terminated(rid)
    local = tmp_path / "store"
    db = f"sqlite:///{mlflow_server.backend_uri[len('sqlite:///'):]}"
    report = pull(str(local), db, [exp_name])
    assert report.runs_created == 3 and report.points == 150
    assert _snapshot(TrackingClient(local), exp_name) == _snapshot(mlflow_client, exp_name)
    assert pull(str(local), db, [exp_name]).writes == 0
