"""One contract suite, run against every Store backend."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest

from nbtrack.entities import LifecycleStage, Metric, RunStatus
from nbtrack.errors import (
    ExperimentAlreadyExistsError,
    ExperimentNotFoundError,
    InvalidParameterError,
    ParamConflictError,
    RunNotFoundError,
    RunStateError,
)
from nbtrack.store import MemoryStore, Store, TinyDBStore
from nbtrack.store.metric_docs import CHUNK_POINTS


@pytest.fixture(params=["memory", "tinydb"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else TinyDBStore(tmp_path / "store")
    yield s
    s.close()


def _run(store, exp="0", name="r"):
    return store.create_run(exp, name, 1000, {"k": "v"})


def test_backends_implement_the_protocol(store):
    assert isinstance(store, Store)


def test_default_experiment_exists(store):
    exps = store.list_experiments()
    assert [(e.experiment_id, e.name) for e in exps] == [("0", "Default")]


def test_create_and_get_experiment(store):
    exp_id = store.create_experiment("exp", None, {"team": "a"})
    exp = store.get_experiment(exp_id)
    assert exp.name == "exp" and exp.tags == {"team": "a"}
    assert exp.lifecycle_stage == LifecycleStage.ACTIVE
    assert exp.artifact_location.endswith(f"/{exp_id}")
    assert store.get_experiment_by_name("exp") == exp
    assert store.get_experiment_by_name("nope") is None
    assert exp_id == "1"


def test_duplicate_experiment_name_is_rejected(store):
    store.create_experiment("exp")
    with pytest.raises(ExperimentAlreadyExistsError, match="exp"):
        store.create_experiment("exp")


def test_missing_experiment(store):
    with pytest.raises(ExperimentNotFoundError, match="42"):
        store.get_experiment("42")
    with pytest.raises(ExperimentNotFoundError):
        store.update_experiment("42", name="x")


def test_update_experiment_rename_delete_tags(store):
    a = store.create_experiment("a")
    store.create_experiment("b")
    with pytest.raises(ExperimentAlreadyExistsError):
        store.update_experiment(a, name="b")
    exp = store.update_experiment(a, name="c", lifecycle_stage=LifecycleStage.DELETED, tags={"x": "1"})
    assert (exp.name, exp.lifecycle_stage, exp.tags) == ("c", "deleted", {"x": "1"})
    with pytest.raises(RunStateError, match="deleted"):
        store.create_run(a, "r", 1, {})


def test_create_run_records_info(store):
    run = _run(store)
    assert run.info.status == RunStatus.RUNNING
    assert run.info.experiment_id == "0" and run.info.run_name == "r"
    assert run.info.artifact_uri.endswith(run.info.run_id)
    assert store.get_run(run.info.run_id) == run


def test_missing_run(store):
    with pytest.raises(RunNotFoundError, match="abc"):
        store.get_run("abc")
    with pytest.raises(RunNotFoundError):
        store.update_run("abc", status="FINISHED")
    with pytest.raises(RunNotFoundError):
        store.get_metric_history("abc", "m")


def test_params_are_immutable_but_same_value_is_noop(store):
    rid = _run(store).info.run_id
    store.log_batch(rid, params={"lr": "0.1"})
    store.log_batch(rid, params={"lr": "0.1"})
    with pytest.raises(ParamConflictError, match="0.1.*0.2"):
        store.log_batch(rid, params={"lr": "0.2", "other": "x"})
    # the failed batch wrote nothing
    assert store.get_run(rid).data.params == {"lr": "0.1"}


def test_tags_overwrite_and_delete(store):
    rid = _run(store).info.run_id
    store.log_batch(rid, tags={"a": "1"})
    store.log_batch(rid, tags={"a": "2"})
    assert store.get_run(rid).data.tags == {"k": "v", "a": "2"}
    store.delete_tag(rid, "a")
    assert "a" not in store.get_run(rid).data.tags
    with pytest.raises(InvalidParameterError, match="no tag 'a'"):
        store.delete_tag(rid, "a")


def test_metrics_history_latest_and_chunking(store):
    rid = _run(store).info.run_id
    n = CHUNK_POINTS * 2 + 17
    store.log_batch(rid, metrics=[Metric("loss", 1.0 / (i + 1), 10 + i, i) for i in range(n)])
    hist = store.get_metric_history(rid, "loss")
    assert [m.step for m in hist] == list(range(n))
    assert hist[-1].value == pytest.approx(1.0 / n)
    assert store.get_run(rid).data.metrics["loss"] == pytest.approx(1.0 / n)
    assert store.get_metric_history(rid, "unknown") == []


def test_full_chunks_are_sealed_so_a_flush_rewrites_only_the_open_chunk(tmp_path):
    store = TinyDBStore(tmp_path / "s")
    rid = _run(store).info.run_id
    store.log_batch(rid, metrics=[Metric("a/b", float(i), i, i) for i in range(CHUNK_POINTS * 3 + 5)])
    store.flush()
    history_file = tmp_path / "s" / "metrics" / f"{rid}.json"
    sealed = sorted((tmp_path / "s" / "metrics").glob(f"{rid}.*-*.col"))
    # A write seals its full chunks together as packed columns (the backlog bound may split the batch).
    assert 1 <= len(sealed) <= 3
    assert sum(p.stat().st_size for p in sealed) == 16 * len(sealed) + 24 * CHUNK_POINTS * 3
    small = history_file.stat().st_size
    assert small < sealed[0].stat().st_size / 100  # only 5 inline points and the references
    before = [p.stat().st_mtime_ns for p in sealed]
    store.log_batch(rid, metrics=[Metric("a/b", -1.0, 0, 10**6)])
    store.flush()
    assert [p.stat().st_mtime_ns for p in sealed] == before  # sealed chunks are never rewritten
    store.log_batch(rid, metrics=[Metric("a/b", 0.5, i, i) for i in range(CHUNK_POINTS)])
    store.flush()
    assert [p.stat().st_mtime_ns for p in sealed] == before
    assert len(sorted((tmp_path / "s" / "metrics").glob(f"{rid}.*-*.col"))) == len(sealed) + 1
    hist = store.get_metric_history(rid, "a/b")[: CHUNK_POINTS * 3 + 6]
    assert len(hist) == CHUNK_POINTS * 3 + 6 and hist[-1].step == 10**6
    assert [m.step for m in hist[:-1]] == list(range(CHUNK_POINTS * 3 + 5))
    assert TinyDBStore(tmp_path / "s").get_metric_history(rid, "a/b")[: CHUNK_POINTS * 3 + 6] == hist


def test_latest_metric_is_highest_step_then_timestamp(store):
    rid = _run(store).info.run_id
    store.log_batch(rid, metrics=[Metric("m", 5.0, 100, 3), Metric("m", 7.0, 50, 1)])
    store.flush()
    store.log_batch(rid, metrics=[Metric("m", 9.0, 200, 3), Metric("m", 1.0, 999, 2)])
    assert store.get_run(rid).data.metrics["m"] == 9.0
    # logging order is kept in the history
    assert [m.value for m in store.get_metric_history(rid, "m")] == [5.0, 7.0, 9.0, 1.0]


def test_non_finite_values_round_trip(store):
    rid = _run(store).info.run_id
    vals = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308]
    store.log_batch(rid, metrics=[Metric("x", v, 1, i) for i, v in enumerate(vals)])
    got = [m.value for m in store.get_metric_history(rid, "x")]
    assert math.isnan(got[0]) and got[1:3] == [math.inf, -math.inf] and got[3:] == vals[3:]
    assert store.get_run(rid).data.metrics["x"] == 1e308


def test_update_run_terminates_and_renames(store):
    rid = _run(store).info.run_id
    info = store.update_run(rid, status="FINISHED", end_time=2000, run_name="renamed")
    assert (info.status, info.end_time, info.run_name) == ("FINISHED", 2000, "renamed")


def test_deleted_run_refuses_logging(store):
    rid = _run(store).info.run_id
    store.update_run(rid, lifecycle_stage=LifecycleStage.DELETED)
    with pytest.raises(RunStateError, match="deleted"):
        store.log_batch(rid, params={"a": "1"})
    with pytest.raises(RunStateError, match="deleted"):
        store.log_batch(rid, metrics=[Metric("m", 1.0, 1, 0)])
    store.update_run(rid, lifecycle_stage=LifecycleStage.ACTIVE)
    store.log_batch(rid, params={"a": "1"})


def test_list_runs_by_experiment(store):
    e1 = store.create_experiment("one")
    ids = {_run(store, e1, f"r{i}").info.run_id for i in range(30)}
    _run(store, "0")
    assert {r.info.run_id for r in store.list_runs([e1])} == ids
    assert len(store.list_runs([e1, "0"])) == 31
    assert store.list_runs(["99"]) == []


def test_registry_state_updates_atomically(store):
    def bump(state):
        state["n"] = state.get("n", 0) + 1
        return state["n"]

    assert store.update_registry(bump) == 1
    assert store.update_registry(bump) == 2
    assert store.read_registry()["n"] == 2

    def fail(state):
        state["n"] = 100
        raise ValueError("boom")

    with pytest.raises(ValueError):
        store.update_registry(fail)
    assert store.read_registry()["n"] == 2


def test_stale_run_of_a_dead_process(store, tmp_path):
    live = _run(store).info.run_id
    if isinstance(store, MemoryStore):
        assert store.find_stale_runs() == []
        return
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from nbtrack.store import TinyDBStore\n"
        "s = TinyDBStore(%r); print(s.create_run('0', 'orphan', 1, {}).info.run_id)\n"
    ) % (str(__import__('pathlib').Path(__file__).parents[2]), str(store.root))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    orphan = out.stdout.strip()
    assert store.find_stale_runs() == [orphan]
    assert live not in store.find_stale_runs(["0"])
    assert store.find_stale_runs(["1"]) == []


def test_other_instance_sees_commits(tmp_path):
    a = TinyDBStore(tmp_path / "s")
    b = TinyDBStore(tmp_path / "s")
    rid = a.create_run("0", "r", 1, {}).info.run_id
    a.log_batch(rid, metrics=[Metric("m", 1.0, 1, 0)], params={"p": "1"})
    a.flush()
    assert b.get_run(rid).data.params == {"p": "1"}
    assert b.get_run(rid).data.metrics == {"m": 1.0}
    a.log_batch(rid, tags={"t": "x"})
    assert b.get_run(rid).data.tags == {"t": "x"}


def test_same_param_on_deleted_run_is_refused(store):
    rid = _run(store).info.run_id
    store.log_batch(rid, params={"a": "1"})
    store.update_run(rid, lifecycle_stage=LifecycleStage.DELETED)
    with pytest.raises(RunStateError, match="deleted"):
        store.log_batch(rid, params={"a": "1"})


def test_run_shards_fill_in_creation_order(tmp_path):
    from nbtrack.store.docstore import RUNS_PER_SHARD

    store = TinyDBStore(tmp_path / "s")
    ids = [store.create_run("0", f"r{i}", i, {}).info.run_id for i in range(RUNS_PER_SHARD + 5)]
    shards = sorted(p.name for p in (tmp_path / "s" / "runs").glob("*.json"))
    assert shards == ["000000.json", "000001.json"]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert {i[-6:] for i in ids[:RUNS_PER_SHARD]} == {"000000"}
    assert ids[-1].endswith("000001") and store.get_run(ids[-1]).info.run_name == f"r{RUNS_PER_SHARD + 4}"


def test_points_logged_while_flushing_are_kept(store):
    import threading

    rid = _run(store).info.run_id
    n = 60_000
    done = threading.Event()

    def log():
        for i in range(n):
            store.append_metric(rid, "m", float(i), i, i)
        done.set()

    writer = threading.Thread(target=log)
    writer.start()
    while not done.is_set():  # flush over and over while the other thread appends
        store.flush()
    writer.join()
    hist = store.get_metric_history(rid, "m")
    assert [m.step for m in hist] == list(range(n))
