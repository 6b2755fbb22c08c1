"""The fidelity verbs through the Store protocol on a real MLflow server, read back by MLflow."""
from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.errors import RunNotFoundError


def test_images_tables_and_uris_on_a_server(server_uri, mlflow_client):
    with nbtrack.start_run() as run:
        for step in range(2):
            nbtrack.log_image(np.full((4, 4, 3), 10 * step, dtype=np.uint8), key="gen", step=step)
        nbtrack.log_table({"a": [1, 2]}, "t.json")
        nbtrack.log_table({"a": [3]}, "t.json")
        uri = nbtrack.get_artifact_uri("t.json")
    client = nbtrack.TrackingClient()
    assert [e.step for e in client.get_image_history(run.info.run_id, "gen")] == [0, 1]
    theirs = {f.path for f in mlflow_client.list_artifacts(run.info.run_id, "images")}
    assert len(theirs) == 4 and all(p.startswith("images/gen+step+") for p in theirs)
    assert nbtrack.load_table("t.json", run_ids=[run.info.run_id])["a"].tolist() == [1, 2, 3]
    assert uri == mlflow_client.get_run(run.info.run_id).info.artifact_uri.rstrip("/") + "/t.json"
    assert mlflow_client.get_run(run.info.run_id).data.tags["mlflow.loggedImages"] == "true"


def test_experiment_tags_codes_and_deleted_experiments_on_a_server(server_uri, mlflow_client):
    with nbtrack.start_run() as run:
        pass
    exp_id = run.info.experiment_id
    nbtrack.set_experiment_tags({"a": "1", "b": "2"})
    nbtrack.delete_experiment_tag("a")
    assert "a" not in mlflow_client.get_experiment(exp_id).tags
    assert mlflow_client.get_experiment(exp_id).tags["b"] == "2"
    with pytest.raises(RunNotFoundError) as info:
        nbtrack.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    nbtrack.TrackingClient().delete_experiment(exp_id)
    assert nbtrack.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
