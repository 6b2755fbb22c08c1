"""The registry through TrackingClient on real stores: every verb, every URI form, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtrack.errors import (
    ArtifactNotFoundError,
    InvalidModelUriError,
    InvalidParameterError,
    ModelIntegrityError,
    ModelVersionNotFoundError,
    RegisteredModelAlreadyExistsError,
    RegisteredModelNotFoundError,
    RunNotFoundError,
    RunStateError,
)
from nbtrack.registry.models import MANIFEST_NAME


class Doubler:
    def predict(self, xs):
        return [2 * x for x in xs]


def folder_of(client, run_id: str, path: str) -> Path:
    return Path(client.get_run(run_id).info.artifact_uri) / path


# -- log_model / load_model -----------------------------------------------------------------


def test_log_model_writes_manifest_into_run_artifacts(client, run_id, iris_model, iris):
    X, _ = iris
    info = client.log_model(run_id, iris_model, "model", input_example=X[:2])
    assert info.model_uri == f"runs:/{run_id}/model"
    assert (info.run_id, info.artifact_path, info.flavor) == (run_id, "model", "sklearn")
    assert info.registered_model_version is None
    assert "sklearn" in info.flavors
    assert [f.path for f in client.list_artifacts(run_id, "model")] == [
        "model/MLmodel.json", "model/input_example.json", "model/model.joblib",
    ]
    manifest = json.loads((folder_of(client, run_id, "model") / MANIFEST_NAME).read_text())
    assert manifest["run_id"] == run_id and manifest["input_example"]["shape"] == [2, 4]
    assert (client.load_model(info.model_uri).predict(X) == iris_model.predict(X)).all()


def test_log_model_with_registration(client, run_id, iris_model):
    info = client.log_model(run_id, iris_model, "model", registered_model_name="iris")
    assert info.registered_model_version == 1
    version = client.get_model_version("iris", 1)
    assert version.status == "READY" and version.run_id == run_id
    assert version.source == f"{client.get_run(run_id).info.artifact_uri}/model"
    assert client.get_model_version_download_uri("iris", "1") == version.source


def test_python_object_flavour_through_the_client(client, run_id):
    info = client.log_model(run_id, Doubler(), "doubler", registered_model_name="doubler")
    assert info.flavor == "python_object"
    assert client.load_model("models:/doubler/1").predict([1, 2]) == [2, 4]
    with pytest.raises(InvalidParameterError, match="flavor 'python_object', not 'sklearn'"):
        client.load_model(info.model_uri, flavor="sklearn")


@pytest.mark.parametrize("bad", ["", "/", None, "../out", "a/../../b", "a//b", "./m"])
def test_log_model_rejects_bad_artifact_paths(client, run_id, bad):
    with pytest.raises(InvalidParameterError, match="artifact_path"):
        client.log_model(run_id, Doubler(), bad)


def test_log_model_refuses_a_taken_path_and_dead_runs(client, run_id):
    client.log_model(run_id, Doubler(), "m")
    with pytest.raises(InvalidParameterError, match="already has artifacts at 'm'"):
        client.log_model(run_id, Doubler(), "m")
    with pytest.raises(RunNotFoundError):
        client.log_model("nope", Doubler(), "m")
    client.delete_run(run_id)
    with pytest.raises(RunStateError):
        client.log_model(run_id, Doubler(), "m2")


def test_every_uri_form_loads_the_right_version(logged, run_id, iris):
    client = logged
    X, _ = iris
    client.transition_model_version_stage("iris", 1, "Production")
    client.transition_model_version_stage("iris", 2, "Staging")
    client.set_registered_model_alias("iris", "champion", 2)
    expected = {
        f"runs:/{run_id}/model0": "model0",
        "models:/iris/1": "model0",
        "models:/iris/3": "model2",
        "models:/iris/Production": "model0",
        "models:/iris/production": "model0",
        "models:/iris/STAGING": "model1",
        "models:/iris/None": "model2",
        "models:/iris/latest": "model2",
        "models:/iris@champion": "model1",
    }
    for uri, path in expected.items():
        assert client._model_folder(uri).name == path, uri
        assert client.load_model(uri).predict(X[:3]).shape == (3,)


@pytest.mark.parametrize(
    "uri, error, message",
    [
        ("models:/nope/1", RegisteredModelNotFoundError, "'nope' does not exist"),
        ("models:/iris/9", ModelVersionNotFoundError, "no version 9"),
        ("models:/iris/Archived", ModelVersionNotFoundError, "no version in stage 'Archived'"),
        ("models:/iris@ghost", ModelVersionNotFoundError, "no alias 'ghost'"),
        ("models:/nope/latest", RegisteredModelNotFoundError, "'nope'"),
        ("runs:/nope/model0", RunNotFoundError, "nope"),
        ("runs:/{run}/missing", ArtifactNotFoundError, "has no artifact folder 'missing'"),
        ("runs:/{run}/../x", InvalidModelUriError, "plain relative"),
        ("models:/iris/Champion", InvalidModelUriError, "'Champion' is not a version number"),
        ("file:///tmp/model", InvalidModelUriError, "expected one of"),
        ("models:/iris@latest", InvalidParameterError, "reserved"),
    ],
)
def test_uris_that_resolve_to_nothing_say_which_part_failed(logged, run_id, uri, error, message):
    with pytest.raises(error, match=message):
        logged.load_model(uri.format(run=run_id))


def test_latest_of_a_model_without_versions(client):
    client.create_registered_model("empty")
    with pytest.raises(ModelVersionNotFoundError, match="'empty' has no versions"):
        client.load_model("models:/empty/latest")
    with pytest.raises(ModelVersionNotFoundError, match="stages in use: none"):
        client.load_model("models:/empty/Production")


def test_tampered_model_is_refused_through_every_uri(logged, run_id):
    data = folder_of(logged, run_id, "model1") / "model.joblib"
    data.write_bytes(data.read_bytes()[:-1] + b"X")
    logged.set_registered_model_alias("iris", "champion", 2)
    for uri in (f"runs:/{run_id}/model1", "models:/iris/2", "models:/iris@champion"):
        with pytest.raises(ModelIntegrityError, match="'model.joblib'"):
            logged.load_model(uri)
    assert logged.load_model("models:/iris/1") is not None  # the others are untouched


def test_folder_without_manifest_is_not_a_model(client, run_id, tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("hi")
    client.log_artifacts(run_id, str(tmp_path / "plain"), "plain")
    with pytest.raises(ArtifactNotFoundError, match="has no MLmodel.json"):
        client.load_model(f"runs:/{run_id}/plain")
    version = client.register_model(f"runs:/{run_id}/plain", "m")  # a reference, as in MLflow
    with pytest.raises(ArtifactNotFoundError, match="has no MLmodel.json"):
        client.load_model(f"models:/m/{version.version}")


# -- registering and versions ---------------------------------------------------------------


def test_register_model_creates_the_model_once_and_counts_versions(client, run_id):
    client.log_model(run_id, Doubler(), "m")
    assert client.register_model(f"runs:/{run_id}/m", "d").version == 1
    assert client.register_model(f"runs:/{run_id}/m", "d").version == 2
    copy = client.register_model("models:/d/1", "d-copy")
    assert (copy.version, copy.source, copy.run_id) == (1, client.get_model_version("d", 1).source, run_id)
    assert [e.action for e in client.get_registry_audit("d")] == [
        "create_registered_model", "create_model_version", "create_model_version",
    ]
    with pytest.raises(InvalidModelUriError):
        client.register_model("not-a-uri", "d")
    with pytest.raises(InvalidParameterError, match="Registered model name"):
        client.register_model(f"runs:/{run_id}/m", "")


def test_create_registered_model_and_duplicates(client):
    model = client.create_registered_model("m", tags={"team": "ml"}, description="first")
    assert (model.name, model.description, dict(model.tags), model.latest_versions) == ("m", "first", {"team": "ml"}, [])
    with pytest.raises(RegisteredModelAlreadyExistsError, match="'m' already exists"):
        client.create_registered_model("m")
    with pytest.raises(InvalidParameterError, match="Tags must be a mapping"):
        client.create_registered_model("n", tags=["a"])


def test_create_model_version_from_each_source_kind(client, run_id):
    client.log_model(run_id, Doubler(), "m")
    client.create_registered_model("d")
    from_runs = client.create_model_version("d", f"runs:/{run_id}/m", description="via uri")
    assert (from_runs.version, from_runs.run_id, from_runs.description) == (1, run_id, "via uri")
    folder = folder_of(client, run_id, "m")
    from_path = client.create_model_version("d", str(folder), run_id=run_id, tags={"k": "v"})
    assert (from_path.version, from_path.source, from_path.run_id) == (2, str(folder), run_id)
    assert dict(from_path.tags) == {"k": "v"}
    from_file_uri = client.create_model_version("d", folder.as_uri())
    assert from_file_uri.run_id is None
    assert client.load_model("models:/d/3").predict([3]) == [6]
    with pytest.raises(RegisteredModelNotFoundError, match="'nope'"):
        client.create_model_version("nope", str(folder))
    # any other source is registered as a reference (MLflow accepts any URI); loading says why not
    missing = client.create_model_version("d", str(folder / "missing"))
    with pytest.raises(ArtifactNotFoundError, match="does not exist"):
        client.load_model(f"models:/d/{missing.version}")
    remote = client.create_model_version("d", "s3://bucket/m")
    with pytest.raises(InvalidModelUriError, match="not on this machine"):
        client.load_model(f"models:/d/{remote.version}")
    with pytest.raises(RunNotFoundError):
        client.create_model_version("d", str(folder), run_id="nope")
    with pytest.raises(InvalidParameterError, match="source must be a non-empty string"):
        client.create_model_version("d", None)


def test_versions_are_never_reused_after_delete(logged):
    logged.delete_model_version("iris", 3)
    logged.delete_model_version("iris", "2")
    assert logged.create_model_version("iris", logged.get_model_version("iris", 1).source).version == 4
    assert [v.version for v in logged.search_model_versions("name = 'iris'")] == [4, 1]
    with pytest.raises(ModelVersionNotFoundError, match="no version 3 \\(versions: 1, 4\\)"):
        logged.get_model_version("iris", 3)


def test_get_model_version_accepts_numeric_strings_only(logged):
    assert logged.get_model_version("iris", "2").version == 2
    for bad in ("two", 0, 2.0, None):
        with pytest.raises(InvalidParameterError, match="positive integer"):
            logged.get_model_version("iris", bad)


def test_update_rename_tag_and_delete(logged):
    assert logged.update_registered_model("iris", "flowers").description == "flowers"
    assert logged.update_model_version("iris", 1, "baseline").description == "baseline"
    logged.set_registered_model_tag("iris", "team", "ml")
    logged.set_model_version_tag("iris", 1, "approved", "yes")
    logged.delete_model_version_tag("iris", 1, "approved")
    logged.delete_registered_model_tag("iris", "team")
    renamed = logged.rename_registered_model("iris", "flowers")
    assert renamed.name == "flowers" and [v.name for v in renamed.latest_versions] == ["flowers"]
    assert logged.load_model("models:/flowers/1") is not None
    with pytest.raises(RegisteredModelNotFoundError):
        logged.get_registered_model("iris")
    logged.delete_registered_model("flowers")
    with pytest.raises(RegisteredModelNotFoundError):
        logged.get_model_version("flowers", 1)
    assert logged.get_registry_audit("flowers")[-1].action == "delete_registered_model"
    with pytest.raises(RegisteredModelNotFoundError):
        logged.delete_registered_model("flowers")


# -- stages ---------------------------------------------------------------------------------


def test_stage_transitions_and_latest_versions(logged):
    assert logged.transition_model_version_stage("iris", 1, "staging").current_stage == "Staging"
    logged.transition_model_version_stage("iris", "2", "PRODUCTION")
    assert [v.version for v in logged.get_latest_versions("iris", stages=["Production"])] == [2]
    assert [(v.version, v.current_stage) for v in logged.get_latest_versions("iris")] == [
        (3, "None"), (1, "Staging"), (2, "Production"),
    ]
    assert len(logged.get_registered_model("iris").latest_versions) == 3
    logged.transition_model_version_stage("iris", 3, "Production", archive_existing_versions=True)
    assert logged.get_model_version("iris", 2).current_stage == "Archived"
    assert logged.get_model_version("iris", 1).current_stage == "Staging"


def test_bad_stages_through_the_client(logged):
    with pytest.raises(InvalidParameterError, match="use one of None, Staging, Production, Archived"):
        logged.transition_model_version_stage("iris", 1, "Live")
    with pytest.raises(InvalidParameterError, match="only works with stage Staging or Production"):
        logged.transition_model_version_stage("iris", 1, "Archived", archive_existing_versions=True)
    with pytest.raises(InvalidParameterError, match="True or False"):
        logged.transition_model_version_stage("iris", 1, "Staging", archive_existing_versions="yes")
    with pytest.raises(InvalidParameterError, match="'Live'"):
        logged.get_latest_versions("iris", stages=["Live"])
    assert logged.get_model_version("iris", 1).current_stage == "None"


# -- aliases --------------------------------------------------------------------------------


def test_aliases_through_the_client(logged):
    logged.set_registered_model_alias("iris", "champion", 1)
    logged.set_registered_model_alias("iris", "champion", "3")
    assert logged.get_model_version_by_alias("iris", "champion").version == 3
    assert logged.get_model_version("iris", 3).aliases == ["champion"]
    assert logged.get_registered_model("iris").aliases == {"champion": "3"}
    logged.delete_model_version("iris", 3)
    with pytest.raises(ModelVersionNotFoundError, match="no alias 'champion'"):
        logged.get_model_version_by_alias("iris", "champion")
    logged.set_registered_model_alias("iris", "challenger", 2)
    logged.delete_registered_model_alias("iris", "challenger")
    logged.delete_registered_model_alias("iris", "challenger")  # already gone: no-op
    assert logged.get_registered_model("iris").aliases == {}


@pytest.mark.parametrize(
    "bad, message",
    [("latest", "reserved"), ("V3", "reserved"), ("a b", "letters"), ("x" * 256, "limit is 255")],
)
def test_bad_aliases_through_the_client(logged, bad, message):
    with pytest.raises(InvalidParameterError, match=message):
        logged.set_registered_model_alias("iris", bad, 1)


def test_alias_to_missing_version_or_model(logged):
    with pytest.raises(ModelVersionNotFoundError, match="no version 8"):
        logged.set_registered_model_alias("iris", "champion", 8)
    with pytest.raises(RegisteredModelNotFoundError):
        logged.set_registered_model_alias("nope", "champion", 1)


# -- audit ----------------------------------------------------------------------------------


def test_audit_records_promotions_per_model_and_version(logged):
    logged.transition_model_version_stage("iris", 1, "Staging")
    logged.transition_model_version_stage("iris", 1, "Production")
    logged.set_registered_model_alias("iris", "champion", 1)
    logged.set_registered_model_alias("iris", "champion", 2)
    events = logged.get_registry_audit("iris", version=1)
    assert [(e.action, e.before, e.after) for e in events] == [
        ("create_model_version", None, events[0].after),
        ("transition_model_version_stage", "None", "Staging"),
        ("transition_model_version_stage", "Staging", "Production"),
        ("set_registered_model_alias", None, {"alias": "champion", "version": 1}),
        ("set_registered_model_alias", {"alias": "champion", "version": 1}, {"alias": "champion", "version": 2}),
    ]
    assert all(e.user and e.host and e.timestamp > 0 and e.name == "iris" for e in events)
    assert len(logged.get_registry_audit("iris")) == 1 + 3 + 4
    with pytest.raises(RegisteredModelNotFoundError):
        logged.get_registry_audit("nope")
