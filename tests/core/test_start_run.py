"""start_run / end_run / active_run / last_active_run and the ActiveRun context manager."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import nbtrack
from nbtrack import (
    ExperimentNotFoundError,
    InvalidParameterError,
    NbtrackError,
    RunNotFoundError,
    RunStateError,
    RunStatus,
    TrackingClient,
)

ROOT = Path(__file__).resolve().parents[2]


def _status(run_id: str) -> str:
    return nbtrack.get_run(run_id).info.status


def test_context_manager_finishes(any_uri):
    with nbtrack.start_run() as run:
        assert nbtrack.active_run() is run
        assert run.info.status == RunStatus.RUNNING
    assert nbtrack.active_run() is None
    info = nbtrack.get_run(run.info.run_id).info
    assert info.status == RunStatus.FINISHED
    assert info.end_time is not None and info.end_time >= info.start_time


def test_exception_marks_failed_and_propagates(any_uri):
    with pytest.raises(ZeroDivisionError), nbtrack.start_run() as run:
        1 / 0  # noqa: B018
    assert _status(run.run_id) == RunStatus.FAILED
    assert nbtrack.active_run() is None


def test_keyboard_interrupt_marks_killed(any_uri):
    with pytest.raises(KeyboardInterrupt), nbtrack.start_run() as run:
        raise KeyboardInterrupt
    assert _status(run.run_id) == RunStatus.KILLED


def test_manual_lifecycle(any_uri):
    run = nbtrack.start_run()
    run_id = run.info.run_id
    assert nbtrack.active_run().info.run_id == run_id
    nbtrack.end_run()
    assert _status(run_id) == RunStatus.FINISHED
    assert nbtrack.active_run() is None
    nbtrack.end_run()  # no active run: a no-op, as in MLflow


@pytest.mark.parametrize("status", [RunStatus.FAILED, RunStatus.KILLED])
def test_end_run_with_status(any_uri, status):
    run = nbtrack.start_run()
    nbtrack.end_run(status)
    assert _status(run.run_id) == status


def test_end_run_rejects_bad_status_and_keeps_run(any_uri):
    run = nbtrack.start_run()
    with pytest.raises(InvalidParameterError, match="status"):
        nbtrack.end_run("DONE")
    assert nbtrack.active_run() is run


def test_generated_names_look_like_mlflow(any_uri):
    names = set()
    for _ in range(5):
        with nbtrack.start_run() as run:
            pass
        name = run.info.run_name
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d{3}", name), name
        assert run.data.tags["mlflow.runName"] == name
        names.add(name)
    assert len(names) > 1


def test_named_run_and_tags(any_uri):
    with nbtrack.start_run(run_name="v1_baseline_lr0.001", tags={"team": "ml"}, description="first try") as run:
        pass
    got = nbtrack.get_run(run.info.run_id)
    assert got.info.run_name == "v1_baseline_lr0.001"
    assert got.data.tags["mlflow.runName"] == "v1_baseline_lr0.001"
    assert got.data.tags["team"] == "ml"
    assert got.data.tags["mlflow.note.content"] == "first try"
    assert got.data.tags["mlflow.user"]


def test_second_start_run_says_how_to_nest_or_end(any_uri):
    with nbtrack.start_run() as outer:
        with pytest.raises(RunStateError) as err:
            nbtrack.start_run()
        assert isinstance(err.value, NbtrackError)
        assert "nested=True" in str(err.value) and "end_run()" in str(err.value)
        assert outer.run_id in str(err.value)
        assert nbtrack.active_run() is outer


def test_nested_runs_record_parent(any_uri):
    with nbtrack.start_run() as parent:
        with nbtrack.start_run(nested=True) as child:
            assert nbtrack.active_run() is child
            nbtrack.log_param("where", "child")
        assert nbtrack.active_run() is parent
    got = nbtrack.get_run(child.run_id)
    assert got.data.tags["mlflow.parentRunId"] == parent.run_id
    assert got.data.params == {"where": "child"}
    assert "mlflow.parentRunId" not in nbtrack.get_run(parent.run_id).data.tags


def test_leaving_parent_block_ends_open_children(any_uri):
    with pytest.raises(ValueError), nbtrack.start_run() as parent:
        child = nbtrack.start_run(nested=True)
        raise ValueError("boom")
    assert _status(child.run_id) == RunStatus.FAILED
    assert _status(parent.run_id) == RunStatus.FAILED
    assert nbtrack.active_run() is None


def test_nested_without_parent_is_a_top_level_run(any_uri):
    with nbtrack.start_run(nested=True) as run:
        pass
    assert "mlflow.parentRunId" not in run.data.tags


def test_resume_by_run_id(any_uri):
    with nbtrack.start_run(run_name="first") as run:
        nbtrack.log_metric("loss", 1.0, step=0)
    with nbtrack.start_run(run_id=run.run_id, tags={"resumed": "yes"}) as again:
        assert again.info.status == RunStatus.RUNNING
        assert again.info.end_time is None
        nbtrack.log_metric("loss", 0.5, step=1)
    got = nbtrack.get_run(run.run_id)
    assert got.info.status == RunStatus.FINISHED
    assert got.info.run_name == "first"
    assert got.data.tags["resumed"] == "yes"
    history = TrackingClient().get_metric_history(run.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5)]


def test_resume_rejects_deleted_missing_and_wrong_experiment(any_uri):
    client = TrackingClient()
    with nbtrack.start_run() as run:
        pass
    with pytest.raises(InvalidParameterError, match="belongs to experiment"):
        nbtrack.start_run(run_id=run.run_id, experiment_id=client.create_experiment("other"))
    client.delete_run(run.run_id)
    with pytest.raises(RunStateError, match="deleted"):
        nbtrack.start_run(run_id=run.run_id)
    with pytest.raises(RunNotFoundError):
        nbtrack.start_run(run_id="f" * 32)
    assert nbtrack.active_run() is None


def test_resume_already_active_run_fails(any_uri):
    with nbtrack.start_run() as run, pytest.raises(RunStateError, match="already active"):
        nbtrack.start_run(run_id=run.run_id, nested=True)


def test_start_run_bad_inputs(any_uri):
    with pytest.raises(ExperimentNotFoundError):
        nbtrack.start_run(experiment_id="999")
    with pytest.raises(InvalidParameterError):
        nbtrack.start_run(run_name="")
    with pytest.raises(InvalidParameterError):
        nbtrack.start_run(tags={"bad key!": "x"})
    with pytest.raises(InvalidParameterError):
        nbtrack.start_run(description=42)
    assert nbtrack.active_run() is None


def test_start_run_in_deleted_experiment_fails(any_uri):
    exp_id = nbtrack.create_experiment("deleted")
    nbtrack.delete_experiment(exp_id)
    with pytest.raises(RunStateError, match="deleted"):
        nbtrack.start_run(experiment_id=exp_id)


def test_last_active_run(any_uri):
    assert nbtrack.last_active_run() is None
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", 1.0)
    last = nbtrack.last_active_run()
    assert last.info.run_id == run.run_id
    assert last.info.status == RunStatus.FINISHED
    assert last.data.metrics == {"m": 1.0}


def test_active_run_exposes_info_and_data(any_uri):
    with nbtrack.start_run(run_name="live") as run:
        nbtrack.log_param("p", 1)
        nbtrack.log_metric("m", 2.0)
        assert run.info.run_name == "live"
        assert run.info.status == RunStatus.RUNNING
        assert run.data.params == {"p": "1"}
        assert run.data.metrics == {"m": 2.0}  # buffered points included
        assert run.run_id in repr(run)
    assert run.info.status == RunStatus.FINISHED  # current state once the run ended


def test_active_run_info_is_a_snapshot_while_active(any_uri):
    """While a run is active ``run.info`` is the start snapshot (no store read, no flush in loops)."""
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", 1.0)
        assert run.info is run.info
    assert run.info is not run.info  # ended: read fresh each time


def test_run_stack_is_shared_across_threads(any_uri):
    """Not a ContextVar: a run started in one thread is active in another (notebook cells)."""
    started = {}

    def start():
        started["run"] = nbtrack.start_run()

    t = threading.Thread(target=start)
    t.start()
    t.join(timeout=30)
    assert nbtrack.active_run() is started["run"]
    nbtrack.end_run()


def test_interpreter_exit_finishes_active_run_and_flushes(tmp_path):
    store = tmp_path / "store"
    code = textwrap.dedent(
        f"""
        import nbtrack
        nbtrack.set_tracking_uri({str(store)!r})
        run = nbtrack.start_run()
        for i in range(100):
            nbtrack.log_metric("x", float(i), step=i)
        print(run.run_id)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    run_id = out.stdout.strip()
    client = TrackingClient(str(store))
    assert client.get_run(run_id).info.status == RunStatus.FINISHED
    assert len(client.get_metric_history(run_id, "x")) == 100
