"""In-memory metric buffer drained by a background thread, exactly once.

Points wait as typed columns: per run, key and logging thread a :class:`Series` of three arrays
(``array('q')`` steps, ``array('d')`` values, ``array('q')`` ms timestamps), 24 bytes a point
and no Python object per point. What is buffered is taken and handed to the writer, each run's
points as one *batch* carrying a sequence number: by the logging thread itself when a series
holds over ``BUSY_POINTS`` points the first of which is ``FLUSH_INTERVAL_S`` old (a fast stream),
or by a daemon thread ``BACKGROUND_INTERVALS`` intervals after the last take (a slow or paused
one); see ``MetricBuffer._loop``. The writer records the last sequence number it committed
with the history, so a batch whose write failed halfway is retried with the *same* number and
never appended twice.

Rules:

- A failed batch is kept aside, unmerged, and written again before any newer point of its run;
  newer points of that run wait in the buffer behind it. Other runs are flushed as usual.
- The failure is raised (``StoreWriteError`` or the store's own error) once: at the next
  ``add`` for that run, or by ``flush``. The points stay in memory until a write succeeds.
- When more than about ``BACKLOG_POINTS`` points of a run are waiting, the logging thread
  flushes itself (and so waits for a flush under way), before taking its point: with the busy
  rule above, a SIGKILL loses at most the last ~0.5 s of points at any rate.
- After ``fork`` the child starts empty with fresh locks and no flusher (``reset_after_fork``);
  the parent keeps and writes the points logged before the fork.
- SIGTERM writes the buffers before the process dies by it (``_sigterm``).

Why appends take no lock. A series is appended to by one thread only, the one that created it
(its ``owner``); another thread logging the same key gets a series of its own. Its three
``array.append`` calls are therefore never interleaved with another writer's. The flusher
takes ``n = len(timestamps)`` first: timestamps are appended last, so every column holds at
least ``n`` complete points; it copies the first ``n`` items of each column and deletes them
(each slice copy and each slice deletion is one C call, atomic under the GIL), and a point
appended meanwhile stays, whole, for the next take. Free-threaded builds (no GIL) would need a
lock here.
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
from threading import get_ident
from time import time_ns
from typing import Any

from ..errors import NbtrackError
from . import _sigterm

#: The flusher takes buffered points this long after the first one arrives, and then at most
#: this often (take to take), so with the backlog bound below a point is durable within ~0.5 s.
FLUSH_INTERVAL_S = 0.2
#: Above this many waiting points of a run the logging thread helps flush (bounds each write and
#: the buffer's memory: 2.4 MB). The time rule above bounds the loss window; this one only caps a
#: write, so it is large enough that a fast stream is written once per interval, not in many
#: small writes that each pay three fsyncs (100,000 points: one ~25 ms write here).
BACKLOG_POINTS = 100_000
#: A series this full whose first waiting point is ``FLUSH_INTERVAL_S`` old is written by the
#: logging thread itself: a fast stream is written where it is logged (see ``_loop``).
BUSY_POINTS = 1000
#: The background thread waits this many intervals, so a busy logging thread writes first.
BACKGROUND_INTERVALS = 1.5

log = logging.getLogger("nbtrack.store")

I64_MIN, I64_END = -(2**63), 2**63


def interval_ns() -> int:
    return int(FLUSH_INTERVAL_S * 1e9)


class Columns:
    """Points of one metric key taken for a write, in logging order, as typed columns."""

    __slots__ = ("steps", "values", "timestamps")

    def __init__(self, steps: array, values: array, timestamps: array) -> None:
        self.steps, self.values, self.timestamps = steps, values, timestamps

    def __len__(self) -> int:
        return len(self.timestamps)

    def extend(self, other: Columns) -> None:
        self.steps += other.steps
        self.values += other.values
        self.timestamps += other.timestamps


class Series:
    """Waiting points of one (run, key) logged by one thread: three typed columns.

    ``limit`` is this series' share of the run's backlog bound; above it the logging thread
    flushes. Above ``busy`` points, it also flushes once the clock (``time_ns``, of points it
    timestamps itself) passes ``due``, one flush interval after the first waiting point. The
    bound ``append`` methods are kept so the hot path makes no attribute chains; ``ms`` is the
    owner thread's last timestamp, still current until the clock reaches ``tick`` (the next
    millisecond; 0 after a take), which spares the hot path a division and the backlog checks
    per point. A clock set back keeps that timestamp until it passes it again: a series'
    timestamps never go backwards.
    """

    __slots__ = ("steps", "values", "timestamps", "add_step", "add_value", "add_time", "owner", "limit", "busy",
                 "due", "ms", "tick")

    def __init__(self, owner: int) -> None:
        self.steps, self.values, self.timestamps = array("q"), array("d"), array("q")
        self.add_step, self.add_value, self.add_time = self.steps.append, self.values.append, self.timestamps.append
        self.owner = owner
        self.limit = BACKLOG_POINTS
        self.busy = BUSY_POINTS
        self.due = 0
        self.ms = self.tick = 0

    def __len__(self) -> int:
        return len(self.timestamps)

    def take(self) -> Columns | None:
        """Move the complete points out (see the module docstring: why this needs no lock)."""
        n = len(self.timestamps)
        if not n:
            return None
        taken = Columns(self.steps[:n], self.values[:n], self.timestamps[:n])
        del self.steps[:n]
        del self.values[:n]
        del self.timestamps[:n]
        self.tick = 0  # the owner's next point re-checks the backlog (and wakes the flusher)
        return taken


class _Run:
    """One run's waiting points: every series per key, and the owner's series for the fast path.

    ``fast`` is shared with the run's appenders; clearing it sends them to their slow path, which
    is how the buffer makes them notice a failure, a fork or the run's end.
    """

    __slots__ = ("series", "fast")

    def __init__(self) -> None:
        self.series: dict[str, list[Series]] = {}
        self.fast: dict[str, Series] = {}

    def waiting(self) -> bool:
        return any(len(s) for group in list(self.series.values()) for s in group)


#: Points of one run taken for a write: key -> columns.
RunPoints = dict[str, Columns]
#: write(run_id, sequence number, points): commit the points unless ``seq`` is already committed.
Writer = Callable[[str, int, RunPoints], None]
#: The full path for one point: (key, value, step, timestamp), validating everything.
Fallback = Callable[[Any, Any, Any, Any], None]


class MetricBuffer:
    """Per run, key and thread, a :class:`Series` of typed columns; the logging path takes no lock.

    A run's entry is dropped when the run ends (``forget``), so a flush walks only the runs still
    open, however many runs the process has logged.
    """

    def __init__(self, write: Writer, interval: float | None = None) -> None:
        self._write = write
        self._interval = interval
        self._init_state()
        _BUFFERS.add(self)

    def _init_state(self) -> None:
        self._pending: dict[str, _Run] = {}
        self._retry: dict[str, tuple[int, RunPoints]] = {}  # failed batches, written first
        self._failures: dict[str, Exception] = {}  # run id -> error not yet reported
        self.writer_id = uuid.uuid4().hex[:16]  # names this process's batches in histories
        self._seq = 0
        self._last_take = 0.0  # monotonic time of the last flush of every run, by any thread
        self._lock = threading.Lock()  # new runs and series (never taken per point)
        self._flush_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def reset_after_fork(self) -> None:
        """In a forked child: forget the parent's points, locks and thread."""
        for run in list(self._pending.values()):
            run.fast.clear()  # appenders the child inherited take their slow path, onto new state
        self._init_state()

    # -- logging path --------------------------------------------------------------------
    def add(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Buffer one validated point (the general path; :func:`~._appender.run_appender`'s appenders are the fast one).

        An earlier failed flush of this run is raised instead, once, and the point is not taken.
        """
        if self._failures and run_id in self._failures:
            raise self._failures.pop(run_id)
        s = self._series(run_id, key)
        n = len(s.timestamps)
        if n >= s.busy and (n >= s.limit or time_ns() >= s.due):
            self.relieve(run_id)  # a failure raised here leaves the point untaken
            n = len(s.timestamps)
        s.add_step(step)
        s.add_value(value)
        s.add_time(timestamp)
        if not n:
            s.due = time_ns() + interval_ns()
            self.wake_flusher()

    def fast_series(self, run_id: str) -> dict[str, Series]:
        """The run's series by key that :func:`~._appender.run_appender`'s appenders append to directly."""
        run = self._pending.get(run_id)
        return run.fast if run is not None else {}

    def _series(self, run_id: str, key: str) -> Series:
        """The calling thread's series of (run, key), made on first use."""
        run = self._pending.get(run_id)
        if run is not None:
            s = run.fast.get(key)
            if s is not None and s.owner == get_ident():
                return s
        with self._lock:
            run = self._pending.get(run_id)
            if run is None:
                run = self._pending[run_id] = _Run()
            ident = get_ident()
            group = run.series.setdefault(key, [])
            mine = next((s for s in group if s.owner == ident), None)
            if mine is None:
                mine = Series(ident)
                group.append(mine)
                count = sum(map(len, run.series.values()))
                for g in run.series.values():  # the run's backlog bound, shared by its series
                    for s in g:
                        s.limit = max(BACKLOG_POINTS // count, 100)
                        s.busy = min(BUSY_POINTS, s.limit)
            run.fast.setdefault(key, mine)
            return mine

    def relieve(self, run_id: str) -> None:
        """The flusher is behind: write now from the logging thread (waits for a flush under way)."""
        self.flush(report=False)
        if run_id in self._failures:
            raise self._failures.pop(run_id)

    def wake_flusher(self) -> None:
        self._wake.set()
        if self._thread is None:
            self._start()

    def stop_fast_path(self, run_id: str) -> None:
        """Send the run's appenders to their fallback until it re-registers the run's series."""
        run = self._pending.get(run_id)
        if run is not None:
            run.fast.clear()

    # -- flushing ------------------------------------------------------------------------
    def has_points(self, run_id: str) -> bool:
        run = self._pending.get(run_id)
        return run_id in self._retry or (run is not None and run.waiting())

    def flush(self, run_id: str | None = None, report: bool = True) -> None:
        """Write what is buffered (of one run, or of all), trying every run.

        Failures are kept per run until reported: with ``report`` the first one is raised here,
        otherwise by the next ``add`` to that run or the next reporting flush.
        """
        with self._flush_lock:
            if run_id is None:
                self._last_take = time.monotonic()
            run_ids = [run_id] if run_id is not None else list({**self._retry, **self._pending})
            for rid in run_ids:
                self._flush_run(rid)
        if self._waiting():  # appended while this write took the columns: the hot path only
            self._wake.set()  # wakes the flusher for a series' first point
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
            run = self._pending.get(run_id)
            batch = _take_all(run.series) if run is not None else {}
            if batch:
                self._seq += 1
                self._retry[run_id] = (self._seq, batch)  # until the write returns
                self._write(run_id, self._seq, batch)
                del self._retry[run_id]
            self._failures.pop(run_id, None)  # a later success heals an unreported failure
        except DroppedPointsError as exc:
            self._retry.pop(run_id, None)
            self.stop_fast_path(run_id)
            self._pending.pop(run_id, None)
            self._failures[run_id] = exc
        except Exception as exc:
            self._failures[run_id] = exc
            self.stop_fast_path(run_id)  # so the next log call of the run reports it

    def forget(self, run_id: str) -> None:
        """Drop an ended run's (empty) entry so flushes stop visiting it."""
        with self._lock:
            run = self._pending.get(run_id)
            if run is None or run_id in self._retry or run.waiting():
                return
            del self._pending[run_id]
            run.fast.clear()  # its appenders re-register if the run is logged to again
            if run.waiting():  # a point slipped in from another thread meanwhile: keep it
                self._pending[run_id] = run

    def _waiting(self) -> bool:
        return any(run.waiting() for run in list(self._pending.values()))

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
        _sigterm.install(_flush_all)

    def _loop(self) -> None:
        """Take what is waiting ``BACKGROUND_INTERVALS`` intervals after the last take by any
        thread, then write it.

        A fast stream is written by the logging thread itself (``relieve``): when a series holds
        more than ``BUSY_POINTS`` points and its first one is an interval old, or when a run's
        backlog bound is reached. Each such take pushes this thread's next take away, so at high
        rates the writes happen where the points are logged, with no hand-over of the GIL per
        system call (on a loaded machine each hand-over can cost milliseconds of wall time),
        and this thread writes what a slow or paused stream leaves waiting: a point waits at
        most ~0.3 s plus one write, at any rate.
        """
        closed, wake = self._closed, self._wake
        idle = True  # the thread starts on the first point: let the batch gather
        while not closed.is_set():
            idle = idle or not wake.is_set()
            wake.wait()
            interval = FLUSH_INTERVAL_S if self._interval is None else self._interval
            # Points arriving after a pause wait one interval (to batch); under a steady stream the
            # interval runs take to take, so a long write does not push the next take further away.
            wait = interval * BACKGROUND_INTERVALS
            due = time.monotonic() + wait if idle else self._last_take + wait
            idle = False
            while (delay := due - time.monotonic()) > 0:
                if closed.wait(delay):
                    return
                due = max(due, self._last_take + wait)
            wake.clear()
            self.flush(report=False)
            if self._failures:  # kept with the points; raised to the user at the next call
                log.debug("nbtrack: metric flush failed (points kept, will retry): %s",
                          next(iter(self._failures.values()), ""))
                wake.set()


def _take_all(series: dict[str, list[Series]]) -> RunPoints:
    """Every complete waiting point of a run, per key (a key's threads one after another)."""
    batch: RunPoints = {}
    for key, group in list(series.items()):
        for s in list(group):
            taken = s.take()
            if taken is None:
                continue
            if key in batch:
                batch[key].extend(taken)
            else:
                batch[key] = taken
    return batch


class DroppedPointsError(NbtrackError, RuntimeError):
    """Raised by a writer when a run's points can never be stored (the run was deleted)."""


_BUFFERS: weakref.WeakSet[MetricBuffer] = weakref.WeakSet()


def _reset_buffers_in_child() -> None:
    for buffer in list(_BUFFERS):
        buffer.reset_after_fork()


def _flush_at_process_exit(buffer: MetricBuffer) -> None:
    """multiprocessing children end with ``os._exit`` (no atexit): flush in its exit finalizers.

    Registered when the flusher starts, which in a forked child is after multiprocessing cleared
    the parent's finalizers. A worker killed by ``Pool.terminate()`` (SIGTERM) runs no finalizer:
    ``_sigterm`` writes its points.
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


def _flush_all() -> None:
    for buffer in list(_BUFFERS):
        _quiet_flush(weakref.ref(buffer))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_buffers_in_child)
