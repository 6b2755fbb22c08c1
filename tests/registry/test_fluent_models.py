"""nbtrack.log_model / load_model / register_model and the nbtrack.sklearn aliases (active run)."""
from __future__ import annotations

import pickle

import pytest

import nbtrack
import nbtrack.sklearn
from nbtrack.errors import InvalidParameterError, NoActiveRunError

UNPICKLED: list[str] = []


def _mark_unpickled() -> Tripwire:
    UNPICKLED.append("ran")
    return Tripwire()


class Tripwire:
    """Records in UNPICKLED whenever a pickle of it is loaded."""

    def __reduce__(self):
        return (_mark_unpickled, ())


class DuckEstimator:
    """Not a scikit-learn class, but shaped like an estimator."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return [0 for _ in X]


def test_sklearn_log_model_registers_and_loads(tracking_uri, iris_model, iris):
    X, _ = iris
    with nbtrack.start_run() as run:
        info = nbtrack.sklearn.log_model(iris_model, "model", registered_model_name="iris", input_example=X[:2])
    assert (info.run_id, info.flavor, info.registered_model_version) == (run.info.run_id, "sklearn", 1)
    loaded = nbtrack.sklearn.load_model("models:/iris/1")
    assert (loaded.predict(X) == iris_model.predict(X)).all()
    assert (nbtrack.load_model(info.model_uri).predict(X) == iris_model.predict(X)).all()


def test_duck_typed_estimator_gets_the_sklearn_flavor(tracking_uri):
    with nbtrack.start_run():
        info = nbtrack.sklearn.log_model(DuckEstimator(), "duck")
    assert info.flavor == "sklearn"
    assert nbtrack.sklearn.load_model(info.model_uri).predict([1, 2]) == [0, 0]


def test_sklearn_log_model_rejects_non_estimators(tracking_uri):
    with nbtrack.start_run():
        with pytest.raises(InvalidParameterError, match="expects a scikit-learn estimator, got dict"):
            nbtrack.sklearn.log_model({"a": 1}, "model")


def test_logging_a_model_needs_an_active_run(tracking_uri, iris_model):
    with pytest.raises(NoActiveRunError, match="log a model"):
        nbtrack.sklearn.log_model(iris_model, "model")
    with pytest.raises(NoActiveRunError, match="log a model"):
        nbtrack.log_model(iris_model, "model")


def test_sklearn_load_model_refuses_other_flavors_before_unpickling(tracking_uri):
    assert pickle.loads(pickle.dumps(Tripwire())) and UNPICKLED == ["ran"]  # the tripwire works
    UNPICKLED.clear()
    with nbtrack.start_run():
        info = nbtrack.log_model(Tripwire(), "trip")
    assert info.flavor == "python_object"
    with pytest.raises(InvalidParameterError, match="flavor 'python_object', not 'sklearn'"):
        nbtrack.sklearn.load_model(info.model_uri)
    assert UNPICKLED == []
    nbtrack.load_model(info.model_uri)
    assert UNPICKLED == ["ran"]


def test_fluent_register_model(tracking_uri):
    with nbtrack.start_run():
        info = nbtrack.log_model({"w": [1, 2]}, "m")
    version = nbtrack.register_model(info.model_uri, "weights")
    assert (version.name, version.version, version.status) == ("weights", 1, "READY")
    assert nbtrack.load_model("models:/weights/latest") == {"w": [1, 2]}
