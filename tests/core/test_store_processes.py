"""Several real processes on one store: concurrent writers, SIGKILL mid-flush, corrupted files."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from nbtrack.errors import StoreCorruptedError
from nbtrack.store import TinyDBStore

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
sys.path.insert(0, {root!r})
from nbtrack.store import TinyDBStore
from nbtrack.entities import Metric
store = TinyDBStore({store!r})
worker = {worker}
for i in range({runs}):
    rid = store.create_run("0", f"w{{worker}}-{{i}}", 1, {{"worker": str(worker)}}).info.run_id
    store.log_batch(rid, params={{"i": str(i)}}, metrics=[Metric("m", float(j), j, j) for j in range({points})])
    store.update_run(rid, status="FINISHED", end_time=2)
store.update_registry(lambda s: s.setdefault("workers", []).append(worker))
print("done", flush=True)
"""


def _spawn(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_concurrent_writers_lose_nothing(tmp_path):
    store_dir = tmp_path / "store"
    TinyDBStore(store_dir)  # create the default experiment once
    workers, runs, points = 4, 15, 50
    procs = [
        _spawn(WRITER.format(root=str(ROOT), store=str(store_dir), worker=w, runs=runs, points=points))
        for w in range(workers)
    ]
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0 and "done" in out
    store = TinyDBStore(store_dir)
    found = store.list_runs(["0"])
    assert len(found) == workers * runs
    assert {r.info.run_name for r in found} == {f"w{w}-{i}" for w in range(workers) for i in range(runs)}
    for run in found:
        assert run.info.status == "FINISHED"
        assert run.data.params == {"i": run.info.run_name.split("-")[1]}
        assert len(store.get_metric_history(run.info.run_id, "m")) == points
    assert sorted(store.read_registry()["workers"]) == list(range(workers))


KILLED = """
import sys
sys.path.insert(0, {root!r})
from nbtrack.store import TinyDBStore
from nbtrack.entities import Metric
store = TinyDBStore({store!r})
for i in range(3):
    rid = store.create_run("0", f"done-{{i}}", 1, {{}}).info.run_id
    store.log_batch(rid, params={{"p": "1"}}, metrics=[Metric("m", 1.0, j, j) for j in range(500)])
    store.update_run(rid, status="FINISHED", end_time=2)
rid = store.create_run("0", "victim", 1, {{}}).info.run_id
print(rid, flush=True)
step = 0
while True:
    store.log_batch(rid, metrics=[Metric("m", float(j), j, step + j) for j in range(2000)])
    step += 2000
    store.flush()
"""


@pytest.mark.parametrize("rewrites_before_kill", [1, 3, 6])
def test_sigkill_mid_flush_keeps_store_loadable(tmp_path, rewrites_before_kill):
    store_dir = tmp_path / "store"
    proc = _spawn(KILLED.format(root=str(ROOT), store=str(store_dir)))
    try:
        victim = proc.stdout.readline().strip()
        history = store_dir / "metrics" / f"{victim}.json"
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while len(seen) < rewrites_before_kill:  # wait until the file was replaced N times
            assert time.monotonic() < deadline, "writer never flushed"
            try:
                seen.add(os.stat(history).st_ino)
            except FileNotFoundError:
                pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = TinyDBStore(store_dir)  # loads, and cleans the killed writer's temp files
    leftovers = [p.name for p in store_dir.rglob("*.tmp")]
    assert leftovers == []
    for path in store_dir.rglob("*.json"):
        orjson.loads(path.read_bytes())  # every file is valid JSON
    runs = {r.info.run_name: r for r in store.list_runs(["0"])}
    for i in range(3):
        done = runs[f"done-{i}"]
        assert done.info.status == "FINISHED" and done.data.params == {"p": "1"}
        assert len(store.get_metric_history(done.info.run_id, "m")) == 500
    # The background flusher may take part of a batch: what survives is a gapless prefix.
    victim_hist = store.get_metric_history(victim, "m")
    assert len(victim_hist) >= 1
    assert [m.step for m in victim_hist] == list(range(len(victim_hist)))
    assert runs["victim"].info.run_id in store.find_stale_runs()


def test_corrupted_file_gives_clear_error_and_is_not_overwritten(tmp_path):
    store = TinyDBStore(tmp_path / "s")
    rid = store.create_run("0", "r", 1, {}).info.run_id
    shard = tmp_path / "s" / "runs" / f"{rid[-6:]}.json"
    shard.write_bytes(b'{"runs": {"1": {"run_id": ')
    before = shard.read_bytes()
    fresh = TinyDBStore(tmp_path / "s")
    with pytest.raises(StoreCorruptedError) as err:
        fresh.get_run(rid)
    assert str(shard) in str(err.value) and "will not overwrite" in str(err.value)
    with pytest.raises(StoreCorruptedError):
        fresh.log_batch(rid, params={"a": "1"})
    with pytest.raises(StoreCorruptedError):
        fresh.update_run(rid, status="FINISHED")
    assert shard.read_bytes() == before


def test_orphan_temp_file_of_live_process_is_kept(tmp_path):
    store_dir = tmp_path / "s"
    TinyDBStore(store_dir)
    mine = store_dir / f".meta.json.{os.getppid()}.abcd.tmp"  # the parent is alive
    mine.write_bytes(b"{}")
    TinyDBStore(store_dir)
    assert mine.exists()


def test_lock_held_elsewhere_gives_store_busy_error(tmp_path):
    import fcntl
    import threading

    from nbtrack.errors import StoreBusyError
    from nbtrack.store._locks import DocLock

    path = tmp_path / "x.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another open file description holds it
    try:
        with pytest.raises(StoreBusyError, match="x.lock"):
            with DocLock(threading.RLock(), path, timeout=0.05):
                pass
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    with DocLock(threading.RLock(), path, timeout=0.05):
        pass
