"""Fixtures for the registry tests: a real client on each store kind, a fitted iris model, a run."""
from __future__ import annotations

import uuid

import pytest

from nbtrack.client import TrackingClient


@pytest.fixture(params=["tinydb", "memory"])
def client(request, tmp_path) -> TrackingClient:
    """A TrackingClient on a fresh TinyDB store in tmp_path, or on a fresh memory store."""
    if request.param == "tinydb":
        return TrackingClient(str(tmp_path / "store"))
    return TrackingClient(f"memory:registry-{uuid.uuid4().hex}")


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def iris_model(iris):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=500).fit(X, y)


@pytest.fixture
def run_id(client) -> str:
    return client.create_run(client.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")).info.run_id


@pytest.fixture
def logged(client, run_id, iris_model):
    """Three versions of model 'iris', each logged from the same run under its own path."""
    for i in range(3):
        client.log_model(run_id, iris_model, f"model{i}", registered_model_name="iris")
    return client
