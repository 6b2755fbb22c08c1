"""The logging hot path: per-run appenders writing into typed columns, and their fallbacks."""
from __future__ import annotations

import threading

import pytest

import nbtrack
from nbtrack.errors import InvalidParameterError
from nbtrack.store import _metric_buffer


def _history(client, run_id, key):
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def test_threads_logging_one_key_keep_every_point_whole(any_uri):
    run = nbtrack.start_run()
    barrier = threading.Barrier(4)

    def log(t: int) -> None:
        barrier.wait()
        for i in range(5000):
            nbtrack.log_metric("shared", float(t * 100_000 + i), step=t * 100_000 + i)

    threads = [threading.Thread(target=log, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    nbtrack.end_run()
    got = _history(nbtrack.TrackingClient(any_uri), run.info.run_id, "shared")
    assert len(got) == 20_000
    assert all(float(step) == value for step, value in got)  # no step paired with another's value
    for t in range(4):  # each thread's points in its own order
        mine = [s for s, _ in got if s // 100_000 == t]
        assert mine == sorted(mine) and len(mine) == 5000


def test_log_metrics_takes_all_or_none_whether_fast_or_not(any_uri):
    run = nbtrack.start_run()
    nbtrack.log_metrics({"a": 1.0, "b": 2.0}, step=0)  # first call: the full path registers the keys
    nbtrack.log_metrics({"a": 1.5, "b": 2.5}, step=1)  # plain: straight into the columns
    with pytest.raises(InvalidParameterError):
        nbtrack.log_metrics({"a": 3.0, "b": "x"}, step=2)
    nbtrack.log_metrics({"a": 4, "b": 4.5, "c": True}, step=3)  # int, new key, bool: the full path
    nbtrack.end_run()
    client = nbtrack.TrackingClient(any_uri)
    assert _history(client, run.info.run_id, "a") == [(0, 1.0), (1, 1.5), (3, 4.0)]
    assert _history(client, run.info.run_id, "b") == [(0, 2.0), (1, 2.5), (3, 4.5)]
    assert _history(client, run.info.run_id, "c") == [(3, 1.0)]


def test_unusual_steps_and_timestamps_take_the_validating_path(any_uri):
    run = nbtrack.start_run()
    nbtrack.log_metric("m", 0.5, step=1)
    nbtrack.log_metric("m", 0.5, step=2**63 - 1, timestamp=-(2**63))
    for bad in ({"step": 2**63}, {"timestamp": 2**63}, {"step": 1.5}, {"step": True}):
        with pytest.raises(InvalidParameterError):
            nbtrack.log_metric("m", 0.5, **bad)
    with pytest.raises(InvalidParameterError):
        nbtrack.log_metric(["m"], 0.5)  # unhashable key: refused, not a TypeError
    nbtrack.end_run()
    got = nbtrack.TrackingClient(any_uri).get_metric_history(run.info.run_id, "m")
    assert [(m.step, m.timestamp) for m in got][1] == (2**63 - 1, -(2**63))
    assert len(got) == 2


def test_points_after_the_run_was_ended_elsewhere_are_kept(any_uri):
    run = nbtrack.start_run()
    nbtrack.log_metric("m", 1.0, step=0)
    client = nbtrack.TrackingClient(any_uri)
    client.set_terminated(run.info.run_id)  # the buffer forgets the run's (flushed) entry
    nbtrack.log_metric("m", 2.0, step=1)  # the appender notices and registers the run again
    nbtrack.flush()
    assert _history(client, run.info.run_id, "m") == [(0, 1.0), (1, 2.0)]


def test_buffered_points_are_columns_of_24_bytes(tracking_uri, monkeypatch):
    monkeypatch.setattr(_metric_buffer, "FLUSH_INTERVAL_S", 3600.0)
    run = nbtrack.start_run()
    for i in range(1000):
        nbtrack.log_metric("m", i / 7, step=i)
    store = nbtrack.TrackingClient(tracking_uri)._store
    (series,) = store._buffer._pending[run.info.run_id].series["m"]
    assert len(series) == 1000
    assert [c.itemsize for c in (series.steps, series.values, series.timestamps)] == [8, 8, 8]
    nbtrack.end_run()
    assert len(series) == 0



def test_the_first_point_after_a_take_wakes_the_flusher_even_in_the_same_millisecond(monkeypatch):
    """A take resets the series' clock, so the next point re-checks the backlog and wakes the
    background writer; without it that point would wait for the next call or the run's end.
    The appender's clock is held still, so every point falls in one millisecond."""
    from nbtrack.store import _appender

    monkeypatch.setattr(_appender, "time_ns", lambda: 1_700_000_000_000_000_000)
    written: list[float] = []
    arrived = threading.Condition()

    def write(run_id, seq, points):
        with arrived:
            written.extend(points["x"].values)
            arrived.notify_all()

    def wait_for(n: int) -> bool:
        with arrived:
            return arrived.wait_for(lambda: len(written) >= n, timeout=30)

    buffer = _metric_buffer.MetricBuffer(write, interval=0.01)
    try:
        append = _appender.run_appender(_appender.Target(
            buffer, "r", lambda k, v, s, t: buffer.add("r", k, v, 0, s or 0), lambda *a: None))
        append("x", 1.0, 1)  # the full path makes the series and wakes the flusher
        append("x", 2.0, 2)  # the hot path: this millisecond's checks are done
        assert wait_for(2), written
        append("x", 3.0, 3)  # same millisecond, but after a take: checked again, so it wakes the flusher
        assert wait_for(3), f"the point after the take was never written: {written}"
        assert written == [1.0, 2.0, 3.0]
    finally:
        buffer.close()
