"""REST errors carry MLflow's JSON shape and the HTTP status MLflow's server gives each code.

The body is ``{"error_code", "message"}`` as MLflow's server sends it (plus ``error``, the
class name the UI shows); the status comes from the error's ``error_code`` through the same
table as ``NbtrackError.get_http_status_code()``.
"""
from __future__ import annotations

import pytest

from nbtrack.errors import HTTP_STATUS


def _check(code, body, error_code):
    assert body["error_code"] == error_code
    assert code == HTTP_STATUS[error_code]
    assert isinstance(body["message"], str) and body["message"]


async def test_unknown_ids_are_resource_does_not_exist(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{'f' * 32}")
    _check(code, body, "RESOURCE_DOES_NOT_EXIST")
    assert code == 404
    code, body = await fetch_error(f"experiments/{4242}/runs")
    _check(code, body, "RESOURCE_DOES_NOT_EXIST")
    code, body = await fetch_error(f"runs/{seeded.good_run}/tags/never-set", method="DELETE")
    _check(code, body, "RESOURCE_DOES_NOT_EXIST")


async def test_bad_arguments_are_invalid_parameter_value(seeded, fetch_error):
    code, body = await fetch_error("experiments", view="sideways")
    _check(code, body, "INVALID_PARAMETER_VALUE")
    assert code == 400
    code, body = await fetch_error("runs", experiment_ids=seeded.experiment_id, filter="metrics.acc >>> 1")
    _check(code, body, "INVALID_PARAMETER_VALUE")
    assert isinstance(body["position"], int)
    code, body = await fetch_error(f"runs/{seeded.good_run}/artifacts", path="../../etc")
    _check(code, body, "INVALID_PARAMETER_VALUE")


async def test_writes_to_a_deleted_run_are_invalid_parameter_value(seeded, fetch_error):
    seeded.client.delete_run(seeded.failed_run)
    code, body = await fetch_error(
        f"runs/{seeded.failed_run}/tags/note", method="PUT", body='{"value": "x"}'
    )
    _check(code, body, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("error_code", sorted(HTTP_STATUS))
def test_one_table_for_client_and_server(error_code):
    from nbtrack.errors import NbtrackError
    from nbtrack.server.base import http_status_for

    exc = NbtrackError("x", error_code=error_code)
    assert http_status_for(exc) == exc.get_http_status_code() == HTTP_STATUS[error_code]


@pytest.mark.parametrize("status, code", [(400, "BAD_REQUEST"), (403, "PERMISSION_DENIED"),
                                          (404, "ENDPOINT_NOT_FOUND"), (500, "INTERNAL_ERROR")])
def test_http_failures_outside_nbtrack_get_mlflows_code_for_their_status(status, code):
    from nbtrack.server.serialize import error_body

    body = error_body(None, status, "why")
    assert body == {"error_code": code, "message": "why", "error": "HTTPError"}


async def test_a_bad_json_body_is_invalid_parameter_value(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/tags/note", method="PUT", body="{not json")
    _check(code, body, "INVALID_PARAMETER_VALUE")
