"""Fluent run semantics as MLflow documents them for ``mlflow.start_run`` and ``search_runs``."""
from __future__ import annotations

import sys

import pytest

import nbtrack
from nbtrack import RunNotFoundError, ViewType
from nbtrack.errors import InvalidParameterError, RunStateError


def test_first_positional_argument_is_run_id(client):
    with nbtrack.start_run() as first:
        pass
    with nbtrack.start_run(first.info.run_id) as again:
        assert again.info.run_id == first.info.run_id
        nbtrack.log_metric("resumed", 1.0)
    assert len(client.search_runs(["0"])) == 1
    assert client.get_run(first.info.run_id).data.metrics == {"resumed": 1.0}


def test_a_name_passed_positionally_is_refused_with_a_hint(client):
    with pytest.raises(RunNotFoundError, match=r"run_name='baseline'") as info:
        nbtrack.start_run("baseline")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(RunNotFoundError, match="run_name="):
        nbtrack.start_run("my baseline run")
    assert nbtrack.active_run() is None and len(client.search_runs(["0"])) == 0


def test_with_block_ends_a_resumed_run(client):
    run = client.create_run("0")
    client.set_terminated(run.info.run_id)
    with nbtrack.start_run(run_id=run.info.run_id):
        assert client.get_run(run.info.run_id).info.status == "RUNNING"
    assert nbtrack.active_run() is None
    assert client.get_run(run.info.run_id).info.status == "FINISHED"
    with pytest.raises(ValueError), nbtrack.start_run(run_id=run.info.run_id):
        raise ValueError("boom")
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_run_name_and_name_tag_must_agree(client):
    with pytest.raises(InvalidParameterError, match="mlflow.runName") as info:
        nbtrack.start_run(run_name="a", tags={"mlflow.runName": "b"})
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(InvalidParameterError):
        client.create_run("0", run_name="a", tags={"mlflow.runName": "b"})
    with nbtrack.start_run(run_name="same", tags={"mlflow.runName": "same"}) as run:
        pass
    assert client.get_run(run.info.run_id).info.run_name == "same"
    with nbtrack.start_run(tags={"mlflow.runName": "from-tag"}) as run:
        pass
    assert client.get_run(run.info.run_id).info.run_name == "from-tag"


def test_description_and_note_tag_must_agree(client):
    with pytest.raises(InvalidParameterError, match="mlflow.note.content"):
        nbtrack.start_run(description="a", tags={"mlflow.note.content": "b"})
    with nbtrack.start_run(description="why") as run:
        pass
    assert client.get_run(run.info.run_id).data.tags["mlflow.note.content"] == "why"


def test_plain_start_run_sets_source_tags(client):
    with nbtrack.start_run() as run:
        pass
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"] == sys.argv[0]
    assert tags["mlflow.user"]


def test_parent_run_id_nests_under_a_given_run(client):
    parent = client.create_run("0")
    with nbtrack.start_run(parent_run_id=parent.info.run_id) as child:
        pass
    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    with nbtrack.start_run() as outer:
        with pytest.raises(InvalidParameterError, match="does not match parent_run_id"):
            nbtrack.start_run(parent_run_id=parent.info.run_id)
        with nbtrack.start_run(parent_run_id=outer.info.run_id) as inner:
            assert nbtrack.get_parent_run(inner.info.run_id).info.run_id == outer.info.run_id
    assert nbtrack.get_parent_run(outer.info.run_id) is None


@pytest.mark.parametrize("env", ["MLFLOW_RUN_ID", "NBTRACK_RUN_ID"])
def test_run_id_from_the_environment_is_resumed_once(client, monkeypatch, env):
    run = client.create_run("0")
    client.set_terminated(run.info.run_id)
    monkeypatch.setenv(env, run.info.run_id)
    with nbtrack.start_run() as resumed:
        assert resumed.info.run_id == run.info.run_id
    import os

    assert env not in os.environ
    with nbtrack.start_run() as fresh:
        assert fresh.info.run_id != run.info.run_id


def test_deleted_experiment_refuses_tags_and_its_runs_read_deleted(client):
    exp = client.create_experiment("gone")
    run = client.create_run(exp)
    client.delete_experiment(exp)
    with pytest.raises(InvalidParameterError, match="active"):
        client.set_experiment_tag(exp, "k", "v")
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    found = client.search_runs([exp], run_view_type=ViewType.ALL)
    assert [r.info.lifecycle_stage for r in found] == ["deleted"]
    assert client.search_runs([exp]) == []
    client.restore_experiment(exp)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_search_runs_by_missing_names_and_zero_results_are_empty(client):
    exp = client.create_experiment("here")
    client.create_run(exp)
    assert nbtrack.search_runs(experiment_names=[None], output_format="list") == []
    assert nbtrack.search_runs(experiment_names=["absent"], output_format="list") == []
    assert len(nbtrack.search_runs(experiment_names=["absent", "here"], output_format="list")) == 1
    assert nbtrack.search_runs([exp], max_results=0, output_format="list") == []
    assert len(nbtrack.search_runs([exp], max_results=0)) == 0
    with pytest.raises(InvalidParameterError):
        nbtrack.search_runs([exp], max_results=-1)


def test_log_artifact_of_a_folder_copies_it_under_its_name(client, tmp_path):
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    with nbtrack.start_run() as run:
        nbtrack.log_artifact(str(folder))
        nbtrack.log_artifact(folder, artifact_path="extra")
    paths = {f.path for f in client.list_artifacts(run.info.run_id, "plots")}
    assert paths == {"plots/a.txt", "plots/sub"}
    assert [f.path for f in client.list_artifacts(run.info.run_id, "extra")] == ["extra/plots"]


def test_a_second_top_level_run_is_refused(client):
    with nbtrack.start_run(), pytest.raises(RunStateError, match="already active"):
        nbtrack.start_run()
