"""Registry semantics as MLflow documents them for ``MlflowClient``."""
from __future__ import annotations

import pytest

import nbtrack
from nbtrack.errors import ArtifactNotFoundError, ModelIntegrityError


@pytest.fixture
def model_run(client):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    with nbtrack.start_run() as run:
        nbtrack.log_model(LogisticRegression(max_iter=300).fit(X, y), "model")
    return run.info.run_id


def test_deleting_a_missing_tag_is_a_no_op(client):
    client.create_registered_model("m", tags={"k": "v"})
    client.delete_registered_model_tag("m", "absent")
    version = client.create_model_version("m", "s3://bucket/model")
    client.delete_model_version_tag("m", version.version, "absent")
    client.delete_registered_model_tag("m", "k")
    assert client.get_registered_model("m").tags == {}


def test_any_source_uri_registers_as_a_reference(client, tmp_path):
    client.create_registered_model("ref")
    for source in ("s3://bucket/path/model", "gs://b/m", str(tmp_path / "not-a-model"), "dbfs:/x"):
        assert client.create_model_version("ref", source).source == source
    run = client.create_run("0")
    version = nbtrack.register_model(f"runs:/{run.info.run_id}/whatever", "ref")
    assert version.source.endswith("/whatever") and version.run_id == run.info.run_id
    with pytest.raises((ArtifactNotFoundError, nbtrack.InvalidModelUriError)):
        nbtrack.load_model(f"models:/ref/{version.version}")


def test_models_nbtrack_logged_keep_their_integrity_check(client, model_run):
    folder = client.download_artifacts(model_run, "model")
    version = nbtrack.register_model(f"runs:/{model_run}/model", "checked")
    assert nbtrack.load_model(f"models:/checked/{version.version}") is not None
    manifest = next(p for p in __import__("pathlib").Path(client.get_run(model_run).info.artifact_uri.replace("file://", "")).rglob("MLmodel.json"))
    manifest.write_text("{not json")
    with pytest.raises(ModelIntegrityError):
        nbtrack.register_model(f"runs:/{model_run}/model", "checked")
    assert folder


def test_aliases_descriptions_and_latest_versions_have_mlflow_types(client):
    client.create_registered_model("t")
    first = client.create_model_version("t", "s3://a")
    client.create_model_version("t", "s3://b")
    client.set_registered_model_alias("t", "champion", first.version)
    model = client.get_registered_model("t")
    assert model.aliases == {"champion": "1"}
    assert isinstance(model.latest_versions, list)
    assert model.description is None and first.description is None
    assert client.get_model_version("t", 1).aliases == ["champion"]
    assert client.update_model_version("t", 1, "notes").description == "notes"


def test_search_model_versions_default_is_newest_first(client):
    client.create_registered_model("a")
    client.create_registered_model("b")
    client.create_model_version("b", "s3://1")
    client.create_model_version("a", "s3://2")
    client.create_model_version("a", "s3://3")
    client.update_model_version("b", 1, "touched last")
    found = [(v.name, v.version) for v in client.search_model_versions()]
    assert found == [("b", 1), ("a", 2), ("a", 1)]
