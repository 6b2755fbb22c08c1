"""Fluent log_model / load_model / register_model delegate to the client's registry methods."""
from __future__ import annotations

import pytest

import nbtrack
from nbtrack import InvalidModelUriError, NoActiveRunError, TrackingClient


class Doubler:
    """A tiny picklable "model" (python_object flavor)."""

    def predict(self, xs):
        return [2 * x for x in xs]


def test_log_register_and_load(any_uri):
    with nbtrack.start_run() as run:
        info = nbtrack.log_model(Doubler(), "model", registered_model_name="doubler")
    assert info.model_uri == f"runs:/{run.info.run_id}/model"
    assert info.registered_model_version == 1
    assert nbtrack.load_model(info.model_uri).predict([1, 2]) == [2, 4]
    assert nbtrack.load_model("models:/doubler/1").predict([3]) == [6]
    version = nbtrack.register_model(info.model_uri, "doubler-copy")
    assert (version.name, version.version, version.run_id) == ("doubler-copy", 1, run.info.run_id)
    assert TrackingClient().get_registered_model("doubler").name == "doubler"


def test_log_model_needs_an_active_run(any_uri):
    with pytest.raises(NoActiveRunError, match="log a model"):
        nbtrack.log_model(Doubler(), "model")


def test_bad_uris(any_uri):
    with pytest.raises(InvalidModelUriError):
        nbtrack.load_model("not-a-uri")
    with pytest.raises(InvalidModelUriError):
        nbtrack.register_model("s3://bucket/model", "x")
