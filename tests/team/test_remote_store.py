"""nbtrack on a real MLflow tracking server: the store contract, the seed guide's flow, artifacts
and the registry, each read back through MLflow's own client and compared field by field."""
from __future__ import annotations

import importlib.util
import math
import pickle
import sys
import uuid
from pathlib import Path

import pytest

import nbtrack
from nbtrack import TrackingClient
from nbtrack.entities import Metric
from nbtrack.errors import (
    ExperimentAlreadyExistsError,
    InvalidParameterError,
    NbtrackError,
)
from nbtrack.store import open_store
from nbtrack.store.mlflow._connection import redact

CORE = Path(__file__).resolve().parents[1] / "core"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_team_{name}", CORE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


contract = _load("test_store_contract")
seed = _load("test_seed_guide")


@pytest.fixture
def store(mlflow_server):
    """The MLflow store, with a fresh default-like experiment per test (the server is shared)."""
    s = open_store(mlflow_server.uri)
    yield s
    s.flush()


# -- the shared store contract, the part that does not depend on a fresh store ---------------
test_backends_implement_the_protocol = contract.test_backends_implement_the_protocol
test_missing_experiment = contract.test_missing_experiment
test_missing_run = contract.test_missing_run
test_params_are_immutable_but_same_value_is_noop = contract.test_params_are_immutable_but_same_value_is_noop
test_update_run_terminates_and_renames = contract.test_update_run_terminates_and_renames
test_deleted_run_refuses_logging = contract.test_deleted_run_refuses_logging
test_same_param_on_deleted_run_is_refused = contract.test_same_param_on_deleted_run_is_refused


def test_experiments_on_the_server(store):
    name = f"exp-{uuid.uuid4().hex[:8]}"
    exp_id = store.create_experiment(name, None, {"team": "a"})
    exp = store.get_experiment(exp_id)
    assert (exp.name, exp.tags, exp.lifecycle_stage) == (name, {"team": "a"}, "active")
    assert store.get_experiment_by_name(name) == exp
    with pytest.raises(ExperimentAlreadyExistsError, match=name):
        store.create_experiment(name)
    renamed = store.update_experiment(exp_id, name=name + "-b", lifecycle_stage="deleted", tags={"x": "1"})
    assert (renamed.name, renamed.lifecycle_stage, renamed.tags) == (name + "-b", "deleted", {"team": "a", "x": "1"})
    assert exp_id in {e.experiment_id for e in store.list_experiments()}


def test_tags_overwrite_delete_and_list_runs(store):
    exp_id = store.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")
    rid = store.create_run(exp_id, "r", 1000, {"k": "v"}).info.run_id
    store.log_batch(rid, tags={"a": "1"})
    store.log_batch(rid, tags={"a": "2"})
    assert store.get_run(rid).data.tags["a"] == "2"
    store.delete_tag(rid, "a")
    assert "a" not in store.get_run(rid).data.tags
    with pytest.raises(InvalidParameterError, match="no tag 'a'"):
        store.delete_tag(rid, "a")
    others = {store.create_run(exp_id, f"r{i}", 1000).info.run_id for i in range(3)}
    assert {r.info.run_id for r in store.list_runs([exp_id])} == others | {rid}


def test_mlflow_request_limits_are_honoured(store, mlflow_client):
    """250 params, 250 tags and 2,500 points in one call: MLflow refuses >100/100/1000 per request."""
    exp_id = store.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")
    rid = store.create_run(exp_id, "big", 1000).info.run_id
    params = {f"p{i}": str(i) for i in range(250)}
    tags = {f"t{i}": str(i) for i in range(250)}
    points = [Metric("m", float(i), 10 + i, i) for i in range(2500)]
    store.log_batch(rid, points, params, tags)
    store.flush()
    run = mlflow_client.get_run(rid)
    assert run.data.params == params
    assert {k: v for k, v in run.data.tags.items() if k.startswith("t")} == tags
    assert sorted(m.step for m in mlflow_client.get_metric_history(rid, "m")) == list(range(2500))


