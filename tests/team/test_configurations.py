"""The team path in its real settings: a server on PostgreSQL, and notebook kernels logging to a
server, four at once, through ``%%track_run``."""
from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbtrack
from nbtrack import TrackingClient
from nbtrack.sync import pull, push

REPO = Path(__file__).resolve().parents[2]


def test_postgres_backend(postgres_server, tmp_path):
    """Logging, reading back through MLflow's client, registry and sync on a PostgreSQL backend."""
    from mlflow.tracking import MlflowClient

    theirs = MlflowClient(postgres_server.uri)
    nbtrack.set_tracking_uri(postgres_server.uri)
    exp = f"pg-{uuid.uuid4().hex[:8]}"
    nbtrack.set_experiment(exp)
    with nbtrack.start_run(run_name="on-postgres") as run:
        nbtrack.log_params({"lr": 0.01, "depth": 4})
        nbtrack.set_tag("db", "postgres")
        for i in range(1500):
            nbtrack.log_metric("loss", 1.0 / (i + 1), step=i)
        nbtrack.log_text("hi", "notes.txt")
    got = theirs.get_run(run.info.run_id)
    assert got.data.params == {"lr": "0.01", "depth": "4"} and got.data.tags["db"] == "postgres"
    assert [m.step for m in sorted(theirs.get_metric_history(run.info.run_id, "loss"), key=lambda m: m.step)] \
        == list(range(1500))
    assert got.info.status == "FINISHED" and got.info.end_time >= got.info.start_time

    client = TrackingClient()
    name = f"{exp}-model"
    client.create_registered_model(name)
    client.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    client.set_registered_model_alias(name, "champion", 1)
    assert theirs.get_model_version_by_alias(name, "champion").version == "1"

    local = tmp_path / "store"
    assert pull(str(local), postgres_server.uri, [exp]).runs_created == 1
    assert push(str(local), postgres_server.uri, [exp]).writes == 0


@contextlib.contextmanager
def _kernels(n: int, folder: Path, uri: str) -> Iterator[list]:
    """``n`` real ipykernels (IPC transport) whose store is the server at ``uri``."""
    from jupyter_client import KernelManager

    env = {**os.environ, "NBTRACK_TRACKING_URI": uri,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    managers, clients = [], []
    try:
        for i in range(n):
            km = KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / f"k{i}"))
            km.start_kernel(env=env, cwd=str(folder))
            managers.append(km)
        for km in managers:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=120)
            clients.append(kc)
        yield clients
    finally:
        for kc in clients:
            kc.stop_channels()
        for km in managers:
            km.shutdown_kernel(now=True)


def _run(kc, code: str, timeout: float = 300) -> dict:
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply


CELL = """%%track_run kernel-{i} -e {exp} -t kernel={i}
import nbtrack
for step in range(2000):
    nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
nbtrack.log_param("kernel", {i})
"""


def test_four_kernels_track_cells_on_the_server_at_once(mlflow_server, mlflow_client, tmp_path):
    exp = f"kernels-{uuid.uuid4().hex[:8]}"
    with _kernels(4, tmp_path, mlflow_server.uri) as kcs:
        for kc in kcs:
            _run(kc, "%load_ext nbtrack")
        msg_ids = [kc.execute(CELL.format(i=i, exp=exp)) for i, kc in enumerate(kcs)]  # all at once
        for kc, msg_id in zip(kcs, msg_ids):
            reply = kc.get_shell_msg(timeout=300)
            assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
    experiment = mlflow_client.get_experiment_by_name(exp)
    runs = mlflow_client.search_runs([experiment.experiment_id])
    assert sorted(r.info.run_name for r in runs) == [f"kernel-{i}" for i in range(4)]
    for run in runs:
        i = run.info.run_name.split("-")[1]
        assert run.info.status == "FINISHED"
        assert run.data.params["kernel"] == i and run.data.tags["kernel"] == i
        steps = sorted(m.step for m in mlflow_client.get_metric_history(run.info.run_id, "loss"))
        assert steps == list(range(2000))
        assert "nbtrack.log_metric" in run.data.tags["nbtrack.cell_source"]
        assert "cell.py" in [f.path for f in mlflow_client.list_artifacts(run.info.run_id)]
