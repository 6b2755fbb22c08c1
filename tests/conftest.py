"""Fixtures shared by every test folder: fresh real stores and a clean fluent state."""
from __future__ import annotations

import uuid

import pytest

import nbtrack
from nbtrack import fluent


@pytest.fixture(autouse=True)
def _clean_fluent_state():
    """End any run a test left active and forget the fluent tracking URI / experiment."""
    yield
    fluent._reset()


@pytest.fixture
def tracking_uri(tmp_path) -> str:
    """A fresh TinyDB store in tmp_path, set as the fluent tracking URI for this test."""
    uri = f"tinydb://{tmp_path / 'store'}"
    nbtrack.set_tracking_uri(uri)
    yield uri
    fluent._reset()


@pytest.fixture
def client(tracking_uri) -> nbtrack.TrackingClient:
    """A TrackingClient on the ``tracking_uri`` store (shared with the fluent API)."""
    return nbtrack.TrackingClient(tracking_uri)


@pytest.fixture(params=["memory", "tinydb"])
def any_uri(request, tmp_path) -> str:
    """Each store backend in turn, set as the fluent tracking URI: for tests valid on both."""
    if request.param == "memory":
        uri = f"memory:test-{uuid.uuid4().hex}"
    else:
        uri = f"tinydb://{tmp_path / 'store'}"
    nbtrack.set_tracking_uri(uri)
    yield uri
    fluent._reset()
