"""One fresh store per test, seen by this process and by every kernel or child it starts."""
from __future__ import annotations

import pytest

import nbtrack

from .env import checkout_pythonpath


@pytest.fixture
def store_uri(tmp_path, monkeypatch) -> str:
    """A store in tmp_path: the fluent tracking URI here, and in the environment (with this checkout
    first on PYTHONPATH and no notebook or experiment variables) for kernels started from the test."""
    uri = str(tmp_path / "store")
    monkeypatch.setenv("NBTRACK_TRACKING_URI", uri)
    monkeypatch.setenv("PYTHONPATH", checkout_pythonpath())
    for var in ("NBTRACK_NOTEBOOK", "JPY_SESSION_NAME", "NBTRACK_EXPERIMENT_NAME", "NBTRACK_EXPERIMENT_ID"):
        monkeypatch.delenv(var, raising=False)
    nbtrack.set_tracking_uri(uri)
    return uri


@pytest.fixture
def client(store_uri) -> nbtrack.TrackingClient:
    return nbtrack.TrackingClient(store_uri)