def test_seed_guide_flow_over_http(server_uri, mlflow_client, tmp_path, monkeypatch):
    """The guide's logging blocks through nbtrack with an http:// URI, read back by MLflow."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"weights": [1, 2]}))
    guide = seed.Guide(tmp_path)
    guide.run(seed.LOGGING_PARAMETERS)
    guide.run(seed.LOGGING_METRICS)
    guide.run(seed.TIME_SERIES_METRICS)
    guide.run(seed.LOG_FILES)
    ours = TrackingClient().search_runs([nbtrack.last_active_run().info.experiment_id])
    assert len(ours) == 4 and TrackingClient().tracking_uri == server_uri
    for run in ours:
        theirs = mlflow_client.get_run(run.info.run_id)
        for field in ("run_id", "run_name", "experiment_id", "status", "start_time", "end_time",
                      "lifecycle_stage", "artifact_uri", "user_id"):
            assert getattr(theirs.info, field) == getattr(run.info, field), field
        assert theirs.data.params == run.data.params
        assert theirs.data.tags == run.data.tags
        assert theirs.data.metrics == run.data.metrics
        for key in run.data.metrics:
            ours_h = [(m.step, m.value, m.timestamp) for m in TrackingClient().get_metric_history(run.info.run_id, key)]
            theirs_h = [(m.step, m.value, m.timestamp) for m in mlflow_client.get_metric_history(run.info.run_id, key)]
            assert sorted(ours_h) == sorted(theirs_h), key
    by_params = {frozenset(r.data.params): r for r in ours}
    params_run = by_params[frozenset({"model", "n_estimators", "max_depth", "min_samples_split", "random_state"})]
    assert mlflow_client.get_run(params_run.info.run_id).data.params["n_estimators"] == "100"
    series = next(r for r in ours if "train_loss" in r.data.metrics)
    assert len(mlflow_client.get_metric_history(series.info.run_id, "train_loss")) == 100
    assert len(mlflow_client.get_metric_history(series.info.run_id, "val_loss")) == 10
    files = next(r for r in ours if not r.data.metrics and not r.data.params)
    assert [f.path for f in mlflow_client.list_artifacts(files.info.run_id)] == ["model.pkl"]


def test_artifacts_round_trip(server_uri, mlflow_client, tmp_path):
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "a.txt").write_text("a")
    (tmp_path / "dir" / "sub" / "b.txt").write_text("bb")
    with nbtrack.start_run() as run:
        nbtrack.log_artifacts(tmp_path / "dir", artifact_path="d")
        nbtrack.log_text("hello", "notes/readme.txt")
        nbtrack.log_dict({"x": 1}, "cfg.json")
    client = TrackingClient()
    rid = run.info.run_id
    assert [f.path for f in client.list_artifacts(rid)] == ["cfg.json", "d", "notes"]
    assert [(f.path, f.file_size) for f in client.list_artifacts(rid, "d/sub")] == [("d/sub/b.txt", 2)]
    local = client.download_artifacts(rid, "notes/readme.txt", tmp_path / "out")
    assert Path(local).read_text() == "hello"
    assert sorted(f.path for f in mlflow_client.list_artifacts(rid, "d")) == ["d/a.txt", "d/sub"]


def test_registry_flow_with_stages_and_aliases(server_uri, mlflow_client):
    name = f"model-{uuid.uuid4().hex[:8]}"
    client = TrackingClient()
    with nbtrack.start_run() as run:
        nbtrack.log_text("weights", "model/weights.txt")
    client.create_registered_model(name, tags={"team": "a"}, description="first")
    source = f"{run.info.artifact_uri}/model"
    v1 = client.create_model_version(name, source, run_id=run.info.run_id)
    v2 = client.create_model_version(name, source, run_id=run.info.run_id)
    assert (v1.version, v2.version) == (1, 2)
    client.transition_model_version_stage(name, 1, "Production")
    client.transition_model_version_stage(name, 2, "Production", archive_existing_versions=True)
    client.set_registered_model_alias(name, "champion", 2)
    client.set_registered_model_alias(name, "old", 1)
    client.delete_registered_model_alias(name, "old")
    client.update_model_version(name, 2, "the better one")

    theirs = mlflow_client.get_registered_model(name)
    tags = {k: v for k, v in theirs.tags.items() if not k.startswith("nbtrack.audit.")}
    assert (theirs.description, tags, dict(theirs.aliases)) == ("first", {"team": "a"}, {"champion": "2"})
    assert client.get_registered_model(name).tags == {"team": "a"}
    got = {int(v.version): v for v in mlflow_client.search_model_versions(f"name='{name}'")}
    assert (got[1].current_stage, got[2].current_stage) == ("Archived", "Production")
    assert got[2].description == "the better one" and got[2].run_id == run.info.run_id
    assert mlflow_client.get_model_version_by_alias(name, "champion").version == "2"
    assert client.get_model_version_by_alias(name, "champion").version == 2
    assert [v.version for v in client.get_latest_versions(name, ["Production"])] == [2]

    # The audit trail is kept on the server (model tags), read back by a fresh client.
    actions = [e.action for e in TrackingClient(server_uri).get_registry_audit(name)]
    assert actions.count("create_model_version") == 2 and actions.count("set_registered_model_alias") == 2
    assert len(actions) == len({k for k in theirs.tags if k.startswith("nbtrack.audit.")})
    assert [e.version for e in client.get_registry_audit(name, 1) if e.action == "transition_model_version_stage"]

    client.rename_registered_model(name, name + "-renamed")
    assert mlflow_client.get_registered_model(name + "-renamed").aliases == {"champion": "2"}
    renamed = [e.action for e in client.get_registry_audit(name + "-renamed")]
    assert renamed[:len(actions)] == actions and renamed[-1] == "rename_registered_model"
    client.delete_registered_model(name + "-renamed")
    assert not mlflow_client.search_registered_models(f"name='{name}-renamed'")


def test_non_finite_values_as_mlflow_keeps_them(store):
    """NaN round-trips; MLflow's SQL stores clamp infinities to the largest float (and -0.0 to 0.0)."""
    rid = store.create_run("0", "r", 1000).info.run_id
    vals = [math.nan, math.inf, -math.inf, 1e308]
    store.log_batch(rid, metrics=[Metric("x", v, 1, i) for i, v in enumerate(vals)])
    got = [m.value for m in store.get_metric_history(rid, "x")]
    assert math.isnan(got[0]) and got[1:] == [sys.float_info.max, -sys.float_info.max, 1e308]


