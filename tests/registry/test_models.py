"""nbtrack.models on its own: saving model folders, the manifest, tamper checks, model URIs."""
from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbtrack.errors import (
    ArtifactNotFoundError,
    InvalidModelUriError,
    InvalidParameterError,
    ModelIntegrityError,
)
from nbtrack.registry.models import (
    MANIFEST_NAME,
    ModelsUri,
    RunsUri,
    detect_flavor,
    load_model_folder,
    local_path,
    parse_model_uri,
    read_manifest,
    save_model,
    verify_model,
)


class Scaler:
    """A plain picklable object (python_object flavour)."""

    def __init__(self, factor: float):
        self.factor = factor

    def __call__(self, x: float) -> float:
        return x * self.factor


# -- saving and loading -------------------------------------------------------------------


def test_sklearn_model_round_trips_with_full_manifest(tmp_path, iris_model, iris):
    X, _ = iris
    manifest = save_model(iris_model, tmp_path / "m", run_id="r1", artifact_path="model", input_example=X[:3])
    assert manifest["flavor"] == "sklearn"
    assert manifest["loader"] == {"serializer": "joblib", "data": "model.joblib"}
    assert manifest["python_version"] == platform.python_version()
    assert manifest["library_versions"]["scikit-learn"]
    assert manifest["run_id"] == "r1" and manifest["artifact_path"] == "model"
    assert manifest["input_example"] == {"type": "ndarray", "shape": [3, 4], "dtype": "float64"}
    assert set(manifest["files"]) == {"model.joblib", "input_example.json"}
    assert all(len(h) == 64 for h in manifest["files"].values())
    assert read_manifest(tmp_path / "m") == manifest
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == X[:3].tolist()
    loaded = load_model_folder(tmp_path / "m")
    assert (loaded.predict(X) == iris_model.predict(X)).all()


def test_python_object_round_trips_with_pickle(tmp_path):
    manifest = save_model(Scaler(3.0), tmp_path / "m")
    assert manifest["flavor"] == "python_object" and manifest["loader"]["serializer"] == "pickle"
    assert manifest["model_class"].endswith("Scaler")
    assert load_model_folder(tmp_path / "m")(2.0) == 6.0


def test_detect_flavor(iris_model):
    assert detect_flavor(iris_model) == "sklearn"
    assert detect_flavor({"a": 1}) == "python_object"


@pytest.mark.parametrize(
    "example, described",
    [
        (
            pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}),
            {"type": "dataframe", "shape": [2, 2], "columns": ["a", "b"],
             "dtypes": {"a": "int64", "b": "float64"}},
        ),
        ([[1, 2, 3], [4, 5, 6]], {"type": "list", "shape": [2, 3]}),
        ({"x": 1, "a": 2}, {"type": "dict", "keys": ["a", "x"]}),
        (np.zeros((2, 5), dtype=np.float32), {"type": "ndarray", "shape": [2, 5], "dtype": "float32"}),
    ],
)
def test_input_example_shape_is_recorded(tmp_path, example, described):
    manifest = save_model(Scaler(1.0), tmp_path / "m", input_example=example)
    assert manifest["input_example"] == described
    assert (tmp_path / "m" / "input_example.json").is_file()


def test_input_example_that_is_not_json_keeps_only_its_description(tmp_path):
    manifest = save_model(Scaler(1.0), tmp_path / "m", input_example=Scaler(2.0))
    assert manifest["input_example"] == {"type": "Scaler"}
    assert not (tmp_path / "m" / "input_example.json").exists()
    assert set(manifest["files"]) == {"model.pkl"}


def test_unpicklable_model_is_rejected_naming_its_type(tmp_path):
    with pytest.raises(InvalidParameterError, match="function"):
        save_model(lambda x: x, tmp_path / "m")


def test_unknown_flavor_and_non_empty_folder_are_rejected(tmp_path):
    with pytest.raises(InvalidParameterError, match="Unknown model flavor 'onnx'"):
        save_model(Scaler(1.0), tmp_path / "a", flavor="onnx")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text("x")
    with pytest.raises(InvalidParameterError, match="not empty"):
        save_model(Scaler(1.0), tmp_path / "b")


# -- integrity ----------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path, iris_model, iris) -> Path:
    save_model(iris_model, tmp_path / "m", input_example=iris[0][:2])
    return tmp_path / "m"


