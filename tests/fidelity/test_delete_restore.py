"""Deleting and restoring answer as MLflow's stores do, verb by verb.

From MLflow's tracking and registry store behaviour (its SQL store, the server's default):
deleting an experiment that is not active, or restoring one that is not deleted, is
``RESOURCE_DOES_NOT_EXIST`` (the lookup is by lifecycle stage); deleting or restoring a run is
idempotent; deleting a missing run or experiment tag is ``RESOURCE_DOES_NOT_EXIST``, on a deleted
run or experiment ``INVALID_PARAMETER_VALUE``; registry tags and aliases that are not set are
deleted silently; a deleted model version or registered model is gone
(``RESOURCE_DOES_NOT_EXIST`` the second time).
"""
from __future__ import annotations

import pytest

from nbtrack import errors

MISSING = "RESOURCE_DOES_NOT_EXIST"
INVALID = "INVALID_PARAMETER_VALUE"


def _code(fn, *args):
    with pytest.raises(errors.NbtrackError) as info:
        fn(*args)
    return info.value.error_code


@pytest.fixture
def exp(client):
    return client.create_experiment("e")


def test_experiment_delete_and_restore_twice(client, exp):
    client.delete_experiment(exp)
    assert _code(client.delete_experiment, exp) == MISSING
    with pytest.raises(LookupError, match="already deleted"):
        client.delete_experiment(exp)
    client.restore_experiment(exp)
    assert _code(client.restore_experiment, exp) == MISSING
    assert _code(client.delete_experiment, "4242") == MISSING
    assert _code(client.restore_experiment, "4242") == MISSING
    assert client.get_experiment(exp).lifecycle_stage == "active"


def test_run_delete_and_restore_are_idempotent(client, exp):
    run_id = client.create_run(exp).info.run_id
    client.delete_run(run_id)
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.restore_run(run_id)
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert _code(client.delete_run, "f" * 32) == MISSING
    assert _code(client.restore_run, "f" * 32) == MISSING


def test_run_tag_delete(client, exp):
    run_id = client.create_run(exp).info.run_id
    assert _code(client.delete_tag, run_id, "nope") == MISSING
    with pytest.raises(errors.TagNotFoundError, match="nope"):
        client.delete_tag(run_id, "nope")
    client.set_tag(run_id, "k", "v")
    client.delete_run(run_id)
    assert _code(client.delete_tag, run_id, "k") == INVALID


def test_experiment_tag_delete(client, exp):
    assert _code(client.delete_experiment_tag, exp, "nope") == MISSING
    client.set_experiment_tag(exp, "k", "v")
    client.delete_experiment_tag(exp, "k")
    assert "k" not in client.get_experiment(exp).tags
    client.set_experiment_tag(exp, "k", "v")
    client.delete_experiment(exp)
    assert _code(client.delete_experiment_tag, exp, "k") == INVALID


def test_registry_deletes(client):
    client.create_registered_model("m")
    version = client.create_model_version("m", "s3://bucket/model").version
    client.delete_registered_model_tag("m", "nope")
    client.delete_model_version_tag("m", version, "nope")
    client.delete_registered_model_alias("m", "nope")
    assert _code(client.delete_registered_model_tag, "zz", "k") == MISSING
    assert _code(client.delete_model_version_tag, "m", "9", "k") == MISSING
    assert _code(client.delete_registered_model_alias, "zz", "a") == MISSING
    client.delete_model_version("m", version)
    assert _code(client.delete_model_version, "m", version) == MISSING
    client.delete_registered_model("m")
    assert _code(client.delete_registered_model, "m") == MISSING
