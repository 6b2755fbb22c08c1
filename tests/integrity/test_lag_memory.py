"""Bounded loss on SIGKILL at any logging rate, and memory that does not grow with runs logged."""
from __future__ import annotations

import mmap
import os
import random
import signal
import struct

from nbtrack.store import TinyDBStore
from nbtrack.store._metric_buffer import BACKLOG_POINTS

from .conftest import history, spawn

FAST_WRITER = """
import mmap, struct
import nbtrack
nbtrack.set_tracking_uri({uri!r})
counter_file = open({counter!r}, "r+b")
counter = mmap.mmap(counter_file.fileno(), 8)
run = nbtrack.start_run()
print(run.info.run_id, flush=True)
log, i = nbtrack.log_metric, 0
while True:  # unthrottled
    for _ in range(100):
        log("x", 0.5, step=i)
        i += 1
    counter[:8] = struct.pack("q", i)
    if i % 20_000 == 0:
        print(i, flush=True)
"""


def test_sigkill_of_an_unthrottled_writer_loses_at_most_the_backlog_bound(tmp_path):
    rng = random.Random(4)
    uri = str(tmp_path / "store")
    TinyDBStore(uri)
    counter_path = tmp_path / "counter"
    for _attempt in range(3):
        counter_path.write_bytes(b"\0" * 8)
        proc = spawn(FAST_WRITER.format(uri=uri, counter=str(counter_path)))
        run_id = proc.stdout.readline().strip()
        assert run_id, proc.stderr.read()
        for _ in range(rng.randrange(3, 15)):
            proc.stdout.readline()
        proc.send_signal(signal.SIGSTOP)
        os.waitpid(proc.pid, os.WUNTRACED)  # returns once the writer is really stopped
        with open(counter_path, "rb") as fh:
            logged = struct.unpack("q", mmap.mmap(fh.fileno(), 8, access=mmap.ACCESS_READ)[:8])[0]
        proc.kill()
        proc.wait(timeout=60)
        stored = [p[0] for p in history(TinyDBStore(uri), run_id, "x")]
        assert stored == list(range(len(stored)))
        # The logging thread helps flush once BACKLOG_POINTS wait; one write may be under way.
        assert logged + 100 - len(stored) <= 2 * BACKLOG_POINTS + 100, (logged, len(stored))


MANY_RUNS = """
import nbtrack
from nbtrack.store import open_store

def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20

nbtrack.set_tracking_uri({uri!r})
rss = []
for r in range({runs}):
    with nbtrack.start_run():
        for i in range({points}):
            nbtrack.log_metric("loss", 1.0 / (i + 1), step=i)
            nbtrack.log_metric("acc", 0.5, step=i)
    rss.append(rss_mb())
for r in range(500):  # many short runs: nothing per run may stay behind in the buffer
    with nbtrack.start_run():
        nbtrack.log_metric("m", 1.0)
print(rss[0], rss[-1], len(open_store({uri!r})._buffer._pending), flush=True)
"""


def test_memory_after_ten_big_runs_stays_near_that_after_one(tmp_path):
    uri = str(tmp_path / "store")
    proc = spawn(MANY_RUNS.format(uri=uri, runs=10, points=100_000))
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, err
    first, last, open_runs = out.split()
    assert float(last) < 1.5 * float(first), (first, last)
    assert int(open_runs) == 0
