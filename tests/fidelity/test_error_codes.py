"""Every nbtrack error carries MLflow's ``error_code``, and the same failure gets the same code.

Codes and cases are taken from MLflow's documentation of ``MlflowException`` and its REST API
(``RESOURCE_DOES_NOT_EXIST`` for unknown ids, ``RESOURCE_ALREADY_EXISTS`` for taken names,
``INVALID_PARAMETER_VALUE`` for bad arguments and for writes to deleted runs, ``INVALID_STATE``
for renaming a deleted experiment).
"""
from __future__ import annotations

import pytest

import nbtrack
from nbtrack import errors

CODES = {
    "RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS", "INVALID_PARAMETER_VALUE", "INVALID_STATE",
    "INTERNAL_ERROR", "BAD_REQUEST", "TEMPORARILY_UNAVAILABLE", "DATA_LOSS",
}


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_class_has_an_mlflow_code(name):
    cls = getattr(errors, name)
    assert cls.error_code in CODES
    assert cls.error_code in errors.HTTP_STATUS


def test_code_can_be_set_per_raise_and_message_reads_like_mlflow():
    exc = errors.InvalidParameterError("bad", error_code="INVALID_STATE")
    assert exc.error_code == "INVALID_STATE" and exc.message == "bad"
    assert errors.InvalidParameterError("x").error_code == "INVALID_PARAMETER_VALUE"
    assert errors.RunNotFoundError("x").get_http_status_code() == 404


def _code(fn, *args):
    with pytest.raises(errors.NbtrackError) as info:
        fn(*args)
    return info.value.error_code


def test_codes_at_the_raise_sites(client):
    exp = client.create_experiment("e")
    run = client.create_run(exp)
    assert _code(client.get_run, "f" * 32) == "RESOURCE_DOES_NOT_EXIST"
    assert _code(client.get_experiment, "12345") == "RESOURCE_DOES_NOT_EXIST"
    assert _code(client.create_experiment, "e") == "RESOURCE_ALREADY_EXISTS"
    assert _code(client.get_registered_model, "nope") == "RESOURCE_DOES_NOT_EXIST"
    client.create_registered_model("m")
    assert _code(client.create_registered_model, "m") == "RESOURCE_ALREADY_EXISTS"
    assert _code(client.log_metric, run.info.run_id, "bad key!", 1.0) == "INVALID_PARAMETER_VALUE"
    assert _code(client.search_runs, [exp], "metrics.x >>> 1") == "INVALID_PARAMETER_VALUE"
    client.log_param(run.info.run_id, "p", 1)
    assert _code(client.log_param, run.info.run_id, "p", 2) == "INVALID_PARAMETER_VALUE"
    client.delete_run(run.info.run_id)
    assert _code(client.set_tag, run.info.run_id, "t", "v") == "INVALID_PARAMETER_VALUE"
    client.delete_experiment(exp)
    assert _code(client.rename_experiment, exp, "f") == "INVALID_STATE"
    assert _code(client.set_experiment_tag, exp, "k", "v") == "INVALID_PARAMETER_VALUE"


def test_mlflow_exception_name_ports_by_renaming():
    from nbtrack.exceptions import MlflowException

    assert MlflowException is errors.NbtrackError
    with pytest.raises(MlflowException) as info:
        nbtrack.TrackingClient("memory:codes").get_experiment("999")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
