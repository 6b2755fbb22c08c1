"""set_tag / set_tags / delete_tag on the fluent API and the client; mlflow.runName renames."""
from __future__ import annotations

import pytest

import nbtrack
from nbtrack import (
    InvalidParameterError,
    NoActiveRunError,
    RunNotFoundError,
    RunStateError,
    RunTag,
    TrackingClient,
)


def test_set_tag_and_tags(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.set_tag("model_type", "random_forest")
        nbtrack.set_tag("team", "ml-research")
        nbtrack.set_tags({"author": "alice", "version": "v1.0", "status": "completed"})
    tags = nbtrack.get_run(run.run_id).data.tags
    assert {k: tags[k] for k in ("model_type", "team", "author", "version", "status")} == {
        "model_type": "random_forest", "team": "ml-research", "author": "alice",
        "version": "v1.0", "status": "completed",
    }


def test_tags_can_be_overwritten(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.set_tag("stage", "draft")
        nbtrack.set_tag("stage", 2)
    assert nbtrack.get_run(run.run_id).data.tags["stage"] == "2"


def test_run_name_tag_renames_the_run(any_uri):
    with nbtrack.start_run(run_name="before") as run:
        nbtrack.set_tag("mlflow.runName", "after")
    got = nbtrack.get_run(run.run_id)
    assert got.info.run_name == "after"
    assert got.data.tags["mlflow.runName"] == "after"


def test_delete_tag(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.set_tag("tmp", "x")
        nbtrack.delete_tag("tmp")
        with pytest.raises(InvalidParameterError, match="tmp"):
            nbtrack.delete_tag("tmp")
    assert "tmp" not in nbtrack.get_run(run.run_id).data.tags


@pytest.mark.parametrize("key", ["", "../x", "x/", "bad*key", 1])
def test_bad_keys(any_uri, key):
    with nbtrack.start_run(), pytest.raises(InvalidParameterError):
        nbtrack.set_tag(key, "v")


def test_long_values_are_errors(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.set_tag("ok", "v" * 8000)
        with pytest.raises(InvalidParameterError, match="8000"):
            nbtrack.set_tag("long", "v" * 8001)
    assert "long" not in nbtrack.get_run(run.run_id).data.tags


def test_no_active_run(any_uri):
    for call in (lambda: nbtrack.set_tag("a", "b"), lambda: nbtrack.set_tags({"a": "b"}), lambda: nbtrack.delete_tag("a")):
        with pytest.raises(NoActiveRunError):
            call()


def test_set_tags_needs_a_dict(any_uri):
    with nbtrack.start_run(), pytest.raises(InvalidParameterError):
        nbtrack.set_tags("a=b")


def test_client_tags(any_uri):
    client = TrackingClient()
    run_id = client.create_run("0").info.run_id
    client.set_tag(run_id, "a", "1")
    client.log_batch(run_id, tags=[RunTag("b", "2")])
    client.delete_tag(run_id, "a")
    tags = client.get_run(run_id).data.tags
    assert tags.get("b") == "2" and "a" not in tags
    with pytest.raises(RunNotFoundError):
        client.set_tag("1" * 32, "a", "b")
    with pytest.raises(InvalidParameterError):
        client.log_batch(run_id, tags=[("a", "b")])
    client.delete_run(run_id)
    with pytest.raises(RunStateError):
        client.set_tag(run_id, "c", "3")
    with pytest.raises(RunStateError):
        client.delete_tag(run_id, "b")
