"""log_param / log_params (fluent) and TrackingClient.log_param: immutable string params."""
from __future__ import annotations

import pytest

import nbtrack
from nbtrack import (
    InvalidParameterError,
    NoActiveRunError,
    ParamConflictError,
    RunNotFoundError,
    RunStateError,
    TrackingClient,
)


@pytest.mark.parametrize(
    "value, stored",
    [(0.001, "0.001"), (100, "100"), ("random_forest", "random_forest"), (True, "True"), (None, "None"), ([1, 2], "[1, 2]")],
)
def test_values_are_stored_as_strings(any_uri, value, stored):
    with nbtrack.start_run() as run:
        assert nbtrack.log_param("p", value) == value
    assert nbtrack.get_run(run.run_id).data.params == {"p": stored}


def test_log_params_dict(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_params({"max_depth": 10, "min_samples_split": 2, "random_state": 42})
    assert nbtrack.get_run(run.run_id).data.params == {
        "max_depth": "10", "min_samples_split": "2", "random_state": "42",
    }


def test_same_value_again_is_a_noop(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_param("lr", 0.1)
        nbtrack.log_param("lr", 0.1)
        nbtrack.log_params({"lr": "0.1"})
    assert nbtrack.get_run(run.run_id).data.params == {"lr": "0.1"}


def test_changing_a_param_is_an_error_naming_both_values(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_param("lr", 0.1)
        with pytest.raises(ParamConflictError) as err:
            nbtrack.log_param("lr", 0.2)
    assert "'0.1'" in str(err.value) and "'0.2'" in str(err.value)
    assert nbtrack.get_run(run.run_id).data.params == {"lr": "0.1"}


def test_conflict_inside_one_batch(any_uri):
    client = TrackingClient()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(ParamConflictError):
        client.log_batch(run_id, params=[nbtrack.Param("a", 1), nbtrack.Param("a", 2)])
    assert client.get_run(run_id).data.params == {}


def test_long_value_is_an_error_not_truncated(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_param("ok", "x" * 6000)
        with pytest.raises(InvalidParameterError, match="log_text"):
            nbtrack.log_param("long", "x" * 6001)
    assert set(nbtrack.get_run(run.run_id).data.params) == {"ok"}


@pytest.mark.parametrize("key", ["", "../up", "a//b", "/abs", "bad!key", 3, None, "k" * 251])
def test_bad_keys(any_uri, key):
    with nbtrack.start_run(), pytest.raises(InvalidParameterError):
        nbtrack.log_param(key, 1)


def test_no_active_run(any_uri):
    with pytest.raises(NoActiveRunError, match="start_run"):
        nbtrack.log_param("a", 1)
    with pytest.raises(NoActiveRunError):
        nbtrack.log_params({"a": 1})


def test_log_params_needs_a_dict(any_uri):
    with nbtrack.start_run(), pytest.raises(InvalidParameterError, match="dict"):
        nbtrack.log_params([("a", 1)])


def test_client_log_param(any_uri):
    client = TrackingClient()
    run_id = client.create_run("0").info.run_id
    assert client.log_param(run_id, "model", "rf") == "rf"
    assert client.get_run(run_id).data.params == {"model": "rf"}
    with pytest.raises(RunNotFoundError):
        client.log_param("0" * 32, "a", 1)
    with pytest.raises(InvalidParameterError):
        client.log_param("", "a", 1)


def test_deleted_run_refuses_params(any_uri):
    client = TrackingClient()
    run_id = client.create_run("0").info.run_id
    client.delete_run(run_id)
    with pytest.raises(RunStateError, match="deleted"):
        client.log_param(run_id, "a", 1)
