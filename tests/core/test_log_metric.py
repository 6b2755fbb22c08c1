"""log_metric / log_metrics / log_batch / get_metric_history and metric listeners."""
from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack import (
    InvalidParameterError,
    Metric,
    NoActiveRunError,
    RunNotFoundError,
    RunStateError,
    TrackingClient,
)
from nbtrack.client import add_metric_listener

ROOT = Path(__file__).resolve().parents[2]


def _history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in TrackingClient().get_metric_history(run_id, key)]


def test_steps_and_latest_value(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("accuracy", 0.95)
        for epoch in range(10):
            nbtrack.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
    assert _history(run.run_id, "loss") == [(e, 1.0 / (e + 1)) for e in range(10)]
    assert nbtrack.get_run(run.run_id).data.metrics == {"accuracy": 0.95, "loss": 0.1}


def test_latest_is_highest_step_not_last_logged(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", 5.0, step=5)
        nbtrack.log_metric("m", 1.0, step=1)
    assert nbtrack.get_run(run.run_id).data.metrics["m"] == 5.0
    assert _history(run.run_id, "m") == [(5, 5.0), (1, 1.0)]


@pytest.mark.parametrize(
    "value, expected",
    [(1, 1.0), (True, 1.0), (np.float32(0.5), 0.5), (np.int64(7), 7.0), (np.bool_(False), 0.0), (np.array(2.5), 2.5)],
)
def test_numeric_types(any_uri, value, expected):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("v", value)
    assert nbtrack.get_run(run.run_id).data.metrics["v"] == expected


def test_nan_and_inf_round_trip(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("x", float("nan"), step=0)
        nbtrack.log_metric("x", float("inf"), step=1)
        nbtrack.log_metric("x", float("-inf"), step=2)
    values = [m.value for m in TrackingClient().get_metric_history(run.run_id, "x")]
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf


@pytest.mark.parametrize("value", ["0.9", None, b"1", 1 + 2j, [1.0], np.array([1.0, 2.0])])
def test_non_numbers_are_rejected(any_uri, value):
    with nbtrack.start_run() as run, pytest.raises(InvalidParameterError, match="must be a number"):
        nbtrack.log_metric("m", value)
    assert nbtrack.get_run(run.run_id).data.metrics == {}


@pytest.mark.parametrize("step", [1.0, "1", True, 0.5])
def test_steps_must_be_ints(any_uri, step):
    with nbtrack.start_run(), pytest.raises(InvalidParameterError, match="step"):
        nbtrack.log_metric("m", 1.0, step=step)


@pytest.mark.parametrize("timestamp", [1.5, "now", True])
def test_bad_timestamps(any_uri, timestamp):
    with nbtrack.start_run(), pytest.raises(InvalidParameterError, match="Timestamp"):
        nbtrack.log_metric("m", 1.0, timestamp=timestamp)


@pytest.mark.parametrize("key", ["", "../m", "m/", "m m!", 3, "k" * 251])
def test_bad_keys(any_uri, key):
    with nbtrack.start_run(), pytest.raises(InvalidParameterError):
        nbtrack.log_metric(key, 1.0)


def test_explicit_timestamp_is_kept(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", 1.0, step=3, timestamp=1_700_000_000_000)
    (point,) = TrackingClient().get_metric_history(run.run_id, "m")
    assert point == Metric("m", 1.0, 1_700_000_000_000, 3)


def test_log_metrics_share_step_and_time(any_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_metrics({"accuracy": 0.95, "precision": 0.93, "recall": 0.94}, step=2)
    client = TrackingClient()
    points = [client.get_metric_history(run.run_id, k)[0] for k in ("accuracy", "precision", "recall")]
    assert {p.step for p in points} == {2}
    assert len({p.timestamp for p in points}) == 1
    assert nbtrack.get_run(run.run_id).data.metrics == {"accuracy": 0.95, "precision": 0.93, "recall": 0.94}


def test_log_metrics_bad_input(any_uri):
    with nbtrack.start_run() as run:
        with pytest.raises(InvalidParameterError):
            nbtrack.log_metrics([("a", 1.0)])
        with pytest.raises(InvalidParameterError):
            nbtrack.log_metrics({"a": 1.0, "b": "x"})
    assert nbtrack.get_run(run.run_id).data.metrics == {}


def test_no_active_run_says_how_to_start_one(any_uri):
    with pytest.raises(NoActiveRunError) as err:
        nbtrack.log_metric("loss", 1.0)
    assert "'loss'" in str(err.value) and "start_run" in str(err.value)
    with pytest.raises(NoActiveRunError):
        nbtrack.log_metrics({"a": 1.0})


def test_client_log_metric_and_batch(any_uri):
    client = TrackingClient()
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "a", 1.0, step=1)
    client.log_batch(run_id, metrics=[Metric("a", 2.0, None, 2), Metric("b", 3.0, 123, 0)])  # type: ignore[arg-type]
    assert _history(run_id, "a") == [(1, 1.0), (2, 2.0)]
    assert client.get_metric_history(run_id, "b")[0].timestamp == 123
    assert client.get_metric_history(run_id, "never") == []


def test_client_bad_inputs(any_uri):
    client = TrackingClient()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(RunNotFoundError):
        client.log_metric("a" * 32, "m", 1.0)
    with pytest.raises(RunNotFoundError):
        client.get_metric_history("a" * 32, "m")
    with pytest.raises(InvalidParameterError):
        client.log_batch(run_id, metrics=[{"key": "a", "value": 1}])
    with pytest.raises(InvalidParameterError):
        client.log_batch(run_id, metrics="a")
    with pytest.raises(InvalidParameterError):
        client.get_metric_history(run_id, "../x")
    with pytest.raises(RunNotFoundError):
        client.log_batch("b" * 32)


def test_deleted_run_refuses_metrics(any_uri):
    client = TrackingClient()
    with nbtrack.start_run() as run:
        client.delete_run(run.run_id)
        with pytest.raises(RunStateError, match="deleted"):
            nbtrack.log_metric("m", 1.0)
        with pytest.raises(RunStateError):
            client.log_metric(run.run_id, "m", 1.0)
        client.restore_run(run.run_id)
        nbtrack.log_metric("m", 2.0)
    assert _history(run.run_id, "m") == [(0, 2.0)]


def test_listeners_see_fluent_and_client_logs(any_uri):
    seen: list[tuple[str, list[str]]] = []
    remove = add_metric_listener(lambda run_id, metrics: seen.append((run_id, [m.key for m in metrics])))
    try:
        with nbtrack.start_run() as run:
            nbtrack.log_metric("a", 1.0)
            nbtrack.log_metrics({"b": 1.0, "c": 2.0})
            TrackingClient().log_metric(run.run_id, "d", 1.0)
            with pytest.raises(InvalidParameterError):
                nbtrack.log_metric("e", "bad")
    finally:
        remove()
    assert seen == [(run.run_id, ["a"]), (run.run_id, ["b", "c"]), (run.run_id, ["d"])]
    with nbtrack.start_run():
        nbtrack.log_metric("after", 1.0)
    assert len(seen) == 3
    remove()  # removing twice is harmless


def test_listener_errors_never_reach_training_code(any_uri, caplog):
    def broken(run_id, metrics):
        raise RuntimeError("plot died")

    remove = add_metric_listener(broken)
    try:
        with nbtrack.start_run() as run:
            nbtrack.log_metric("a", 1.0)
    finally:
        remove()
    assert nbtrack.get_run(run.run_id).data.metrics == {"a": 1.0}
    assert "plot died" in caplog.text


def test_listener_must_be_callable():
    with pytest.raises(InvalidParameterError):
        add_metric_listener("not callable")  # type: ignore[arg-type]


def test_background_flush_reaches_disk_without_run_end(tracking_uri, tmp_path):
    """Another process sees buffered points within the flush interval, while the run is open."""
    reader = (
        "import sys, nbtrack; c = nbtrack.TrackingClient(sys.argv[1]); "
        "print(len(c.get_metric_history(sys.argv[2], 'x')))"
    )
    with nbtrack.start_run() as run:
        for i in range(50):
            nbtrack.log_metric("x", float(i), step=i)
        deadline = time.monotonic() + 10
        count = 0
        while time.monotonic() < deadline:
            out = subprocess.run(
                [sys.executable, "-c", reader, tracking_uri, run.run_id],
                cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
            )
            count = int(out.stdout)
            if count == 50:
                break
        assert count == 50


def test_flush_is_explicit_too(tracking_uri):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("x", 1.0)
        nbtrack.flush()
        path = Path(tracking_uri[len("tinydb://"):]) / "metrics" / f"{run.run_id}.json"
        assert path.exists() and '"x"' in path.read_text()


def test_a_point_logged_just_after_a_flush_is_written_without_another_call(tracking_uri, tmp_path):
    """The first point after a take wakes the flusher, even within the same millisecond."""
    reader = (
        "import sys, nbtrack; c = nbtrack.TrackingClient(sys.argv[1]); "
        "print(len(c.get_metric_history(sys.argv[2], 'x')))"
    )
    with nbtrack.start_run() as run:
        nbtrack.log_metric("x", 0.0, step=0)
        nbtrack.flush()
        nbtrack.log_metric("x", 1.0, step=1)
        deadline = time.monotonic() + 10
        count = 0
        while time.monotonic() < deadline and count != 2:
            out = subprocess.run(
                [sys.executable, "-c", reader, tracking_uri, run.run_id],
                cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
            )
            count = int(out.stdout)
        assert count == 2


def test_log_metric_follows_the_innermost_active_run(any_uri):
    with nbtrack.start_run() as outer:
        nbtrack.log_metric("m", 1.0, step=1)
        with nbtrack.start_run(nested=True) as inner:
            nbtrack.log_metric("m", 2.0, step=2)
            nbtrack.log_metrics({"n": 5.0}, step=5)
        nbtrack.log_metric("m", 3.0, step=3)
        nbtrack.log_metrics({"n": 6.0}, step=6)
    assert _history(outer.run_id, "m") == [(1, 1.0), (3, 3.0)]
    assert _history(outer.run_id, "n") == [(6, 6.0)]
    assert _history(inner.run_id, "m") == [(2, 2.0)]
    assert _history(inner.run_id, "n") == [(5, 5.0)]
    with pytest.raises(NoActiveRunError):
        nbtrack.log_metric("m", 4.0)


def test_timestamps_of_a_fast_stream_are_the_clock_in_ms_and_never_go_back(any_uri):
    before = int(time.time() * 1000)
    with nbtrack.start_run() as run:
        for i in range(20_000):
            nbtrack.log_metric("x", float(i), step=i)
        after = int(time.time() * 1000)
    stamps = [m.timestamp for m in TrackingClient().get_metric_history(run.run_id, "x")]
    assert len(stamps) == 20_000
    assert stamps == sorted(stamps)
    assert before <= stamps[0] and stamps[-1] <= after
    assert len(set(stamps)) > 1 or after == before
