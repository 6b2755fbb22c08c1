"""fork() safety: children start with an empty buffer, fresh locks and their own flusher."""
from __future__ import annotations

import pytest

from nbtrack.store import TinyDBStore

from .conftest import spawn_script

CHILDREN = """
import multiprocessing as mp
import nbtrack

def log_points(offset):
    for i in range(100):
        nbtrack.log_metric("m", float(offset + i), step=offset + i)
    return offset

def log_by_id(uri, run_id, offset):
    client = nbtrack.TrackingClient(uri)
    for i in range(100):
        client.log_metric(run_id, "m", float(offset + i), step=offset + i)

if __name__ == "__main__":
    nbtrack.set_tracking_uri({uri!r})
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", -1.0, step=-1)  # the parent has a flusher and buffered points
        fork = mp.get_context("fork")
        procs = [fork.Process(target=log_points, args=(1000 * k,)) for k in range(1, 4)]
        procs.append(mp.get_context("spawn").Process(target=log_by_id, args=({uri!r}, run.info.run_id, 4000)))
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
            assert p.exitcode == 0, p.exitcode
        pool = fork.Pool(2)
        assert sorted(pool.map(log_points, [5000, 6000, 7000])) == [5000, 6000, 7000]
        pool.close()
        pool.join()
        spawn_pool = mp.get_context("spawn").Pool(2)
        spawn_pool.starmap(log_by_id, [({uri!r}, run.info.run_id, 8000)])
        spawn_pool.close()
        spawn_pool.join()
    print(run.info.run_id, flush=True)
"""


def test_points_logged_in_fork_and_spawn_children_all_land_once(tmp_path):
    uri = str(tmp_path / "store")
    proc = spawn_script(tmp_path, CHILDREN.format(uri=uri))
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    run_id = out.split()[-1]
    steps = [m.step for m in TinyDBStore(uri).get_metric_history(run_id, "m")]
    expected = [-1] + [base + i for base in range(1000, 9000, 1000) for i in range(100)]
    assert sorted(steps) == expected  # each point exactly once, the parent's included


FORKS = """
import os, threading, multiprocessing as mp
import nbtrack
from nbtrack.store import documents

PARENT = os.getpid()
in_write, forked = threading.Event(), threading.Event()
real_update = documents.FileDocuments.update

depth = threading.local()

def update(self, name, fn):
    # In the parent, every outermost store write pauses until the main thread has forked a child,
    # so each fork below is taken in the middle of a flush (the buffer's flush lock held). Nested
    # writes (a sealed chunk) do not pause: they hold a file lock the child may need.
    outer = not getattr(depth, "n", 0)
    if outer and os.getpid() == PARENT and threading.current_thread() is not threading.main_thread():
        in_write.set()
        forked.wait(timeout=60)
        forked.clear()
    depth.n = getattr(depth, "n", 0) + 1
    try:
        return real_update(self, name, fn)
    finally:
        depth.n -= 1

documents.FileDocuments.update = update

def child(k):
    nbtrack.log_metric("child", float(k), step=k)
    nbtrack.flush()

if __name__ == "__main__":
    nbtrack.set_tracking_uri({uri!r})
    run = nbtrack.start_run()
    stop = threading.Event()

    def logger():
        i = 0
        while not stop.is_set():
            nbtrack.log_metric("parent", 1.0, step=i)
            i += 1
            if i % 100 == 0:
                nbtrack.flush()

    thread = threading.Thread(target=logger)
    thread.start()
    fork = mp.get_context("fork")
    hung = during = 0
    for k in range({forks}):
        during += in_write.wait(timeout=60)
        in_write.clear()
        p = fork.Process(target=child, args=(k,))
        p.start()
        forked.set()
        p.join(timeout=60)
        if p.exitcode is None:
            hung += 1
            p.kill()
            p.join()
        else:
            assert p.exitcode == 0, p.exitcode
    stop.set()
    forked.set()
    documents.FileDocuments.update = real_update
    thread.join(timeout=120)
    nbtrack.end_run()
    print(run.info.run_id, hung, during, flush=True)
"""


@pytest.mark.parametrize("forks", [100])
def test_forks_taken_during_flushes_never_hang(tmp_path, forks):
    uri = str(tmp_path / "store")
    proc = spawn_script(tmp_path, FORKS.format(uri=uri, forks=forks))
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, err
    run_id, hung, during = out.split()
    assert int(hung) == 0
    assert int(during) == forks  # every fork was taken in the middle of a flush
    store = TinyDBStore(uri)
    assert sorted(m.step for m in store.get_metric_history(run_id, "child")) == list(range(forks))
    parent = [m.step for m in store.get_metric_history(run_id, "parent")]
    assert parent == list(range(len(parent)))