def test_nan_and_points_reach_mlflow_in_order(server_uri, mlflow_client):
    with nbtrack.start_run() as run:
        for i in range(10):
            nbtrack.log_metric("m", math.nan if i == 3 else float(i), step=i)
    hist = sorted(mlflow_client.get_metric_history(run.info.run_id, "m"), key=lambda m: m.step)
    assert [m.step for m in hist] == list(range(10))
    assert math.isnan(hist[3].value) and hist[9].value == 9.0


def test_credentials_never_show(mlflow_server, monkeypatch):
    """MLflow's auth variables are used by its client; nbtrack never repeats them."""
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw-never-shown")
    client = TrackingClient(mlflow_server.uri)
    run = client.create_run("0")
    assert "pw-never-shown" not in repr(client.get_run(run.info.run_id))
    with pytest.raises(NbtrackError) as err:
        client.get_run("0123456789abcdef0123456789abcdef")
    assert "pw-never-shown" not in str(err.value)
    assert "pw-never-shown" not in redact("http://alice:pw-never-shown@h:1 said pw-never-shown")


def test_models_logged_loaded_and_registered_on_a_server(server_uri, mlflow_client):
    """log_model / load_model / register_model through the server's artifact store."""
    name = f"model-{uuid.uuid4().hex[:8]}"
    weights = {"w": [1.5, 2.5], "bias": -1}
    with nbtrack.start_run() as run:
        nbtrack.log_model(weights, "model", registered_model_name=name)
    run_id = run.info.run_id
    assert nbtrack.load_model(f"runs:/{run_id}/model") == weights
    assert nbtrack.load_model(f"models:/{name}/1") == weights
    TrackingClient().set_registered_model_alias(name, "champion", 1)
    assert nbtrack.load_model(f"models:/{name}@champion") == weights
    v2 = nbtrack.register_model(f"runs:/{run_id}/model", name)
    assert int(v2.version) == 2
    assert {f.path for f in mlflow_client.list_artifacts(run_id, "model")}  # on the server's store
    assert mlflow_client.get_model_version(name, "2").run_id == run_id
    assert nbtrack.load_model(f"models:/{name}/2") == weights
