"""The MLflow verbs nbtrack adds for fidelity, each checked against MLflow's documented behaviour."""
from __future__ import annotations

import json

import numpy as np
import pytest

import nbtrack
from nbtrack import NoActiveRunError
from nbtrack.errors import ArtifactNotFoundError, InvalidParameterError, TagNotFoundError


def test_mlflow_client_names_port_by_renaming(tracking_uri):
    from nbtrack.tracking import MlflowClient

    assert MlflowClient is nbtrack.MlflowClient is nbtrack.TrackingClient
    assert MlflowClient(tracking_uri, registry_uri=tracking_uri).tracking_uri == tracking_uri


def test_run_info_and_data_are_iterable_like_mlflow(client):
    with nbtrack.start_run(run_name="r") as run:
        nbtrack.log_param("p", 1)
    got = client.get_run(run.info.run_id)
    info = dict(got.info)
    assert info["run_id"] == info["run_uuid"] == run.info.run_id and info["run_name"] == "r"
    assert dict(got.data)["params"] == {"p": "1"}


def test_get_artifact_uri(client):
    with pytest.raises(NoActiveRunError):
        nbtrack.get_artifact_uri()
    with nbtrack.start_run() as run:
        root = nbtrack.get_artifact_uri()
        assert root == client.get_run(run.info.run_id).info.artifact_uri.rstrip("/")
        assert nbtrack.get_artifact_uri("model/x.pkl") == root + "/model/x.pkl"


def test_metric_history_pages(client):
    run = client.create_run("0")
    for step in range(5):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
    first = client.get_metric_history(run.info.run_id, "loss", max_results=2)
    assert [m.step for m in first] == [0, 1] and first.token
    second = client.get_metric_history(run.info.run_id, "loss", max_results=2, page_token=first.token)
    third = client.get_metric_history(run.info.run_id, "loss", max_results=2, page_token=second.token)
    assert [m.step for m in second.to_list() + third.to_list()] == [2, 3, 4] and third.token is None
    whole = client.get_metric_history(run.info.run_id, "loss")
    assert whole.token is None and len(whole.to_list()) == 5


def test_experiment_verbs(client):
    nbtrack.set_experiment("tagged")
    nbtrack.set_experiment_tag("team", "ml")
    nbtrack.set_experiment_tags({"a": 1, "b": "2"})
    nbtrack.delete_experiment_tag("a")
    with pytest.raises(TagNotFoundError) as info:  # MLflow: RESOURCE_DOES_NOT_EXIST
        nbtrack.delete_experiment_tag("never-set")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    exp = nbtrack.get_experiment_by_name("tagged")
    assert exp.tags == {"team": "ml", "b": "2"}
    names = [e.name for e in nbtrack.search_experiments(filter_string="tags.team = 'ml'")]
    assert names == ["tagged"]
    assert len(nbtrack.search_experiments(max_results=1)) == 1


def test_delete_run_and_parent(client):
    with nbtrack.start_run() as parent, nbtrack.start_run(nested=True) as child:
        pass
    assert nbtrack.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    nbtrack.delete_run(child.info.run_id)
    assert client.get_run(child.info.run_id).info.lifecycle_stage == "deleted"


def test_registry_verbs_and_uri(client, tracking_uri):
    assert nbtrack.get_registry_uri() == tracking_uri
    nbtrack.set_registry_uri(tracking_uri)
    with pytest.raises(InvalidParameterError, match="Databricks"):
        nbtrack.set_registry_uri("databricks-uc")
    with pytest.raises(InvalidParameterError, match="registry"):
        nbtrack.set_registry_uri("memory:elsewhere")
    client.create_registered_model("m1")
    client.create_model_version("m1", "s3://a")
    client.create_model_version("m1", "s3://b")
    assert [m.name for m in nbtrack.search_registered_models()] == ["m1"]
    assert [v.version for v in nbtrack.search_model_versions(filter_string="name = 'm1'")] == [2, 1]


def test_copy_model_version_loads_the_original(client):
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    with nbtrack.start_run():
        info = nbtrack.log_model(DecisionTreeClassifier(max_depth=2).fit(X, y), "model", registered_model_name="src")
    client.set_model_version_tag("src", 1, "k", "v")
    copy = client.copy_model_version("models:/src/1", "dst")
    assert (copy.name, copy.version, copy.source) == ("dst", 1, "models:/src/1")
    assert copy.run_id == info.run_id and copy.tags == {"k": "v"}
    assert (nbtrack.load_model("models:/dst/1").predict(X[:5]) == nbtrack.load_model(info.model_uri).predict(X[:5])).all()


def test_log_image_history_by_key_and_step(client):
    with nbtrack.start_run() as run:
        for step in range(3):
            nbtrack.log_image(np.full((8, 8, 3), step * 40, dtype=np.uint8), key="samples/gen", step=step)
        nbtrack.log_image(nbtrack.Image(np.zeros((4, 4))), artifact_file="plots/blank.png")
        with pytest.raises(InvalidParameterError):
            nbtrack.log_image(np.zeros((4, 4)))
        with pytest.raises(InvalidParameterError):
            nbtrack.log_image(np.full((2, 2), 2.0), key="k")
    history = client.get_image_history(run.info.run_id, "samples/gen")
    assert [e.step for e in history] == [0, 1, 2]
    assert all("~" in e.path and e.path.endswith(".png") for e in history)
    assert client.get_run(run.info.run_id).data.tags["mlflow.loggedImages"] == "true"
    local = client.download_artifacts(run.info.run_id, history[2].path)
    assert (nbtrack.Image(local).to_array() == 80).all()
    assert nbtrack.Image(client.download_artifacts(run.info.run_id, history[0].thumbnail_path)).size == (8, 8)
    assert [f.path for f in client.list_artifacts(run.info.run_id, "plots")] == ["plots/blank.png"]


def test_log_table_appends_and_load_table_joins_runs(client):
    nbtrack.set_experiment("tables")
    ids = []
    for i in range(2):
        with nbtrack.start_run() as run:
            nbtrack.log_table({"x": [i], "y": ["a"]}, "eval/table.json")
            nbtrack.log_table({"x": [i + 10], "y": ["b"]}, "eval/table.json")
        ids.append(run.info.run_id)
    tags = client.get_run(ids[0]).data.tags
    assert json.loads(tags["mlflow.loggedArtifacts"]) == [{"path": "eval/table.json", "type": "table"}]
    one = nbtrack.load_table("eval/table.json", run_ids=[ids[0]])
    assert one["x"].tolist() == [0, 10] and one["y"].tolist() == ["a", "b"]
    both = nbtrack.load_table("eval/table.json", extra_columns=["run_id"])
    assert sorted(both["x"]) == [0, 1, 10, 11] and set(both["run_id"]) == set(ids)
    with pytest.raises(ArtifactNotFoundError):
        nbtrack.load_table("missing.json")
    with pytest.raises(InvalidParameterError), nbtrack.start_run():
        nbtrack.log_table([1, 2], "t.json")


@pytest.mark.parametrize("token", ["A" * 300_000, "eyJvZmZzZXQiOiAtMSwgInF1ZXJ5IjogIngifQ==" + "=" * 5000])
def test_bad_page_token_message_is_short(client, token):
    with pytest.raises(InvalidParameterError) as info:
        client.search_runs(["0"], page_token=token)
    assert len(str(info.value)) < 400 and "characters" in str(info.value)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
