"""Every point logged is stored exactly once, whatever write of a flush fails and however often."""
from __future__ import annotations

import math
import random
import signal

import pytest

from nbtrack.errors import StoreWriteError
from nbtrack.store import TinyDBStore, _locks
from nbtrack.store.metric_docs import CHUNK_POINTS

from .conftest import WriteFaults, history, spawn

T0 = 1_700_000_000_000


def _log(store: TinyDBStore, run_id: str, logged: dict, keys: tuple[str, ...], n: int) -> None:
    for key in keys:
        points = logged.setdefault(key, [])
        for _ in range(n):
            i = len(points)
            point = (i, math.sin(i) if i % 7 else math.nan, T0 + i)
            points.append(point)
            store.append_metric(run_id, key, point[1], point[2], point[0])


def _assert_stored(store: TinyDBStore, run_id: str, logged: dict) -> None:
    run = store.get_run(run_id)
    for key, points in logged.items():
        stored = history(store, run_id, key)
        assert len(stored) == len(points), key
        for got, want in zip(stored, points):
            assert got[0] == want[0] and got[2] == want[2]
            assert got[1] == want[1] or (math.isnan(got[1]) and math.isnan(want[1]))
        last = max(points, key=lambda p: (p[0], p[2]))[1]
        assert run.data.metrics[key] == last or math.isnan(last)


def _writes_of_one_flush(store: TinyDBStore, run_id: str, faults: WriteFaults) -> int:
    faults.arm(None)
    _log(store, run_id, {}, ("probe",), 1)
    store.flush()
    return faults.calls


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_failure_at_any_write_of_a_flush_stores_each_point_once(tmp_path, faults, mode):
    # Each flush below seals a chunk of "a" (its own file), rewrites the history and the run
    # shard: a failure is injected at every one of those writes, then at every write of the retry.
    for first in range(1, 4):
        for second in (None, 1, 2, 3):
            store = TinyDBStore(tmp_path / f"s-{mode}-{first}-{second}")
            run_id = store.create_run("0", "r", T0).info.run_id
            logged: dict = {}
            _log(store, run_id, logged, ("a", "b"), CHUNK_POINTS - 10)
            store.flush()
            _log(store, run_id, logged, ("a", "b"), 30)
            faults.arm(first, mode)
            with pytest.raises(StoreWriteError) as err:
                store.flush()
            assert "kept in memory" in str(err.value) and str(tmp_path) in str(err.value)
            faults.arm(second, mode)
            _log(store, run_id, logged, ("a",), 5)  # newer points wait behind the failed batch
            if second is not None:
                with pytest.raises(StoreWriteError):
                    store.flush()
            faults.arm(None)
            store.flush()
            _assert_stored(store, run_id, logged)


def test_a_flush_writes_the_sealed_chunk_history_and_run_record(store, faults):
    run_id = store.create_run("0", "r", T0).info.run_id
    logged: dict = {}
    _log(store, run_id, logged, ("a",), CHUNK_POINTS - 1)
    store.flush()
    faults.arm(None)
    _log(store, run_id, logged, ("a",), 2)  # newer steps, so the run record's latest value changes
    store.flush()
    assert faults.calls == 3  # the failure points the test above covers


def test_unreadable_run_record_then_repaired_stores_once(store):
    run_id = store.create_run("0", "r", T0).info.run_id
    logged: dict = {}
    _log(store, run_id, logged, ("a",), 100)
    shard = store._docs.path(f"runs/{run_id[-6:]}")
    good = shard.read_bytes()
    shard.write_bytes(b"{garbled")
    for _ in range(5):  # every retry while the record is unreadable
        with pytest.raises(StoreWriteError) as err:
            store.flush()
        assert str(shard) in str(err.value)
    shard.write_bytes(good)
    store.flush()
    _assert_stored(store, run_id, logged)


HOLDER = """
import fcntl, os, sys
fd = os.open({lock!r}, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_stopped_process_holding_the_run_lock_delays_but_never_duplicates(store, monkeypatch):
    run_id = store.create_run("0", "r", T0).info.run_id
    lock = store.root / ".locks" / f"runs__{run_id[-6:]}.lock"
    holder = spawn(HOLDER.format(lock=str(lock)), stdin=__import__("subprocess").PIPE)
    try:
        assert holder.stdout.readline().strip() == "locked"
        holder.send_signal(signal.SIGSTOP)
        monkeypatch.setattr(_locks, "LOCK_TIMEOUT_S", 0.2)
        logged: dict = {}
        for _ in range(3):
            _log(store, run_id, logged, ("a",), 100)
            with pytest.raises(StoreWriteError) as err:
                store.flush()
            assert "busy" in str(err.value)
    finally:
        holder.send_signal(signal.SIGCONT)
        holder.kill()
        holder.wait(timeout=60)
    store.flush()
    _assert_stored(store, run_id, logged)
    assert len(history(store, run_id, "a")) == 300


WRITER = """
import sys
import nbtrack
nbtrack.set_tracking_uri({uri!r})
run = nbtrack.start_run()
print(run.info.run_id, flush=True)
for i in range({n}):
    nbtrack.log_metric("x", i * 0.5, step=i)
    if i % 2000 == 0:
        print(i, flush=True)
nbtrack.end_run()
print("done", flush=True)
"""


def _check_prefix(store: TinyDBStore, run_id: str) -> int:
    stored = history(store, run_id, "x")
    assert [p[0] for p in stored] == list(range(len(stored)))  # in order, no gap, no duplicate
    assert all(p[1] == p[0] * 0.5 for p in stored)
    latest = store.get_run(run_id).data.metrics.get("x")
    assert latest is None or latest <= (len(stored) - 1) * 0.5  # never ahead of the history
    return len(stored)


def test_sigkill_at_random_points_leaves_a_clean_prefix(tmp_path):
    rng = random.Random(9)
    uri = str(tmp_path / "store")
    TinyDBStore(uri)
    for _ in range(8):
        proc = spawn(WRITER.format(uri=uri, n=200_000))
        run_id = proc.stdout.readline().strip()
        for _ in range(rng.randrange(1, 40)):
            proc.stdout.readline()
        proc.kill()
        proc.wait(timeout=60)
        store = TinyDBStore(uri)
        _check_prefix(store, run_id)


def test_sigstop_at_random_points_then_continue_stores_everything(tmp_path):
    rng = random.Random(10)
    uri = str(tmp_path / "store")
    TinyDBStore(uri)
    for _ in range(4):
        proc = spawn(WRITER.format(uri=uri, n=60_000))
        run_id = proc.stdout.readline().strip()
        for _ in range(rng.randrange(1, 25)):
            proc.stdout.readline()
        proc.send_signal(signal.SIGSTOP)
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=300)
        assert "done" in out, err
        assert _check_prefix(TinyDBStore(uri), run_id) == 60_000
