"""Experiments: create / get / rename / delete / restore / tag, on the client and the fluent API."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import nbtrack
from nbtrack import (
    ExperimentAlreadyExistsError,
    ExperimentNotFoundError,
    InvalidParameterError,
    LifecycleStage,
    TrackingClient,
    ViewType,
)


@pytest.fixture
def c(any_uri) -> TrackingClient:
    return TrackingClient(any_uri)


def test_default_experiment_exists(c):
    exp = c.get_experiment("0")
    assert exp.name == "Default"
    assert c.get_experiment_by_name("Default").experiment_id == "0"


def test_create_and_get(c):
    exp_id = c.create_experiment("churn", tags={"team": "ml", "n": 3})
    exp = c.get_experiment(exp_id)
    assert exp.name == "churn"
    assert exp.tags == {"team": "ml", "n": "3"}
    assert exp.lifecycle_stage == LifecycleStage.ACTIVE
    assert c.get_experiment_by_name("churn") == exp
    assert c.get_experiment_by_name("nope") is None


def test_relative_artifact_location_is_stored_absolute(c, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exp = c.get_experiment(c.create_experiment("arts", artifact_location="./artifacts"))
    assert exp.artifact_location == str(tmp_path / "artifacts")
    run = c.create_run(exp.experiment_id)
    assert Path(run.info.artifact_uri).parent == tmp_path / "artifacts"


def test_duplicate_name_is_an_error(c):
    c.create_experiment("dup")
    with pytest.raises(ExperimentAlreadyExistsError, match="dup"):
        c.create_experiment("dup")


def test_duplicate_of_a_deleted_experiment_is_an_error(c):
    c.delete_experiment(c.create_experiment("gone"))
    with pytest.raises(ExperimentAlreadyExistsError):
        c.create_experiment("gone")


@pytest.mark.parametrize("bad", ["", "   ", None, 3, "x" * 501])
def test_create_rejects_bad_names(c, bad):
    with pytest.raises(InvalidParameterError, match="Experiment name"):
        c.create_experiment(bad)


@pytest.mark.parametrize("bad", [{"bad key!": "v"}, {"k": "v" * 8001}, ["not", "a", "dict"]])
def test_create_rejects_bad_tags(c, bad):
    with pytest.raises(InvalidParameterError):
        c.create_experiment("t", tags=bad)


def test_create_rejects_empty_artifact_location(c):
    with pytest.raises(InvalidParameterError, match="artifact_location"):
        c.create_experiment("t", artifact_location="")


@pytest.mark.parametrize("bad", ["999", "", None, True])
def test_get_missing_or_bad_id(c, bad):
    with pytest.raises((ExperimentNotFoundError, InvalidParameterError)):
        c.get_experiment(bad)


def test_get_missing_is_a_lookup_error(c):
    with pytest.raises(LookupError):
        c.get_experiment("42")


def test_rename(c):
    exp_id = c.create_experiment("old")
    c.rename_experiment(exp_id, "new")
    assert c.get_experiment(exp_id).name == "new"
    assert c.get_experiment_by_name("old") is None


def test_rename_to_taken_name_fails(c):
    a = c.create_experiment("a")
    c.create_experiment("b")
    with pytest.raises(ExperimentAlreadyExistsError):
        c.rename_experiment(a, "b")
    assert c.get_experiment(a).name == "a"


def test_rename_deleted_or_bad(c):
    exp_id = c.create_experiment("x")
    with pytest.raises(InvalidParameterError):
        c.rename_experiment(exp_id, "")
    c.delete_experiment(exp_id)
    with pytest.raises(InvalidParameterError, match="deleted"):
        c.rename_experiment(exp_id, "y")


def test_delete_and_restore_are_soft(c):
    exp_id = c.create_experiment("soft")
    c.delete_experiment(exp_id)
    assert c.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED
    assert exp_id not in [e.experiment_id for e in c.list_experiments()]
    assert exp_id in [e.experiment_id for e in c.list_experiments(ViewType.DELETED_ONLY)]
    c.restore_experiment(exp_id)
    assert c.get_experiment(exp_id).lifecycle_stage == LifecycleStage.ACTIVE
    assert exp_id in [e.experiment_id for e in c.list_experiments()]


def test_delete_default_twice_or_restore_active_fail(c):
    with pytest.raises(InvalidParameterError, match="default experiment"):
        c.delete_experiment("0")
    exp_id = c.create_experiment("e")
    with pytest.raises(ExperimentNotFoundError, match="is active"):
        c.restore_experiment(exp_id)
    c.delete_experiment(exp_id)
    with pytest.raises(ExperimentNotFoundError, match="already deleted"):
        c.delete_experiment(exp_id)
    with pytest.raises(ExperimentNotFoundError):
        c.delete_experiment("77")


def test_list_experiments_orders_by_id_and_pages(c):
    ids = [c.create_experiment(f"e{i}") for i in range(3)]
    assert [e.experiment_id for e in c.list_experiments()] == ["0", *ids]
    first = c.list_experiments(max_results=2)
    assert [e.experiment_id for e in first] == ["0", ids[0]]
    rest = c.list_experiments(max_results=2, page_token=first.token)
    assert [e.experiment_id for e in rest] == ids[1:]
    assert rest.token is None
    assert {e.name for e in c.list_experiments(ViewType.ALL)} == {"Default", "e0", "e1", "e2"}


@pytest.mark.parametrize("bad", [0, 4, "1", True, None])
def test_list_rejects_bad_view_type(c, bad):
    with pytest.raises(InvalidParameterError, match="view_type"):
        c.list_experiments(bad)


def test_set_experiment_tag_merges(c):
    exp_id = c.create_experiment("tagged", tags={"a": "1"})
    c.set_experiment_tag(exp_id, "b", 2)
    c.set_experiment_tag(exp_id, "a", "x")
    assert c.get_experiment(exp_id).tags == {"a": "x", "b": "2"}
    with pytest.raises(InvalidParameterError):
        c.set_experiment_tag(exp_id, "../up", "v")
    with pytest.raises(ExperimentNotFoundError):
        c.set_experiment_tag("404", "a", "b")


# -- fluent ---------------------------------------------------------------------------------
def test_set_experiment_creates_then_reuses(any_uri):
    exp = nbtrack.set_experiment("fluent-exp")
    assert nbtrack.get_experiment_by_name("fluent-exp") == exp
    assert nbtrack.set_experiment("fluent-exp").experiment_id == exp.experiment_id
    with nbtrack.start_run() as run:
        pass
    assert run.info.experiment_id == exp.experiment_id


def test_set_experiment_by_id(any_uri):
    exp_id = nbtrack.create_experiment("by-id")
    assert nbtrack.set_experiment(experiment_id=exp_id).name == "by-id"
    with nbtrack.start_run() as run:
        assert run.info.experiment_id == exp_id


def test_set_experiment_refuses_deleted(any_uri):
    exp_id = nbtrack.create_experiment("dead")
    nbtrack.delete_experiment(exp_id)
    assert nbtrack.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(InvalidParameterError, match="deleted"):
        nbtrack.set_experiment("dead")
    with pytest.raises(InvalidParameterError, match="deleted"):
        nbtrack.set_experiment(experiment_id=exp_id)


@pytest.mark.parametrize("kwargs", [{}, {"experiment_name": "a", "experiment_id": "0"}])
def test_set_experiment_needs_exactly_one(any_uri, kwargs):
    with pytest.raises(InvalidParameterError, match="exactly one"):
        nbtrack.set_experiment(**kwargs)


def test_set_experiment_bad_inputs(any_uri):
    with pytest.raises(InvalidParameterError):
        nbtrack.set_experiment("")
    with pytest.raises(ExperimentNotFoundError):
        nbtrack.set_experiment(experiment_id="123")


def test_experiment_from_environment(any_uri, monkeypatch):
    monkeypatch.setenv("NBTRACK_EXPERIMENT_NAME", "from-env")
    with nbtrack.start_run() as run:
        pass
    assert nbtrack.get_experiment(run.info.experiment_id).name == "from-env"
    exp_id = nbtrack.create_experiment("by-env-id")
    monkeypatch.setenv("NBTRACK_EXPERIMENT_ID", exp_id)
    with nbtrack.start_run() as run:
        pass
    assert run.info.experiment_id == exp_id


def test_active_experiment_is_forgotten_with_another_store(any_uri, tmp_path):
    nbtrack.set_experiment("first-store")
    nbtrack.set_tracking_uri(f"memory:other-{os.getpid()}-{id(tmp_path)}")
    with nbtrack.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