def test_changed_model_file_is_refused_before_unpickling(saved):
    data = saved / "model.joblib"
    data.write_bytes(data.read_bytes() + b"\0")
    with pytest.raises(ModelIntegrityError, match="'model.joblib'.*changed"):
        load_model_folder(saved)


def test_changed_example_file_is_named(saved):
    (saved / "input_example.json").write_text("[[0, 0, 0, 0]]")
    with pytest.raises(ModelIntegrityError, match="'input_example.json'"):
        verify_model(saved)


def test_missing_and_extra_files_are_named(saved):
    (saved / "extra.py").write_text("print('hi')")
    with pytest.raises(ModelIntegrityError, match="'extra.py'.*does not list"):
        load_model_folder(saved)
    (saved / "extra.py").unlink()
    (saved / "input_example.json").unlink()
    with pytest.raises(ModelIntegrityError, match="'input_example.json'.*missing"):
        load_model_folder(saved)


def test_broken_manifest_is_an_integrity_error(saved):
    (saved / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(ModelIntegrityError, match="not valid JSON"):
        load_model_folder(saved)
    (saved / MANIFEST_NAME).write_text(json.dumps({"flavor": "sklearn"}))
    with pytest.raises(ModelIntegrityError, match="no 'files' table"):
        load_model_folder(saved)
    (saved / MANIFEST_NAME).write_text(json.dumps({"flavor": "evil", "files": {}}))
    with pytest.raises(ModelIntegrityError, match="flavor 'evil'"):
        load_model_folder(saved)


def test_missing_folder_or_manifest_is_not_found(tmp_path):
    with pytest.raises(ArtifactNotFoundError, match="does not exist"):
        load_model_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactNotFoundError, match="has no MLmodel.json"):
        load_model_folder(tmp_path / "empty")


def test_expected_flavor_is_checked_before_loading(tmp_path):
    save_model(Scaler(1.0), tmp_path / "m")
    with pytest.raises(InvalidParameterError, match="flavor 'python_object', not 'sklearn'"):
        load_model_folder(tmp_path / "m", expected_flavor="sklearn")


def test_library_version_drift_warns_but_loads(tmp_path):
    save_model(Scaler(2.0), tmp_path / "m")
    manifest_path = tmp_path / "m" / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    manifest["library_versions"]["numpy"] = "0.0.1"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="numpy 0.0.1"):
        assert load_model_folder(tmp_path / "m")(1.0) == 2.0


# -- URIs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri, parsed",
    [
        ("runs:/abc123/model", RunsUri("abc123", "model")),
        ("runs:/abc123/sub/dir/model/", RunsUri("abc123", "sub/dir/model")),
        ("models:/iris/3", ModelsUri("iris", version=3)),
        ("models:/iris/Production", ModelsUri("iris", stage="Production")),
        ("models:/iris/staging", ModelsUri("iris", stage="Staging")),
        ("models:/iris/NONE", ModelsUri("iris", stage="None")),
        ("models:/iris/archived", ModelsUri("iris", stage="Archived")),
        ("models:/iris/latest", ModelsUri("iris")),
        ("models:/iris/LATEST", ModelsUri("iris")),
        ("models:/iris@champion", ModelsUri("iris", alias="champion")),
        ("models:/team/iris@best-1", ModelsUri("team/iris", alias="best-1")),
        ("models:/a@b/2", ModelsUri("a@b", version=2)),
    ],
)
def test_parse_model_uri(uri, parsed):
    assert parse_model_uri(uri) == parsed


@pytest.mark.parametrize(
    "uri, message",
    [
        (None, "must be a string"),
        ("s3://bucket/model", "expected one of"),
        ("runs:/", "need a run id and an artifact path"),
        ("runs:/abc", "need a run id and an artifact path"),
        ("runs:/abc/../../etc", "plain relative"),
        ("runs:/abc/a//b", "plain relative"),
        ("models:/iris", "models URIs name a model"),
        ("models:/iris/", "models URIs name a model"),
        ("models:/iris/Prod", "'Prod' is not a version number"),
        ("models:/iris/0", "versions count from 1"),
        ("models:/@champion", "models URIs name a model"),
    ],
)
def test_malformed_model_uris(uri, message):
    with pytest.raises(InvalidModelUriError, match=message):
        parse_model_uri(uri)


def test_local_path_accepts_paths_and_file_uris_only(tmp_path):
    assert local_path(str(tmp_path)) == tmp_path
    assert local_path(tmp_path.as_uri()) == tmp_path
    with pytest.raises(InvalidModelUriError, match="not on this machine"):
        local_path("s3://bucket/model")
