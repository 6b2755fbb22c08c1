"""In-memory metric buffer drained by a background thread, exactly once.

The logging hot path appends a point tuple to its (run, key) list and takes no lock. A daemon thread takes what is buffered at most ``FLUSH_INTERVAL_S``
after the first point arrives and hands each run's points to the writer as one *batch* carrying a
sequence number. The writer records the last sequence number it committed with the history, so a
batch whose write failed halfway is retried with the *same* number and never appended twice.

Rules:

- A failed batch is kept aside, unmerged, and written again before any newer point of its run;
  newer points of that run wait in the buffer behind it. Other runs are flushed as usual.
- The failure is raised (``StoreWriteError`` or the store's own error) once: at the next
  ``add`` for that run, or by ``flush``. The points stay in memory until a write succeeds.
- When more than ``BACKLOG_POINTS`` points are waiting, the logging thread flushes itself (and so
  waits for a flush under way): a SIGKILL loses at most the last ~0.5 s of points at any rate.
- After ``fork`` the child starts empty with fresh locks and no flusher (``reset_after_fork``);
  the parent keeps and writes the points logged before the fork.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import uuid
import weakref
from array import array
from collections.abc import Callable
from operator import itemgetter

from ..errors import NbtrackError

#: The flusher takes buffered points this long after the first one arrives, and then at most
#: this often (take to take), so with the backlog bound below a point is durable within ~0.5 s.
FLUSH_INTERVAL_S = 0.2
#: Above this many waiting points the logging thread helps flush (bounds each write's size).
BACKLOG_POINTS = 10_000

log = logging.getLogger("nbtrack.store")


_STEP, _VALUE, _TIMESTAMP = itemgetter(0), itemgetter(1), itemgetter(2)


class Columns:
    """Points of one metric key taken for a write, in logging order, as typed columns."""

    __slots__ = ("steps", "values", "timestamps")

    def __init__(self, points: list[tuple[int, float, int]]) -> None:
        self.steps = array("q", map(_STEP, points))
        self.values = array("d", map(_VALUE, points))
        self.timestamps = array("q", map(_TIMESTAMP, points))

    def __len__(self) -> int:
        return len(self.timestamps)


def _take(points: list[tuple[int, float, int]]) -> Columns | None:
    """Move the buffered points out (a point appended meanwhile stays for the next take)."""
    n = len(points)
    if not n:
        return None
    taken = points[:n]
    del points[:n]
    return Columns(taken)


#: Buffered points of one run: key -> [(step, value, timestamp), ...] in logging order.
Pending = dict[str, list[tuple[int, float, int]]]
#: Points of one run taken for a write: key -> columns.
RunPoints = dict[str, Columns]
#: write(run_id, sequence number, points): commit the points unless ``seq`` is already committed.
Writer = Callable[[str, int, RunPoints], None]


class MetricBuffer:
    """Per run and key, a list of point tuples; the logging path takes no lock.

    ``list.append`` and the flusher's copy-then-delete of a list's first ``n`` items are each
    atomic under the GIL, so a point appended while a flush is under way stays for the next one.
    A tuple costs ~40 ns to append against ~300 ns for three typed-array appends; the backlog
    bound keeps the buffer small anyway, and points taken for a write become 24-byte columns.
    A run's entry is dropped when the run ends (``forget``), so a flush walks only the runs still
    open, however many runs the process has logged.
    """

    def __init__(self, write: Writer, interval: float | None = None) -> None:
        self._write = write
        self._interval = interval
        self._init_state()
        _BUFFERS.add(self)

    def _init_state(self) -> None:
        self._pending: dict[str, Pending] = {}
        self._retry: dict[str, tuple[int, RunPoints]] = {}  # failed batches, written first
        self._failures: dict[str, Exception] = {}  # run id -> error not yet reported
        self.writer_id = uuid.uuid4().hex[:16]  # names this process's batches in histories
        self._seq = 0
        self._backlog = 0  # points added since the last take (approximate across threads)
        self._flush_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._wake = threading.Event()
        self._woken = False  # mirrors _wake without a method call on the hot path
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def reset_after_fork(self) -> None:
        """In a forked child: forget the parent's points, locks and thread."""
        self._init_state()

    # -- logging path --------------------------------------------------------------------
    def add(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Buffer one point: the per-call logging path.

        An earlier failed flush of this run is raised instead, once, and the point is not taken.
        """
        if self._failures and run_id in self._failures:
            raise self._failures.pop(run_id)
        if self._backlog > BACKLOG_POINTS:
            self._relieve(run_id)
        run = self._pending.get(run_id)
        if run is None:
            run = self._pending.setdefault(run_id, {})
        points = run.get(key)
        if points is None:
            points = run.setdefault(key, [])
        points.append((step, value, timestamp))
        self._backlog += 1
        if not self._woken:
            self._wake_flusher()

    def _relieve(self, run_id: str) -> None:
        """The flusher is behind: write now from the logging thread (waits for a flush under way)."""
        self.flush(report=False)
        if run_id in self._failures:
            raise self._failures.pop(run_id)

    def _wake_flusher(self) -> None:
        self._woken = True
        self._wake.set()
        if self._thread is None:
            self._start()

    # -- flushing ------------------------------------------------------------------------
    def has_points(self, run_id: str) -> bool:
        run = self._pending.get(run_id)
        return run_id in self._retry or bool(run and any(map(len, list(run.values()))))

    def flush(self, run_id: str | None = None, report: bool = True) -> None:
        """Write what is buffered (of one run, or of all), trying every run.

        Failures are kept per run until reported: with ``report`` the first one is raised here,
        otherwise by the next ``add`` to that run or the next reporting flush.
        """
        with self._flush_lock:
            run_ids = [run_id] if run_id is not None else list({**self._retry, **self._pending})
            if run_id is None:
                self._backlog = 0
            for rid in run_ids:
                self._flush_run(rid)
        if report:
            failures = [self._failures.pop(r) for r in run_ids if r in self._failures]
            if failures:
                raise failures[0]

    def _flush_run(self, run_id: str) -> None:
        try:
            retry = self._retry.get(run_id)
            if retry is not None:
                self._write(run_id, *retry)
                del self._retry[run_id]
            batch = {key: taken for key, p in list(self._pending.get(run_id, {}).items()) if (taken := _take(p))}
            if batch:
                self._seq += 1
                self._retry[run_id] = (self._seq, batch)  # until the write returns
                self._write(run_id, self._seq, batch)
                del self._retry[run_id]
            self._failures.pop(run_id, None)  # a later success heals an unreported failure
        except DroppedPointsError as exc:
            self._retry.pop(run_id, None)
            self._pending.pop(run_id, None)
            self._failures[run_id] = exc
        except Exception as exc:
            self._failures[run_id] = exc

    def forget(self, run_id: str) -> None:
        """Drop an ended run's (empty) entry so flushes stop visiting it."""
        run = self._pending.get(run_id)
        if run is not None and not any(map(len, list(run.values()))) and run_id not in self._retry:
            self._pending.pop(run_id, None)

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        self.flush()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="nbtrack-flusher", daemon=True)
        self._thread.start()
        _flush_at_process_exit(self)

    def _loop(self) -> None:
        closed, wake = self._closed, self._wake
        last_take = time.monotonic()
        idle = True  # the thread starts on the first point: let the batch gather
        while not closed.is_set():
            idle = idle or not wake.is_set()
            wake.wait()
            interval = FLUSH_INTERVAL_S if self._interval is None else self._interval
            # Points arriving after a pause wait one interval (to batch); under a steady stream the
            # interval runs take to take, so a long write does not push the next take further away.
            delay = interval if idle else min(interval, max(interval - (time.monotonic() - last_take), 0.0))
            if closed.wait(delay):
                return
            idle = False
            wake.clear()
            self._woken = False
            last_take = time.monotonic()
            self.flush(report=False)
            if self._failures:  # kept with the points; raised to the user at the next call
                log.debug("nbtrack: metric flush failed (points kept, will retry): %s",
                          next(iter(self._failures.values()), ""))
                wake.set()


class DroppedPointsError(NbtrackError, RuntimeError):
    """Raised by a writer when a run's points can never be stored (the run was deleted)."""


_BUFFERS: weakref.WeakSet[MetricBuffer] = weakref.WeakSet()


def _reset_buffers_in_child() -> None:
    for buffer in list(_BUFFERS):
        buffer.reset_after_fork()


def _flush_at_process_exit(buffer: MetricBuffer) -> None:
    """multiprocessing children end with ``os._exit`` (no atexit): flush in its exit finalizers.

    Registered when the flusher starts, which in a forked child is after multiprocessing cleared
    the parent's finalizers. A worker killed by ``Pool.terminate()`` (SIGTERM) runs no finalizer.
    """
    util = sys.modules.get("multiprocessing.util")
    if util is not None:
        util.Finalize(None, _quiet_flush, args=(weakref.ref(buffer),), exitpriority=100)


def _quiet_flush(ref: weakref.ref[MetricBuffer]) -> None:
    buffer = ref()
    if buffer is None:
        return
    try:
        buffer.flush()
    except Exception as exc:
        log.error("nbtrack: could not write metric points at process exit: %s", exc)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_buffers_in_child)
