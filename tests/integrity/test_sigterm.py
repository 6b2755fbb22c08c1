"""SIGTERM (``Pool.terminate()``) writes buffered points, keeps the exit status, keeps user handlers.

What is promised, and tested here: a point whose logging call returned in the worker before the
parent called ``Pool.terminate()`` is stored exactly once, and the worker still ends "killed by
SIGTERM". Two kinds of acknowledged points: those of a task that returned (its result reached the
parent) and those of a task still logging when the pool was terminated, counted by the worker in
shared memory after each call returned and read by the parent just before ``terminate()``. The
worker whose task returned is idle by then; it may take the pool's stop sentinel and exit normally
(its exit finalizer flushes) before the SIGTERM comes: both ends are fine.
Workers never flush on a timer here (``FLUSH_INTERVAL_S`` is an hour), so without the SIGTERM
handler the returned task's points would all be lost.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from nbtrack.store import TinyDBStore

from .conftest import ROOT, spawn_script

POOL = """
import json, multiprocessing as mp, os
import nbtrack
from nbtrack.store import _metric_buffer

LOGGED, RETURNED = 2000, 500

def init(counters, ready):
    global COUNTERS, READY
    COUNTERS, READY = counters, ready
    _metric_buffer.FLUSH_INTERVAL_S = 3600.0  # only the backlog bound and SIGTERM write

def log_until_killed(uri, run_id, slot):
    client, counter, step = nbtrack.TrackingClient(uri), COUNTERS[slot], 0
    while True:
        client.log_metric(run_id, "m", float(step), step=step)
        step += 1
        counter.value = step  # acknowledged: the call returned
        if step == LOGGED:
            READY[slot].set()

def log_and_return(uri, run_id):
    client = nbtrack.TrackingClient(uri)
    for step in range(RETURNED):
        client.log_metric(run_id, "m", float(step), step=step)
    return os.getpid()

if __name__ == "__main__":
    uri = {uri!r}
    ctx = mp.get_context({method!r})
    client = nbtrack.TrackingClient(uri)
    experiment_id = client.create_experiment("sigterm")
    runs = [client.create_run(experiment_id).info.run_id for _ in range(3)]
    if {parent_logs!r}:  # the handler is installed here and forked workers inherit it
        client.log_metric(runs[2], "parent", 1.0)
    counters = [ctx.RawValue("q", 0) for _ in range(2)]
    ready = [ctx.Event() for _ in range(2)]
    pool = ctx.Pool(3, initializer=init, initargs=(counters, ready))
    workers = mp.active_children()
    endless = [pool.apply_async(log_until_killed, (uri, runs[k], k)) for k in range(2)]
    for event in ready:
        assert event.wait(timeout=600)
    idle = pool.apply_async(log_and_return, (uri, runs[2])).get(timeout=600)
    acknowledged = [c.value for c in counters]
    pool.terminate()
    client.flush()
    print(json.dumps({{"runs": runs, "acknowledged": acknowledged,
                      "exitcodes": sorted(p.exitcode for p in workers if p.pid != idle),
                      "idle_exitcode": next(p.exitcode for p in workers if p.pid == idle)}}), flush=True)
"""


@pytest.mark.parametrize(("method", "parent_logs"), [("fork", False), ("fork", True), ("spawn", False)])
def test_pool_terminate_keeps_every_acknowledged_point_once(tmp_path, method, parent_logs):
    uri = str(tmp_path / "store")
    proc = spawn_script(tmp_path, POOL.format(uri=uri, method=method, parent_logs=parent_logs))
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["exitcodes"] == [-signal.SIGTERM] * 2  # still "killed by SIGTERM"
    # The idle worker may take the pool's stop sentinel and exit normally before the SIGTERM.
    assert result["idle_exitcode"] in (0, -signal.SIGTERM)
    store = TinyDBStore(uri)
    endless, returned = result["runs"][:2], result["runs"][2]
    assert [m.step for m in store.get_metric_history(returned, "m")] == list(range(500))
    for run_id, acknowledged in zip(endless, result["acknowledged"]):
        steps = [m.step for m in store.get_metric_history(run_id, "m")]
        assert steps == list(range(len(steps)))  # in order, none twice, no gap
        assert len(steps) >= acknowledged >= 2000


HANDLERS = """
import signal, threading
import nbtrack
from nbtrack.store import _sigterm

def log_one(folder):
    nbtrack.TrackingClient(folder).log_metric(
        nbtrack.TrackingClient(folder).create_run("0").info.run_id, "m", 1.0)

def mine(signum, frame):
    pass

found = {{}}
signal.signal(signal.SIGTERM, mine)
log_one({root!r} + "/a")
found["user handler kept"] = signal.getsignal(signal.SIGTERM) is mine
signal.signal(signal.SIGTERM, signal.SIG_IGN)
log_one({root!r} + "/b")
found["SIG_IGN kept"] = signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
signal.signal(signal.SIGTERM, signal.SIG_DFL)
thread = threading.Thread(target=log_one, args=({root!r} + "/c",))
thread.start()
thread.join()
found["not from another thread"] = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
log_one({root!r} + "/d")
found["installed on SIG_DFL"] = signal.getsignal(signal.SIGTERM) is _sigterm._on_sigterm
print(found, flush=True)
"""


def test_handler_installed_only_over_the_default_action_from_the_main_thread(tmp_path):
    proc = spawn_script(tmp_path, HANDLERS.format(root=str(tmp_path)))
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert out.strip() == str({"user handler kept": True, "SIG_IGN kept": True,
                               "not from another thread": True, "installed on SIG_DFL": True})


IN_A_WRITE = """
import sys, threading
import nbtrack
from nbtrack.store import _metric_buffer, documents

_metric_buffer.FLUSH_INTERVAL_S = 3600.0  # only this script's own flush writes
real_update = documents.FileDocuments.update
paused = []

def update(self, name, fn):
    # The main thread's first metrics write: more points are logged (by a thread that then ends),
    # the parent is told, and the write waits for the parent's go, after it has sent SIGTERM.
    if name.startswith("metrics/") and not paused and threading.current_thread() is threading.main_thread():
        paused.append(name)
        logger = threading.Thread(target=lambda: [client.log_metric(run_id, "b", 1.0, step=i) for i in range(200)])
        logger.start()
        logger.join()
        print("in-write", flush=True)
        sys.stdin.readline()
    return real_update(self, name, fn)

documents.FileDocuments.update = update
client = nbtrack.TrackingClient({uri!r})
run_id = client.create_run("0").info.run_id
print(run_id, flush=True)
for i in range(300):
    client.log_metric(run_id, "a", 1.0, step=i)
client.flush()
threading.Event().wait()
"""


def test_sigterm_inside_a_write_of_the_main_thread_lets_it_finish_then_writes_the_rest(tmp_path):
    """The handler interrupts the main thread inside the store, holding the flush lock: it must
    not wait for that lock itself, but let the write finish and flush the rest after it."""
    uri = str(tmp_path / "store")
    script = tmp_path / "script.py"
    script.write_text(IN_A_WRITE.format(uri=uri))
    proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    run_id = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "in-write", proc.stderr.read()
    proc.send_signal(signal.SIGTERM)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    proc.wait(timeout=600)
    assert proc.returncode == -signal.SIGTERM, proc.stderr.read()
    store = TinyDBStore(uri)
    assert [m.step for m in store.get_metric_history(run_id, "a")] == list(range(300))
    assert [m.step for m in store.get_metric_history(run_id, "b")] == list(range(200))
