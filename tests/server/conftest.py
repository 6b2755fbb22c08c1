"""Fixtures for the server-extension tests: a real Jupyter server (pytest-jupyter, auth on)
serving a real TinyDB store filled through TrackingClient."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass

import pytest

# pytest-jupyter ships no pytest11 entry point; importing its fixtures here keeps them local to
# this folder instead of a root-level ``pytest_plugins``.
from pytest_jupyter.jupyter_server import *  # noqa: F401,F403

from nbtrack.client import TrackingClient

API = "nbtrack/api"


@pytest.fixture
def store_uri(tmp_path, monkeypatch) -> str:
    """A fresh store, handed to the server through the ``NbtrackConfig.tracking_uri`` setting."""
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)
    return str(tmp_path / "served-store")


@pytest.fixture
def jp_server_config(store_uri):
    return {
        "ServerApp": {"jpserver_extensions": {"nbtrack.server": True}},
        "NbtrackConfig": {"tracking_uri": store_uri},
    }


@dataclass
class Seeded:
    """Ids of what ``seeded`` put into the store."""

    client: TrackingClient
    experiment_id: str
    good_run: str
    failed_run: str
    stale_run: str


def _stale_run(store_uri: str, experiment_id: str) -> str:
    """A RUNNING run created by a process that has exited: the store must call it stale."""
    code = (
        "import sys; from nbtrack.client import TrackingClient\n"
        "c = TrackingClient(sys.argv[1]); r = c.create_run(sys.argv[2], run_name='orphan')\n"
        "print(r.info.run_id)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, store_uri, experiment_id],
        check=True, capture_output=True, text=True, timeout=60,
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def seeded(store_uri, tmp_path) -> Seeded:
    """Experiment "vision" with a finished run (params, metrics incl. NaN, tags, artifacts,
    captured cell source), a failed run and a stale run; model "clf" with two versions."""
    client = TrackingClient(store_uri)
    exp = client.create_experiment("vision")
    good = client.create_run(exp, run_name="good").info.run_id
    client.log_param(good, "lr", "0.1")
    client.log_param(good, "model", "rf")
    for step in range(10):
        client.log_metric(good, "loss", 1.0 / (step + 1), step=step)
    client.log_metric(good, "acc", 0.93)
    client.log_metric(good, "weird", math.nan)
    client.set_tag(good, "nbtrack.cell_source", "x = 1\nprint(x)")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello artifacts")
    client.log_artifact(good, str(notes))
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "curve.json").write_text(json.dumps({"x": [1, 2]}))
    client.log_artifacts(good, str(tmp_path / "plots"), "plots")
    client.set_terminated(good)

    failed = client.create_run(exp, run_name="bad").info.run_id
    client.log_param(failed, "lr", "0.5")
    client.log_metric(failed, "acc", 0.41)
    client.set_terminated(failed, "FAILED")

    stale = _stale_run(store_uri, exp)
    client.log_model(good, {"weights": [1, 2, 3]}, "model", registered_model_name="clf")
    client.log_model(good, {"weights": [4, 5, 6]}, "model2", registered_model_name="clf")
    client.flush()
    return Seeded(client, exp, good, failed, stale)


@pytest.fixture
def get_json(jp_fetch):
    """GET an nbtrack API path (auth header on) and return the decoded JSON body."""

    async def get(endpoint: str, /, **params: str):
        response = await jp_fetch(API, endpoint, params=params)
        assert response.code == 200
        return json.loads(response.body)

    return get


@pytest.fixture
def fetch_error(jp_fetch):
    """Send a request expected to fail; return (status code, decoded error body)."""
    from tornado.httpclient import HTTPClientError

    async def fetch(endpoint: str, /, method: str = "GET", body: str | None = None, **params: str):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(API, endpoint, method=method, body=body, params=params,
                           allow_nonstandard_methods=True)
        response = info.value.response
        return info.value.code, json.loads(response.body) if response is not None else None

    return fetch
